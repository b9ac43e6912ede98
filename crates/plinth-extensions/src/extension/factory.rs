//! Factories: how an extension instance is made, synchronously or not.

use std::any::Any;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use crate::ExtensionInfo;

pub use plinth_core::BoxError;

/// The result of a factory: an instance, or `None` when the extension
/// declines (the seeds' `null` instance: skipped without an error).
///
/// ```
/// # use plinth_extensions::{ConnectOptions, ExtensionPoint, ExtensionRegistry, Factory, FactoryResult};
/// const P: ExtensionPoint<(), (), &str> = ExtensionPoint::new("p");
/// fn on_mars() -> FactoryResult<&'static str> { Ok(None) }
/// let r = ExtensionRegistry::new();
/// r.register(&P, "mars", Factory::optional(|_, _, _| on_mars()))
///     .register(&P, "earth", Factory::sync(|_, _, _| Ok("earth")));
/// assert_eq!(r.connect_blocking(&(), &P, ConnectOptions::new())?.single(), Some("earth"));
/// # Ok::<(), plinth_extensions::ConnectError>(())
/// ```
pub type FactoryResult<T> = Result<Option<T>, BoxError>;

/// A boxed future borrowing the connect arguments.
///
/// ```
/// use plinth_extensions::BoxFuture;
/// let name = String::from("xedit");
/// let len: BoxFuture<'_, usize> = Box::pin(async { name.len() });
/// assert_eq!(futures::executor::block_on(len), 5);
/// ```
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What [`ExtensionFactory::create`] returns: a result right away (sync
/// factories, no allocation) or a future (async factories).
///
/// ```
/// use plinth_extensions::Creation;
/// let ready: Creation<'_, u8> = Creation::Ready(Ok(Some(1)));
/// let pending: Creation<'_, u8> = Creation::Pending(Box::pin(async { Ok(Some(2)) }));
/// let (a, b) = futures::executor::block_on(async { (ready.finish().await, pending.finish().await) });
/// assert_eq!((a.unwrap(), b.unwrap()), (Some(1), Some(2)));
/// ```
pub enum Creation<'a, T> {
    /// The factory finished synchronously.
    Ready(FactoryResult<T>),
    /// The factory finishes later.
    Pending(BoxFuture<'a, FactoryResult<T>>),
}

impl<'a, T> Creation<'a, T> {
    /// Waits for the result.
    ///
    /// ```
    /// use plinth_extensions::Creation;
    /// let c: Creation<'_, u8> = Creation::Ready(Ok(Some(1)));
    /// assert_eq!(futures::executor::block_on(c.finish()).unwrap(), Some(1));
    /// ```
    pub async fn finish(self) -> FactoryResult<T> {
        match self {
            Creation::Ready(result) => result,
            Creation::Pending(future) => future.await,
        }
    }
}

/// Makes instances of one extension: receives `(data, host, info)` as in the
/// seeds. Implement it for factories with state; closures go through
/// [`Factory::sync`] and [`Factory::from_async`].
///
/// ```
/// use plinth_extensions::{Creation, ExtensionFactory, ExtensionInfo};
///
/// struct Greeter(&'static str);
/// impl ExtensionFactory<(), str, String> for Greeter {
///     fn create<'a>(&'a self, data: &'a str, _: &'a (), _: &'a ExtensionInfo) -> Creation<'a, String> {
///         Creation::Ready(Ok(Some(format!("{} {data}", self.0))))
///     }
/// }
/// let info = ExtensionInfo::new("p", "n");
/// let made = futures::executor::block_on(Greeter("hello").create("you", &(), &info).finish());
/// assert_eq!(made.unwrap().as_deref(), Some("hello you"));
/// ```
pub trait ExtensionFactory<H: ?Sized, D: ?Sized, T>: Send + Sync + 'static {
    /// Creates an instance (or declines with `Ok(None)`).
    fn create<'a>(&'a self, data: &'a D, host: &'a H, info: &'a ExtensionInfo) -> Creation<'a, T>;
}

