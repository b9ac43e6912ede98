//! The sandbox's costs against bare wasmtime in the same run: a hook call
//! into a guest (an 87-byte JSON payload, echoed), loading a cached plugin
//! up to its first call (from its manifest file, into a fresh manager or
//! a running application, or from a manifest a scan read before; and the
//! first against bare wasmtime start by start, alternated, printed as
//! medians), and one plugin's hook called from 1 and 2 threads.
//!
//! The guest is the Rust echo guest (`guests/echo/echo.wasm`) when built,
//! else the same echo written as component text. The C, JavaScript and
//! Python guests, where built, are measured too (`language_*`).
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use futures::executor::block_on;
use plinth_extensions::{ExtensionRegistry, Loaders, Manifest};
use plinth_hooks::{Filter, Key};
use plinth_runtime::Manager;
use plinth_wasm::{HookBridge, Policy, WasmRuntime};
use serde_json::Value;
use serde_json::value::RawValue;
use wasmtime::component::{Component, Linker, TypedFunc};
use wasmtime::{Config, Engine, Store};

#[path = "../tests/common/mod.rs"]
mod common;

const ECHO: Key<Filter<Value>> = Key::new("bench:echo");
/// The same, for payloads that are JSON text already.
const RAW: Key<Filter<Box<RawValue>>> = Key::new("bench:raw");
/// 87 bytes of JSON.
const PAYLOAD: &str =
    r#"{"requestId":"r-0000000001","method":"POST","path":"/api/users/42/action","status":200}"#;

fn component_bytes() -> Vec<u8> {
    let rust = common::guest_dir("echo").join("echo.wasm");
    match std::fs::read(&rust) {
        Ok(bytes) => {
            eprintln!("guest: Rust echo ({} bytes)", bytes.len());
            bytes
        }
        Err(_) => {
            eprintln!("guest: echo in component text (the Rust guest is not built)");
            common::echo().into_bytes()
        }
    }
}

struct Setup {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    runtime: WasmRuntime,
}

fn setup() -> Setup {
    setup_for(
        "echo",
        component_bytes(),
        "[hooks]\n\"bench:echo\" = {}\n\"bench:raw\" = {}\n[sandbox]\ninstances = 2\n",
        HookBridge::new().filter(&ECHO).filter(&RAW),
    )
}

/// Plugin `name` (its `component` and manifest lines `extra`) in a fresh
/// folder, and a sandbox offering `hooks`, with a compile cache beside it.
fn setup_for(name: &str, component: impl AsRef<[u8]>, extra: &str, hooks: HookBridge) -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let dir = common::plugin_dir(&tmp.path().join("plugins"), name, component, extra);
    let runtime = WasmRuntime::builder()
        .hooks(hooks)
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

fn start(setup: &Setup) -> Manager {
    let mut manager = Manager::new();
    start_into(setup, &mut manager);
    manager
}

/// The application before any plugin: a manager with the hooks it offers.
fn application() -> Manager {
    let manager = Manager::new();
    manager.hooks().hook(&ECHO).unwrap();
    manager.hooks().hook(&RAW).unwrap();
    manager
}

/// Reads the plugin's manifest and starts it in `manager`.
fn start_into(setup: &Setup, manager: &mut Manager) {
    let manifest = Manifest::from_path(setup.dir.join("plinth.toml")).unwrap();
    start_discovered(setup, manifest, manager);
}

/// Starts the plugin of `manifest`, read before (as a scan reads it), in
/// `manager`.
fn start_discovered(setup: &Setup, manifest: Manifest, manager: &mut Manager) {
    let plugin = setup
        .runtime
        .plugin(
            manifest,
            Arc::new(ExtensionRegistry::new()),
            Arc::new(Loaders::new()),
        )
        .unwrap();
    manager.register(plugin).unwrap();
    block_on(manager.initialize_all()).unwrap();
}

type OnHook = TypedFunc<(String, String), (Result<String, String>,)>;

/// Bare wasmtime: the engine plinth uses (epoch interruption on), the
/// component's unknown imports as traps, a typed `on-hook`.
struct Bare {
    engine: Engine,
    linker: Linker<()>,
}

impl Bare {
    fn new(component: &Component, engine: Engine) -> Bare {
        let mut linker = Linker::new(&engine);
        linker.define_unknown_imports_as_traps(component).unwrap();
        Bare { engine, linker }
    }

