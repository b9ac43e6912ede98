//! A plugin's view of the hook registry: every registration it makes is
//! owned by it, so the manager can remove them all when it stops.

use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;
use plinth_core::PluginUrn;
use plinth_hooks::{
    Action, Bail, BoxError, Filter, Handle, Hook, Key, Registry, RegistryError, Tap,
};

use crate::activation::{Activation, ContextError};
use crate::faults::FaultQueue;
use tracing::{Instrument, Span};

/// The hooks as given to a plugin: look hooks up to call them, and register
/// callbacks that are always owned by the plugin.
///
/// ```
/// use plinth_hooks::{Filter, Key};
/// use plinth_runtime::testing::TestContext;
///
/// const TITLE: Key<Filter<String>> = Key::new("page:title");
///
/// let kit = TestContext::new("seo").build()?;
/// let hooks = kit.context().hooks();
/// hooks.on(&TITLE)?.priority(0).tap(|t| t + " | site");
/// assert_eq!(kit.hooks().hook(&TITLE)?.call("Home".into())?, "Home | site");
/// assert_eq!(kit.hooks().remove_owner(hooks.owner()), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug)]
pub struct PluginHooks {
    registry: Arc<Registry>,
    owner: PluginUrn,
    activation: Arc<Activation>,
    faults: Arc<FaultQueue>,
    // Callbacks run in the plugin's span, so their logs name the plugin.
    span: Span,
}

impl PluginHooks {
    pub(crate) fn new(
        registry: Arc<Registry>,
        activation: Arc<Activation>,
        faults: Arc<FaultQueue>,
        span: Span,
    ) -> Self {
        PluginHooks {
            registry,
            owner: activation.urn().clone(),
            activation,
            faults,
            span,
        }
    }

    /// Starts a registration on the hook under `key`, owned by the plugin.
    ///
    /// # Errors
    /// [`RegistryError::TypeMismatch`] when the name is bound to another
    /// hook type.
    ///
    /// ```
    /// # use plinth_hooks::{Action, Key};
    /// # use plinth_runtime::testing::TestContext;
    /// const TICK: Key<Action<u64>> = Key::new("tick");
    /// let kit = TestContext::new("clock").build()?;
    /// let handle = kit.context().hooks().on(&TICK)?.name("count").tap(|n| println!("{n}"));
    /// assert_eq!(handle.hook(), "tick");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn on<H: Hook>(&self, key: &Key<H>) -> Result<Registration<H>, ContextError> {
        drop(self.activation.register()?);
        Ok(Registration {
            hook: self.registry.hook(key)?,
            tap: Tap::new(self.owner.clone()),
            span: self.span.clone(),
            activation: self.activation.clone(),
            faults: self.faults.clone(),
        })
    }

    /// The hook under `key`, to call it (the seed's `hooks.trigger`).
    ///
    /// # Errors
    /// [`RegistryError::TypeMismatch`] as for [`on`](Self::on).
    ///
    /// ```
    /// # use plinth_hooks::{Action, Key};
    /// # use plinth_runtime::testing::TestContext;
    /// let kit = TestContext::new("p").build()?;
    /// kit.context().hooks().hook(&Key::<Action<u8>>::new("x"))?.call(&1)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hook<H: Hook>(&self, key: &Key<H>) -> Result<Arc<H>, RegistryError> {
        self.registry.hook(key)
    }

    /// Removes one of the plugin's registrations.
    ///
    /// ```
    /// # use plinth_hooks::{Action, Key};
    /// # use plinth_runtime::testing::TestContext;
    /// let kit = TestContext::new("p").build()?;
    /// let hooks = kit.context().hooks();
    /// let h = hooks.on(&Key::<Action<u8>>::new("x"))?.tap(|_| {});
    /// assert!(hooks.unregister(&h));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unregister(&self, handle: &Handle) -> bool {
        self.registry.unregister(handle)
    }

    /// The plugin owning the registrations.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// let kit = TestContext::new("p").build()?;
    /// assert_eq!(kit.context().hooks().owner(), "p");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn owner(&self) -> &PluginUrn {
        &self.owner
    }
}

