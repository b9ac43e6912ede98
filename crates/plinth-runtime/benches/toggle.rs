//! The cost of a toggle (disable + enable of one plugin among 1,000, with a
//! baseline among 10), and hook dispatch throughput with and without a
//! thread toggling a plugin meanwhile.
#![allow(missing_docs)]

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use plinth_core::{DynamicEntities, Entities};
use plinth_hooks::{Filter, Key};
use plinth_runtime::{Context, Manager, Metadata, Plugin};
use serde_json::{Value, json};
use tokio::runtime::Runtime;

const DISPATCH: Key<Filter<u64>> = Key::new("bench:dispatch");

/// Each plugin taps its own hook (so the registry holds one hook per
/// plugin, as an application with many plugins would) and, when asked,
/// the dispatch hook.
struct Bench {
    name: String,
    on_dispatch: bool,
}

impl Plugin for Bench {
    fn metadata(&self) -> Metadata {
        Metadata::new(self.name.clone(), "1.0.0")
    }
    fn initialize(&mut self, ctx: &Context) -> Result<(), plinth_hooks::BoxError> {
        ctx.hooks()
            .on(&Key::<Filter<u64>>::named(format!("own:{}", self.name)))?
            .tap(|n| n + 1);
        if self.on_dispatch {
            ctx.hooks()
                .on(&DISPATCH)?
                .tap(|n| n.wrapping_mul(31).wrapping_add(7));
        }
        Ok(())
    }
    fn entities(&self) -> DynamicEntities<Value> {
        let mut e = DynamicEntities::new();
        e.insert("members", Entities::from([(self.name.as_str(), json!(1))]));
        e
    }
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// `n` plugins; `p0..p9` and the toggled one tap the dispatch hook.
fn manager(rt: &Runtime, n: usize, toggled: &str) -> Manager {
    let mut manager = Manager::new();
    for i in 0..n {
        let name = format!("p{i}");
        let on_dispatch = i < 10 || name == toggled;
        manager.register(Bench { name, on_dispatch }).unwrap();
    }
    rt.block_on(manager.initialize_all()).unwrap();
    manager
}

fn toggle(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("toggle");
    for (n, target) in [(10, "p5"), (1000, "p500")] {
        let mut m = manager(&rt, n, target);
        group.bench_function(format!("among_{n}"), |b| {
            b.iter(|| {
                rt.block_on(async {
                    m.disable(target).await.unwrap();
                    m.enable(target).await.unwrap();
                })
            })
        });
    }
    group.finish();
}

fn dispatch(c: &mut Criterion) {
    let rt = runtime();
    let mut m = manager(&rt, 1000, "p500");
    let hook = m.hooks().hook(&DISPATCH).unwrap();
    let mut group = c.benchmark_group("dispatch");
    group.bench_function("quiet", |b| b.iter(|| hook.call(black_box(1)).unwrap()));

    // Control: a thread that only burns CPU, to separate the machine's
    // contention (2 cores shared with builds) from the cost of toggling.
    let stop = Arc::new(AtomicBool::new(false));
    let s = stop.clone();
    let busy = std::thread::spawn(move || {
        let mut x = 0u64;
        while !s.load(Ordering::Relaxed) {
            x = black_box(x.wrapping_add(1));
        }
    });
    group.bench_function("during_busy_thread", |b| {
        b.iter(|| hook.call(black_box(1)).unwrap())
    });
    stop.store(true, Ordering::Relaxed);
    busy.join().unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let toggles = Arc::new(AtomicU64::new(0));
    let (s, t) = (stop.clone(), toggles.clone());
    let churn = std::thread::spawn(move || {
        let rt = runtime();
        while !s.load(Ordering::Relaxed) {
            rt.block_on(async {
                m.disable("p500").await.unwrap();
                m.enable("p500").await.unwrap();
            });
            t.fetch_add(1, Ordering::Relaxed);
        }
    });
    group.bench_function("during_toggle_churn", |b| {
        b.iter(|| hook.call(black_box(1)).unwrap())
    });
    stop.store(true, Ordering::Relaxed);
    churn.join().unwrap();
    println!(
        "churn thread completed {} toggles",
        toggles.load(Ordering::Relaxed)
    );
    group.finish();
}

criterion_group!(benches, toggle, dispatch);
criterion_main!(benches);
