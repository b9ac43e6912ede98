//! Grace periods: knowing when no hook call can still run a removed callback.
//!
//! Removing a callback publishes a snapshot without it, but a call that
//! loaded the previous snapshot a moment earlier may still be running it.
//! [`quiesce`] waits until every hook call that had started when it was
//! called has returned; calls that start later load a snapshot published
//! after every removal made before `quiesce` was called. So after
//! `remove_owner` and `quiesce`, none of the owner's callbacks is running or
//! will run: what a plugin manager needs before a plugin releases its
//! resources.
//!
//! The costs are placed so that dispatch pays (almost) nothing:
//! - a **sync** call counts itself in a word that only its own thread writes
//!   (quiescent-state-based reclamation): two plain stores and a compiler
//!   fence, no shared cache line. The waiter pays instead: one process-wide
//!   memory barrier (`membarrier`, issued only when another thread has ever
//!   called a hook) makes every thread's word visible, then it waits for the
//!   threads caught inside a call to leave it;
//! - an **async** call may suspend and move between threads, so it holds a
//!   guard across its awaits, counted in one of two shared counters (the
//!   pair of sleepable RCU): the waiter sends new calls to the other counter
//!   and waits for the old one to drain. Async dispatch already allocates
//!   and reference-counts, so two more atomic operations are in the noise.
//!
//! A call made while the thread is itself inside a hook call (a callback
//! that calls `quiesce`, directly or by disabling a plugin) cannot wait for
//! its own call: the calling thread's own sync call is not waited for.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

/// The low half of a thread's word: how deep it is in nested sync calls.
const DEPTH: u64 = (1 << 32) - 1;
/// The high half: how many outermost sync calls it has finished.
const EXIT: u64 = 1 << 32;

/// One thread's word. Padded so that two threads never share the line.
#[repr(align(128))]
#[derive(Default)]
struct Word(AtomicU64);

/// Every word ever handed out; words of exited threads are reused.
struct Words {
    all: Vec<&'static Word>,
    free: Vec<&'static Word>,
}

static WORDS: Mutex<Words> = Mutex::new(Words {
    all: Vec::new(),
    free: Vec::new(),
});

fn words() -> std::sync::MutexGuard<'static, Words> {
    WORDS.lock().unwrap_or_else(PoisonError::into_inner)
}

std::thread_local! {
    /// This thread's word, once it has one. Read on every sync call, so it
    /// is a const-initialised cell without a destructor: the cheapest kind
    /// of thread-local access (a lazily initialised one with a destructor
    /// checks its state on every access, which cost a sync call more than
    /// the rest of its bookkeeping).
    static WORD: Cell<Option<&'static Word>> = const { Cell::new(None) };
    /// Gives the word back when the thread exits.
    static RELEASE: Release = const { Release };
}

struct Release;

impl Drop for Release {
    fn drop(&mut self) {
        if let Some(word) = WORD.with(Cell::take) {
            words().free.push(word);
        }
    }
}

/// The calling thread's word; `None` once the thread is tearing down.
#[inline]
fn own_word() -> Option<&'static Word> {
    WORD.with(Cell::get).or_else(acquire_word)
}

#[cold]
#[inline(never)]
fn acquire_word() -> Option<&'static Word> {
    // The destructor is registered first: a thread already tearing down
    // gets no word (a call from another thread-local's destructor).
    RELEASE.try_with(|_| ()).ok()?;
    let mut words = words();
    let word = match words.free.pop() {
        Some(word) => word,
        None => {
            // One word per thread that ever called a hook at the same
            // time as others: bounded by the peak thread count.
            let word: &'static Word = Box::leak(Box::default());
            words.all.push(word);
            word
        }
    };
    WORD.with(|w| w.set(Some(word)));
    Some(word)
}

/// A sync call in progress on this thread; leaving it on drop (also when a
/// callback's panic unwinds through the call).
pub(crate) struct SyncCall {
    word: Option<&'static Word>,
    // Held only for its drop.
    _fallback: Option<AsyncCall>,
}

impl SyncCall {
    /// Enters a sync call. Must come before the call reads the hook's
    /// stamp or snapshot.
    #[inline]
    pub(crate) fn enter() -> SyncCall {
        match own_word() {
            Some(word) => {
                let w = word.0.load(Ordering::Relaxed);
                word.0.store(w + 1, Ordering::Relaxed);
                // Orders the store before the snapshot's loads for the
                // waiter's process-wide barrier (a compiler fence where
                // `membarrier` is available, a full fence elsewhere).
                membarrier::light();
                SyncCall {
                    word: Some(word),
                    _fallback: None,
                }
            }
            // The thread-local is gone (a call from a thread-local's
            // destructor): count the call as an async one instead.
            None => SyncCall {
                word: None,
                _fallback: Some(AsyncCall::enter()),
            },
        }
    }
}

