//! What the `#[plugin]` attribute expands to; not an API.
//!
//! The attribute cannot see a hook key's type, only the method's signature.
//! So it wraps each `#[hook]` method in a *shape* (by reference, by value,
//! fallible, async) carrying the payload and result types written in the
//! signature, and [`HookMethod`] says which shapes each hook kind accepts.
//! A method that does not fit its key is then one trait error naming the
//! hook type, at the method, instead of a mismatch deep in a closure.

use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use plinth_hooks::{Action, Bail, Filter, Handle};

use crate::Registration;

pub use plinth_hooks::BoxError;

/// A boxed future of the lifecycle methods, spelled without `futures`, so
/// that the expansion needs no dependency of the plugin's crate.
pub type LifecycleFuture<'a, T> = std::pin::Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// `fn(&self, &T) -> O`: an action (`O = ()`) or a bail (`O = Option<R>`).
pub struct ByRef<T, O, F> {
    f: F,
    shape: PhantomData<fn(&T) -> O>,
}

impl<T, O, F: Fn(&T) -> O> ByRef<T, O, F> {
    /// Wraps a callback of this shape.
    pub fn new(f: F) -> Self {
        ByRef {
            f,
            shape: PhantomData,
        }
    }
}

/// `fn(&self, &T) -> Result<O, E>`: a fallible action or bail.
pub struct TryByRef<T, O, F> {
    f: F,
    shape: PhantomData<fn(&T) -> O>,
}

impl<T, O, F: Fn(&T) -> Result<O, BoxError>> TryByRef<T, O, F> {
    /// Wraps a callback of this shape.
    pub fn new(f: F) -> Self {
        TryByRef {
            f,
            shape: PhantomData,
        }
    }
}

/// `fn(&self, T) -> T`: a filter step.
pub struct ByValue<T, O, F> {
    f: F,
    shape: PhantomData<fn(T) -> O>,
}

impl<T, O, F: Fn(T) -> O> ByValue<T, O, F> {
    /// Wraps a callback of this shape.
    pub fn new(f: F) -> Self {
        ByValue {
            f,
            shape: PhantomData,
        }
    }
}

/// `fn(&self, T) -> Result<T, E>`: fits no hook kind (a failing filter
/// step would lose the value); kept so that such a method gets the
/// [`HookMethod`] error that says what fits.
pub struct TryByValue<T, O, F> {
    _f: F,
    shape: PhantomData<fn(T) -> O>,
}

impl<T, O, F: Fn(T) -> Result<O, BoxError>> TryByValue<T, O, F> {
    /// Wraps a callback of this shape.
    pub fn new(f: F) -> Self {
        TryByValue {
            _f: f,
            shape: PhantomData,
        }
    }
}

/// `fn(&self, &mut T) -> Result<(), E>`: a fallible filter step, which
/// edits the value in place so that failing leaves the caller the last good
/// value.
pub struct TryByMut<T, F> {
    f: F,
    shape: PhantomData<fn(&mut T)>,
}

impl<T, F: Fn(&mut T) -> Result<(), BoxError>> TryByMut<T, F> {
    /// Wraps a callback of this shape.
    pub fn new(f: F) -> Self {
        TryByMut {
            f,
            shape: PhantomData,
        }
    }
}

/// `async fn(&self, &mut T)` (or `-> Result<(), E>`): an async filter step,
/// editing the value in place.
pub struct AsyncByMut<T, F> {
    f: F,
    shape: PhantomData<fn(&mut T)>,
}

impl<T, F> AsyncByMut<T, F>
where
    F: for<'a> Fn(&'a mut T) -> LifecycleFuture<'a, Result<(), BoxError>>,
{
    /// Wraps a callback of this shape.
    pub fn new(f: F) -> Self {
        AsyncByMut {
            f,
            shape: PhantomData,
        }
    }
}

/// `async fn(&self, &T) -> O` (or `Result<O, E>`): an async action or bail;
/// the hook hands out an `Arc<T>`, lent to the method.
pub struct AsyncByRef<T, O, F, Fut> {
    f: F,
    shape: PhantomData<fn(&T) -> O>,
    future: PhantomData<fn() -> Fut>,
}

impl<T, O, F, Fut> AsyncByRef<T, O, F, Fut>
where
    F: Fn(Arc<T>) -> Fut,
    Fut: Future<Output = Result<O, BoxError>>,
{
    /// Wraps a callback of this shape.
    pub fn new(f: F) -> Self {
        AsyncByRef {
            f,
            shape: PhantomData,
            future: PhantomData,
        }
    }
}

/// `async fn(&self, Arc<T>) -> O` (or `Result<O, E>`): an async action or
/// bail taking the `Arc<T>` the hook hands out.
pub struct AsyncByValue<A, O, F, Fut> {
    f: F,
    shape: PhantomData<fn(A) -> O>,
    future: PhantomData<fn() -> Fut>,
}

impl<A, O, F, Fut> AsyncByValue<A, O, F, Fut>
where
    F: Fn(A) -> Fut,
    Fut: Future<Output = Result<O, BoxError>>,
{
    /// Wraps a callback of this shape.
    pub fn new(f: F) -> Self {
        AsyncByValue {
            f,
            shape: PhantomData,
            future: PhantomData,
        }
    }
}

