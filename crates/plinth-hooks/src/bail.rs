//! Bail hooks: callbacks run in order until one returns a value.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::core::{CallbackFn, Config, Core, State};
use crate::hook::sealed::Sealed;
use crate::interceptor::{HookKind, Outcome};
use crate::{BoxError, CallbackError, Handle, Hook, Next, Tap};

type SyncFn<T, R> = Arc<dyn Fn(&T) -> Result<Option<R>, BoxError> + Send + Sync>;
type AsyncFn<T, R> =
    Arc<dyn Fn(Arc<T>) -> BoxFuture<'static, Result<Option<R>, BoxError>> + Send + Sync>;

/// A wrapper: the payload and the rest of the chain in, the call's result
/// out.
pub(crate) type WrapFn<T, R> =
    Arc<dyn Fn(&T, Next<'_, Bail<T, R>>) -> Result<Option<R>, CallbackError> + Send + Sync>;

pub(crate) type BailFn<T, R> = CallbackFn<SyncFn<T, R>, AsyncFn<T, R>>;

/// A first-result hook (tapable's `SyncBailHook` / `AsyncSeriesBailHook`,
/// pluggy's `firstresult`): callbacks run in order until one returns
/// `Some`; an error stops the chain and names its owner. A wrapper
/// ([`wrap`](Self::wrap)) runs around the chain. What every kind shares
/// (name, removal, interceptors) is the [`Hook`] trait.
///
/// ```
/// use plinth_hooks::{Bail, PluginUrn, Tap};
///
/// let resolve = Bail::<String, u16>::new("resolve-port");
/// resolve.tap(PluginUrn::new("env")?, |_| None);
/// resolve.tap(PluginUrn::new("config")?, |svc| (svc == "http").then_some(8080));
/// resolve.tap(PluginUrn::new("default")?, |_| Some(80));
/// assert_eq!(resolve.call(&"http".into())?, Some(8080));
/// assert_eq!(resolve.call(&"ftp".into())?, Some(80));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Bail<T, R> {
    pub(crate) core: Core<BailFn<T, R>, WrapFn<T, R>>,
}

