//! Filter hooks: a waterfall where each callback transforms the value.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use plinth_core::PluginUrn;

use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::core::{panic_message, CallbackFn, Config, Core, State};
use crate::interceptor::{HookKind, Interceptor, Outcome};
use crate::{BoxError, CallbackError, Fault, Handle, Tap};

/// A sync callback as the chain runs it. The error is boxed once more so
/// that, for a register-sized `T`, the result comes back in two registers
/// (`Result<T, BoxError>` is returned through memory, a store and a reload
/// on the chain's critical path at every step). Only a failing callback
/// pays the extra allocation.
type SyncFn<T> = Arc<dyn Fn(T) -> Result<T, Box<BoxError>> + Send + Sync>;
type AsyncFn<T> = Arc<dyn Fn(T) -> BoxFuture<'static, Result<T, BoxError>> + Send + Sync>;

pub(crate) type FilterFn<T> = CallbackFn<SyncFn<T>, AsyncFn<T>>;

/// A waterfall hook (the seed's `trigger`, tapable's `SyncWaterfallHook` /
/// `AsyncSeriesWaterfallHook`): each callback receives the previous one's
/// output; the first error stops the chain and names its owner.
///
/// Dispatch reads an immutable snapshot of the callbacks without a lock;
/// registering copies the list (see the crate docs).
///
/// ```
/// use plinth_hooks::{Filter, PluginUrn, Tap};
///
/// let hook = Filter::<u32>::new("price");
/// let shop = PluginUrn::new("shop")?;
/// hook.tap(&shop, |p| p * 2);
/// hook.tap(Tap::new(shop.clone()).priority(0), |p| p + 1); // runs first
/// assert_eq!(hook.call(10)?, 22);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Filter<T> {
    pub(crate) core: Core<FilterFn<T>>,
}

