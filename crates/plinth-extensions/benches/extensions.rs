//! Scanning 1,000 plugin folders and connecting 10,000 extensions on 100
//! points, each next to a same-run baseline:
//! - `scan/read_files`: merely listing the folders and reading the same
//!   manifests (the floor any scanner pays);
//! - `scan/plinth_scan_cached*`: a rescan through a warm `ManifestCache`
//!   (every manifest unchanged: one `stat` each instead of a read and a
//!   parse), alone and followed by registering the extensions;
//! - `connect/direct_calls`: calling 10,000 boxed closures directly.
//!
//! The folders carry a `package.json` too, so that `bench/extensions/run.sh`
//! can time js-plugins' `scanSubdirs`/`connect` on the very same tree: set
//! `PLINTH_BENCH_DIR` to keep the generated tree there.
#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use plinth_extensions::{
    ConnectOptions, ExtensionPoint, ExtensionRegistry, Factory, Loaders, ManifestCache,
    native_factory, scan,
};

const PLUGINS: usize = 1_000;
const PER_PLUGIN: usize = 10;
const POINTS: usize = 100;

type Point = ExtensionPoint<(), (), u64>;

native_factory!("bench", || Factory::<(), (), u64>::sync(|_, _, _| Ok(1)));

fn point_name(k: usize) -> String {
    format!("bench:point-{k:03}")
}

/// Writes the plugin tree (idempotent) and returns its root.
fn generate(root: &Path) -> PathBuf {
    let plugins = root.join("plugins");
    for i in 0..PLUGINS {
        let dir = plugins.join(format!("plugin-{i:04}"));
        std::fs::create_dir_all(&dir).unwrap();
        let mut toml = format!(
            "[plugin]\nname = \"plugin-{i:04}\"\nversion = \"1.0.{i}\"\ndescription = \"benchmark plugin {i}\"\n\n[dependencies]\nplugin-0000 = \"^1\"\n\n"
        );
        let mut json = format!(
            "{{\n  \"name\": \"plugin-{i:04}\",\n  \"version\": \"1.0.{i}\",\n  \"description\": \"benchmark plugin {i}\",\n  \"dependencies\": {{ \"plugin-0000\": \"^1\" }},\n  \"extensions\": {{\n"
        );
        for j in 0..PER_PLUGIN {
            let point = point_name((i * PER_PLUGIN + j) % POINTS);
            toml.push_str(&format!(
                "[extensions.\"{point}\"]\ne-{i}-{j} = \"bench\"\n\n"
            ));
            let comma = if j + 1 < PER_PLUGIN { "," } else { "" };
            json.push_str(&format!(
                "    \"{point}\": {{ \"e-{i}-{j}\": \"./ext\" }}{comma}\n"
            ));
        }
        json.push_str("  }\n}\n");
        std::fs::write(dir.join("plinth.toml"), toml).unwrap();
        std::fs::write(dir.join("package.json"), json).unwrap();
        std::fs::write(
            dir.join("ext.js"),
            "module.exports = function () { return 1; };\n",
        )
        .unwrap();
    }
    plugins
}

fn read_files(dir: &Path) -> usize {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect();
    folders.sort();
    folders
        .iter()
        .map(|f| {
            std::fs::read_to_string(f.join("plinth.toml"))
                .unwrap()
                .len()
        })
        .sum()
}

fn benches(c: &mut Criterion) {
    let temp;
    let root = match std::env::var_os("PLINTH_BENCH_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => {
            temp = tempfile::tempdir().unwrap();
            temp.path().to_owned()
        }
    };
    let plugins = generate(&root);
    let found = scan([&plugins]);
    assert_eq!(found.plugins.len(), PLUGINS, "{:?}", found.errors.first());

    let mut group = c.benchmark_group("scan");
    group.bench_function("read_files", |b| b.iter(|| black_box(read_files(&plugins))));
    group.bench_function("plinth_scan", |b| b.iter(|| black_box(scan([&plugins]))));
    group.bench_function("plinth_scan_register", |b| {
        b.iter(|| {
            let registry = ExtensionRegistry::new();
            scan([&plugins]).register_extensions(&registry, &Arc::new(Loaders::new()));
            black_box(registry)
        })
    });
    // The tree was just written: let it leave the racy window (as
    // installed plugins have), so that the warm scans below are warm.
    std::thread::sleep(ManifestCache::RACY_WINDOW + Duration::from_millis(100));
    let cache = ManifestCache::new();
    let primed = cache.scan([&plugins]);
    assert_eq!(cache.len(), PLUGINS);
    let warm = cache.scan([&plugins]);
    assert!(Arc::ptr_eq(
        &primed.plugins[0].manifest,
        &warm.plugins[0].manifest
    ));
    group.bench_function("plinth_scan_cached", |b| {
        b.iter(|| black_box(cache.scan([&plugins])))
    });
    group.bench_function("plinth_scan_cached_register", |b| {
        b.iter(|| {
            let registry = ExtensionRegistry::new();
            cache
                .scan([&plugins])
                .register_extensions(&registry, &Arc::new(Loaders::new()));
            black_box(registry)
        })
    });
    group.finish();

    let registry = ExtensionRegistry::new();
    found.register_extensions(&registry, &Arc::new(Loaders::new()));
    let points: Vec<Point> = (0..POINTS).map(|k| Point::named(point_name(k))).collect();
    let connect_all = || {
        let mut total = 0;
        for point in &points {
            let made = registry
                .connect_blocking(&(), point, ConnectOptions::new().multi(true))
                .unwrap();
            total += made.len();
        }
        total
    };
    // The first connect loads the module; the benchmark measures the steady state.
    assert_eq!(connect_all(), PLUGINS * PER_PLUGIN);

    let direct: Vec<Box<dyn Fn() -> u64>> = (0..PLUGINS * PER_PLUGIN)
        .map(|_| Box::new(|| 1u64) as Box<dyn Fn() -> u64>)
        .collect();
    let mut group = c.benchmark_group("connect");
    group.bench_function("direct_calls", |b| {
        b.iter(|| black_box(direct.iter().map(|f| f()).collect::<Vec<_>>()))
    });
    group.bench_function("plinth_connect", |b| b.iter(|| black_box(connect_all())));
    group.finish();
}

criterion_group!(extensions, benches);
criterion_main!(extensions);
