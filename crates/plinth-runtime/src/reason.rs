//! Why a plugin failed, typed, naming the root cause.

use std::error::Error;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use plinth_core::GuardError;
use plinth_hooks::BoxError;
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
    /// The configuration is malformed, breaks the plugin's schema, or does
    /// not fit the type the plugin read it as (a [`ConfigError`] returned
    /// from `initialize`, directly or as the `source` of another error).
    #[error("{0}")]
    Config(ConfigError),
    /// The plugin's entities break a guard of the host.
    #[error("invalid entities: {0}")]
    Entities(GuardError),
    /// The plugin could not produce its entities
    /// ([`Plugin::try_entities`](crate::Plugin::try_entities) failed): for
    /// a plugin described by data, data that does not fit the application's
    /// entity schema.
    #[error("invalid entity data: {0}")]
    EntityData(String),
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

/// The configuration error in `error` or its chain of `source`s, if any.
fn config_error_in<'e>(error: &'e (dyn Error + 'static)) -> Option<&'e ConfigError> {
    std::iter::successors(Some(error), |&e| e.source()).find_map(|e| e.downcast_ref())
}

/// Files a failed `initialize` under the right reason. The manager's guard
/// keeps only the message of the error a plugin returns, so this looks at
/// the error on its way in ([`inspect`](Self::inspect) or
/// [`inspect_async`](Self::inspect_async) around the plugin's call), keeps
/// the [`ConfigError`] in it, and then turns the guard's fault into
/// [`FailureReason::Config`] rather than [`FailureReason::Initialize`]: a
/// type mismatch is fixed in the configuration, like a schema violation.
#[derive(Debug, Default)]
pub(crate) struct InitializeErrors {
    config: Option<ConfigError>,
}

impl InitializeErrors {
    /// Passes the plugin's `result` through unchanged, keeping a copy of
    /// the configuration error in it.
    pub(crate) fn inspect(&mut self, result: Result<(), BoxError>) -> Result<(), BoxError> {
        if let Err(error) = &result {
            self.config = config_error_in(&**error).cloned();
        }
        result
    }

    /// [`inspect`](Self::inspect) for an async `initialize`.
    pub(crate) fn inspect_async<'a>(
        &'a mut self,
        future: BoxFuture<'a, Result<(), BoxError>>,
    ) -> BoxFuture<'a, Result<(), BoxError>> {
        future.map(|result| self.inspect(result)).boxed()
    }

    /// The reason for an `initialize` that failed with `fault`.
    pub(crate) fn reason(self, fault: Fault) -> FailureReason {
        match (fault, self.config) {
            // Only a returned error can be the configuration's fault; a
            // panic or timeout stays one even after a handled mismatch.
            (Fault::Error(_), Some(config)) => FailureReason::Config(config),
            (fault, _) => FailureReason::Initialize(fault),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mismatch() -> ConfigError {
        ConfigError::Type {
            plugin: "p".into(),
            type_name: "u32",
            path: "/plugins/p/n".into(),
            message: "invalid type".into(),
        }
    }

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] Middle);

    #[derive(Debug, thiserror::Error)]
    #[error("middle")]
    struct Middle(#[source] ConfigError);

    fn filed(result: Result<(), BoxError>, fault: Fault) -> FailureReason {
        let mut errors = InitializeErrors::default();
        let _ = errors.inspect(result);
        errors.reason(fault)
    }

    #[test]
    fn a_config_error_anywhere_in_the_chain_is_filed_as_config() {
        let direct: BoxError = Box::new(mismatch());
        let wrapped: BoxError = Box::new(Outer(Middle(mismatch())));
        for error in [direct, wrapped] {
            let message = error.to_string();
            assert_eq!(
                filed(Err(error), Fault::Error(message)),
                FailureReason::Config(mismatch())
            );
        }
    }

    #[test]
    fn other_errors_panics_and_timeouts_stay_initialize_faults() {
        let other: BoxError = "no database".into();
        assert_eq!(
            filed(Err(other), Fault::Error("no database".into())),
            FailureReason::Initialize(Fault::Error("no database".into()))
        );
        let timeout = Fault::Timeout(Duration::from_secs(1));
        assert_eq!(
            filed(Ok(()), timeout.clone()),
            FailureReason::Initialize(timeout)
        );
    }

    #[test]
    fn an_async_initialize_is_inspected_when_it_finishes() {
        let mut errors = InitializeErrors::default();
        let future =
            errors.inspect_async(Box::pin(async { Err(Box::new(mismatch()) as BoxError) }));
        assert!(futures::executor::block_on(future).is_err());
        assert_eq!(
            errors.reason(Fault::Error("x".into())),
            FailureReason::Config(mismatch())
        );
    }
}
