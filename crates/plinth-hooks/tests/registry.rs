//! Typed keys and the name-keyed registry.

mod common;

use std::sync::Arc;

use common::urn;
use plinth_hooks::{Action, Bail, Filter, Historic, Key, Registry, RegistryError};

#[test]
fn the_same_key_yields_the_same_hook() {
    const K: Key<Filter<u32>> = Key::new("k");
    let registry = Registry::new();
    let a = registry.hook(&K).unwrap();
    let b = registry.hook(&K).unwrap();
    assert!(Arc::ptr_eq(&a, &b));
    a.tap(urn("p"), |n| n + 1);
    assert_eq!(b.call(1).unwrap(), 2);
    assert_eq!(registry.len(), 1);
}

#[test]
fn one_name_with_two_payload_types_is_a_typed_error() {
    let registry = Registry::new();
    registry.hook(&Key::<Filter<u32>>::new("k")).unwrap();
    let err = registry.hook(&Key::<Filter<String>>::new("k")).unwrap_err();
    let RegistryError::TypeMismatch {
        hook,
        expected,
        found,
    } = &err;
    assert_eq!(&**hook, "k");
    assert!(expected.contains("String"), "{expected}");
    assert!(found.contains("u32"), "{found}");
    assert!(err.to_string().starts_with("hook \"k\" is a"));
    // Other kinds with the same payload are other types too.
    assert!(registry.hook_named::<Action<u32>>("k").is_err());
    assert!(registry.hook_named::<Bail<u32, u32>>("k").is_err());
    assert!(registry.hook_named::<Historic<u32>>("k").is_err());
    assert!(registry.get_named::<Action<u32>>("k").is_err());
    // The original is untouched.
    assert!(registry.get_named::<Filter<u32>>("k").unwrap().is_some());
}

#[test]
fn get_does_not_create() {
    let registry = Registry::new();
    assert!(
        registry
            .get(&Key::<Action<u8>>::new("x"))
            .unwrap()
            .is_none()
    );
    assert!(registry.is_empty());
}

#[test]
fn concurrent_creation_yields_one_hook() {
    let registry = Arc::new(Registry::new());
    let hooks: Vec<_> = (0..4)
        .map(|_| {
            let r = registry.clone();
            std::thread::spawn(move || r.hook_named::<Action<u8>>("x").unwrap())
        })
        .map(|t| t.join().unwrap())
        .collect();
    assert!(hooks.windows(2).all(|w| Arc::ptr_eq(&w[0], &w[1])));
}
