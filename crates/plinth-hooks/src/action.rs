//! Action hooks: a broadcast where every callback sees the same payload.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::{join_all, BoxFuture};
use plinth_core::PluginUrn;

use crate::core::{CallbackFn, Config, Core, State};
use crate::interceptor::{HookKind, Interceptor, Outcome};
use crate::{ActionError, BoxError, CallbackError, Handle, Tap};

pub(crate) type SyncFn<T> = Arc<dyn Fn(&T) -> Result<(), BoxError> + Send + Sync>;
type AsyncFn<T> = Arc<dyn Fn(Arc<T>) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

pub(crate) type ActionFn<T> = CallbackFn<SyncFn<T>, AsyncFn<T>>;

/// A broadcast hook (the seed's `broadcast`, tapable's `SyncHook` /
/// `AsyncSeriesHook` / `AsyncParallelHook`): every callback receives the same
/// payload; a failing or panicking callback does not stop the others, and
/// the call returns every failure attributed to its owner.
///
/// Sync callbacks receive `&T`; async ones an `Arc<T>` they may keep.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use plinth_hooks::{Action, PluginUrn};
///
/// let hook = Action::<String>::new("user:login");
/// let seen = Arc::new(AtomicUsize::new(0));
/// let s = seen.clone();
/// hook.tap(PluginUrn::new("audit")?, move |user| { s.fetch_add(user.len(), Ordering::SeqCst); });
/// hook.try_tap(PluginUrn::new("mail")?, |_| Err("smtp down".into()));
/// let err = hook.call(&"ada".to_string()).unwrap_err();
/// assert_eq!(seen.load(Ordering::SeqCst), 3); // audit ran
/// assert_eq!(err.failures[0].owner, "mail");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Action<T> {
    pub(crate) core: Core<ActionFn<T>>,
}

