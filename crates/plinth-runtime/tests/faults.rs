//! Faults in hooks, bus subscribers, and async initialize/destroy
//! (timeouts under tokio's paused clock): the plugin fails with the reason,
//! its dependents follow, the host keeps running.

mod common;

use std::time::Duration;

use common::{PING, Probe, Slow, WHO, log, take};
use plinth_hooks::{Action, Hook, Key};
use plinth_runtime::PluginState::*;
use plinth_runtime::{Context, Manager, Metadata, Plugin};

const TICK: Key<Action<u32>> = Key::new("tick");

struct Fragile {
    panic: bool,
    on_bus: bool,
}

impl Plugin for Fragile {
    fn metadata(&self) -> Metadata {
        Metadata::new("fragile", "1.0.0")
    }
    fn initialize(&mut self, ctx: &Context) -> Result<(), plinth_hooks::BoxError> {
        let panic = self.panic;
        if self.on_bus {
            ctx.bus().subscribe(&PING, |_| Err("mailbox full".into()))?;
        } else {
            ctx.hooks().on(&TICK)?.try_tap(move |n| {
                if *n > 1 && panic {
                    panic!("tick overflow");
                }
                if *n > 1 {
                    return Err("tick rejected".into());
                }
                Ok(())
            });
        }
        Ok(())
    }
}

async fn setup(fragile: Fragile) -> (Manager, common::Log) {
    let l = log();
    let mut manager = Manager::new();
    manager.register(fragile).unwrap();
    manager
        .register(Probe::new("user", &l).dep("fragile", "*"))
        .unwrap();
    manager
        .register(Probe::new("user2", &l).dep("user", "*"))
        .unwrap();
    manager.register(Probe::new("bystander", &l)).unwrap();
    manager.initialize_all().await.unwrap();
    take(&l);
    (manager, l)
}

#[tokio::test]
async fn a_failing_hook_fails_its_plugin_and_dependents_at_the_next_operation() {
    let (mut manager, l) = setup(Fragile {
        panic: false,
        on_bus: false,
    })
    .await;
    let tick = manager.hooks().hook(&TICK).unwrap();
    tick.call(&1).unwrap();
    assert!(tick.call(&2).is_err()); // the caller sees the error; nothing else breaks

    // Any operation applies queued faults first.
    manager.disable("bystander").await.unwrap();
    assert_eq!(manager.state("fragile"), Some(Failed));
    assert_eq!(
        manager.reason("fragile").unwrap().to_string(),
        r#"callback on hook "tick" failed: tick rejected"#
    );
    assert_eq!(
        manager.reason("user2").unwrap().to_string(),
        r#"dependency "user" failed because "fragile" failed: callback on hook "tick" failed: tick rejected"#
    );
    assert_eq!(
        take(&l),
        ["destroy user2", "destroy user", "destroy bystander"]
    );
    assert!(tick.is_empty());
    assert!(manager.hooks().hook(&WHO).unwrap().is_empty());
}

#[tokio::test]
async fn a_panicking_hook_is_applied_by_apply_faults() {
    let (mut manager, _l) = setup(Fragile {
        panic: true,
        on_bus: false,
    })
    .await;
    let tick = manager.hooks().hook(&TICK).unwrap();
    let err = tick.call(&5).unwrap_err();
    assert_eq!(err.failures[0].owner, "fragile");
    assert_eq!(manager.apply_faults().await, ["user2", "user", "fragile"]);
    assert_eq!(
        manager.reason("fragile").unwrap().to_string(),
        r#"callback on hook "tick" panicked: tick overflow"#
    );
    assert_eq!(manager.state("bystander"), Some(Active));
    assert_eq!(manager.snapshot().plugins().len(), 1);
    // Applying again finds nothing.
    assert!(manager.apply_faults().await.is_empty());
}

#[tokio::test]
async fn a_failing_bus_subscriber_fails_its_plugin_and_the_others_get_the_message() {
    let (mut manager, l) = setup(Fragile {
        panic: false,
        on_bus: true,
    })
    .await;
    assert!(manager.bus().publish(&PING, &()).is_err());
    assert_eq!(take(&l), ["ping user", "ping user2", "ping bystander"]);
    manager.apply_faults().await;
    assert_eq!(
        manager.reason("fragile").unwrap().to_string(),
        r#"callback on hook "test:ping" failed: mailbox full"#
    );
    // Fixed (it fails only on the bus, which is re-subscribed): retry works.
    assert_eq!(
        manager.enable("user2").await.unwrap(),
        ["fragile", "user", "user2"]
    );
}

