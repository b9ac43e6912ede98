//! Why a plugin failed, typed, naming the root cause.

use std::time::Duration;

use plinth_core::GuardError;
use semver::{Version, VersionReq};

use crate::{ConfigError, PluginState};

/// How one call into a plugin went wrong.
///
/// ```
/// use plinth_runtime::Fault;
/// assert_eq!(Fault::Panic("boom".into()).to_string(), "panicked: boom");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Fault {
    /// It returned an error.
    #[error("failed: {0}")]
    Error(String),
    /// It panicked (the payload's message).
    #[error("panicked: {0}")]
    Panic(String),
    /// An async call took longer than the plugin's timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
}

/// Why a plugin is [`Failed`](PluginState::Failed). A failure caused by a
/// dependency wraps the dependency's own reason, so the message names the
/// root cause.
///
/// ```
/// use plinth_runtime::FailureReason;
/// let missing = FailureReason::MissingDependency { dependency: "pg".into() };
/// let db = FailureReason::DependencyFailed { dependency: "db".into(), cause: Box::new(missing.clone()) };
/// assert_eq!(db.to_string(), r#"dependency "db" failed: missing dependency "pg""#);
/// assert_eq!(db.root_cause(), &missing);
/// ```
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FailureReason {
    /// A required dependency is not registered.
    #[error("missing dependency \"{dependency}\"")]
    MissingDependency {
        /// Its name.
        dependency: String,
    },
    /// A required dependency's version is outside the declared range.
    #[error(
        "dependency \"{dependency}\" is version {found}, outside the required range \"{required}\""
    )]
    VersionMismatch {
        /// Its name.
        dependency: String,
        /// The declared range.
        required: VersionReq,
        /// The registered version.
        found: Version,
    },
    /// The plugin is on a cycle of required dependencies.
    #[error("dependency cycle: {}", path.join(" -> "))]
    Cycle {
        /// The cycle, starting and ending with the same plugin.
        path: Vec<String>,
    },
    /// A required dependency failed (its reason is the cause).
    #[error("dependency \"{dependency}\" failed: {cause}")]
    DependencyFailed {
        /// Its name.
        dependency: String,
        /// Why it failed.
        cause: Box<FailureReason>,
    },
    /// A required dependency is stopped (disabled, or never started).
    #[error("dependency \"{dependency}\" is {state}, not active")]
    DependencyInactive {
        /// Its name.
        dependency: String,
        /// Its state.
        state: PluginState,
    },
    /// The configuration does not satisfy the plugin's schema.
    #[error("{0}")]
    Config(ConfigError),
    /// The plugin's entities break a host guard (spec 004).
    #[error("invalid entities: {0}")]
    Entities(GuardError),
    /// `initialize` failed, panicked or timed out.
    #[error("initialize {0}")]
    Initialize(Fault),
    /// `destroy` failed, panicked or timed out.
    #[error("destroy {0}")]
    Destroy(Fault),
    /// One of its hook callbacks or bus subscribers failed or panicked.
    #[error("callback on hook \"{hook}\" {fault}")]
    Hook {
        /// The hook or topic.
        hook: String,
        /// What happened (`failed: ...` or `panicked: ...`).
        fault: String,
    },
}

impl FailureReason {
    /// The reason at the end of a chain of [`DependencyFailed`](Self::DependencyFailed).
    ///
    /// ```
    /// use plinth_runtime::FailureReason;
    /// let cycle = FailureReason::Cycle { path: vec!["a".into(), "b".into(), "a".into()] };
    /// assert_eq!(cycle.root_cause().to_string(), "dependency cycle: a -> b -> a");
    /// ```
    pub fn root_cause(&self) -> &FailureReason {
        match self {
            FailureReason::DependencyFailed { cause, .. } => cause.root_cause(),
            other => other,
        }
    }
}
