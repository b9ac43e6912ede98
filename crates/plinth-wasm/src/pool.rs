//! The instances of one plugin and the calls into them.
//!
//! A component instance runs one call at a time, while hooks are called
//! from many threads: each plugin has `instances` shards, each a mutex
//! holding at most one store, made on demand and initialized with the
//! plugin's configuration before its first call. A thread tries its own
//! shard first (threads are spread over shards round-robin), then the
//! others, so that threads calling one plugin at once rarely touch the
//! same memory; an instance is made only when none is idle; when every
//! shard is busy a caller waits, until its deadline. A
//! call runs under an epoch deadline and the memory cap. A trap loses the
//! instance: it is dropped (its memory with it) and the next call in that
//! shard makes a fresh one. Traps in a row beyond the plugin's restart
//! bound fail the plugin.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::{Duration, Instant};

use wasmtime::component::{
    Component, ComponentExportIndex, ComponentNamedList, Instance, InstancePre, Lift, Lower,
    TypedFunc,
};
use wasmtime::{Store, Trap};

use crate::epoch::Epoch;
use crate::error::CallFailure;
use crate::host::{Shared, StoreData};
use crate::world::GuestWorld;

type Init = TypedFunc<(String,), (Result<(), String>,)>;
type Destroy = TypedFunc<(), (Result<(), String>,)>;
type OnHook = TypedFunc<(String, String), (Result<String, String>,)>;
type OnMessage = TypedFunc<(String, String), (Result<(), String>,)>;
type EntitiesFn = TypedFunc<(), (String,)>;
type AnswerFn =
    TypedFunc<(String, String, Option<String>, String), (Result<Option<String>, String>,)>;

/// The guest's exports, looked up once per component.
#[derive(Clone)]
pub(crate) struct Exports {
    initialize: ComponentExportIndex,
    destroy: Option<ComponentExportIndex>,
    on_hook: ComponentExportIndex,
    on_message: Option<ComponentExportIndex>,
    entities: Option<ComponentExportIndex>,
    answer: Option<ComponentExportIndex>,
}

impl Exports {
    pub fn find(component: &Component, world: &GuestWorld) -> Result<Exports, String> {
        let guest = component
            .get_export_index(None, &world.export)
            .ok_or_else(|| format!("no export {}", world.export))?;
        let get = |name: &str| component.get_export_index(Some(&guest), name);
        let required =
            |name: &str| get(name).ok_or_else(|| format!("{} exports no `{name}`", world.export));
        Ok(Exports {
            initialize: required("initialize")?,
            destroy: get("destroy"),
            on_hook: required("on-hook")?,
            on_message: get("on-message"),
            entities: get("entities"),
            answer: get("answer"),
        })
    }
}

/// One live instance with its typed entry points.
struct Slot {
    store: Store<StoreData>,
    destroy: Option<Destroy>,
    on_hook: OnHook,
    on_message: Option<OnMessage>,
    entities: Option<EntitiesFn>,
    answer: Option<AnswerFn>,
}

fn typed<P, R>(
    instance: &Instance,
    store: &mut Store<StoreData>,
    index: &ComponentExportIndex,
) -> Result<TypedFunc<P, R>, CallFailure>
where
    P: ComponentNamedList + Lower + Send + Sync + 'static,
    R: ComponentNamedList + Lift + Send + Sync + 'static,
{
    instance
        .get_typed_func(store, index)
        .map_err(|err| CallFailure::Trap(format!("export of the wrong type: {err:#}")))
}

fn optional<P, R>(
    instance: &Instance,
    store: &mut Store<StoreData>,
    index: Option<&ComponentExportIndex>,
) -> Result<Option<TypedFunc<P, R>>, CallFailure>
where
    P: ComponentNamedList + Lower + Send + Sync + 'static,
    R: ComponentNamedList + Lift + Send + Sync + 'static,
{
    index.map(|i| typed(instance, store, i)).transpose()
}

/// The limits of one plugin's calls.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallLimits {
    pub deadline_ticks: u64,
    pub deadline_ms: u64,
    pub fuel: Option<u64>,
    pub instances: usize,
    pub max_restarts: u32,
}

/// One plugin's instances.
pub(crate) struct Pool {
    epoch: Arc<Epoch>,
    pre: InstancePre<StoreData>,
    exports: Exports,
    shared: Arc<Shared>,
    limits: CallLimits,
    shards: Box<[Mutex<Option<Slot>>]>,
    /// Callers waiting for a shard: only then is there anyone to wake (a
    /// `notify` is a system call even with nobody waiting).
    waiting: AtomicUsize,
    wait: Mutex<()>,
    freed: Condvar,
    traps_in_a_row: AtomicU32,
    stopped: AtomicBool,
}

