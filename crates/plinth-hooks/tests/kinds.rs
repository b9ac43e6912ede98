//! The behaviour of each hook kind, sync and async.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use common::urn;
use futures_executor::block_on;
use plinth_hooks::{Action, Bail, Fault, Filter};

/// A future that is pending once before completing: a truly async step.
struct YieldOnce(bool);
impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

#[test]
fn filter_chains_outputs() {
    let hook = Filter::<Vec<&str>>::new("f");
    hook.tap(urn("a"), |mut v| {
        v.push("a");
        v
    });
    hook.tap(urn("b"), |mut v| {
        v.push("b");
        v
    });
    assert_eq!(hook.call(vec![]).unwrap(), ["a", "b"]);
}

#[test]
fn filter_error_stops_the_chain_and_names_the_owner() {
    let hook = Filter::<u32>::new("price");
    let after = Arc::new(AtomicUsize::new(0));
    hook.tap(urn("a"), |n| n + 1);
    hook.try_tap(urn("broken"), |_| Err("bad".into()));
    let a = after.clone();
    hook.tap(urn("c"), move |n| {
        a.fetch_add(1, Ordering::SeqCst);
        n
    });
    let err = hook.call(1).unwrap_err();
    assert_eq!(err.owner, "broken");
    assert_eq!(&*err.hook, "price");
    assert!(matches!(err.fault, Fault::Error(_)));
    assert_eq!(after.load(Ordering::SeqCst), 0);
}

#[test]
fn filter_async_mixes_sync_and_truly_async_callbacks_in_order() {
    let hook = Filter::<String>::new("f");
    hook.tap(urn("s1"), |s| s + "1");
    hook.tap_async(urn("a2"), |s| {
        Box::pin(async move {
            YieldOnce(false).await;
            s.push('2');
            Ok(())
        })
    });
    hook.tap(urn("s3"), |s| s + "3");
    assert_eq!(block_on(hook.call_async(String::new())).unwrap(), "123");
}

#[test]
fn sync_call_refuses_async_callbacks_before_running_anything() {
    let hook = Filter::<u32>::new("f");
    let ran = Arc::new(AtomicUsize::new(0));
    let r = ran.clone();
    hook.tap(urn("sync"), move |n| {
        r.fetch_add(1, Ordering::SeqCst);
        n
    });
    hook.tap_async(urn("async"), |_| Box::pin(async { Ok(()) }));
    let err = hook.call(1).unwrap_err();
    assert_eq!(err.owner, "async");
    assert!(matches!(err.fault, Fault::AsyncInSyncCall));
    assert_eq!(ran.load(Ordering::SeqCst), 0);
}

#[test]
fn sync_action_runs_sync_callbacks_and_reports_each_async_one() {
    let hook = Action::<u32>::new("a");
    let ran = Arc::new(AtomicUsize::new(0));
    for owner in ["s1", "s2"] {
        let r = ran.clone();
        hook.tap(urn(owner), move |_| {
            r.fetch_add(1, Ordering::SeqCst);
        });
    }
    hook.tap_async(urn("async"), |_| async { Ok(()) });
    let err = hook.call(&1).unwrap_err();
    assert_eq!(ran.load(Ordering::SeqCst), 2, "the sync callbacks all ran");
    assert_eq!(err.failures.len(), 1);
    assert_eq!(err.failures[0].owner, "async");
    assert!(matches!(err.failures[0].fault, Fault::AsyncInSyncCall));
}

#[test]
fn action_runs_every_callback_and_returns_every_failure() {
    let hook = Action::<u32>::new("a");
    let total = Arc::new(AtomicUsize::new(0));
    for (i, owner) in ["x", "y", "z"].into_iter().enumerate() {
        let t = total.clone();
        hook.try_tap(urn(owner), move |n| {
            t.fetch_add(*n as usize, Ordering::SeqCst);
            if i % 2 == 0 {
                Err(format!("{owner} failed").into())
            } else {
                Ok(())
            }
        });
    }
    hook.tap(urn("panics"), |_| panic!("kaboom"));
    let err = hook.call(&5).unwrap_err();
    assert_eq!(total.load(Ordering::SeqCst), 15);
    let owners: Vec<_> = err.failures.iter().map(|f| f.owner.to_string()).collect();
    assert_eq!(owners, ["x", "z", "panics"]);
    assert!(matches!(&err.failures[2].fault, Fault::Panic(m) if m == "kaboom"));
    assert!(err.to_string().contains("3 callback(s) failed"));
}

