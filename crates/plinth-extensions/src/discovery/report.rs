//! What a scan found.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::{Manifest, ManifestError};

/// A plugin folder with a valid manifest.
///
/// ```
/// # use std::path::Path;
/// # use plinth_extensions::{DiscoveredPlugin, Manifest};
/// let manifest = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n", Path::new("plugins/a/plinth.toml"))?;
/// let p = DiscoveredPlugin { manifest: manifest.into(), search_dir: "plugins".into() };
/// assert_eq!((p.name(), p.dir()), ("a", Path::new("plugins/a")));
/// # Ok::<(), plinth_extensions::ManifestError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DiscoveredPlugin {
    /// Its manifest, shared with the [`ManifestCache`](crate::ManifestCache)
    /// when the scan went through one.
    pub manifest: Arc<Manifest>,
    /// The search directory it was found in.
    pub search_dir: PathBuf,
}

impl DiscoveredPlugin {
    /// The plugin's name.
    ///
    /// ```
    /// # use std::path::Path;
    /// # use plinth_extensions::{DiscoveredPlugin, Manifest};
    /// # let manifest = Manifest::parse("[plugin]\nname = \"@acme/tools\"\nversion = \"1.0.0\"\n", Path::new("plugins/@acme/tools/plinth.toml"))?;
    /// let p = DiscoveredPlugin { manifest: manifest.into(), search_dir: "plugins".into() };
    /// assert_eq!(p.name(), "@acme/tools");
    /// # Ok::<(), plinth_extensions::ManifestError>(())
    /// ```
    pub fn name(&self) -> &str {
        &self.manifest.name
    }

    /// The plugin's folder.
    ///
    /// ```
    /// # use std::path::Path;
    /// # use plinth_extensions::{DiscoveredPlugin, Manifest};
    /// # let manifest = Manifest::parse("[plugin]\nname = \"@acme/tools\"\nversion = \"1.0.0\"\n", Path::new("plugins/@acme/tools/plinth.toml"))?;
    /// let p = DiscoveredPlugin { manifest: manifest.into(), search_dir: "plugins".into() };
    /// assert_eq!(p.dir(), Path::new("plugins/@acme/tools"));
    /// # Ok::<(), plinth_extensions::ManifestError>(())
    /// ```
    pub fn dir(&self) -> &Path {
        self.manifest.dir()
    }
}

/// A plugin replaced by a later one of the same name.
///
/// ```
/// # use plinth_extensions::Override;
/// let o = Override { name: "a".into(), replaced: "sys/a".into(), by: "user/a".into() };
/// assert_eq!(o.to_string(), r#"plugin "a" in sys/a is overridden by user/a"#);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("plugin {name:?} in {} is overridden by {}", replaced.display(), by.display())]
pub struct Override {
    /// The plugin's name.
    pub name: String,
    /// The folder of the replaced plugin.
    pub replaced: PathBuf,
    /// The folder of the plugin that replaces it.
    pub by: PathBuf,
}

/// A problem met during a scan; the scan went on.
///
/// ```
/// # use plinth_extensions::DiscoveryError;
/// let e = DiscoveryError::ReadDir { path: "plugins".into(), source: std::io::ErrorKind::PermissionDenied.into() };
/// assert!(e.to_string().starts_with("plugins: cannot list: "));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// A directory could not be listed (a missing one is not an error).
    #[error("{}: cannot list: {source}", path.display())]
    ReadDir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A manifest could not be read or is invalid.
    #[error(transparent)]
    Manifest(#[from] ManifestError),
    /// Two plugin folders of one search directory declare the same name.
    /// The first in scan order is kept and the second ignored: within one
    /// directory neither is the more specific place, so the error asks for
    /// one of them to be renamed or removed.
    ///
    /// ```
    /// # use plinth_extensions::DiscoveryError;
    /// let e = DiscoveryError::DuplicateName {
    ///     name: "x".into(),
    ///     first: "plugins/x/plinth.toml".into(),
    ///     second: "plugins/x-copy/plinth.toml".into(),
    /// };
    /// assert_eq!(
    ///     e.to_string(),
    ///     "plugins/x-copy/plinth.toml: plugin name \"x\" is already used by plugins/x/plinth.toml \
    ///      in the same directory; this one is ignored (rename or remove one of them)"
    /// );
    /// ```
    #[error(
        "{}: plugin name {name:?} is already used by {} in the same directory; \
         this one is ignored (rename or remove one of them)",
        second.display(),
        first.display()
    )]
    DuplicateName {
        /// The name declared twice.
        name: String,
        /// The manifest of the plugin kept.
        first: PathBuf,
        /// The manifest of the plugin ignored.
        second: PathBuf,
    },
}

/// The result of a scan: the plugins (one per name), what was overridden,
/// and what went wrong.
///
/// ```
/// use plinth_extensions::Discovery;
/// let d = Discovery::default();
/// assert!(d.plugins.is_empty() && d.overrides.is_empty() && d.errors.is_empty());
/// ```
#[derive(Debug, Default)]
pub struct Discovery {
    /// The plugins, in order of first discovery of each name.
    pub plugins: Vec<DiscoveredPlugin>,
    /// Plugins replaced by later ones of the same name, in scan order.
    pub overrides: Vec<Override>,
    /// Problems met, in scan order.
    pub errors: Vec<DiscoveryError>,
}

impl Discovery {
    /// The plugin of a name.
    ///
    /// ```
    /// # use plinth_extensions::Discovery;
    /// assert!(Discovery::default().get("a").is_none());
    /// ```
    pub fn get(&self, name: &str) -> Option<&DiscoveredPlugin> {
        self.plugins.iter().find(|p| p.name() == name)
    }

    /// The manifests, in plugin order.
    ///
    /// ```
    /// # use std::path::Path;
    /// # use plinth_extensions::{DiscoveredPlugin, Discovery, Manifest};
    /// # let parse = |name: &str| Manifest::parse(&format!("[plugin]\nname = \"{name}\"\nversion = \"1.0.0\"\n"), Path::new("x/plinth.toml"));
    /// let mut found = Discovery::default();
    /// for name in ["a", "b"] {
    ///     found.plugins.push(DiscoveredPlugin { manifest: parse(name)?.into(), search_dir: "plugins".into() });
    /// }
    /// let names: Vec<&str> = found.manifests().map(|m| m.name.as_str()).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// # Ok::<(), plinth_extensions::ManifestError>(())
    /// ```
    pub fn manifests(&self) -> impl ExactSizeIterator<Item = &Manifest> + '_ {
        self.plugins.iter().map(|p| &*p.manifest)
    }
}
