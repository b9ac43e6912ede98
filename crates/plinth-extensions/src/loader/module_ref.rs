//! A manifest's `module` (and `object`), with its kind.

use std::fmt;
use std::sync::Arc;

/// The module kind used when a module names none and is not a `.wasm` file.
pub const NATIVE: &str = "native";

/// Which module an extension's factory comes from: a kind (which loader),
/// the module (for the loader), and an optional object inside it.
///
/// The kind is an explicit `kind:` prefix (`native:tools`, `wasm:lib/x.wasm`),
/// else `wasm` for a path ending in `.wasm`, else `native`.
///
/// ```
/// use plinth_extensions::ModuleRef;
///
/// let m = ModuleRef::parse("wasm:lib/lang.wasm", Some("langx"));
/// assert_eq!((m.kind(), m.module(), m.object()), ("wasm", "lib/lang.wasm", Some("langx")));
/// assert_eq!(ModuleRef::parse("lib/lang.wasm", None).kind(), "wasm");
/// assert_eq!(ModuleRef::parse("xedit-lang-x", None).kind(), "native");
/// assert_eq!(ModuleRef::parse("native:a", Some("b")).to_string(), "native:a#b");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ModuleRef {
    // Shared text: every extension a manifest declares holds a copy.
    kind: Arc<str>,
    module: Arc<str>,
    object: Option<Arc<str>>,
}

impl ModuleRef {
    /// Reads a manifest's `module` string and `object`.
    ///
    /// ```
    /// # use plinth_extensions::ModuleRef;
    /// let m = ModuleRef::parse("native:tools", Some("hammer"));
    /// assert_eq!((m.kind(), m.module(), m.object()), ("native", "tools", Some("hammer")));
    /// // A drive letter is not a kind.
    /// let w = ModuleRef::parse(r"C:\plugins\x.wasm", None);
    /// assert_eq!((w.kind(), w.module()), ("wasm", r"C:\plugins\x.wasm"));
    /// ```
    pub fn parse(module: &str, object: Option<&str>) -> Self {
        let (kind, module) = match split_kind(module) {
            Some((kind, rest)) => (kind, rest),
            None if module.ends_with(".wasm") => ("wasm", module),
            None => (NATIVE, module),
        };
        ModuleRef {
            kind: Arc::from(kind),
            module: Arc::from(module),
            object: object.map(Arc::from),
        }
    }

    /// The module kind, which chooses the loader.
    ///
    /// ```
    /// # use plinth_extensions::ModuleRef;
    /// assert_eq!(ModuleRef::parse("lib/x.wasm", None).kind(), "wasm");
    /// assert_eq!(ModuleRef::parse("tools", None).kind(), "native");
    /// ```
    pub fn kind(&self) -> &str {
        &self.kind
    }

    /// The module, without its kind prefix.
    ///
    /// ```
    /// # use plinth_extensions::ModuleRef;
    /// assert_eq!(ModuleRef::parse("wasm:lib/x.wasm", None).module(), "lib/x.wasm");
    /// ```
    pub fn module(&self) -> &str {
        &self.module
    }

    /// The object inside the module, if any.
    ///
    /// ```
    /// # use plinth_extensions::ModuleRef;
    /// assert_eq!(ModuleRef::parse("tools", Some("saw")).object(), Some("saw"));
    /// assert_eq!(ModuleRef::parse("tools", None).object(), None);
    /// ```
    pub fn object(&self) -> Option<&str> {
        self.object.as_deref()
    }
}

/// `kind:rest` where kind is a lowercase word of two or more characters, so
/// that a Windows drive (`C:\`) is not a kind.
fn split_kind(module: &str) -> Option<(&str, &str)> {
    let (kind, rest) = module.split_once(':')?;
    let word = kind.len() >= 2
        && kind.starts_with(|c: char| c.is_ascii_lowercase())
        && kind
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    word.then_some((kind, rest))
}

impl fmt::Display for ModuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.kind, self.module)?;
        if let Some(object) = &self.object {
            write!(f, "#{object}")?;
        }
        Ok(())
    }
}
