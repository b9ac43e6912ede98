//! The rule every plugin name follows, wherever the plugin comes from.

use std::error::Error;
use std::fmt;

/// Checks that `name` is a plugin name: `name` or `@scope/name`, where the
/// scope and the name are non-empty, use only ASCII letters, digits, `-`,
/// `_` and `.`, and do not start with `.`.
///
/// The rule makes a name safe as a folder name, a log field and a URN: no
/// whitespace or control characters, no path separators beyond the one of a
/// scope, no `.` or `..` parts. Manifests (`[plugin] name` and dependency
/// names) and in-process plugins follow it alike; the host itself
/// ([`PluginUrn`](crate::PluginUrn)) accepts any non-empty URN.
///
/// ```
/// use plinth_core::{check_plugin_name, PluginNameReason};
///
/// assert!(check_plugin_name("audit-logger").is_ok());
/// assert!(check_plugin_name("@acme/tools").is_ok());
/// let err = check_plugin_name("../../etc").unwrap_err();
/// assert_eq!(err.reason(), &PluginNameReason::LeadingDot);
/// assert_eq!(check_plugin_name("x y").unwrap_err().reason(), &PluginNameReason::Character(' '));
/// ```
///
/// # Errors
/// A [`PluginNameError`] naming the name and the first problem found.
pub fn check_plugin_name(name: &str) -> Result<(), PluginNameError> {
    let fail = |reason| {
        Err(PluginNameError {
            name: name.to_owned(),
            reason,
        })
    };
    if name.is_empty() {
        return fail(PluginNameReason::Empty);
    }
    let bare = match name.strip_prefix('@') {
        Some(scoped) => {
            let Some((scope, rest)) = scoped.split_once('/') else {
                return fail(PluginNameReason::ScopeWithoutName);
            };
            if let Err(reason) = check_part(scope) {
                return fail(reason);
            }
            rest
        }
        None => name,
    };
    match check_part(bare) {
        Ok(()) => Ok(()),
        Err(reason) => fail(reason),
    }
}

fn check_part(part: &str) -> Result<(), PluginNameReason> {
    if part.is_empty() {
        return Err(PluginNameReason::EmptyPart);
    }
    // Checked before the characters, so that `../x` reads as the traversal
    // it is rather than as a stray `/`.
    if part.starts_with('.') {
        return Err(PluginNameReason::LeadingDot);
    }
    match part
        .chars()
        .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        Some(c) => Err(PluginNameReason::Character(c)),
        None => Ok(()),
    }
}

/// A string that is not a plugin name (see [`check_plugin_name`]).
///
/// ```
/// use plinth_core::check_plugin_name;
///
/// let err = check_plugin_name("").unwrap_err();
/// assert_eq!(err.name(), "");
/// assert!(err.to_string().starts_with(r#"plugin name "": is empty"#));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginNameError {
    name: String,
    reason: PluginNameReason,
}

impl PluginNameError {
    /// The refused name.
    ///
    /// ```
    /// assert_eq!(plinth_core::check_plugin_name("a b").unwrap_err().name(), "a b");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Why it was refused.
    ///
    /// ```
    /// use plinth_core::{check_plugin_name, PluginNameReason};
    /// assert_eq!(check_plugin_name("@acme").unwrap_err().reason(), &PluginNameReason::ScopeWithoutName);
    /// ```
    pub fn reason(&self) -> &PluginNameReason {
        &self.reason
    }
}

impl fmt::Display for PluginNameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `{:?}` escapes control characters, so a name with a newline or a
        // NUL cannot forge or cut a log line.
        write!(
            f,
            "plugin name {:?}: {} (use ASCII letters, digits, `-`, `_` and `.`, as `name` or `@scope/name`)",
            self.name, self.reason
        )
    }
}

impl Error for PluginNameError {}

/// What is wrong with a plugin name.
///
/// ```
/// use plinth_core::PluginNameReason;
/// assert_eq!(PluginNameReason::Character('\n').to_string(), r"character '\n' is not allowed");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PluginNameReason {
    /// The name is the empty string.
    Empty,
    /// It starts with `@` but has no `/name` after the scope.
    ScopeWithoutName,
    /// The scope or the name after it is empty (`@/x`, `@acme/`).
    EmptyPart,
    /// The scope or the name starts with `.` (`.`, `..`, hidden folders).
    LeadingDot,
    /// A character outside ASCII letters, digits, `-`, `_` and `.`.
    Character(char),
}

impl fmt::Display for PluginNameReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginNameReason::Empty => f.write_str("is empty"),
            PluginNameReason::ScopeWithoutName => f.write_str("a scoped name is `@scope/name`"),
            PluginNameReason::EmptyPart => f.write_str("the scope or the name is empty"),
            PluginNameReason::LeadingDot => f.write_str("a part starts with `.`"),
            PluginNameReason::Character(c) => write!(f, "character {c:?} is not allowed"),
        }
    }
}
