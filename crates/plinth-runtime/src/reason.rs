//! Why a plugin failed, typed, naming the root cause.

use std::sync::Arc;
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
/// let db = FailureReason::dependency_failed("db", &missing);
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
    /// A required dependency failed: directly (`dependency == origin`) or
    /// because a plugin further down its chain failed. Only the root cause
    /// is kept, shared: a chain of thousands of dependents costs one
    /// reason, not a nest of them.
    #[error(
        "dependency \"{dependency}\" failed{}: {cause}",
        via(dependency, origin)
    )]
    DependencyFailed {
        /// The dependency of this plugin that went down.
        dependency: String,
        /// The plugin whose own failure started the chain.
        origin: String,
        /// Why `origin` failed (never itself a `DependencyFailed`).
        cause: Arc<FailureReason>,
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
    /// A manager operation was cancelled (its future dropped) while this
    /// plugin was starting or stopping; its registrations were removed.
    /// Enabling it again retries.
    #[error("{during} was cancelled")]
    Cancelled {
        /// `"initialize"` or `"destroy"`.
        during: &'static str,
    },
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
            FailureReason::DependencyFailed { cause, .. } => cause,
            other => other,
        }
    }

    /// The reason of a plugin whose required `dependency` failed with
    /// `reason`: the root cause is shared, not nested.
    ///
    /// ```
    /// use plinth_runtime::FailureReason;
    /// let missing = FailureReason::MissingDependency { dependency: "pg".into() };
    /// let db = FailureReason::dependency_failed("db", &missing);
    /// let api = FailureReason::dependency_failed("api", &db);
    /// assert_eq!(api.to_string(), r#"dependency "api" failed because "db" failed: missing dependency "pg""#);
    /// assert_eq!(api.root_cause(), &missing);
    /// ```
    pub fn dependency_failed(dependency: &str, reason: &FailureReason) -> FailureReason {
        let (origin, cause) = match reason {
            FailureReason::DependencyFailed { origin, cause, .. } => {
                (origin.clone(), cause.clone())
            }
            own => (dependency.to_string(), Arc::new(own.clone())),
        };
        FailureReason::DependencyFailed {
            dependency: dependency.to_string(),
            origin,
            cause,
        }
    }
}

fn via(dependency: &str, origin: &str) -> String {
    if dependency == origin {
        String::new()
    } else {
        format!(" because \"{origin}\" failed")
    }
}
