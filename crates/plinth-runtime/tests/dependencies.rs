//! Dependency failures: cycle, missing, version mismatch, failing and
//! panicking dependency; each fails the plugin and its dependents with the
//! root cause, and leaves the others running.

mod common;

use common::{Init, Probe, log, take};
use plinth_runtime::FailureReason;
use plinth_runtime::Manager;
use plinth_runtime::PluginState::*;

fn reason(manager: &Manager, name: &str) -> String {
    manager
        .reason(name)
        .map(ToString::to_string)
        .unwrap_or_default()
}

#[tokio::test]
async fn a_cycle_fails_its_members_with_the_full_path_and_its_dependents() {
    let l = log();
    let mut manager = Manager::new();
    manager.register(Probe::new("a", &l).dep("b", "*")).unwrap();
    manager.register(Probe::new("b", &l).dep("c", "*")).unwrap();
    manager.register(Probe::new("c", &l).dep("a", "*")).unwrap();
    manager.register(Probe::new("d", &l).dep("a", "*")).unwrap();
    manager.register(Probe::new("free", &l)).unwrap();
    manager.initialize_all().await.unwrap();

    assert_eq!(reason(&manager, "a"), "dependency cycle: a -> b -> c -> a");
    assert_eq!(reason(&manager, "b"), "dependency cycle: b -> c -> a -> b");
    assert_eq!(reason(&manager, "c"), "dependency cycle: c -> a -> b -> c");
    assert_eq!(
        reason(&manager, "d"),
        r#"dependency "a" failed: dependency cycle: a -> b -> c -> a"#
    );
    assert_eq!(manager.state("free"), Some(Active));
    assert_eq!(take(&l), ["init free"]);
}

#[tokio::test]
async fn a_missing_dependency_fails_the_chain_naming_the_root_cause() {
    let l = log();
    let mut manager = Manager::new();
    manager
        .register(Probe::new("api", &l).dep("db", "*"))
        .unwrap();
    manager
        .register(Probe::new("db", &l).dep("pg", "^14"))
        .unwrap();
    manager
        .register(Probe::new("web", &l).dep("api", "*"))
        .unwrap();
    manager.initialize_all().await.unwrap();

    assert_eq!(reason(&manager, "db"), r#"missing dependency "pg""#);
    assert_eq!(
        reason(&manager, "api"),
        r#"dependency "db" failed: missing dependency "pg""#
    );
    assert_eq!(
        reason(&manager, "web"),
        // Only the root cause is kept, with the plugin it started at.
        r#"dependency "api" failed because "db" failed: missing dependency "pg""#
    );
    let root = manager.reason("web").unwrap().root_cause();
    assert_eq!(
        root,
        &FailureReason::MissingDependency {
            dependency: "pg".into()
        }
    );
    assert!(take(&l).is_empty(), "no initialize ran");
}

#[tokio::test]
async fn a_version_outside_the_range_fails_the_chain() {
    let l = log();
    let mut manager = Manager::new();
    manager
        .register(Probe::versioned("pg", "13.2.0", &l))
        .unwrap();
    manager
        .register(Probe::new("db", &l).dep("pg", ">=14, <16"))
        .unwrap();
    manager
        .register(Probe::new("api", &l).dep("db", "1"))
        .unwrap();
    manager.initialize_all().await.unwrap();

    assert_eq!(manager.state("pg"), Some(Active));
    assert_eq!(
        reason(&manager, "db"),
        r#"dependency "pg" is version 13.2.0, outside the required range ">=14, <16""#
    );
    assert!(
        reason(&manager, "api")
            .starts_with(r#"dependency "db" failed: dependency "pg" is version 13.2.0"#)
    );
}

#[tokio::test]
async fn a_failing_initialize_keeps_its_dependents_from_starting() {
    let l = log();
    let mut manager = Manager::new();
    manager
        .register(Probe::new("db", &l).fail_times(1))
        .unwrap();
    manager
        .register(Probe::new("api", &l).dep("db", "*"))
        .unwrap();
    manager.register(Probe::new("other", &l)).unwrap();
    manager.initialize_all().await.unwrap();

    assert_eq!(
        reason(&manager, "db"),
        "initialize failed: database unreachable"
    );
    assert_eq!(
        reason(&manager, "api"),
        r#"dependency "db" failed: initialize failed: database unreachable"#
    );
    assert_eq!(take(&l), ["init other"]);
    // The failed start left no registration behind.
    assert_eq!(common::who(&manager), ["other"]);
}

#[tokio::test]
async fn a_panicking_initialize_is_contained() {
    let l = log();
    let mut manager = Manager::new();
    manager
        .register(Probe::new("db", &l).init(Init::Panic))
        .unwrap();
    manager
        .register(Probe::new("api", &l).dep("db", "*"))
        .unwrap();
    manager.register(Probe::new("other", &l)).unwrap();
    manager.initialize_all().await.unwrap();

    assert_eq!(
        reason(&manager, "db"),
        "initialize panicked: initialize exploded"
    );
    assert_eq!(
        reason(&manager, "api"),
        r#"dependency "db" failed: initialize panicked: initialize exploded"#
    );
    assert_eq!(manager.state("other"), Some(Active));
}

#[tokio::test]
async fn optional_dependencies_order_the_start_but_never_fail_it() {
    let l = log();
    let mut manager = Manager::new();
    manager
        .register(
            Probe::new("app", &l)
                .optional("cache", "*")
                .optional("ghost", "*"),
        )
        .unwrap();
    manager.register(Probe::new("cache", &l)).unwrap();
    manager
        .register(Probe::new("metrics", &l).fail_times(1))
        .unwrap();
    manager
        .register(Probe::new("web", &l).optional("metrics", "*"))
        .unwrap();
    manager
        .register(Probe::versioned("old", "0.1.0", &l))
        .unwrap();
    manager
        .register(Probe::new("new", &l).optional("old", "^1"))
        .unwrap();
    manager.initialize_all().await.unwrap();

    assert_eq!(manager.start_order()[..2], ["cache", "app"]);
    for name in ["app", "web", "new"] {
        assert_eq!(manager.state(name), Some(Active), "{name}");
    }
    assert_eq!(manager.state("metrics"), Some(Failed));
}

#[tokio::test]
async fn the_start_order_is_deterministic() {
    let l = log();
    let mut manager = Manager::new();
    for (name, dep) in [("e", "b"), ("d", ""), ("c", "a"), ("b", ""), ("a", "d")] {
        let probe = Probe::new(name, &l);
        let probe = if dep.is_empty() {
            probe
        } else {
            probe.dep(dep, "*")
        };
        manager.register(probe).unwrap();
    }
    assert_eq!(manager.start_order(), ["d", "b", "e", "a", "c"]);
    manager.initialize_all().await.unwrap();
    assert_eq!(take(&l), ["init d", "init b", "init e", "init a", "init c"]);
}
