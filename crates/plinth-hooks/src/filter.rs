//! Filter hooks: a waterfall where each callback transforms the value.

use std::sync::Arc;
use std::time::Instant;

use std::panic::{AssertUnwindSafe, catch_unwind};

use futures_util::future::BoxFuture;

use crate::core::{CallbackFn, Config, Core, State, panic_message};
use crate::hook::sealed::Sealed;
use crate::interceptor::{HookKind, Outcome};
use crate::tap::Meta;
use crate::{BoxError, Fault, FilterError, Handle, Hook, Next, Tap};

/// A sync callback as the chain runs it: the value in, the next value out,
/// or the value handed back with the error. The error is boxed so that,
/// for a register-sized `T`, the result comes back in two registers (a
/// wider result is returned through memory, a store and a reload on the
/// chain's critical path at every step). Only a failing callback pays the
/// allocation.
type SyncFn<T> = Arc<dyn Fn(T) -> Result<T, Box<Rejected<T>>> + Send + Sync>;
type AsyncFn<T> =
    Arc<dyn for<'a> Fn(&'a mut T) -> BoxFuture<'a, Result<(), BoxError>> + Send + Sync>;

/// A fallible sync callback's error, with the value it was given back.
pub struct Rejected<T> {
    value: T,
    error: BoxError,
}

