//! One activation of a plugin: the span from a start to the stop that ends
//! it. A [`Context`](crate::Context) belongs to one activation; once it has
//! ended, the context refuses new registrations, and faults of its callbacks
//! no longer count against the plugin (they belong to a past activation).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{PoisonError, RwLock, RwLockReadGuard};

use plinth_core::PluginUrn;

const LIVE: u8 = 0;
const FAULTED: u8 = 1;
const RETIRED: u8 = 2;

/// The registration gate of one activation of a plugin.
#[derive(Debug)]
pub(crate) struct Activation {
    urn: PluginUrn,
    state: AtomicU8,
    // Registrations hold it shared while they check and register; retiring
    // holds it exclusively, so a registration either lands before the
    // manager's removal (and is removed by it) or is refused.
    gate: RwLock<()>,
}

impl Activation {
    pub(crate) fn new(urn: PluginUrn) -> Self {
        Activation {
            urn,
            state: AtomicU8::new(LIVE),
            gate: RwLock::new(()),
        }
    }

    pub(crate) fn urn(&self) -> &PluginUrn {
        &self.urn
    }

    /// Holds off [`retire`](Self::retire) while a registration is made;
    /// `Err` when the activation is over.
    pub(crate) fn register(&self) -> Result<RwLockReadGuard<'_, ()>, ContextError> {
        let guard = self.gate.read().unwrap_or_else(PoisonError::into_inner);
        match self.state.load(Ordering::Acquire) {
            LIVE => Ok(guard),
            _ => Err(ContextError::Retired {
                plugin: self.urn.to_string(),
            }),
        }
    }

    /// Marks the first fault; `true` only for the call that made it.
    pub(crate) fn fault(&self) -> bool {
        self.state
            .compare_exchange(LIVE, FAULTED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    /// Ends the activation: later registrations through its context fail.
    pub(crate) fn retire(&self) {
        let _gate = self.gate.write().unwrap_or_else(PoisonError::into_inner);
        self.state.store(RETIRED, Ordering::Release);
    }
}

/// A [`Context`](crate::Context) used after its plugin was stopped.
///
/// ```
/// use plinth_runtime::ContextError;
/// let e = ContextError::Retired { plugin: "audit".into() };
/// assert_eq!(e.to_string(), r#"plugin "audit": this context belongs to an activation that has ended (the plugin was stopped); registrations are refused"#);
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ContextError {
    /// The plugin was stopped (disabled, failed, shut down) after this
    /// context was made; a later start gets a new context.
    #[error(
        "plugin \"{plugin}\": this context belongs to an activation that has ended (the plugin was stopped); registrations are refused"
    )]
    Retired {
        /// The plugin.
        plugin: String,
    },
    /// The hook or topic is bound to another type.
    #[error(transparent)]
    Registry(#[from] plinth_hooks::RegistryError),
}
