//! plinth-hooks against its floors, each pair in one run.
//!
//! - `sync_filter/{plinth,vec_box_fn}/{1,10,100}`: the waterfall against a
//!   plain `Vec<Box<dyn Fn>>` fold (the floor, which the goal is judged
//!   against); `arcswap_vec_arc_fn` is a second, more realistic baseline:
//!   the same closures made fallible (`Arc<dyn Fn(u64) -> Result<..>>`, as a
//!   hook must store them) in a snapshot read through `ArcSwap::load`, i.e.
//!   what a hand-written lock-free registry without owners, ordering, panic
//!   containment or interceptors would cost;
//! - `many_hooks_32x10/{plinth,vec_box_fn}`: 32 hooks of 10 callbacks called
//!   in turn (as a request passes through an application's filters), so
//!   that a hook's cached snapshot must survive calls of the others;
//! - `sync_filter/plinth_caller/{1,10,100}`: the same hook called through a
//!   `FilterCaller`, the handle that keeps the snapshot between calls (no
//!   thread-local lookup);
//! - `async_filter_10/{plinth,boxed_futures}`: 5 sync + 5 truly async
//!   callbacks (each async one is pending once) against a hand-written
//!   waterfall of boxed futures, both driven by a minimal poll loop (the
//!   crate is runtime-agnostic; `futures_executor::block_on` would add its
//!   thread-parking cost to both sides equally);
//! - `threads/...`: the 10-callback sync filter on 1 thread, on 2 threads at
//!   once, on 2 threads while a third registers and unregisters without
//!   pause, and a `RwLock<Vec<_>>` registry on 2 threads for comparison;
//!   `plinth_caller_{1,2}_thread` do the same through one `FilterCaller`
//!   per thread.
//!   Each sample is the wall time for every thread to make `iters` calls,
//!   so 2-thread throughput / 1-thread throughput = 2 * t(1) / t(2);
//! - `registration/constrained_2000`: 2,000 registrations on one hook, each
//!   named, at one of five priorities and `after` an earlier one, so every
//!   registration re-orders the whole list under its constraints (the
//!   figure is for all 2,000 together); `registration/plain_2000`, the same
//!   without constraints, is its floor.
//!
//! Node figures (tapable, the seed's HookRegistry) come from `bench/hooks`.
#![allow(missing_docs)] // criterion_group! generates undocumented items.

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier, RwLock};
use std::task::{Context, Poll};
use std::thread;
use std::time::{Duration, Instant};

use arc_swap::ArcSwap;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use futures_util::future::BoxFuture;
use plinth_hooks::{BoxError, Filter, Hook, PluginUrn, Tap};

fn urn() -> PluginUrn {
    PluginUrn::new("bench").expect("non-empty")
}

/// The same arithmetic for every side: callback `i` maps `x` to `x * 3 + i`.
fn step(x: u64, i: u64) -> u64 {
    x.wrapping_mul(3).wrapping_add(i)
}

fn plinth_filter(n: u64) -> Filter<u64> {
    let hook = Filter::new("bench");
    for i in 0..n {
        hook.tap(urn(), move |x| step(x, i));
    }
    hook
}

fn floor(n: u64) -> Vec<Box<dyn Fn(u64) -> u64 + Send + Sync>> {
    (0..n)
        .map(|i| Box::new(move |x| step(x, i)) as Box<dyn Fn(u64) -> u64 + Send + Sync>)
        .collect()
}

type ArcStep = Arc<dyn Fn(u64) -> Result<u64, BoxError> + Send + Sync>;

fn arcswap_baseline(n: u64) -> ArcSwap<Vec<ArcStep>> {
    ArcSwap::from_pointee(
        (0..n)
            .map(|i| Arc::new(move |x| Ok(step(x, i))) as ArcStep)
            .collect(),
    )
}

fn sync_filter(c: &mut Criterion) {
    let mut group = c.benchmark_group("sync_filter");
    for n in [1u64, 10, 100] {
        let hook = plinth_filter(n);
        let callbacks = floor(n);
        let swapped = arcswap_baseline(n);
        group.bench_with_input(BenchmarkId::new("vec_box_fn", n), &n, |b, _| {
            b.iter(|| callbacks.iter().fold(black_box(1u64), |x, f| f(x)))
        });
        group.bench_with_input(BenchmarkId::new("arcswap_vec_arc_fn", n), &n, |b, _| {
            b.iter(|| swapped.load().iter().try_fold(black_box(1u64), |x, f| f(x)))
        });
        group.bench_with_input(BenchmarkId::new("plinth", n), &n, |b, _| {
            b.iter(|| hook.call(black_box(1u64)))
        });
        let mut caller = hook.caller();
        group.bench_with_input(BenchmarkId::new("plinth_caller", n), &n, |b, _| {
            b.iter(|| caller.call(black_box(1u64)))
        });
    }
    group.finish();
}

/// Hooks called in turn, as a request passing through an application's
/// filters: 32 hooks of 10 callbacks, each called once per iteration,
/// against 32 floors. The figure is per iteration (32 calls).
fn many_hooks(c: &mut Criterion) {
    let mut group = c.benchmark_group("many_hooks_32x10");
    let hooks: Vec<Filter<u64>> = (0..32).map(|_| plinth_filter(10)).collect();
    let floors: Vec<_> = (0..32).map(|_| floor(10)).collect();
    group.bench_function("vec_box_fn", |b| {
        b.iter(|| {
            floors.iter().fold(black_box(1u64), |x, callbacks| {
                callbacks.iter().fold(x, |x, f| f(x))
            })
        })
    });
    group.bench_function("plinth", |b| {
        b.iter(|| {
            hooks
                .iter()
                .try_fold(black_box(1u64), |x, hook| hook.call(x))
        })
    });
    group.finish();
}

