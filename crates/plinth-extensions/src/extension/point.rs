//! Typed names of extension points.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

/// The name of an extension point, typed by what its factories receive and
/// produce: the host `H`, the connect data `D` and the extension instance `T`.
///
/// The seeds name points by strings only; the types are plinth's addition so
/// that a factory and its consumer cannot disagree silently. Manifests still
/// name points by string, and a factory registered for a point name with
/// other types is reported as [`ExtensionError::TypeMismatch`](crate::ExtensionError::TypeMismatch)
/// when connected, never silently used.
///
/// ```
/// use plinth_extensions::ExtensionPoint;
///
/// struct Editor;
/// trait Language: Send {}
/// const LANGUAGE: ExtensionPoint<Editor, (), Box<dyn Language>> =
///     ExtensionPoint::new("xedit:language");
/// assert_eq!(LANGUAGE.name(), "xedit:language");
/// ```
pub struct ExtensionPoint<H: ?Sized, D: ?Sized, T> {
    name: Cow<'static, str>,
    // `fn` keeps the point `Send + Sync` and covariant whatever H, D, T are.
    _types: PhantomData<fn(&H, &D) -> T>,
}

impl<H: ?Sized, D: ?Sized, T> ExtensionPoint<H, D, T> {
    /// A point with a static name, usable in a `const`.
    ///
    /// ```
    /// # use plinth_extensions::{ExtensionPoint, ExtensionRegistry, Factory};
    /// const TOOLS: ExtensionPoint<(), (), u32> = ExtensionPoint::new("app:tools");
    /// let r = ExtensionRegistry::new();
    /// r.register(&TOOLS, "t", Factory::sync(|_, _, _| Ok(7)));
    /// assert_eq!(r.point_names(), ["app:tools"]);
    /// ```
    pub const fn new(name: &'static str) -> Self {
        ExtensionPoint {
            name: Cow::Borrowed(name),
            _types: PhantomData,
        }
    }

    /// A point whose name is computed at run time.
    ///
    /// ```
    /// # use plinth_extensions::ExtensionPoint;
    /// let point = ExtensionPoint::<(), (), u32>::named(format!("app:{}", "tools"));
    /// assert_eq!(point.name(), "app:tools");
    /// ```
    pub fn named(name: impl Into<String>) -> Self {
        ExtensionPoint {
            name: Cow::Owned(name.into()),
            _types: PhantomData,
        }
    }

    /// The point's name.
    ///
    /// ```
    /// # use plinth_extensions::ExtensionPoint;
    /// let point = ExtensionPoint::<(), (), u8>::named(String::from("xedit:") + "language");
    /// assert_eq!(point.name(), "xedit:language");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl<H: ?Sized, D: ?Sized, T> Clone for ExtensionPoint<H, D, T> {
    fn clone(&self) -> Self {
        ExtensionPoint {
            name: self.name.clone(),
            _types: PhantomData,
        }
    }
}

impl<H: ?Sized, D: ?Sized, T> fmt::Debug for ExtensionPoint<H, D, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ExtensionPoint").field(&self.name).finish()
    }
}

/// What a factory is told about the extension it creates (the seeds'
/// `info`): the extension point and the extension's name.
///
/// ```
/// use plinth_extensions::ExtensionInfo;
///
/// let info = ExtensionInfo::new("xedit:language", "x");
/// assert_eq!((info.point(), info.name()), ("xedit:language", "x"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ExtensionInfo {
    point: Arc<str>,
    name: Arc<str>,
}

impl ExtensionInfo {
    /// Info for extension `name` of `point`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use plinth_extensions::ExtensionInfo;
    /// let point: Arc<str> = Arc::from("p");
    /// let info = ExtensionInfo::new(point, String::from("x"));
    /// assert_eq!(info, ExtensionInfo::new("p", "x"));
    /// ```
    pub fn new(point: impl Into<Arc<str>>, name: impl Into<Arc<str>>) -> Self {
        ExtensionInfo {
            point: point.into(),
            name: name.into(),
        }
    }

    /// The extension point.
    ///
    /// ```
    /// # use plinth_extensions::{ConnectOptions, ExtensionPoint, ExtensionRegistry, Factory};
    /// const P: ExtensionPoint<(), (), String> = ExtensionPoint::new("app:tools");
    /// let r = ExtensionRegistry::new();
    /// r.register(&P, "t", Factory::sync(|_, _, info| Ok(info.point().to_owned())));
    /// assert_eq!(r.connect_blocking(&(), &P, ConnectOptions::new())?.single().as_deref(), Some("app:tools"));
    /// # Ok::<(), plinth_extensions::ConnectError>(())
    /// ```
    pub fn point(&self) -> &str {
        &self.point
    }

    /// The extension's name, unique within its point.
    ///
    /// ```
    /// # use plinth_extensions::{ConnectOptions, ExtensionPoint, ExtensionRegistry, Factory};
    /// const P: ExtensionPoint<(), (), String> = ExtensionPoint::new("p");
    /// let r = ExtensionRegistry::new();
    /// r.register(&P, "x", Factory::sync(|_, _, info| Ok(format!("made by {}", info.name()))));
    /// assert_eq!(r.connect_blocking(&(), &P, ConnectOptions::new())?.single().as_deref(), Some("made by x"));
    /// # Ok::<(), plinth_extensions::ConnectError>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    pub(crate) fn shared_point(&self) -> &Arc<str> {
        &self.point
    }

    pub(crate) fn shared_name(&self) -> &Arc<str> {
        &self.name
    }
}
