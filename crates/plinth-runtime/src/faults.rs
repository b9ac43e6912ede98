//! Hook faults reported by dispatch, queued for the manager.
//!
//! Hooks run on any thread, while the manager may be in the middle of an
//! operation; so faults are only recorded here and applied at the start of
//! the next manager operation or by `Manager::apply_faults` (ADR 009).

use std::sync::{Mutex, PoisonError};

use plinth_core::PluginUrn;
use plinth_hooks::{CallInfo, Interceptor, Outcome};

/// One failed or panicked callback, attributed to its owner.
#[derive(Debug, Clone)]
pub(crate) struct HookFault {
    pub(crate) owner: PluginUrn,
    pub(crate) hook: String,
    pub(crate) fault: String,
}

/// The interceptor installed on the manager's registry and bus.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    faults: Mutex<Vec<HookFault>>,
}

impl FaultQueue {
    pub(crate) fn take(&self) -> Vec<HookFault> {
        std::mem::take(&mut *self.faults.lock().unwrap_or_else(PoisonError::into_inner))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .is_empty()
    }
}

impl Interceptor for FaultQueue {
    fn on_call(&self, call: &CallInfo<'_>) {
        if let Outcome::Failed(fault) = call.outcome {
            self.faults
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(HookFault {
                    owner: call.owner.clone(),
                    hook: call.hook.to_string(),
                    fault: fault.to_string(),
                });
        }
    }

    // Only failures matter here: successful calls keep the fast path.
    fn every_call(&self) -> bool {
        false
    }
}
