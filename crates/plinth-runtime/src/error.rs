//! Errors of manager operations (a plugin's own failure is a
//! [`FailureReason`](crate::FailureReason), recorded on the plugin).

use crate::{FailureReason, MetadataError, PluginState};

/// A manager operation could not be carried out; each variant names the
/// plugin.
///
/// ```
/// use plinth_runtime::{ManagerError, PluginState};
/// let e = ManagerError::IllegalTransition { plugin: "db".into(), from: PluginState::Failed, to: PluginState::Destroying };
/// assert_eq!(e.to_string(), r#"plugin "db": cannot go from failed to destroying"#);
/// ```
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ManagerError {
    /// The plugin's metadata is unusable.
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    /// A plugin with this name is already registered.
    #[error("plugin \"{plugin}\" is already registered")]
    Duplicate {
        /// The name.
        plugin: String,
    },
    /// No plugin with this name is registered.
    #[error("no plugin named \"{plugin}\"")]
    Unknown {
        /// The name.
        plugin: String,
    },
    /// The operation would need a transition the lifecycle forbids.
    #[error("plugin \"{plugin}\": cannot go from {from} to {to}")]
    IllegalTransition {
        /// The plugin.
        plugin: String,
        /// Its state.
        from: PluginState,
        /// The state the operation needs.
        to: PluginState,
    },
    /// `enable` could not start the plugin.
    #[error("plugin \"{plugin}\" could not start: {reason}")]
    NotStarted {
        /// The plugin.
        plugin: String,
        /// Why (naming the root cause).
        reason: FailureReason,
    },
    /// A name the manager uses for its own hooks is bound to another type.
    #[error(transparent)]
    Hooks(#[from] plinth_hooks::RegistryError),
    /// [`Manager::replace_with`](crate::Manager::replace_with)'s
    /// registration registered no plugin of that name; the old plugin
    /// stays, running again if it was.
    #[error("plugin \"{plugin}\": the replacement registered no plugin of that name")]
    NotReplaced {
        /// The plugin to replace.
        plugin: String,
    },
    /// Stopping `plugin` stopped every plugin in `stopped`, but some ended
    /// `Failed` rather than `Disabled` (their `destroy` failed, panicked or
    /// timed out). Their registrations were removed all the same.
    #[error("plugin \"{plugin}\": stopped, but {}", failures(failed))]
    StoppedWithFailures {
        /// The plugin asked for.
        plugin: String,
        /// Every plugin stopped, in order.
        stopped: Vec<String>,
        /// Those that ended `Failed`, with why.
        failed: Vec<(String, FailureReason)>,
    },
}

fn failures(failed: &[(String, FailureReason)]) -> String {
    failed
        .iter()
        .map(|(plugin, reason)| format!("\"{plugin}\" failed: {reason}"))
        .collect::<Vec<_>>()
        .join("; ")
}
