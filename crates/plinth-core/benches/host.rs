//! Host construction and `get`, each beside its baseline in the same run.
//!
//! Data: 1,000 plugins × 3 entity types × 100 keys; half the keys of each
//! plugin are shared with every other plugin (conflicts), half are its own.
//! Baseline: the same data put in a `HashMap<String, Vec<V>>` per entity type
//! the obvious way, and a bare `HashMap::get` on it.

#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::collections::HashMap;
use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use plinth_core::{Entities, Host, Plugin};
use plinth_macros::EntitySchema;

const PLUGINS: usize = 1_000;
const KEYS: usize = 100;

#[derive(EntitySchema)]
struct Schema {
    assets: Entities<u64>,
    commands: Entities<u64>,
    on: Entities<u64>,
}

struct P {
    name: String,
    entities: Schema,
}

impl Plugin for P {
    type Entities = Schema;
    fn name(&self) -> &str {
        &self.name
    }
    fn entities(&self) -> &Schema {
        &self.entities
    }
}

fn key(plugin: usize, k: usize) -> String {
    if k < KEYS / 2 {
        format!("shared-{k}")
    } else {
        format!("p{plugin}-k{k}")
    }
}

fn plugins() -> Vec<P> {
    (0..PLUGINS)
        .map(|i| {
            let map = |t: u64| -> Entities<u64> {
                (0..KEYS)
                    .map(|k| (key(i, k), t * 1_000_000 + (i * KEYS + k) as u64))
                    .collect()
            };
            P {
                name: format!("plugin-{i}"),
                entities: Schema {
                    assets: map(0),
                    commands: map(1),
                    on: map(2),
                },
            }
        })
        .collect()
}

type Baseline = [HashMap<String, Vec<u64>>; 3];

fn baseline(plugins: &[P]) -> Baseline {
    let mut maps: Baseline = Default::default();
    for p in plugins {
        let e = &p.entities;
        for (t, inner) in [&e.assets, &e.commands, &e.on].into_iter().enumerate() {
            for (k, v) in inner.iter() {
                maps[t].entry(k.to_string()).or_default().push(*v);
            }
        }
    }
    maps
}

fn construction(c: &mut Criterion) {
    let plugins = plugins();
    let mut g = c.benchmark_group("construct 1000x3x100");
    g.sample_size(20);
    g.bench_function("baseline HashMap<String, Vec<V>>", |b| {
        b.iter_batched(
            || (),
            |()| baseline(black_box(&plugins)),
            BatchSize::PerIteration,
        )
    });
    g.bench_function("plinth Host::new", |b| {
        b.iter_batched(
            || (),
            |()| Host::from_plugins(black_box(plugins.iter())).unwrap(),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn get(c: &mut Criterion) {
    let plugins = plugins();
    let host = Host::from_plugins(plugins.iter()).unwrap();
    let base = baseline(&plugins);
    // A spread of shared and private keys, all present.
    let probes: Vec<String> = (0..1_000)
        .map(|i| key((i * 7919) % PLUGINS, i % KEYS))
        .collect();
    let mut g = c.benchmark_group("get x1000");
    g.bench_function("baseline HashMap::get", |b| {
        b.iter(|| {
            let mut n = 0;
            for k in &probes {
                n += base[0].get(black_box(k.as_str())).map_or(0, Vec::len);
            }
            n
        })
    });
    g.bench_function("plinth EntityCollection::get", |b| {
        b.iter(|| {
            let mut n = 0;
            for k in &probes {
                n += host.entities().assets.get(black_box(k.as_str())).len();
            }
            n
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default();
    targets = construction, get
}
criterion_main!(benches);
