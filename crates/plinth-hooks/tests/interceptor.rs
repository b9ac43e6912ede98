//! Interceptors observe calls without changing them.

mod common;

use std::sync::{Arc, Mutex};

use common::urn;
use plinth_hooks::Hook;
use plinth_hooks::{
    Action, Bail, CallInfo, Filter, HookKind, Interceptor, Key, Outcome, Registry, Tap,
};

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Interceptor for Recorder {
    fn on_call(&self, call: &CallInfo<'_>) {
        let outcome = match call.outcome {
            Outcome::Ok => "ok".to_string(),
            Outcome::Bailed => "bailed".to_string(),
            Outcome::Failed(f) => format!("failed({f})"),
        };
        self.0.lock().unwrap().push(format!(
            "{}/{}/{}/{}:{}",
            call.kind,
            call.hook,
            call.owner,
            call.name.unwrap_or("-"),
            outcome
        ));
    }
}

impl Recorder {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut self.0.lock().unwrap())
    }
}

#[test]
fn every_invocation_is_reported_and_results_are_unchanged() {
    let rec = Arc::new(Recorder::default());
    let hook = Filter::<u32>::new("f");
    hook.tap(Tap::new(urn("a")).name("double"), |n| n * 2);
    hook.try_tap(
        urn("b"),
        |n| if *n > 10 { Err("big".into()) } else { Ok(()) },
    );
    assert_eq!(hook.call(2).unwrap(), 4);
    hook.intercept(rec.clone());
    assert_eq!(hook.call(2).unwrap(), 4);
    assert_eq!(rec.take(), ["filter/f/a/double:ok", "filter/f/b/-:ok"]);
    assert_eq!(hook.call(6).unwrap_err().owner, "b");
    assert_eq!(
        rec.take(),
        ["filter/f/a/double:ok", "filter/f/b/-:failed(failed: big)"]
    );
}

#[test]
fn bail_outcomes_are_distinguished() {
    let rec = Arc::new(Recorder::default());
    let hook = Bail::<u32, u32>::new("b");
    hook.intercept(rec.clone());
    hook.tap(urn("no"), |_| None);
    hook.tap(urn("yes"), |n| Some(*n));
    assert_eq!(hook.call(&1).unwrap(), Some(1));
    assert_eq!(rec.take(), ["bail/b/no/-:ok", "bail/b/yes/-:bailed"]);
}

#[test]
fn registry_interceptors_reach_existing_and_future_hooks() {
    let rec = Arc::new(Recorder::default());
    let registry = Registry::new();
    let early = registry.hook(&Key::<Action<()>>::new("early")).unwrap();
    registry.intercept(rec.clone());
    let late = registry.hook(&Key::<Action<()>>::new("late")).unwrap();
    early.tap(urn("p"), |_| {});
    late.tap(urn("p"), |_| panic!("x"));
    early.call(&()).unwrap();
    assert!(late.call(&()).is_err());
    assert_eq!(
        rec.take(),
        ["action/early/p/-:ok", "action/late/p/-:failed(panicked: x)"]
    );
}

#[test]
fn a_panicking_interceptor_does_not_break_dispatch() {
    struct Bad;
    impl Interceptor for Bad {
        fn on_call(&self, _: &CallInfo<'_>) {
            panic!("interceptor bug");
        }
    }
    let hook = Filter::<u32>::new("f");
    hook.intercept(Arc::new(Bad));
    hook.tap(urn("p"), |n| n + 1);
    assert_eq!(hook.call(1).unwrap(), 2);
}

#[test]
fn durations_are_reported() {
    struct Kinds(Mutex<Vec<(HookKind, std::time::Duration)>>);
    impl Interceptor for Kinds {
        fn on_call(&self, call: &CallInfo<'_>) {
            self.0.lock().unwrap().push((call.kind, call.duration));
        }
    }
    let kinds = Arc::new(Kinds(Mutex::new(Vec::new())));
    let hook = Action::<()>::new("a");
    hook.intercept(kinds.clone());
    // A sleep lasts at least its length, so this lower bound cannot flake.
    hook.tap(urn("p"), |_| {
        std::thread::sleep(std::time::Duration::from_millis(2))
    });
    hook.call(&()).unwrap();
    let seen = kinds.0.lock().unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, HookKind::Action);
    assert!(
        seen[0].1 >= std::time::Duration::from_millis(2),
        "{:?}",
        seen[0].1
    );
}

#[test]
fn failure_only_interceptors_hear_failures_of_every_kind() {
    struct Failures(Mutex<Vec<String>>);
    impl Interceptor for Failures {
        fn on_call(&self, call: &CallInfo<'_>) {
            assert!(matches!(call.outcome, plinth_hooks::Outcome::Failed(_)));
            self.0
                .lock()
                .unwrap()
                .push(format!("{}:{}", call.hook, call.owner));
        }
        fn every_call(&self) -> bool {
            false
        }
    }
    let failures = Arc::new(Failures(Mutex::new(Vec::new())));
    let filter = plinth_hooks::Filter::<u8>::new("f");
    filter.intercept(failures.clone());
    filter.tap(urn("ok"), |n| n);
    filter.tap(urn("bad"), |_| panic!("boom"));
    let action = Action::<u8>::new("a");
    action.intercept(failures.clone());
    action.tap(urn("ok"), |_| {});
    action.try_tap(urn("bad"), |_| Err("no".into()));
    assert!(filter.call(1).is_err());
    assert!(action.call(&1).is_err());
    assert_eq!(*failures.0.lock().unwrap(), ["f:bad", "a:bad"]);
}