/// A shareable factory for points of type `(H, D, T)`: what
/// [`ExtensionRegistry::register`](crate::ExtensionRegistry::register) takes.
///
/// ```
/// use plinth_extensions::{Factory, ExtensionInfo};
///
/// let sync: Factory<(), String, String> = Factory::sync(|data, _host, info| {
///     Ok(format!("{}/{}: {data}", info.point(), info.name()))
/// });
/// let asynchronous: Factory<(), String, String> =
///     Factory::from_async(|data: &String, _host, _info| Box::pin(async move { Ok(data.clone()) }));
/// # let _ = (sync, asynchronous);
/// ```
pub struct Factory<H: ?Sized, D: ?Sized, T> {
    inner: Arc<dyn ExtensionFactory<H, D, T>>,
}

impl<H: ?Sized + 'static, D: ?Sized + 'static, T: 'static> Factory<H, D, T> {
    /// Wraps any [`ExtensionFactory`].
    ///
    /// ```
    /// # use plinth_extensions::{Creation, ExtensionFactory, ExtensionInfo, Factory};
    /// struct Zero;
    /// impl ExtensionFactory<(), (), u8> for Zero {
    ///     fn create<'a>(&'a self, _: &'a (), _: &'a (), _: &'a ExtensionInfo) -> Creation<'a, u8> {
    ///         Creation::Ready(Ok(Some(0)))
    ///     }
    /// }
    /// let f = Factory::new(Zero);
    /// # let _ = f;
    /// ```
    pub fn new(factory: impl ExtensionFactory<H, D, T>) -> Self {
        Factory {
            inner: Arc::new(factory),
        }
    }

    /// A synchronous factory (the seeds' three-argument form). An `Err` is
    /// reported to the connect's error callback and the extension skipped.
    ///
    /// ```
    /// # use plinth_extensions::Factory;
    /// let f: Factory<(), (), &str> = Factory::sync(|_, _, _| Ok("plugin"));
    /// # let _ = f;
    /// ```
    pub fn sync<F>(f: F) -> Self
    where
        F: Fn(&D, &H, &ExtensionInfo) -> Result<T, BoxError> + Send + Sync + 'static,
    {
        Factory::new(SyncFn(move |d: &D, h: &H, i: &ExtensionInfo| {
            f(d, h, i).map(Some)
        }))
    }

    /// A synchronous factory that may decline with `Ok(None)`, so that a
    /// single connect moves on to the next candidate without an error.
    ///
    /// ```
    /// # use plinth_extensions::Factory;
    /// let only_on_unix: Factory<(), (), &str> =
    ///     Factory::optional(|_, _, _| Ok(cfg!(unix).then_some("unix tool")));
    /// # let _ = only_on_unix;
    /// ```
    pub fn optional<F>(f: F) -> Self
    where
        F: Fn(&D, &H, &ExtensionInfo) -> FactoryResult<T> + Send + Sync + 'static,
    {
        Factory::new(SyncFn(f))
    }

    /// An asynchronous factory (the seeds' callback form). The future may
    /// borrow the data, the host and the info. Closures need the data
    /// parameter's type written out (`|data: &u32, _, _|`): the compiler
    /// cannot infer a borrowed argument of a higher-ranked closure.
    ///
    /// ```
    /// # use plinth_extensions::Factory;
    /// let f: Factory<(), u32, u32> =
    ///     Factory::from_async(|data, _, _| Box::pin(async move { Ok(*data + 1) }));
    /// # let _ = f;
    /// ```
    pub fn from_async<F>(f: F) -> Self
    where
        F: for<'a> Fn(&'a D, &'a H, &'a ExtensionInfo) -> BoxFuture<'a, Result<T, BoxError>>
            + Send
            + Sync
            + 'static,
    {
        Factory::new(AsyncFn(f))
    }

    /// The factory as a trait object.
    ///
    /// ```
    /// # use plinth_extensions::{ExtensionInfo, Factory};
    /// let f: Factory<(), (), u8> = Factory::sync(|_, _, _| Ok(1));
    /// let info = ExtensionInfo::new("p", "one");
    /// let made = f.as_dyn().create(&(), &(), &info);
    /// assert_eq!(futures::executor::block_on(made.finish()).unwrap(), Some(1));
    /// ```
    pub fn as_dyn(&self) -> &dyn ExtensionFactory<H, D, T> {
        &*self.inner
    }

    /// Erases the types, for registries that hold factories of many points.
    ///
    /// ```
    /// # use plinth_extensions::Factory;
    /// let f: Factory<(), (), u8> = Factory::sync(|_, _, _| Ok(1));
    /// let erased = f.erase();
    /// assert!(erased.downcast::<(), (), u8>().is_some());
    /// assert!(erased.downcast::<(), (), u16>().is_none());
    /// ```
    pub fn erase(self) -> ErasedFactory {
        ErasedFactory {
            inner: Arc::new(self),
            types: std::any::type_name::<(&H, &D, T)>(),
        }
    }
}