/// Sandboxed calls nested on one thread at most: a guest's call, and a
/// call it causes (a bus message it publishes). Each level may use a whole
/// wasm stack (wasmtime's 512 KiB) on the thread's native stack, which is
/// 2 MiB on tokio's and std's threads; deeper nesting, a plugin
/// republishing what it receives, would overflow it and abort the process.
const MAX_NESTED: usize = 2;

/// Hands each thread its first shard, round-robin.
static NEXT_THREAD: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// The pools this thread is inside a call of, each with the call's
    /// deadline: to catch a plugin calling itself back while its instances
    /// are all busy, and to bound a nested call's wait by its caller's
    /// deadline.
    static INSIDE: RefCell<Vec<(usize, Instant)>> = const { RefCell::new(Vec::new()) };
    /// This thread's place in the round-robin of shards.
    static THREAD: usize = NEXT_THREAD.fetch_add(1, Ordering::Relaxed);
}

/// How deep sandboxed calls are nested on this thread, when no call may
/// nest further.
pub(crate) fn nested_to_the_bound() -> Option<usize> {
    let depth = INSIDE.with(|inside| inside.borrow().len());
    (depth >= MAX_NESTED).then_some(depth)
}

/// This thread inside a call of one pool, until dropped (however the call
/// ends).
struct Entered;

impl Entered {
    /// Refuses a call that would nest deeper than [`MAX_NESTED`].
    fn check_depth() -> Result<(), CallFailure> {
        match nested_to_the_bound() {
            Some(depth) => Err(CallFailure::Nested(depth)),
            None => Ok(()),
        }
    }

    fn new(pool: usize, due: Instant) -> Entered {
        INSIDE.with(|inside| inside.borrow_mut().push((pool, due)));
        Entered
    }

    /// The earliest deadline of the calls this thread is inside, if any:
    /// a call nested in them cannot wait past it (its caller would be
    /// interrupted, and charged with the trap, meanwhile).
    fn outer_due() -> Option<Instant> {
        INSIDE.with(|inside| inside.borrow().iter().map(|&(_, due)| due).min())
    }
}

impl Drop for Entered {
    fn drop(&mut self) {
        INSIDE.with(|inside| inside.borrow_mut().pop());
    }
}

/// How long a waiting caller sleeps before looking at the shards again
/// (a wake-up can be missed between a look and the sleep).
const WAIT_SLICE: Duration = Duration::from_millis(1);

