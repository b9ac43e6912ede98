//! The manager under adversarial use: dropped operations, runtimes without
//! timers, contexts kept past their activation, disable under churn,
//! failing callbacks in a loop, failing subscribers, long dependency chains.
#![allow(missing_docs)]

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use common::{Probe, WHO, who};
use futures::future::BoxFuture;
use futures::task::noop_waker;
use plinth_hooks::{Action, BoxError, Key, Topic};
use plinth_runtime::PluginState::*;
use plinth_runtime::{
    Context, ContextError, FailureReason, Manager, ManagerError, Metadata, Plugin,
};

/// Returns `Pending` once (waking itself), like any real suspension point.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// An async plugin that taps `WHO` first, then suspends `yields` times in
/// initialize and in destroy.
struct Yielding {
    meta: Metadata,
    yields: usize,
}

impl Yielding {
    fn new(name: &str, yields: usize) -> Self {
        Yielding {
            meta: Metadata::new(name, "1.0.0"),
            yields,
        }
    }
}

impl Plugin for Yielding {
    fn metadata(&self) -> Metadata {
        self.meta.clone()
    }
    fn initialize_async<'a>(&'a mut self, ctx: &'a Context) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move {
            let name = ctx.name().to_string();
            ctx.hooks().on(&WHO)?.tap(move |mut v| {
                v.push(name.clone());
                v
            });
            for _ in 0..self.yields {
                YieldOnce(false).await;
            }
            Ok(())
        })
    }
    fn destroy_async(&mut self) -> BoxFuture<'_, Result<(), BoxError>> {
        Box::pin(async move {
            for _ in 0..self.yields {
                YieldOnce(false).await;
            }
            Ok(())
        })
    }
}

/// Polls `future` at most `polls` times; `true` if it completed.
fn poll_n<F: Future>(future: F, polls: usize) -> bool {
    let mut future = std::pin::pin!(future);
    let waker = noop_waker();
    let mut cx = TaskContext::from_waker(&waker);
    for _ in 0..polls {
        if future.as_mut().poll(&mut cx).is_ready() {
            return true;
        }
    }
    false // dropped here, mid-operation
}

fn yielding_manager() -> Manager {
    let mut manager = Manager::new();
    manager.register(Yielding::new("a", 3)).unwrap();
    let mut b = Yielding::new("b", 3);
    b.meta = b.meta.with_dependency("a", "*");
    manager.register(b).unwrap();
    manager
}

/// Only active plugins' callbacks run.
fn assert_only_active_run(manager: &Manager) {
    let mut active: Vec<String> = ["a", "b"]
        .into_iter()
        .filter(|n| manager.state(n) == Some(Active))
        .map(String::from)
        .collect();
    let mut running = who(manager);
    active.sort();
    running.sort();
    assert_eq!(running, active, "{manager:?}");
}

/// After the operation settles, every next operation works.
async fn assert_next_operations_work(manager: &mut Manager) {
    manager.initialize_all().await.unwrap();
    manager.enable("b").await.unwrap();
    assert_eq!(manager.state("a"), Some(Active));
    assert_eq!(manager.state("b"), Some(Active));
    assert_eq!(who(manager), ["a", "b"]);
    assert_eq!(manager.disable("a").await.unwrap(), ["b", "a"]);
    assert!(who(manager).is_empty());
    manager.enable("b").await.unwrap();
    manager.shutdown().await;
    assert_eq!(manager.state("a"), Some(Disabled));
    assert_eq!(manager.state("b"), Some(Disabled));
    assert!(who(manager).is_empty());
}

#[test]
fn initialize_all_dropped_after_any_number_of_polls() {
    for polls in 0.. {
        let mut manager = yielding_manager();
        let completed = poll_n(manager.initialize_all(), polls);
        // Nothing of a plugin that is not active keeps running.
        assert_only_active_run(&manager);
        futures::executor::block_on(assert_next_operations_work(&mut manager));
        if completed {
            assert!(polls > 4, "the plugins really suspended");
            break;
        }
    }
}

const BOOM: Key<Action<u32>> = Key::new("boom");

/// Taps `BOOM` with a callback that always fails.
struct Faulty;

impl Plugin for Faulty {
    fn metadata(&self) -> Metadata {
        Metadata::new("a", "1.0.0")
    }
    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        ctx.hooks().on(&BOOM)?.try_tap(|_| Err("broken".into()));
        Ok(())
    }
}

