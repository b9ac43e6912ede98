//! Caller handles: a hook's snapshot kept by the code that calls it, for
//! hot loops.
//!
//! `hook.call(..)` finds the calling thread's cached snapshot through a
//! thread-local lookup on every call. A caller handle keeps the snapshot
//! itself, so a repeated call costs one atomic load (the hook's stamp) and
//! a comparison before the callbacks run. It sees every registration and
//! removal made before each call, exactly as `call` does.
//!
//! A handle borrows its hook and is used through `&mut self`, so one handle
//! serves one thread at a time and a callback cannot re-enter it (it can
//! still call the hook itself). It keeps its snapshot, and the callbacks
//! in it, alive until its next call after a change, or until it is
//! dropped.

use crate::action::ActionFn;
use crate::bail::BailFn;
use crate::core::Pinned;
use crate::filter::FilterFn;
use crate::{Action, ActionError, Bail, CallbackError, Filter, FilterError};

/// A handle for calling a [`Filter`] repeatedly from one place; see
/// [`Filter::caller`].
///
/// ```
/// use plinth_hooks::{Filter, PluginUrn};
///
/// let hook = Filter::<u64>::new("score");
/// hook.tap(PluginUrn::new("p")?, |n| n + 1);
/// let mut caller = hook.caller();
/// let total: u64 = (0..1000).map(|i| caller.call(i).unwrap()).sum();
/// assert_eq!(total, 500_500);
/// # Ok::<(), plinth_hooks::GuardError>(())
/// ```
pub struct FilterCaller<'h, T> {
    hook: &'h Filter<T>,
    pinned: Option<Pinned<FilterFn<T>, crate::filter::WrapFn<T>>>,
}

impl<T: Send + 'static> Filter<T> {
    /// A handle that keeps this hook's snapshot between calls: for code
    /// that calls the hook many times, it skips the per-call thread-local
    /// lookup of [`call`](Self::call). Registrations and removals still
    /// apply from the next call.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, Hook, PluginUrn};
    /// let hook = Filter::<u32>::new("n");
    /// let mut caller = hook.caller();
    /// assert_eq!(caller.call(1)?, 1);
    /// let h = hook.tap(PluginUrn::new("p")?, |n| n * 10);
    /// assert_eq!(caller.call(1)?, 10);
    /// hook.unregister(&h);
    /// assert_eq!(caller.call(1)?, 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn caller(&self) -> FilterCaller<'_, T> {
        FilterCaller {
            hook: self,
            pinned: None,
        }
    }
}

impl<T: Send + 'static> FilterCaller<'_, T> {
    /// Runs the sync waterfall, as [`Filter::call`] does.
    ///
    /// ```
    /// # use plinth_hooks::{Fault, Filter, PluginUrn};
    /// let hook = Filter::<u8>::new("n");
    /// hook.tap(PluginUrn::new("bad")?, |n| if n > 1 { panic!("boom") } else { n });
    /// hook.try_tap(PluginUrn::new("picky")?, |_| Err("no".into()));
    /// let mut caller = hook.caller();
    /// let err = caller.call(2).unwrap_err();
    /// assert_eq!(err.owner, "bad");
    /// assert!(matches!(err.fault, Fault::Panic(_)));
    /// assert_eq!(caller.call(1).unwrap_err().into_value(), Some(1));
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Filter::call`]: a [`FilterError`] with the last good value
    /// unless the callback panicked.
    pub fn call(&mut self, value: T) -> Result<T, FilterError<T>> {
        let hook = self.hook;
        hook.core
            .with_pinned(&mut self.pinned, |state| hook.dispatch(state, value))
    }
}

/// A handle for calling an [`Action`] repeatedly from one place; see
/// [`Action::caller`].
///
/// ```
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use std::sync::Arc;
/// use plinth_hooks::{Action, PluginUrn};
///
/// let hook = Action::<u32>::new("tick");
/// let seen = Arc::new(AtomicU32::new(0));
/// let s = seen.clone();
/// hook.tap(PluginUrn::new("p")?, move |n| { s.fetch_add(*n, Ordering::Relaxed); });
/// let mut caller = hook.caller();
/// for n in 1..=3 {
///     caller.call(&n).unwrap();
/// }
/// assert_eq!(seen.load(Ordering::Relaxed), 6);
/// # Ok::<(), plinth_hooks::GuardError>(())
/// ```
pub struct ActionCaller<'h, T> {
    hook: &'h Action<T>,
    pinned: Option<Pinned<ActionFn<T>, crate::action::WrapFn<T>>>,
}

