//! Discovered plugins as a plinth-core host of their data entities.

use std::collections::HashSet;

use plinth_core::{DynamicPlugin, Entities, GuardError, Host};

use crate::{Discovery, Manifest};

/// A host whose entities are the `[entities.<type>]` data of manifests.
///
/// ```
/// # use std::path::Path;
/// use plinth_extensions::{dynamic_plugins, DataHost, Manifest};
/// let m = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n[entities.assets]\nlogo = \"a.svg\"\n", Path::new("a/plinth.toml"))?;
/// let host = DataHost::from_plugins(dynamic_plugins([&m]))?;
/// assert_eq!(host.entities().get("assets").unwrap().get("logo")[0].as_str(), Some("a.svg"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type DataHost = Host<DynamicPlugin<toml::Value>>;

/// The manifests as plinth-core plugins of their data entities.
///
/// Every entity type used by any manifest is given to every plugin (empty
/// where the manifest has none), since a host requires each plugin to
/// declare every type and a manifest should not have to list types it does
/// not use.
///
/// ```
/// # use std::path::Path;
/// use plinth_core::Host;
/// use plinth_extensions::{dynamic_plugins, Manifest};
///
/// let a = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n[entities.assets]\nlogo = \"a.svg\"\n", Path::new("a/plinth.toml"))?;
/// let b = Manifest::parse("[plugin]\nname = \"b\"\nversion = \"1.0.0\"\n", Path::new("b/plinth.toml"))?;
/// let host = Host::from_plugins(dynamic_plugins([&a, &b]))?;
/// assert_eq!(host.entities().get("assets").unwrap().get("logo")[0].as_str(), Some("a.svg"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn dynamic_plugins<'a>(
    manifests: impl IntoIterator<Item = &'a Manifest>,
) -> Vec<DynamicPlugin<toml::Value>> {
    let manifests: Vec<&Manifest> = manifests.into_iter().collect();
    let mut seen = HashSet::new();
    let types: Vec<&str> = manifests
        .iter()
        .flat_map(|m| m.entities.iter().map(|(t, _)| t.as_str()))
        .filter(|t| seen.insert(*t))
        .collect();
    manifests
        .iter()
        .map(|m| {
            let mut plugin = DynamicPlugin::new(m.name.clone());
            for (ty, map) in &m.entities {
                plugin.entities_mut().insert(ty.as_str(), map.clone());
            }
            for ty in &types {
                if plugin.entities().get(*ty).is_none() {
                    plugin.entities_mut().insert(*ty, Entities::new());
                }
            }
            plugin
        })
        .collect()
}

impl Discovery {
    /// A host snapshot of the discovered plugins' data entities, in plugin
    /// order.
    ///
    /// ```
    /// use plinth_extensions::Discovery;
    /// let host = Discovery::default().host()?;
    /// assert!(host.plugins().is_empty());
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    ///
    /// # Errors
    /// A [`GuardError`] naming the plugin, should a manifest break a rule
    /// of the host (manifest parsing already rejects bad keys).
    pub fn host(&self) -> Result<DataHost, GuardError> {
        Host::from_plugins(dynamic_plugins(self.manifests()))
    }
}
