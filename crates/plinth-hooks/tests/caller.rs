//! Caller handles (`Filter::caller` and friends): the same results as
//! `call`, every change seen from the next call, outdated snapshots let go.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use common::urn;
use plinth_hooks::Hook;
use plinth_hooks::{Action, Bail, Fault, Filter, Handle, Interceptor, Tap};

#[test]
fn a_caller_agrees_with_call_through_any_sequence_of_changes() {
    let hook = Filter::<u64>::new("n");
    let mut caller = hook.caller();
    let mut handles: Vec<Handle> = Vec::new();
    // A fixed pseudo-random walk of registrations and removals.
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for step in 0..500u64 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        match seed % 4 {
            0 | 1 => {
                let k = step % 7;
                let tap = Tap::new(urn("p")).priority((seed % 21) as i32 - 10);
                handles.push(hook.tap(tap, move |x| x.wrapping_mul(3).wrapping_add(k)));
            }
            2 if !handles.is_empty() => {
                let h = handles.swap_remove((seed as usize / 4) % handles.len());
                assert!(hook.unregister(&h));
            }
            _ => {}
        }
        assert_eq!(
            caller.call(step).unwrap(),
            hook.call(step).unwrap(),
            "step {step}"
        );
    }
}

#[test]
fn action_and_bail_callers_see_changes_from_the_next_call() {
    let action = Action::<u32>::new("a");
    let seen = Arc::new(AtomicUsize::new(0));
    let mut act = action.caller();
    act.call(&1).unwrap();
    let s = seen.clone();
    let h = action.tap(urn("p"), move |n| {
        s.fetch_add(*n as usize, Ordering::Relaxed);
    });
    act.call(&2).unwrap();
    action.unregister(&h);
    act.call(&4).unwrap();
    assert_eq!(seen.load(Ordering::Relaxed), 2);

    let bail = Bail::<u32, u32>::new("b");
    let mut first = bail.caller();
    assert_eq!(first.call(&1).unwrap(), None);
    bail.tap(Tap::new(urn("late")).priority(20), |n| Some(n + 100));
    assert_eq!(first.call(&1).unwrap(), Some(101));
    bail.tap(Tap::new(urn("early")).priority(0), |n| Some(*n));
    assert_eq!(first.call(&1).unwrap(), Some(1));
}

#[test]
fn failures_through_a_caller_are_attributed_as_through_call() {
    let hook = Filter::<u8>::new("n");
    hook.tap(urn("ok"), |n| n + 1);
    hook.try_tap(
        urn("err"),
        |n| if *n == 2 { Err("two".into()) } else { Ok(()) },
    );
    hook.tap(urn("boom"), |n| if n == 4 { panic!("four") } else { n });
    let mut caller = hook.caller();
    let err = caller.call(1).unwrap_err();
    assert_eq!(err.owner, "err");
    assert!(matches!(&err.fault, Fault::Error(e) if e.to_string() == "two"));
    let err = caller.call(3).unwrap_err();
    assert_eq!(err.owner, "boom");
    assert!(matches!(&err.fault, Fault::Panic(m) if m == "four"));
    assert_eq!(caller.call(0).unwrap(), 1);

    let action = Action::<u8>::new("a");
    action.try_tap(urn("x"), |_| Err("x".into()));
    action.tap(urn("y"), |_| {});
    action.try_tap(urn("z"), |_| Err("z".into()));
    let err = action.caller().call(&0).unwrap_err();
    let owners: Vec<_> = err.failures.iter().map(|f| f.owner.as_str()).collect();
    assert_eq!(owners, ["x", "z"]);
}

#[test]
fn interceptors_hear_calls_made_through_a_caller() {
    struct Count(AtomicUsize);
    impl Interceptor for Count {
        fn on_call(&self, _: &plinth_hooks::CallInfo<'_>) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
    let hook = Filter::<u8>::new("n");
    hook.tap(urn("p"), |n| n);
    hook.tap(urn("q"), |n| n);
    let count = Arc::new(Count(AtomicUsize::new(0)));
    let mut caller = hook.caller();
    caller.call(0).unwrap();
    hook.intercept(count.clone());
    caller.call(0).unwrap();
    assert_eq!(count.0.load(Ordering::Relaxed), 2);
}

/// Sets its flag when dropped.
struct Guard(Arc<AtomicBool>);
impl Drop for Guard {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn a_caller_lets_go_of_an_outdated_snapshot_at_its_next_call() {
    let hook = Filter::<u8>::new("n");
    let dropped = Arc::new(AtomicBool::new(false));
    let guard = Guard(dropped.clone());
    let h = hook.tap(urn("p"), move |n| {
        let _ = &guard;
        n + 1
    });
    // Only the caller calls the hook, so only its snapshot holds `guard`.
    let mut caller = hook.caller();
    assert_eq!(caller.call(1).unwrap(), 2);
    assert!(hook.unregister(&h));
    assert!(!dropped.load(Ordering::SeqCst));
    assert_eq!(caller.call(1).unwrap(), 1);
    assert!(dropped.load(Ordering::SeqCst));
}

#[test]
fn callers_on_many_threads_never_lose_a_registration_or_go_back() {
    const ADDS: usize = 200;
    let hook = Arc::new(Filter::<usize>::new("count"));
    let start = Arc::new(Barrier::new(3));
    let done = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (hook, start, done) = (hook.clone(), start.clone(), done.clone());
            thread::spawn(move || {
                let mut caller = hook.caller();
                start.wait();
                let mut last = 0;
                while !done.load(Ordering::Acquire) {
                    let now = caller.call(0).unwrap();
                    // Registrations only add: a caller never sees fewer.
                    assert!(now >= last, "went back from {last} to {now}");
                    last = now;
                }
                // Every registration happened before `done`: the next call
                // must see them all.
                caller.call(0).unwrap()
            })
        })
        .collect();
    start.wait();
    for _ in 0..ADDS {
        hook.tap(urn("w"), |n| n + 1);
    }
    done.store(true, Ordering::Release);
    for reader in readers {
        assert_eq!(reader.join().unwrap(), ADDS);
    }
}
