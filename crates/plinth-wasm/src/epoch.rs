//! The epoch ticker: call deadlines are counted in its ticks. It dozes
//! while no call runs, so that an idle sandbox (or one with no plugins)
//! costs no wake-ups, and the first call after a doze wakes it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Engine, Store};

/// How often the epoch advances: the granularity of call deadlines.
pub(crate) const TICK: Duration = Duration::from_millis(2);

/// What the ticker and the callers share.
pub(crate) struct Epoch {
    engine: Engine,
    /// A call was armed since the ticker last looked.
    active: AtomicBool,
    /// The ticker is parked, or about to park.
    dozing: AtomicBool,
    stop: AtomicBool,
    /// Ticks without a call after which the ticker dozes: more than the
    /// longest deadline, so that a call armed before the last tick that saw
    /// one has reached its deadline (and been interrupted) by then.
    doze_after: u64,
    thread: std::sync::OnceLock<std::thread::Thread>,
}

impl Epoch {
    /// The engine whose epoch advances.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Gives `store`'s next call a deadline `ticks` from now, waking the
    /// ticker if it dozes. While calls keep coming this is one relaxed
    /// load: the flag is already set.
    pub fn arm<T>(&self, store: &mut Store<T>, ticks: u64) {
        store.set_epoch_deadline(ticks);
        if !self.active.load(Ordering::Relaxed) {
            // Paired with the ticker's store of `dozing` then swap of
            // `active` (all SeqCst): either the ticker sees this call and
            // stays awake, or this sees it dozing and wakes it.
            self.active.store(true, Ordering::SeqCst);
            if self.dozing.load(Ordering::SeqCst)
                && let Some(thread) = self.thread.get()
            {
                thread.unpark();
            }
        }
    }
}

/// Owns the ticker's thread: stops and joins it when dropped.
pub(crate) struct Ticker {
    epoch: Arc<Epoch>,
    thread: Option<JoinHandle<()>>,
}

impl Ticker {
    /// Starts the ticker for `engine`, dozing until the first call. Calls'
    /// deadlines must not exceed `longest`.
    ///
    /// # Errors
    /// When the thread cannot be started: without it no deadline would
    /// ever be enforced, so there is no sandbox to build.
    pub fn start(engine: Engine, longest: Duration) -> std::io::Result<Ticker> {
        let ticks = longest.as_millis().div_ceil(TICK.as_millis().max(1));
        let epoch = Arc::new(Epoch {
            engine,
            active: AtomicBool::new(false),
            dozing: AtomicBool::new(false),
            stop: AtomicBool::new(false),
            doze_after: u64::try_from(ticks).unwrap_or(u64::MAX).saturating_add(2),
            thread: std::sync::OnceLock::new(),
        });
        let shared = epoch.clone();
        let thread = std::thread::Builder::new()
            .name("plinth-wasm-epoch".into())
            .spawn(move || run(&shared))?;
        let _ = epoch.thread.set(thread.thread().clone());
        Ok(Ticker {
            epoch,
            thread: Some(thread),
        })
    }

    /// The state calls arm their deadlines with.
    pub fn epoch(&self) -> &Arc<Epoch> {
        &self.epoch
    }
}

fn run(epoch: &Epoch) {
    // No call has been armed yet: nothing to interrupt.
    let mut idle = epoch.doze_after;
    while !epoch.stop.load(Ordering::Acquire) {
        if idle >= epoch.doze_after {
            epoch.dozing.store(true, Ordering::SeqCst);
            if !epoch.active.swap(false, Ordering::SeqCst) && !epoch.stop.load(Ordering::Acquire) {
                // Woken by a call, by the drop, or spuriously: each is
                // followed by a full round of ticks.
                std::thread::park();
            }
            epoch.dozing.store(false, Ordering::SeqCst);
            idle = 0;
            continue;
        }
        std::thread::sleep(TICK);
        epoch.engine.increment_epoch();
        if epoch.active.swap(false, Ordering::SeqCst) {
            idle = 0;
        } else {
            idle += 1;
        }
    }
}

impl Drop for Ticker {
    fn drop(&mut self) {
        self.epoch.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Engine {
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        Engine::new(&config).unwrap()
    }

    /// Arms `store` and waits until its deadline has passed, i.e. until the
    /// epoch has advanced `ticks` (a fresh engine's epoch is read through
    /// the deadline callback, which wasmtime calls once the epoch passes
    /// it).
    fn epoch_reaches_deadline(epoch: &Epoch, ticks: u64) -> bool {
        let mut store = Store::new(epoch.engine(), ());
        let reached = Arc::new(AtomicBool::new(false));
        let flag = reached.clone();
        store.epoch_deadline_callback(move |_| {
            flag.store(true, Ordering::SeqCst);
            Ok(wasmtime::UpdateDeadline::Continue(1))
        });
        epoch.arm(&mut store, ticks);
        // A guest loop would observe the deadline; here a looping module
        // stands for one.
        let module = wasmtime::Module::new(
            epoch.engine(),
            r#"(module (func (export "spin") (param i32) (result i32)
                 (local $n i32)
                 (loop $l (local.set $n (i32.add (local.get $n) (i32.const 1)))
                   (br_if $l (i32.lt_u (local.get $n) (local.get 0))))
                 (local.get $n)))"#,
        )
        .unwrap();
        let instance = wasmtime::Instance::new(&mut store, &module, &[]).unwrap();
        let spin = instance
            .get_typed_func::<i32, i32>(&mut store, "spin")
            .unwrap();
        let started = std::time::Instant::now();
        while !reached.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(5) {
            spin.call(&mut store, 1_000_000).unwrap();
        }
        reached.load(Ordering::SeqCst)
    }

    #[test]
    fn a_call_wakes_the_dozing_ticker_and_it_dozes_again() {
        let ticker = Ticker::start(engine(), Duration::from_millis(10)).unwrap();
        let epoch = ticker.epoch().clone();
        // Dozing from the start: no call, no ticks.
        std::thread::sleep(TICK * 5);
        assert!(epoch.dozing.load(Ordering::SeqCst));
        // A call's deadline is reached: the ticker woke.
        assert!(epoch_reaches_deadline(&epoch, 3));
        // With no calls for longer than the longest deadline, it dozes.
        let started = std::time::Instant::now();
        while !epoch.dozing.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(TICK);
        }
        assert!(epoch.dozing.load(Ordering::SeqCst));
        // And wakes again.
        assert!(epoch_reaches_deadline(&epoch, 3));
        drop(ticker); // joins the thread, dozing or not
    }
}
