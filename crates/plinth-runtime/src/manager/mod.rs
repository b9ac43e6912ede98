//! The plugin manager: its state and configuration here; the operations,
//! queries, graph walks, lifecycle steps and the timer each in their own
//! module.

mod lifecycle;
mod ops;
mod queries;
mod replace;
mod timer;
mod walk;

pub use ops::StartReport;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use plinth_core::{EmptyEntities, PluginUrn};
use plinth_hooks::{MessageBus, Registry};
use serde_json::Value;

use crate::activation::Activation;
use crate::faults::FaultQueue;
use crate::graph::Graph;
use crate::{
    DynamicSchema, FailureReason, Metadata, Plugin, PluginState, Services, Snapshots, snapshot,
};

/// The default time an async `initialize` or `destroy` may take.
///
/// ```
/// use std::time::Duration;
/// use plinth_runtime::{Metadata, DEFAULT_TIMEOUT};
/// assert_eq!(DEFAULT_TIMEOUT, Duration::from_secs(30));
/// // A plugin without a timeout of its own runs under the manager's.
/// assert_eq!(Metadata::new("a", "1.0.0").timeout(), None);
/// ```
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

struct Slot<S> {
    urn: PluginUrn,
    meta: Metadata,
    instance: Box<dyn Plugin<S>>,
    state: PluginState,
    reason: Option<FailureReason>,
    /// The entities it contributes while active, taken when it started and
    /// shared by every snapshot it is in.
    entities: Option<Arc<S>>,
    /// The current (or last) activation: what its context belongs to.
    activation: Option<Arc<Activation>>,
}

/// The plugin manager.
///
/// Plugins are registered, then started in dependency order by
/// [`initialize_all`](Self::initialize_all); [`disable`](Self::disable) and
/// [`enable`](Self::enable) cascade through dependents and dependencies;
/// [`shutdown`](Self::shutdown) stops everything in reverse order. Every
/// state change is published on the bus ([`STATE_CHANGED`](crate::STATE_CHANGED)); after every
/// operation that changes the active set, a new immutable host of the
/// active plugins is published ([`snapshots`](Self::snapshots)).
///
/// Operations take `&mut self`: they are serialised by construction, while
/// hook dispatch and snapshot reads go on concurrently without locks.
///
/// # Entity schema
/// `S` is the shape of the entities plugins contribute to the snapshot.
/// [`Manager::new`] manages the [`DynamicSchema`]: entity types are data
/// and values JSON. An application with a `#[derive(EntitySchema)]`
/// struct makes a [`Manager::typed`] of it; its plugins implement
/// `Plugin<AppEntities>`, and the snapshot's collections are typed:
///
/// ```
/// use plinth_core::Entities;
/// use plinth_macros::EntitySchema;
/// use plinth_runtime::{Manager, Metadata, Plugin};
///
/// #[derive(EntitySchema)]
/// struct AppEntities { assets: Entities<String> }
///
/// struct Theme;
/// impl Plugin<AppEntities> for Theme {
///     fn metadata(&self) -> Metadata { Metadata::new("theme", "1.0.0") }
///     fn entities(&self) -> AppEntities {
///         AppEntities { assets: Entities::from([("logo", "moon.svg".to_string())]) }
///     }
/// }
///
/// # futures::executor::block_on(async {
/// let mut manager: Manager<AppEntities> = Manager::typed();
/// manager.register(Theme)?;
/// manager.initialize_all().await?;
/// assert_eq!(manager.snapshot().entities().assets.get("logo"), ["moon.svg"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
///
/// # Guarantees
/// - **Quiescent stop.** When `disable` (or `shutdown`, or a fault) stops a
///   plugin, its registrations are removed, then the manager waits until
///   every hook call that could still run one of its callbacks has
///   returned ([`plinth_hooks::quiesce`], bounded by the plugin's timeout),
///   and only then calls `destroy`.
/// - **Cancellation safety.** Every operation may be dropped at any await
///   (a timeout, `select!`, a client that disconnects): the registrations of
///   a plugin caught starting are removed at once, and the next operation
///   settles it as `Failed` with [`FailureReason::Cancelled`], from which
///   `enable` and `initialize_all` start it again.
/// - **One activation per context.** A [`Context`](crate::Context) kept after its plugin
///   stopped refuses registrations ([`ContextError`](crate::ContextError)).
/// - **Faults stop calls at once.** The first failing or panicking callback
///   of an activation removes its plugin's registrations on the spot; the
///   plugin is marked `Failed` at the next operation.
/// - **Timers.** Timeouts run on a runtime-agnostic timer: any executor,
///   tokio runtimes without `enable_time`, or none. A *sync* plugin's
///   `initialize` and `destroy` are not bounded by them (see [`Plugin`]).
///
/// ```
/// use plinth_hooks::{Action, Hook, Key};
/// use plinth_runtime::{Context, Manager, Metadata, Plugin, PluginState};
///
/// const LOGIN: Key<Action<String>> = Key::new("user:login");
///
/// struct Db;
/// impl Plugin for Db {
///     fn metadata(&self) -> Metadata { Metadata::new("db", "1.4.0") }
/// }
/// struct Audit;
/// impl Plugin for Audit {
///     fn metadata(&self) -> Metadata { Metadata::new("audit", "1.0.0").with_dependency("db", "^1.2") }
///     fn initialize(&mut self, ctx: &Context) -> Result<(), plinth_hooks::BoxError> {
///         ctx.hooks().on(&LOGIN)?.tap(|user| println!("login: {user}"));
///         Ok(())
///     }
/// }
///
/// # futures::executor::block_on(async {
/// let mut manager = Manager::new();
/// manager.register(Audit)?;
/// manager.register(Db)?;
/// manager.initialize_all().await?;
/// assert_eq!(manager.start_order(), ["db", "audit"]);
///
/// // Disabling db first disables audit, and removes audit's hooks.
/// assert_eq!(manager.disable("db").await?, ["audit", "db"]);
/// assert_eq!(manager.hooks().hook(&LOGIN)?.len(), 0);
/// assert_eq!(manager.state("audit"), Some(PluginState::Disabled));
///
/// // Enabling audit enables db first.
/// assert_eq!(manager.enable("audit").await?, ["db", "audit"]);
/// assert_eq!(manager.snapshots().load().plugins().len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub struct Manager<S: EmptyEntities = DynamicSchema> {
    slots: Vec<Slot<S>>,
    index: HashMap<String, usize>,
    graph: OnceLock<Arc<Graph>>,
    config: Value,
    timeout: Duration,
    services: Arc<Services>,
    hooks: Arc<Registry>,
    bus: Arc<MessageBus>,
    faults: Arc<FaultQueue>,
    snapshots: Snapshots<S>,
    /// The plugin a `replace_with` in progress replaces: its first
    /// registration takes the slot instead of failing as a duplicate.
    replacing: Option<replace::Replacing>,
}