#[test]
fn action_series_awaits_each_callback_before_the_next() {
    let hook = Action::<()>::new("a");
    let log = Arc::new(Mutex::new(Vec::new()));
    for i in 0..3 {
        let log = log.clone();
        hook.tap_async(urn("p"), move |_| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(format!("start {i}"));
                YieldOnce(false).await;
                log.lock().unwrap().push(format!("end {i}"));
                Ok(())
            }
        });
    }
    block_on(hook.call_async(())).unwrap();
    assert_eq!(
        *log.lock().unwrap(),
        ["start 0", "end 0", "start 1", "end 1", "start 2", "end 2"]
    );
}

#[test]
fn action_parallel_interleaves_and_keeps_failures_in_registration_order() {
    let hook = Action::<()>::new("a");
    let log = Arc::new(Mutex::new(Vec::new()));
    for i in 0..3 {
        let log = log.clone();
        hook.tap_async(urn(&format!("p{i}")), move |_| {
            let log = log.clone();
            async move {
                log.lock().unwrap().push(format!("start {i}"));
                YieldOnce(false).await;
                log.lock().unwrap().push(format!("end {i}"));
                Err(format!("{i}").into())
            }
        });
    }
    let err = block_on(hook.call_parallel(())).unwrap_err();
    let log = log.lock().unwrap();
    assert_eq!(&log[..3], ["start 0", "start 1", "start 2"]);
    let owners: Vec<_> = err.failures.iter().map(|f| f.owner.to_string()).collect();
    assert_eq!(owners, ["p0", "p1", "p2"]);
}

#[test]
fn bail_stops_at_the_first_value() {
    let hook = Bail::<u32, String>::new("b");
    let calls = Arc::new(AtomicUsize::new(0));
    let c = calls.clone();
    hook.tap(urn("none"), move |_| {
        c.fetch_add(1, Ordering::SeqCst);
        None
    });
    hook.tap(urn("even"), |n| (n % 2 == 0).then(|| format!("even {n}")));
    let c = calls.clone();
    hook.tap(urn("last"), move |n| {
        c.fetch_add(1, Ordering::SeqCst);
        Some(format!("last {n}"))
    });
    assert_eq!(hook.call(&2).unwrap().as_deref(), Some("even 2"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(hook.call(&3).unwrap().as_deref(), Some("last 3"));
    assert_eq!(calls.load(Ordering::SeqCst), 3);
}

#[test]
fn bail_without_answer_is_none_and_errors_name_the_owner() {
    let hook = Bail::<u32, u32>::new("b");
    hook.tap(urn("quiet"), |_| None);
    assert_eq!(hook.call(&1).unwrap(), None);
    hook.try_tap(urn("loud"), |_| Err("no".into()));
    assert_eq!(hook.call(&1).unwrap_err().owner, "loud");
}

#[test]
fn bail_async_skips_later_callbacks() {
    let hook = Bail::<u32, u32>::new("b");
    hook.tap_async(urn("a"), |n| async move {
        YieldOnce(false).await;
        Ok(Some(*n + 1))
    });
    hook.tap(urn("never"), |_| unreachable!("the chain bailed"));
    assert_eq!(block_on(hook.call_async(1)).unwrap(), Some(2));
}

#[test]
fn a_callback_may_register_on_its_own_hook_during_dispatch() {
    let hook = Arc::new(Filter::<u32>::new("f"));
    let h = hook.clone();
    hook.tap(urn("p"), move |n| {
        if n == 0 {
            h.tap(urn("q"), |n| n + 100);
        }
        n + 1
    });
    // The new callback applies from the next call, never the current one.
    assert_eq!(hook.call(0).unwrap(), 1);
    assert_eq!(hook.call(1).unwrap(), 102);
}
