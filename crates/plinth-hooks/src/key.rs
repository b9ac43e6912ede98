//! Typed hook keys: a name and, in the type, the hook kind and payload.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use plinth_core::PluginUrn;

use crate::{Action, Bail, Config, Filter, Handle, Historic, Interceptor};

/// Addresses a hook in a [`Registry`](crate::Registry) by name, carrying
/// the hook's kind and payload type, so that registering or triggering with
/// the wrong payload does not compile.
///
/// ```
/// use plinth_hooks::{Filter, Key, PluginUrn, Registry};
///
/// const TITLE: Key<Filter<String>> = Key::new("page:title");
///
/// let registry = Registry::new();
/// registry.hook(&TITLE)?.tap(PluginUrn::new("seo")?, |t| t + " | plinth");
/// assert_eq!(registry.hook(&TITLE)?.call("Home".into())?, "Home | plinth");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// Triggering with the wrong payload does not compile:
///
/// ```compile_fail
/// # use plinth_hooks::{Filter, Key, Registry};
/// const TITLE: Key<Filter<String>> = Key::new("page:title");
/// let registry = Registry::new();
/// let _ = registry.hook(&TITLE).unwrap().call(42); // expected `String`
/// ```
pub struct Key<H> {
    name: Cow<'static, str>,
    // fn() -> H: the key neither owns an H nor limits Send/Sync.
    hook: PhantomData<fn() -> H>,
}

impl<H> Key<H> {
    /// A key with a static name, usable in `const` items.
    ///
    /// ```
    /// # use plinth_hooks::{Action, Key};
    /// const READY: Key<Action<()>> = Key::new("plugins:ready");
    /// assert_eq!(READY.name(), "plugins:ready");
    /// ```
    pub const fn new(name: &'static str) -> Self {
        Key {
            name: Cow::Borrowed(name),
            hook: PhantomData,
        }
    }

    /// A key with a name known only at run time (from a manifest, say).
    ///
    /// ```
    /// # use plinth_hooks::{Action, Key};
    /// let key = Key::<Action<u8>>::named(format!("{}:ready", "db"));
    /// assert_eq!(key.name(), "db:ready");
    /// ```
    pub fn named(name: impl Into<String>) -> Self {
        Key {
            name: Cow::Owned(name.into()),
            hook: PhantomData,
        }
    }

    /// The hook's name.
    ///
    /// ```
    /// # use plinth_hooks::{Action, Key};
    /// assert_eq!(Key::<Action<u8>>::new("x").name(), "x");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl<H> Clone for Key<H> {
    fn clone(&self) -> Self {
        Key {
            name: self.name.clone(),
            hook: PhantomData,
        }
    }
}

impl<H> fmt::Debug for Key<H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Key")
            .field(&self.name)
            .field(&std::any::type_name::<H>())
            .finish()
    }
}

mod sealed {
    pub trait Sealed {}
}

/// The hook types a [`Registry`](crate::Registry) can hold: [`Action`],
/// [`Filter`], [`Bail`] and [`Historic`]. Sealed.
///
/// ```
/// use plinth_hooks::{Filter, Hook};
/// fn takes_hook<H: Hook>() {}
/// takes_hook::<Filter<u8>>();
/// ```
pub trait Hook: sealed::Sealed + Send + Sync + 'static {
    #[doc(hidden)]
    fn create(name: Arc<str>, config: Config) -> Self;
    #[doc(hidden)]
    fn unregister_handle(&self, handle: &Handle) -> bool;
    #[doc(hidden)]
    fn remove_owner_all(&self, owner: &PluginUrn) -> usize;
    #[doc(hidden)]
    fn add_interceptor(&self, interceptor: Arc<dyn Interceptor>);
}

macro_rules! impl_hook {
    ($ty:ident <$($p:ident),*> where $($bound:tt)*) => {
        impl<$($p),*> sealed::Sealed for $ty<$($p),*> where $($bound)* {}
        impl<$($p),*> Hook for $ty<$($p),*> where $($bound)* {
            fn create(name: Arc<str>, config: Config) -> Self {
                $ty::with_config(name, config)
            }
            fn unregister_handle(&self, handle: &Handle) -> bool {
                self.unregister(handle)
            }
            fn remove_owner_all(&self, owner: &PluginUrn) -> usize {
                self.remove_owner(owner)
            }
            fn add_interceptor(&self, interceptor: Arc<dyn Interceptor>) {
                self.intercept(interceptor)
            }
        }
    };
}

impl_hook!(Action<T> where T: Send + Sync + 'static);
impl_hook!(Filter<T> where T: Send + 'static);
impl_hook!(Bail<T, R> where T: Send + Sync + 'static, R: Send + 'static);
impl_hook!(Historic<T> where T: Send + Sync + 'static);
