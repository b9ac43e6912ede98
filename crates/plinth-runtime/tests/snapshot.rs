//! Host snapshots of the active plugins: contents, immutability, and
//! readers on another thread during enable/disable churn.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{Probe, log};
use plinth_core::{DynamicEntities, Entities};
use plinth_runtime::PluginState::*;
use plinth_runtime::{FailureReason, Manager};
use serde_json::json;

#[tokio::test]
async fn the_snapshot_holds_the_active_plugins_entities_in_start_order() {
    let l = log();
    let mut themes = DynamicEntities::new();
    themes.insert("assets", Entities::from([("logo", json!("dark.svg"))]));
    let mut manager = Manager::new();
    manager
        .register(Probe::new("api", &l).dep("db", "*"))
        .unwrap();
    manager.register(Probe::new("db", &l)).unwrap();
    manager
        .register(Probe::new("theme", &l).entities(themes))
        .unwrap();
    manager.initialize_all().await.unwrap();

    let host = manager.snapshot();
    let urns: Vec<&str> = host.plugins().urns().iter().map(|u| u.as_str()).collect();
    assert_eq!(urns, ["db", "api", "theme"]);
    let members = host.entities().get("members").unwrap();
    let keys: Vec<String> = members.keys().map(|k| k.to_string()).collect();
    assert_eq!(keys, ["db", "api"]); // theme had no members: an empty map
    assert_eq!(
        host.entities().get("assets").unwrap().get("logo"),
        [json!("dark.svg")]
    );

    // A snapshot never changes; the next one reflects the change.
    manager.disable("db").await.unwrap();
    assert_eq!(host.plugins().len(), 3);
    assert_eq!(manager.snapshot().plugins().len(), 1);
}

#[tokio::test]
async fn a_plugin_with_invalid_entities_fails_to_start() {
    let l = log();
    let mut bad = DynamicEntities::new();
    bad.insert(
        "routes",
        Entities::from([("42", json!("numeric keys are rejected"))]),
    );
    let mut manager = Manager::new();
    manager
        .register(Probe::new("bad", &l).entities(bad))
        .unwrap();
    manager.register(Probe::new("good", &l)).unwrap();
    manager.initialize_all().await.unwrap();
    assert!(matches!(
        manager.reason("bad"),
        Some(FailureReason::Entities(_))
    ));
    assert_eq!(common::take(&l), ["init bad", "destroy bad", "init good"]);
    assert_eq!(manager.snapshot().plugins().len(), 1);
}

/// A reader thread loads snapshots while the manager disables and enables
/// a chain; every snapshot it sees must be one consistent plugin set: a
/// dependent never without its dependency, and the entity collection
/// exactly the plugins of the host.
#[test]
fn readers_see_consistent_snapshots_during_churn() {
    let l = log();
    let mut manager = Manager::new();
    manager.register(Probe::new("base", &l)).unwrap();
    manager
        .register(Probe::new("mid", &l).dep("base", "*"))
        .unwrap();
    manager
        .register(Probe::new("top", &l).dep("mid", "*"))
        .unwrap();
    manager.register(Probe::new("other", &l)).unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(manager.initialize_all()).unwrap();

    let snapshots = manager.snapshots();
    let stop = Arc::new(AtomicBool::new(false));
    let done = stop.clone();
    // How many plugin-set sizes the reader has seen: the churn goes on
    // until it saw more than one, so the checks cannot pass by reading
    // only the settled state.
    let sizes_seen = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let sizes_seen_by_reader = sizes_seen.clone();
    let reader = std::thread::spawn(move || {
        let mut seen = std::collections::BTreeSet::new();
        let mut reads = 0u64;
        while !done.load(Ordering::Relaxed) || reads < 1000 {
            let host = snapshots.load();
            let plugins: Vec<String> = host
                .plugins()
                .urns()
                .iter()
                .map(|u| u.to_string())
                .collect();
            let members: Vec<String> = host
                .entities()
                .get("members")
                .map(|c| c.keys().map(|k| k.to_string()).collect())
                .unwrap_or_default();
            assert_eq!(plugins, members, "entities match the plugin set");
            let has = |n: &str| plugins.iter().any(|p| p == n);
            assert!(!has("top") || has("mid"), "top without mid: {plugins:?}");
            assert!(!has("mid") || has("base"), "mid without base: {plugins:?}");
            assert!(has("other"), "other is never touched");
            seen.insert(plugins.len());
            sizes_seen_by_reader.store(seen.len(), Ordering::Relaxed);
            reads += 1;
        }
        seen
    });

    runtime.block_on(async {
        // At least 300 rounds; at most 100,000, should the reader never
        // be scheduled (the assertion below then fails).
        for round in 0..100_000 {
            if round >= 300 && sizes_seen.load(Ordering::Relaxed) > 1 {
                break;
            }
            let target = if round % 2 == 0 { "base" } else { "mid" };
            manager.disable(target).await.unwrap();
            manager.enable("top").await.unwrap();
        }
    });
    stop.store(true, Ordering::Relaxed);
    let sizes = reader.join().unwrap();
    assert!(sizes.iter().all(|n| [1, 2, 3, 4].contains(n)), "{sizes:?}");
    assert!(sizes.len() > 1, "the reader never saw the churn: {sizes:?}");
    assert_eq!(manager.state("top"), Some(Active));
    assert_eq!(manager.snapshot().plugins().len(), 4);
}
