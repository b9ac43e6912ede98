//! What every hook kind shares: the registration snapshot, ownership,
//! interceptors, and running one callback under the panic policy.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use plinth_core::PluginUrn;

use crate::grace::{AsyncCall, SyncCall};
use crate::interceptor::{CallInfo, HookKind, Interceptor, Outcome};
use crate::ordering::order;
use crate::snapshot::CachedCell;
use crate::tap::{Handle, Meta, Slot, Tap};
use crate::{BoxError, CallbackError, CallbackFailure, Fault};

/// What to do when a callback panics.
///
/// ```
/// use plinth_hooks::{Config, Filter, PanicPolicy, PluginUrn};
///
/// let hook = Filter::<u8>::with_config("n", Config::default());
/// hook.tap(PluginUrn::new("bad")?, |_| panic!("boom"));
/// let err = hook.call(1).unwrap_err();
/// assert_eq!(err.to_string(), "hook \"n\": callback of plugin \"bad\" panicked: boom");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PanicPolicy {
    /// Catch the panic and turn it into a [`Fault::Panic`] attributed to the
    /// callback's owner (the default). The payload is dropped; state the
    /// callback shared with others may be half-updated, as with any panic.
    #[default]
    Catch,
    /// Let the panic unwind through the caller.
    Propagate,
}

/// Per-hook settings.
///
/// ```
/// use plinth_hooks::{Config, PanicPolicy};
/// let config = Config { panics: PanicPolicy::Propagate };
/// assert_ne!(config, Config::default());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Config {
    /// What a panicking callback does.
    pub panics: PanicPolicy,
}

/// A callback stored in a hook: tells whether it must be awaited. Each kind
/// implements it for its own [`CallbackFn`], naming its wrapper type too.
pub trait Callback: Clone {
    /// The sync form, as the all-sync fast path runs it.
    type Sync: Clone + Send + Sync;
    type Async: Clone;
    fn as_fn(&self) -> &CallbackFn<Self::Sync, Self::Async>;

    fn is_async(&self) -> bool {
        matches!(self.as_fn(), CallbackFn::Async(_))
    }
    fn as_sync(&self) -> Option<&Self::Sync> {
        match self.as_fn() {
            CallbackFn::Sync(f) => Some(f),
            CallbackFn::Async(_) => None,
        }
    }
}

/// A registered callback of any hook kind: called directly (`S`), or
/// returning a future to await (`A`). Each kind names its own pair.
pub enum CallbackFn<S, A> {
    Sync(S),
    Async(A),
}

// One generic impl: an impl per concrete (`dyn`) callback type would hold
// only for `'static`, and the auto-trait check of an async call's future
// (which sees its types with lifetimes erased) would then fail to prove
// the future `Send`.
impl<S: Clone + Send + Sync, A: Clone> Callback for CallbackFn<S, A> {
    type Sync = S;
    type Async = A;
    fn as_fn(&self) -> &Self {
        self
    }
}

// Not derived: the derive would bound the kinds' payload types, not `S`/`A`.
impl<S: Clone, A: Clone> Clone for CallbackFn<S, A> {
    fn clone(&self) -> Self {
        match self {
            CallbackFn::Sync(f) => CallbackFn::Sync(f.clone()),
            CallbackFn::Async(f) => CallbackFn::Async(f.clone()),
        }
    }
}

pub struct State<C: Callback, W> {
    pub(crate) slots: Box<[Slot<C>]>,
    /// When `direct` (and for filters): the callbacks alone, in order, as
    /// one dense array the fast path walks without testing each for async,
    /// so that index `i` here is slot `i` (else empty).
    pub(crate) chain: Box<[C::Sync]>,
    /// The registrations that run around the chain, outermost first. Kept
    /// apart from `slots` so that a hook without any pays one flag test.
    pub(crate) wrappers: Box<[Slot<W>]>,
    pub(crate) interceptors: Arc<[Arc<dyn Interceptor>]>,
    /// The first async slot, so a sync call can refuse before running any.
    pub(crate) first_async: Option<usize>,
    /// No wrapper, and the chain is `direct`: a sync call may run the whole
    /// chain under one guard without reporting each step (failures are
    /// still reported). Precomputed so that the hot path tests one flag,
    /// not four.
    pub(crate) plain: bool,
    /// No async callback, no interceptor watching every call, and panics
    /// are caught: what the innermost link of a wrapped call tests.
    pub(crate) direct: bool,
    /// Some interceptor wants every call (and its duration), not only
    /// failures: only then is the clock read.
    pub(crate) watch_all: bool,
}

