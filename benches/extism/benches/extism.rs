//! plinth's sandbox against Extism in one run, each with an echo guest:
//!
//! - `hook_call`: plinth's filter hook into the Rust echo guest
//!   (`guests/echo/echo.wasm`: an 87-byte JSON payload, as a
//!   `serde_json::Value` and as a `Box<RawValue>`; the guest parses it and
//!   serializes it back), against Extism calling the `echo` function of an
//!   Extism plug-in (`echo-plugin/echo.wasm`, written with extism-pdk,
//!   which copies the bytes back) with the same 87 bytes, as `&str` and as
//!   bytes.
//! - `cached_load_to_first_call`: plinth, a fresh manager, a plugin from
//!   the manifest with the compile cache on disk already filled, started,
//!   its hook called once; against Extism, `Plugin::new_from_compiled`
//!   from a `CompiledPlugin` made beforehand (in memory), then one call.
//!   Only that is timed: not the shutdown and drops that follow.
//!
//! The plinth side is set up as `crates/plinth-wasm/benches/sandbox.rs`
//! does it, from the echo guest's own `plinth.toml`. `run.sh` builds what
//! is missing, runs this and prints the medians and the ratios.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use extism::{CompiledPlugin, Plugin, PluginBuilder};
use futures::executor::block_on;
use plinth_extensions::{ExtensionRegistry, Loaders, Manifest};
use plinth_hooks::{Filter, Key};
use plinth_runtime::Manager;
use plinth_wasm::{HookBridge, Policy, WasmRuntime};
use serde_json::Value;
use serde_json::value::RawValue;

const ECHO: Key<Filter<Value>> = Key::new("bench:echo");
/// The same, for payloads that are JSON text already.
const RAW: Key<Filter<Box<RawValue>>> = Key::new("bench:raw");
/// 87 bytes of JSON.
const PAYLOAD: &str =
    r#"{"requestId":"r-0000000001","method":"POST","path":"/api/users/42/action","status":200}"#;

fn here() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `path`'s bytes, or a panic saying how to build it.
fn read(path: &Path, how: &str) -> Vec<u8> {
    let bytes = std::fs::read(path)
        .unwrap_or_else(|e| panic!("{}: {e} (build it with {how})", path.display()));
    eprintln!("{} bytes: {}", bytes.len(), path.display());
    bytes
}

// --- plinth ------------------------------------------------------------------

struct Setup {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    runtime: WasmRuntime,
}

/// The echo guest's folder (`echo.wasm` and its `plinth.toml`, which also
/// taps `bench:raw` here) copied into a temporary plugin folder, and a
/// runtime bridging both hooks, with its compile cache in that folder.
fn setup() -> Setup {
    let guest = here().join("../../guests/echo");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("plugins/echo");
    std::fs::create_dir_all(&dir).unwrap();
    let component = read(&guest.join("echo.wasm"), "guests/build.sh");
    std::fs::write(dir.join("echo.wasm"), component).unwrap();
    let manifest = std::fs::read_to_string(guest.join("plinth.toml")).unwrap();
    let tap = "\"bench:echo\" = {}\n";
    assert!(
        manifest.contains(tap),
        "guests/echo/plinth.toml taps no bench:echo"
    );
    let manifest = manifest.replacen(tap, &format!("{tap}\"bench:raw\" = {{}}\n"), 1);
    std::fs::write(dir.join("plinth.toml"), manifest).unwrap();
    let runtime = WasmRuntime::builder()
        .hooks(HookBridge::new().filter(&ECHO).filter(&RAW))
        .policy(Policy::new(tmp.path().join("data")))
        .cache_dir(tmp.path().join("cache"))
        .build()
        .unwrap();
    Setup {
        dir,
        runtime,
        _tmp: tmp,
    }
}

/// A fresh manager with the plugin made from its manifest, started.
fn start(setup: &Setup) -> Manager {
    let manifest = Manifest::from_path(setup.dir.join("plinth.toml")).unwrap();
    let plugin = setup
        .runtime
        .plugin(
            manifest,
            Arc::new(ExtensionRegistry::new()),
            Arc::new(Loaders::new()),
        )
        .unwrap();
    let mut manager = Manager::new();
    manager.register(plugin).unwrap();
    block_on(manager.initialize_all()).unwrap();
    manager
}

