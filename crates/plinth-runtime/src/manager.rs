//! The plugin manager: registration, lifecycle, enable/disable cascades,
//! faults, snapshots.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::FutureExt;
use plinth_core::{DynamicEntities, PluginUrn};
use plinth_hooks::{MessageBus, Registry};
use serde_json::Value;
use tracing::Instrument;

use crate::activation::Activation;
use crate::context::plugin_span;
use crate::faults::FaultQueue;
use crate::graph::{Graph, Node};
use crate::reason::InitializeErrors;
use crate::{
    allowed, resolve_config, snapshot, Context, FailureReason, Fault, ManagerError, Metadata,
    Plugin, PluginInfo, PluginState, PluginsReady, Services, Snapshots, StateChange, PLUGINS_READY,
    STATE_CHANGED,
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

struct Slot {
    urn: PluginUrn,
    meta: Metadata,
    instance: Box<dyn Plugin>,
    state: PluginState,
    reason: Option<FailureReason>,
    /// The entities it contributes while active, taken when it started.
    entities: Option<DynamicEntities<Value>>,
    /// The current (or last) activation: what its context belongs to.
    activation: Option<Arc<Activation>>,
}

/// The plugin manager (seed 000's `PluginManager`, without its defects).
///
/// Plugins are registered, then started in dependency order by
/// [`initialize_all`](Self::initialize_all); [`disable`](Self::disable) and
/// [`enable`](Self::enable) cascade through dependents and dependencies;
/// [`shutdown`](Self::shutdown) stops everything in reverse order. Every
/// state change is published on the bus ([`STATE_CHANGED`]); after every
/// operation that changes the active set, a new immutable host of the
/// active plugins is published ([`snapshots`](Self::snapshots)).
///
/// Operations take `&mut self`: they are serialised by construction, while
/// hook dispatch and snapshot reads go on concurrently without locks.
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
/// - **One activation per context.** A [`Context`] kept after its plugin
///   stopped refuses registrations ([`ContextError`](crate::ContextError)).
/// - **Faults stop calls at once.** The first failing or panicking callback
///   of an activation removes its plugin's registrations on the spot; the
///   plugin is marked `Failed` at the next operation.
/// - **Timers.** Timeouts run on a runtime-agnostic timer: any executor,
///   tokio runtimes without `enable_time`, or none. A *sync* plugin's
///   `initialize` and `destroy` are not bounded by them (see [`Plugin`]).
///
/// ```
/// use plinth_hooks::{Action, Key};
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
pub struct Manager {
    slots: Vec<Slot>,
    index: HashMap<String, usize>,
    graph: OnceLock<Arc<Graph>>,
    config: Value,
    timeout: Duration,
    services: Arc<Services>,
    hooks: Arc<Registry>,
    bus: Arc<MessageBus>,
    faults: Arc<FaultQueue>,
    snapshots: Snapshots,
}

impl Default for Manager {
    fn default() -> Self {
        Manager::new()
    }
}

impl Manager {
    /// A manager with an empty configuration, its own hooks, bus and
    /// services, and the [`DEFAULT_TIMEOUT`].
    ///
    /// ```
    /// let manager = plinth_runtime::Manager::new();
    /// assert!(manager.list().is_empty());
    /// ```
    pub fn new() -> Self {
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
    pub fn snapshots(&self) -> Snapshots {
        self.snapshots.clone()
    }

    /// The current host snapshot (shorthand for `snapshots().load()`).
    ///
    /// ```
    /// let manager = plinth_runtime::Manager::new();
    /// assert!(manager.snapshot().plugins().is_empty());
    /// ```
    pub fn snapshot(&self) -> Arc<snapshot::ActiveHost> {
        self.snapshots.load()
    }

    /// Registers a synchronous plugin (state `Discovered`, then `Loaded`).
    ///
    /// # Errors
    /// [`ManagerError::Metadata`] for unusable metadata,
    /// [`ManagerError::Duplicate`] when the name is taken.
    ///
    /// ```
    /// use plinth_runtime::{Manager, ManagerError, Metadata, Plugin};
    /// struct P;
    /// impl Plugin for P { fn metadata(&self) -> Metadata { Metadata::new("p", "1.0.0") } }
    /// let mut manager = Manager::new();
    /// manager.register(P)?;
    /// assert!(matches!(manager.register(P), Err(ManagerError::Duplicate { .. })));
    /// # Ok::<(), ManagerError>(())
    /// ```
    pub fn register(&mut self, plugin: impl Plugin) -> Result<(), ManagerError> {
        let meta = plugin.metadata();
        self.add(meta, Box::new(plugin))
    }

    fn add(&mut self, meta: Metadata, instance: Box<dyn Plugin>) -> Result<(), ManagerError> {
        meta.check()?;
        if self.index.contains_key(meta.name()) {
            return Err(ManagerError::Duplicate {
                plugin: meta.name().to_string(),
            });
        }
        // `check` rejected the empty name, the only invalid URN.
        let urn = PluginUrn::new(meta.name()).map_err(|_| crate::MetadataError::EmptyName)?;
        self.index.insert(meta.name().to_string(), self.slots.len());
        self.slots.push(Slot {
            urn,
            meta,
            instance,
            state: PluginState::Discovered,
            reason: None,
            entities: None,
            activation: None,
        });
        self.graph = OnceLock::new();
        self.transition(self.slots.len() - 1, PluginState::Loaded, None);
        Ok(())
    }

    /// Starts every plugin that was never started, in dependency order,
    /// then calls the [`PLUGINS_READY`] action. A plugin that fails (and so
    /// every plugin depending on it) is left `Failed` with its reason; the
    /// others start regardless.
    ///
    /// # Errors
    /// [`ManagerError::Hooks`] if `plugins:ready` is bound to another type.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// use plinth_runtime::{Manager, Metadata, Plugin, PluginState};
    /// struct Api;
    /// impl Plugin for Api {
    ///     fn metadata(&self) -> Metadata { Metadata::new("api", "1.0.0").with_dependency("db", "1") }
    /// }
    /// let mut manager = Manager::new();
    /// manager.register(Api)?;
    /// manager.initialize_all().await?;
    /// assert_eq!(manager.state("api"), Some(PluginState::Failed));
    /// assert_eq!(manager.reason("api").unwrap().to_string(), r#"missing dependency "db""#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn initialize_all(&mut self) -> Result<StartReport, ManagerError> {
        self.apply_faults().await;
        let graph = self.graph();
        let mut report = StartReport::default();
        for &i in &graph.order {
            let slot = &self.slots[i];
            let retry = slot.state == PluginState::Failed
                && matches!(slot.reason, Some(FailureReason::Cancelled { .. }));
            if slot.state == PluginState::Loaded || retry {
                let name = slot.meta.name().to_string();
                match self.start(i).await {
                    Ok(()) => report.started.push(name),
                    Err(reason) => report.failed.push((name, reason)),
                }
            }
        }
        self.publish_snapshot();
        let ready = PluginsReady {
            plugins: self.active_in_order(),
        };
        let hook = self.hooks.hook(&PLUGINS_READY)?;
        // Failing callbacks are queued by the fault interceptor.
        let _ = hook.call_async(ready).await;
        for name in self.apply_faults().await {
            // Started, then failed in a `plugins:ready` callback.
            if let Some(at) = report.started.iter().position(|n| *n == name) {
                report.started.remove(at);
                let reason = self.reason(&name).cloned();
                report.failed.extend(reason.map(|r| (name, r)));
            }
        }
        Ok(report)
    }

    /// Stops every active plugin in reverse start order (each ends
    /// `Disabled`, or `Failed` if its `destroy` fails).
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// # use plinth_runtime::{Manager, Metadata, Plugin, PluginState};
    /// # struct P;
    /// # impl Plugin for P { fn metadata(&self) -> Metadata { Metadata::new("p", "1.0.0") } }
    /// let mut manager = Manager::new();
    /// manager.register(P)?;
    /// manager.initialize_all().await?;
    /// manager.shutdown().await;
    /// assert_eq!(manager.state("p"), Some(PluginState::Disabled));
    /// assert!(manager.snapshot().plugins().is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn shutdown(&mut self) {
        self.apply_faults().await;
        let graph = self.graph();
        for &i in graph.order.iter().rev() {
            if self.slots[i].state == PluginState::Active {
                self.stop(i, None).await;
            }
        }
        self.publish_snapshot();
    }

    /// Disables an active plugin: first its active dependents (transitively,
    /// in reverse start order), then itself. Their hooks, subscriptions and
    /// services are removed even when `destroy` fails. Returns the plugins
    /// stopped, in order; disabling a disabled plugin does nothing.
    ///
    /// # Errors
    /// [`ManagerError::Unknown`], or [`ManagerError::IllegalTransition`]
    /// when the plugin is neither active nor disabled.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// # use plinth_runtime::{Manager, Metadata, Plugin};
    /// # struct P;
    /// # impl Plugin for P { fn metadata(&self) -> Metadata { Metadata::new("p", "1.0.0") } }
    /// let mut manager = Manager::new();
    /// manager.register(P)?;
    /// manager.initialize_all().await?;
    /// assert_eq!(manager.disable("p").await?, ["p"]);
    /// assert!(manager.disable("p").await?.is_empty());
    /// assert!(manager.disable("q").await.is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn disable(&mut self, name: &str) -> Result<Vec<String>, ManagerError> {
        self.apply_faults().await;
        let i = self.find(name)?;
        match self.slots[i].state {
            PluginState::Active => {}
            // Nothing of it runs: there is nothing to disable.
            PluginState::Disabled | PluginState::Failed => return Ok(Vec::new()),
            from => {
                return Err(ManagerError::IllegalTransition {
                    plugin: name.to_string(),
                    from,
                    to: PluginState::Destroying,
                })
            }
        }
        let going = self.active_dependents(i);
        let mut stopped = Vec::with_capacity(going.len());
        let mut failed = Vec::new();
        for &j in going.iter().rev() {
            self.stop(j, None).await;
            let name = self.slots[j].meta.name().to_string();
            if let Some(reason) = &self.slots[j].reason {
                failed.push((name.clone(), reason.clone()));
            }
            stopped.push(name);
        }
        self.publish_snapshot();
        if failed.is_empty() {
            Ok(stopped)
        } else {
            Err(ManagerError::StoppedWithFailures {
                plugin: name.to_string(),
                stopped,
                failed,
            })
        }
    }

    /// Enables a plugin: first its required dependencies (transitively, in
    /// start order), then itself. Works on a disabled plugin, on one never
    /// started, and on a failed one (it is validated again: the retry once
    /// the cause is fixed). Returns the plugins started, in order; enabling
    /// an active plugin does nothing.
    ///
    /// # Errors
    /// [`ManagerError::Unknown`], or [`ManagerError::NotStarted`] with the
    /// reason (naming the root cause) when the plugin could not start.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// # use plinth_runtime::{Manager, Metadata, Plugin};
    /// struct P(&'static str, &'static str);
    /// impl Plugin for P {
    ///     fn metadata(&self) -> Metadata { Metadata::new(self.0, self.1) }
    /// }
    /// struct Api;
    /// impl Plugin for Api {
    ///     fn metadata(&self) -> Metadata { Metadata::new("api", "1.0.0").with_dependency("db", "^2") }
    /// }
    /// let mut manager = Manager::new();
    /// manager.register(Api)?;
    /// manager.initialize_all().await?; // api fails: db is missing
    /// manager.register(P("db", "2.1.0"))?; // the cause is fixed
    /// assert_eq!(manager.enable("api").await?, ["db", "api"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn enable(&mut self, name: &str) -> Result<Vec<String>, ManagerError> {
        self.apply_faults().await;
        let i = self.find(name)?;
        if self.slots[i].state == PluginState::Active {
            return Ok(Vec::new());
        }
        let needed = self.required_closure(i);
        let mut started = Vec::new();
        let mut outcome = Ok(());
        for &j in &needed {
            if self.slots[j].state == PluginState::Active {
                continue;
            }
            let result = self.start(j).await;
            if result.is_ok() {
                started.push(self.slots[j].meta.name().to_string());
            }
            if j == i {
                outcome = result;
            }
        }
        if !started.is_empty() {
            self.publish_snapshot();
        }
        outcome
            .map(|()| started)
            .map_err(|reason| ManagerError::NotStarted {
                plugin: name.to_string(),
                reason,
            })
    }

    /// Applies the hook faults reported since the last operation: each
    /// active plugin whose callback failed or panicked is stopped and marked
    /// `Failed` (its registrations removed), and so are its active
    /// dependents, with a reason naming it. Every operation does this first;
    /// call it directly to react sooner. Returns the plugins failed.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// use plinth_hooks::{Action, Key};
    /// use plinth_runtime::{Context, Manager, Metadata, Plugin, PluginState};
    ///
    /// const TICK: Key<Action<u32>> = Key::new("tick");
    /// struct Fragile;
    /// impl Plugin for Fragile {
    ///     fn metadata(&self) -> Metadata { Metadata::new("fragile", "1.0.0") }
    ///     fn initialize(&mut self, ctx: &Context) -> Result<(), plinth_hooks::BoxError> {
    ///         ctx.hooks().on(&TICK)?.try_tap(|_| Err("broken".into()));
    ///         Ok(())
    ///     }
    /// }
    /// let mut manager = Manager::new();
    /// manager.register(Fragile)?;
    /// manager.initialize_all().await?;
    /// assert!(manager.hooks().hook(&TICK)?.call(&1).is_err()); // the host keeps running
    /// assert_eq!(manager.apply_faults().await, ["fragile"]);
    /// assert_eq!(manager.state("fragile"), Some(PluginState::Failed));
    /// assert_eq!(manager.hooks().hook(&TICK)?.len(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn apply_faults(&mut self) -> Vec<String> {
        self.recover().await;
        let mut failed = Vec::new();
        if self.faults.is_empty() {
            return failed;
        }
        for fault in self.faults.take() {
            let Some(&i) = self.index.get(fault.activation.urn().as_str()) else {
                continue; // not a plugin of ours
            };
            let current = self.slots[i]
                .activation
                .as_ref()
                .is_some_and(|a| Arc::ptr_eq(a, &fault.activation));
            if self.slots[i].state != PluginState::Active || !current {
                continue; // of an activation that has ended meanwhile
            }
            let root = FailureReason::Hook {
                hook: fault.hook,
                fault: fault.fault,
            };
            let going = self.active_dependents(i);
            let reasons = self.cascade_reasons(&going, root);
            for (&j, reason) in going.iter().zip(reasons).rev() {
                self.stop(j, Some(reason)).await;
                failed.push(self.slots[j].meta.name().to_string());
            }
        }
        if !failed.is_empty() {
            self.publish_snapshot();
        }
        failed
    }

    /// Every registered plugin in registration order, with its state,
    /// reason, dependencies and dependents.
    ///
    /// ```
    /// assert!(plinth_runtime::Manager::new().list().is_empty());
    /// ```
    pub fn list(&self) -> Vec<PluginInfo> {
        let graph = self.graph();
        self.slots
            .iter()
            .enumerate()
            .map(|(i, slot)| {
                let mut dependents: Vec<usize> = graph.required_by[i]
                    .iter()
                    .chain(&graph.optional_of[i])
                    .copied()
                    .collect();
                dependents.sort_unstable();
                dependents.dedup();
                PluginInfo {
                    name: slot.meta.name().to_string(),
                    version: slot.meta.version().clone(),
                    description: slot.meta.description().map(str::to_string),
                    state: slot.state,
                    reason: slot.reason.clone(),
                    dependencies: slot.meta.dependencies().to_vec(),
                    dependents: dependents
                        .into_iter()
                        .map(|d| self.slots[d].meta.name().to_string())
                        .collect(),
                }
            })
            .collect()
    }

    /// The state of a plugin, if registered.
    ///
    /// ```
    /// assert_eq!(plinth_runtime::Manager::new().state("x"), None);
    /// ```
    pub fn state(&self, name: &str) -> Option<PluginState> {
        self.index.get(name).map(|&i| self.slots[i].state)
    }

    /// Why a plugin failed, if it did.
    ///
    /// ```
    /// assert!(plinth_runtime::Manager::new().reason("x").is_none());
    /// ```
    pub fn reason(&self, name: &str) -> Option<&FailureReason> {
        self.index
            .get(name)
            .and_then(|&i| self.slots[i].reason.as_ref())
    }

    /// All registered plugins in start order (dependencies first, ties in
    /// registration order).
    ///
    /// ```
    /// assert!(plinth_runtime::Manager::new().start_order().is_empty());
    /// ```
    pub fn start_order(&self) -> Vec<String> {
        self.graph()
            .order
            .iter()
            .map(|&i| self.slots[i].meta.name().to_string())
            .collect()
    }

    fn find(&self, name: &str) -> Result<usize, ManagerError> {
        self.index
            .get(name)
            .copied()
            .ok_or_else(|| ManagerError::Unknown {
                plugin: name.to_string(),
            })
    }

    fn graph(&self) -> Arc<Graph> {
        self.graph
            .get_or_init(|| {
                let nodes: Vec<Node<'_>> = self
                    .slots
                    .iter()
                    .map(|s| Node {
                        name: s.meta.name(),
                        version: s.meta.version(),
                        dependencies: s.meta.dependencies(),
                    })
                    .collect();
                Arc::new(Graph::build(&nodes))
            })
            .clone()
    }

    fn active_in_order(&self) -> Vec<String> {
        self.graph()
            .order
            .iter()
            .filter(|&&i| self.slots[i].state == PluginState::Active)
            .map(|&i| self.slots[i].meta.name().to_string())
            .collect()
    }

    /// `i` and its active dependents (transitively), in start order.
    fn active_dependents(&self, i: usize) -> Vec<usize> {
        let graph = self.graph();
        self.reach(i, &graph.required_by, |k| {
            self.slots[k].state == PluginState::Active
        })
    }

    /// `i` and its required dependencies (transitively), in start order.
    fn required_closure(&self, i: usize) -> Vec<usize> {
        let graph = self.graph();
        self.reach(i, &graph.requires, |_| true)
    }

    /// `i` and every plugin reached from it along `edges` through plugins
    /// `follow` accepts, in start order.
    fn reach(&self, i: usize, edges: &[Vec<usize>], follow: impl Fn(usize) -> bool) -> Vec<usize> {
        let mut seen = vec![false; self.slots.len()];
        let mut stack = vec![i];
        let mut found = Vec::new();
        seen[i] = true;
        while let Some(j) = stack.pop() {
            found.push(j);
            for &k in &edges[j] {
                if !seen[k] && follow(k) {
                    seen[k] = true;
                    stack.push(k);
                }
            }
        }
        let graph = self.graph();
        found.sort_by_key(|&j| graph.rank[j]);
        found
    }

    /// The reason of each plugin in `going` (start order, `going[0]` the
    /// root): the root's own, and for the others the failure of the first
    /// dependency that goes down with it.
    fn cascade_reasons(&self, going: &[usize], root: FailureReason) -> Vec<FailureReason> {
        let graph = self.graph();
        let position: HashMap<usize, usize> =
            going.iter().enumerate().map(|(p, &g)| (g, p)).collect();
        let mut reasons: Vec<FailureReason> = Vec::with_capacity(going.len());
        reasons.push(root);
        for &j in &going[1..] {
            let (pos, d) = graph.requires[j]
                .iter()
                .find_map(|d| position.get(d).map(|&p| (p, *d)))
                .unwrap_or((0, going[0]));
            let reason = FailureReason::dependency_failed(self.slots[d].meta.name(), &reasons[pos]);
            reasons.push(reason);
        }
        reasons
    }

    /// Why `i` cannot start now because of a dependency, if so.
    fn dependency_problem(&self, i: usize, graph: &Graph) -> Option<FailureReason> {
        graph.requires[i].iter().find_map(|&d| {
            let dep = &self.slots[d];
            match dep.state {
                PluginState::Active => None,
                PluginState::Failed => Some(FailureReason::dependency_failed(
                    dep.meta.name(),
                    &dep.reason
                        .clone()
                        .unwrap_or(FailureReason::DependencyInactive {
                            dependency: dep.meta.name().to_string(),
                            state: dep.state,
                        }),
                )),
                state => Some(FailureReason::DependencyInactive {
                    dependency: dep.meta.name().to_string(),
                    state,
                }),
            }
        })
    }

    /// Takes `i` to `Active`, through validation when it was never started
    /// or failed. A disabled plugin whose dependencies are not active stays
    /// disabled. The error is the reason it did not start.
    async fn start(&mut self, i: usize) -> Result<(), FailureReason> {
        let graph = self.graph();
        match self.slots[i].state {
            PluginState::Active => return Ok(()),
            PluginState::Loaded | PluginState::Failed => {
                self.transition(i, PluginState::Validating, None);
                let problem = graph.problem[i]
                    .clone()
                    .or_else(|| self.dependency_problem(i, &graph));
                if let Some(reason) = problem {
                    self.transition(i, PluginState::Failed, Some(reason.clone()));
                    return Err(reason);
                }
                self.transition(i, PluginState::Ready, None);
            }
            PluginState::Disabled => {
                if let Some(reason) = self.dependency_problem(i, &graph) {
                    return Err(reason);
                }
            }
            from => {
                // Transient states never outlive an operation.
                return Err(FailureReason::DependencyInactive {
                    dependency: self.slots[i].meta.name().to_string(),
                    state: from,
                });
            }
        }
        self.transition(i, PluginState::Initializing, None);
        let activation = Arc::new(Activation::new(self.slots[i].urn.clone()));
        self.faults.begin(&activation);
        self.slots[i].activation = Some(activation.clone());
        // If this future is dropped while the plugin initializes, what it
        // registered must not keep running: the guard removes it at once
        // (the state is settled by the next operation, see `recover`).
        let abandon = Abandon {
            activation: Some(activation),
            hooks: self.hooks.clone(),
            bus: self.bus.clone(),
            services: self.services.clone(),
            faults: self.faults.clone(),
        };
        let result = self.initialize(i).await;
        abandon.disarm();
        match result {
            Ok(entities) => {
                self.slots[i].entities = Some(entities);
                self.transition(i, PluginState::Active, None);
                Ok(())
            }
            Err(reason) => {
                self.cleanup(i);
                self.transition(i, PluginState::Failed, Some(reason.clone()));
                Err(reason)
            }
        }
    }

    /// Builds the context, runs `initialize`, collects and checks the
    /// plugin's entities. On an entity error the plugin is destroyed again.
    async fn initialize(&mut self, i: usize) -> Result<DynamicEntities<Value>, FailureReason> {
        let slot = &self.slots[i];
        let config = resolve_config(&self.config, slot.meta.name(), slot.meta.config_schema())
            .map_err(FailureReason::Config)?;
        let activation = slot.activation.clone().expect("set by start");
        let ctx = Context::new(
            activation,
            config,
            self.services.clone(),
            self.hooks.clone(),
            self.bus.clone(),
            self.faults.clone(),
        );
        let timeout = slot.meta.timeout().unwrap_or(self.timeout);
        let span = ctx.span().clone();
        let slot = &mut self.slots[i];
        let mut errors = InitializeErrors::default();
        let plugin = &mut slot.instance;
        let outcome = guarded_async(timeout, || {
            errors.inspect_async(plugin.initialize_async(&ctx))
        })
        .instrument(span.clone())
        .await;
        outcome.map_err(|fault| errors.reason(fault))?;
        let declared = catch_unwind(AssertUnwindSafe(|| slot.instance.register_hooks(&ctx)));
        let declared = match declared {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(Fault::Error(e.to_string())),
            Err(payload) => Err(Fault::Panic(panic_message(payload.as_ref()))),
        };
        if let Err(fault) = declared {
            self.destroy_quietly(i, timeout).await;
            return Err(FailureReason::Initialize(fault));
        }
        let entities = match catch_unwind(AssertUnwindSafe(|| slot.instance.entities())) {
            Ok(entities) => entities,
            Err(payload) => {
                let reason =
                    FailureReason::Initialize(Fault::Panic(panic_message(payload.as_ref())));
                self.destroy_quietly(i, timeout).await;
                return Err(reason);
            }
        };
        if let Err(e) = snapshot::build([(slot.meta.name(), &entities)]) {
            self.destroy_quietly(i, timeout).await;
            return Err(FailureReason::Entities(e));
        }
        Ok(entities)
    }

    async fn destroy_quietly(&mut self, i: usize, timeout: Duration) {
        if let Err(fault) = self.destroy(i, timeout).await {
            tracing::warn!(plugin = %self.slots[i].urn, "destroy after a failed start {fault}");
        }
    }

    async fn destroy(&mut self, i: usize, timeout: Duration) -> Result<(), Fault> {
        let slot = &mut self.slots[i];
        let span = plugin_span(&slot.urn);
        let plugin = &mut slot.instance;
        guarded_async(timeout, || plugin.destroy_async())
            .instrument(span)
            .await
    }

    /// Takes an active plugin down: `Destroying`, registrations removed,
    /// `destroy`, then `Disabled` — or `Failed` with `failure` (a hook fault
    /// or a failed dependency) or with the destroy fault.
    async fn stop(&mut self, i: usize, failure: Option<FailureReason>) {
        self.transition(i, PluginState::Destroying, None);
        // Removed before destroy, so no new callback reaches a plugin that
        // is releasing its resources...
        self.cleanup(i);
        let timeout = self.slots[i].meta.timeout().unwrap_or(self.timeout);
        // ...and destroy starts after the last call already running one of
        // its callbacks has returned (bounded by its timeout).
        if with_timeout(timeout, plinth_hooks::quiesce())
            .await
            .is_none()
        {
            tracing::warn!(
                plugin = %self.slots[i].urn,
                ?timeout,
                "hook calls still running after the timeout; destroying anyway"
            );
        }
        let destroyed = self.destroy(i, timeout).await;
        self.slots[i].entities = None;
        match (failure, destroyed) {
            (None, Ok(())) => self.transition(i, PluginState::Disabled, None),
            (None, Err(fault)) => {
                self.transition(i, PluginState::Failed, Some(FailureReason::Destroy(fault)))
            }
            (Some(reason), destroyed) => {
                if let Err(fault) = destroyed {
                    tracing::warn!(plugin = %self.slots[i].urn, "destroy {fault}");
                }
                self.transition(i, PluginState::Failed, Some(reason));
            }
        }
    }

    /// Ends the plugin's activation (its context refuses registrations)
    /// and removes everything it registered.
    fn cleanup(&mut self, i: usize) {
        match &self.slots[i].activation {
            Some(activation) => withdraw(
                activation,
                &self.hooks,
                &self.bus,
                &self.services,
                &self.faults,
            ),
            None => {
                let urn = &self.slots[i].urn;
                self.hooks.remove_owner(urn);
                self.bus.remove_owner(urn);
                self.services.remove_owner(urn);
            }
        }
    }

    /// Settles the plugins a cancelled operation left half-way (its future
    /// was dropped while they started or stopped): their registrations are
    /// gone already (`Abandon`, or removed before `destroy`); a plugin
    /// caught initializing is destroyed again, and both end `Failed` with
    /// [`FailureReason::Cancelled`], from which `enable` (and
    /// `initialize_all`) start them again.
    async fn recover(&mut self) {
        let mut settled = false;
        for i in 0..self.slots.len() {
            let during = match self.slots[i].state {
                PluginState::Validating | PluginState::Ready => {
                    // No await between these and `Initializing`: only a
                    // panic in a callback of a state change leaves them.
                    "initialize"
                }
                PluginState::Initializing => {
                    self.cleanup(i);
                    let timeout = self.slots[i].meta.timeout().unwrap_or(self.timeout);
                    self.destroy_quietly(i, timeout).await;
                    "initialize"
                }
                PluginState::Destroying => {
                    self.cleanup(i);
                    "destroy"
                }
                _ => continue,
            };
            self.slots[i].entities = None;
            let reason = FailureReason::Cancelled { during };
            if self.slots[i].state != PluginState::Initializing
                && self.slots[i].state != PluginState::Destroying
            {
                // Validating -> Failed is allowed; Ready is moved through
                // Initializing to keep to the transition table.
                if self.slots[i].state == PluginState::Ready {
                    self.transition(i, PluginState::Initializing, None);
                }
            }
            self.transition(i, PluginState::Failed, Some(reason));
            settled = true;
        }
        if settled {
            self.publish_snapshot();
        }
    }

    fn transition(&mut self, i: usize, to: PluginState, reason: Option<FailureReason>) {
        let slot = &mut self.slots[i];
        let from = slot.state;
        debug_assert!(allowed(from, to), "illegal transition {from} -> {to}");
        if !allowed(from, to) {
            // A bug in the manager, not bad input: report it, keep running.
            tracing::error!(plugin = %slot.urn, %from, %to, "illegal lifecycle transition refused");
            return;
        }
        slot.state = to;
        slot.reason = reason.clone();
        match &reason {
            Some(reason) => {
                tracing::warn!(plugin = %slot.urn, %from, %to, %reason, "plugin failed")
            }
            None => tracing::debug!(plugin = %slot.urn, %from, %to, "plugin state"),
        }
        let change = StateChange {
            plugin: slot.urn.clone(),
            from,
            to,
            reason,
        };
        // A failing subscriber is reported by the bus and queued as a fault
        // of its owner; the transition itself stands.
        let _ = self.bus.publish(&STATE_CHANGED, &change);
    }

    fn publish_snapshot(&self) {
        let graph = self.graph();
        let active = graph.order.iter().filter_map(|&i| {
            let slot = &self.slots[i];
            match (slot.state, &slot.entities) {
                (PluginState::Active, Some(entities)) => Some((slot.meta.name(), entities)),
                _ => None,
            }
        });
        match snapshot::build(active) {
            Ok(host) => self.snapshots.store(host),
            // Each plugin's entities were checked alone when it started and
            // the missing types are filled in, so this is not expected.
            Err(e) => tracing::error!("host snapshot not published: {e}"),
        }
    }
}

