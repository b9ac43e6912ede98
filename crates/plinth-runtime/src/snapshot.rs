//! The immutable host of the active plugins, republished after each change.

use std::sync::Arc;

use arc_swap::ArcSwap;
use plinth_core::{DynamicEntities, DynamicPlugin, Entities, EntityKey, GuardError, Host};
use serde_json::Value;

/// The host of the active plugins: each plugin's data entities, in start
/// order (spec 004 semantics: conflicts kept, provenance per value).
///
/// ```
/// # use std::{path::Path, sync::Arc};
/// # use plinth_extensions::{ExtensionRegistry, Loaders, Manifest};
/// use plinth_runtime::{ActiveHost, Manager, ManifestPlugin};
/// # let m = Manifest::parse("[plugin]\nname = \"theme\"\nversion = \"1.0.0\"\n[entities.assets]\nlogo = \"moon.svg\"\n", Path::new("theme/plinth.toml"))?;
/// # futures::executor::block_on(async {
/// let mut manager = Manager::new();
/// manager.register(ManifestPlugin::new(m, Arc::new(ExtensionRegistry::new()), Arc::new(Loaders::new())))?;
/// manager.initialize_all().await?;
/// let host: Arc<ActiveHost> = manager.snapshot();
/// assert_eq!(host.entities().get("assets").unwrap().get("logo"), ["moon.svg"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub type ActiveHost = Host<DynamicPlugin<Value>>;

/// A handle on the current snapshot, cheap to clone and to share with
/// reader threads: each [`load`](Self::load) returns one consistent,
/// immutable plugin set, however the manager changes meanwhile.
///
/// ```
/// let manager = plinth_runtime::Manager::new();
/// let snapshots = manager.snapshots();
/// let reader = std::thread::spawn(move || snapshots.load().plugins().len());
/// assert_eq!(reader.join().unwrap(), 0);
/// ```
#[derive(Clone)]
pub struct Snapshots {
    current: Arc<ArcSwap<ActiveHost>>,
}

impl Snapshots {
    pub(crate) fn new() -> Self {
        let empty = Host::new(Vec::<(String, DynamicPlugin<Value>)>::new())
            .unwrap_or_else(|_| unreachable!("an empty host breaks no guard"));
        Snapshots {
            current: Arc::new(ArcSwap::from_pointee(empty)),
        }
    }

    /// The current host: lock-free, and unaffected by later changes.
    ///
    /// ```
    /// let manager = plinth_runtime::Manager::new();
    /// let host = manager.snapshots().load();
    /// assert!(host.plugins().is_empty());
    /// ```
    pub fn load(&self) -> Arc<ActiveHost> {
        self.current.load_full()
    }

    pub(crate) fn store(&self, host: ActiveHost) {
        self.current.store(Arc::new(host));
    }
}

impl std::fmt::Debug for Snapshots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let host = self.load();
        f.debug_struct("Snapshots")
            .field("plugins", &host.plugins().urns())
            .finish()
    }
}

/// Builds the host of `plugins`, giving each plugin an empty map for the
/// entity types it does not use: the host requires every type everywhere,
/// and "none" is how a plugin that does not know a type answers.
pub(crate) fn build<'a>(
    plugins: impl IntoIterator<Item = (&'a str, &'a DynamicEntities<Value>)>,
) -> Result<ActiveHost, GuardError> {
    let plugins: Vec<_> = plugins.into_iter().collect();
    let mut types: Vec<EntityKey> = Vec::new();
    for (_, entities) in &plugins {
        for (ty, _) in entities.iter() {
            if !types.iter().any(|t| t.as_key_ref() == ty) {
                types.push(ty.to_owned());
            }
        }
    }
    let complete = plugins.into_iter().map(|(name, entities)| {
        let mut entities = entities.clone();
        for ty in &types {
            if entities.get(ty).is_none() {
                entities.insert(ty.clone(), Entities::new());
            }
        }
        (name, DynamicPlugin::with_entities(name, entities))
    });
    Host::new(complete)
}