impl<T: Send + Sync + 'static> Action<T> {
    /// An empty hook with the default [`Config`].
    ///
    /// ```
    /// # use plinth_hooks::Action;
    /// let hook = Action::<u8>::new("tick");
    /// assert!(hook.call(&1).is_ok());
    /// ```
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        Self::with_config(name, Config::default())
    }

    /// An empty hook with the given settings.
    ///
    /// ```
    /// # use plinth_hooks::{Action, Config};
    /// let hook = Action::<u8>::with_config("tick", Config::default());
    /// ```
    pub fn with_config(name: impl Into<Arc<str>>, config: Config) -> Self {
        Action {
            core: Core::new(name.into(), HookKind::Action, config),
        }
    }

    /// The hook's name.
    ///
    /// ```
    /// # use plinth_hooks::Action;
    /// assert_eq!(Action::<u8>::new("tick").name(), "tick");
    /// ```
    pub fn name(&self) -> &str {
        &self.core.name
    }

    /// Number of registered callbacks.
    ///
    /// ```
    /// # use plinth_hooks::Action;
    /// assert_eq!(Action::<u8>::new("tick").len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.core.len()
    }

    /// Whether no callback is registered.
    ///
    /// ```
    /// # use plinth_hooks::Action;
    /// assert!(Action::<u8>::new("tick").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Registers an infallible sync callback.
    ///
    /// ```
    /// # use plinth_hooks::{Action, PluginUrn};
    /// let hook = Action::<u8>::new("tick");
    /// hook.tap(PluginUrn::new("p")?, |n| println!("tick {n}"));
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn tap(&self, tap: impl Into<Tap>, f: impl Fn(&T) + Send + Sync + 'static) -> Handle {
        self.try_tap(tap, move |v| {
            f(v);
            Ok(())
        })
    }

    /// Registers a fallible sync callback.
    ///
    /// ```
    /// # use plinth_hooks::{Action, PluginUrn};
    /// let hook = Action::<u8>::new("tick");
    /// hook.try_tap(PluginUrn::new("p")?, |n| if *n > 9 { Err("too big".into()) } else { Ok(()) });
    /// assert!(hook.call(&10).is_err());
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn try_tap(
        &self,
        tap: impl Into<Tap>,
        f: impl Fn(&T) -> Result<(), BoxError> + Send + Sync + 'static,
    ) -> Handle {
        self.core.register(tap.into(), ActionFn::Sync(Arc::new(f)))
    }

    /// Registers an async callback; only [`call_async`](Self::call_async)
    /// and [`call_parallel`](Self::call_parallel) run it.
    ///
    /// ```
    /// # use plinth_hooks::{Action, PluginUrn};
    /// let hook = Action::<u8>::new("tick");
    /// hook.tap_async(PluginUrn::new("p")?, |n| async move { println!("{n}"); Ok(()) });
    /// assert!(futures_executor::block_on(hook.call_async(1)).is_ok());
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn tap_async<F, Fut>(&self, tap: impl Into<Tap>, f: F) -> Handle
    where
        F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        let f: AsyncFn<T> = Arc::new(move |v| Box::pin(f(v)));
        self.core.register(tap.into(), ActionFn::Async(f))
    }

    /// Removes exactly the registration `handle` names.
    ///
    /// ```
    /// # use plinth_hooks::{Action, PluginUrn};
    /// let hook = Action::<u8>::new("tick");
    /// let h = hook.tap(PluginUrn::new("p")?, |_| {});
    /// assert!(hook.unregister(&h));
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn unregister(&self, handle: &Handle) -> bool {
        self.core.unregister(handle)
    }

    /// Removes every callback `owner` registered; returns how many.
    ///
    /// ```
    /// # use plinth_hooks::{Action, PluginUrn};
    /// let hook = Action::<u8>::new("tick");
    /// let p = PluginUrn::new("p")?;
    /// hook.tap(&p, |_| {});
    /// assert_eq!(hook.remove_owner(&p), 1);
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn remove_owner(&self, owner: &PluginUrn) -> usize {
        self.core.remove_owner(owner)
    }

    /// Installs an interceptor that observes every later invocation.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use plinth_hooks::{Action, CallInfo, Interceptor};
    /// struct Quiet;
    /// impl Interceptor for Quiet { fn on_call(&self, _: &CallInfo<'_>) {} }
    /// Action::<u8>::new("tick").intercept(Arc::new(Quiet));
    /// ```
    pub fn intercept(&self, interceptor: Arc<dyn Interceptor>) {
        self.core.intercept(interceptor)
    }

    /// Calls every sync callback in order. An async callback cannot run in a
    /// sync call: each is skipped and reported as
    /// [`Fault::AsyncInSyncCall`](crate::Fault::AsyncInSyncCall) attributed
    /// to its owner, and the sync callbacks still all run (one mismatched
    /// subscriber must not silence a broadcast). Use
    /// [`call_async`](Self::call_async) to run both kinds.
    ///
    /// ```
    /// # use plinth_hooks::{Action, PluginUrn};
    /// let hook = Action::<u8>::new("tick");
    /// hook.tap(PluginUrn::new("p")?, |_| panic!("boom"));
    /// hook.tap(PluginUrn::new("q")?, |_| {});
    /// let err = hook.call(&1).unwrap_err();
    /// assert_eq!(err.failures.len(), 1);
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn call(&self, payload: &T) -> Result<(), ActionError> {
        self.core
            .with(|state| self.finish(broadcast_sync(&self.core, state, payload)))
    }

    /// Calls every callback in order, awaiting each async one before the
    /// next starts (tapable's `AsyncSeriesHook`).
    ///
    /// ```
    /// # use plinth_hooks::{Action, PluginUrn};
    /// let hook = Action::<u8>::new("tick");
    /// hook.tap(PluginUrn::new("sync")?, |_| {});
    /// hook.tap_async(PluginUrn::new("async")?, |_| async { Err("late".into()) });
    /// let err = futures_executor::block_on(hook.call_async(1)).unwrap_err();
    /// assert_eq!(err.failures[0].owner, "async");
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub async fn call_async(&self, payload: impl Into<Arc<T>>) -> Result<(), ActionError> {
        let payload = payload.into();
        let (_call, state) = self.core.load_for_call();
        let mut failures = Vec::new();
        for slot in state.slots.iter() {
            let started = Core::start(&state);
            let result = match &slot.callback {
                ActionFn::Sync(f) => self.core.run(|| f(&payload)),
                ActionFn::Async(f) => self.core.run_async(|| f(payload.clone())).await,
            };
            if let Some(e) = settle(&self.core, &state, slot, started, result) {
                failures.push(e);
            }
        }
        self.finish(failures)
    }

    /// Starts every callback, then awaits the async ones concurrently
    /// (tapable's `AsyncParallelHook`, the seed's `Promise.all` without its
    /// fail-fast). Sync callbacks run while the futures are being started.
    /// Failures are reported in registration order, not completion order.
    ///
    /// ```
    /// # use plinth_hooks::{Action, PluginUrn};
    /// let hook = Action::<u8>::new("tick");
    /// hook.tap_async(PluginUrn::new("a")?, |_| async { Err("a".into()) });
    /// hook.tap_async(PluginUrn::new("b")?, |_| async { Ok(()) });
    /// let err = futures_executor::block_on(hook.call_parallel(1)).unwrap_err();
    /// assert_eq!(err.failures.len(), 1);
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub async fn call_parallel(&self, payload: impl Into<Arc<T>>) -> Result<(), ActionError> {
        let payload = payload.into();
        let (_call, state) = self.core.load_for_call();
        let mut outcomes: Vec<Option<CallbackError>> = Vec::with_capacity(state.slots.len());
        let mut pending = Vec::new();
        for (i, slot) in state.slots.iter().enumerate() {
            match &slot.callback {
                ActionFn::Sync(f) => {
                    let started = Core::start(&state);
                    let result = self.core.run(|| f(&payload));
                    outcomes.push(settle(&self.core, &state, slot, started, result));
                }
                ActionFn::Async(f) => {
                    outcomes.push(None);
                    let (core, state, payload) = (&self.core, &state, payload.clone());
                    pending.push(async move {
                        let started = Core::start(state);
                        let result = core.run_async(|| f(payload)).await;
                        (i, settle(core, state, slot, started, result))
                    });
                }
            }
        }
        for (i, outcome) in join_all(pending).await {
            outcomes[i] = outcome;
        }
        self.finish(outcomes.into_iter().flatten().collect())
    }

    fn failed(&self, failures: Vec<CallbackError>) -> ActionError {
        ActionError {
            hook: self.core.name.clone(),
            failures,
        }
    }

    pub(crate) fn finish(&self, failures: Vec<CallbackError>) -> Result<(), ActionError> {
        if failures.is_empty() {
            Ok(())
        } else {
            Err(self.failed(failures))
        }
    }
}

