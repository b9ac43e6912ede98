//! Wrappers run around the rest of a call and see its result.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::urn;
use plinth_hooks::{
    Action, Bail, CallInfo, Fault, Filter, Hook, Interceptor, Outcome, Tap, quiesce,
};

type Log = Arc<Mutex<Vec<String>>>;

fn log() -> Log {
    Arc::default()
}

fn push(log: &Log, entry: impl Into<String>) {
    log.lock().unwrap().push(entry.into());
}

fn take(log: &Log) -> Vec<String> {
    std::mem::take(&mut log.lock().unwrap())
}

#[test]
fn wrappers_nest_by_priority_around_every_callback() {
    let hook = Filter::<String>::new("f");
    let seen = log();
    hook.tap(urn("a"), |s| s + "a");
    hook.tap(Tap::new(urn("b")).priority(0), |s| s + "b");
    for (name, priority) in [("inner", 5), ("outer", 0), ("last", 20)] {
        let seen = seen.clone();
        hook.wrap(Tap::new(urn(name)).priority(priority), move |s, next| {
            push(&seen, format!("{name}>"));
            let result = next.call(s);
            push(&seen, format!("<{name}"));
            result
        });
    }
    assert_eq!(hook.call(String::new()).unwrap(), "ba");
    assert_eq!(
        take(&seen),
        ["outer>", "inner>", "last>", "<last", "<inner", "<outer"]
    );
    // A caller handle goes through the same wrappers.
    assert_eq!(hook.caller().call(String::new()).unwrap(), "ba");
    assert_eq!(take(&seen).len(), 6);
}

#[test]
fn a_wrapper_sees_the_chain_error_and_may_turn_it_into_a_value() {
    let hook = Filter::<u32>::new("f");
    hook.tap(urn("a"), |n| n + 1);
    hook.try_tap(
        urn("b"),
        |n| if *n > 10 { Err("big".into()) } else { Ok(()) },
    );
    let seen = log();
    let s = seen.clone();
    hook.wrap(urn("w"), move |n, next| {
        let result = next.call(n);
        if let Err(err) = &result {
            push(&s, format!("{} {}", err.owner, err.fault));
        }
        result.or_else(|err| Ok(err.into_value().unwrap_or(0) * 100))
    });
    assert_eq!(hook.call(1).unwrap(), 2);
    assert_eq!(hook.call(10).unwrap(), 1100);
    assert_eq!(take(&seen), ["b failed: big"]);
}

#[test]
fn a_wrapper_may_replace_the_result_or_skip_the_chain() {
    let hook = Filter::<u32>::new("f");
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    hook.tap(urn("a"), move |n| {
        r.store(true, Ordering::SeqCst);
        n + 1
    });
    hook.wrap(urn("w"), |n, next| {
        if n == 0 {
            return Ok(42); // the callbacks never run
        }
        next.call(n).map(|n| n * 10)
    });
    assert_eq!(hook.call(0).unwrap(), 42);
    assert!(!ran.load(Ordering::SeqCst));
    assert_eq!(hook.call(1).unwrap(), 20);
    assert!(ran.load(Ordering::SeqCst));

    let bail = Bail::<u8, &str>::new("b");
    bail.try_tap(urn("a"), |_| Err("down".into()));
    bail.wrap(urn("w"), |n, next| match next.call(n) {
        Err(err) if err.owner == "a" => Ok(Some("fallback")),
        other => other,
    });
    assert_eq!(bail.call(&1).unwrap(), Some("fallback"));
}

