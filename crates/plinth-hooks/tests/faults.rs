//! Panics become errors attributed to their owner, unless told otherwise.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use common::urn;
use futures_executor::block_on;
use plinth_hooks::{Action, Bail, Config, Fault, Filter, PanicPolicy, Tap};

#[test]
fn a_panicking_filter_callback_is_an_error_naming_its_owner() {
    let hook = Filter::<u32>::new("f");
    hook.tap(Tap::new(urn("bad")).name("divide"), |n| {
        if n == 0 {
            panic!("division by {n}");
        }
        n
    });
    let err = hook.call(0).unwrap_err();
    assert_eq!(err.owner, "bad");
    assert_eq!(err.name.as_deref(), Some("divide"));
    assert!(matches!(&err.fault, Fault::Panic(m) if m == "division by 0"));
    assert_eq!(
        err.to_string(),
        "hook \"f\": callback \"divide\" of plugin \"bad\" panicked: division by 0"
    );
    // The hook keeps working.
    assert_eq!(hook.call(3).unwrap(), 3);
}

#[test]
fn async_panics_are_caught_while_creating_and_while_polling() {
    let hook = Action::<()>::new("a");
    hook.tap_async(urn("creating"), |_| -> std::future::Ready<_> {
        panic!("before the future")
    });
    hook.tap_async(urn("polling"), |_| async { panic!("inside the future") });
    hook.tap(urn("fine"), |_| {});
    let err = block_on(hook.call_async(())).unwrap_err();
    let owners: Vec<_> = err.failures.iter().map(|f| f.owner.to_string()).collect();
    assert_eq!(owners, ["creating", "polling"]);
    let err = block_on(hook.call_parallel(())).unwrap_err();
    assert_eq!(err.failures.len(), 2);
}

#[test]
fn propagate_lets_the_panic_unwind() {
    let config = Config {
        panics: PanicPolicy::Propagate,
    };
    let hook = Bail::<u32, u32>::with_config("b", config);
    hook.tap(urn("bad"), |_| panic!("through"));
    let caught = catch_unwind(AssertUnwindSafe(|| hook.call(&1)));
    assert!(caught.is_err());
}

#[test]
fn non_string_panic_payloads_are_described() {
    let hook = Action::<()>::new("a");
    hook.tap(urn("odd"), |_| std::panic::panic_any(42_u8));
    let err = hook.call(&()).unwrap_err();
    assert!(matches!(&err.failures[0].fault, Fault::Panic(m) if m == "a non-string payload"));
}

#[test]
fn a_skipping_bail_call_goes_past_failing_and_panicking_callbacks() {
    let hook = Bail::<u32, &str>::new("b");
    hook.try_tap(urn("failing"), |_| Err("no database".into()));
    hook.tap_async(urn("panicking"), |_| async { panic!("async boom") });
    hook.tap(urn("declining"), |_| None);
    hook.tap(urn("answering"), |n| (*n > 1).then_some("big"));
    let mut skipped = Vec::new();
    let answer = block_on(hook.call_async_skipping(2, |e| skipped.push(e))).unwrap();
    assert_eq!(answer, Some("big"));
    let owners: Vec<&str> = skipped.iter().map(|e| e.owner.as_str()).collect();
    assert_eq!(owners, ["failing", "panicking"]);
    assert!(matches!(&skipped[1].fault, Fault::Panic(m) if m == "async boom"));
    // Nobody answers: still no error, only the skips.
    skipped.clear();
    assert_eq!(
        block_on(hook.call_async_skipping(1, |e| skipped.push(e))).unwrap(),
        None
    );
    assert_eq!(skipped.len(), 2);
    // The plain call stops at the first failure.
    assert_eq!(block_on(hook.call_async(2)).unwrap_err().owner, "failing");
}
