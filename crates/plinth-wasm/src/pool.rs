//! The instances of one plugin and the calls into them.
//!
//! A component instance runs one call at a time, while hooks are called
//! from many threads: each plugin has a pool of up to `instances` stores,
//! made on demand, each initialized with the plugin's configuration before
//! its first call. A call takes an idle instance (or makes one, or waits
//! for one until its deadline), runs under an epoch deadline and the
//! memory cap, and gives the instance back. A trap loses the instance: it
//! is dropped (its memory with it) and the next call makes a fresh one.
//! Traps in a row beyond the plugin's restart bound fail the plugin.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::time::{Duration, Instant};

use wasmtime::component::{
    Component, ComponentExportIndex, ComponentNamedList, Instance, InstancePre, Lift, Lower,
    TypedFunc,
};
use wasmtime::{Engine, Store, Trap};

use crate::error::CallFailure;
use crate::host::{Shared, StoreData};
use crate::world::GuestWorld;

type Init = TypedFunc<(String,), (Result<(), String>,)>;
type Destroy = TypedFunc<(), (Result<(), String>,)>;
type OnHook = TypedFunc<(String, String), (Result<String, String>,)>;
type OnMessage = TypedFunc<(String, String), (Result<(), String>,)>;
type EntitiesFn = TypedFunc<(), (String,)>;

/// The guest's exports, looked up once per component.
#[derive(Clone)]
pub(crate) struct Exports {
    initialize: ComponentExportIndex,
    destroy: Option<ComponentExportIndex>,
    on_hook: ComponentExportIndex,
    on_message: Option<ComponentExportIndex>,
    entities: Option<ComponentExportIndex>,
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

struct PoolState {
    idle: Vec<Slot>,
    /// Instances made and not yet dropped (idle or in a call).
    live: usize,
    /// Callers waiting for an instance: only then is there anyone to wake
    /// (a `notify` is a system call even with nobody waiting).
    waiting: usize,
}

/// One plugin's instances.
pub(crate) struct Pool {
    engine: Engine,
    pre: InstancePre<StoreData>,
    exports: Exports,
    shared: Arc<Shared>,
    limits: CallLimits,
    state: Mutex<PoolState>,
    freed: Condvar,
    traps_in_a_row: AtomicU32,
    stopped: AtomicBool,
}

thread_local! {
    /// The pools this thread is inside a call of, to catch a plugin
    /// calling itself back while its instances are all busy.
    static INSIDE: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

impl Pool {
    pub fn new(
        engine: Engine,
        pre: InstancePre<StoreData>,
        exports: Exports,
        shared: Arc<Shared>,
        limits: CallLimits,
    ) -> Pool {
        Pool {
            engine,
            pre,
            exports,
            shared,
            limits,
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                live: 0,
                waiting: 0,
            }),
            freed: Condvar::new(),
            traps_in_a_row: AtomicU32::new(0),
            stopped: AtomicBool::new(false),
        }
    }

    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Makes and initializes an instance.
    fn make(&self) -> Result<Slot, CallFailure> {
        let mut store = Store::new(&self.engine, StoreData::new(self.shared.clone()));
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
            store,
        };
        let config = self
            .shared
            .config
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match init.call(&mut slot.store, (config,)) {
            Ok((Ok(()),)) => Ok(slot),
            Ok((Err(message),)) => Err(CallFailure::Guest(message)),
            Err(err) => Err(self.failure(err)),
        }
    }

    /// Sets the deadline (and fuel) of the next call.
    fn arm(&self, store: &mut Store<StoreData>) {
        store.set_epoch_deadline(self.limits.deadline_ticks);
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
        let slot = self.make()?;
        let mut state = self.lock();
        state.live += 1;
        state.idle.push(slot);
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn id(&self) -> usize {
        std::ptr::from_ref(self) as usize
    }

    /// Takes an idle instance, makes one, or waits for one.
    fn acquire(&self) -> Result<Slot, CallFailure> {
        let mut deadline = None;
        let mut state = self.lock();
        loop {
            if self.stopped.load(Ordering::Acquire) {
                return Err(CallFailure::Stopped);
            }
            if let Some(slot) = state.idle.pop() {
                return Ok(slot);
            }
            if state.live < self.limits.instances {
                state.live += 1;
                drop(state);
                return self.make().inspect_err(|_| self.lost());
            }
            if INSIDE.with(|inside| inside.borrow().contains(&self.id())) {
                return Err(CallFailure::Reentrant);
            }
            let now = Instant::now();
            let until = *deadline
                .get_or_insert_with(|| now + Duration::from_millis(self.limits.deadline_ms));
            if now >= until {
                return Err(CallFailure::Busy(self.limits.instances));
            }
            state.waiting += 1;
            state = self
                .freed
                .wait_timeout(state, until - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            state.waiting -= 1;
        }
    }

    fn release(&self, slot: Slot) {
        let mut state = self.lock();
        let stopped = self.stopped.load(Ordering::Acquire);
        if stopped {
            state.live -= 1;
        } else {
            state.idle.push(slot);
        }
        let wake = state.waiting > 0;
        drop(state);
        if wake {
            self.freed.notify_one();
        }
    }

    /// An instance was dropped (trapped, or failed to start).
    fn lost(&self) {
        let mut state = self.lock();
        state.live -= 1;
        let wake = state.waiting > 0;
        drop(state);
        if wake {
            self.freed.notify_one();
        }
    }

    /// Runs `f` on an instance; a trap drops it and counts toward the
    /// restart bound.
    fn with_slot<R>(
        &self,
        f: impl FnOnce(&mut Slot) -> wasmtime::Result<Result<R, String>>,
    ) -> Result<R, CallFailure> {
        let counters = &self.shared.counters;
        counters.calls.fetch_add(1, Ordering::Relaxed);
        let mut slot = match self.acquire() {
            Ok(slot) => slot,
            Err(e) => return Err(self.count(e)),
        };
        self.arm(&mut slot.store);
        INSIDE.with(|inside| inside.borrow_mut().push(self.id()));
        let outcome = f(&mut slot);
        INSIDE.with(|inside| inside.borrow_mut().pop());
        match outcome {
            Ok(answer) => {
                self.release(slot);
                self.traps_in_a_row.store(0, Ordering::Relaxed);
                answer.map_err(CallFailure::Guest)
            }
            Err(err) => {
                // After a trap wasmtime refuses every further call into
                // the instance: drop it.
                drop(slot);
                self.lost();
                Err(self.count(self.failure(err)))
            }
        }
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

    /// Stops the pool: no call starts any more; each idle instance's
    /// `destroy` runs (under the deadline) and the instances are dropped.
    /// Instances in a call are dropped when their call ends. Returns the
    /// failures of `destroy`.
    pub fn stop(&self) -> Vec<CallFailure> {
        self.stopped.store(true, Ordering::Release);
        let idle = {
            let mut state = self.lock();
            let idle = std::mem::take(&mut state.idle);
            state.live -= idle.len();
            idle
        };
        self.freed.notify_all();
        let mut failures = Vec::new();
        for mut slot in idle {
            let Some(destroy) = slot.destroy else {
                continue;
            };
            self.arm(&mut slot.store);
            match destroy.call(&mut slot.store, ()) {
                Ok((Ok(()),)) => {}
                Ok((Err(message),)) => failures.push(CallFailure::Guest(message)),
                Err(err) => failures.push(self.failure(err)),
            }
        }
        failures
    }
}