impl<T: Send + Sync + 'static> Action<T> {
    /// A handle that keeps this hook's snapshot between calls (see
    /// [`Filter::caller`]).
    ///
    /// ```
    /// # use plinth_hooks::{Action, PluginUrn};
    /// let hook = Action::<u8>::new("tick");
    /// let mut caller = hook.caller();
    /// hook.tap(PluginUrn::new("p")?, |_| panic!("boom"));
    /// assert_eq!(caller.call(&1).unwrap_err().failures[0].owner, "p");
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn caller(&self) -> ActionCaller<'_, T> {
        ActionCaller {
            hook: self,
            pinned: None,
        }
    }
}

impl<T: Send + Sync + 'static> ActionCaller<'_, T> {
    /// Calls every sync callback, as [`Action::call`] does.
    ///
    /// # Errors
    /// As [`Action::call`].
    pub fn call(&mut self, payload: &T) -> Result<(), ActionError> {
        let hook = self.hook;
        hook.core
            .with_pinned(&mut self.pinned, |state| hook.dispatch(state, payload))
    }
}

/// A handle for calling a [`Bail`] repeatedly from one place; see
/// [`Bail::caller`].
///
/// ```
/// use plinth_hooks::{Bail, PluginUrn};
///
/// let hook = Bail::<u32, &str>::new("route");
/// hook.tap(PluginUrn::new("p")?, |n| (*n > 10).then_some("big"));
/// let mut caller = hook.caller();
/// assert_eq!(caller.call(&3)?, None);
/// assert_eq!(caller.call(&30)?, Some("big"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct BailCaller<'h, T, R> {
    hook: &'h Bail<T, R>,
    pinned: Option<Pinned<BailFn<T, R>, crate::bail::WrapFn<T, R>>>,
}

impl<T: Send + Sync + 'static, R: Send + 'static> Bail<T, R> {
    /// A handle that keeps this hook's snapshot between calls (see
    /// [`Filter::caller`]).
    ///
    /// ```
    /// # use plinth_hooks::{Bail, PluginUrn};
    /// let hook = Bail::<u8, u8>::new("b");
    /// let mut caller = hook.caller();
    /// assert_eq!(caller.call(&1)?, None);
    /// hook.tap(PluginUrn::new("p")?, |n| Some(n + 1));
    /// assert_eq!(caller.call(&1)?, Some(2));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn caller(&self) -> BailCaller<'_, T, R> {
        BailCaller {
            hook: self,
            pinned: None,
        }
    }
}

impl<T: Send + Sync + 'static, R: Send + 'static> BailCaller<'_, T, R> {
    /// Runs the sync callbacks until one returns `Some`, as [`Bail::call`]
    /// does.
    ///
    /// # Errors
    /// As [`Bail::call`].
    pub fn call(&mut self, payload: &T) -> Result<Option<R>, CallbackError> {
        let hook = self.hook;
        hook.core
            .with_pinned(&mut self.pinned, |state| hook.dispatch(state, payload))
    }
}

impl<T> std::fmt::Debug for FilterCaller<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FilterCaller")
            .field("hook", &self.hook.core.name)
            .finish_non_exhaustive()
    }
}

impl<T> std::fmt::Debug for ActionCaller<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActionCaller")
            .field("hook", &self.hook.core.name)
            .finish_non_exhaustive()
    }
}

impl<T, R> std::fmt::Debug for BailCaller<'_, T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BailCaller")
            .field("hook", &self.hook.core.name)
            .finish_non_exhaustive()
    }
}
