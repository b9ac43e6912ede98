//! What every hook kind shares, written once: its name, its registrations
//! and how they go, and who watches its calls.

use std::sync::Arc;

use plinth_core::PluginUrn;

use crate::core::{Callback, Config, Core};
use crate::{Handle, Interceptor};

pub(crate) mod sealed {
    use super::*;

    /// How a hook kind reaches the [`Core`] it is built on; outside the
    /// crate, nothing can implement [`Hook`](super::Hook).
    pub trait Sealed: Sized {
        type Callback: Callback + Send + Sync;
        /// What runs around the kind's chain (`()` where it has none).
        type Wrapper: Clone + Send + Sync;
        fn core(&self) -> &Core<Self::Callback, Self::Wrapper>;
        fn create(name: Arc<str>, config: Config) -> Self;
    }
}

/// The part every hook kind shares: [`Action`](crate::Action),
/// [`Filter`](crate::Filter), [`Bail`](crate::Bail) and
/// [`Historic`](crate::Historic) each add only the ways to register and to
/// call that are their own. Import it (or [`prelude`](crate::prelude)) to
/// use these methods. Sealed.
///
/// A [`Registry`](crate::Registry) holds any `Hook` under a typed
/// [`Key`](crate::Key); a [`HookMap`](crate::HookMap) holds hooks of one
/// type under run-time keys.
///
/// ```
/// use plinth_hooks::prelude::*;
/// use plinth_hooks::{Action, Filter};
///
/// // Written once for every kind: generic code sees one vocabulary.
/// fn drop_plugin(hook: &impl Hook, plugin: &PluginUrn) -> usize {
///     hook.remove_owner(plugin)
/// }
///
/// let price = Filter::<u32>::new("price");
/// let sold = Action::<u32>::new("sold");
/// let promo = PluginUrn::new("promo")?;
/// let kept = price.tap(&promo, |p| p - 1);
/// sold.tap(&promo, |_| {});
/// assert_eq!(price.name(), "price");
/// assert_eq!(drop_plugin(&sold, &promo), 1);
/// assert!(sold.is_empty());
/// assert!(price.unregister(&kept));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait Hook: sealed::Sealed + Send + Sync + 'static {
    /// The hook's name.
    ///
    /// ```
    /// use plinth_hooks::{Filter, Hook};
    /// assert_eq!(Filter::<u8>::new("n").name(), "n");
    /// ```
    fn name(&self) -> &str {
        &self.core().name
    }

    /// Number of registrations: callbacks and wrappers.
    ///
    /// ```
    /// use plinth_hooks::{Filter, Hook, PluginUrn};
    /// let hook = Filter::<u8>::new("n");
    /// hook.tap(PluginUrn::new("p")?, |n| n);
    /// assert_eq!(hook.len(), 1);
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    fn len(&self) -> usize {
        self.core().len()
    }

    /// Whether nothing is registered.
    ///
    /// ```
    /// use plinth_hooks::{Bail, Hook};
    /// assert!(Bail::<u8, u8>::new("b").is_empty());
    /// ```
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Removes exactly the registration `handle` names, callback or
    /// wrapper; `false` if it is not (or no longer) registered here. The
    /// change applies from the next call; [`quiesce`](crate::quiesce)
    /// waits for calls already running.
    ///
    /// ```
    /// use plinth_hooks::{Filter, Hook, PluginUrn};
    /// let hook = Filter::<u8>::new("n");
    /// let h = hook.tap(PluginUrn::new("p")?, |n| n + 1);
    /// assert!(hook.unregister(&h));
    /// assert!(!hook.unregister(&h));
    /// assert_eq!(hook.call(1)?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    fn unregister(&self, handle: &Handle) -> bool {
        self.core().unregister(handle)
    }

    /// Removes everything `owner` registered here (a plugin being
    /// disabled); returns how many registrations went.
    ///
    /// ```
    /// use plinth_hooks::{Action, Hook, PluginUrn};
    /// let hook = Action::<u8>::new("tick");
    /// let p = PluginUrn::new("p")?;
    /// hook.tap(&p, |_| {});
    /// hook.tap(&p, |_| {});
    /// hook.tap(PluginUrn::application(), |_| {});
    /// assert_eq!(hook.remove_owner(&p), 2);
    /// assert_eq!(hook.len(), 1);
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    fn remove_owner(&self, owner: &PluginUrn) -> usize {
        self.core().remove_owner(owner)
    }

    /// Installs an interceptor that observes every later invocation of a
    /// callback or wrapper.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use plinth_hooks::{CallInfo, Historic, Hook, Interceptor};
    /// struct Quiet;
    /// impl Interceptor for Quiet { fn on_call(&self, _: &CallInfo<'_>) {} }
    /// Historic::<u8>::new("h").intercept(Arc::new(Quiet));
    /// ```
    fn intercept(&self, interceptor: Arc<dyn Interceptor>) {
        self.core().intercept(interceptor)
    }
}