/// Pending once, then ready: forces a real suspension through the executor.
struct YieldOnce(bool);
impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Polls to completion with a no-op waker: the cheapest possible executor,
/// so the figure is the hook's own cost plus real suspensions.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = Context::from_waker(std::task::Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

type AsyncStep = Box<dyn Fn(u64) -> BoxFuture<'static, Result<u64, BoxError>> + Send + Sync>;

fn async_filter(c: &mut Criterion) {
    let mut group = c.benchmark_group("async_filter_10");
    let hook = Filter::<u64>::new("bench");
    let mut boxed: Vec<AsyncStep> = Vec::new();
    for i in 0..10u64 {
        if i % 2 == 0 {
            hook.tap(urn(), move |x| step(x, i));
            boxed.push(Box::new(move |x| Box::pin(async move { Ok(step(x, i)) })));
        } else {
            hook.tap_async(urn(), move |x| {
                Box::pin(async move {
                    YieldOnce(false).await;
                    *x = step(*x, i);
                    Ok(())
                })
            });
            boxed.push(Box::new(move |x| {
                Box::pin(async move {
                    YieldOnce(false).await;
                    Ok(step(x, i))
                })
            }));
        }
    }
    group.bench_function("boxed_futures", |b| {
        b.iter(|| {
            block_on(async {
                let mut x = black_box(1u64);
                for f in &boxed {
                    x = f(x).await?;
                }
                Ok::<_, BoxError>(x)
            })
        })
    });
    group.bench_function("plinth", |b| {
        b.iter(|| block_on(hook.call_async(black_box(1u64))))
    });
    group.finish();
}

/// Wall time for `threads` threads to each run `work(iters)` (which makes
/// `iters` calls).
fn run_threads(threads: usize, iters: u64, work: &(dyn Fn(u64) + Sync)) -> Duration {
    let barrier = Barrier::new(threads + 1);
    thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                barrier.wait();
                work(iters);
            });
        }
        barrier.wait();
        let start = Instant::now();
        // Scoped threads are joined when the scope ends.
        start
    })
    .elapsed()
}

fn threads(c: &mut Criterion) {
    let mut group = c.benchmark_group("threads");
    let hook = Arc::new(plinth_filter(10));
    let locked = RwLock::new(floor(10));

    group.bench_function("plinth_1_thread", |b| {
        b.iter_custom(|iters| {
            run_threads(1, iters, &|iters| {
                for _ in 0..iters {
                    black_box(hook.call(black_box(1)).ok());
                }
            })
        })
    });
    group.bench_function("plinth_2_threads", |b| {
        b.iter_custom(|iters| {
            run_threads(2, iters, &|iters| {
                for _ in 0..iters {
                    black_box(hook.call(black_box(1)).ok());
                }
            })
        })
    });
    for threads in [1, 2] {
        group.bench_function(format!("plinth_caller_{threads}_thread"), |b| {
            b.iter_custom(|iters| {
                run_threads(threads, iters, &|iters| {
                    let mut caller = hook.caller();
                    for _ in 0..iters {
                        black_box(caller.call(black_box(1)).ok());
                    }
                })
            })
        });
    }
    group.bench_function("rwlock_2_threads", |b| {
        b.iter_custom(|iters| {
            run_threads(2, iters, &|iters| {
                for _ in 0..iters {
                    let callbacks = locked.read().unwrap_or_else(|e| e.into_inner());
                    black_box(callbacks.iter().fold(black_box(1u64), |x, f| f(x)));
                }
            })
        })
    });
    group.bench_function("plinth_2_threads_with_churn", |b| {
        let stop = AtomicBool::new(false);
        thread::scope(|s| {
            s.spawn(|| {
                while !stop.load(Ordering::Relaxed) {
                    let h = hook.tap(urn(), |x| x);
                    hook.unregister(&h);
                }
            });
            b.iter_custom(|iters| {
                run_threads(2, iters, &|iters| {
                    for _ in 0..iters {
                        black_box(hook.call(black_box(1)).ok());
                    }
                })
            });
            stop.store(true, Ordering::Relaxed);
        });
    });
    group.finish();
}

/// 2,000 registrations on one hook. Each one copies and re-orders the
/// hook's list; with constraints, that is a topological sort over every
/// registration so far. `plain_2000` (the same names and priorities, no
/// constraints) is the floor: the copy and the priority sort alone.
fn registration(c: &mut Criterion) {
    let mut group = c.benchmark_group("registration");
    group.sample_size(10);
    for constrained in [false, true] {
        let id = if constrained {
            "constrained_2000"
        } else {
            "plain_2000"
        };
        group.bench_function(id, |b| {
            b.iter(|| {
                let hook = Filter::<u64>::new("bench");
                for i in 0..2000u32 {
                    let mut tap = Tap::new(urn())
                        .name(format!("t{i}"))
                        .priority((i % 5) as i32);
                    if constrained {
                        tap = tap.after(format!("t{}", i / 2));
                    }
                    hook.tap(tap, move |x| step(x, u64::from(i)));
                }
                hook
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    sync_filter,
    many_hooks,
    async_filter,
    threads,
    registration
);
criterion_main!(benches);
