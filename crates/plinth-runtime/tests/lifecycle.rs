//! Every state transition, published on the bus, and the API refusing the
//! illegal ones.

mod common;

use std::sync::{Arc, Mutex};

use common::{Probe, Slow, WHO, log, take};
use plinth_core::PluginUrn;
use plinth_hooks::Hook;
use plinth_runtime::PluginState::{self, *};
use plinth_runtime::{Manager, ManagerError, PLUGINS_READY, STATE_CHANGED, StateChange, allowed};

fn watch(manager: &Manager) -> Arc<Mutex<Vec<String>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let s = seen.clone();
    manager
        .bus()
        .subscribe(
            &STATE_CHANGED,
            PluginUrn::application(),
            move |c: &StateChange| {
                s.lock().unwrap().push(c.to_string());
                Ok(())
            },
        )
        .unwrap();
    seen
}

fn drain(seen: &Arc<Mutex<Vec<String>>>) -> Vec<String> {
    std::mem::take(&mut *seen.lock().unwrap())
}

#[test]
fn the_transition_table_is_the_seed_diagram_plus_three_documented_edges() {
    const ALL: [PluginState; 9] = [
        Discovered,
        Loaded,
        Validating,
        Ready,
        Initializing,
        Active,
        Destroying,
        Disabled,
        Failed,
    ];
    let expected = [
        (Discovered, Loaded),
        (Loaded, Validating),
        (Validating, Ready),
        (Validating, Failed),
        (Ready, Initializing),
        (Initializing, Active),
        (Initializing, Failed),
        (Active, Destroying),
        (Destroying, Disabled),
        (Disabled, Initializing),
        (Destroying, Failed),
        (Failed, Validating),
        (Disabled, Validating),
    ];
    for from in ALL {
        for to in ALL {
            assert_eq!(
                allowed(from, to),
                expected.contains(&(from, to)),
                "{from} -> {to}"
            );
        }
    }
}

#[tokio::test]
async fn a_clean_life_publishes_every_change_in_order() {
    let l = log();
    let mut manager = Manager::new();
    let seen = watch(&manager);
    manager.register(Probe::new("a", &l)).unwrap();
    assert_eq!(drain(&seen), ["a: discovered -> loaded"]);

    manager.initialize_all().await.unwrap();
    assert_eq!(
        drain(&seen),
        [
            "a: loaded -> validating",
            "a: validating -> ready",
            "a: ready -> initializing",
            "a: initializing -> active"
        ]
    );
    manager.disable("a").await.unwrap();
    assert_eq!(
        drain(&seen),
        ["a: active -> destroying", "a: destroying -> disabled"]
    );
    manager.enable("a").await.unwrap();
    assert_eq!(
        drain(&seen),
        ["a: disabled -> initializing", "a: initializing -> active"]
    );
    manager.shutdown().await;
    assert_eq!(
        drain(&seen),
        ["a: active -> destroying", "a: destroying -> disabled"]
    );
    assert_eq!(take(&l), ["init a", "destroy a", "init a", "destroy a"]);
}

