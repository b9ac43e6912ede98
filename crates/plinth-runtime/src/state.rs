//! The lifecycle states and the one table of the
//! transitions between them.

use std::fmt;

use plinth_core::PluginUrn;
use plinth_hooks::{Action, Key, Topic};

use crate::FailureReason;

/// Where a plugin is in its lifecycle.
///
/// ```text
/// Discovered -> Loaded -> Validating -> Ready -> Initializing -> Active
///                          |                       |              |
///                          v                       v              v
///                        Failed <------------- (error)       Destroying -> Disabled
///                          |                                       |          |
///                          +--> Validating (retry)   Failed <------+          +--> Initializing
/// ```
///
/// ```
/// use plinth_runtime::PluginState::*;
/// assert!(Active.can_become(Destroying));
/// assert!(!Active.can_become(Disabled)); // destroy() always runs in between
/// assert_eq!(Failed.to_string(), "failed");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PluginState {
    /// Found (the instance exists), not yet accepted by the manager.
    Discovered,
    /// Registered with the manager, never started.
    Loaded,
    /// Its dependencies are being checked.
    Validating,
    /// Dependencies satisfied; about to initialize.
    Ready,
    /// `initialize` is running.
    Initializing,
    /// Running: its hooks and subscriptions are live and it is in the snapshot.
    Active,
    /// `destroy` is running.
    Destroying,
    /// Stopped cleanly; `enable` starts it again.
    Disabled,
    /// Stopped by a fault; the reason says why. `enable` retries.
    Failed,
}

impl PluginState {
    /// Whether the lifecycle allows going from `self` to `to`: the seed's
    /// edges plus `Destroying -> Failed` (destroy failed),
    /// `Failed -> Validating` (retry after the cause is fixed) and
    /// `Disabled -> Validating` (a plugin the replacement of another left
    /// with a problem, such as a dependency's version it no longer
    /// accepts).
    ///
    /// ```
    /// use plinth_runtime::PluginState::*;
    /// assert!(Failed.can_become(Validating));
    /// assert!(Disabled.can_become(Initializing));
    /// assert!(!Loaded.can_become(Active));
    /// ```
    pub fn can_become(self, to: PluginState) -> bool {
        allowed(self, to)
    }
}

/// The transition table, in one place.
///
/// ```
/// use plinth_runtime::{allowed, PluginState::*};
/// assert!(allowed(Validating, Failed));
/// assert!(!allowed(Disabled, Active));
/// ```
pub fn allowed(from: PluginState, to: PluginState) -> bool {
    use PluginState::*;
    matches!(
        (from, to),
        (Discovered, Loaded)
            | (Loaded, Validating)
            | (Validating, Ready)
            | (Validating, Failed)
            | (Ready, Initializing)
            | (Initializing, Active)
            | (Initializing, Failed)
            | (Active, Destroying)
            | (Destroying, Disabled)
            | (Disabled, Initializing)
            // Not in the seed's diagram, documented in ADRs 007 and 044:
            | (Destroying, Failed)
            | (Failed, Validating)
            | (Disabled, Validating)
    )
}

impl fmt::Display for PluginState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PluginState::Discovered => "discovered",
            PluginState::Loaded => "loaded",
            PluginState::Validating => "validating",
            PluginState::Ready => "ready",
            PluginState::Initializing => "initializing",
            PluginState::Active => "active",
            PluginState::Destroying => "destroying",
            PluginState::Disabled => "disabled",
            PluginState::Failed => "failed",
        })
    }
}

/// One state change, as published on [`STATE_CHANGED`].
///
/// ```
/// use plinth_runtime::{PluginState, StateChange};
/// # use plinth_core::PluginUrn;
/// let change = StateChange {
///     plugin: PluginUrn::new("db")?,
///     from: PluginState::Initializing,
///     to: PluginState::Active,
///     reason: None,
/// };
/// assert_eq!(change.to_string(), "db: initializing -> active");
/// # Ok::<(), plinth_core::GuardError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct StateChange {
    /// The plugin.
    pub plugin: PluginUrn,
    /// The state it left.
    pub from: PluginState,
    /// The state it entered.
    pub to: PluginState,
    /// Why, when `to` is [`PluginState::Failed`].
    pub reason: Option<FailureReason>,
}

impl fmt::Display for StateChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} -> {}", self.plugin, self.from, self.to)?;
        if let Some(reason) = &self.reason {
            write!(f, " ({reason})")?;
        }
        Ok(())
    }
}

/// The bus topic every state change is published on. Subscribers must be
/// synchronous (state changes are published from inside manager operations).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use plinth_runtime::{Manager, STATE_CHANGED};
/// use plinth_core::PluginUrn;
///
/// let manager = Manager::new();
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let s = seen.clone();
/// manager.bus().subscribe(&STATE_CHANGED, PluginUrn::application(), move |c| {
///     s.lock().unwrap().push(c.to_string());
///     Ok(())
/// })?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const STATE_CHANGED: Topic<StateChange> = Topic::new("plugins:state-changed");

/// What [`PLUGINS_READY`] carries: the active plugins, in start order.
///
/// ```
/// use plinth_runtime::PluginsReady;
/// let ready = PluginsReady { plugins: vec!["db".into()] };
/// assert_eq!(ready.plugins, ["db"]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginsReady {
    /// The active plugins' names, in start order.
    pub plugins: Vec<String>,
}

/// The action the manager calls after `initialize_all` (the seed's
/// `plugins:ready` broadcast); async callbacks are awaited.
///
/// ```
/// use plinth_runtime::{Manager, PLUGINS_READY};
/// use plinth_core::PluginUrn;
///
/// let manager = Manager::new();
/// manager.hooks().hook(&PLUGINS_READY)?.tap(PluginUrn::application(), |ready| {
///     println!("{} plugins ready", ready.plugins.len());
/// });
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const PLUGINS_READY: Key<Action<PluginsReady>> = Key::new("plugins:ready");
