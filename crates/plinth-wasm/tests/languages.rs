//! Guests written in C (clang and wasi-libc), JavaScript (componentize-js)
//! and Python (componentize-py), built from source by `guests/build.sh`,
//! each the same plugin. The C component is small and committed, as the
//! Rust ones are. The JavaScript and Python components are megabytes, so
//! they are not committed: where one is not built the test says so and
//! passes, unless `PLINTH_REQUIRE_GUESTS=1` (CI sets it after building
//! them), where a missing one fails.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{guest_dir, install, start_plugins};
use futures::executor::block_on;
use plinth_extensions::ExtensionRegistry;
use plinth_hooks::{Filter, Key};
use plinth_runtime::{Manager, PluginState};
use plinth_wasm::{CacheOutcome, HookBridge, Policy, WasmRuntime};
use serde_json::{Value, json};

const ECHO: Key<Filter<Value>> = Key::new("demo:echo");
const COUNT: Key<Filter<Value>> = Key::new("demo:count");
const GREET: Key<Filter<Value>> = Key::new("demo:greet");

/// The guests whose component is committed beside its source: never
/// skipped.
const COMMITTED: [&str; 1] = ["echo-c"];

/// Copies the guest folder `name` under `root/plugins` when its component
/// `module` is built; `false` (with a note) where it is not, for a guest
/// whose component is not committed (JavaScript, Python: megabytes each).
fn installed(root: &Path, name: &str, module: &str) -> bool {
    if !guest_dir(name).join(module).is_file() {
        assert!(
            !COMMITTED.contains(&name),
            "guests/{name}/{module} is committed, yet missing"
        );
        let why = format!("guests/{name}/{module} is not built (run guests/build.sh)");
        assert!(
            std::env::var_os("PLINTH_REQUIRE_GUESTS").is_none_or(|v| v != "1"),
            "{why}"
        );
        eprintln!("skipped: {why}");
        return false;
    }
    install(root, name);
    true
}

/// A fresh sandbox (a new engine, as in a new process) over the compile
/// cache in `root/cache`.
fn runtime(root: &Path) -> WasmRuntime {
    WasmRuntime::builder()
        .hooks(
            HookBridge::new()
                .filter(&ECHO)
                .filter(&COUNT)
                .filter(&GREET),
        )
        .policy(Policy::new(root.join("data")))
        .cache_dir(root.join("cache"))
        .build()
        .unwrap()
}

fn started(rt: &WasmRuntime, root: &Path, config: Value) -> Manager {
    start_plugins(
        Manager::new().with_config(config),
        rt,
        root,
        &Arc::new(ExtensionRegistry::new()),
    )
}

/// What every language's echo guest does: echo, greet from its
/// configuration, count across its instances from two threads, contribute
/// an entity, and refuse a bad configuration with its own message; then a
/// second start, by a new sandbox, loads it from the compile cache.
fn runs_like_any_plugin(name: &str, module: &str, language: &str) {
    let tmp = tempfile::tempdir().unwrap();
    if !installed(tmp.path(), name, module) {
        return;
    }
    let config = json!({ "plugins": { name: { "greeting": "Bonjour" } } });
    let rt = runtime(tmp.path());
    let mut manager = started(&rt, tmp.path(), config.clone());
    assert_eq!(
        manager.state(name),
        Some(PluginState::Active),
        "{:?}",
        manager.reason(name)
    );
    assert_eq!(rt.stats(name).unwrap().cache, Some(CacheOutcome::Miss));

    let payload = json!({ "user": "ada", "tags": ["a", "b"], "n": 7, "nested": { "ok": true } });
    let echo = manager.hooks().hook(&ECHO).unwrap();
    assert_eq!(echo.call(payload.clone()).unwrap(), payload);
    let greet = manager.hooks().hook(&GREET).unwrap();
    assert_eq!(greet.call(json!("ada")).unwrap(), json!("Bonjour, ada!"));

    let count = manager.hooks().hook(&COUNT).unwrap();
    let mut counts: Vec<u64> = std::thread::scope(|threads| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                threads.spawn(|| {
                    (0..10)
                        .map(|_| count.call(json!(null)).unwrap().as_u64().unwrap())
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    counts.sort_unstable();
    assert_eq!(
        counts,
        (1..=20).collect::<Vec<u64>>(),
        "each call counted once"
    );

    let snapshot = manager.snapshot();
    let languages = snapshot.entities().get("languages").unwrap();
    assert_eq!(languages.get(name), [language]);
    block_on(manager.shutdown());
    assert_eq!(rt.stats(name).map_or(0, |s| s.instances), 0);

    // A new sandbox over the same cache: loaded, not compiled again.
    let again = runtime(tmp.path());
    let manager = started(&again, tmp.path(), config);
    assert_eq!(manager.state(name), Some(PluginState::Active));
    assert_eq!(again.stats(name).unwrap().cache, Some(CacheOutcome::Hit));
    let greet = manager.hooks().hook(&GREET).unwrap();
    assert_eq!(greet.call(json!("bob")).unwrap(), json!("Bonjour, bob!"));

    // The guest's own refusal of its configuration is the failure reason.
    let bad = started(
        &again,
        tmp.path(),
        json!({ "plugins": { name: { "greeting": "" } } }),
    );
    assert_eq!(bad.state(name), Some(PluginState::Failed));
    let why = bad.reason(name).unwrap().to_string();
    assert!(why.contains("greeting must be a non-empty string"), "{why}");
}

#[test]
fn a_javascript_guest_runs_like_any_plugin_and_starts_again_from_the_cache() {
    runs_like_any_plugin("echo-js", "echo_js.wasm", "JavaScript");
}

#[test]
fn a_python_guest_runs_like_any_plugin_and_starts_again_from_the_cache() {
    runs_like_any_plugin("echo-py", "echo_py.wasm", "Python");
}

#[test]
fn a_c_guest_runs_like_any_plugin_and_starts_again_from_the_cache() {
    runs_like_any_plugin("echo-c", "echo_c.wasm", "C");
}