#[test]
fn apply_faults_dropped_after_any_number_of_polls() {
    for polls in 0.. {
        let mut manager = Manager::new();
        manager.register(Faulty).unwrap();
        // A dependent that suspends in destroy: the cascade stops it first.
        let mut b = Yielding::new("b", 3);
        b.meta = b.meta.with_dependency("a", "*");
        manager.register(b).unwrap();
        futures::executor::block_on(manager.initialize_all()).unwrap();
        assert!(manager.hooks().hook(&BOOM).unwrap().call(&1).is_err());
        let completed = poll_n(manager.apply_faults(), polls);
        // However far it got, the next operation finishes the cascade:
        // the plugin that faulted never stays active.
        futures::executor::block_on(manager.apply_faults());
        assert_eq!(manager.state("a"), Some(Failed), "after {polls} polls");
        assert_ne!(manager.state("b"), Some(Active), "after {polls} polls");
        if completed {
            assert!(polls > 2, "the dependent really suspended");
            break;
        }
    }
}

#[test]
fn enable_and_disable_dropped_after_any_number_of_polls() {
    for polls in 0.. {
        let mut manager = yielding_manager();
        futures::executor::block_on(manager.initialize_all()).unwrap();
        let disabled = poll_n(manager.disable("a"), polls);
        assert_only_active_run(&manager);
        let enabled = poll_n(manager.enable("b"), polls);
        assert_only_active_run(&manager);
        futures::executor::block_on(assert_next_operations_work(&mut manager));
        if disabled && enabled {
            break;
        }
    }
}

#[test]
fn a_runtime_without_timers_runs_async_plugins() {
    // `enable_time` is not called: tokio's timer would panic here.
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut manager = yielding_manager();
        let report = manager.initialize_all().await.unwrap();
        assert_eq!(report.started, ["a", "b"]);
        assert_eq!(manager.disable("a").await.unwrap(), ["b", "a"]);
    });
}

/// Keeps its context after initialize, as a careless plugin might.
struct Keeper {
    kept: Arc<Mutex<Option<Context>>>,
}

impl Plugin for Keeper {
    fn metadata(&self) -> Metadata {
        Metadata::new("keeper", "1.0.0")
    }
    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        *self.kept.lock().unwrap() = Some(ctx.clone());
        Ok(())
    }
}

#[tokio::test]
async fn a_context_kept_past_its_activation_refuses_registrations() {
    let kept = Arc::new(Mutex::new(None));
    let mut manager = Manager::new();
    manager.register(Keeper { kept: kept.clone() }).unwrap();
    manager.initialize_all().await.unwrap();
    let ctx = kept.lock().unwrap().clone().unwrap();
    // Taken while active, tapped after the plugin stopped.
    let pending = ctx.hooks().on(&WHO).unwrap();
    manager.disable("keeper").await.unwrap();

    let err = ctx.hooks().on(&WHO).unwrap_err();
    assert!(matches!(err, ContextError::Retired { .. }), "{err}");
    assert!(ctx.provide(5u32).is_err());
    assert!(manager.services().get::<u32>().is_none());
    assert!(ctx.bus().subscribe(&common::PING, |_| Ok(())).is_err());
    let _dead = pending.tap(|mut v| {
        v.push("stale".into());
        v
    });
    assert!(who(&manager).is_empty(), "the stale callback never runs");

    // The next activation gets a fresh, working context.
    manager.enable("keeper").await.unwrap();
    let fresh = kept.lock().unwrap().clone().unwrap();
    fresh.provide(7u32).unwrap();
    assert_eq!(*manager.services().get::<u32>().unwrap(), 7);
}

const WORK: Key<Action<u32>> = Key::new("test:work");

/// Counts callbacks in flight; its destroy checks that none is, and every
/// callback checks that destroy has not begun.
struct Worker {
    inflight: Arc<AtomicUsize>,
    destroyed: Arc<AtomicBool>,
    violations: Arc<AtomicUsize>,
}

