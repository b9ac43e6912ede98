//! The Rust guests of `guests/` (built from source by `guests/build.sh`,
//! which CI runs before the tests) in a real manager.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::http::{Authority, echoing_head, echoing_head_tls};
use common::{install, start_plugins};
use futures::executor::block_on;
use plinth_extensions::{ExtensionRegistry, Loaders, Manifest};
use plinth_hooks::{Action, Bail, Filter, Key};
use plinth_runtime::{Manager, PluginState};
use plinth_wasm::{Grant, HookBridge, Limits, Policy, TlsRoots, WasmRuntime};
use serde_json::{Value, json};

const REQUEST_START: Key<Bail<Value, Value>> = Key::new("request:start");
const REQUEST_COMPLETE: Key<Action<Value>> = Key::new("request:complete");
const USER_ACTION: Key<Filter<Value>> = Key::new("user:action");
const FETCH: Key<Filter<Value>> = Key::new("test:fetch");

fn runtime(root: &Path) -> WasmRuntime {
    WasmRuntime::builder()
        .hooks(
            HookBridge::new()
                .bail(&REQUEST_START)
                .action(&REQUEST_COMPLETE)
                .filter(&USER_ACTION),
        )
        .policy(
            Policy::new(root.join("data"))
                .grant("audit-logger-wasm", Grant::new().write("data"))
                .grant("rate-limiter-wasm", Grant::new().clocks()),
        )
        .cache_dir(root.join("cache"))
        .build()
        .unwrap()
}

fn manager(rt: &WasmRuntime, root: &Path, config: Value) -> Manager {
    manager_with(rt, root, config, &Arc::new(ExtensionRegistry::new()))
}

/// [`manager`], registering the plugins' extensions in `registry`.
fn manager_with(
    rt: &WasmRuntime,
    root: &Path,
    config: Value,
    registry: &Arc<ExtensionRegistry>,
) -> Manager {
    start_plugins(Manager::new().with_config(config), rt, root, registry)
}

fn complete(i: usize) -> Value {
    json!({"requestId": format!("r-{i}"), "method": "GET", "path": "/", "status": 200, "durationMs": 1})
}

#[test]
fn the_audit_logger_writes_every_event_through_its_granted_directory_and_loses_none_on_destroy() {
    let tmp = tempfile::tempdir().unwrap();
    install(tmp.path(), "audit-logger");
    let rt = runtime(tmp.path());
    let mut manager = manager(&rt, tmp.path(), json!({}));
    assert_eq!(
        manager.state("audit-logger-wasm"),
        Some(PluginState::Active)
    );
    let hook = manager.hooks().hook(&REQUEST_COMPLETE).unwrap();
    // From two threads, so that both instances buffer lines.
    std::thread::scope(|s| {
        for t in 0..2 {
            let hook = hook.clone();
            s.spawn(move || {
                for i in 0..20 {
                    hook.call(&complete(t * 100 + i)).unwrap();
                }
            });
        }
    });
    let action = json!({"userId": "ada", "action": "delete", "payload": {"id": 7}});
    let out = manager
        .hooks()
        .hook(&USER_ACTION)
        .unwrap()
        .call(action.clone())
        .unwrap();
    assert_eq!(out, action, "the logger passes the action on unchanged");
    block_on(manager.disable("audit-logger-wasm")).unwrap();
    let log =
        std::fs::read_to_string(tmp.path().join("data/audit-logger-wasm/data/audit.log")).unwrap();
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines.len(),
        41,
        "40 requests and 1 action, flushed on destroy"
    );
    let mut ids: Vec<_> = lines
        .iter()
        .filter(|l| l["hook"] == "request:complete")
        .map(|l| l["event"]["requestId"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 40);
    assert_eq!(rt.stats("audit-logger-wasm").unwrap().denied, 0);
}

/// The rate limiter installed under `root` and started with `maxRequests`
/// per hour-long window.
fn rate_limiter(root: &Path, max_requests: u32) -> (WasmRuntime, Manager) {
    rate_limiter_with(root, max_requests, 3_600_000)
}

fn rate_limiter_with(root: &Path, max_requests: u32, window_ms: u64) -> (WasmRuntime, Manager) {
    install(root, "rate-limiter");
    let rt = runtime(root);
    let manager = manager(
        &rt,
        root,
        json!({"plugins": {"rate-limiter-wasm": {"maxRequests": max_requests, "windowMs": window_ms}}}),
    );
    assert_eq!(
        manager.state("rate-limiter-wasm"),
        Some(PluginState::Active)
    );
    (rt, manager)
}