#[tokio::test]
async fn failure_edges_are_published_with_their_reason() {
    let l = log();
    let mut manager = Manager::new();
    let seen = watch(&manager);
    manager
        .register(Probe::new("orphan", &l).dep("ghost", "*"))
        .unwrap();
    manager
        .register(Probe::new("flaky", &l).fail_times(1))
        .unwrap();
    manager
        .register(Probe::new("sticky", &l).failing_destroy())
        .unwrap();
    drain(&seen);

    manager.initialize_all().await.unwrap();
    let changes = drain(&seen);
    assert!(
        changes
            .contains(&r#"orphan: validating -> failed (missing dependency "ghost")"#.to_string())
    );
    assert!(changes.contains(
        &"flaky: initializing -> failed (initialize failed: database unreachable)".to_string()
    ));

    // Failed -> Validating: the retry.
    manager.enable("flaky").await.unwrap();
    assert_eq!(
        drain(&seen),
        [
            "flaky: failed -> validating",
            "flaky: validating -> ready",
            "flaky: ready -> initializing",
            "flaky: initializing -> active"
        ]
    );

    // Destroying -> Failed, and disable says so.
    assert!(matches!(
        manager.disable("sticky").await,
        Err(ManagerError::StoppedWithFailures { .. })
    ));
    assert_eq!(
        drain(&seen),
        [
            "sticky: active -> destroying",
            "sticky: destroying -> failed (destroy failed: could not close the socket)"
        ]
    );
    assert_eq!(manager.state("sticky"), Some(Failed));
}

#[tokio::test]
async fn illegal_transitions_cannot_be_made_through_the_api() {
    let l = log();
    let mut manager = Manager::new();
    manager.register(Probe::new("a", &l)).unwrap();
    manager
        .register(Probe::new("b", &l).dep("ghost", "*"))
        .unwrap();

    // Loaded cannot be destroyed.
    let err = manager.disable("a").await.unwrap_err();
    assert!(matches!(
        err,
        ManagerError::IllegalTransition {
            from: Loaded,
            to: Destroying,
            ..
        }
    ));

    manager.initialize_all().await.unwrap();
    // Disabling a failed plugin is a no-op: nothing of it runs.
    assert!(manager.disable("b").await.unwrap().is_empty());
    assert_eq!(manager.state("b"), Some(Failed));
    assert!(matches!(
        manager.disable("nope").await,
        Err(ManagerError::Unknown { .. })
    ));
    assert!(matches!(
        manager.enable("nope").await,
        Err(ManagerError::Unknown { .. })
    ));

    // Idempotent where the target state is already reached.
    assert!(manager.enable("a").await.unwrap().is_empty());
    manager.disable("a").await.unwrap();
    assert!(manager.disable("a").await.unwrap().is_empty());

    // Registering twice or with bad metadata is refused.
    assert!(matches!(
        manager.register(Probe::new("a", &l)),
        Err(ManagerError::Duplicate { .. })
    ));
    let bad = Probe::versioned("c", "1.x", &l);
    assert!(matches!(
        manager.register(bad),
        Err(ManagerError::Metadata(_))
    ));
    assert_eq!(manager.state("c"), None);
}

#[tokio::test]
async fn initialize_all_calls_plugins_ready_with_the_active_plugins_in_order() {
    let l = log();
    let mut manager = Manager::new();
    let ready = Arc::new(Mutex::new(Vec::new()));
    let r = ready.clone();
    manager
        .hooks()
        .hook(&PLUGINS_READY)
        .unwrap()
        .tap(PluginUrn::application(), move |p| {
            r.lock().unwrap().extend(p.plugins.clone())
        });
    manager
        .register(Probe::new("api", &l).dep("db", "1"))
        .unwrap();
    manager
        .register(Probe::new("broken", &l).fail_times(1))
        .unwrap();
    manager.register(Probe::new("db", &l)).unwrap();
    manager.initialize_all().await.unwrap();
    assert_eq!(*ready.lock().unwrap(), ["db", "api"]);
}

#[tokio::test]
async fn shutdown_destroys_in_reverse_start_order_and_removes_every_hook() {
    let l = log();
    let mut manager = Manager::new();
    manager
        .register(Probe::new("web", &l).dep("api", "*"))
        .unwrap();
    manager
        .register(Probe::new("api", &l).dep("db", "*"))
        .unwrap();
    manager.register(Probe::new("db", &l)).unwrap();
    manager.initialize_all().await.unwrap();
    assert_eq!(take(&l), ["init db", "init api", "init web"]);
    assert_eq!(common::who(&manager), ["db", "api", "web"]);

    manager.shutdown().await;
    assert_eq!(take(&l), ["destroy web", "destroy api", "destroy db"]);
    assert!(manager.hooks().hook(&WHO).unwrap().is_empty());
    assert!(manager.snapshot().plugins().is_empty());
    assert!(manager.list().iter().all(|p| p.state == Disabled));
}

#[tokio::test]
async fn sync_and_async_plugins_mix() {
    let l = log();
    let mut manager = Manager::new();
    manager.register(Slow::new("slow", &l)).unwrap();
    manager
        .register(Probe::new("fast", &l).dep("slow", "*"))
        .unwrap();
    manager.initialize_all().await.unwrap();
    assert_eq!(take(&l), ["init slow", "init fast"]);
    manager.shutdown().await;
    assert_eq!(take(&l), ["destroy fast", "destroy slow"]);
}

#[tokio::test]
async fn list_reports_versions_states_reasons_and_both_directions() {
    let l = log();
    let mut manager = Manager::new();
    manager
        .register(Probe::versioned("db", "2.3.1", &l))
        .unwrap();
    manager
        .register(Probe::new("api", &l).dep("db", "^2").optional("cache", "*"))
        .unwrap();
    manager.register(Probe::new("cache", &l)).unwrap();
    manager
        .register(Probe::new("job", &l).dep("db", "^3"))
        .unwrap();
    manager.initialize_all().await.unwrap();

    let list = manager.list();
    let db = &list[0];
    assert_eq!(
        (db.name.as_str(), db.version.to_string().as_str()),
        ("db", "2.3.1")
    );
    assert_eq!(db.dependents, ["api", "job"]);
    assert_eq!(list[2].dependents, ["api"]);
    let api = &list[1];
    assert_eq!(api.state, Active);
    let deps: Vec<_> = api
        .dependencies
        .iter()
        .map(|d| (d.name.as_str(), d.optional))
        .collect();
    assert_eq!(deps, [("db", false), ("cache", true)]);
    let job = &list[3];
    assert_eq!(job.state, Failed);
    assert_eq!(
        job.reason.as_ref().unwrap().to_string(),
        r#"dependency "db" is version 2.3.1, outside the required range "^3""#
    );
}
