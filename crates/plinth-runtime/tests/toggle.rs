//! enable / disable cascades, registrations removed, retries after a fix.

mod common;

use common::{PING, Probe, entries, log, take, who};
use plinth_runtime::PluginState::*;
use plinth_runtime::{Context, Manager, ManagerError, Metadata, Plugin};

async fn chain(l: &common::Log) -> Manager {
    let mut manager = Manager::new();
    manager.register(Probe::new("db", l)).unwrap();
    manager
        .register(Probe::new("api", l).dep("db", "*"))
        .unwrap();
    manager
        .register(Probe::new("web", l).dep("api", "*"))
        .unwrap();
    manager
        .register(Probe::new("admin", l).dep("db", "*"))
        .unwrap();
    manager
        .register(Probe::new("stats", l).optional("db", "*"))
        .unwrap();
    manager.register(Probe::new("free", l)).unwrap();
    manager.initialize_all().await.unwrap();
    take(l);
    manager
}

#[tokio::test]
async fn disable_stops_active_dependents_first_in_reverse_order_and_removes_their_hooks() {
    let l = log();
    let mut manager = chain(&l).await;
    let stopped = manager.disable("db").await.unwrap();
    assert_eq!(stopped, ["admin", "web", "api", "db"]);
    assert_eq!(
        take(&l),
        ["destroy admin", "destroy web", "destroy api", "destroy db"]
    );
    for name in ["db", "api", "web", "admin"] {
        assert_eq!(manager.state(name), Some(Disabled));
    }
    // Optional dependents keep running.
    assert_eq!(manager.state("stats"), Some(Active));
    assert_eq!(who(&manager), ["stats", "free"]);
    manager.bus().publish(&PING, &()).unwrap();
    assert_eq!(take(&l), ["ping stats", "ping free"]);
}

#[tokio::test]
async fn enable_starts_dependencies_first() {
    let l = log();
    let mut manager = chain(&l).await;
    manager.disable("db").await.unwrap();
    take(&l);
    assert_eq!(manager.enable("web").await.unwrap(), ["db", "api", "web"]);
    assert_eq!(take(&l), ["init db", "init api", "init web"]);
    // admin was not asked for.
    assert_eq!(manager.state("admin"), Some(Disabled));
    let mut live = who(&manager);
    live.sort();
    assert_eq!(live, ["api", "db", "free", "stats", "web"]);
}

#[tokio::test]
async fn a_failing_destroy_still_removes_registrations() {
    let l = log();
    let mut manager = Manager::new();
    manager
        .register(Probe::new("sticky", &l).failing_destroy())
        .unwrap();
    manager
        .register(Probe::new("user", &l).dep("sticky", "*"))
        .unwrap();
    manager.initialize_all().await.unwrap();
    // disable reports the failed destroy.
    assert!(manager.disable("sticky").await.is_err());
    assert_eq!(manager.state("user"), Some(Disabled));
    assert_eq!(manager.state("sticky"), Some(Failed));
    assert_eq!(
        manager.reason("sticky").unwrap().to_string(),
        "destroy failed: could not close the socket"
    );
    assert!(who(&manager).is_empty());
    manager.bus().publish(&PING, &()).unwrap();
    assert!(!entries(&l).iter().any(|e| e.starts_with("ping")));
    // And it can be retried.
    assert_eq!(manager.enable("user").await.unwrap(), ["sticky", "user"]);
}

#[tokio::test]
async fn a_failed_plugin_starts_again_once_the_cause_is_fixed() {
    let l = log();
    let mut manager = Manager::new();
    manager
        .register(Probe::new("flaky", &l).fail_times(2))
        .unwrap();
    manager
        .register(Probe::new("api", &l).dep("flaky", "*"))
        .unwrap();
    manager.initialize_all().await.unwrap();
    assert_eq!(manager.state("api"), Some(Failed));

    let err = manager.enable("api").await.unwrap_err();
    assert!(matches!(err, ManagerError::NotStarted { .. }));
    assert_eq!(
        err.to_string(),
        r#"plugin "api" could not start: dependency "flaky" failed: initialize failed: database unreachable"#
    );
    assert_eq!(manager.enable("api").await.unwrap(), ["flaky", "api"]);
    assert_eq!(manager.state("api"), Some(Active));
    assert_eq!(manager.reason("api"), None);
}

#[tokio::test]
async fn a_missing_dependency_registered_later_fixes_the_plugin() {
    let l = log();
    let mut manager = Manager::new();
    manager
        .register(Probe::new("api", &l).dep("db", "^2"))
        .unwrap();
    manager.initialize_all().await.unwrap();
    assert_eq!(manager.state("api"), Some(Failed));
    manager
        .register(Probe::versioned("db", "2.0.1", &l))
        .unwrap();
    assert_eq!(manager.enable("api").await.unwrap(), ["db", "api"]);
}