    /// Loads the compiled component at `artifact` (written by
    /// `serialize` with this engine), instantiates it and makes the first
    /// call, handing back the answer with what was loaded, so that its
    /// teardown can be left out of the timing.
    fn first_call(&self, artifact: &Path) -> (String, Store<()>, Component) {
        // SAFETY: the file was written by `serialize` with this engine.
        #[allow(unsafe_code)]
        let component = unsafe { Component::deserialize_file(&self.engine, artifact) }.unwrap();
        let (mut store, on_hook) = self.instantiate(&component);
        let (answer,) = on_hook
            .call(&mut store, ("bench:echo".into(), PAYLOAD.to_owned()))
            .unwrap();
        (answer.unwrap(), store, component)
    }

    fn instantiate(&self, component: &Component) -> (Store<()>, OnHook) {
        let mut store = Store::new(&self.engine, ());
        store.set_epoch_deadline(u64::MAX / 2);
        let instance = self.linker.instantiate(&mut store, component).unwrap();
        let guest = component
            .get_export_index(None, "plinth:plugin/guest@0.1.0")
            .unwrap();
        let init_at = component
            .get_export_index(Some(&guest), "initialize")
            .unwrap();
        let hook_at = component.get_export_index(Some(&guest), "on-hook").unwrap();
        let init: TypedFunc<(String,), (Result<(), String>,)> =
            instance.get_typed_func(&mut store, init_at).unwrap();
        init.call(&mut store, ("null".into(),)).unwrap().0.unwrap();
        let hook = instance.get_typed_func(&mut store, hook_at).unwrap();
        (store, hook)
    }
}

fn engine() -> Engine {
    let mut config = Config::new();
    config.epoch_interruption(true);
    Engine::new(&config).unwrap()
}

fn hook_call(c: &mut Criterion) {
    assert_eq!(PAYLOAD.len(), 87);
    let setup = setup();
    let manager = start(&setup);
    let hook = manager.hooks().hook(&ECHO).unwrap();
    let payload: Value = serde_json::from_str(PAYLOAD).unwrap();
    let bytes = component_bytes();
    let engine = engine();
    let component = Component::new(&engine, &bytes).unwrap();
    let bare = Bare::new(&component, engine);
    let (mut store, on_hook) = bare.instantiate(&component);

    let mut group = c.benchmark_group("hook_call");
    group.bench_function("bare_wasmtime_typed_call", |b| {
        b.iter(|| {
            let (answer,) = on_hook
                .call(&mut store, ("bench:echo".into(), PAYLOAD.to_owned()))
                .unwrap();
            black_box(answer.unwrap())
        })
    });
    group.bench_function("plinth_filter_hook_value", |b| {
        b.iter(|| black_box(hook.call(payload.clone()).unwrap()))
    });
    let raw_hook = manager.hooks().hook(&RAW).unwrap();
    let raw = RawValue::from_string(PAYLOAD.to_owned()).unwrap();
    group.bench_function("plinth_filter_hook_raw_json", |b| {
        b.iter(|| black_box(raw_hook.call(raw.clone()).unwrap()))
    });
    group.finish();
}

fn cached_load(c: &mut Criterion) {
    let setup = setup();
    drop(start(&setup)); // fills the cache
    let bytes = component_bytes();
    let engine = engine();
    let component = Component::new(&engine, &bytes).unwrap();
    let artifact = setup.dir.join("bare.cwasm");
    std::fs::write(&artifact, component.serialize().unwrap()).unwrap();
    let bare = Bare::new(&component, engine);
    let payload: Value = serde_json::from_str(PAYLOAD).unwrap();

    let mut group = c.benchmark_group("cached_load_to_first_call");
    // Both sides hand back what they loaded, so that its teardown (a
    // store and a component; a manager with its hooks) is not timed: the
    // figure is from the disk to the first answer.
    group.bench_function("bare_wasmtime_deserialize_file", |b| {
        b.iter_with_large_drop(|| bare.first_call(&artifact))
    });
    // The first call, handing back the manager for an untimed teardown.
    let first_call = |manager: Manager| {
        let hook = manager.hooks().hook(&ECHO).unwrap();
        (hook.call(payload.clone()).unwrap(), manager)
    };
    group.bench_function("plinth_plugin_start", |b| {
        b.iter_with_large_drop(|| first_call(start(&setup)))
    });
    // The same start into an application that already runs: its manager
    // and the hooks it offers are made before the timing, as the bare
    // side's engine and linker are (and plinth's runtime, on both).
    group.bench_function("plinth_plugin_start_into_application", |b| {
        b.iter_batched(
            application,
            |mut manager| {
                start_into(&setup, &mut manager);
                first_call(manager)
            },
            BatchSize::SmallInput,
        )
    });
    // The same, for a plugin discovered before: its manifest was read and
    // parsed by a scan, as an application reads all of them at start-up,
    // and only the plugin's start is timed. The bare side reads no
    // manifest either.
    let manifest = Manifest::from_path(setup.dir.join("plinth.toml")).unwrap();
    group.bench_function("plinth_discovered_plugin_start_into_application", |b| {
        b.iter_batched(
            || (application(), manifest.clone()),
            |(mut manager, manifest)| {
                start_discovered(&setup, manifest, &mut manager);
                first_call(manager)
            },
            BatchSize::SmallInput,
        )
    });
    group.finish();

    // The same two sides, alternated start by start, each timed alone and
    // torn down untimed before the other's turn: what one side's teardown
    // leaves (caches, the allocator's free lists) the other meets as
    // often. Medians, so that a stray pause on either side does not count.
    let mut bare_times = Vec::with_capacity(ALTERNATED);
    let mut plinth_times = Vec::with_capacity(ALTERNATED);
    for _ in 0..ALTERNATED {
        let began = Instant::now();
        let loaded = bare.first_call(&artifact);
        bare_times.push(began.elapsed());
        drop(black_box(loaded));
        let began = Instant::now();
        let loaded = first_call(start(&setup));
        plinth_times.push(began.elapsed());
        drop(black_box(loaded));
    }
    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    let (bare_median, plinth_median) = (median(&mut bare_times), median(&mut plinth_times));
    eprintln!(
        "cached start, {ALTERNATED} alternated: bare {bare_median:?}, plinth from the manifest file {plinth_median:?}, ratio {:.3}",
        plinth_median.as_secs_f64() / bare_median.as_secs_f64()
    );
}