#[tokio::test]
async fn faults_of_the_application_are_ignored() {
    let (mut manager, _l) = setup(Fragile {
        panic: false,
        on_bus: false,
    })
    .await;
    let app = plinth_core::PluginUrn::application();
    let tick = manager.hooks().hook(&TICK).unwrap();
    tick.try_tap(&app, |_| Err("app bug".into()));
    tick.tap(&app, |_| panic!("app panic"));
    manager
        .bus()
        .subscribe(&PING, &app, |_| Err("app mailbox full".into()))
        .unwrap();
    let err = tick.call(&1).unwrap_err();
    assert_eq!(err.failures.len(), 2);
    assert!(err.failures.iter().all(|f| f.owner.is_application()));
    assert!(manager.bus().publish(&PING, &()).is_err());
    // Nothing is queued, no plugin is failed, nothing is removed.
    assert!(manager.apply_faults().await.is_empty());
    for plugin in ["fragile", "user", "user2", "bystander"] {
        assert_eq!(manager.state(plugin), Some(Active), "{plugin}");
    }
    assert_eq!(tick.len(), 3);
}

// Timeouts run on a runtime-agnostic timer (real time, not tokio's paused
// clock), so these tests use short real timeouts.
#[tokio::test]
async fn a_slow_async_initialize_times_out() {
    let l = log();
    let mut manager = Manager::new().with_timeout(Duration::from_millis(100));
    let mut slow = Slow::new("slow", &l);
    slow.init_delay = Duration::from_secs(60);
    manager.register(slow).unwrap();
    manager
        .register(Probe::new("user", &l).dep("slow", "*"))
        .unwrap();
    manager.initialize_all().await.unwrap();
    assert_eq!(
        manager.reason("slow").unwrap().to_string(),
        "initialize timed out after 100ms"
    );
    assert_eq!(manager.state("user"), Some(Failed));
    // Registrations made before the timeout are gone.
    assert!(manager.hooks().hook(&WHO).unwrap().is_empty());
}

#[tokio::test]
async fn the_per_plugin_timeout_overrides_the_default() {
    let l = log();
    let mut manager = Manager::new().with_timeout(Duration::from_millis(20));
    let mut slow = Slow::new("slow", &l);
    slow.init_delay = Duration::from_millis(200);
    slow.meta = slow.meta.with_timeout(Duration::from_secs(30));
    manager.register(slow).unwrap();
    manager.initialize_all().await.unwrap();
    assert_eq!(manager.state("slow"), Some(Active));
}

#[tokio::test]
async fn a_slow_async_destroy_times_out_and_still_loses_its_hooks() {
    let l = log();
    let mut manager = Manager::new().with_timeout(Duration::from_millis(200));
    let mut slow = Slow::new("slow", &l);
    slow.destroy_delay = Duration::from_secs(1);
    manager.register(slow).unwrap();
    manager.initialize_all().await.unwrap();
    assert!(manager.disable("slow").await.is_err());
    assert_eq!(
        manager.reason("slow").unwrap().to_string(),
        "destroy timed out after 200ms"
    );
    assert!(manager.hooks().hook(&WHO).unwrap().is_empty());
}

#[tokio::test]
async fn a_panicking_async_initialize_is_contained() {
    let l = log();
    let mut manager = Manager::new();
    let mut slow = Slow::new("slow", &l);
    slow.panic_init = true;
    manager.register(slow).unwrap();
    manager.register(Probe::new("other", &l)).unwrap();
    manager.initialize_all().await.unwrap();
    assert_eq!(
        manager.reason("slow").unwrap().to_string(),
        "initialize panicked: async initialize exploded"
    );
    assert_eq!(manager.state("other"), Some(Active));
}

/// An async plugin whose initialize never completes.
struct Never;

impl plinth_runtime::Plugin for Never {
    fn metadata(&self) -> Metadata {
        Metadata::new("never", "1.0.0").with_timeout(Duration::from_millis(20))
    }
    fn initialize_async<'a>(
        &'a mut self,
        _ctx: &'a plinth_runtime::Context,
    ) -> futures::future::BoxFuture<'a, Result<(), plinth_hooks::BoxError>> {
        Box::pin(futures::future::pending())
    }
    fn destroy_async(
        &mut self,
    ) -> futures::future::BoxFuture<'_, Result<(), plinth_hooks::BoxError>> {
        Box::pin(async { Ok(()) })
    }
}

#[test]
fn timeouts_work_without_a_tokio_runtime() {
    // `block_on` is not tokio: the timeout must neither panic nor hang.
    let mut manager = Manager::new();
    manager.register(Never).unwrap();
    futures::executor::block_on(manager.initialize_all()).unwrap();
    assert_eq!(manager.state("never"), Some(Failed));
    assert_eq!(
        manager.reason("never").unwrap().to_string(),
        "initialize timed out after 20ms"
    );
}