impl<C: Callback, W> State<C, W> {
    /// `dense`: whether the hook kind walks [`chain`](Self::chain) (only
    /// filters do; the others would carry a copy they never read).
    fn new(
        slots: Vec<Slot<C>>,
        wrappers: Box<[Slot<W>]>,
        interceptors: Arc<[Arc<dyn Interceptor>]>,
        config: Config,
        dense: bool,
    ) -> Self {
        let first_async = slots.iter().position(|s| s.callback.is_async());
        let watch_all = interceptors.iter().any(|i| i.every_call());
        let direct = first_async.is_none() && !watch_all && config.panics == PanicPolicy::Catch;
        let chain: Box<[C::Sync]> = if direct && dense {
            slots
                .iter()
                .filter_map(|s| s.callback.as_sync().cloned())
                .collect()
        } else {
            Box::default()
        };
        debug_assert!(!(direct && dense) || chain.len() == slots.len());
        State {
            plain: direct && wrappers.is_empty(),
            direct,
            chain,
            watch_all,
            slots: slots.into_boxed_slice(),
            wrappers,
            interceptors,
            first_async,
        }
    }
}

/// A snapshot held by a caller handle between calls, with its stamp.
pub(crate) struct Pinned<C: Callback, W> {
    stamp: u64,
    state: Arc<State<C, W>>,
}

/// `W`: what runs around the chain (see `wrap` on each kind); a type of
/// its own rather than one of `Callback`'s, so that `Callback` keeps one
/// generic impl (an impl per concrete callback type is not general over
/// lifetimes, which made async calls' futures fail to be `Send`).
pub struct Core<C: Callback + Send + Sync, W: Send + Sync> {
    pub(crate) name: Arc<str>,
    pub(crate) kind: HookKind,
    pub(crate) config: Config,
    state: CachedCell<State<C, W>>,
}

impl<C: Callback + Send + Sync, W: Clone + Send + Sync> Core<C, W> {
    pub(crate) fn new(name: Arc<str>, kind: HookKind, config: Config) -> Self {
        Core {
            name,
            kind,
            config,
            state: CachedCell::new(State::new(
                Vec::new(),
                Box::default(),
                Arc::from(Vec::new()),
                config,
                kind == HookKind::Filter,
            )),
        }
    }

    /// Runs `f` on the current snapshot, through this thread's slot.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&State<C, W>) -> R) -> R
    where
        C: 'static,
        W: 'static,
    {
        self.state.with(f)
    }

    /// Runs `f` on the current snapshot through a caller's own `pinned`
    /// copy: no thread-local lookup, one atomic load when nothing changed.
    #[inline]
    pub(crate) fn with_pinned<R>(
        &self,
        pinned: &mut Option<Pinned<C, W>>,
        f: impl FnOnce(&State<C, W>) -> R,
    ) -> R {
        let _call = SyncCall::enter();
        // The stamp before the snapshot, as in `CachedCell::with`.
        let stamp = self.state.stamp();
        match pinned {
            Some(p) if p.stamp == stamp => f(&p.state),
            _ => f(&self.repin(pinned, stamp).state),
        }
    }

