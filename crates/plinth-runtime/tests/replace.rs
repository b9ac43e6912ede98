//! Replacing a registered plugin by a new version of it: what runs stops
//! and starts again around the swap, the new version's metadata is
//! validated, and a failed replacement loses nothing.

mod common;

use common::{Init, Probe, log, take, who};
use plinth_runtime::PluginState::{Active, Disabled, Failed};
use plinth_runtime::{FailureReason, Manager, ManagerError};

/// `db` with `api` and `web` on it, all started; `cache` stands apart.
async fn running(l: &common::Log) -> Manager {
    let mut manager = Manager::new();
    manager.register(Probe::new("db", l)).unwrap();
    manager
        .register(Probe::new("api", l).dep("db", "^1"))
        .unwrap();
    manager
        .register(Probe::new("web", l).dep("api", "^1"))
        .unwrap();
    manager.register(Probe::new("cache", l)).unwrap();
    manager.initialize_all().await.unwrap();
    take(l);
    manager
}

#[tokio::test]
async fn the_new_version_takes_the_place_of_the_old_and_what_ran_starts_again() {
    let l = log();
    let mut manager = running(&l).await;
    let report = manager
        .replace(Probe::versioned("db", "1.4.0", &l))
        .await
        .unwrap();
    assert_eq!(report.started, ["db", "api", "web"]);
    assert!(report.failed.is_empty());
    // Dependents stop first, the old version is destroyed before the new
    // one initializes; the plugin standing apart is untouched.
    assert_eq!(
        take(&l),
        [
            "destroy web",
            "destroy api",
            "destroy db",
            "init db",
            "init api",
            "init web"
        ]
    );
    assert_eq!(
        manager.metadata("db").unwrap().version().to_string(),
        "1.4.0"
    );
    for name in ["db", "api", "web", "cache"] {
        assert_eq!(manager.state(name), Some(Active), "{name}");
    }
    // One set of hooks each: the old version's are gone.
    let mut live = who(&manager);
    live.sort();
    assert_eq!(live, ["api", "cache", "db", "web"]);
}

#[tokio::test]
async fn a_new_version_its_dependents_do_not_accept_fails_them_with_the_reason() {
    let l = log();
    let mut manager = running(&l).await;
    let report = manager
        .replace(Probe::versioned("db", "2.0.0", &l))
        .await
        .unwrap();
    assert_eq!(report.started, ["db"]);
    let failed: Vec<&str> = report.failed.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(failed, ["api", "web"]);
    assert_eq!(manager.state("db"), Some(Active));
    assert_eq!(manager.state("api"), Some(Failed));
    let reason = manager.reason("api").unwrap().to_string();
    assert!(
        reason.contains("db") && reason.contains("2.0.0"),
        "{reason}"
    );
    // `web` could not start without `api`: it stays disabled, and says why
    // when enabled.
    assert_eq!(manager.state("web"), Some(Disabled));
    let err = manager.enable("web").await.unwrap_err().to_string();
    assert!(err.contains("api"), "{err}");
}

#[tokio::test]
async fn a_disabled_plugin_is_replaced_and_stays_disabled() {
    let l = log();
    let mut manager = running(&l).await;
    manager.disable("cache").await.unwrap();
    take(&l);
    let report = manager
        .replace(Probe::versioned("cache", "1.1.0", &l))
        .await
        .unwrap();
    assert_eq!(report, plinth_runtime::StartReport::default());
    assert!(take(&l).is_empty());
    assert_eq!(manager.state("cache"), Some(Disabled));
    assert_eq!(manager.enable("cache").await.unwrap(), ["cache"]);
    assert_eq!(
        manager.metadata("cache").unwrap().version().to_string(),
        "1.1.0"
    );
}

#[tokio::test]
async fn a_failed_plugin_is_replaced_and_started_again() {
    let l = log();
    let mut manager = Manager::new();
    manager
        .register(Probe::new("cache", &l).init(Init::Panic))
        .unwrap();
    manager.initialize_all().await.unwrap();
    assert_eq!(manager.state("cache"), Some(Failed));
    let report = manager
        .replace(Probe::versioned("cache", "1.0.1", &l))
        .await
        .unwrap();
    assert_eq!(report.started, ["cache"]);
    assert_eq!(manager.state("cache"), Some(Active));
}

