//! Late callbacks are replayed earlier calls, exactly once each.

mod common;

use std::sync::{Arc, Barrier, Mutex};

use common::urn;
use plinth_hooks::Historic;

#[test]
fn late_callbacks_get_the_history_then_new_calls() {
    let hook = Historic::<u32>::new("h");
    hook.call(1).unwrap();
    let early = Arc::new(Mutex::new(Vec::new()));
    let e = early.clone();
    let replay = hook.tap(urn("early"), move |n| e.lock().unwrap().push(*n));
    assert_eq!((replay.calls, replay.failures.len()), (1, 0));
    hook.call(2).unwrap();
    let late = Arc::new(Mutex::new(Vec::new()));
    let l = late.clone();
    hook.tap(urn("late"), move |n| l.lock().unwrap().push(*n));
    hook.call(3).unwrap();
    assert_eq!(*early.lock().unwrap(), [1, 2, 3]);
    assert_eq!(*late.lock().unwrap(), [1, 2, 3]);
}

#[test]
fn replay_failures_are_reported_with_the_owner() {
    let hook = Historic::<u32>::new("h");
    hook.call(1).unwrap();
    hook.call(2).unwrap();
    let replay = hook.try_tap(urn("picky"), |n| {
        if *n == 2 { Err("two".into()) } else { Ok(()) }
    });
    assert_eq!(replay.failures.len(), 1);
    assert_eq!(replay.failures[0].owner, "picky");
}

#[test]
fn racing_registration_and_calls_deliver_each_payload_exactly_once() {
    const CALLS: u32 = 2000;
    for _ in 0..20 {
        let hook = Arc::new(Historic::<u32>::new("h"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let start = Arc::new(Barrier::new(2));
        let caller = {
            let (hook, start) = (hook.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                for i in 0..CALLS {
                    hook.call(i).unwrap();
                }
            })
        };
        start.wait();
        let s = seen.clone();
        hook.tap(urn("late"), move |n| s.lock().unwrap().push(*n));
        caller.join().unwrap();
        // Replay runs outside the lock (the callback may call the hook), so
        // it can interleave with concurrent calls: compare as sets.
        let mut seen = seen.lock().unwrap().clone();
        seen.sort_unstable();
        let expected: Vec<u32> = (0..CALLS).collect();
        assert!(
            seen == expected,
            "lost or duplicated: {} payloads",
            seen.len()
        );
    }
}