    #[cold]
    #[inline(never)]
    fn repin<'p>(&self, pinned: &'p mut Option<Pinned<C, W>>, stamp: u64) -> &'p Pinned<C, W> {
        let state = self.load_full();
        // The outdated snapshot (and the callbacks only it holds) goes now.
        pinned.insert(Pinned { stamp, state })
    }

    pub(crate) fn load_full(&self) -> Arc<State<C, W>> {
        self.state.load_full()
    }

    /// The snapshot for an async call (or one that runs callbacks outside
    /// [`with`](Self::with)), with the guard that makes
    /// [`quiesce`](crate::quiesce) wait for the call: keep it until the last
    /// callback has returned.
    pub(crate) fn load_for_call(&self) -> (AsyncCall, Arc<State<C, W>>) {
        // Entered before the load, so a waiter either sees the call or the
        // call sees the waiter's removals.
        let call = AsyncCall::enter();
        (call, self.state.load_full())
    }

    pub(crate) fn register(&self, tap: Tap, callback: C) -> Handle {
        self.add(tap, |state, meta| {
            let mut slots = state.slots.to_vec();
            slots.push(Slot { callback, meta });
            (order(slots), state.wrappers.clone())
        })
    }

    pub(crate) fn register_wrapper(&self, tap: Tap, wrapper: W) -> Handle {
        self.add(tap, |state, meta| {
            let mut wrappers = state.wrappers.to_vec();
            wrappers.push(Slot {
                callback: wrapper,
                meta,
            });
            (state.slots.to_vec(), order(wrappers).into_boxed_slice())
        })
    }

    /// Publishes the registrations `next` makes of the current ones and the
    /// new registration's data.
    #[allow(clippy::type_complexity)]
    fn add(
        &self,
        tap: Tap,
        next: impl FnOnce(&State<C, W>, Arc<Meta>) -> (Vec<Slot<C>>, Box<[Slot<W>]>),
    ) -> Handle {
        let meta = Arc::new(Meta::from_tap(tap));
        let handle = Handle {
            hook: self.name.clone(),
            id: meta.id,
        };
        self.state.update(|state| {
            let (slots, wrappers) = next(state, meta);
            (
                Some(self.state_of(slots, wrappers, state.interceptors.clone())),
                (),
            )
        });
        handle
    }

    fn state_of(
        &self,
        slots: Vec<Slot<C>>,
        wrappers: Box<[Slot<W>]>,
        interceptors: Arc<[Arc<dyn Interceptor>]>,
    ) -> State<C, W> {
        State::new(slots, wrappers, interceptors, self.config, self.dense())
    }

    pub(crate) fn unregister(&self, handle: &Handle) -> bool {
        self.retain(|meta| meta.id != handle.id) == 1
    }

    pub(crate) fn remove_owner(&self, owner: &PluginUrn) -> usize {
        self.retain(|meta| meta.owner != *owner)
    }

    /// Keeps the callbacks and wrappers `keep` accepts; returns how many it
    /// removed.
    fn retain(&self, keep: impl Fn(&Meta) -> bool) -> usize {
        self.state.update(|state| {
            // Removal does not change the relative order of the others...
            // except through constraints naming a removed slot, so re-order.
            let slots: Vec<_> = state
                .slots
                .iter()
                .filter(|s| keep(&s.meta))
                .cloned()
                .collect();
            let wrappers: Vec<_> = state
                .wrappers
                .iter()
                .filter(|s| keep(&s.meta))
                .cloned()
                .collect();
            let removed = state.slots.len() - slots.len() + state.wrappers.len() - wrappers.len();
            if removed == 0 {
                return (None, 0);
            }
            let next = self.state_of(
                order(slots),
                order(wrappers).into_boxed_slice(),
                state.interceptors.clone(),
            );
            (Some(next), removed)
        })
    }

    pub(crate) fn intercept(&self, interceptor: Arc<dyn Interceptor>) {
        self.state.update(|state| {
            let mut interceptors = state.interceptors.to_vec();
            interceptors.push(interceptor);
            let next = self.state_of(
                state.slots.to_vec(),
                state.wrappers.clone(),
                Arc::from(interceptors),
            );
            (Some(next), ())
        })
    }

    /// Whether this kind's snapshots carry the dense sync chain.
    fn dense(&self) -> bool {
        self.kind == HookKind::Filter
    }

    /// Callbacks and wrappers alike: every registration counts.
    pub(crate) fn len(&self) -> usize {
        let state = self.state.load();
        state.slots.len() + state.wrappers.len()
    }

    pub(crate) fn error(&self, meta: &Meta, fault: Fault) -> CallbackError {
        CallbackError::from(CallbackFailure {
            hook: self.name.clone(),
            owner: meta.owner.clone(),
            name: meta.name.clone(),
            fault,
        })
    }

    /// The error for a sync call meeting an async callback.
    pub(crate) fn refuse_async(&self, state: &State<C, W>) -> Result<(), CallbackError> {
        match state.first_async {
            Some(i) => Err(self.error(&state.slots[i].meta, Fault::AsyncInSyncCall)),
            None => Ok(()),
        }
    }

    /// The error for an async call of a hook with a wrapper (named after
    /// the outermost). Not the wrapper's fault but the caller's choice, so
    /// interceptors are not told.
    pub(crate) fn refuse_wrappers(&self, state: &State<C, W>) -> Result<(), CallbackError> {
        match state.wrappers.first() {
            Some(outermost) => Err(self.error(&outermost.meta, Fault::WrapperInAsyncCall)),
            None => Ok(()),
        }
    }

    /// Runs one sync callback under the panic policy.
    #[inline]
    pub(crate) fn run<R>(&self, f: impl FnOnce() -> Result<R, BoxError>) -> Result<R, Fault> {
        match self.config.panics {
            PanicPolicy::Propagate => f().map_err(Fault::Error),
            PanicPolicy::Catch => match catch_unwind(AssertUnwindSafe(f)) {
                Ok(r) => r.map_err(Fault::Error),
                Err(payload) => Err(Fault::Panic(panic_message(payload))),
            },
        }
    }

    /// Runs one async callback (making the future, then awaiting it) under
    /// the panic policy.
    pub(crate) async fn run_async<R, F>(&self, make: impl FnOnce() -> F) -> Result<R, Fault>
    where
        F: Future<Output = Result<R, BoxError>>,
    {
        match self.config.panics {
            PanicPolicy::Propagate => make().await.map_err(Fault::Error),
            PanicPolicy::Catch => {
                let future = match catch_unwind(AssertUnwindSafe(make)) {
                    Ok(future) => future,
                    Err(payload) => return Err(Fault::Panic(panic_message(payload))),
                };
                match AssertUnwindSafe(future).catch_unwind().await {
                    Ok(r) => r.map_err(Fault::Error),
                    Err(payload) => Err(Fault::Panic(panic_message(payload))),
                }
            }
        }
    }

    /// The clock start, read only when an interceptor watches every call.
    #[inline]
    pub(crate) fn start(state: &State<C, W>) -> Option<Instant> {
        if state.watch_all {
            Some(Instant::now())
        } else {
            None
        }
    }

    /// Reports one invocation to the interceptors: every invocation when
    /// the clock was started, else failures only (with a zero duration).
    #[inline]
    pub(crate) fn observe(
        &self,
        state: &State<C, W>,
        meta: &Meta,
        started: Option<Instant>,
        outcome: Outcome<'_>,
    ) {
        match started {
            Some(started) => self.notify(&state.interceptors, meta, started.elapsed(), outcome),
            None if matches!(outcome, Outcome::Failed(_)) && !state.interceptors.is_empty() => {
                self.notify(&state.interceptors, meta, Duration::ZERO, outcome)
            }
            None => {}
        }
    }

    #[cold]
    fn notify(
        &self,
        interceptors: &[Arc<dyn Interceptor>],
        meta: &Meta,
        duration: Duration,
        outcome: Outcome<'_>,
    ) {
        let call = CallInfo {
            hook: &self.name,
            kind: self.kind,
            owner: &meta.owner,
            name: meta.name.as_deref(),
            registration: meta.id,
            duration,
            outcome,
        };
        for interceptor in interceptors {
            match self.config.panics {
                PanicPolicy::Propagate => interceptor.on_call(&call),
                PanicPolicy::Catch => {
                    if catch_unwind(AssertUnwindSafe(|| interceptor.on_call(&call))).is_err() {
                        tracing::warn!(hook = %self.name, "an interceptor panicked");
                    }
                }
            }
        }
    }
}

/// The text of a panic payload (`panic!` with a literal or a format string).
pub(crate) fn panic_message(payload: Box<dyn Any + Send>) -> String {
    plinth_core::panic_message(payload.as_ref())
}
