//! Bail hooks: callbacks run in order until one returns a value.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use plinth_core::PluginUrn;

use crate::core::{CallbackFn, Config, Core, State};
use crate::interceptor::{HookKind, Interceptor, Outcome};
use crate::{BoxError, CallbackError, Handle, Tap};

type SyncFn<T, R> = Arc<dyn Fn(&T) -> Result<Option<R>, BoxError> + Send + Sync>;
type AsyncFn<T, R> =
    Arc<dyn Fn(Arc<T>) -> BoxFuture<'static, Result<Option<R>, BoxError>> + Send + Sync>;

pub(crate) type BailFn<T, R> = CallbackFn<SyncFn<T, R>, AsyncFn<T, R>>;

/// A first-result hook (tapable's `SyncBailHook` / `AsyncSeriesBailHook`,
/// pluggy's `firstresult`): callbacks run in order until one returns
/// `Some`; an error stops the chain and names its owner.
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
    pub(crate) core: Core<BailFn<T, R>>,
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
        Bail {
            core: Core::new(name.into(), HookKind::Bail, config),
        }
    }

    /// The hook's name.
    ///
    /// ```
    /// # use plinth_hooks::Bail;
    /// assert_eq!(Bail::<u8, u8>::new("b").name(), "b");
    /// ```
    pub fn name(&self) -> &str {
        &self.core.name
    }

    /// Number of registered callbacks.
    ///
    /// ```
    /// # use plinth_hooks::Bail;
    /// assert_eq!(Bail::<u8, u8>::new("b").len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.core.len()
    }

    /// Whether no callback is registered.
    ///
    /// ```
    /// # use plinth_hooks::Bail;
    /// assert!(Bail::<u8, u8>::new("b").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
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

    /// Removes exactly the registration `handle` names.
    ///
    /// ```
    /// # use plinth_hooks::{Bail, PluginUrn};
    /// let hook = Bail::<u8, u8>::new("b");
    /// let h = hook.tap(PluginUrn::new("p")?, |_| None);
    /// assert!(hook.unregister(&h));
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn unregister(&self, handle: &Handle) -> bool {
        self.core.unregister(handle)
    }

    /// Removes every callback `owner` registered; returns how many.
    ///
    /// ```
    /// # use plinth_hooks::{Bail, PluginUrn};
    /// let hook = Bail::<u8, u8>::new("b");
    /// let p = PluginUrn::new("p")?;
    /// hook.tap(&p, |_| None);
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
    /// # use plinth_hooks::{Bail, CallInfo, Interceptor};
    /// struct Quiet;
    /// impl Interceptor for Quiet { fn on_call(&self, _: &CallInfo<'_>) {} }
    /// Bail::<u8, u8>::new("b").intercept(Arc::new(Quiet));
    /// ```
    pub fn intercept(&self, interceptor: Arc<dyn Interceptor>) {
        self.core.intercept(interceptor)
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
        state: &State<BailFn<T, R>>,
        payload: &T,
    ) -> Result<Option<R>, CallbackError> {
        self.core.refuse_async(state)?;
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
        let payload = payload.into();
        let (_call, state) = self.core.load_for_call();
        for slot in state.slots.iter() {
            let started = Core::start(&state);
            let result = match &slot.callback {
                BailFn::Sync(f) => self.core.run(|| f(&payload)),
                BailFn::Async(f) => self.core.run_async(|| f(payload.clone())).await,
            };
            if let Some(done) = self.settle(&state, &slot.meta, started, result) {
                return done;
            }
        }
        Ok(None)
    }

    /// `Some` when the chain stops here (a value or an error).
    fn settle(
        &self,
        state: &crate::core::State<BailFn<T, R>>,
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

impl<T, R> std::fmt::Debug for Bail<T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Bail")
            .field("name", &self.core.name)
            .finish_non_exhaustive()
    }
}