impl<T: Send + Sync + 'static, R: Send + 'static> Bail<T, R> {
    /// An empty hook with the default [`Config`].
    ///
    /// ```
    /// # use plinth_hooks::Bail;
    /// assert_eq!(Bail::<u8, u8>::new("b").call(&1)?, None);
    /// # Ok::<(), plinth_hooks::CallbackError>(())
    /// ```
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        Self::with_config(name, Config::default())
    }

    /// An empty hook with the given settings.
    ///
    /// ```
    /// # use plinth_hooks::{Bail, Config};
    /// let hook = Bail::<u8, u8>::with_config("b", Config::default());
    /// ```
    pub fn with_config(name: impl Into<Arc<str>>, config: Config) -> Self {
        Self::create(name.into(), config)
    }

    /// Registers an infallible sync callback; `Some` stops the chain.
    ///
    /// ```
    /// # use plinth_hooks::{Bail, PluginUrn};
    /// let hook = Bail::<u8, u8>::new("b");
    /// hook.tap(PluginUrn::new("p")?, |n| Some(n + 1));
    /// assert_eq!(hook.call(&1)?, Some(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tap(
        &self,
        tap: impl Into<Tap>,
        f: impl Fn(&T) -> Option<R> + Send + Sync + 'static,
    ) -> Handle {
        self.try_tap(tap, move |v| Ok(f(v)))
    }

    /// Registers a fallible sync callback.
    ///
    /// ```
    /// # use plinth_hooks::{Bail, PluginUrn};
    /// let hook = Bail::<String, u8>::new("parse");
    /// hook.try_tap(PluginUrn::new("p")?, |s| Ok(Some(s.parse()?)));
    /// assert!(hook.call(&"x".into()).is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_tap(
        &self,
        tap: impl Into<Tap>,
        f: impl Fn(&T) -> Result<Option<R>, BoxError> + Send + Sync + 'static,
    ) -> Handle {
        self.core.register(tap.into(), BailFn::Sync(Arc::new(f)))
    }

    /// Registers an async callback; only [`call_async`](Self::call_async)
    /// runs it.
    ///
    /// ```
    /// # use plinth_hooks::{Bail, PluginUrn};
    /// let hook = Bail::<u8, u8>::new("b");
    /// hook.tap_async(PluginUrn::new("p")?, |n| async move { Ok(Some(*n)) });
    /// assert_eq!(futures_executor::block_on(hook.call_async(4))?, Some(4));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tap_async<F, Fut>(&self, tap: impl Into<Tap>, f: F) -> Handle
    where
        F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<R>, BoxError>> + Send + 'static,
    {
        let f: AsyncFn<T, R> = Arc::new(move |v| Box::pin(f(v)));
        self.core.register(tap.into(), BailFn::Async(f))
    }

    /// Runs the sync callbacks until one returns `Some`; `None` if none did.
    ///
    /// ```
    /// # use plinth_hooks::{Bail, PluginUrn};
    /// let hook = Bail::<u8, &str>::new("b");
    /// hook.tap(PluginUrn::new("p")?, |_| Some("first"));
    /// hook.tap(PluginUrn::new("q")?, |_| unreachable!());
    /// assert_eq!(hook.call(&1)?, Some("first"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call(&self, payload: &T) -> Result<Option<R>, CallbackError> {
        self.core.with(|state| self.dispatch(state, payload))
    }

    #[inline]
    pub(crate) fn dispatch(
        &self,
        state: &State<BailFn<T, R>, WrapFn<T, R>>,
        payload: &T,
    ) -> Result<Option<R>, CallbackError> {
        self.core.refuse_async(state)?;
        if !state.wrappers.is_empty() {
            return self.wrapped(state, 0, payload);
        }
        self.chain(state, payload)
    }

    fn chain(
        &self,
        state: &State<BailFn<T, R>, WrapFn<T, R>>,
        payload: &T,
    ) -> Result<Option<R>, CallbackError> {
        for slot in state.slots.iter() {
            let BailFn::Sync(f) = &slot.callback else {
                continue; // unreachable: refused above
            };
            let started = Core::start(state);
            let result = self.core.run(|| f(payload));
            if let Some(done) = self.settle(state, &slot.meta, started, result) {
                return done;
            }
        }
        Ok(None)
    }

    /// Runs the wrapper at `depth` around the rest; past the last one, the
    /// callbacks.
    fn wrapped(
        &self,
        state: &State<BailFn<T, R>, WrapFn<T, R>>,
        depth: usize,
        payload: &T,
    ) -> Result<Option<R>, CallbackError> {
        let Some(slot) = state.wrappers.get(depth) else {
            return self.chain(state, payload);
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
                Err(self.core.error(&slot.meta, fault))
            }
        }
    }

    /// Registers a wrapper (pluggy's `wrapper=True`): it runs around the
    /// rest of the chain, getting the payload and [`Next`], and its result
    /// is the call's: it may return the chain's answer, replace it (an
    /// error by a value, say), or answer without calling `next`.
    ///
    /// Wrappers are ordered and owned as in [`Filter::wrap`](crate::Filter::wrap).
    /// A panicking wrapper fails the call in its owner's name. Async calls
    /// of a hook with a wrapper fail before running anything
    /// ([`Fault::WrapperInAsyncCall`](crate::Fault::WrapperInAsyncCall)).
    ///
    /// ```
    /// use plinth_hooks::{Bail, PluginUrn};
    ///
    /// let port = Bail::<String, u16>::new("resolve-port");
    /// port.try_tap(PluginUrn::new("dns")?, |_| Err("timeout".into()));
    /// // A default for when nobody knows, or the one who would failed.
    /// port.wrap(PluginUrn::application(), |svc, next| match next.call(svc) {
    ///     Ok(Some(port)) => Ok(Some(port)),
    ///     Ok(None) | Err(_) => Ok(Some(80)),
    /// });
    /// assert_eq!(port.call(&"http".into())?, Some(80));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn wrap(
        &self,
        tap: impl Into<Tap>,
        wrapper: impl Fn(&T, Next<'_, Bail<T, R>>) -> Result<Option<R>, CallbackError>
        + Send
        + Sync
        + 'static,
    ) -> Handle {
        self.core.register_wrapper(tap.into(), Arc::new(wrapper))
    }

    /// Runs sync and async callbacks in order until one returns `Some`.
    ///
    /// ```
    /// # use plinth_hooks::{Bail, PluginUrn};
    /// let hook = Bail::<u8, u8>::new("b");
    /// hook.tap(PluginUrn::new("p")?, |_| None);
    /// hook.tap_async(PluginUrn::new("q")?, |n| async move { Ok(Some(*n * 2)) });
    /// assert_eq!(futures_executor::block_on(hook.call_async(4))?, Some(8));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn call_async(&self, payload: impl Into<Arc<T>>) -> Result<Option<R>, CallbackError> {
        self.chain_async(payload.into(), None::<fn(CallbackError)>)
            .await
    }

    /// [`call_async`](Self::call_async), except that a failing or panicking
    /// callback does not stop the chain: its error goes to `skipped` (the
    /// interceptors are told of it as usual) and the next callback runs.
    /// For callers that would rather go on without one plugin's answer than
    /// fail (a server letting a request through when one `request:start`
    /// plugin breaks, the plugins after it still asked).
    ///
    /// # Errors
    /// Only [`Fault::WrapperInAsyncCall`](crate::Fault::WrapperInAsyncCall),
    /// before anything ran: callback failures are `skipped`'s.
    ///
    /// ```
    /// # use plinth_hooks::{Bail, PluginUrn};
    /// let hook = Bail::<u8, &str>::new("b");
    /// hook.try_tap(PluginUrn::new("broken")?, |_| Err("no database".into()));
    /// hook.tap(PluginUrn::new("after")?, |_| Some("answered"));
    /// let mut skipped = Vec::new();
    /// let answer = futures_executor::block_on(hook.call_async_skipping(1, |e| skipped.push(e.owner.to_string())))?;
    /// assert_eq!(answer, Some("answered"));
    /// assert_eq!(skipped, ["broken"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub async fn call_async_skipping(
        &self,
        payload: impl Into<Arc<T>>,
        mut skipped: impl FnMut(CallbackError),
    ) -> Result<Option<R>, CallbackError> {
        self.chain_async(payload.into(), Some(&mut skipped)).await
    }

    /// The async chain: stops at the first value, and at the first failure
    /// unless `skipped` takes it.
    async fn chain_async(
        &self,
        payload: Arc<T>,
        mut skipped: Option<impl FnMut(CallbackError)>,
    ) -> Result<Option<R>, CallbackError> {
        let (_call, state) = self.core.load_for_call();
        self.core.refuse_wrappers(&state)?;
        for slot in state.slots.iter() {
            let started = Core::start(&state);
            let result = match &slot.callback {
                BailFn::Sync(f) => self.core.run(|| f(&payload)),
                BailFn::Async(f) => self.core.run_async(|| f(payload.clone())).await,
            };
            match (
                self.settle(&state, &slot.meta, started, result),
                &mut skipped,
            ) {
                (Some(Err(e)), Some(skip)) => skip(e),
                (Some(done), _) => return done,
                (None, _) => {}
            }
        }
        Ok(None)
    }

    /// `Some` when the chain stops here (a value or an error).
    fn settle(
        &self,
        state: &crate::core::State<BailFn<T, R>, WrapFn<T, R>>,
        meta: &crate::tap::Meta,
        started: Option<std::time::Instant>,
        result: Result<Option<R>, crate::Fault>,
    ) -> Option<Result<Option<R>, CallbackError>> {
        match result {
            Ok(None) => {
                self.core.observe(state, meta, started, Outcome::Ok);
                None
            }
            Ok(Some(value)) => {
                self.core.observe(state, meta, started, Outcome::Bailed);
                Some(Ok(Some(value)))
            }
            Err(fault) => {
                self.core
                    .observe(state, meta, started, Outcome::Failed(&fault));
                Some(Err(self.core.error(meta, fault)))
            }
        }
    }
}

