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
//! the cell's generation, so a call that finds the generation unchanged
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
use std::cell::RefCell;
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
    cell: u64,
    generation: u64,
    snapshot: Option<AnySnapshot>,
}

impl CacheSlot {
    const EMPTY: CacheSlot = CacheSlot {
        cell: 0,
        generation: 0,
        snapshot: None,
    };
}

#[cfg(not(loom))]
std::thread_local! {
    static CACHE: RefCell<[CacheSlot; CACHE_SLOTS]> =
        const { RefCell::new([CacheSlot::EMPTY; CACHE_SLOTS]) };
}
#[cfg(loom)]
loom::thread_local! {
    static CACHE: RefCell<[CacheSlot; CACHE_SLOTS]> =
        RefCell::new([CacheSlot::EMPTY; CACHE_SLOTS]);
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
    /// Unique among all cells ever created: the per-thread cache key.
    id: u64,
    /// Bumped after every store; a cached snapshot is current while the
    /// generation it was cached with is.
    generation: AtomicU64,
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
            generation: AtomicU64::new(0),
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
            // After the store: a reader that sees the new generation finds
            // the new snapshot (Release pairs with the Acquire in `with`).
            self.generation.fetch_add(1, Ordering::Release);
        }
        result
    }
}

impl<T: Any + Send + Sync> SwapCell<T> {
    /// Runs `f` on the current snapshot through the per-thread cache.
    ///
    /// The cached snapshot is taken out of its slot while `f` runs, so a
    /// reentrant call (a callback triggering the same hook) simply misses
    /// the cache instead of aliasing it.
    #[inline]
    pub(crate) fn with<R>(&self, f: impl FnOnce(&T) -> R) -> R {
        // Read the generation before loading: if a write slips in between,
        // the snapshot is newer than its recorded generation, which only
        // costs a reload next time (the reverse would serve a stale one).
        let generation = self.generation.load(Ordering::Acquire);
        let index = (self.id as usize) % CACHE_SLOTS;
        let mut f = Some(f);
        let cached = CACHE.try_with(|cache| {
            let hit = {
                let mut cache = cache.borrow_mut();
                let slot = &mut cache[index];
                if slot.cell == self.id && slot.generation == generation {
                    slot.snapshot.take()
                } else {
                    None
                }
            };
            let (snapshot, hit) = match hit {
                Some(snapshot) => (snapshot, true),
                None => (self.load_full() as AnySnapshot, false),
            };
            // The borrow is released: `f` may call this or another hook.
            let result = f.take().map(|f| match snapshot.downcast_ref::<T>() {
                Some(state) => f(state),
                // Unreachable: a slot keyed by this cell's id holds a `T`.
                None => f(&self.load()),
            });
            let mut cache = cache.borrow_mut();
            let slot = &mut cache[index];
            if hit && slot.cell == self.id && slot.generation == generation {
                slot.snapshot = Some(snapshot);
            } else {
                *slot = CacheSlot {
                    cell: self.id,
                    generation,
                    snapshot: Some(snapshot),
                };
            }
            result
        });
        match (cached, f) {
            (Ok(Some(result)), _) => result,
            // Thread teardown: the cache is gone, read the cell directly.
            (_, Some(f)) => f(&self.load()),
            (_, None) => unreachable!("`f` ran, so the cache produced its result"),
        }
    }
}
