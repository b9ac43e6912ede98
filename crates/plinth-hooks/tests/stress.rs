//! Registering from one thread while others trigger never loses or
//! duplicates a callback. Exercises the snapshot swap with real threads in
//! every `cargo test` (the loom model in `loom.rs` explores interleavings).

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;

use common::urn;
use plinth_hooks::Hook;
use plinth_hooks::{Filter, Key, Registry};

const CALLBACKS: u32 = 400;
const READERS: usize = 2;

#[test]
fn readers_see_growing_prefixes_while_a_writer_registers() {
    let hook = Arc::new(Filter::<Vec<u32>>::new("stress"));
    let done = Arc::new(AtomicBool::new(false));
    let start = Arc::new(Barrier::new(READERS + 1));

    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let (hook, done, start) = (hook.clone(), done.clone(), start.clone());
            thread::spawn(move || {
                start.wait();
                let mut last = 0;
                let mut calls = 0u64;
                loop {
                    let finished = done.load(Ordering::Acquire);
                    let out = hook.call(Vec::new()).unwrap();
                    // Equal priorities run in registration order, and the
                    // writer registers 0, 1, 2...: every snapshot is a prefix.
                    let expected: Vec<u32> = (0..out.len() as u32).collect();
                    assert_eq!(out, expected, "not a prefix of the registrations");
                    assert!(out.len() >= last, "a registration disappeared");
                    last = out.len();
                    calls += 1;
                    if finished {
                        return (last, calls);
                    }
                }
            })
        })
        .collect();

    start.wait();
    for i in 0..CALLBACKS {
        hook.tap(urn("writer"), move |mut v| {
            v.push(i);
            v
        });
    }
    done.store(true, Ordering::Release);
    for r in readers {
        let (last, calls) = r.join().unwrap();
        assert_eq!(last, CALLBACKS as usize, "the last call saw every callback");
        assert!(calls > 0);
    }
    assert_eq!(hook.len(), CALLBACKS as usize);
}

#[test]
fn concurrent_writers_and_removals_keep_exactly_the_survivors() {
    let registry = Arc::new(Registry::new());
    let key = Key::<Filter<Vec<u32>>>::new("stress");
    let hook = registry.hook(&key).unwrap();
    let done = Arc::new(AtomicBool::new(false));

    let reader = {
        let (hook, done) = (hook.clone(), done.clone());
        thread::spawn(move || {
            while !done.load(Ordering::Acquire) {
                let out = hook.call(Vec::new()).unwrap();
                let unique: HashSet<_> = out.iter().collect();
                assert_eq!(unique.len(), out.len(), "a callback ran twice");
            }
        })
    };

    let writers: Vec<_> = (0..2u32)
        .map(|w| {
            let registry = registry.clone();
            let key = key.clone();
            thread::spawn(move || {
                let hook = registry.hook(&key).unwrap();
                let owner = urn(&format!("writer{w}"));
                let mut handles = Vec::new();
                for i in 0..CALLBACKS {
                    let id = w * 10_000 + i;
                    handles.push(hook.tap(&owner, move |mut v| {
                        v.push(id);
                        v
                    }));
                }
                // Remove the odd ones by handle, while the other writer works.
                for h in handles.iter().skip(1).step_by(2) {
                    assert!(registry.unregister(h));
                }
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    done.store(true, Ordering::Release);
    reader.join().unwrap();

    let mut out = hook.call(Vec::new()).unwrap();
    out.sort_unstable();
    let mut expected: Vec<u32> = (0..2u32)
        .flat_map(|w| (0..CALLBACKS).step_by(2).map(move |i| w * 10_000 + i))
        .collect();
    expected.sort_unstable();
    assert_eq!(out, expected);

    assert_eq!(
        registry.remove_owner(&urn("writer0")),
        CALLBACKS as usize / 2
    );
    assert_eq!(hook.len(), CALLBACKS as usize / 2);
}
