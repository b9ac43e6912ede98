//! The copy-on-write cell every hook dispatches from.
//!
//! Readers take the current snapshot without a lock; writers serialise on a
//! mutex, build the next snapshot from the current one and publish it with
//! one atomic store. Because only writers holding the mutex store, a write
//! can never be lost or applied twice, and a reader sees either the whole
//! old list or the whole new one.
//!
//! Hot sync dispatch goes through [`SwapCell::with`]: a small per-thread
//! cache keeps the last snapshot of each recently used cell together with
//! the cell's stamp, so a call that finds the stamp unchanged
//! costs one plain atomic load instead of arc-swap's debt bookkeeping (two
//! read-modify-write atomics), and two threads calling the same hook share
//! no written cache line. The price: a thread keeps an outdated snapshot
//! (and the callbacks it holds) alive until it next calls that hook or the
//! slot is reused, at most [`CACHE_SLOTS`] snapshots per thread.
//!
//! Under `--cfg loom` the atomic pointer is modelled by a loom mutex so that
//! the model checker explores every interleaving of this protocol (arc-swap's
//! own internals are checked by arc-swap's test suite, not here).

use std::any::Any;
use std::cell::{Ref, RefCell};
use std::ops::Deref;
use std::sync::{Arc, PoisonError};

#[cfg(loom)]
use loom::sync::atomic::{AtomicU64, Ordering};
#[cfg(loom)]
use loom::sync::Mutex;
#[cfg(not(loom))]
use std::sync::atomic::{AtomicU64, Ordering};
#[cfg(not(loom))]
use std::sync::Mutex;

/// Snapshots cached per thread (direct-mapped by cell id).
pub(crate) const CACHE_SLOTS: usize = 8;

type AnySnapshot = Arc<dyn Any + Send + Sync>;

struct CacheSlot {
    /// The stamp `snapshot` was published with; 0 (never a stamp) if empty.
    stamp: u64,
    snapshot: Option<AnySnapshot>,
}

impl CacheSlot {
    const EMPTY: CacheSlot = CacheSlot {
        stamp: 0,
        snapshot: None,
    };
}

// One `RefCell` per slot rather than one around the array: a hit holds a
// shared borrow of its slot while the callbacks run, and a callback calling
// another hook must still be able to refill that hook's slot.
type Cache = [RefCell<CacheSlot>; CACHE_SLOTS];

#[cfg(not(loom))]
std::thread_local! {
    static CACHE: Cache = const { [const { RefCell::new(CacheSlot::EMPTY) }; CACHE_SLOTS] };
}
#[cfg(loom)]
loom::thread_local! {
    static CACHE: Cache = [const { RefCell::new(CacheSlot::EMPTY) }; CACHE_SLOTS];
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
    /// Unique among all cells ever created: picks the per-thread cache slot.
    id: u64,
    /// Renewed after every store, from the same process-wide counter as
    /// `id`: a stamp names one snapshot of one cell, so a cached snapshot is
    /// current exactly when its stamp equals the cell's (one comparison
    /// covers both "same cell" and "same snapshot").
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
            id: crate::tap::next_id(),
            stamp: AtomicU64::new(crate::tap::next_id()),
        }
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

impl<T: Any + Send + Sync> SwapCell<T> {
    /// Runs `f` on the current snapshot through the per-thread cache.
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
        // Read the stamp before loading: if a write slips in between, the
        // snapshot is newer than its recorded stamp, which only costs a
        // reload next time (the reverse would serve a stale one).
        let stamp = self.stamp.load(Ordering::Acquire);
        let index = (self.id as usize) % CACHE_SLOTS;
        let mut f = Some(f);
        let cached = CACHE.try_with(|cache| {
            let slot = &cache[index];
            let hit = slot.try_borrow().ok().and_then(|borrowed| {
                Ref::filter_map(borrowed, |cached| {
                    if cached.stamp == stamp {
                        // Always a `T`: the stamp is this cell's.
                        cached.snapshot.as_deref()?.downcast_ref::<T>()
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
            f.take().map(|f| f(state))
        });
        match (cached, f) {
            (Ok(Some(result)), _) => result,
            (_, Some(f)) => self.uncached(f),
            (_, None) => unreachable!("`f` ran, so the cache produced its result"),
        }
    }

    /// The miss path: load the snapshot and cache it, unless the slot is in
    /// use further up the stack (a reentrant call).
    #[cold]
    #[inline(never)]
    fn refill(&self, slot: &RefCell<CacheSlot>, stamp: u64) -> Arc<T> {
        let snapshot = self.load_full();
        if let Ok(mut cached) = slot.try_borrow_mut() {
            let evicted = std::mem::replace(
                &mut *cached,
                CacheSlot {
                    stamp,
                    snapshot: Some(snapshot.clone() as AnySnapshot),
                },
            );
            // Dropping the evicted snapshot may drop callbacks, whose `Drop`
            // may call hooks: release the slot first.
            drop(cached);
            drop(evicted);
        }
        snapshot
    }

    /// Thread teardown: the cache is gone, read the cell directly.
    #[cold]
    #[inline(never)]
    fn uncached<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        f(&self.load())
    }
}