#[tokio::test]
async fn a_disabled_plugin_whose_dependency_cannot_start_stays_disabled() {
    let l = log();
    let mut manager = Manager::new();
    manager
        .register(Probe::new("db", &l).failing_destroy())
        .unwrap();
    manager
        .register(Probe::new("api", &l).dep("db", "*"))
        .unwrap();
    manager.initialize_all().await.unwrap();
    assert!(manager.disable("db").await.is_err()); // db: Failed (destroy), api: Disabled
    // db starts again fine (its destroy was the problem), so api follows.
    assert_eq!(manager.enable("api").await.unwrap(), ["db", "api"]);

    let schema = serde_json::json!({ "required": ["url"] });
    let mut manager =
        Manager::new().with_config(serde_json::json!({ "plugins": { "db": { "url": "pg://" } } }));
    manager
        .register(Probe::new("db", &l).schema(schema))
        .unwrap();
    manager
        .register(Probe::new("api", &l).dep("db", "*"))
        .unwrap();
    manager.initialize_all().await.unwrap();
    manager.disable("db").await.unwrap();
    // Break db's next start through its configuration.
    manager.set_config(serde_json::json!({ "plugins": {} }));
    let err = manager.enable("api").await.unwrap_err();
    let ManagerError::NotStarted { reason, .. } = &err else {
        panic!("expected NotStarted, got {err}")
    };
    assert!(
        reason
            .to_string()
            .starts_with(r#"dependency "db" failed: plugin "db": invalid configuration"#)
    );
    assert_eq!(manager.state("db"), Some(Failed));
    assert_eq!(manager.state("api"), Some(Disabled));
}

struct Provider;
impl Plugin for Provider {
    fn metadata(&self) -> Metadata {
        Metadata::new("provider", "1.0.0")
    }
    fn initialize(&mut self, ctx: &Context) -> Result<(), plinth_hooks::BoxError> {
        ctx.provide(String::from("a service"))?;
        Ok(())
    }
}

#[tokio::test]
async fn services_provided_by_a_plugin_are_withdrawn_when_it_stops() {
    let mut manager = Manager::new();
    manager.services().insert(7u32);
    manager.register(Provider).unwrap();
    manager.initialize_all().await.unwrap();
    assert_eq!(
        manager.services().get::<String>().unwrap().as_str(),
        "a service"
    );
    manager.disable("provider").await.unwrap();
    assert!(manager.services().get::<String>().is_none());
    assert_eq!(*manager.services().get::<u32>().unwrap(), 7);
}

/// Three levels: the plugin asked for fails for the root cause, not for
/// its direct dependency being left disabled.
#[tokio::test]
async fn enable_names_the_root_cause_two_levels_down() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let l = log();
    let fails = Arc::new(AtomicUsize::new(0));
    let mut manager = Manager::new();
    manager
        .register(Probe::new("db", &l).init(common::Init::FailTimes(fails.clone())))
        .unwrap();
    manager
        .register(Probe::new("api", &l).dep("db", "*"))
        .unwrap();
    manager
        .register(Probe::new("web", &l).dep("api", "*"))
        .unwrap();
    manager.initialize_all().await.unwrap();
    manager.disable("db").await.unwrap();
    fails.store(1, Ordering::SeqCst);
    let Err(ManagerError::NotStarted { plugin, reason }) = manager.enable("web").await else {
        panic!("web must not start");
    };
    assert_eq!(plugin, "web");
    let text = reason.to_string();
    assert!(text.contains("database unreachable"), "{text}");
    assert!(
        text.contains("\"api\"") && text.contains("\"db\""),
        "{text}"
    );
    assert_eq!(manager.state("db"), Some(Failed));
}

/// A plugin never started whose dependency fails in the same `enable`
/// ends failed, with its reason, as `start` records it.
#[tokio::test]
async fn enable_of_a_new_plugin_whose_dependency_fails_records_its_failure() {
    let l = log();
    let mut manager = Manager::new();
    manager
        .register(Probe::new("db", &l).fail_times(1))
        .unwrap();
    manager
        .register(Probe::new("api", &l).dep("db", "*"))
        .unwrap();
    let Err(ManagerError::NotStarted { reason, .. }) = manager.enable("api").await else {
        panic!("api must not start");
    };
    assert!(
        reason.to_string().contains("database unreachable"),
        "{reason}"
    );
    assert_eq!(manager.state("db"), Some(Failed));
    assert_eq!(manager.state("api"), Some(Failed));
    let recorded = manager.reason("api").unwrap().to_string();
    assert!(recorded.contains("\"db\""), "{recorded}");
}