impl Drop for SyncCall {
    #[inline]
    fn drop(&mut self) {
        if let Some(word) = self.word {
            let w = word.0.load(Ordering::Relaxed);
            let next = if w & DEPTH == 1 { w - 1 + EXIT } else { w - 1 };
            // Release: the waiter that sees the call finished also sees
            // everything the call did.
            word.0.store(next, Ordering::Release);
        }
    }
}

/// The two counters of async calls in progress, and which one new calls
/// use (the parity of `epoch`).
struct AsyncCounters {
    epoch: AtomicUsize,
    calls: [AtomicUsize; 2],
}

static ASYNC: AsyncCounters = AsyncCounters {
    epoch: AtomicUsize::new(0),
    calls: [AtomicUsize::new(0), AtomicUsize::new(0)],
};

/// An async call in progress, held across its awaits.
pub(crate) struct AsyncCall(usize);

impl AsyncCall {
    /// Enters an async call. Must come before the call loads the hook's
    /// snapshot.
    pub(crate) fn enter() -> AsyncCall {
        let side = ASYNC.epoch.load(Ordering::SeqCst) & 1;
        ASYNC.calls[side].fetch_add(1, Ordering::SeqCst);
        AsyncCall(side)
    }
}

impl Drop for AsyncCall {
    fn drop(&mut self) {
        ASYNC.calls[self.0].fetch_sub(1, Ordering::SeqCst);
    }
}

/// One grace period at a time: two overlapping ones would keep sending new
/// calls to the counter the other is waiting on.
static WAITER: futures_util::lock::Mutex<()> = futures_util::lock::Mutex::new(());

/// Waits until every hook call (of any hook, sync or async, on any thread)
/// that had started when `quiesce` was called has returned.
///
/// After a registration is removed ([`Handle`](crate::Handle)-based
/// `unregister`, `remove_owner`) and `quiesce` has completed, the removed
/// callback is not running and never runs again. The wait lasts as long as
/// the longest such call: bound it with a timeout where callbacks may
/// block. The calling thread's own sync call, when `quiesce` is reached from
/// inside a callback, is not waited for (it could never finish). Works in
/// any async runtime and outside any (its back-off timer is
/// runtime-agnostic).
///
/// ```
/// use plinth_hooks::{quiesce, Filter, Hook, PluginUrn};
/// let hook = Filter::<u32>::new("price");
/// let vat = PluginUrn::new("vat")?;
/// hook.tap(&vat, |p| p * 2);
/// hook.remove_owner(&vat);
/// futures_executor::block_on(quiesce());
/// // No call can still be running the removed callback.
/// assert_eq!(hook.call(21)?, 21);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub async fn quiesce() {
    let _one_at_a_time = WAITER.lock().await;
    // The counter new calls are about to go to holds only calls older than
    // the last grace period. It is empty unless that one was given up on
    // (its future dropped while it waited): then those calls are still
    // running, and would be missed once new calls share their counter.
    let next = ASYNC.epoch.load(Ordering::SeqCst).wrapping_add(1) & 1;
    let mut backoff = Backoff::default();
    while ASYNC.calls[next].load(Ordering::SeqCst) != 0 {
        backoff.wait().await;
    }
    // Async calls: new ones go to the other counter; wait for this one.
    let old = ASYNC.epoch.fetch_add(1, Ordering::SeqCst) & 1;
    // Sync calls: the threads caught inside one, with their word.
    let caught = caught_in_sync_calls();
    loop {
        let async_done = ASYNC.calls[old].load(Ordering::SeqCst) == 0;
        let sync_done = caught
            .iter()
            .all(|(word, seen)| word.0.load(Ordering::Acquire) & !DEPTH != seen & !DEPTH);
        if async_done && sync_done {
            return;
        }
        backoff.wait().await;
    }
}