/// A `request:start` payload from `ip`.
fn request_from(ip: &str) -> Value {
    json!({"requestId": "r", "method": "GET", "path": "/", "ip": ip, "userId": null, "key": null})
}

#[test]
fn the_rate_limiter_limits_per_client_with_its_configuration() {
    let tmp = tempfile::tempdir().unwrap();
    let (_rt, manager) = rate_limiter(tmp.path(), 3);
    let hook = manager.hooks().hook(&REQUEST_START).unwrap();
    for _ in 0..3 {
        assert_eq!(hook.call(&request_from("10.0.0.1")).unwrap(), None);
    }
    let limited = hook
        .call(&request_from("10.0.0.1"))
        .unwrap()
        .expect("the fourth is limited");
    assert_eq!(limited["status"], 429);
    assert!(limited["retryAfter"]["secs"].as_u64().unwrap() >= 1);
    assert_eq!(
        hook.call(&request_from("10.0.0.2")).unwrap(),
        None,
        "another client is not"
    );
}

#[test]
fn the_rate_limiter_counts_exactly_across_its_instances_under_concurrency() {
    let tmp = tempfile::tempdir().unwrap();
    let (rt, manager) = rate_limiter(tmp.path(), 200);
    let hook = manager.hooks().hook(&REQUEST_START).unwrap();
    let start = request_from("10.0.0.9");
    // Four threads on a pool of two instances, one client: each count is
    // the store's atomic add, so none is lost between two instances.
    let passed: usize = std::thread::scope(|threads| {
        let workers: Vec<_> = (0..4)
            .map(|_| {
                threads.spawn(|| {
                    (0..100)
                        .filter(|_| hook.call(&start).unwrap().is_none())
                        .count()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    assert_eq!(passed, 200, "exactly maxRequests of 400 got through");
    assert_eq!(rt.stats("rate-limiter-wasm").unwrap().traps, 0);
}

/// Counts of clients that never come back are swept: each client's first
/// request in a window deletes up to 64 of the oldest counts of windows
/// before the previous one, so the store keeps about two windows of counts.
#[test]
fn the_rate_limiter_sweeps_the_counts_of_windows_that_are_over() {
    let tmp = tempfile::tempdir().unwrap();
    let (rt, manager) = rate_limiter_with(tmp.path(), 10, 500);
    let hook = manager.hooks().hook(&REQUEST_START).unwrap();
    let held = || rt.stats("rate-limiter-wasm").unwrap().kv_bytes;
    // A count: 64 bytes for the entry, the key (a 20-digit window, `:`,
    // the client) and the value `1`.
    let count = |client: &str| 64 + 21 + client.len() + 1;
    for i in 0..100 {
        assert_eq!(
            hook.call(&request_from(&format!("10.1.0.{i}"))).unwrap(),
            None
        );
    }
    assert!(held() >= 100 * count("10.1.0.0"), "{}", held());
    // Two windows on, all of those are over.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    for client in ["10.2.0.1", "10.2.0.2"] {
        assert_eq!(hook.call(&request_from(client)).unwrap(), None);
    }
    assert_eq!(held(), count("10.2.0.1") + count("10.2.0.2"));
}

/// A new version of the rate limiter takes over its key-value store: the
/// counts of the window go on, as they do across a restart.
#[test]
fn a_new_version_of_a_sandboxed_plugin_keeps_its_key_value_store() {
    let tmp = tempfile::tempdir().unwrap();
    let (rt, mut manager) = rate_limiter(tmp.path(), 2);
    let hook = manager.hooks().hook(&REQUEST_START).unwrap();
    for _ in 0..2 {
        assert_eq!(hook.call(&request_from("10.0.0.1")).unwrap(), None);
    }
    let folder = tmp.path().join("plugins/rate-limiter");
    let manifest = std::fs::read_to_string(folder.join("plinth.toml")).unwrap();
    let bumped = manifest.replace("version = \"0.1.0\"", "version = \"0.1.1\"");
    assert_ne!(bumped, manifest);
    std::fs::write(folder.join("plinth.toml"), bumped).unwrap();
    let new_version = Manifest::from_path(folder.join("plinth.toml")).unwrap();
    let (extensions, loaders) = (Arc::new(ExtensionRegistry::new()), Arc::new(Loaders::new()));
    let report = block_on(manager.replace_with("rate-limiter-wasm", |m| {
        rt.register(m, new_version, &extensions, &loaders)
    }))
    .unwrap();
    assert_eq!(report.started, ["rate-limiter-wasm"]);
    let version = manager
        .metadata("rate-limiter-wasm")
        .unwrap()
        .version()
        .to_string();
    assert_eq!(version, "0.1.1");
    let limited = hook.call(&request_from("10.0.0.1")).unwrap();
    assert_eq!(limited.expect("the third is limited")["status"], 429);
}

#[test]
fn a_configuration_outside_the_guests_schema_fails_its_start_with_the_pointer() {
    let tmp = tempfile::tempdir().unwrap();
    install(tmp.path(), "rate-limiter");
    let rt = runtime(tmp.path());
    let manager = manager(
        &rt,
        tmp.path(),
        json!({"plugins": {"rate-limiter-wasm": {"maxRequests": 0}}}),
    );
    assert_eq!(
        manager.state("rate-limiter-wasm"),
        Some(PluginState::Failed)
    );
    let why = manager.reason("rate-limiter-wasm").unwrap().to_string();
    assert!(why.contains("/maxRequests"), "{why}");
    assert_eq!(rt.stats("rate-limiter-wasm").map_or(0, |s| s.instances), 0);
}

#[test]
fn without_its_grant_the_rate_limiter_is_refused_the_clock_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    install(tmp.path(), "rate-limiter");
    let rt = WasmRuntime::builder()
        .hooks(HookBridge::new().bail(&REQUEST_START))
        .policy(Policy::new(tmp.path().join("data")))
        .build()
        .unwrap();
    let mut manager = manager(&rt, tmp.path(), json!({}));
    let hook = manager.hooks().hook(&REQUEST_START).unwrap();
    let err = hook
        .call(&json!({"ip": "10.0.0.1"}))
        .unwrap_err()
        .to_string();
    assert!(err.contains("denied") && err.contains("clocks"), "{err}");
    block_on(manager.apply_faults());
    assert_eq!(
        manager.state("rate-limiter-wasm"),
        Some(PluginState::Failed)
    );
    assert_eq!(rt.stats("rate-limiter-wasm").unwrap().denied, 1);
    let notices = &manager.list()[0].notices;
    assert!(notices.iter().any(|n| n.contains("clocks")), "{notices:?}");
}

/// The echo guest installed under `root`, and a sandbox offering its hook
/// and granting nothing.
fn echo_runtime(root: &Path) -> WasmRuntime {
    install(root, "echo");
    const ECHO: Key<Filter<Value>> = Key::new("bench:echo");
    WasmRuntime::builder()
        .hooks(HookBridge::new().filter(&ECHO))
        .policy(Policy::new(root.join("data")))
        .build()
        .unwrap()
}

#[test]
fn a_guest_answers_bus_messages_and_contributes_entities() {
    use plinth_hooks::Topic;
    use std::sync::Mutex;

    let tmp = tempfile::tempdir().unwrap();
    let rt = echo_runtime(tmp.path());
    let manager = manager(&rt, tmp.path(), json!({}));
    let pongs = Arc::new(Mutex::new(Vec::new()));
    let seen = pongs.clone();
    manager
        .bus()
        .subscribe(
            &Topic::<Value>::new("echo:pong"),
            plinth_hooks::PluginUrn::application(),
            move |m: &Value| {
                seen.lock().unwrap().push(m.clone());
                Ok(())
            },
        )
        .unwrap();
    manager
        .bus()
        .publish(&Topic::<Value>::new("echo:ping"), &json!({"n": 1}))
        .unwrap();
    assert_eq!(*pongs.lock().unwrap(), [json!({"echo": {"n": 1}})]);
    let snapshot = manager.snapshot();
    let greetings = snapshot.entities().get("greetings").unwrap();
    assert_eq!(greetings.get("echo"), ["hello from the sandbox"]);
}

#[test]
fn a_guest_answers_the_extension_points_its_manifest_declares() {
    use plinth_extensions::{ConnectOptions, ExtensionPoint};

    const ECHOED: ExtensionPoint<(), Value, Value> = ExtensionPoint::new("demo:echo");
    let tmp = tempfile::tempdir().unwrap();
    let rt = echo_runtime(tmp.path());
    let registry = Arc::new(ExtensionRegistry::new());
    let _manager = manager_with(&rt, tmp.path(), json!({}), &registry);
    let data = json!({ "lang": "rust" });
    let connection = registry
        .connect_blocking(&(), &ECHOED, ConnectOptions::new().data(&data))
        .unwrap();
    assert_eq!(
        connection.single(),
        Some(
            json!({ "point": "demo:echo", "extension": "echo", "object": "mirror", "data": data })
        )
    );
}

#[test]
fn a_manager_dropped_without_shutdown_frees_its_sandboxed_plugins() {
    // The echo guest subscribes to a topic: its instances hold the bus,
    // which holds its subscription. Dropping the manager must free both.
    let tmp = tempfile::tempdir().unwrap();
    let rt = echo_runtime(tmp.path());
    for _ in 0..3 {
        let manager = manager(&rt, tmp.path(), json!({}));
        let stats = rt.stats("echo-wasm").unwrap();
        assert_eq!((stats.instances, stats.pools), (1, 1));
        drop(manager);
        let stats = rt.stats("echo-wasm").unwrap();
        assert_eq!((stats.instances, stats.memory, stats.pools), (0, 0, 0));
    }
}

/// `http-send` end to end, through the SDK: the fetcher's headers reach
/// the server and the server's come back to it; a header the host sets is
/// refused inside the guest, before anything is sent; HTTPS reaches a
/// server whose certificate the policy's roots vouch for. The fetcher asks
/// for `localhost`, which only a policy allowing private networks lets it
/// reach.
#[test]
fn the_fetcher_sends_headers_and_reads_those_of_the_answer() {
    let (port, answered) = echoing_head("201 Created\r\nX-Answer: 42");
    let authority = Authority::new();
    let tmp = tempfile::tempdir().unwrap();
    install(tmp.path(), "fetcher");
    let rt = WasmRuntime::builder()
        .hooks(HookBridge::new().filter(&FETCH))
        .policy(
            Policy::new(tmp.path().join("data"))
                .grant("fetcher-wasm", Grant::new().net("localhost"))
                .private_networks(true)
                .tls_roots(TlsRoots::from_pem(authority.pem.as_bytes()).unwrap()),
        )
        .cache_dir(tmp.path().join("cache"))
        // A name lookup and a round trip on a busy machine: more than the
        // default 100 ms.
        .limits(Limits::default().with_deadline(Duration::from_secs(10)))
        .build()
        .unwrap();
    let manager = manager(&rt, tmp.path(), json!({}));
    assert_eq!(manager.state("fetcher-wasm"), Some(PluginState::Active));
    let fetch = manager.hooks().hook(&FETCH).unwrap();
    let url = format!("http://localhost:{port}/items?page=2");
    let answer = fetch
        .call(json!({
            "method": "POST",
            "url": url,
            "headers": [["Authorization", "Bearer t0k3n"], ["Content-Type", "application/json"]],
            "body": "{}",
        }))
        .unwrap();
    answered.join().unwrap();
    assert_eq!(answer["status"], 201);
    assert!(
        answer["headers"]
            .as_array()
            .unwrap()
            .contains(&json!(["x-answer", "42"])),
        "{answer}"
    );
    let seen = answer["body"].as_str().unwrap();
    assert!(
        seen.starts_with("post /items?page=2 http/1.1\r\n"),
        "{seen}"
    );
    assert!(
        seen.contains("\r\nauthorization: bearer t0k3n\r\n"),
        "{seen}"
    );
    assert!(
        seen.contains("\r\ncontent-type: application/json\r\n"),
        "{seen}"
    );
    assert!(
        seen.contains(&format!("\r\nhost: localhost:{port}\r\n")),
        "{seen}"
    );

    let (port, answered) = echoing_head_tls("200 OK", &authority);
    let answer = fetch
        .call(json!({ "url": format!("https://localhost:{port}/secure") }))
        .unwrap();
    assert_eq!(
        answered.join().unwrap().unwrap().as_deref(),
        Some("localhost")
    );
    assert_eq!(answer["status"], 200);
    let seen = answer["body"].as_str().unwrap();
    assert!(seen.starts_with("get /secure http/1.1\r\n"), "{seen}");

    // Last: a failed call stops the plugin (its taps go at once).
    let err = fetch
        .call(json!({ "url": url, "headers": [["Host", "elsewhere.example"]] }))
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("header \"host\" is the host's to set"),
        "{err}"
    );

    assert_eq!(rt.stats("fetcher-wasm").unwrap().denied, 0);
}

/// The guest SDK builds against its own copy of the world, so that it
/// builds outside this repository: the copy must be the host's, byte for
/// byte.
#[test]
fn the_guest_sdk_carries_the_hosts_world() {
    let sdk =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../guests/plinth-guest/wit/plugin.wit");
    let copy = std::fs::read_to_string(&sdk).unwrap();
    assert!(
        copy == plinth_wasm::WORLD_WIT,
        "{} differs from crates/plinth-wasm/wit/plugin.wit: copy the host's world over it",
        sdk.display()
    );
}