impl Plugin for Worker {
    fn metadata(&self) -> Metadata {
        Metadata::new("worker", "1.0.0")
    }
    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        self.destroyed.store(false, Ordering::SeqCst);
        let (inflight, destroyed, violations) = (
            self.inflight.clone(),
            self.destroyed.clone(),
            self.violations.clone(),
        );
        ctx.hooks().on(&WORK)?.tap(move |_| {
            inflight.fetch_add(1, Ordering::SeqCst);
            // Widen the window in which a disable can overlap the call.
            std::thread::sleep(Duration::from_micros(100));
            if destroyed.load(Ordering::SeqCst) {
                violations.fetch_add(1, Ordering::SeqCst);
            }
            inflight.fetch_sub(1, Ordering::SeqCst);
        });
        Ok(())
    }
    fn destroy(&mut self) -> Result<(), BoxError> {
        if self.inflight.load(Ordering::SeqCst) != 0 {
            self.violations.fetch_add(1, Ordering::SeqCst);
        }
        self.destroyed.store(true, Ordering::SeqCst);
        Ok(())
    }
}

#[test]
fn disable_is_quiescent_under_churn() {
    let violations = Arc::new(AtomicUsize::new(0));
    let mut manager = Manager::new();
    manager
        .register(Worker {
            inflight: Arc::default(),
            destroyed: Arc::default(),
            violations: violations.clone(),
        })
        .unwrap();
    futures::executor::block_on(manager.initialize_all()).unwrap();
    let hook = manager.hooks().hook(&WORK).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let started = Arc::new(AtomicUsize::new(0));
    let callers: Vec<_> = (0..2)
        .map(|_| {
            let (hook, stop, started) = (hook.clone(), stop.clone(), started.clone());
            std::thread::spawn(move || {
                started.fetch_add(1, Ordering::SeqCst);
                let mut calls = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let _ = hook.call(&1);
                    calls += 1;
                }
                calls
            })
        })
        .collect();
    while started.load(Ordering::SeqCst) < 2 {
        std::thread::yield_now();
    }
    for _ in 0..300 {
        // Let the callers get into the callback, then disable under them.
        std::thread::sleep(Duration::from_micros(150));
        futures::executor::block_on(async {
            manager.disable("worker").await.unwrap();
            manager.enable("worker").await.unwrap();
        });
    }
    stop.store(true, Ordering::Relaxed);
    let calls: u64 = callers.into_iter().map(|t| t.join().unwrap()).sum();
    assert!(calls > 0);
    assert_eq!(
        violations.load(Ordering::SeqCst),
        0,
        "a callback ran during or after destroy"
    );
}

const TICK: Key<Action<u32>> = Key::new("test:tick");

struct Broken {
    calls: Arc<AtomicUsize>,
    timeout: Option<Duration>,
    gate: Option<Arc<(Mutex<bool>, std::sync::Condvar)>>,
}

impl Plugin for Broken {
    fn metadata(&self) -> Metadata {
        let meta = Metadata::new("broken", "1.0.0");
        match self.timeout {
            Some(t) => meta.with_timeout(t),
            None => meta,
        }
    }
    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        let (calls, gate) = (self.calls.clone(), self.gate.take());
        ctx.hooks().on(&TICK)?.try_tap(move |n| {
            calls.fetch_add(1, Ordering::SeqCst);
            if let (Some(gate), 0) = (&gate, *n) {
                // Held until the test opens the gate.
                let (open, cv) = &**gate;
                let mut open = open.lock().unwrap();
                while !*open {
                    open = cv.wait(open).unwrap();
                }
            }
            Err("broken".into())
        });
        Ok(())
    }
}

