//! Observing dispatch without changing it: the base for per-plugin metrics.

use std::time::Duration;

use plinth_core::PluginUrn;

use crate::Fault;

/// The kind of hook a call went through.
///
/// ```
/// use plinth_hooks::HookKind;
/// assert_eq!(HookKind::Filter.to_string(), "filter");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HookKind {
    /// Broadcast to every callback ([`Action`](crate::Action)).
    Action,
    /// Waterfall ([`Filter`](crate::Filter)).
    Filter,
    /// First result wins ([`Bail`](crate::Bail)).
    Bail,
    /// Broadcast replayed to late callbacks ([`Historic`](crate::Historic)).
    Historic,
}

impl std::fmt::Display for HookKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            HookKind::Action => "action",
            HookKind::Filter => "filter",
            HookKind::Bail => "bail",
            HookKind::Historic => "historic",
        })
    }
}

/// How one callback invocation ended.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// It returned normally (for a bail hook: without a value).
    Ok,
    /// A bail callback returned a value and stopped the chain.
    Bailed,
    /// It failed or panicked.
    Failed(&'a Fault),
}

/// One callback invocation, as seen by an [`Interceptor`].
#[derive(Debug, Clone, Copy)]
pub struct CallInfo<'a> {
    /// The hook's name.
    pub hook: &'a str,
    /// The hook's kind.
    pub kind: HookKind,
    /// The plugin that registered the callback.
    pub owner: &'a PluginUrn,
    /// The registration's name, if any.
    pub name: Option<&'a str>,
    /// The registration's identity: [`Handle::id`](crate::Handle::id) of
    /// the handle its `tap` returned.
    pub registration: u64,
    /// Wall-clock time of the callback (for async ones, until completion).
    pub duration: Duration,
    /// How it ended.
    pub outcome: Outcome<'a>,
}

/// Observes every callback invocation of the hooks it is installed on
/// ([`Hook::intercept`](crate::Hook::intercept), [`HookMap::intercept`](crate::HookMap::intercept),
/// [`Registry::intercept`](crate::Registry::intercept)).
///
/// Interceptors see results but cannot change them. While none is
/// installed, dispatch does not even read the clock. A panicking interceptor
/// is contained like a callback under [`PanicPolicy::Catch`](crate::PanicPolicy).
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use plinth_hooks::{CallInfo, Filter, Hook, Interceptor, PluginUrn};
///
/// #[derive(Default)]
/// struct Log(Mutex<Vec<String>>);
/// impl Interceptor for Log {
///     fn on_call(&self, call: &CallInfo<'_>) {
///         self.0.lock().unwrap().push(format!("{}:{}", call.hook, call.owner));
///     }
/// }
///
/// let log = Arc::new(Log::default());
/// let hook = Filter::<u8>::new("n");
/// hook.intercept(log.clone());
/// hook.tap(PluginUrn::new("inc")?, |n| n + 1);
/// assert_eq!(hook.call(1)?, 2);
/// assert_eq!(*log.0.lock().unwrap(), ["n:inc"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Interceptor: Send + Sync {
    /// Called after each callback invocation (or after each failure only,
    /// see [`every_call`](Self::every_call)).
    fn on_call(&self, call: &CallInfo<'_>);

    /// Whether this interceptor wants every invocation with its duration
    /// (the default) or failures only. Failure-only interceptors cost
    /// nothing on successful calls: no clock is read and the fast dispatch
    /// path stays on; the failures they receive carry a zero duration.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use plinth_hooks::{CallInfo, Filter, Hook, Interceptor, Outcome, PluginUrn};
    ///
    /// #[derive(Default)]
    /// struct Faults(Mutex<Vec<String>>);
    /// impl Interceptor for Faults {
    ///     fn on_call(&self, call: &CallInfo<'_>) {
    ///         if let Outcome::Failed(_) = call.outcome {
    ///             self.0.lock().unwrap().push(call.owner.to_string());
    ///         }
    ///     }
    ///     fn every_call(&self) -> bool { false }
    /// }
    ///
    /// let faults = Arc::new(Faults::default());
    /// let hook = Filter::<u8>::new("n");
    /// hook.intercept(faults.clone());
    /// hook.tap(PluginUrn::new("ok")?, |n| n + 1);
    /// hook.try_tap(PluginUrn::new("bad")?, |_| Err("no".into()));
    /// assert!(hook.call(1).is_err());
    /// assert_eq!(*faults.0.lock().unwrap(), ["bad"]);
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    fn every_call(&self) -> bool {
        true
    }
}