impl Default for Manager {
    fn default() -> Self {
        Manager::new()
    }
}

impl Manager {
    /// A manager of the [`DynamicSchema`] (entity types as data, values
    /// JSON), with an empty configuration, its own hooks, bus and services,
    /// and the [`DEFAULT_TIMEOUT`]. For a typed entity schema, see
    /// [`Manager::typed`].
    ///
    /// ```
    /// let manager = plinth_runtime::Manager::new();
    /// assert!(manager.list().is_empty());
    /// ```
    pub fn new() -> Self {
        Manager::typed()
    }
}

impl<S: EmptyEntities + 'static> Manager<S> {
    /// A manager whose snapshot is typed by the entity schema `S` (a
    /// `#[derive(EntitySchema)]` struct): name it,
    /// `Manager::<AppEntities>::typed()`, or let the variable's type say
    /// it, `let manager: Manager<AppEntities> = Manager::typed();`.
    /// Otherwise as [`Manager::new`].
    ///
    /// ```
    /// use plinth_core::Entities;
    /// use plinth_macros::EntitySchema;
    /// use plinth_runtime::Manager;
    ///
    /// #[derive(EntitySchema)]
    /// struct AppEntities { assets: Entities<String> }
    ///
    /// let manager = Manager::<AppEntities>::typed();
    /// assert!(manager.snapshot().entities().assets.is_empty());
    /// ```
    pub fn typed() -> Self {
        let faults = Arc::new(FaultQueue::default());
        let hooks = Arc::new(Registry::new());
        let bus = Arc::new(MessageBus::new());
        hooks.intercept(faults.clone());
        bus.intercept(faults.clone());
        faults.set_targets(&hooks, &bus);
        Manager {
            slots: Vec::new(),
            index: HashMap::new(),
            graph: OnceLock::new(),
            config: Value::Object(Default::default()),
            timeout: DEFAULT_TIMEOUT,
            services: Arc::new(Services::new()),
            hooks,
            bus,
            faults,
            snapshots: Snapshots::new(),
            replacing: None,
        }
    }

    /// Sets the application configuration (plugins read `plugins.<name>`).
    ///
    /// ```
    /// use serde_json::json;
    /// let manager = plinth_runtime::Manager::new()
    ///     .with_config(json!({ "plugins": { "rate-limiter": { "maxRequests": 5 } } }));
    /// assert_eq!(manager.config()["plugins"]["rate-limiter"]["maxRequests"], 5);
    /// ```
    pub fn with_config(mut self, config: Value) -> Self {
        self.config = config;
        self
    }

    /// Sets the default timeout of async `initialize` and `destroy`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let manager = plinth_runtime::Manager::new().with_timeout(Duration::from_secs(5));
    /// ```
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Uses an existing hook registry (shared with the application).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// let hooks = Arc::new(plinth_hooks::Registry::new());
    /// let manager = plinth_runtime::Manager::new().with_hooks(hooks.clone());
    /// assert!(Arc::ptr_eq(manager.hooks(), &hooks));
    /// ```
    pub fn with_hooks(mut self, hooks: Arc<Registry>) -> Self {
        hooks.intercept(self.faults.clone());
        self.faults.set_targets(&hooks, &self.bus);
        self.hooks = hooks;
        self
    }

    /// Uses an existing message bus.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// let bus = Arc::new(plinth_hooks::MessageBus::new());
    /// let manager = plinth_runtime::Manager::new().with_bus(bus.clone());
    /// assert!(Arc::ptr_eq(manager.bus(), &bus));
    /// ```
    pub fn with_bus(mut self, bus: Arc<MessageBus>) -> Self {
        bus.intercept(self.faults.clone());
        self.faults.set_targets(&self.hooks, &bus);
        self.bus = bus;
        self
    }

    /// Uses an existing service container.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// let services = Arc::new(plinth_runtime::Services::new());
    /// services.insert(42u32);
    /// let manager = plinth_runtime::Manager::new().with_services(services);
    /// assert_eq!(*manager.services().get::<u32>().unwrap(), 42);
    /// ```
    pub fn with_services(mut self, services: Arc<Services>) -> Self {
        self.services = services;
        self
    }

    /// Replaces the application configuration; plugins started afterwards
    /// (or enabled again) see it. The way to fix a configuration error.
    ///
    /// ```
    /// let mut manager = plinth_runtime::Manager::new();
    /// manager.set_config(serde_json::json!({ "plugins": {} }));
    /// ```
    pub fn set_config(&mut self, config: Value) {
        self.config = config;
    }

    /// The application configuration.
    ///
    /// ```
    /// assert!(plinth_runtime::Manager::new().config().is_object());
    /// ```
    pub fn config(&self) -> &Value {
        &self.config
    }

    /// The hook registry (to call hooks from the application).
    ///
    /// ```
    /// assert!(plinth_runtime::Manager::new().hooks().is_empty());
    /// ```
    pub fn hooks(&self) -> &Arc<Registry> {
        &self.hooks
    }

    /// The message bus.
    ///
    /// ```
    /// # use plinth_hooks::Topic;
    /// plinth_runtime::Manager::new().bus().publish(&Topic::<u8>::new("t"), &1)?;
    /// # Ok::<(), plinth_hooks::BusError>(())
    /// ```
    pub fn bus(&self) -> &Arc<MessageBus> {
        &self.bus
    }

    /// The service container.
    ///
    /// ```
    /// let manager = plinth_runtime::Manager::new();
    /// manager.services().insert(String::from("postgres://"));
    /// ```
    pub fn services(&self) -> &Arc<Services> {
        &self.services
    }

    /// The handle on the host snapshots of the active plugins.
    ///
    /// ```
    /// let manager = plinth_runtime::Manager::new();
    /// assert!(manager.snapshots().load().plugins().is_empty());
    /// ```
    pub fn snapshots(&self) -> Snapshots<S> {
        self.snapshots.clone()
    }

    /// The current host snapshot (shorthand for `snapshots().load()`).
    ///
    /// ```
    /// let manager = plinth_runtime::Manager::new();
    /// assert!(manager.snapshot().plugins().is_empty());
    /// ```
    pub fn snapshot(&self) -> Arc<snapshot::ActiveHost<S>> {
        self.snapshots.load()
    }
}

impl<S: EmptyEntities + 'static> std::fmt::Debug for Manager<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Manager")
            .field(
                "plugins",
                &self
                    .slots
                    .iter()
                    .map(|s| (s.meta.name(), s.state))
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}
