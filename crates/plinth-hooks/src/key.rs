//! Typed hook keys: a name and, in the type, the hook kind and payload.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

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