#[tokio::test]
async fn a_faulted_plugin_is_not_called_again() {
    let calls = Arc::new(AtomicUsize::new(0));
    let mut manager = Manager::new();
    manager
        .register(Broken {
            calls: calls.clone(),
            timeout: None,
            gate: None,
        })
        .unwrap();
    manager.initialize_all().await.unwrap();
    let tick = manager.hooks().hook(&TICK).unwrap();
    assert!(tick.call(&1).is_err());
    // No manager operation in between: the fault took effect at once.
    for _ in 0..10_000 {
        tick.call(&1).unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(manager.apply_faults().await, ["broken"]);
    assert_eq!(manager.state("broken"), Some(Failed));
}

#[test]
fn a_fault_from_a_past_activation_does_not_fail_the_fresh_one() {
    let gate = Arc::new((Mutex::new(false), std::sync::Condvar::new()));
    let calls = Arc::new(AtomicUsize::new(0));
    let mut manager = Manager::new();
    manager
        .register(Broken {
            calls: calls.clone(),
            // disable waits this long for the held call, then goes on.
            timeout: Some(Duration::from_millis(50)),
            gate: Some(gate.clone()),
        })
        .unwrap();
    futures::executor::block_on(manager.initialize_all()).unwrap();
    let tick = manager.hooks().hook(&TICK).unwrap();
    let held = std::thread::spawn(move || tick.call(&0).is_err());
    // Wait until the call is inside the first activation's callback.
    while calls.load(Ordering::SeqCst) == 0 {
        std::thread::yield_now();
    }
    futures::executor::block_on(async {
        manager.disable("broken").await.unwrap();
        manager.enable("broken").await.unwrap();
    });
    // The held call of the first activation now fails.
    *gate.0.lock().unwrap() = true;
    gate.1.notify_all();
    assert!(held.join().unwrap());
    assert!(futures::executor::block_on(manager.apply_faults()).is_empty());
    assert_eq!(manager.state("broken"), Some(Active));
}

const NEWS: Topic<String> = Topic::new("test:news");
const PUBLISH: Key<Action<u32>> = Key::new("test:publish");

struct Publisher;
impl Plugin for Publisher {
    fn metadata(&self) -> Metadata {
        Metadata::new("publisher", "1.0.0")
    }
    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        let bus = ctx.bus().clone();
        ctx.hooks().on(&PUBLISH)?.try_tap(move |_| {
            bus.publish(&NEWS, &"hello".to_string())?;
            Ok(())
        });
        Ok(())
    }
}

struct Subscriber {
    panics: bool,
}
impl Plugin for Subscriber {
    fn metadata(&self) -> Metadata {
        Metadata::new(if self.panics { "panicky" } else { "lazy" }, "1.0.0")
    }
    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        if self.panics {
            ctx.bus().subscribe(&NEWS, |_| panic!("subscriber bug"))?;
        } else {
            ctx.bus()
                .subscribe_async(&NEWS, |_| async { Ok::<(), BoxError>(()) })?;
        }
        Ok(())
    }
}

#[tokio::test]
async fn subscriber_failures_never_fail_the_publisher() {
    let mut manager = Manager::new();
    manager.register(Publisher).unwrap();
    manager.register(Subscriber { panics: true }).unwrap();
    manager.register(Subscriber { panics: false }).unwrap();
    manager.initialize_all().await.unwrap();
    manager.hooks().hook(&PUBLISH).unwrap().call(&1).unwrap();
    manager.apply_faults().await;
    assert_eq!(manager.state("publisher"), Some(Active));
    assert_eq!(manager.state("panicky"), Some(Failed));
}

#[tokio::test]
async fn initialize_all_reports_what_started_and_what_failed() {
    let l = common::log();
    let mut manager = Manager::new();
    manager
        .register(Probe::new("a", &l).dep("ghost", "*"))
        .unwrap();
    manager.register(Probe::new("b", &l).dep("a", "*")).unwrap();
    manager.register(Probe::new("c", &l)).unwrap();
    let report = manager.initialize_all().await.unwrap();
    assert_eq!(report.started, ["c"]);
    let failed: Vec<&str> = report.failed.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(failed, ["a", "b"]);
    assert_eq!(
        report.failed[1].1.to_string(),
        r#"dependency "a" failed: missing dependency "ghost""#
    );
    assert!(!report.all_started());
}

#[tokio::test]
async fn a_long_chain_of_dependents_keeps_its_root_cause_once() {
    let l = common::log();
    let mut manager = Manager::new();
    manager
        .register(Probe::new("p0", &l).dep("ghost", "*"))
        .unwrap();
    const N: usize = 3_000;
    for i in 1..N {
        manager
            .register(Probe::new(&format!("p{i}"), &l).dep(&format!("p{}", i - 1), "*"))
            .unwrap();
    }
    manager.initialize_all().await.unwrap();
    let last = manager.reason(&format!("p{}", N - 1)).unwrap();
    assert_eq!(
        last.to_string(),
        format!(
            r#"dependency "p{}" failed because "p0" failed: missing dependency "ghost""#,
            N - 2
        )
    );
    assert!(matches!(
        last.root_cause(),
        FailureReason::MissingDependency { .. }
    ));
    // Every listed reason is as short: list() is linear in the plugins.
    let longest = manager
        .list()
        .iter()
        .filter_map(|p| p.reason.as_ref().map(|r| r.to_string().len()))
        .max()
        .unwrap();
    assert!(longest < 100, "{longest}");
    assert!(matches!(
        manager.disable("nope").await,
        Err(ManagerError::Unknown { .. })
    ));
}