#[tokio::test]
async fn a_new_version_that_fails_to_start_is_failed_with_its_reason() {
    let l = log();
    let mut manager = running(&l).await;
    let report = manager
        .replace(Probe::versioned("db", "1.5.0", &l).fail_times(1))
        .await
        .unwrap();
    assert!(report.started.is_empty());
    let (plugin, reason) = &report.failed[0];
    assert_eq!(plugin, "db");
    assert!(matches!(reason, FailureReason::Initialize(_)), "{reason}");
    assert_eq!(report.failed.len(), 3);
    assert_eq!(manager.state("db"), Some(Failed));
    // Its dependents could not start without it; enabling them retries it.
    assert_ne!(manager.state("api"), Some(Active));
    assert_eq!(manager.enable("web").await.unwrap(), ["db", "api", "web"]);
}

#[tokio::test]
async fn a_failed_registration_leaves_the_old_plugin_running() {
    let l = log();
    let mut manager = running(&l).await;
    let err = manager
        .replace_with("db", |_| {
            Err(ManagerError::Unknown {
                plugin: "no such module".into(),
            })
        })
        .await
        .unwrap_err();
    assert!(matches!(err, ManagerError::Unknown { .. }), "{err}");
    for name in ["db", "api", "web"] {
        assert_eq!(manager.state(name), Some(Active), "{name}");
    }
    assert_eq!(
        manager.metadata("db").unwrap().version().to_string(),
        "1.0.0"
    );
    // A registration of another name is no replacement: the old plugin
    // stays, and the other is registered as any new plugin.
    let err = manager
        .replace_with("db", |m| m.register(Probe::new("queue", &l)))
        .await
        .unwrap_err();
    assert!(matches!(err, ManagerError::NotReplaced { .. }), "{err}");
    assert_eq!(manager.state("db"), Some(Active));
    assert_eq!(manager.list().len(), 5);
    // And the plugin to replace must exist.
    let err = manager.replace(Probe::new("nobody", &l)).await.unwrap_err();
    assert!(matches!(err, ManagerError::Unknown { .. }), "{err}");
}

#[tokio::test]
async fn a_new_dependency_of_the_new_version_is_started_with_it() {
    let l = log();
    let mut manager = running(&l).await;
    manager.disable("cache").await.unwrap();
    take(&l);
    let report = manager
        .replace(
            Probe::versioned("api", "1.1.0", &l)
                .dep("db", "^1")
                .dep("cache", "^1"),
        )
        .await
        .unwrap();
    assert_eq!(report.started, ["cache", "api", "web"]);
    assert_eq!(manager.state("cache"), Some(Active));
    assert!(take(&l).contains(&"init cache".to_owned()));
}

#[tokio::test]
async fn a_plugin_failed_for_the_old_version_is_started_again_with_the_new() {
    let l = log();
    let mut manager = Manager::new();
    manager.register(Probe::new("db", &l)).unwrap();
    manager
        .register(Probe::new("api", &l).dep("db", "^2"))
        .unwrap();
    manager.initialize_all().await.unwrap();
    assert_eq!(manager.state("api"), Some(Failed));
    let report = manager
        .replace(Probe::versioned("db", "2.0.0", &l))
        .await
        .unwrap();
    assert_eq!(report.started, ["db", "api"]);
    assert_eq!(manager.state("api"), Some(Active));
}

#[tokio::test]
async fn a_panic_in_the_registration_leaves_no_replacement_pending() {
    let l = log();
    let mut manager = running(&l).await;
    let panicked = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
        manager.replace_with("cache", |_| panic!("registrar bug")),
    ))
    .await;
    assert!(panicked.is_err());
    // Stopped, not swapped; a later registration of the name is a
    // duplicate, as ever.
    assert_eq!(manager.state("cache"), Some(Disabled));
    assert!(matches!(
        manager.register(Probe::new("cache", &l)),
        Err(ManagerError::Duplicate { .. })
    ));
    assert_eq!(manager.enable("cache").await.unwrap(), ["cache"]);
}

#[tokio::test]
async fn only_the_first_registration_of_the_name_takes_the_slot() {
    let l = log();
    let mut manager = running(&l).await;
    let err = manager
        .replace_with("cache", |m| {
            m.register(Probe::versioned("cache", "1.1.0", &l))?;
            m.register(Probe::versioned("cache", "1.2.0", &l))
        })
        .await
        .unwrap_err();
    assert!(matches!(err, ManagerError::Duplicate { .. }), "{err}");
    // The first is in place, and runs.
    assert_eq!(
        manager.metadata("cache").unwrap().version().to_string(),
        "1.1.0"
    );
    assert_eq!(manager.state("cache"), Some(Active));
}