impl Pool {
    pub fn new(
        epoch: Arc<Epoch>,
        pre: InstancePre<StoreData>,
        exports: Exports,
        shared: Arc<Shared>,
        limits: CallLimits,
    ) -> Pool {
        shared.counters.pools.fetch_add(1, Ordering::Relaxed);
        Pool {
            epoch,
            pre,
            exports,
            shared,
            limits,
            shards: (0..limits.instances.max(1))
                .map(|_| Mutex::new(None))
                .collect(),
            waiting: AtomicUsize::new(0),
            wait: Mutex::new(()),
            freed: Condvar::new(),
            traps_in_a_row: AtomicU32::new(0),
            stopped: AtomicBool::new(false),
        }
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Lets go of the bus (see `WasmPlugin`'s `Drop`).
    pub fn release_bus(&self) {
        *self
            .shared
            .bus
            .write()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Makes and initializes an instance.
    fn make(&self) -> Result<Slot, CallFailure> {
        let mut store = Store::new(self.epoch.engine(), StoreData::new(self.shared.clone()));
        store.limiter(|data| data);
        self.arm(&mut store);
        let instance = self
            .pre
            .instantiate(&mut store)
            .map_err(|e| self.failure(e))?;
        let e = &self.exports;
        let init: Init = typed(&instance, &mut store, &e.initialize)?;
        let mut slot = Slot {
            destroy: optional(&instance, &mut store, e.destroy.as_ref())?,
            on_hook: typed(&instance, &mut store, &e.on_hook)?,
            on_message: optional(&instance, &mut store, e.on_message.as_ref())?,
            entities: optional(&instance, &mut store, e.entities.as_ref())?,
            answer: optional(&instance, &mut store, e.answer.as_ref())?,
            store,
        };
        match init.call(&mut slot.store, (self.shared.config.clone(),)) {
            Ok((Ok(()),)) => Ok(slot),
            Ok((Err(message),)) => Err(guest_error(&message)),
            Err(err) => Err(self.failure(err)),
        }
    }

    /// Sets the deadline (and fuel) of the next call.
    fn arm(&self, store: &mut Store<StoreData>) {
        self.epoch.arm(store, self.limits.deadline_ticks);
        store.data_mut().arm();
        if let Some(fuel) = self.limits.fuel {
            // Fuel is on in the engine whenever a limit is set.
            let _ = store.set_fuel(fuel);
        }
    }

    fn failure(&self, err: wasmtime::Error) -> CallFailure {
        match err.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => CallFailure::Deadline(self.limits.deadline_ms),
            Some(Trap::OutOfFuel) => CallFailure::Fuel,
            _ => CallFailure::Trap(format!("{err:#}")),
        }
    }

    /// Makes the first instance, so that a plugin whose `initialize` fails
    /// fails its start.
    pub fn start(&self) -> Result<(), CallFailure> {
        Entered::check_depth()?;
        let _entered = Entered::new(self.id(), self.due());
        let slot = self.make()?;
        *lock(&self.shards[0]) = Some(slot);
        Ok(())
    }

    /// When a call starting now must end: its deadline from now.
    fn due(&self) -> Instant {
        Instant::now() + Duration::from_millis(self.limits.deadline_ms)
    }

    fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// A free shard: this thread's own if free, else any free one, else
    /// one freed within the deadline.
    fn acquire(&self) -> Result<MutexGuard<'_, Option<Slot>>, CallFailure> {
        let n = self.shards.len();
        let first = THREAD.with(|t| *t) % n;
        // A free shard holding an instance, this thread's first; else a
        // free empty one (to make an instance in), so that no instance is
        // made while another is idle.
        let try_all = || {
            let mut empty = None;
            for i in 0..n {
                let guard = match self.shards[(first + i) % n].try_lock() {
                    Ok(guard) => guard,
                    Err(TryLockError::Poisoned(p)) => p.into_inner(),
                    Err(TryLockError::WouldBlock) => continue,
                };
                if guard.is_some() {
                    return Some(guard);
                }
                empty.get_or_insert(guard);
            }
            empty
        };
        if let Some(guard) = try_all() {
            return Ok(guard);
        }
        if INSIDE.with(|inside| inside.borrow().iter().any(|&(id, _)| id == self.id())) {
            return Err(CallFailure::Reentrant);
        }
        let until = self.due();
        let until = Entered::outer_due().map_or(until, |outer| outer.min(until));
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let mut wait = lock(&self.wait);
        let found = loop {
            if let Some(guard) = try_all() {
                break Ok(guard);
            }
            let now = Instant::now();
            if now >= until {
                break Err(CallFailure::Busy(n));
            }
            wait = self
                .freed
                .wait_timeout(wait, (until - now).min(WAIT_SLICE))
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        };
        drop(wait);
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        found
    }

    /// Wakes a waiting caller, if any.
    fn freed(&self) {
        if self.waiting.load(Ordering::SeqCst) > 0 {
            let _wait = lock(&self.wait);
            self.freed.notify_one();
        }
    }

    /// Runs `f` on an instance; a trap drops it and counts toward the
    /// restart bound.
    fn with_slot<R>(
        &self,
        f: impl FnOnce(&mut Slot) -> wasmtime::Result<Result<R, String>>,
    ) -> Result<R, CallFailure> {
        let outcome = self.in_shard(f);
        self.freed();
        match outcome {
            Ok(answer) => {
                // Read first: a store on every call would bounce the line
                // between the threads calling.
                if self.traps_in_a_row.load(Ordering::Relaxed) != 0 {
                    self.traps_in_a_row.store(0, Ordering::Relaxed);
                }
                answer.map_err(|message| guest_error(&message))
            }
            Err(failure) => Err(self.count(failure)),
        }
    }

    fn in_shard<R>(
        &self,
        f: impl FnOnce(&mut Slot) -> wasmtime::Result<Result<R, String>>,
    ) -> Result<Result<R, String>, CallFailure> {
        Entered::check_depth()?;
        let mut shard = self.acquire()?;
        if self.stopped.load(Ordering::Acquire) {
            return Err(CallFailure::Stopped);
        }
        // Entered before a new instance is made: its `initialize` runs
        // guest code too, which may publish.
        // Counted once it is sure to enter the guest: refused calls (busy,
        // stopped, nested) are not calls into it.
        self.shared.counters.calls.fetch_add(1, Ordering::Relaxed);
        let _entered = Entered::new(self.id(), self.due());
        let slot = match &mut *shard {
            Some(slot) => slot,
            empty => empty.insert(self.make()?),
        };
        // Armed again for the call: a store made for it spent its own
        // deadline and fuel on `initialize`, as the first instance does at
        // the start. (The caller may so wait two deadlines: one for the
        // instance, one for the call.)
        self.arm(&mut slot.store);
        let outcome = f(slot);
        outcome.map_err(|err| {
            // After a trap wasmtime refuses every further call into the
            // instance: drop it.
            *shard = None;
            self.failure(err)
        })
    }

    /// Counts a trap; beyond the restart bound it becomes `Exhausted`.
    fn count(&self, failure: CallFailure) -> CallFailure {
        if !failure.is_trap() {
            return failure;
        }
        self.shared.counters.traps.fetch_add(1, Ordering::Relaxed);
        let traps = self.traps_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
        if traps > self.limits.max_restarts {
            CallFailure::Exhausted {
                traps,
                bound: self.limits.max_restarts,
                last: Box::new(failure),
            }
        } else {
            failure
        }
    }

    pub fn on_hook(&self, hook: &str, payload: String) -> Result<String, CallFailure> {
        self.with_slot(|slot| {
            let (answer,) = slot
                .on_hook
                .call(&mut slot.store, (hook.to_owned(), payload))?;
            Ok(answer)
        })
    }

    pub fn on_message(&self, topic: &str, message: String) -> Result<(), CallFailure> {
        self.with_slot(|slot| match &slot.on_message {
            Some(f) => Ok(f.call(&mut slot.store, (topic.to_owned(), message))?.0),
            None => Ok(Ok(())),
        })
    }

    pub fn entities(&self) -> Result<String, CallFailure> {
        self.with_slot(|slot| match &slot.entities {
            Some(f) => Ok(Ok(f.call(&mut slot.store, ())?.0)),
            None => Ok(Ok("{}".to_owned())),
        })
    }

    /// Makes an instance of an extension the plugin declares: the guest's
    /// JSON answer, or `None` when it declines.
    pub fn answer(
        &self,
        point: &str,
        extension: &str,
        object: Option<&str>,
        data: String,
    ) -> Result<Option<String>, CallFailure> {
        self.with_slot(|slot| match &slot.answer {
            Some(f) => Ok(f
                .call(
                    &mut slot.store,
                    (
                        point.to_owned(),
                        extension.to_owned(),
                        object.map(str::to_owned),
                        data,
                    ),
                )?
                .0),
            None => Ok(Err(
                "declares an extension with a `wasm:` module but its component exports no `answer`"
                    .to_owned(),
            )),
        })
    }

    /// Stops the pool: no call starts any more; each instance's `destroy`
    /// runs (under the deadline) once its call, if any, has ended, and the
    /// instances are dropped. Returns the failures of `destroy`.
    pub fn stop(&self) -> Vec<CallFailure> {
        self.stopped.store(true, Ordering::Release);
        let mut failures = Vec::new();
        for shard in &self.shards {
            let Some(mut slot) = lock(shard).take() else {
                continue;
            };
            let Some(destroy) = slot.destroy else {
                continue;
            };
            // `destroy` runs guest code, which may publish, like any call.
            if let Err(nested) = Entered::check_depth() {
                failures.push(nested);
                continue;
            }
            let _entered = Entered::new(self.id(), self.due());
            self.arm(&mut slot.store);
            match destroy.call(&mut slot.store, ()) {
                Ok((Ok(()),)) => {}
                Ok((Err(message),)) => failures.push(guest_error(&message)),
                Err(err) => failures.push(self.failure(err)),
            }
        }
        let _wait = lock(&self.wait);
        self.freed.notify_all();
        failures
    }
}

impl Drop for Pool {
    fn drop(&mut self) {
        self.shared.counters.pools.fetch_sub(1, Ordering::Relaxed);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A guest's error text as the host keeps it: bounded and on one line, as
/// its log lines are, since it reaches the host's log and the plugin's
/// failure reason.
fn guest_error(message: &str) -> CallFailure {
    CallFailure::Guest(crate::logs::loggable(message))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A guest's error text reaches the host's log and the plugin's failure
    /// reason: on one line, and bounded, as its log lines are.
    #[test]
    fn a_guest_error_is_kept_on_one_line_and_bounded() {
        let CallFailure::Guest(text) = guest_error("bad\nERROR forged line") else {
            unreachable!()
        };
        assert_eq!(text, "bad\\nERROR forged line");
        let CallFailure::Guest(text) = guest_error(&"x".repeat(1 << 20)) else {
            unreachable!()
        };
        assert!(text.len() < 9 << 10, "{}", text.len());
        assert!(
            text.ends_with("bytes more)"),
            "{}",
            &text[text.len() - 40..]
        );
    }
}
