//! Model check of the snapshot swap: every interleaving of registrations,
//! removals and calls. Runs only with
//! `RUSTFLAGS="--cfg loom" CARGO_TARGET_DIR=target/loom cargo test -p plinth-hooks --test loom --release`
#![cfg(loom)]

use std::sync::Arc;

use loom::thread;
use std::sync::Mutex;

use plinth_hooks::{Filter, Historic, Hook, PluginUrn};

fn urn(name: &str) -> PluginUrn {
    PluginUrn::new(name).expect("non-empty")
}

/// Registers `+1` (owner `a`) and `+10` (owner `b`) on two new threads.
fn tap_on_two_threads(hook: &Arc<Filter<u32>>) -> [thread::JoinHandle<()>; 2] {
    let h1 = hook.clone();
    let h2 = hook.clone();
    [
        thread::spawn(move || {
            h1.tap(urn("a"), |n| n + 1);
        }),
        thread::spawn(move || {
            h2.tap(urn("b"), |n| n + 10);
        }),
    ]
}

#[test]
fn concurrent_registrations_are_neither_lost_nor_duplicated() {
    loom::model(|| {
        let hook = Arc::new(Filter::<u32>::new("h"));
        let [t1, t2] = tap_on_two_threads(&hook);
        // A call concurrent with both sees a whole snapshot: 0, 1, 10 or 11.
        let seen = hook.call(0).unwrap();
        assert!([0, 1, 10, 11].contains(&seen), "saw {seen}");
        t1.join().unwrap();
        t2.join().unwrap();
        assert_eq!(hook.call(0).unwrap(), 11);
        assert_eq!(hook.len(), 2);
    });
}

#[test]
fn a_caller_racing_registrations_sees_whole_snapshots_and_then_all() {
    loom::model(|| {
        let hook = Arc::new(Filter::<u32>::new("h"));
        let [t1, t2] = tap_on_two_threads(&hook);
        let mut caller = hook.caller();
        let seen = caller.call(0).unwrap();
        assert!([0, 1, 10, 11].contains(&seen), "saw {seen}");
        t1.join().unwrap();
        t2.join().unwrap();
        // The handle pinned an older snapshot: its next call must not use it.
        assert_eq!(caller.call(0).unwrap(), 11);
    });
}

#[test]
fn removal_racing_registration_removes_exactly_its_callback() {
    loom::model(|| {
        let hook = Arc::new(Filter::<u32>::new("h"));
        let gone = hook.tap(urn("a"), |n| n + 1);
        let h1 = hook.clone();
        let t1 = thread::spawn(move || {
            h1.tap(urn("b"), |n| n + 10);
        });
        let h2 = hook.clone();
        let t2 = thread::spawn(move || assert!(h2.unregister(&gone)));
        let seen = hook.call(0).unwrap();
        assert!([0, 1, 10, 11].contains(&seen), "saw {seen}");
        t1.join().unwrap();
        t2.join().unwrap();
        assert_eq!(hook.call(0).unwrap(), 10);
    });
}

#[test]
fn historic_replay_racing_calls_delivers_each_payload_once() {
    loom::model(|| {
        let hook = Arc::new(Historic::<u32>::new("h"));
        hook.call(1).unwrap();
        let h = hook.clone();
        let caller = thread::spawn(move || h.call(2).unwrap());
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        hook.tap(urn("late"), move |n| s.lock().unwrap().push(*n));
        caller.join().unwrap();
        let mut seen = seen.lock().unwrap().clone();
        seen.sort_unstable();
        assert_eq!(seen, [1, 2]);
    });
}
