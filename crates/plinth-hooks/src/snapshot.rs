//! The copy-on-write cell every hook dispatches from.
//!
//! Readers take the current snapshot without a lock; writers serialise on a
//! mutex, build the next snapshot from the current one and publish it with
//! one atomic store. Because only writers holding the mutex store, a write
//! can never be lost or applied twice, and a reader sees either the whole
//! old list or the whole new one.
//!
//! Hot sync dispatch goes through [`CachedCell::with`]: each cell keeps, for
//! every thread that calls it, that thread's last snapshot together with the
//! cell's stamp at the time, so a call that finds the stamp unchanged costs
//! one plain atomic load instead of arc-swap's debt bookkeeping (two
//! read-modify-write atomics), and two threads calling the same hook share
//! no written cache line. The per-thread slot belongs to the cell (the
//! `thread_local` crate's `ThreadLocal`), so any number of hooks called in
//! turn never evict one another, and the slot is typed: no downcast on the
//! hot path. The price: a thread keeps an outdated snapshot (and the
//! callbacks it holds) alive until it next calls that hook or the hook is
//! dropped, at most one per hook and thread; an exited thread's slot stays
//! until its id is given to a new thread that calls the hook.
//!
//! Under `--cfg loom` the atomic pointer is modelled by a loom mutex and the
//! per-thread slots by a loom thread-local, so that the model checker
//! explores every interleaving of this protocol (arc-swap's and
//! `thread_local`'s own internals are checked by their test suites, not
//! here).

use std::cell::{Ref, RefCell};
use std::ops::Deref;
use std::sync::{Arc, PoisonError};

#[cfg(loom)]
use loom::sync::Mutex;
#[cfg(loom)]
use loom::sync::atomic::{AtomicU64, Ordering};
#[cfg(not(loom))]
use std::sync::Mutex;
#[cfg(not(loom))]
use std::sync::atomic::{AtomicU64, Ordering};

/// One thread's last snapshot of one cell.
struct Cached<T> {
    /// The stamp `snapshot` was published with; 0 (never a stamp) if empty.
    stamp: u64,
    snapshot: Option<Arc<T>>,
}

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Cached {
            stamp: 0,
            snapshot: None,
        }
    }
}

/// A `RefCell` so that a hit can hold a shared borrow while the callbacks
/// run: a callback calling the same hook again borrows it once more.
type Slot<T> = RefCell<Cached<T>>;

/// Every thread's [`Slot`] of one cell.
#[cfg(not(loom))]
struct PerThread<T: Send + Sync>(thread_local::ThreadLocal<Padded<Slot<T>>>);

/// A slot alone in its cache lines: `ThreadLocal` stores threads' values
/// side by side, and every call writes its slot's borrow count, so two
/// threads calling one hook would otherwise contend for one line (128
/// bytes: x86 fetches lines in adjacent pairs). The price is memory: 256
/// bytes per hook for each thread that calls it, in buckets that grow in
/// powers of two with the thread's id in the `thread_local` crate (ids are
/// reused after threads exit, and shared with the crate's other users).
#[cfg(not(loom))]
#[derive(Default)]
#[repr(align(128))]
struct Padded<T>(T);

#[cfg(not(loom))]
impl<T: Send + Sync> PerThread<T> {
    fn new() -> Self {
        PerThread(thread_local::ThreadLocal::new())
    }

    /// Runs `f` on this thread's slot; `None` when the thread has none and
    /// cannot get one (see [`first_use`](Self::first_use)).
    #[inline]
    fn with<R>(&self, f: impl FnOnce(Option<&Slot<T>>) -> R) -> R {
        let slot = match self.0.get() {
            Some(slot) => Some(slot),
            None => self.first_use(),
        };
        f(slot.map(|padded| &padded.0))
    }