/// A wrapper: the value and the rest of the chain in, the call's result out.
pub(crate) type WrapFn<T> =
    Arc<dyn Fn(T, Next<'_, Filter<T>>) -> Result<T, FilterError<T>> + Send + Sync>;

pub(crate) type FilterFn<T> = CallbackFn<SyncFn<T>, AsyncFn<T>>;

/// A waterfall hook (the seed's `trigger`, tapable's `SyncWaterfallHook` /
/// `AsyncSeriesWaterfallHook`): each callback receives the previous one's
/// output; the first error stops the chain and names its owner, and hands
/// the caller the last good value ([`FilterError`]).
///
/// Callbacks that cannot fail ([`tap`](Self::tap)) take the value and
/// return the next one. Callbacks that can ([`try_tap`](Self::try_tap),
/// [`tap_async`](Self::tap_async)) edit it in place, so that a failure
/// leaves it with the chain instead of consuming it.
///
/// A wrapper ([`wrap`](Self::wrap)) runs around the whole chain and sees
/// its result. What every kind shares (name, removal, interceptors) is the
/// [`Hook`] trait.
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
    pub(crate) core: Core<FilterFn<T>, WrapFn<T>>,
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
        Self::create(name.into(), config)
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

    /// Registers a fallible sync callback, which edits the value in place.
    /// Its error stops the chain; the value, as the callback left it, goes
    /// back to the caller in the [`FilterError`], so fail before changing
    /// it.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, PluginUrn};
    /// let hook = Filter::<String>::new("n");
    /// hook.try_tap(PluginUrn::new("p")?, |s| {
    ///     *s = s.parse::<u8>()?.to_string();
    ///     Ok(())
    /// });
    /// assert_eq!(hook.call("007".into())?, "7");
    /// let err = hook.call("x".into()).unwrap_err();
    /// assert_eq!(err.into_value().as_deref(), Some("x"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_tap(
        &self,
        tap: impl Into<Tap>,
        f: impl Fn(&mut T) -> Result<(), BoxError> + Send + Sync + 'static,
    ) -> Handle {
        let f: SyncFn<T> = Arc::new(move |mut value| match f(&mut value) {
            Ok(()) => Ok(value),
            Err(error) => Err(Box::new(Rejected { value, error })),
        });
        self.core.register(tap.into(), FilterFn::Sync(f))
    }

    /// Registers an async callback, which edits the value in place (the
    /// future borrows it, hence the `Box::pin`); only
    /// [`call_async`](Self::call_async) runs it. As with
    /// [`try_tap`](Self::try_tap), its error hands the value, as the
    /// callback left it, back to the caller.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, PluginUrn};
    /// let hook = Filter::<u8>::new("n");
    /// hook.tap_async(PluginUrn::new("p")?, |n| Box::pin(async move {
    ///     *n *= 3;
    ///     Ok(())
    /// }));
    /// assert_eq!(futures_executor::block_on(hook.call_async(2))?, 6);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tap_async<F>(&self, tap: impl Into<Tap>, f: F) -> Handle
    where
        F: for<'a> Fn(&'a mut T) -> BoxFuture<'a, Result<(), BoxError>> + Send + Sync + 'static,
    {
        let f: AsyncFn<T> = Arc::new(f);
        self.core.register(tap.into(), FilterFn::Async(f))
    }

    /// Registers a wrapper (pluggy's `wrapper=True`): it runs around the
    /// rest of the chain, getting the value and [`Next`], and its result is
    /// the call's. Calling `next.call(value)` runs the inner wrappers and
    /// then the callbacks, and returns their result, error included; the
    /// wrapper may return it as it is, change the value, turn an error
    /// into a value (from [`FilterError::into_value`], say), or skip the
    /// chain by not calling `next` at all.
    ///
    /// Wrappers are ordered among themselves like callbacks (priority,
    /// then registration order, then `before`/`after`), the first
    /// outermost. They are owned like callbacks ([`Hook::unregister`],
    /// [`Hook::remove_owner`]). A wrapper that panics fails the call in its
    /// owner's name, and the value is lost. Turning an error into a value
    /// changes what the caller gets, not what interceptors saw: the failing
    /// callback's owner is still at fault.
    ///
    /// Wrappers wrap sync calls ([`call`](Self::call) and caller handles):
    /// an async call of a hook with a wrapper fails before running anything
    /// ([`Fault::WrapperInAsyncCall`]).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use std::sync::Arc;
    /// use plinth_hooks::{Filter, PluginUrn};
    ///
    /// let price = Filter::<u32>::new("price");
    /// price.try_tap(PluginUrn::new("tax")?, |p| {
    ///     *p = p.checked_mul(2).ok_or("overflow")?;
    ///     Ok(())
    /// });
    /// let failures = Arc::new(AtomicU32::new(0));
    /// let seen = failures.clone();
    /// price.wrap(PluginUrn::application(), move |p, next| {
    ///     let result = next.call(p);
    ///     if result.is_err() {
    ///         seen.fetch_add(1, Ordering::Relaxed);
    ///     }
    ///     // Fall back to the last good value rather than fail the caller.
    ///     result.or_else(|err| Ok(err.into_value().unwrap_or(0)))
    /// });
    /// assert_eq!(price.call(21)?, 42);
    /// assert_eq!(price.call(u32::MAX)?, u32::MAX);
    /// assert_eq!(failures.load(Ordering::Relaxed), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wrap(
        &self,
        tap: impl Into<Tap>,
        wrapper: impl Fn(T, Next<'_, Filter<T>>) -> Result<T, FilterError<T>> + Send + Sync + 'static,
    ) -> Handle {
        self.core.register_wrapper(tap.into(), Arc::new(wrapper))
    }

    /// Runs the sync waterfall. Fails with
    /// [`Fault::AsyncInSyncCall`](crate::Fault::AsyncInSyncCall), before
    /// running anything, if an async callback is registered.
    ///
    /// # Errors
    /// A [`FilterError`] naming the failing callback's owner, with the last
    /// good value unless the callback panicked.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, PluginUrn};
    /// let hook = Filter::<Vec<u8>>::new("list");
    /// hook.tap(PluginUrn::new("a")?, |mut v| { v.push(1); v });
    /// hook.tap(PluginUrn::new("b")?, |mut v| { v.push(2); v });
    /// assert_eq!(hook.call(vec![])?, [1, 2]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call(&self, value: T) -> Result<T, FilterError<T>> {
        self.core.with(|state| self.dispatch(state, value))
    }

    #[inline]
    pub(crate) fn dispatch(
        &self,
        state: &State<FilterFn<T>, WrapFn<T>>,
        value: T,
    ) -> Result<T, FilterError<T>> {
        if !state.plain {
            return self.dispatch_slow(state, value);
        }
        self.run_chain(state, value)
    }

    /// Wrappers, async callbacks to refuse, or every step reported.
    #[cold]
    #[inline(never)]
    fn dispatch_slow(
        &self,
        state: &State<FilterFn<T>, WrapFn<T>>,
        value: T,
    ) -> Result<T, FilterError<T>> {
        // Before any wrapper runs: a wrapper must see a whole chain or none.
        if let Err(refused) = self.core.refuse_async(state) {
            return Err(FilterError::new(refused, Some(value)));
        }
        self.wrapped(state, 0, value)
    }

    /// Runs the wrapper at `depth` around the rest; past the last one, the
    /// callbacks.
    fn wrapped(
        &self,
        state: &State<FilterFn<T>, WrapFn<T>>,
        depth: usize,
        value: T,
    ) -> Result<T, FilterError<T>> {
        let Some(slot) = state.wrappers.get(depth) else {
            return if state.direct {
                self.run_chain(state, value)
            } else {
                self.dispatch_each(state, value)
            };
        };
        let next = Next::new(self, state, depth + 1);
        let started = Core::start(state);
        match self.core.run(|| Ok((slot.callback)(value, next))) {
            Ok(result) => {
                self.core.observe(state, &slot.meta, started, Outcome::Ok);
                result
            }
            // What the wrapper held is gone with its stack.
            Err(fault) => Err(self.fail(state, &slot.meta, started, fault, None)),
        }
    }

    /// The callbacks alone, under one guard.
    #[inline(always)]
    fn run_chain(
        &self,
        state: &State<FilterFn<T>, WrapFn<T>>,
        value: T,
    ) -> Result<T, FilterError<T>> {
        // The common case: one unwinding guard around the whole chain
        // instead of one per callback (each guard is an out-of-line call),
        // with `done` telling whom to blame for a panic or an error. It is
        // bumped after each callback returns rather than set before each
        // call: a store ahead of every call, which the unwinder must see,
        // cost 15-40% per callback in a microbenchmark.
        // `done` doubles as the index, so the loop keeps one counter.
        let mut done = 0;
        let chain = catch_unwind(AssertUnwindSafe(|| {
            let mut value = value;
            while let Some(f) = state.chain.get(done) {
                value = f(value)?;
                done += 1;
            }
            Ok::<_, Box<Rejected<T>>>(value)
        }));
        let (fault, value) = match chain {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(rejected)) => (Fault::Error(rejected.error), Some(rejected.value)),
            Err(payload) => (Fault::Panic(panic_message(payload)), None),
        };
        let meta = &state.slots[done].meta;
        // Failure-only interceptors (fault accounting) still hear of it.
        self.core
            .observe(state, meta, None, Outcome::Failed(&fault));
        Err(FilterError::new(self.core.error(meta, fault), value))
    }

    /// The chain with a guard and a report per callback: for interceptors
    /// and for [`PanicPolicy::Propagate`](crate::PanicPolicy::Propagate).
    fn dispatch_each(
        &self,
        state: &State<FilterFn<T>, WrapFn<T>>,
        mut value: T,
    ) -> Result<T, FilterError<T>> {
        for slot in state.slots.iter() {
            let started = Core::start(state);
            let FilterFn::Sync(f) = &slot.callback else {
                continue; // unreachable: refused by the caller
            };
            value = self.step(state, &slot.meta, started, f, value)?;
        }
        Ok(value)
    }

    /// Runs one sync callback under the panic policy and reports it.
    #[inline]
    fn step(
        &self,
        state: &State<FilterFn<T>, WrapFn<T>>,
        meta: &Meta,
        started: Option<Instant>,
        f: &SyncFn<T>,
        value: T,
    ) -> Result<T, FilterError<T>> {
        let (fault, value) = match self.core.run(|| Ok(f(value))) {
            Ok(Ok(next)) => {
                self.core.observe(state, meta, started, Outcome::Ok);
                return Ok(next);
            }
            Ok(Err(rejected)) => (Fault::Error(rejected.error), Some(rejected.value)),
            Err(panic) => (panic, None),
        };
        Err(self.fail(state, meta, started, fault, value))
    }

    /// Reports a failed callback; the error for the caller.
    fn fail(
        &self,
        state: &State<FilterFn<T>, WrapFn<T>>,
        meta: &Meta,
        started: Option<Instant>,
        fault: Fault,
        value: Option<T>,
    ) -> FilterError<T> {
        self.core
            .observe(state, meta, started, Outcome::Failed(&fault));
        FilterError::new(self.core.error(meta, fault), value)
    }

    /// Runs the waterfall with sync and async callbacks in order; sync ones
    /// are called directly, without a future.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, PluginUrn};
    /// let hook = Filter::<u32>::new("n");
    /// hook.tap(PluginUrn::new("sync")?, |n| n + 1);
    /// hook.tap_async(PluginUrn::new("async")?, |n| Box::pin(async move {
    ///     *n *= 10;
    ///     Ok(())
    /// }));
    /// assert_eq!(futures_executor::block_on(hook.call_async(1))?, 20);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`call`](Self::call): a [`FilterError`] with the last good value
    /// unless the callback panicked.
    pub async fn call_async(&self, mut value: T) -> Result<T, FilterError<T>> {
        let (_call, state) = self.core.load_for_call();
        if let Err(refused) = self.core.refuse_wrappers(&state) {
            return Err(FilterError::new(refused, Some(value)));
        }
        for slot in state.slots.iter() {
            let started = Core::start(&state);
            match &slot.callback {
                FilterFn::Sync(f) => value = self.step(&state, &slot.meta, started, f, value)?,
                FilterFn::Async(f) => match self.core.run_async(|| f(&mut value)).await {
                    Ok(()) => self.core.observe(&state, &slot.meta, started, Outcome::Ok),
                    Err(fault) => {
                        // Only an error leaves a value the callback vouches
                        // for; after a panic it may be half-changed.
                        let kept = matches!(fault, Fault::Error(_)).then_some(value);
                        return Err(self.fail(&state, &slot.meta, started, fault, kept));
                    }
                },
            }
        }
        Ok(value)
    }
}

impl<T> Sealed for Filter<T> {
    type Callback = FilterFn<T>;
    type Wrapper = WrapFn<T>;
    fn core(&self) -> &Core<FilterFn<T>, WrapFn<T>> {
        &self.core
    }
    fn create(name: Arc<str>, config: Config) -> Self {
        Filter {
            core: Core::new(name, HookKind::Filter, config),
        }
    }
}

impl<T: Send + 'static> Hook for Filter<T> {}

impl<T: Send + 'static> Next<'_, Filter<T>> {
    /// Runs the rest of the chain on `value`: the inner wrappers, then the
    /// callbacks; their result, error included.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, PluginUrn};
    /// let hook = Filter::<u8>::new("n");
    /// hook.tap(PluginUrn::new("p")?, |n| n + 1);
    /// hook.wrap(PluginUrn::new("w")?, |n, next| next.call(n * 10).map(|n| n * 2));
    /// assert_eq!(hook.call(1)?, 22);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Filter::call`].
    pub fn call(self, value: T) -> Result<T, FilterError<T>> {
        self.hook.wrapped(self.state, self.depth, value)
    }
}

impl<T> std::fmt::Debug for Filter<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Filter")
            .field("name", &self.core.name)
            .finish_non_exhaustive()
    }
}