impl<T, R> Sealed for Bail<T, R> {
    type Callback = BailFn<T, R>;
    type Wrapper = WrapFn<T, R>;
    fn core(&self) -> &Core<BailFn<T, R>, WrapFn<T, R>> {
        &self.core
    }
    fn create(name: Arc<str>, config: Config) -> Self {
        Bail {
            core: Core::new(name, HookKind::Bail, config),
        }
    }
}

impl<T: Send + Sync + 'static, R: Send + 'static> Hook for Bail<T, R> {}

impl<T: Send + Sync + 'static, R: Send + 'static> Next<'_, Bail<T, R>> {
    /// Runs the rest of the chain with `payload`: the inner wrappers, then
    /// the callbacks until one answers; their result.
    ///
    /// ```
    /// # use plinth_hooks::{Bail, PluginUrn};
    /// let hook = Bail::<u8, u8>::new("b");
    /// hook.tap(PluginUrn::new("p")?, |n| Some(n + 1));
    /// hook.wrap(PluginUrn::new("w")?, |n, next| Ok(next.call(n)?.map(|r| r * 2)));
    /// assert_eq!(hook.call(&1)?, Some(4));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`Bail::call`].
    pub fn call(self, payload: &T) -> Result<Option<R>, CallbackError> {
        self.hook.wrapped(self.state, self.depth, payload)
    }
}

impl<T, R> std::fmt::Debug for Bail<T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bail")
            .field("name", &self.core.name)
            .finish_non_exhaustive()
    }
}
