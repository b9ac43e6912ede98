//! One plugin's way through the lifecycle: start (validation, context,
//! `initialize`, entities), stop (retire, remove, quiesce, `destroy`), the
//! one place that changes a state, and the recovery of what a cancelled
//! operation left.

use std::sync::Arc;
use std::time::Duration;

use plinth_core::EmptyEntities;
use plinth_hooks::{MessageBus, Registry};
use tracing::Instrument;

use super::Manager;
use super::timer::{caught, guarded_async, with_timeout};
use crate::activation::Activation;
use crate::context::plugin_span;
use crate::faults::FaultQueue;
use crate::reason::InitializeErrors;
use crate::{
    ConfigError, Context, FailureReason, Fault, PluginState, STATE_CHANGED, Services, StateChange,
    allowed, resolve_config, snapshot,
};

impl<S: EmptyEntities + 'static> Manager<S> {
    /// Takes `i` to `Active`, through validation when it was never started
    /// or failed. A disabled plugin whose dependencies are not active stays
    /// disabled. The error is the reason it did not start.
    pub(super) async fn start(&mut self, i: usize) -> Result<(), FailureReason> {
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
                // A problem of its own (a dependency missing, of a version
                // it does not accept) can only have come from a plugin
                // replaced since it was validated: it fails, named.
                if let Some(reason) = graph.problem[i].clone() {
                    self.transition(i, PluginState::Validating, None);
                    self.transition(i, PluginState::Failed, Some(reason.clone()));
                    return Err(reason);
                }
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
    pub(super) async fn initialize(&mut self, i: usize) -> Result<Arc<S>, FailureReason> {
        let slot = &self.slots[i];
        let config = resolve_config(&self.config, slot.meta.name(), slot.meta.config_schema())
            .map_err(|e| match (e, slot.meta.config_schema_origin()) {
                // Where to look: the schema's file, or its manifest.
                (ConfigError::InvalidSchema { plugin, message }, Some(origin)) => {
                    ConfigError::InvalidSchema {
                        plugin,
                        message: format!("{origin}: {message}"),
                    }
                }
                (e, _) => e,
            })
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
        let declared = caught(|| slot.instance.register_hooks(&ctx))
            .and_then(|registered| registered.map_err(|e| Fault::Error(e.to_string())));
        if let Err(fault) = declared {
            self.destroy_quietly(i, timeout).await;
            return Err(FailureReason::Initialize(fault));
        }
        let entities = match caught(|| slot.instance.try_entities()) {
            Ok(Ok(entities)) => Arc::new(entities),
            Ok(Err(e)) => {
                self.destroy_quietly(i, timeout).await;
                return Err(FailureReason::EntityData(e.to_string()));
            }
            Err(fault) => {
                self.destroy_quietly(i, timeout).await;
                return Err(FailureReason::Initialize(fault));
            }
        };
        if let Err(e) = snapshot::build([(slot.meta.name(), &entities)]) {
            self.destroy_quietly(i, timeout).await;
            return Err(FailureReason::Entities(e));
        }
        Ok(entities)
    }

    pub(super) async fn destroy_quietly(&mut self, i: usize, timeout: Duration) {
        if let Err(fault) = self.destroy(i, timeout).await {
            tracing::warn!(plugin = %self.slots[i].urn, "destroy after a failed start {fault}");
        }
    }

    pub(super) async fn destroy(&mut self, i: usize, timeout: Duration) -> Result<(), Fault> {
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
    pub(super) async fn stop(&mut self, i: usize, failure: Option<FailureReason>) {
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
    pub(super) fn cleanup(&mut self, i: usize) {
        // Set by `start` before anything can register; a plugin never
        // started has nothing to remove.
        if let Some(activation) = &self.slots[i].activation {
            withdraw(
                activation,
                &self.hooks,
                &self.bus,
                &self.services,
                &self.faults,
            );
        }
    }

    /// Settles the plugins a cancelled operation left half-way (its future
    /// was dropped while they started or stopped): their registrations are
    /// gone already (`Abandon`, or removed before `destroy`); a plugin
    /// caught initializing is destroyed again, and both end `Failed` with
    /// [`FailureReason::Cancelled`], from which `enable` (and
    /// `initialize_all`) start them again.
    pub(super) async fn recover(&mut self) {
        let mut settled = false;
        for i in 0..self.slots.len() {
            let during = match self.slots[i].state {
                // No await between these and `Initializing`: only a panic
                // in a callback of a state change leaves them.
                PluginState::Validating => "initialize",
                PluginState::Ready => {
                    // Through `Initializing`, to keep to the transition table.
                    self.transition(i, PluginState::Initializing, None);
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
            self.transition(i, PluginState::Failed, Some(reason));
            settled = true;
        }
        if settled {
            self.publish_snapshot();
        }
    }

    pub(super) fn transition(&mut self, i: usize, to: PluginState, reason: Option<FailureReason>) {
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

    pub(super) fn publish_snapshot(&self) {
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

/// Withdraws an activation: its context refuses new registrations, then
/// everything its plugin registered is removed.
pub(super) fn withdraw(
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
pub(super) struct Abandon {
    activation: Option<Arc<Activation>>,
    hooks: Arc<Registry>,
    bus: Arc<MessageBus>,
    services: Arc<Services>,
    faults: Arc<FaultQueue>,
}

impl Abandon {
    pub(super) fn disarm(mut self) {
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
