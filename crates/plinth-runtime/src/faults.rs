//! Hook faults reported by dispatch, recorded for the manager.
//!
//! Hooks run on any thread while the manager may be in the middle of an
//! operation, so a fault is recorded here and the plugin is stopped at the
//! start of the next manager operation or by `Manager::apply_faults`
//! (ADR 009). Two things happen at once, on the failing call's thread:
//! the plugin's registrations are removed, so a broken plugin is not called
//! on every later request; and only the *first* fault of an activation is
//! queued, so the queue is bounded by the number of activations, however
//! many calls fail. A fault is tied to the activation whose callback
//! failed: one from a call still in flight across a disable and enable
//! never fails the fresh activation.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, RwLock, Weak};

use plinth_core::PluginUrn;
use plinth_hooks::{CallInfo, Interceptor, MessageBus, Outcome, Registry};

use crate::activation::Activation;

#[derive(Debug, Clone)]
pub(crate) struct HookFault {
    pub(crate) activation: Arc<Activation>,
    pub(crate) hook: String,
    pub(crate) fault: String,
}

#[derive(Debug, Default)]
struct Book {
    /// Registration id -> the activation that made it.
    registrations: HashMap<u64, Weak<Activation>>,
    /// Plugin -> its current activation (for registrations not made
    /// through a context, attributed by owner).
    current: HashMap<PluginUrn, Arc<Activation>>,
    queue: Vec<HookFault>,
}

#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    book: Mutex<Book>,
    // Weak: the registry and the bus hold this queue as an interceptor.
    targets: RwLock<(Weak<Registry>, Weak<MessageBus>)>,
}

impl FaultQueue {
    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn set_targets(&self, hooks: &Arc<Registry>, bus: &Arc<MessageBus>) {
        *self.targets.write().unwrap_or_else(PoisonError::into_inner) =
            (Arc::downgrade(hooks), Arc::downgrade(bus));
    }

    /// `activation` is now its plugin's current one.
    pub(crate) fn begin(&self, activation: &Arc<Activation>) {
        self.book()
            .current
            .insert(activation.urn().clone(), activation.clone());
    }

    /// `activation` made the registration `id`.
    pub(crate) fn track(&self, id: u64, activation: &Arc<Activation>) {
        self.book()
            .registrations
            .insert(id, Arc::downgrade(activation));
    }

    /// `activation` is over. Its registrations stay known (so that a late
    /// fault of one of its calls is not blamed on a later activation) until
    /// the activation itself is gone; those of activations already gone are
    /// dropped now.
    pub(crate) fn end(&self, activation: &Arc<Activation>) {
        let mut book = self.book();
        book.registrations.retain(|_, a| a.strong_count() > 0);
        if book
            .current
            .get(activation.urn())
            .is_some_and(|a| Arc::ptr_eq(a, activation))
        {
            book.current.remove(activation.urn());
        }
    }

    /// The oldest fault queued, left in the queue.
    pub(crate) fn first(&self) -> Option<HookFault> {
        self.book().queue.first().cloned()
    }

    /// Removes the oldest fault, once it has been dealt with.
    pub(crate) fn pop_first(&self) {
        let mut book = self.book();
        if !book.queue.is_empty() {
            book.queue.remove(0);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.book().queue.is_empty()
    }
}

impl Interceptor for FaultQueue {
    fn on_call(&self, call: &CallInfo<'_>) {
        let Outcome::Failed(fault) = call.outcome else {
            return;
        };
        // The application's own callbacks are nobody's plugin: no plugin
        // can be named like their owner, so there is nothing to look up.
        if call.owner.is_application() {
            return;
        }
        let activation = {
            let book = self.book();
            match book.registrations.get(&call.registration) {
                // `None` if that activation is gone: a past one.
                Some(made_by) => made_by.upgrade(),
                None => book.current.get(call.owner).cloned(),
            }
        };
        // Not a plugin's (the application's own callback), or of an
        // activation that has ended.
        let Some(activation) = activation else {
            return;
        };
        if !activation.fault() {
            return; // already faulted (or retired): queued once
        }
        self.book().queue.push(HookFault {
            activation: activation.clone(),
            hook: call.hook.to_string(),
            fault: fault.to_string(),
        });
        // Stop calling it now rather than at the next manager operation.
        // The activation is still the current one (the manager retires it,
        // and waits for calls like this one, before it starts another), so
        // its owner's registrations are all its own.
        let (hooks, bus) = self
            .targets
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(hooks) = hooks.upgrade() {
            hooks.remove_owner(activation.urn());
        }
        if let Some(bus) = bus.upgrade() {
            bus.remove_owner(activation.urn());
        }
    }

    // Only failures matter here: successful calls keep the fast path.
    fn every_call(&self) -> bool {
        false
    }
}
