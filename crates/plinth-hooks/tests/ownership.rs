//! Handles remove exactly one registration; owners remove all of theirs.

mod common;

use common::urn;
use plinth_hooks::Hook;
use plinth_hooks::{Action, Filter, Key, Registry};

#[test]
fn unregister_removes_exactly_that_callback() {
    let hook = Filter::<String>::new("f");
    let p = urn("p");
    // The same closure shape twice: the seed's `fn.bind(this)` problem.
    let first = hook.tap(&p, |s| s + "x");
    let second = hook.tap(&p, |s| s + "x");
    hook.tap(&p, |s| s + "!");
    assert_ne!(first, second);
    assert!(hook.unregister(&second));
    assert_eq!(hook.call(String::new()).unwrap(), "x!");
    assert!(!hook.unregister(&second), "already gone");
    assert!(hook.unregister(&first));
    assert_eq!(hook.call(String::new()).unwrap(), "!");
}

#[test]
fn a_handle_of_another_hook_removes_nothing() {
    let a = Action::<()>::new("same-name");
    let b = Action::<()>::new("same-name");
    let ha = a.tap(urn("p"), |_| {});
    b.tap(urn("p"), |_| {});
    assert!(!b.unregister(&ha));
    assert_eq!(b.len(), 1);
}

#[test]
fn remove_owner_removes_only_that_plugins_callbacks() {
    let hook = Filter::<String>::new("f");
    let (a, b) = (urn("a"), urn("b"));
    hook.tap(&a, |s| s + "a1");
    hook.tap(&b, |s| s + "b");
    hook.tap(&a, |s| s + "a2");
    assert_eq!(hook.remove_owner(&a), 2);
    assert_eq!(hook.call(String::new()).unwrap(), "b");
    assert_eq!(hook.remove_owner(&a), 0);
}

#[test]
fn registry_remove_owner_spans_every_hook() {
    let registry = Registry::new();
    let (a, b) = (urn("a"), urn("b"));
    let f = registry.hook(&Key::<Filter<u32>>::new("f")).unwrap();
    let g = registry.hook(&Key::<Action<u32>>::new("g")).unwrap();
    f.tap(&a, |n| n + 1);
    f.tap(&b, |n| n * 10);
    g.tap(&a, |_| {});
    let kept = g.tap(&b, |_| {});
    assert_eq!(registry.remove_owner(&a), 2);
    assert_eq!(f.call(1).unwrap(), 10);
    assert_eq!(g.len(), 1);
    assert!(registry.unregister(&kept));
    assert!(g.is_empty());
}