// --- Extism ------------------------------------------------------------------

/// The Extism echo plug-in compiled: no WASI, no host functions, and no
/// wasmtime cache on disk (it is compiled once, here, and kept in memory).
fn extism_compiled() -> CompiledPlugin {
    let wasm = read(&here().join("echo-plugin/echo.wasm"), "run.sh");
    CompiledPlugin::new(
        PluginBuilder::new(extism::Manifest::new([extism::Wasm::data(wasm)]))
            .with_wasi(false)
            .with_cache_disabled(),
    )
    .unwrap()
}

// --- the benchmarks ----------------------------------------------------------

fn hook_call(c: &mut Criterion) {
    assert_eq!(PAYLOAD.len(), 87);
    let setup = setup();
    let manager = start(&setup);
    let hook = manager.hooks().hook(&ECHO).unwrap();
    let raw_hook = manager.hooks().hook(&RAW).unwrap();
    let payload: Value = serde_json::from_str(PAYLOAD).unwrap();
    let raw = RawValue::from_string(PAYLOAD.to_owned()).unwrap();
    assert_eq!(hook.call(payload.clone()).unwrap(), payload);
    // The guest parses and re-serializes: the same JSON, keys sorted.
    let answer = raw_hook.call(raw.clone()).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(answer.get()).unwrap(),
        payload
    );

    let mut plugin = Plugin::new_from_compiled(&extism_compiled()).unwrap();
    assert_eq!(plugin.call::<&str, &str>("echo", PAYLOAD).unwrap(), PAYLOAD);

    let mut group = c.benchmark_group("hook_call");
    group.bench_function("plinth_filter_hook_value", |b| {
        b.iter(|| black_box(hook.call(payload.clone()).unwrap()))
    });
    group.bench_function("plinth_filter_hook_raw_json", |b| {
        b.iter(|| black_box(raw_hook.call(raw.clone()).unwrap()))
    });
    group.bench_function("extism_call_str", |b| {
        b.iter(|| {
            black_box(
                plugin
                    .call::<&str, &str>("echo", black_box(PAYLOAD))
                    .unwrap(),
            )
            .len()
        })
    });
    group.bench_function("extism_call_bytes", |b| {
        b.iter(|| {
            black_box(
                plugin
                    .call::<&[u8], &[u8]>("echo", black_box(PAYLOAD.as_bytes()))
                    .unwrap(),
            )
            .len()
        })
    });
    group.finish();
}

fn cached_load(c: &mut Criterion) {
    let setup = setup();
    drop(start(&setup)); // fills the cache
    let payload: Value = serde_json::from_str(PAYLOAD).unwrap();
    let compiled = extism_compiled();

    // Timed: from nothing to the first call's answer. Not timed: shutting
    // down (plinth) and dropping (both). A manager dropped without
    // `shutdown` would leak the plugin: the echo guest subscribes to a bus
    // topic, and the subscription's handler holds the plugin's instances,
    // which hold the bus.
    let mut group = c.benchmark_group("cached_load_to_first_call");
    group.bench_function("plinth_plugin_start", |b| {
        b.iter_custom(|iters| {
            let mut took = Duration::ZERO;
            for _ in 0..iters {
                let begin = Instant::now();
                let mut manager = start(&setup);
                let answer = manager
                    .hooks()
                    .hook(&ECHO)
                    .unwrap()
                    .call(black_box(payload.clone()))
                    .unwrap();
                took += begin.elapsed();
                black_box(answer);
                block_on(manager.shutdown());
            }
            took
        })
    });
    group.bench_function("extism_new_from_compiled", |b| {
        b.iter_custom(|iters| {
            let mut took = Duration::ZERO;
            for _ in 0..iters {
                let begin = Instant::now();
                let mut plugin = Plugin::new_from_compiled(&compiled).unwrap();
                let len = plugin
                    .call::<&str, &str>("echo", black_box(PAYLOAD))
                    .unwrap()
                    .len();
                took += begin.elapsed();
                black_box(len);
            }
            took
        })
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(3));
    targets = hook_call, cached_load
}
criterion_main!(benches);
