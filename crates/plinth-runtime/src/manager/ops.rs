//! The operations an application calls: register, start everything, stop
//! everything, enable, disable, and applying queued hook faults.

use std::sync::{Arc, OnceLock};

use plinth_core::{EmptyEntities, PluginUrn};

use super::{Manager, Slot};
use crate::{
    FailureReason, ManagerError, Metadata, PLUGINS_READY, Plugin, PluginState, PluginsReady,
};

impl<S: EmptyEntities + 'static> Manager<S> {
    /// Registers a synchronous plugin (state `Discovered`, then `Loaded`).
    ///
    /// # Errors
    /// [`ManagerError::Metadata`] for unusable metadata,
    /// [`ManagerError::Duplicate`] when the name is taken (except once,
    /// inside [`replace_with`](Self::replace_with), for the plugin it
    /// replaces).
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
    pub fn register(&mut self, plugin: impl Plugin<S>) -> Result<(), ManagerError> {
        let meta = plugin.metadata();
        self.add(meta, Box::new(plugin))
    }

    pub(super) fn add(
        &mut self,
        meta: Metadata,
        instance: Box<dyn Plugin<S>>,
    ) -> Result<(), ManagerError> {
        meta.check()?;
        if let Some(&i) = self.index.get(meta.name()) {
            if self.takes_slot(i, meta.name()) {
                self.swap(i, meta, instance);
                return Ok(());
            }
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
                });
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
        let mut report = StartReport::default();
        let outcome = self.start_needed(i, &mut report).await;
        if !report.started.is_empty() {
            self.publish_snapshot();
        }
        outcome
            .map(|()| report.started)
            .map_err(|reason| ManagerError::NotStarted {
                plugin: name.to_string(),
                reason,
            })
    }

    /// Starts `i` after those of its required dependencies that are not
    /// active, in start order, recording each in `report`; `i`'s outcome.
    /// A dependency that fails, here or earlier in `report`, is the root
    /// cause of the plugins after it.
    pub(super) async fn start_needed(
        &mut self,
        i: usize,
        report: &mut StartReport,
    ) -> Result<(), FailureReason> {
        let graph = self.graph();
        let mut outcome = Ok(());
        for j in self.required_closure(i) {
            if self.slots[j].state == PluginState::Active {
                continue;
            }
            // A dependency that did not start (as `report` records): `j`
            // fails for its root cause, where `start` would only find the
            // dependency not active (a disabled plugin whose dependency
            // fails stays disabled).
            let root = graph.requires[j].iter().find_map(|&d| {
                let dependency = self.slots[d].meta.name();
                report
                    .failed
                    .iter()
                    .find(|(name, _)| name == dependency)
                    .map(|(_, reason)| FailureReason::dependency_failed(dependency, reason))
            });
            let result = match root {
                // Disabled it stays, as `start` would leave it.
                Some(root) if self.slots[j].state == PluginState::Disabled => Err(root),
                // Loaded or failed, `start` records its failure; the answer
                // names the root cause.
                Some(root) => self.start(j).await.map_err(|_| root),
                None => self.start(j).await,
            };
            let name = self.slots[j].meta.name().to_string();
            match &result {
                Ok(()) => report.started.push(name),
                Err(reason) => report.failed.push((name, reason.clone())),
            }
            if j == i {
                outcome = result;
            }
        }
        outcome
    }

    /// Applies the hook faults reported since the last operation: each
    /// active plugin whose callback failed or panicked is stopped and marked
    /// `Failed` (its registrations removed), and so are its active
    /// dependents, with a reason naming it. Every operation does this first;
    /// call it directly to react sooner. Returns the plugins failed.
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// use plinth_hooks::{Action, Hook, Key};
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
        // Each fault leaves the queue only once its cascade is done: an
        // operation dropped half-way leaves it for the next one, which
        // stops what is still active (a fault whose plugin no longer runs
        // that activation is skipped).
        while let Some(fault) = self.faults.first() {
            self.apply_fault(fault, &mut failed).await;
            self.faults.pop_first();
        }
        if !failed.is_empty() {
            self.publish_snapshot();
        }
        failed
    }

    /// Fails the plugin of `fault`, if it still runs the activation that
    /// faulted, and its active dependents; their names go to `failed`.
    async fn apply_fault(&mut self, fault: crate::faults::HookFault, failed: &mut Vec<String>) {
        let Some(&i) = self.index.get(fault.activation.urn().as_str()) else {
            return; // not a plugin of ours
        };
        let current = self.slots[i]
            .activation
            .as_ref()
            .is_some_and(|a| Arc::ptr_eq(a, &fault.activation));
        if self.slots[i].state != PluginState::Active || !current {
            return; // of an activation that has ended meanwhile
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
}

/// What [`Manager::initialize_all`] (or [`Manager::replace_with`]) did:
/// the plugins it started and those that did not start, with their
/// reasons. Each that failed is also logged as a `tracing` warning; one
/// that `replace_with` left disabled (a dependency it needs did not
/// start) is in `failed` only.
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