impl<T: Send + 'static> Filter<T> {
    /// An empty hook with the default [`Config`].
    ///
    /// ```
    /// # use plinth_hooks::Filter;
    /// let hook = Filter::<String>::new("title");
    /// assert_eq!(hook.call("x".into())?, "x");
    /// # Ok::<(), plinth_hooks::CallbackError>(())
    /// ```
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        Self::with_config(name, Config::default())
    }

    /// An empty hook with the given settings.
    ///
    /// ```
    /// # use plinth_hooks::{Config, Filter, PanicPolicy};
    /// let hook = Filter::<u8>::with_config("n", Config { panics: PanicPolicy::Propagate });
    /// ```
    pub fn with_config(name: impl Into<Arc<str>>, config: Config) -> Self {
        Filter {
            core: Core::new(name.into(), HookKind::Filter, config),
        }
    }

    /// The hook's name.
    ///
    /// ```
    /// # use plinth_hooks::Filter;
    /// assert_eq!(Filter::<u8>::new("n").name(), "n");
    /// ```
    pub fn name(&self) -> &str {
        &self.core.name
    }

    /// Number of registered callbacks.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, PluginUrn};
    /// let hook = Filter::<u8>::new("n");
    /// hook.tap(PluginUrn::new("p")?, |n| n);
    /// assert_eq!(hook.len(), 1);
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.core.len()
    }

    /// Whether no callback is registered.
    ///
    /// ```
    /// # use plinth_hooks::Filter;
    /// assert!(Filter::<u8>::new("n").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Registers an infallible sync callback.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, PluginUrn};
    /// let hook = Filter::<u8>::new("n");
    /// let handle = hook.tap(PluginUrn::new("p")?, |n| n + 1);
    /// assert_eq!(hook.call(1)?, 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tap(&self, tap: impl Into<Tap>, f: impl Fn(T) -> T + Send + Sync + 'static) -> Handle {
        self.core
            .register(tap.into(), FilterFn::Sync(Arc::new(move |v| Ok(f(v)))))
    }

    /// Registers a fallible sync callback; its error stops the chain.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, PluginUrn};
    /// let hook = Filter::<String>::new("n");
    /// hook.try_tap(PluginUrn::new("p")?, |s| Ok(s.parse::<u8>()?.to_string()));
    /// assert!(hook.call("x".into()).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_tap(
        &self,
        tap: impl Into<Tap>,
        f: impl Fn(T) -> Result<T, BoxError> + Send + Sync + 'static,
    ) -> Handle {
        let f: SyncFn<T> = Arc::new(move |v| f(v).map_err(Box::new));
        self.core.register(tap.into(), FilterFn::Sync(f))
    }

    /// Registers an async callback; only [`call_async`](Self::call_async)
    /// runs it.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, PluginUrn};
    /// let hook = Filter::<u8>::new("n");
    /// hook.tap_async(PluginUrn::new("p")?, |n| async move { Ok(n * 3) });
    /// assert_eq!(futures_executor::block_on(hook.call_async(2))?, 6);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tap_async<F, Fut>(&self, tap: impl Into<Tap>, f: F) -> Handle
    where
        F: Fn(T) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, BoxError>> + Send + 'static,
    {
        let f: AsyncFn<T> = Arc::new(move |v| Box::pin(f(v)));
        self.core.register(tap.into(), FilterFn::Async(f))
    }

    /// Removes exactly the registration `handle` names; `false` if it is not
    /// (or no longer) registered here.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, PluginUrn};
    /// let hook = Filter::<u8>::new("n");
    /// let h = hook.tap(PluginUrn::new("p")?, |n| n + 1);
    /// assert!(hook.unregister(&h));
    /// assert_eq!(hook.call(1)?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unregister(&self, handle: &Handle) -> bool {
        self.core.unregister(handle)
    }

    /// Removes every callback `owner` registered; returns how many.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, PluginUrn};
    /// let hook = Filter::<u8>::new("n");
    /// let p = PluginUrn::new("p")?;
    /// hook.tap(&p, |n| n + 1);
    /// hook.tap(&p, |n| n + 1);
    /// assert_eq!(hook.remove_owner(&p), 2);
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn remove_owner(&self, owner: &PluginUrn) -> usize {
        self.core.remove_owner(owner)
    }

    /// Installs an interceptor that observes every later invocation.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use plinth_hooks::{CallInfo, Filter, Interceptor};
    /// struct Quiet;
    /// impl Interceptor for Quiet { fn on_call(&self, _: &CallInfo<'_>) {} }
    /// Filter::<u8>::new("n").intercept(Arc::new(Quiet));
    /// ```
    pub fn intercept(&self, interceptor: Arc<dyn Interceptor>) {
        self.core.intercept(interceptor)
    }

    /// Runs the sync waterfall. Fails with
    /// [`Fault::AsyncInSyncCall`](crate::Fault::AsyncInSyncCall), before
    /// running anything, if an async callback is registered.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, PluginUrn};
    /// let hook = Filter::<Vec<u8>>::new("list");
    /// hook.tap(PluginUrn::new("a")?, |mut v| { v.push(1); v });
    /// hook.tap(PluginUrn::new("b")?, |mut v| { v.push(2); v });
    /// assert_eq!(hook.call(vec![])?, [1, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call(&self, value: T) -> Result<T, CallbackError> {
        self.core.with(|state| self.dispatch(state, value))
    }

    #[inline]
    pub(crate) fn dispatch(
        &self,
        state: &State<FilterFn<T>>,
        value: T,
    ) -> Result<T, CallbackError> {
        if !state.plain {
            self.core.refuse_async(state)?;
            return self.dispatch_each(state, value);
        }
        // The common case: one unwinding guard around the whole chain
        // instead of one per callback (each guard is an out-of-line call),
        // with `done` telling whom to blame for a panic or an error. It is
        // bumped after each callback returns rather than set before each
        // call: a store ahead of every call, which the unwinder must see,
        // cost 15-40% per callback in a microbenchmark.
        let mut done = 0;
        let chain = catch_unwind(AssertUnwindSafe(|| {
            let mut value = value;
            for f in state.chain.iter() {
                value = f(value)?;
                done += 1;
            }
            Ok::<_, Box<BoxError>>(value)
        }));
        let fault = match chain {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) => Fault::Error(*e),
            Err(payload) => Fault::Panic(panic_message(payload)),
        };
        let meta = &state.slots[done].meta;
        // Failure-only interceptors (fault accounting) still hear of it.
        self.core
            .observe(state, meta, None, Outcome::Failed(&fault));
        Err(self.core.error(meta, fault))
    }

    /// The chain with a guard and a report per callback: for interceptors
    /// and for [`PanicPolicy::Propagate`](crate::PanicPolicy::Propagate).
    fn dispatch_each(&self, state: &State<FilterFn<T>>, mut value: T) -> Result<T, CallbackError> {
        for slot in state.slots.iter() {
            let started = Core::start(state);
            let result = match &slot.callback {
                FilterFn::Sync(f) => self.core.run(|| f(value).map_err(|e| *e)),
                FilterFn::Async(_) => continue, // unreachable: refused by the caller
            };
            match result {
                Ok(next) => {
                    self.core.observe(state, &slot.meta, started, Outcome::Ok);
                    value = next;
                }
                Err(fault) => {
                    self.core
                        .observe(state, &slot.meta, started, Outcome::Failed(&fault));
                    return Err(self.core.error(&slot.meta, fault));
                }
            }
        }
        Ok(value)
    }

    /// Runs the waterfall with sync and async callbacks in order; sync ones
    /// are called directly, without a future.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, PluginUrn};
    /// let hook = Filter::<u32>::new("n");
    /// hook.tap(PluginUrn::new("sync")?, |n| n + 1);
    /// hook.tap_async(PluginUrn::new("async")?, |n| async move { Ok(n * 10) });
    /// assert_eq!(futures_executor::block_on(hook.call_async(1))?, 20);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn call_async(&self, mut value: T) -> Result<T, CallbackError> {
        let (_call, state) = self.core.load_for_call();
        for slot in state.slots.iter() {
            let started = Core::start(&state);
            let result = match &slot.callback {
                FilterFn::Sync(f) => self.core.run(|| f(value).map_err(|e| *e)),
                FilterFn::Async(f) => self.core.run_async(|| f(value)).await,
            };
            match result {
                Ok(next) => {
                    self.core.observe(&state, &slot.meta, started, Outcome::Ok);
                    value = next;
                }
                Err(fault) => {
                    self.core
                        .observe(&state, &slot.meta, started, Outcome::Failed(&fault));
                    return Err(self.core.error(&slot.meta, fault));
                }
            }
        }
        Ok(value)
    }
}

impl<T> std::fmt::Debug for Filter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("name", &self.core.name)
            .finish_non_exhaustive()
    }
}