impl<H: ?Sized, D: ?Sized, T> Clone for Factory<H, D, T> {
    fn clone(&self) -> Self {
        Factory {
            inner: self.inner.clone(),
        }
    }
}

impl<H: ?Sized, D: ?Sized, T> fmt::Debug for Factory<H, D, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Factory")
    }
}

struct SyncFn<F>(F);

impl<H, D, T, F> ExtensionFactory<H, D, T> for SyncFn<F>
where
    H: ?Sized,
    D: ?Sized,
    F: Fn(&D, &H, &ExtensionInfo) -> FactoryResult<T> + Send + Sync + 'static,
{
    fn create<'a>(&'a self, data: &'a D, host: &'a H, info: &'a ExtensionInfo) -> Creation<'a, T> {
        Creation::Ready((self.0)(data, host, info))
    }
}

struct AsyncFn<F>(F);

impl<H, D, T, F> ExtensionFactory<H, D, T> for AsyncFn<F>
where
    H: ?Sized,
    D: ?Sized,
    T: 'static,
    F: for<'a> Fn(&'a D, &'a H, &'a ExtensionInfo) -> BoxFuture<'a, Result<T, BoxError>>
        + Send
        + Sync
        + 'static,
{
    fn create<'a>(&'a self, data: &'a D, host: &'a H, info: &'a ExtensionInfo) -> Creation<'a, T> {
        let future = (self.0)(data, host, info);
        Creation::Pending(Box::pin(async move { future.await.map(Some) }))
    }
}

/// A factory whose point types are erased: what native modules and
/// registries store. [`downcast`](Self::downcast) recovers it for a point of
/// the right types.
///
/// ```
/// # use plinth_extensions::Factory;
/// let erased = Factory::<(), (), u8>::sync(|_, _, _| Ok(1)).erase();
/// assert!(erased.types().contains("u8"));
/// ```
#[derive(Clone)]
pub struct ErasedFactory {
    inner: Arc<dyn Any + Send + Sync>,
    types: &'static str,
}

impl ErasedFactory {
    /// The factory, if it was made for points of types `(H, D, T)`.
    ///
    /// ```
    /// # use plinth_extensions::Factory;
    /// let erased = Factory::<(), str, String>::sync(|d, _, _| Ok(d.to_uppercase())).erase();
    /// assert!(erased.downcast::<(), str, String>().is_some());
    /// assert!(erased.downcast::<(), String, String>().is_none());
    /// ```
    pub fn downcast<H, D, T>(&self) -> Option<&Factory<H, D, T>>
    where
        H: ?Sized + 'static,
        D: ?Sized + 'static,
        T: 'static,
    {
        self.inner.downcast_ref::<Factory<H, D, T>>()
    }

    /// The types the factory was made for, as `(&host, &data, instance)`,
    /// for error messages.
    ///
    /// ```
    /// # use plinth_extensions::Factory;
    /// let erased = Factory::<(), str, u8>::sync(|_, _, _| Ok(1)).erase();
    /// assert!(erased.types().contains("str") && erased.types().contains("u8"));
    /// ```
    pub fn types(&self) -> &'static str {
        self.types
    }
}

impl fmt::Debug for ErasedFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ErasedFactory").field(&self.types).finish()
    }
}
