//! Typed errors; each names the hook and, where one is at fault, the owner.

use std::fmt;
use std::sync::Arc;

use plinth_core::PluginUrn;

pub use plinth_core::BoxError;

/// What went wrong inside one callback.
///
/// ```
/// use plinth_hooks::Fault;
/// let fault = Fault::Panic("boom".into());
/// assert_eq!(fault.to_string(), "panicked: boom");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum Fault {
    /// The callback returned an error.
    #[error("failed: {0}")]
    Error(BoxError),
    /// The callback panicked and the hook's [`PanicPolicy`](crate::PanicPolicy)
    /// caught it; the payload's message when it was a string.
    #[error("panicked: {0}")]
    Panic(String),
    /// An async callback met a synchronous call and did not run. A filter or
    /// bail refuses before running anything (its chain would be broken); an
    /// action runs its sync callbacks and reports each async one.
    #[error("is async but the hook was called synchronously (use call_async)")]
    AsyncInSyncCall,
    /// A wrapper met an asynchronous call. Wrappers run around sync calls
    /// only, and a wrapper must see the whole chain or none of it, so the
    /// hook refuses before running anything.
    #[error("is a wrapper but the hook was called asynchronously (wrappers wrap sync calls)")]
    WrapperInAsyncCall,
}

/// A callback's failure, attributed to the hook and to the plugin that
/// registered the callback. Its fields are those of [`CallbackFailure`],
/// read through `Deref` (`err.owner`, `err.fault`).
///
/// The failure is boxed so that the error side of a hook's `Result` is one
/// word: with a one-word value, a call that succeeds returns in registers
/// instead of through a 72-byte block of memory.
///
/// ```
/// use plinth_hooks::{Filter, PluginUrn};
///
/// let hook = Filter::<u32>::new("price");
/// hook.try_tap(PluginUrn::new("tax")?, |_| Err("no rate".into()));
/// let err = hook.call(10).unwrap_err();
/// assert_eq!(err.owner, "tax");
/// assert_eq!(err.to_string(), "hook \"price\": callback of plugin \"tax\" failed: no rate");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct CallbackError(Box<CallbackFailure>);

/// What a [`CallbackError`] says: which hook, whose callback, what fault.
///
/// ```
/// use plinth_hooks::{CallbackError, CallbackFailure, Fault, PluginUrn};
/// let err = CallbackError::from(CallbackFailure {
///     hook: "h".into(),
///     owner: PluginUrn::new("p")?,
///     name: None,
///     fault: Fault::AsyncInSyncCall,
/// });
/// let failure: CallbackFailure = err.into_failure();
/// assert!(matches!(failure.fault, Fault::AsyncInSyncCall));
/// # Ok::<(), plinth_hooks::GuardError>(())
/// ```
#[derive(Debug)]
pub struct CallbackFailure {
    /// The hook's name.
    pub hook: Arc<str>,
    /// The plugin that registered the callback.
    pub owner: PluginUrn,
    /// The registration's name, if it was given one.
    pub name: Option<Arc<str>>,
    /// What happened.
    pub fault: Fault,
}

impl CallbackError {
    /// The failure, unboxed (to move its fields out).
    ///
    /// ```
    /// # use plinth_hooks::{CallbackError, Fault, Filter, PluginUrn};
    /// let hook = Filter::<u8>::new("n");
    /// hook.try_tap(PluginUrn::new("p")?, |_| Err("no".into()));
    /// let err = CallbackError::from(hook.call(1).unwrap_err());
    /// let Fault::Error(cause) = err.into_failure().fault else { panic!() };
    /// assert_eq!(cause.to_string(), "no");
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn into_failure(self) -> CallbackFailure {
        *self.0
    }
}

impl From<CallbackFailure> for CallbackError {
    fn from(failure: CallbackFailure) -> Self {
        CallbackError(Box::new(failure))
    }
}

impl std::ops::Deref for CallbackError {
    type Target = CallbackFailure;
    fn deref(&self) -> &CallbackFailure {
        &self.0
    }
}