impl std::fmt::Debug for Manager {
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

async fn guarded_async<'a>(
    timeout: Duration,
    make: impl FnOnce() -> futures::future::BoxFuture<'a, Result<(), plinth_hooks::BoxError>>,
) -> Result<(), Fault> {
    let future = match catch_unwind(AssertUnwindSafe(make)) {
        Ok(future) => future,
        Err(payload) => return Err(Fault::Panic(panic_message(payload.as_ref()))),
    };
    match with_timeout(timeout, AssertUnwindSafe(future).catch_unwind()).await {
        None => Err(Fault::Timeout(timeout)),
        Some(Err(payload)) => Err(Fault::Panic(panic_message(payload.as_ref()))),
        Some(Ok(Err(e))) => Err(Fault::Error(e.to_string())),
        Some(Ok(Ok(()))) => Ok(()),
    }
}

/// `future`'s output, or `None` after `timeout`.
///
/// One timer for every case: a runtime-agnostic timer thread
/// (`futures-timer`). tokio's timer would panic in a tokio runtime built
/// without `enable_time`, and does not exist outside tokio.
async fn with_timeout<F: std::future::Future>(timeout: Duration, future: F) -> Option<F::Output> {
    let future = std::pin::pin!(future);
    let delay = futures_timer::Delay::new(timeout);
    match futures::future::select(future, delay).await {
        futures::future::Either::Left((output, _)) => Some(output),
        futures::future::Either::Right(((), _)) => None,
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a non-string payload".to_string()
    }
}