#[test]
fn an_action_wrapper_sees_every_failure_and_interceptors_still_do() {
    let hook = Action::<u8>::new("a");
    hook.try_tap(urn("x"), |_| Err("x".into()));
    hook.tap(urn("y"), |_| panic!("y"));
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    hook.tap(urn("z"), move |_| r.store(true, Ordering::SeqCst));
    let seen = log();
    let s = seen.clone();
    hook.wrap(urn("w"), move |n, next| {
        let failures = next.call(n).err().map_or(0, |e| e.failures.len());
        push(&s, failures.to_string());
        Ok(()) // the caller hears nothing
    });
    let faults = Arc::new(Faults::default());
    hook.intercept(faults.clone());
    assert!(hook.call(&1).is_ok());
    assert!(ran.load(Ordering::SeqCst));
    assert_eq!(take(&seen), ["2"]);
    assert_eq!(take(&faults.0), ["x", "y"]);
}

#[derive(Default)]
struct Faults(Log);

impl Interceptor for Faults {
    fn on_call(&self, call: &CallInfo<'_>) {
        if let Outcome::Failed(_) = call.outcome {
            push(&self.0, call.owner.as_str());
        }
    }
    fn every_call(&self) -> bool {
        false
    }
}

#[test]
fn wrappers_are_removed_by_handle_and_by_owner() {
    let hook = Filter::<u32>::new("f");
    let (p, q) = (urn("p"), urn("q"));
    hook.tap(&q, |n| n + 1);
    let double = hook.wrap(&p, |n, next| next.call(n).map(|n| n * 2));
    hook.wrap(&p, |n, next| next.call(n).map(|n| n + 100));
    hook.wrap(&q, |n, next| next.call(n).map(|n| n * 3));
    assert_eq!(hook.len(), 4);
    // Outermost first: ((0 + 1) * 3 + 100) * 2.
    assert_eq!(hook.call(0).unwrap(), 206);
    assert!(hook.unregister(&double));
    assert!(!hook.unregister(&double));
    assert_eq!(hook.call(0).unwrap(), 103);
    assert_eq!(hook.remove_owner(&p), 1);
    assert_eq!(hook.call(0).unwrap(), 3);
    assert_eq!(hook.remove_owner(&q), 2);
    assert!(hook.is_empty());
    assert_eq!(hook.call(0).unwrap(), 0);
}

#[test]
fn a_panicking_wrapper_fails_the_call_in_its_owners_name() {
    let hook = Filter::<u32>::new("f");
    hook.tap(urn("a"), |n| n + 1);
    let wrapper = hook.wrap(urn("w"), |n, next| {
        let n = next.call(n)?;
        if n > 5 {
            panic!("too big");
        }
        Ok(n)
    });
    let faults = Arc::new(Registrations::default());
    hook.intercept(faults.clone());
    assert_eq!(hook.call(1).unwrap(), 2);
    let err = hook.call(10).unwrap_err();
    assert_eq!(err.owner, "w");
    assert!(matches!(&err.fault, Fault::Panic(m) if m == "too big"));
    assert!(err.value().is_none());
    assert_eq!(*faults.0.lock().unwrap(), [("w".to_string(), wrapper.id())]);

    let action = Action::<u8>::new("a");
    action.tap(urn("a"), |_| {});
    action.wrap(urn("w"), |_, _| panic!("boom"));
    let err = action.call(&1).unwrap_err();
    assert_eq!(err.failures.len(), 1);
    assert_eq!(err.failures[0].owner, "w");

    let bail = Bail::<u8, u8>::new("b");
    bail.wrap(urn("w"), |_, _| panic!("boom"));
    assert_eq!(bail.call(&1).unwrap_err().owner, "w");
}

#[derive(Default)]
struct Registrations(Mutex<Vec<(String, u64)>>);

impl Interceptor for Registrations {
    fn on_call(&self, call: &CallInfo<'_>) {
        if let Outcome::Failed(_) = call.outcome {
            self.0
                .lock()
                .unwrap()
                .push((call.owner.to_string(), call.registration));
        }
    }
    fn every_call(&self) -> bool {
        false
    }
}