impl fmt::Debug for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for CallbackError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "hook \"{}\": callback ", self.hook)?;
        if let Some(name) = &self.name {
            write!(f, "\"{name}\" ")?;
        }
        write!(f, "of plugin \"{}\" {}", self.owner, self.fault)
    }
}

impl std::error::Error for CallbackError {}

/// A failed filter call: the [`CallbackError`] that names the failing
/// callback's owner, and the value as it was before that callback, so that
/// the caller can carry on with the last good value (answer a request with
/// it, say) instead of losing it.
///
/// It reads as the `CallbackError` through `Deref` (`err.owner`,
/// `err.fault`), displays the same text and has the same `source()`; `?`
/// converts it into a `CallbackError` where the value is not wanted.
///
/// Whether the value survives depends on how the chain broke:
/// - a callback returned an error: kept. Fallible callbacks
///   ([`try_tap`](crate::Filter::try_tap),
///   [`tap_async`](crate::Filter::tap_async)) edit the value in place, so
///   failing does not consume it; they should fail before changing it,
///   since what they changed stays changed;
/// - the hook refused a sync call because an async callback is registered
///   ([`Fault::AsyncInSyncCall`]): kept, untouched, since nothing ran;
/// - a callback panicked: lost (`None`). A callback that takes the value
///   owns it when it unwinds, and one that edits it in place may have left
///   it half-changed, which is no good value to answer with.
///
/// ```
/// use plinth_hooks::{Filter, PluginUrn};
///
/// let hook = Filter::<Vec<&str>>::new("user:roles");
/// hook.tap(PluginUrn::new("base")?, |mut roles| { roles.push("reader"); roles });
/// hook.try_tap(PluginUrn::new("ldap")?, |_| Err("directory unreachable".into()));
/// let roles = match hook.call(vec![]) {
///     Ok(roles) => roles,
///     Err(err) => {
///         assert_eq!(err.owner, "ldap");
///         err.into_value().unwrap_or_default()
///     }
/// };
/// assert_eq!(roles, ["reader"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct FilterError<T>(Box<FilterFailure<T>>);

/// Boxed so that a filter's `Result<T, FilterError<T>>` stays two words
/// for a one-word `T`, as with [`CallbackError`].
struct FilterFailure<T> {
    error: CallbackError,
    value: Option<T>,
}

impl<T> FilterError<T> {
    pub(crate) fn new(error: CallbackError, value: Option<T>) -> Self {
        FilterError(Box::new(FilterFailure { error, value }))
    }

    /// The last good value, if it survived (see the type's docs).
    ///
    /// ```
    /// # use plinth_hooks::{Filter, PluginUrn};
    /// let hook = Filter::<u32>::new("n");
    /// hook.tap(PluginUrn::new("a")?, |n| n + 1);
    /// hook.try_tap(PluginUrn::new("b")?, |_| Err("no".into()));
    /// assert_eq!(hook.call(1).unwrap_err().value(), Some(&2));
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn value(&self) -> Option<&T> {
        self.0.value.as_ref()
    }

    /// The last good value, if it survived, dropping the error.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, PluginUrn};
    /// let hook = Filter::<u32>::new("n");
    /// hook.tap(PluginUrn::new("bad")?, |_| panic!("boom"));
    /// assert_eq!(hook.call(1).unwrap_err().into_value(), None);
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn into_value(self) -> Option<T> {
        self.0.value
    }

    /// The error and the last good value, to keep both.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, PluginUrn};
    /// let hook = Filter::<String>::new("s");
    /// hook.try_tap(PluginUrn::new("p")?, |_| Err("no".into()));
    /// let (error, value) = hook.call("x".into()).unwrap_err().into_parts();
    /// assert_eq!(error.owner, "p");
    /// assert_eq!(value.as_deref(), Some("x"));
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn into_parts(self) -> (CallbackError, Option<T>) {
        let failure = *self.0;
        (failure.error, failure.value)
    }
}