/// A registration being prepared: set priority, name and ordering
/// constraints, then register with the method of the hook kind.
///
/// ```
/// use plinth_hooks::{Bail, Key};
/// use plinth_runtime::testing::TestContext;
///
/// const ROUTE: Key<Bail<String, u16>> = Key::new("route");
/// let kit = TestContext::new("router").build()?;
/// kit.context().hooks().on(&ROUTE)?.tap(|path| (path == "/").then_some(200));
/// assert_eq!(kit.hooks().hook(&ROUTE)?.call(&"/".into())?, Some(200));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "a registration does nothing until a tap method is called"]
pub struct Registration<H> {
    hook: Arc<H>,
    tap: Tap,
    span: Span,
    activation: Arc<Activation>,
    faults: Arc<FaultQueue>,
}

impl<H: Hook> Registration<H> {
    /// Registers through `tap` unless the activation has ended meanwhile;
    /// then the callback is removed again at once and the handle is dead.
    fn land(self, register: impl FnOnce(&H, Tap, Span) -> Handle) -> Handle {
        let Registration {
            hook,
            tap,
            span,
            activation,
            faults,
        } = self;
        match activation.register() {
            Ok(_gate) => {
                let handle = register(&hook, tap, span);
                faults.track(handle.id(), &activation);
                handle
            }
            Err(_) => {
                let handle = register(&hook, tap, span);
                hook.unregister(&handle);
                handle
            }
        }
    }
}

impl<H> Registration<H> {
    /// Sets the priority: lower runs first, `0` before the default `10`.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, Key};
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// kit.context().hooks().on(&Key::<Filter<u8>>::new("n"))?.priority(0).tap(|n| n);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn priority(mut self, priority: i32) -> Self {
        self.tap = self.tap.priority(priority);
        self
    }

    /// Names the registration (for ordering constraints and messages).
    ///
    /// ```
    /// # use plinth_hooks::{Filter, Key};
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// kit.context().hooks().on(&Key::<Filter<u8>>::new("n"))?.name("double").tap(|n| n * 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name(mut self, name: impl Into<Arc<str>>) -> Self {
        self.tap = self.tap.name(name);
        self
    }

    /// Runs before the registrations named `name`.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, Key};
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// kit.context().hooks().on(&Key::<Filter<u8>>::new("n"))?.before("render").tap(|n| n);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn before(mut self, name: impl Into<Arc<str>>) -> Self {
        self.tap = self.tap.before(name);
        self
    }

    /// Runs after the registrations named `name`.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, Key};
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// kit.context().hooks().on(&Key::<Filter<u8>>::new("n"))?.after("auth").tap(|n| n);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn after(mut self, name: impl Into<Arc<str>>) -> Self {
        self.tap = self.tap.after(name);
        self
    }
}

impl<T: Send + Sync + 'static> Registration<Action<T>> {
    /// Registers an infallible sync callback.
    ///
    /// ```
    /// # use plinth_hooks::{Action, Key};
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// kit.context().hooks().on(&Key::<Action<u8>>::new("tick"))?.tap(|n| println!("{n}"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tap(self, f: impl Fn(&T) + Send + Sync + 'static) -> Handle {
        self.land(|hook, tap, span| hook.tap(tap, move |x| span.in_scope(|| f(x))))
    }

    /// Registers a fallible sync callback; an error marks the plugin failed.
    ///
    /// ```
    /// # use plinth_hooks::{Action, Key};
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// kit.context().hooks().on(&Key::<Action<u8>>::new("tick"))?.try_tap(|_| Ok(()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_tap(self, f: impl Fn(&T) -> Result<(), BoxError> + Send + Sync + 'static) -> Handle {
        self.land(|hook, tap, span| hook.try_tap(tap, move |x| span.in_scope(|| f(x))))
    }

    /// Registers an async callback.
    ///
    /// ```
    /// # use plinth_hooks::{Action, Key};
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// kit.context().hooks().on(&Key::<Action<u8>>::new("tick"))?.tap_async(|_| async { Ok(()) });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tap_async<F, Fut>(self, f: F) -> Handle
    where
        F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
    {
        self.land(|hook, tap, span| hook.tap_async(tap, move |x| f(x).instrument(span.clone())))
    }
}

