//! Priorities, registration order and before/after constraints.

mod common;

use std::sync::{Arc, Mutex};

use common::urn;
use plinth_hooks::Hook;
use plinth_hooks::{Action, Filter, Tap};

/// Registers callbacks that append their label, returns the call order.
fn run(taps: Vec<(Tap, &'static str)>) -> Vec<&'static str> {
    let hook = Action::<()>::new("order");
    let seen = Arc::new(Mutex::new(Vec::new()));
    for (tap, label) in taps {
        let seen = seen.clone();
        hook.tap(tap, move |_| seen.lock().unwrap().push(label));
    }
    hook.call(&()).unwrap();

    seen.lock().unwrap().clone()
}

#[test]
fn priority_zero_runs_before_the_default() {
    let p = urn("p");
    let order = run(vec![
        (Tap::new(p.clone()), "default"),
        (Tap::new(p.clone()).priority(0), "zero"),
        (Tap::new(p.clone()).priority(-5), "negative"),
        (Tap::new(p).priority(11), "eleven"),
    ]);
    assert_eq!(order, ["negative", "zero", "default", "eleven"]);
}

#[test]
fn equal_priorities_keep_registration_order() {
    let p = urn("p");
    let order = run(vec![
        (Tap::new(p.clone()).priority(3), "a"),
        (Tap::new(p.clone()), "b"),
        (Tap::new(p.clone()).priority(3), "c"),
        (Tap::new(p.clone()), "d"),
        (Tap::new(p).priority(3), "e"),
    ]);
    assert_eq!(order, ["a", "c", "e", "b", "d"]);
}

#[test]
fn before_and_after_override_priority() {
    let p = urn("p");
    let order = run(vec![
        (Tap::new(p.clone()).name("render").priority(0), "render"),
        (Tap::new(p.clone()).before("render").priority(50), "prepare"),
        (Tap::new(p.clone()).after("cleanup").priority(-1), "report"),
        (Tap::new(p).name("cleanup"), "cleanup"),
    ]);
    // `render` waits for `prepare`, `report` for `cleanup`; among the ready
    // ones the lowest priority goes first: cleanup (10) before prepare (50).
    assert_eq!(order, ["cleanup", "report", "prepare", "render"]);
}

#[test]
fn unknown_names_in_constraints_are_ignored() {
    let p = urn("p");
    let order = run(vec![
        (Tap::new(p.clone()).before("nobody"), "a"),
        (Tap::new(p).after("nobody").priority(0), "b"),
    ]);
    assert_eq!(order, ["b", "a"]);
}

#[test]
fn cycles_are_broken_deterministically() {
    let p = urn("p");
    let taps = || {
        vec![
            (Tap::new(p.clone()).name("x").before("y"), "x"),
            (Tap::new(p.clone()).name("y").before("x"), "y"),
            (Tap::new(p.clone()).priority(0), "first"),
        ]
    };
    let once = run(taps());
    assert_eq!(once, run(taps()));
    assert_eq!(once.len(), 3);
    assert_eq!(once[0], "first");
}

#[test]
fn a_registration_lands_in_priority_order_among_existing_ones() {
    let hook = Filter::<String>::new("s");
    let p = urn("p");
    hook.tap(Tap::new(p.clone()).priority(20), |s| s + "c");
    hook.tap(Tap::new(p.clone()).priority(0), |s| s + "a");
    hook.tap(Tap::new(p), |s| s + "b");
    assert_eq!(hook.call(String::new()).unwrap(), "abc");
}

#[test]
fn removing_a_named_registration_releases_its_constraints() {
    let hook = Filter::<String>::new("s");
    let p = urn("p");
    let late = hook.tap(Tap::new(p.clone()).name("late").priority(100), |s| s + "L");
    hook.tap(Tap::new(p.clone()).after("late").priority(0), |s| s + "A");
    hook.tap(Tap::new(p), |s| s + "B");
    assert_eq!(hook.call(String::new()).unwrap(), "BLA");
    hook.unregister(&late);
    assert_eq!(hook.call(String::new()).unwrap(), "AB");
}
