//! Action hooks: a broadcast where every callback sees the same payload.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::{BoxFuture, join_all};

use crate::core::{CallbackFn, Config, Core, State};
use crate::hook::sealed::Sealed;
use crate::interceptor::{HookKind, Outcome};
use crate::{ActionError, BoxError, CallbackError, Handle, Hook, Next, Tap};

pub(crate) type SyncFn<T> = Arc<dyn Fn(&T) -> Result<(), BoxError> + Send + Sync>;
type AsyncFn<T> = Arc<dyn Fn(Arc<T>) -> BoxFuture<'static, Result<(), BoxError>> + Send + Sync>;

/// A wrapper: the payload and the rest of the broadcast in, its result out.
pub(crate) type WrapFn<T> =
    Arc<dyn Fn(&T, Next<'_, Action<T>>) -> Result<(), ActionError> + Send + Sync>;

pub(crate) type ActionFn<T> = CallbackFn<SyncFn<T>, AsyncFn<T>>;

/// A broadcast hook (the seed's `broadcast`, tapable's `SyncHook` /
/// `AsyncSeriesHook` / `AsyncParallelHook`): every callback receives the same
/// payload; a failing or panicking callback does not stop the others, and
/// the call returns every failure attributed to its owner.
///
/// Sync callbacks receive `&T`; async ones an `Arc<T>` they may keep. A
/// wrapper ([`wrap`](Self::wrap)) runs around the whole broadcast. What
/// every kind shares (name, removal, interceptors) is the [`Hook`] trait.
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
    pub(crate) core: Core<ActionFn<T>, WrapFn<T>>,
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
        Self::create(name.into(), config)
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
        self.core.with(|state| self.dispatch(state, payload))
    }

    #[inline]
    pub(crate) fn dispatch(
        &self,
        state: &State<ActionFn<T>, WrapFn<T>>,
        payload: &T,
    ) -> Result<(), ActionError> {
        if !state.wrappers.is_empty() {
            return self.wrapped(state, 0, payload);
        }
        self.finish(broadcast_sync(&self.core, state, payload))
    }

    /// Runs the wrapper at `depth` around the rest; past the last one, the
    /// callbacks.
    fn wrapped(
        &self,
        state: &State<ActionFn<T>, WrapFn<T>>,
        depth: usize,
        payload: &T,
    ) -> Result<(), ActionError> {
        let Some(slot) = state.wrappers.get(depth) else {
            return self.finish(broadcast_sync(&self.core, state, payload));
        };
        let next = Next::new(self, state, depth + 1);
        let started = Core::start(state);
        match self.core.run(|| Ok((slot.callback)(payload, next))) {
            Ok(result) => {
                self.core.observe(state, &slot.meta, started, Outcome::Ok);
                result
            }
            Err(fault) => {
                self.core
                    .observe(state, &slot.meta, started, Outcome::Failed(&fault));
                Err(self.failed(vec![self.core.error(&slot.meta, fault)]))
            }
        }
    }

    /// Registers a wrapper (pluggy's `wrapper=True`): it runs around the
    /// rest of the broadcast, getting the payload and [`Next`], and its
    /// result is the call's. `next.call(payload)` runs the inner wrappers
    /// and then every callback, and returns their failures; the wrapper may
    /// pass them on, drop some, or not call `next` at all (then no callback
    /// runs).
    ///
    /// Wrappers are ordered and owned as in [`Filter::wrap`](crate::Filter::wrap):
    /// the first by priority is the outermost, [`Hook::remove_owner`]
    /// removes them. A panicking wrapper fails the call in its owner's
    /// name. Dropping a failure changes what the caller gets, not what
    /// interceptors saw. Async calls of a hook with a wrapper fail before
    /// running anything ([`Fault::WrapperInAsyncCall`](crate::Fault::WrapperInAsyncCall)).
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use std::time::Instant;
    /// use plinth_hooks::{Action, PluginUrn};
    ///
    /// let saved = Action::<String>::new("doc:saved");
    /// saved.try_tap(PluginUrn::new("index")?, |_| Err("index offline".into()));
    /// let log = Arc::new(Mutex::new(Vec::new()));
    /// let l = log.clone();
    /// saved.wrap(PluginUrn::new("metrics")?, move |doc, next| {
    ///     let started = Instant::now();
    ///     let result = next.call(doc);
    ///     let failed = result.as_ref().map_or_else(|e| e.failures.len(), |_| 0);
    ///     l.lock().unwrap().push((doc.clone(), failed, started.elapsed()));
    ///     result
    /// });
    /// assert!(saved.call(&"a.txt".into()).is_err());
    /// assert_eq!(log.lock().unwrap()[0].1, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wrap(
        &self,
        tap: impl Into<Tap>,
        wrapper: impl Fn(&T, Next<'_, Action<T>>) -> Result<(), ActionError> + Send + Sync + 'static,
    ) -> Handle {
        self.core.register_wrapper(tap.into(), Arc::new(wrapper))
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
        self.core
            .refuse_wrappers(&state)
            .map_err(|e| self.failed(vec![e]))?;
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
        self.core
            .refuse_wrappers(&state)
            .map_err(|e| self.failed(vec![e]))?;
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
pub(crate) fn broadcast_sync<T, W: Clone + Send + Sync>(
    core: &Core<ActionFn<T>, W>,
    state: &State<ActionFn<T>, W>,
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
pub(crate) fn settle<T, W: Clone + Send + Sync>(
    core: &Core<ActionFn<T>, W>,
    state: &State<ActionFn<T>, W>,
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

impl<T> Sealed for Action<T> {
    type Callback = ActionFn<T>;
    type Wrapper = WrapFn<T>;
    fn core(&self) -> &Core<ActionFn<T>, WrapFn<T>> {
        &self.core
    }
    fn create(name: Arc<str>, config: Config) -> Self {
        Action {
            core: Core::new(name, HookKind::Action, config),
        }
    }
}

impl<T: Send + Sync + 'static> Hook for Action<T> {}

impl<T: Send + Sync + 'static> Next<'_, Action<T>> {
    /// Runs the rest of the broadcast with `payload`: the inner wrappers,
    /// then every callback; their failures.
    ///
    /// ```
    /// # use plinth_hooks::{Action, PluginUrn};
    /// let hook = Action::<u8>::new("tick");
    /// hook.try_tap(PluginUrn::new("p")?, |_| Err("no".into()));
    /// // Failures of this hook are someone else's business.
    /// hook.wrap(PluginUrn::application(), |n, next| { next.call(n).ok(); Ok(()) });
    /// assert!(hook.call(&1).is_ok());
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Action::call`].
    pub fn call(self, payload: &T) -> Result<(), ActionError> {
        self.hook.wrapped(self.state, self.depth, payload)
    }
}

impl<T> std::fmt::Debug for Action<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Action")
            .field("name", &self.core.name)
            .finish_non_exhaustive()
    }
}