    /// The thread's first call of this hook.
    ///
    /// A hook may be called from a thread-local destructor. Once the
    /// `thread_local` crate's own per-thread state is destroyed, giving the
    /// thread an id panics, and a panic escaping a thread-local destructor
    /// aborts the process; such calls run without a slot instead. A watch
    /// registered after the crate's state (so destroyed before it, where
    /// destructors run in reverse order, as on Linux and macOS) says when
    /// teardown has begun; elsewhere the panic is caught.
    #[cold]
    #[inline(never)]
    fn first_use(&self) -> Option<&Padded<Slot<T>>> {
        if TORN_DOWN.get() {
            return None;
        }
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.0.get_or_default())) {
            Ok(slot) => {
                // Registers the watch's destructor, if not yet registered.
                let _ = WATCH.try_with(|_| ());
                Some(slot)
            }
            Err(_) => {
                TORN_DOWN.set(true);
                None
            }
        }
    }
}

#[cfg(not(loom))]
std::thread_local! {
    /// Set once this thread's locals are being destroyed. No destructor of
    /// its own, so it stays readable to the end.
    static TORN_DOWN: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
    static WATCH: TeardownWatch = const { TeardownWatch };
}

#[cfg(not(loom))]
struct TeardownWatch;

#[cfg(not(loom))]
impl Drop for TeardownWatch {
    fn drop(&mut self) {
        TORN_DOWN.set(true);
    }
}

/// The model's stand-in: loom's own thread-locals, one slot per cell,
/// found by the cell's id (unique among all cells ever created).
#[cfg(loom)]
struct PerThread<T> {
    cell: u64,
    _slots: std::marker::PhantomData<fn() -> T>,
}

#[cfg(loom)]
loom::thread_local! {
    static SLOTS: RefCell<Vec<(u64, std::rc::Rc<dyn std::any::Any>)>> = RefCell::new(Vec::new());
}

#[cfg(loom)]
impl<T> PerThread<T> {
    fn new() -> Self {
        PerThread {
            cell: crate::tap::next_id(),
            _slots: std::marker::PhantomData,
        }
    }
}

#[cfg(loom)]
impl<T: Send + Sync + 'static> PerThread<T> {
    fn with<R>(&self, f: impl FnOnce(Option<&Slot<T>>) -> R) -> R {
        let cell = self.cell;
        let slot = SLOTS.with(|slots| {
            let mut slots = slots.borrow_mut();
            let at = match slots.iter().position(|(id, _)| *id == cell) {
                Some(at) => at,
                None => {
                    slots.push((cell, std::rc::Rc::new(Slot::<T>::default())));
                    slots.len() - 1
                }
            };
            slots[at].1.clone()
        });
        f(Some(
            slot.downcast_ref::<Slot<T>>()
                .expect("one type per cell id"),
        ))
    }
}

/// A snapshot borrowed from a [`SwapCell`]; cheap to take, meant to be
/// short-lived (use [`SwapCell::load_full`] across `.await`s).
pub(crate) struct Snap<T> {
    #[cfg(not(loom))]
    inner: arc_swap::Guard<Arc<T>>,
    #[cfg(loom)]
    inner: Arc<T>,
}

impl<T> Deref for Snap<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.inner
    }
}

pub(crate) struct SwapCell<T> {
    #[cfg(not(loom))]
    current: arc_swap::ArcSwap<T>,
    #[cfg(loom)]
    current: Mutex<Arc<T>>,
    writer: Mutex<()>,
    /// Renewed after every store, from a process-wide counter: a stamp names
    /// one snapshot of one cell, so a cached snapshot is current exactly
    /// when its stamp equals the cell's.
    stamp: AtomicU64,
}

impl<T> SwapCell<T> {
    pub(crate) fn new(value: T) -> Self {
        SwapCell {
            #[cfg(not(loom))]
            current: arc_swap::ArcSwap::from_pointee(value),
            #[cfg(loom)]
            current: Mutex::new(Arc::new(value)),
            writer: Mutex::new(()),
            stamp: AtomicU64::new(crate::tap::next_id()),
        }
    }

    /// The stamp of the current snapshot. Read it before loading the
    /// snapshot it is to vouch for (see [`CachedCell::with`]).
    #[inline]
    pub(crate) fn stamp(&self) -> u64 {
        self.stamp.load(Ordering::Acquire)
    }

    /// The current snapshot, without taking a lock (outside loom).
    #[inline]
    pub(crate) fn load(&self) -> Snap<T> {
        #[cfg(not(loom))]
        let inner = self.current.load();
        #[cfg(loom)]
        let inner = self.load_full();
        Snap { inner }
    }

