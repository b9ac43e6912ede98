//! The immutable host of the active plugins, republished after each change.

use std::fmt;
use std::sync::Arc;

use arc_swap::ArcSwap;
use plinth_core::{EmptyEntities, EntitySchema, GuardError, Host};

use crate::DynamicSchema;

/// The host of the active plugins: each plugin's entities, in start order
/// (the host's semantics: conflicts kept, provenance per value), typed by the
/// manager's entity schema `S`.
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
pub type ActiveHost<S = DynamicSchema> = Host<ActivePlugin<S>>;

/// An active plugin as the snapshot holds it: its name and the entities it
/// contributed when it started (shared, not copied, by each snapshot).
///
/// ```
/// # futures::executor::block_on(async {
/// use plinth_runtime::{Manager, Metadata, Plugin};
/// struct P;
/// impl Plugin for P { fn metadata(&self) -> Metadata { Metadata::new("p", "1.0.0") } }
/// let mut manager = Manager::new();
/// manager.register(P)?;
/// manager.initialize_all().await?;
/// let snapshot = manager.snapshot();
/// let p = snapshot.plugins().get("p").unwrap();
/// assert_eq!(p.name(), "p");
/// assert!(p.entities().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct ActivePlugin<S> {
    name: String,
    entities: Arc<S>,
}

impl<S> ActivePlugin<S> {
    /// The plugin's name.
    ///
    /// ```
    /// let snapshot = plinth_runtime::Manager::new().snapshot();
    /// assert!(snapshot.plugins().values().all(|p| !p.name().is_empty()));
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What it contributes.
    ///
    /// ```
    /// let snapshot = plinth_runtime::Manager::new().snapshot();
    /// assert_eq!(snapshot.plugins().values().map(|p| p.entities().len()).sum::<usize>(), 0);
    /// ```
    pub fn entities(&self) -> &S {
        &self.entities
    }
}

impl<S> Clone for ActivePlugin<S> {
    fn clone(&self) -> Self {
        ActivePlugin {
            name: self.name.clone(),
            entities: self.entities.clone(),
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for ActivePlugin<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ActivePlugin")
            .field("name", &self.name)
            .field("entities", &self.entities)
            .finish()
    }
}

impl<S: EntitySchema> plinth_core::Plugin for ActivePlugin<S> {
    type Entities = S;

    fn name(&self) -> &str {
        &self.name
    }

    fn entities(&self) -> &S {
        &self.entities
    }
}

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
pub struct Snapshots<S: EntitySchema = DynamicSchema> {
    current: Arc<ArcSwap<ActiveHost<S>>>,
}

impl<S: EntitySchema> Clone for Snapshots<S> {
    fn clone(&self) -> Self {
        Snapshots {
            current: self.current.clone(),
        }
    }
}

impl<S: EmptyEntities> Snapshots<S> {
    pub(crate) fn new() -> Self {
        let empty = Host::new(Vec::<(String, ActivePlugin<S>)>::new())
            .unwrap_or_else(|_| unreachable!("an empty host breaks no guard"));
        Snapshots {
            current: Arc::new(ArcSwap::from_pointee(empty)),
        }
    }
}

impl<S: EntitySchema> Snapshots<S> {
    /// The current host: lock-free, and unaffected by later changes.
    ///
    /// ```
    /// let manager = plinth_runtime::Manager::new();
    /// let host = manager.snapshots().load();
    /// assert!(host.plugins().is_empty());
    /// ```
    pub fn load(&self) -> Arc<ActiveHost<S>> {
        self.current.load_full()
    }

    pub(crate) fn store(&self, host: ActiveHost<S>) {
        self.current.store(Arc::new(host));
    }
}

impl<S: EntitySchema> fmt::Debug for Snapshots<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = self.load();
        f.debug_struct("Snapshots")
            .field("plugins", &host.plugins().urns())
            .finish()
    }
}

/// Builds the host of `plugins`, brought to agree by the schema first (the
/// dynamic schema gives each plugin an empty map for the entity types only
/// others use: the host requires every type everywhere, and "none" is how
/// a plugin that does not know a type answers).
pub(crate) fn build<'a, S: EmptyEntities + 'a>(
    plugins: impl IntoIterator<Item = (&'a str, &'a Arc<S>)>,
) -> Result<ActiveHost<S>, GuardError> {
    let plugins: Vec<_> = plugins.into_iter().collect();
    let refs: Vec<&S> = plugins.iter().map(|(_, e)| &***e).collect();
    let mut aligned = S::align(&refs).into_iter();
    let complete: Vec<_> = plugins
        .into_iter()
        .map(|(name, entities)| {
            let entities = match aligned.next().flatten() {
                Some(replacement) => Arc::new(replacement),
                None => entities.clone(),
            };
            let plugin = ActivePlugin {
                name: name.to_owned(),
                entities,
            };
            (name, plugin)
        })
        .collect();
    Host::new(complete)
}

/// The immutable host of a set of plugins, built once, without a manager:
/// the manager's one [`Plugin`](crate::Plugin) trait also serves the
/// immutable host. Nothing is started (`initialize` is not called); each
/// plugin contributes its [`entities`](crate::Plugin::entities), and the
/// host's guards check them as the manager's snapshots do.
///
/// # Errors
/// The [`GuardError`] of the first plugin that breaks a guard (a duplicate
/// name, a numeric-like key).
///
/// ```
/// use plinth_core::Entities;
/// use plinth_macros::EntitySchema;
/// use plinth_runtime::{host_of, Metadata, Plugin};
///
/// #[derive(EntitySchema)]
/// struct AppEntities {
///     assets: Entities<String>,
/// }
///
/// struct Theme;
/// impl Plugin<AppEntities> for Theme {
///     fn metadata(&self) -> Metadata { Metadata::new("theme", "1.0.0") }
///     fn entities(&self) -> AppEntities {
///         AppEntities { assets: Entities::from([("logo", "moon.svg".to_string())]) }
///     }
/// }
/// struct Quiet;
/// impl Plugin<AppEntities> for Quiet {
///     fn metadata(&self) -> Metadata { Metadata::new("quiet", "1.0.0") }
/// }
///
/// let host = host_of([&Theme as &dyn Plugin<AppEntities>, &Quiet])?;
/// assert_eq!(host.entities().assets.get("logo"), ["moon.svg"]);
/// assert_eq!(host.plugins().len(), 2);
/// # Ok::<(), plinth_core::GuardError>(())
/// ```
pub fn host_of<'a, S: EmptyEntities + 'static>(
    plugins: impl IntoIterator<Item = &'a dyn crate::Plugin<S>>,
) -> Result<ActiveHost<S>, GuardError> {
    let owned: Vec<(String, Arc<S>)> = plugins
        .into_iter()
        .map(|plugin| {
            let name = plugin.metadata().name().to_string();
            (name, Arc::new(plugin.entities()))
        })
        .collect();
    build(
        owned
            .iter()
            .map(|(name, entities)| (name.as_str(), entities)),
    )
}