/// Runs every sync callback of `state` on `payload`; returns the failures.
pub(crate) fn broadcast_sync<T>(
    core: &Core<ActionFn<T>>,
    state: &State<ActionFn<T>>,
    payload: &T,
) -> Vec<CallbackError> {
    let mut failures = Vec::new();
    for slot in state.slots.iter() {
        let ActionFn::Sync(f) = &slot.callback else {
            // Not the callback's fault but the caller's choice of a sync
            // call, so interceptors (fault accounting) are not told.
            failures.push(core.error(&slot.meta, crate::Fault::AsyncInSyncCall));
            continue;
        };
        let started = Core::start(state);
        let result = core.run(|| f(payload));
        if let Some(e) = settle(core, state, slot, started, result) {
            failures.push(e);
        }
    }
    failures
}

/// Reports one invocation and turns its fault into an attributed error.
pub(crate) fn settle<T>(
    core: &Core<ActionFn<T>>,
    state: &State<ActionFn<T>>,
    slot: &crate::tap::Slot<ActionFn<T>>,
    started: Option<std::time::Instant>,
    result: Result<(), crate::Fault>,
) -> Option<CallbackError> {
    match result {
        Ok(()) => {
            core.observe(state, &slot.meta, started, Outcome::Ok);
            None
        }
        Err(fault) => {
            core.observe(state, &slot.meta, started, Outcome::Failed(&fault));
            Some(core.error(&slot.meta, fault))
        }
    }
}

impl<T> std::fmt::Debug for Action<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Action")
            .field("name", &self.core.name)
            .finish_non_exhaustive()
    }
}