    /// The current snapshot as an owned `Arc`, to hold across awaits.
    pub(crate) fn load_full(&self) -> Arc<T> {
        #[cfg(not(loom))]
        return self.current.load_full();
        #[cfg(loom)]
        return self
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
    }

    /// Read-copy-update: `f` sees the latest snapshot and returns the next one
    /// (or `None` to keep it) plus a result. Writers never run user callbacks
    /// inside `f`, so the mutex cannot be poisoned by them; a poisoned lock is
    /// still safe to reuse because the snapshot is only replaced as a whole.
    pub(crate) fn update<R>(&self, f: impl FnOnce(&T) -> (Option<T>, R)) -> R {
        let _writer = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let current = self.load_full();
        let (next, result) = f(&current);
        if let Some(next) = next {
            #[cfg(not(loom))]
            self.current.store(Arc::new(next));
            #[cfg(loom)]
            {
                *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Arc::new(next);
            }
            // After the store: a reader that sees the new stamp finds the
            // new snapshot (Release pairs with the Acquire in `with`).
            self.stamp.store(crate::tap::next_id(), Ordering::Release);
        }
        result
    }
}

/// A [`SwapCell`] with a slot per thread, for [`with`](Self::with).
pub(crate) struct CachedCell<T: Send + Sync> {
    cell: SwapCell<T>,
    per_thread: PerThread<T>,
}

impl<T: Send + Sync> CachedCell<T> {
    pub(crate) fn new(value: T) -> Self {
        CachedCell {
            cell: SwapCell::new(value),
            per_thread: PerThread::new(),
        }
    }
}

impl<T: Send + Sync + 'static> CachedCell<T> {
    /// Runs `f` on the current snapshot through this thread's slot.
    ///
    /// A hit keeps a shared borrow of the slot while `f` runs, so the fast
    /// path writes nothing but the borrow count: no `Arc` is cloned, moved
    /// or dropped. A reentrant call (a callback triggering the same hook)
    /// borrows the same slot again; if it misses, the slot cannot be
    /// refilled under the outer borrow and that call goes uncached.
    ///
    /// `f` has a single hot call site so that it can be inlined here: the
    /// misses only fetch the snapshot, out of line.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        // Counted for `quiesce` until `f` returns (or unwinds).
        let _call = crate::grace::SyncCall::enter();
        // Read the stamp before loading: if a write slips in between, the
        // snapshot is newer than its recorded stamp, which only costs a
        // reload next time (the reverse would serve a stale one).
        let stamp = self.cell.stamp.load(Ordering::Acquire);
        self.per_thread.with(|slot| {
            let hit = slot
                .and_then(|slot| slot.try_borrow().ok())
                .and_then(|borrowed| {
                    Ref::filter_map(borrowed, |cached| {
                        if cached.stamp == stamp {
                            cached.snapshot.as_deref()
                        } else {
                            None
                        }
                    })
                    .ok()
                });
            let refilled;
            let state: &T = match &hit {
                Some(state) => state,
                None => {
                    refilled = self.refill(slot, stamp);
                    &refilled
                }
            };
            f(state)
        })
    }

    /// The miss path: load the snapshot and cache it, unless the slot is in
    /// use further up the stack (a reentrant call) or there is none (a
    /// thread being torn down).
    #[cold]
    #[inline(never)]
    fn refill(&self, slot: Option<&Slot<T>>, stamp: u64) -> Arc<T> {
        let snapshot = self.cell.load_full();
        if let Some(Ok(mut cached)) = slot.map(RefCell::try_borrow_mut) {
            let evicted = std::mem::replace(
                &mut *cached,
                Cached {
                    stamp,
                    snapshot: Some(snapshot.clone()),
                },
            );
            // Dropping the evicted snapshot may drop callbacks, whose `Drop`
            // may call hooks: release the slot first.
            drop(cached);
            drop(evicted);
        }
        snapshot
    }
}

impl<T: Send + Sync> Deref for CachedCell<T> {
    type Target = SwapCell<T>;
    fn deref(&self) -> &SwapCell<T> {
        &self.cell
    }
}