/// The other threads that are inside a sync call now, each with its word
/// as read (a thread is out of that call once its exit count moves).
fn caught_in_sync_calls() -> Vec<(&'static Word, u64)> {
    let own = WORD.with(Cell::get);
    let all = {
        let words = words();
        let in_use = words.all.len() - words.free.len();
        let only_us = in_use == 0 || (in_use == 1 && own.is_some());
        if only_us {
            // No other thread has a word: none can be in a call that
            // started before our snapshot was published (a thread taking a
            // word later takes this mutex first, and so sees it).
            return Vec::new();
        }
        words.all.clone()
    };
    // Makes every thread's entry store visible here, or our removal
    // visible to its snapshot load.
    membarrier::heavy();
    all.into_iter()
        .filter(|word| !own.is_some_and(|own| std::ptr::eq(own, *word)))
        .filter_map(|word| {
            let seen = word.0.load(Ordering::Acquire);
            (seen & DEPTH != 0).then_some((word, seen))
        })
        .collect()
}

/// Yields to the executor a few times, then sleeps with a growing delay
/// (at most 10 ms), so a long wait neither spins a core nor starves the
/// calls it waits for when they run on the same executor.
#[derive(Default)]
struct Backoff {
    rounds: u32,
}

impl Backoff {
    async fn wait(&mut self) {
        self.rounds += 1;
        if self.rounds <= 64 {
            YieldNow(false).await;
        } else {
            let ms = u64::from((self.rounds - 64).min(10));
            futures_timer::Delay::new(Duration::from_millis(ms)).await;
        }
    }
}

struct YieldNow(bool);

impl Future for YieldNow {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::AtomicBool;

    /// A grace period given up on leaves its calls running: the next one
    /// must still wait for them, though new calls then share their counter.
    #[test]
    fn a_grace_period_after_one_given_up_on_still_waits_for_its_calls() {
        use std::future::Future;
        let poll = |f: &mut std::pin::Pin<Box<dyn Future<Output = ()>>>| {
            f.as_mut()
                .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
        };
        let call = AsyncCall::enter();
        let mut given_up: std::pin::Pin<Box<dyn Future<Output = ()>>> = Box::pin(quiesce());
        assert!(poll(&mut given_up).is_pending(), "waits for the call");
        drop(given_up);
        let mut next: std::pin::Pin<Box<dyn Future<Output = ()>>> = Box::pin(quiesce());
        assert!(poll(&mut next).is_pending(), "still waits for the call");
        drop(call);
        futures_executor::block_on(next);
    }

    #[test]
    fn nested_calls_count_one_exit() {
        let word = own_word().unwrap();
        let before = word.0.load(Ordering::Relaxed);
        {
            let _outer = SyncCall::enter();
            let _inner = SyncCall::enter();
            assert_eq!(word.0.load(Ordering::Relaxed) & DEPTH, 2);
        }
        let after = word.0.load(Ordering::Relaxed);
        assert_eq!(after & DEPTH, 0);
        assert_eq!((after - before) / EXIT, 1);
    }

    #[test]
    fn quiesce_waits_for_a_sync_call_on_another_thread() {
        let inside = Arc::new(AtomicBool::new(false));
        let release = Arc::new(AtomicBool::new(false));
        let finished = Arc::new(AtomicBool::new(false));
        let (i, r, f) = (inside.clone(), release.clone(), finished.clone());
        let caller = std::thread::spawn(move || {
            let _call = SyncCall::enter();
            i.store(true, Ordering::SeqCst);
            while !r.load(Ordering::SeqCst) {
                std::thread::yield_now();
            }
            f.store(true, Ordering::SeqCst);
        });
        while !inside.load(Ordering::SeqCst) {
            std::thread::yield_now();
        }
        let releaser = {
            let release = release.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                release.store(true, Ordering::SeqCst);
            })
        };
        futures_executor::block_on(quiesce());
        assert!(
            finished.load(Ordering::SeqCst),
            "quiesce returned during the call"
        );
        caller.join().unwrap();
        releaser.join().unwrap();
    }

    #[test]
    fn quiesce_does_not_wait_for_its_own_thread() {
        let _call = SyncCall::enter();
        futures_executor::block_on(quiesce());
    }

    #[test]
    fn quiesce_waits_for_an_async_call() {
        let call = AsyncCall::enter();
        let done = Arc::new(AtomicBool::new(false));
        let d = done.clone();
        let waiter = std::thread::spawn(move || {
            futures_executor::block_on(quiesce());
            d.store(true, Ordering::SeqCst);
        });
        std::thread::sleep(Duration::from_millis(30));
        assert!(!done.load(Ordering::SeqCst));
        drop(call);
        waiter.join().unwrap();
        assert!(done.load(Ordering::SeqCst));
    }
}