/// Withdraws an activation: its context refuses new registrations, then
/// everything its plugin registered is removed.
fn withdraw(
    activation: &Arc<Activation>,
    hooks: &Registry,
    bus: &MessageBus,
    services: &Services,
    faults: &FaultQueue,
) {
    // Retired first: a registration racing with this either landed before
    // (and is removed below) or is refused.
    activation.retire();
    let urn = activation.urn();
    hooks.remove_owner(urn);
    bus.remove_owner(urn);
    services.remove_owner(urn);
    faults.end(activation);
}

/// Withdraws a starting plugin's activation if the start is dropped before
/// [`disarm`](Self::disarm).
struct Abandon {
    activation: Option<Arc<Activation>>,
    hooks: Arc<Registry>,
    bus: Arc<MessageBus>,
    services: Arc<Services>,
    faults: Arc<FaultQueue>,
}

impl Abandon {
    fn disarm(mut self) {
        self.activation = None;
    }
}

impl Drop for Abandon {
    fn drop(&mut self) {
        if let Some(activation) = self.activation.take() {
            withdraw(
                &activation,
                &self.hooks,
                &self.bus,
                &self.services,
                &self.faults,
            );
        }
    }
}

/// What [`Manager::initialize_all`] did: the plugins it started and those
/// that failed, with their reasons (each failure is also logged as a
/// `tracing` warning).
///
/// ```
/// # futures::executor::block_on(async {
/// use plinth_runtime::{Manager, Metadata, Plugin};
/// struct Api;
/// impl Plugin for Api {
///     fn metadata(&self) -> Metadata { Metadata::new("api", "1.0.0").with_dependency("db", "1") }
/// }
/// let mut manager = Manager::new();
/// manager.register(Api)?;
/// let report = manager.initialize_all().await?;
/// assert!(report.started.is_empty());
/// assert_eq!(report.failed[0].0, "api");
/// assert!(!report.all_started());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct StartReport {
    /// The plugins started, in start order.
    pub started: Vec<String>,
    /// The plugins that failed, in start order, with why.
    pub failed: Vec<(String, FailureReason)>,
}

impl StartReport {
    /// Whether every plugin it tried started.
    ///
    /// ```
    /// assert!(plinth_runtime::StartReport::default().all_started());
    /// ```
    pub fn all_started(&self) -> bool {
        self.failed.is_empty()
    }
}