#[test]
fn watching_interceptors_see_wrappers_too() {
    let hook = Filter::<u32>::new("f");
    hook.tap(urn("a"), |n| n + 1);
    hook.wrap(urn("w"), |n, next| next.call(n));
    let seen = Arc::new(Every::default());
    hook.intercept(seen.clone());
    assert_eq!(hook.call(1).unwrap(), 2);
    // The callback returns first; the wrapper's run includes it.
    assert_eq!(take(&seen.0), ["a", "w"]);
}

#[derive(Default)]
struct Every(Log);

impl Interceptor for Every {
    fn on_call(&self, call: &CallInfo<'_>) {
        push(&self.0, call.owner.as_str());
    }
}

#[test]
fn async_calls_of_a_wrapped_hook_refuse_before_running_anything() {
    let ran = Arc::new(AtomicBool::new(false));
    let filter = Filter::<u32>::new("f");
    let r = ran.clone();
    filter.tap(urn("a"), move |n| {
        r.store(true, Ordering::SeqCst);
        n
    });
    filter.wrap(urn("w"), |n, next| next.call(n));
    let err = futures_executor::block_on(filter.call_async(7)).unwrap_err();
    assert!(matches!(err.fault, Fault::WrapperInAsyncCall));
    assert_eq!(err.owner, "w");
    assert_eq!(err.into_value(), Some(7));

    let action = Action::<u8>::new("a");
    let r = ran.clone();
    action.tap(urn("a"), move |_| r.store(true, Ordering::SeqCst));
    action.wrap(urn("w"), |n, next| next.call(n));
    for result in [
        futures_executor::block_on(action.call_async(1)),
        futures_executor::block_on(action.call_parallel(1)),
    ] {
        let err = result.unwrap_err();
        assert!(matches!(err.failures[0].fault, Fault::WrapperInAsyncCall));
    }

    let bail = Bail::<u8, u8>::new("b");
    bail.wrap(urn("w"), |n, next| next.call(n));
    let err = futures_executor::block_on(bail.call_async(1)).unwrap_err();
    assert!(matches!(err.fault, Fault::WrapperInAsyncCall));
    assert!(!ran.load(Ordering::SeqCst));
}

#[test]
fn a_sync_call_with_an_async_callback_refuses_before_any_wrapper_runs() {
    let hook = Filter::<u32>::new("f");
    let ran = Arc::new(AtomicBool::new(false));
    let r = ran.clone();
    hook.wrap(urn("w"), move |n, next| {
        r.store(true, Ordering::SeqCst);
        next.call(n)
    });
    hook.tap_async(urn("a"), |_| Box::pin(async { Ok(()) }));
    let err = hook.call(3).unwrap_err();
    assert!(matches!(err.fault, Fault::AsyncInSyncCall));
    assert_eq!(err.into_value(), Some(3));
    assert!(!ran.load(Ordering::SeqCst));
}

#[test]
fn quiesce_waits_for_a_running_wrapper() {
    let hook = Arc::new(Filter::<u32>::new("f"));
    let owner = urn("w");
    let (entered, wait_entered) = mpsc::channel();
    let (release, wait_release) = mpsc::channel::<()>();
    let wait_release = Mutex::new(wait_release);
    hook.wrap(&owner, move |n, next| {
        entered.send(()).unwrap();
        wait_release.lock().unwrap().recv().unwrap();
        next.call(n)
    });
    let caller = {
        let hook = hook.clone();
        std::thread::spawn(move || hook.call(1).unwrap())
    };
    wait_entered.recv().unwrap();
    assert_eq!(hook.remove_owner(&owner), 1);
    let (done, wait_done) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        futures_executor::block_on(quiesce());
        done.send(()).unwrap();
    });
    assert!(
        wait_done.recv_timeout(Duration::from_millis(100)).is_err(),
        "quiesce returned while the wrapper was still running"
    );
    release.send(()).unwrap();
    wait_done.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(caller.join().unwrap(), 1);
    waiter.join().unwrap();
}
