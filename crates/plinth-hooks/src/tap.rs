//! Registration options and the handles registrations return.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use plinth_core::PluginUrn;

/// The priority of a registration that does not set one.
pub const DEFAULT_PRIORITY: i32 = 10;

/// How a callback is registered: its owner (always), and optionally a name,
/// a priority (lower runs first; equal priorities keep registration order)
/// and `before` / `after` constraints on named registrations.
///
/// A [`PluginUrn`] converts into a `Tap` with default options, so the common
/// case is `hook.tap(urn, f)`.
///
/// ```
/// use plinth_hooks::{Filter, PluginUrn, Tap};
///
/// let hook = Filter::<String>::new("title");
/// let urn = PluginUrn::new("seo")?;
/// hook.tap(Tap::new(urn.clone()).name("suffix"), |s| s + " | site");
/// hook.tap(Tap::new(urn.clone()).priority(0), |s| s.trim().to_string());
/// hook.tap(Tap::new(urn).before("suffix"), |s| s.to_uppercase());
/// assert_eq!(hook.call("  home ".into())?, "HOME | site");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Tap {
    pub(crate) owner: PluginUrn,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) priority: i32,
    pub(crate) before: Vec<Arc<str>>,
    pub(crate) after: Vec<Arc<str>>,
}

impl Tap {
    /// Default options for a callback owned by `owner`.
    ///
    /// ```
    /// # use plinth_hooks::{PluginUrn, Tap};
    /// let tap = Tap::new(PluginUrn::new("p")?);
    /// assert_eq!(tap.owner(), "p");
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn new(owner: PluginUrn) -> Self {
        Tap {
            owner,
            name: None,
            priority: DEFAULT_PRIORITY,
            before: Vec::new(),
            after: Vec::new(),
        }
    }

    /// The owner of the registration.
    ///
    /// ```
    /// # use plinth_hooks::{PluginUrn, Tap};
    /// assert_eq!(Tap::new(PluginUrn::new("p")?).owner().as_str(), "p");
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn owner(&self) -> &PluginUrn {
        &self.owner
    }

    /// Names the registration, so that others can order themselves around it
    /// and errors mention it.
    ///
    /// ```
    /// # use plinth_hooks::{PluginUrn, Tap};
    /// let tap = Tap::new(PluginUrn::new("p")?).name("cache");
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn name(mut self, name: impl Into<Arc<str>>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the priority: lower runs first, `0` before the default `10`,
    /// negative values before `0`.
    ///
    /// ```
    /// # use plinth_hooks::{PluginUrn, Tap};
    /// let tap = Tap::new(PluginUrn::new("audit")?).priority(0);
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn priority(mut self, priority: i32) -> Self {
        self.priority = priority;
        self
    }

    /// Runs before every registration named `name` (whatever the priorities).
    /// Unknown names are ignored, so plugins may name optional peers.
    ///
    /// ```
    /// # use plinth_hooks::{PluginUrn, Tap};
    /// let tap = Tap::new(PluginUrn::new("p")?).before("render");
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn before(mut self, name: impl Into<Arc<str>>) -> Self {
        self.before.push(name.into());
        self
    }

    /// Runs after every registration named `name` (whatever the priorities).
    ///
    /// ```
    /// # use plinth_hooks::{PluginUrn, Tap};
    /// let tap = Tap::new(PluginUrn::new("p")?).after("auth");
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn after(mut self, name: impl Into<Arc<str>>) -> Self {
        self.after.push(name.into());
        self
    }
}

impl From<PluginUrn> for Tap {
    fn from(owner: PluginUrn) -> Self {
        Tap::new(owner)
    }
}

impl From<&PluginUrn> for Tap {
    fn from(owner: &PluginUrn) -> Self {
        Tap::new(owner.clone())
    }
}

/// Identifies one registration; pass it back to `unregister` to remove
/// exactly that callback. Ids are unique across all hooks of the process, so
/// a handle never removes anything from another hook.
///
/// ```
/// use plinth_hooks::{Action, Hook, PluginUrn};
///
/// let hook = Action::<u8>::new("tick");
/// let handle = hook.tap(PluginUrn::new("p")?, |_| {});
/// assert_eq!(handle.hook(), "tick");
/// assert!(hook.unregister(&handle));
/// assert!(!hook.unregister(&handle));
/// # Ok::<(), plinth_hooks::GuardError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Handle {
    pub(crate) hook: Arc<str>,
    pub(crate) id: u64,
}

impl Handle {
    /// The name of the hook (or topic, or event) the registration belongs to.
    ///
    /// ```
    /// # use plinth_hooks::{Action, PluginUrn};
    /// # let hook = Action::<u8>::new("tick");
    /// assert_eq!(hook.tap(PluginUrn::new("p")?, |_| {}).hook(), "tick");
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn hook(&self) -> &str {
        &self.hook
    }

    /// The registration's identity, unique in the process; interceptors see
    /// it as [`CallInfo::registration`](crate::CallInfo::registration).
    ///
    /// ```
    /// # use plinth_hooks::{Action, PluginUrn};
    /// # let hook = Action::<u8>::new("tick");
    /// let a = hook.tap(PluginUrn::new("p")?, |_| {});
    /// let b = hook.tap(PluginUrn::new("p")?, |_| {});
    /// assert_ne!(a.id(), b.id());
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn id(&self) -> u64 {
        self.id
    }
}

/// Everything about a registration except its callback; shared by every
/// snapshot that contains it.
#[derive(Debug)]
pub(crate) struct Meta {
    /// Unique and increasing, so it doubles as the registration order.
    pub(crate) id: u64,
    pub(crate) owner: PluginUrn,
    pub(crate) name: Option<Arc<str>>,
    pub(crate) priority: i32,
    pub(crate) before: Vec<Arc<str>>,
    pub(crate) after: Vec<Arc<str>>,
}

pub(crate) fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Meta {
    pub(crate) fn from_tap(tap: Tap) -> Self {
        Meta {
            id: next_id(),
            owner: tap.owner,
            name: tap.name,
            priority: tap.priority,
            before: tap.before,
            after: tap.after,
        }
    }
}

/// A callback with its registration data, as stored in snapshots.
#[derive(Debug)]
pub(crate) struct Slot<C> {
    pub(crate) callback: C,
    pub(crate) meta: Arc<Meta>,
}

impl<C: Clone> Clone for Slot<C> {
    fn clone(&self) -> Self {
        Slot {
            callback: self.callback.clone(),
            meta: self.meta.clone(),
        }
    }
}
