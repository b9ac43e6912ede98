//! Callbacks that call hooks: each thread's cached snapshot must stay
//! correct when a call is nested inside another call of the same hook, of
//! many other hooks, or inside the drop of an evicted snapshot.

mod common;

use std::sync::{Arc, Mutex, OnceLock};

use common::urn;
use plinth_hooks::Hook;
use plinth_hooks::{Fault, Filter};

#[test]
fn a_callback_may_call_its_own_hook() {
    let hook = Arc::new(Filter::<u32>::new("countdown"));
    let inner = Arc::downgrade(&hook);
    hook.tap(urn("p"), move |n| match n {
        0 => 0,
        n => {
            1 + inner
                .upgrade()
                .expect("alive")
                .call(n - 1)
                .expect("no fault")
        }
    });
    assert_eq!(hook.call(5).unwrap(), 5);
    assert_eq!(hook.call(3).unwrap(), 3);
}

#[test]
fn a_registration_made_inside_a_call_applies_to_nested_and_later_calls() {
    let hook = Arc::new(Filter::<u32>::new("grow"));
    let inner = Arc::downgrade(&hook);
    let nested = Arc::new(Mutex::new(Vec::new()));
    let seen = nested.clone();
    hook.tap(urn("p"), move |n| {
        if n == 0 {
            let hook = inner.upgrade().expect("alive");
            hook.tap(urn("q"), |n| n + 100);
            // The outer call still holds its snapshot (and this thread's slot):
            // this call misses and must read the new snapshot uncached.
            seen.lock().unwrap().push(hook.call(1).expect("no fault"));
        }
        n + 1
    });
    // The outer call runs the snapshot it started with: only `p`.
    assert_eq!(hook.call(0).unwrap(), 1);
    // The nested call ran both: `p` (1 + 1), then `q` (+ 100).
    assert_eq!(*nested.lock().unwrap(), [102]);
    assert_eq!(hook.call(1).unwrap(), 102);
}

#[test]
fn many_hooks_nested_and_rewritten_keep_their_own_snapshots() {
    // Many hooks, each calling the next while its own slot is borrowed, and
    // every snapshot replaced between rounds.
    const N: usize = 40;
    let hooks: Arc<Vec<Filter<u64>>> =
        Arc::new((0..N).map(|i| Filter::new(format!("h{i}"))).collect());
    for i in 0..N {
        let weak = Arc::downgrade(&hooks);
        hooks[i].tap(urn("p"), move |n| {
            let next = i + 1;
            let rest = match weak.upgrade() {
                Some(hooks) if next < N => hooks[next].call(n).expect("no fault"),
                _ => n,
            };
            rest + 1
        });
    }
    for round in 0..3u64 {
        // Each hook adds 1 after the rest of the chain; the added ones keep
        // the value but change every snapshot between rounds.
        assert_eq!(hooks[0].call(round).unwrap(), round + N as u64);
        for (i, hook) in hooks.iter().enumerate() {
            hook.tap(urn("q"), |n| n);
            assert_eq!(hook.len(), 2 + round as usize, "hook {i}");
        }
    }
}

/// Calls every hook in `HOOKS`, then the evicting hook itself, when dropped.
struct CallsOnDrop;
static HOOKS: OnceLock<Vec<Filter<u8>>> = OnceLock::new();
static EVICTING: OnceLock<Filter<u8>> = OnceLock::new();
static DROP_RESULTS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

impl Drop for CallsOnDrop {
    fn drop(&mut self) {
        let evicting = EVICTING.get().expect("set");
        for hook in HOOKS.get().expect("set").iter().chain([evicting]) {
            DROP_RESULTS
                .lock()
                .unwrap()
                .push(hook.call(1).expect("no fault"));
        }
    }
}

#[test]
fn dropping_an_evicted_snapshot_may_call_hooks() {
    let hooks = HOOKS.get_or_init(|| {
        (0..32)
            .map(|i| {
                let hook = Filter::new(format!("d{i}"));
                hook.tap(urn("p"), |n| n + 1);
                hook
            })
            .collect()
    });
    let hook = EVICTING.get_or_init(|| Filter::new("evicting"));
    hook.tap(urn("q"), |n| n + 10);
    let guard = CallsOnDrop;
    let handle = hook.tap(urn("p"), move |n| {
        let _ = &guard;
        n
    });
    for h in hooks {
        h.call(0).unwrap();
    }
    // Cache the snapshot holding `guard`, then replace it: the next call
    // evicts it from this thread's slot, dropping `guard`, which calls the
    // 32 hooks and the evicting hook itself while its slot is refilled.
    assert_eq!(hook.call(7).unwrap(), 17);
    assert!(hook.unregister(&handle));
    assert!(DROP_RESULTS.lock().unwrap().is_empty());
    assert_eq!(hook.call(7).unwrap(), 17);
    let mut expected = vec![2; 32];
    expected.push(11);
    assert_eq!(*DROP_RESULTS.lock().unwrap(), expected);
}

#[test]
fn a_panic_in_a_nested_call_is_attributed_and_leaves_the_outer_call_working() {
    let hook = Arc::new(Filter::<u32>::new("n"));
    let inner = Arc::downgrade(&hook);
    hook.tap(urn("outer"), move |n| {
        if n == 0 {
            let err = inner.upgrade().expect("alive").call(1).unwrap_err();
            assert!(matches!(err.fault, Fault::Panic(_)));
            assert_eq!(err.owner, "bad");
        }
        n + 1
    });
    hook.tap(urn("bad"), |n| if n == 2 { panic!("boom") } else { n });
    assert_eq!(hook.call(0).unwrap(), 1);
    let err = hook.call(1).unwrap_err();
    assert_eq!(err.owner, "bad");
}