impl<T> std::ops::Deref for FilterError<T> {
    type Target = CallbackError;
    fn deref(&self) -> &CallbackError {
        &self.0.error
    }
}

impl<T> From<FilterError<T>> for CallbackError {
    fn from(error: FilterError<T>) -> Self {
        error.0.error
    }
}

// Not derived: `T` need not be `Debug` for `call(..).unwrap()` to compile.
impl<T> fmt::Debug for FilterError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilterError")
            .field("error", &self.0.error)
            .field("value_kept", &self.0.value.is_some())
            .finish()
    }
}

impl<T> fmt::Display for FilterError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0.error, f)
    }
}

impl<T> std::error::Error for FilterError<T> {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0.error.source()
    }
}

/// Every failure of one broadcast ([`Action`](crate::Action)) or publication
/// ([`MessageBus`](crate::MessageBus)): the other callbacks still ran.
///
/// ```
/// use plinth_hooks::{Action, PluginUrn};
///
/// let hook = Action::<()>::new("ready");
/// hook.try_tap(PluginUrn::new("a")?, |_| Err("a broke".into()));
/// hook.tap(PluginUrn::new("b")?, |_| {});
/// hook.try_tap(PluginUrn::new("c")?, |_| Err("c broke".into()));
/// let err = hook.call(&()).unwrap_err();
/// let owners: Vec<_> = err.failures.iter().map(|f| f.owner.as_str()).collect();
/// assert_eq!(owners, ["a", "c"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
pub struct ActionError {
    /// The hook's name.
    pub hook: Arc<str>,
    /// The failures in the order the callbacks are registered.
    pub failures: Vec<CallbackError>,
}

impl fmt::Display for ActionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "hook \"{}\": {} callback(s) failed",
            self.hook,
            self.failures.len()
        )?;
        for (i, failure) in self.failures.iter().enumerate() {
            let sep = if i == 0 { ": " } else { "; " };
            write!(f, "{sep}plugin \"{}\" {}", failure.owner, failure.fault)?;
        }
        Ok(())
    }
}

/// A name-keyed look-up that found the name bound to another hook type.
///
/// ```
/// use plinth_hooks::{Action, Filter, Key, Registry, RegistryError};
///
/// let registry = Registry::new();
/// registry.hook(&Key::<Filter<u32>>::new("x"))?;
/// let err = registry.hook(&Key::<Action<String>>::new("x")).unwrap_err();
/// assert!(matches!(err, RegistryError::TypeMismatch { .. }));
/// # Ok::<(), RegistryError>(())
/// ```
#[derive(Debug, Clone, thiserror::Error)]
pub enum RegistryError {
    /// The name is already used by a hook of another kind or payload type.
    #[error("hook \"{hook}\" is a {found}, not a {expected}")]
    TypeMismatch {
        /// The hook's name.
        hook: Arc<str>,
        /// The type asked for.
        expected: &'static str,
        /// The type registered under that name.
        found: &'static str,
    },
}

/// A listener filed under the key of another event (see
/// [`Emitter::from_entities`](crate::Emitter::from_entities)).
///
/// ```
/// use plinth_hooks::EmitterError;
/// # use plinth_hooks::PluginUrn;
/// let e = EmitterError::MismatchedListener {
///     plugin: PluginUrn::new("a")?,
///     key: "start".into(),
///     listens_to: "stop".into(),
/// };
/// assert_eq!(e.to_string(), "plugin \"a\": listener under \"start\" listens to \"stop\"");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, thiserror::Error)]
pub enum EmitterError {
    /// The entity key differs from the event the listener receives.
    #[error("plugin \"{plugin}\": listener under \"{key}\" listens to \"{listens_to}\"")]
    MismatchedListener {
        /// The plugin that provided the listener.
        plugin: PluginUrn,
        /// The entity key it was filed under.
        key: String,
        /// The event it receives.
        listens_to: String,
    },
}