impl<T: Send + 'static> Registration<Filter<T>> {
    /// Registers an infallible sync step of the waterfall.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, Key};
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// kit.context().hooks().on(&Key::<Filter<u8>>::new("n"))?.tap(|n| n + 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tap(self, f: impl Fn(T) -> T + Send + Sync + 'static) -> Handle {
        self.land(|hook, tap, span| hook.tap(tap, move |x| span.in_scope(|| f(x))))
    }

    /// Registers a fallible sync step, which edits the value in place; an
    /// error stops the chain, hands the caller the value as the step left
    /// it, and marks the plugin failed.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, Key};
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// kit.context().hooks().on(&Key::<Filter<u8>>::new("n"))?.try_tap(|n| {
    ///     *n = n.checked_mul(2).ok_or("overflow")?;
    ///     Ok(())
    /// });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_tap(
        self,
        f: impl Fn(&mut T) -> Result<(), BoxError> + Send + Sync + 'static,
    ) -> Handle {
        self.land(|hook, tap, span| hook.try_tap(tap, move |x| span.in_scope(|| f(x))))
    }

    /// Registers an async step, which edits the value in place (see
    /// [`Filter::tap_async`]).
    ///
    /// ```
    /// # use plinth_hooks::{Filter, Key};
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// kit.context().hooks().on(&Key::<Filter<u8>>::new("n"))?.tap_async(|n| Box::pin(async move {
    ///     *n += 1;
    ///     Ok(())
    /// }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tap_async<F>(self, f: F) -> Handle
    where
        F: for<'a> Fn(&'a mut T) -> BoxFuture<'a, Result<(), BoxError>> + Send + Sync + 'static,
    {
        self.land(|hook, tap, span| {
            hook.tap_async(tap, move |x| Box::pin(f(x).instrument(span.clone())))
        })
    }
}

impl<T: Send + Sync + 'static, R: Send + 'static> Registration<Bail<T, R>> {
    /// Registers an infallible sync callback; `Some` stops the chain.
    ///
    /// ```
    /// # use plinth_hooks::{Bail, Key};
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// kit.context().hooks().on(&Key::<Bail<u8, u8>>::new("b"))?.tap(|n| Some(*n));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tap(self, f: impl Fn(&T) -> Option<R> + Send + Sync + 'static) -> Handle {
        self.land(|hook, tap, span| hook.tap(tap, move |x| span.in_scope(|| f(x))))
    }

    /// Registers a fallible sync callback.
    ///
    /// ```
    /// # use plinth_hooks::{Bail, Key};
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// kit.context().hooks().on(&Key::<Bail<u8, u8>>::new("b"))?.try_tap(|_| Ok(None));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn try_tap(
        self,
        f: impl Fn(&T) -> Result<Option<R>, BoxError> + Send + Sync + 'static,
    ) -> Handle {
        self.land(|hook, tap, span| hook.try_tap(tap, move |x| span.in_scope(|| f(x))))
    }

    /// Registers an async callback.
    ///
    /// ```
    /// # use plinth_hooks::{Bail, Key};
    /// # use plinth_runtime::testing::TestContext;
    /// # let kit = TestContext::new("p").build()?;
    /// kit.context().hooks().on(&Key::<Bail<u8, u8>>::new("b"))?.tap_async(|_| async { Ok(None) });
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tap_async<F, Fut>(self, f: F) -> Handle
    where
        F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<R>, BoxError>> + Send + 'static,
    {
        self.land(|hook, tap, span| hook.tap_async(tap, move |x| f(x).instrument(span.clone())))
    }
}