/// Starts of each side in the alternated comparison.
const ALTERNATED: usize = 3000;

/// Calls per second of one plugin's hook from `threads` threads.
fn throughput(hook: &Arc<Filter<Value>>, payload: &Value, threads: usize, per_thread: u64) -> f64 {
    let start = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                for _ in 0..per_thread {
                    black_box(hook.call(payload.clone()).unwrap());
                }
            });
        }
    });
    (threads as u64 * per_thread) as f64 / start.elapsed().as_secs_f64()
}

fn threads(c: &mut Criterion) {
    let setup = setup();
    let manager = start(&setup);
    let hook = manager.hooks().hook(&ECHO).unwrap();
    let payload: Value = serde_json::from_str(PAYLOAD).unwrap();
    let mut group = c.benchmark_group("one_plugin_from_threads");
    group.measurement_time(Duration::from_secs(3));
    for n in [1usize, 2] {
        group.bench_function(format!("{n}_threads_x_10000_calls"), |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    black_box(throughput(&hook, &payload, n, 10_000 / n as u64));
                }
                start.elapsed()
            })
        });
    }
    group.finish();
    let one = throughput(&hook, &payload, 1, 50_000);
    let two = throughput(&hook, &payload, 2, 25_000);
    eprintln!(
        "throughput: 1 thread {one:.0}/s, 2 threads {two:.0}/s, ratio {:.2}",
        two / one
    );
}

/// The C, JavaScript and Python guests (`guests/echo-c`, `guests/echo-js`,
/// `guests/echo-py`), where built: their first start (compiling a component of megabytes, once,
/// printed), a start from the compile cache up to the first call, and a
/// call with the 87-byte payload.
fn languages(c: &mut Criterion) {
    const DEMO_ECHO: Key<Filter<Value>> = Key::new("demo:echo");
    for (name, module) in [
        ("echo-c", "echo_c.wasm"),
        ("echo-js", "echo_js.wasm"),
        ("echo-py", "echo_py.wasm"),
    ] {
        let Ok(component) = std::fs::read(common::guest_dir(name).join(module)) else {
            eprintln!("{name}: not built (guests/build.sh), not measured");
            continue;
        };
        let setup = setup_for(
            name,
            &component,
            "[hooks]\n\"demo:echo\" = {}\n[sandbox]\ninstances = 2\n",
            HookBridge::new().filter(&DEMO_ECHO),
        );
        let cold = Instant::now();
        let manager = start(&setup);
        eprintln!(
            "{name}: {} bytes, first start (compiled and cached) {:?}",
            component.len(),
            cold.elapsed()
        );
        let hook = manager.hooks().hook(&DEMO_ECHO).unwrap();
        let payload: Value = serde_json::from_str(PAYLOAD).unwrap();
        let mut group = c.benchmark_group(format!("language_{name}"));
        group.sample_size(10);
        group.bench_function("hook_call", |b| {
            b.iter(|| black_box(hook.call(payload.clone()).unwrap()))
        });
        group.bench_function("cached_start_to_first_call", |b| {
            b.iter_with_large_drop(|| {
                let manager = start(&setup);
                let hook = manager.hooks().hook(&DEMO_ECHO).unwrap();
                (hook.call(payload.clone()).unwrap(), manager)
            })
        });
        group.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(Duration::from_secs(3));
    targets = hook_call, cached_load, threads, languages
}
criterion_main!(benches);
