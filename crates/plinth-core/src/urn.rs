//! Plugin identifiers.

use std::borrow::Borrow;
use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::GuardError;

/// The unique, non-empty identifier of a plugin (the spec's `PluginURN`).
///
/// Cloning is cheap (a reference count), so collections can attribute every
/// entity to its plugin without copying strings.
///
/// ```
/// use plinth_core::PluginUrn;
///
/// let urn = PluginUrn::new("pluginA")?;
/// assert_eq!(urn.as_str(), "pluginA");
/// assert!(PluginUrn::new("").is_err());
/// # Ok::<(), plinth_core::GuardError>(())
/// ```
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PluginUrn(Arc<str>);

impl PluginUrn {
    /// Makes a URN, rejecting the empty string.
    ///
    /// ```
    /// # use plinth_core::{GuardError, PluginUrn};
    /// assert_eq!(PluginUrn::new("p")?.as_str(), "p");
    /// assert_eq!(PluginUrn::new(""), Err(GuardError::EmptyUrn));
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn new(urn: impl AsRef<str>) -> Result<Self, GuardError> {
        let urn = urn.as_ref();
        if urn.is_empty() {
            return Err(GuardError::EmptyUrn);
        }
        Ok(PluginUrn(Arc::from(urn)))
    }

    /// The reserved owner of the application's own registrations: hooks,
    /// subscriptions and listeners that the host application adds for
    /// itself rather than on behalf of a plugin.
    ///
    /// Its text, `<application>`, is not a plugin name (see
    /// [`check_plugin_name`](crate::check_plugin_name)), so no plugin can
    /// be given it: whatever goes wrong in a callback it owns is never
    /// blamed on a plugin, and removing a plugin's registrations never
    /// removes the application's.
    ///
    /// ```
    /// use plinth_core::{check_plugin_name, PluginUrn};
    ///
    /// let app = PluginUrn::application();
    /// assert_eq!(app.as_str(), "<application>");
    /// assert!(app.is_application());
    /// assert!(check_plugin_name(app.as_str()).is_err());
    /// assert!(!PluginUrn::new("app")?.is_application());
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn application() -> PluginUrn {
        static APPLICATION: OnceLock<PluginUrn> = OnceLock::new();
        APPLICATION
            .get_or_init(|| PluginUrn(Arc::from(Self::APPLICATION)))
            .clone()
    }

    /// The text of [`application`](Self::application).
    ///
    /// ```
    /// # use plinth_core::PluginUrn;
    /// assert_eq!(PluginUrn::application(), PluginUrn::APPLICATION);
    /// ```
    pub const APPLICATION: &'static str = "<application>";

    /// Whether this is the application's reserved owner.
    ///
    /// ```
    /// # use plinth_core::PluginUrn;
    /// assert!(PluginUrn::new("<application>")?.is_application());
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn is_application(&self) -> bool {
        &*self.0 == Self::APPLICATION
    }

    /// The URN as text.
    ///
    /// ```
    /// # use plinth_core::PluginUrn;
    /// assert_eq!(PluginUrn::new("a").unwrap().as_str(), "a");
    /// ```
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<&str> for PluginUrn {
    type Error = GuardError;
    fn try_from(value: &str) -> Result<Self, Self::Error> {
        PluginUrn::new(value)
    }
}

impl TryFrom<String> for PluginUrn {
    type Error = GuardError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        PluginUrn::new(value)
    }
}

impl AsRef<str> for PluginUrn {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for PluginUrn {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for PluginUrn {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for PluginUrn {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl fmt::Display for PluginUrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for PluginUrn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}