/// The method shapes a hook kind accepts, and how each is registered.
#[diagnostic::on_unimplemented(
    message = "this `#[hook]` method does not fit the hook `{Self}`",
    label = "its signature does not fit `{Self}`",
    note = "a `Filter<T>` method is `fn(&self, T) -> T`, or `fn(&self, &mut T) -> Result<(), E>` when it can fail, or `async fn(&self, &mut T)` (optionally returning `Result<(), E>`)",
    note = "an `Action<T>` method is `fn(&self, &T)`, a `Bail<T, R>` method `fn(&self, &T) -> Option<R>`; each may return `Result<_, E>` instead, or be an `async fn`"
)]
pub trait HookMethod<M>: Sized {
    /// Registers the wrapped callback.
    fn register(registration: Registration<Self>, method: M) -> Handle;
}

/// Registers `method` on the hook of `registration`; a free function so
/// that the hook type is inferred from the key.
pub fn register<H: HookMethod<M>, M>(registration: Registration<H>, method: M) -> Handle {
    H::register(registration, method)
}

impl<T, F> HookMethod<ByRef<T, (), F>> for Action<T>
where
    T: Send + Sync + 'static,
    F: Fn(&T) + Send + Sync + 'static,
{
    fn register(registration: Registration<Self>, method: ByRef<T, (), F>) -> Handle {
        registration.tap(method.f)
    }
}

impl<T, F> HookMethod<TryByRef<T, (), F>> for Action<T>
where
    T: Send + Sync + 'static,
    F: Fn(&T) -> Result<(), BoxError> + Send + Sync + 'static,
{
    fn register(registration: Registration<Self>, method: TryByRef<T, (), F>) -> Handle {
        registration.try_tap(method.f)
    }
}

impl<T, F, Fut> HookMethod<AsyncByRef<T, (), F, Fut>> for Action<T>
where
    T: Send + Sync + 'static,
    F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    fn register(registration: Registration<Self>, method: AsyncByRef<T, (), F, Fut>) -> Handle {
        registration.tap_async(method.f)
    }
}

impl<T, F, Fut> HookMethod<AsyncByValue<Arc<T>, (), F, Fut>> for Action<T>
where
    T: Send + Sync + 'static,
    F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), BoxError>> + Send + 'static,
{
    fn register(
        registration: Registration<Self>,
        method: AsyncByValue<Arc<T>, (), F, Fut>,
    ) -> Handle {
        registration.tap_async(method.f)
    }
}

impl<T, R, F> HookMethod<ByRef<T, Option<R>, F>> for Bail<T, R>
where
    T: Send + Sync + 'static,
    R: Send + 'static,
    F: Fn(&T) -> Option<R> + Send + Sync + 'static,
{
    fn register(registration: Registration<Self>, method: ByRef<T, Option<R>, F>) -> Handle {
        registration.tap(method.f)
    }
}

impl<T, R, F> HookMethod<TryByRef<T, Option<R>, F>> for Bail<T, R>
where
    T: Send + Sync + 'static,
    R: Send + 'static,
    F: Fn(&T) -> Result<Option<R>, BoxError> + Send + Sync + 'static,
{
    fn register(registration: Registration<Self>, method: TryByRef<T, Option<R>, F>) -> Handle {
        registration.try_tap(method.f)
    }
}

impl<T, R, F, Fut> HookMethod<AsyncByRef<T, Option<R>, F, Fut>> for Bail<T, R>
where
    T: Send + Sync + 'static,
    R: Send + 'static,
    F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<R>, BoxError>> + Send + 'static,
{
    fn register(
        registration: Registration<Self>,
        method: AsyncByRef<T, Option<R>, F, Fut>,
    ) -> Handle {
        registration.tap_async(method.f)
    }
}

impl<T, R, F, Fut> HookMethod<AsyncByValue<Arc<T>, Option<R>, F, Fut>> for Bail<T, R>
where
    T: Send + Sync + 'static,
    R: Send + 'static,
    F: Fn(Arc<T>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<R>, BoxError>> + Send + 'static,
{
    fn register(
        registration: Registration<Self>,
        method: AsyncByValue<Arc<T>, Option<R>, F, Fut>,
    ) -> Handle {
        registration.tap_async(method.f)
    }
}

impl<T, F> HookMethod<ByValue<T, T, F>> for Filter<T>
where
    T: Send + 'static,
    F: Fn(T) -> T + Send + Sync + 'static,
{
    fn register(registration: Registration<Self>, method: ByValue<T, T, F>) -> Handle {
        registration.tap(method.f)
    }
}

impl<T, F> HookMethod<TryByMut<T, F>> for Filter<T>
where
    T: Send + 'static,
    F: Fn(&mut T) -> Result<(), BoxError> + Send + Sync + 'static,
{
    fn register(registration: Registration<Self>, method: TryByMut<T, F>) -> Handle {
        registration.try_tap(method.f)
    }
}

impl<T, F> HookMethod<AsyncByMut<T, F>> for Filter<T>
where
    T: Send + 'static,
    F: for<'a> Fn(&'a mut T) -> LifecycleFuture<'a, Result<(), BoxError>> + Send + Sync + 'static,
{
    fn register(registration: Registration<Self>, method: AsyncByMut<T, F>) -> Handle {
        registration.tap_async(method.f)
    }
}

/// A fallible hook method's error as the hooks carry it. A function rather
/// than `Into::into` at the method, where lints would see a conversion to
/// the same type when the method already returns `BoxError`.
pub fn into_box_error<E: Into<BoxError>>(error: E) -> BoxError {
    error.into()
}

/// The clone of the plugin a hook registration owns. Named for the error
/// it gives, at the plugin's type, when the plugin is not `Clone`.
pub fn plugin_with_hook_methods_must_be_clone<P: Clone>(plugin: &P) -> P {
    plugin.clone()
}
