//! What the host offers a guest (`plinth:plugin/host`): the store's data,
//! the memory accounting, and the imports, each checked against the
//! plugin's capabilities.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::bridge::HookBridge;
use plinth_runtime::PluginBus;
use wasmtime::component::{ComponentType, Lift, Linker};
use wasmtime::{ResourceLimiter, StoreContextMut};

use crate::disk::Disk;
use crate::error::shown;
use crate::files;
use crate::grants::Capabilities;
use crate::kv::Kv;
use crate::logs::{Admit, LogBudget, loggable};
use crate::net;
use crate::world::{WORLD_PACKAGE, WORLD_VERSION};

/// The most bytes of one bus message: parsed, its JSON tree takes many
/// times its text.
const MAX_MESSAGE: usize = 1 << 20;
/// The most random bytes per call.
const MAX_RANDOM: u32 = 4096;
/// Elements per table.
const MAX_TABLE: usize = 100_000;
// Core instances, memories and tables per store. A component has a few of
// each (the Python guest's has the most: 38 core instances, 1 memory, 2
// tables); wasmtime's defaults of 10,000 would let a guest reserve address
// space (every memory reserves gigabytes of it) until the host's own
// mappings fail.
/// Core instances per store.
const MAX_CORE_INSTANCES: usize = 100;
/// Memories per store.
const MAX_MEMORIES: usize = 10;
/// Tables per store.
const MAX_TABLES: usize = 20;

/// Per-plugin counters, shared by all of its instances.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub calls: AtomicU64,
    pub traps: AtomicU64,
    pub denied: AtomicU64,
    pub instances: AtomicUsize,
    pub memory: AtomicUsize,
    /// What the plugin's key-value store holds, as its quota counts it.
    pub kv_bytes: AtomicUsize,
    /// What the plugin's files take, as its disk quota counts them.
    pub disk_bytes: AtomicU64,
    /// Log lines (and denial warnings) dropped over the plugin's rate.
    pub logs_dropped: AtomicU64,
    /// Pools alive: 1 while the plugin runs; more, or 1 after it stopped,
    /// means a pool is kept alive by a reference cycle.
    pub pools: AtomicUsize,
}

/// What every instance of one plugin shares with the host.
#[derive(Debug)]
pub(crate) struct Shared {
    pub name: String,
    pub span: tracing::Span,
    pub caps: Capabilities,
    pub memory_cap: usize,
    pub deadline: Duration,
    pub config: String,
    pub bus: RwLock<Option<PluginBus>>,
    /// The topics its manifest's `[bus] publish` declares.
    pub publish: Vec<String>,
    /// The application's offer, for the types of its topics.
    pub bridge: Arc<HookBridge>,
    pub kv: Arc<Mutex<Kv>>,
    /// The plugin's allowance of log lines.
    pub logs: LogBudget,
    /// The plugin's disk quota over its writable directories.
    pub disk: Disk,
    /// Its name lookups in progress (see [`net::MAX_LOOKUPS`]), counted
    /// across its restarts: a lookup outlives the call that made it.
    pub lookups: Arc<AtomicUsize>,
    /// Its HTTP client, whose connections its requests share.
    pub http: net::Client,
    pub counters: Arc<Counters>,
}

impl Shared {
    /// Counts and logs a denied attempt; the message is the guest's error.
    pub(crate) fn deny(&self, what: String) -> String {
        self.counters.denied.fetch_add(1, Ordering::Relaxed);
        // The guest's strings in `what` are `shown` (cut) already; this
        // keeps it on one line.
        let what = loggable(&what);
        // A guest could repeat a denied attempt to flood the log: the
        // warning is a line of the plugin's, within its rate.
        self.log(Level::Warn, || format!("capability denied: {what}"));
        format!("denied: plugin {:?} is not granted {what}", self.name)
    }

    /// Logs the line `message` makes at `level` in the plugin's span, if
    /// the subscriber wants it and the plugin is within its rate. Lines
    /// the subscriber would discard do not count against the rate.
    pub(crate) fn log(&self, level: Level, message: impl FnOnce() -> String) {
        // In the span: a filter may be scoped to it.
        self.span.in_scope(|| {
            if !level.enabled() {
                return;
            }
            let Admit::Log { dropped } = self.logs.admit(&self.counters) else {
                return;
            };
            if dropped > 0 {
                tracing::warn!(
                    plugin = %self.name,
                    "{dropped} log lines dropped: over the limit of {} a second",
                    self.logs.rate()
                );
            }
            let message = message();
            match level {
                Level::Trace => tracing::trace!(plugin = %self.name, "{message}"),
                Level::Debug => tracing::debug!(plugin = %self.name, "{message}"),
                Level::Info => tracing::info!(plugin = %self.name, "{message}"),
                Level::Warn => tracing::warn!(plugin = %self.name, "{message}"),
                Level::Error => tracing::error!(plugin = %self.name, "{message}"),
            }
        });
    }
}

/// A store's data: the plugin, and how much linear memory this store holds
/// (given back to the plugin's count when the store is dropped).
pub(crate) struct StoreData {
    pub plugin: Arc<Shared>,
    memory: usize,
    /// When the current call's deadline passes. The epoch interrupts the
    /// guest, not a host function it waits in: those bound their own waits
    /// by what is left.
    due: Instant,
}

impl StoreData {
    pub fn new(plugin: Arc<Shared>) -> Self {
        plugin.counters.instances.fetch_add(1, Ordering::Relaxed);
        let due = Instant::now() + plugin.deadline;
        StoreData {
            plugin,
            memory: 0,
            due,
        }
    }

    /// Starts a call's deadline.
    pub fn arm(&mut self) {
        self.due = Instant::now() + self.plugin.deadline;
    }
}

impl Drop for StoreData {
    fn drop(&mut self) {
        let c = &self.plugin.counters;
        c.memory.fetch_sub(self.memory, Ordering::Relaxed);
        c.instances.fetch_sub(1, Ordering::Relaxed);
    }
}

impl ResourceLimiter for StoreData {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Checked: a 64-bit memory may ask for nearly `usize::MAX`, which
        // wrapped around would pass the cap.
        let total = (self.memory.saturating_sub(current)).checked_add(desired);
        let within = total.is_some_and(|t| t <= self.plugin.memory_cap)
            && maximum.is_none_or(|m| desired <= m);
        if !within {
            // A trap, not a failed grow: guests rarely handle the latter,
            // and the instance is replaced anyway.
            return Err(wasmtime::format_err!(
                "memory cap of {} MiB reached",
                self.plugin.memory_cap >> 20
            ));
        }
        let grown = desired.saturating_sub(current);
        self.memory += grown;
        self.plugin
            .counters
            .memory
            .fetch_add(grown, Ordering::Relaxed);
        Ok(true)
    }

    /// A grow that failed after [`memory_growing`](Self::memory_growing)
    /// allowed it was counted but never made: the instance traps, and its
    /// store, dropped, gives the count back whole.
    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        Err(error.context("memory grow failed"))
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= MAX_TABLE)
    }

    fn instances(&self) -> usize {
        MAX_CORE_INSTANCES
    }

    fn memories(&self) -> usize {
        MAX_MEMORIES
    }

    fn tables(&self) -> usize {
        MAX_TABLES
    }
}

// All but `Warn` are made only by wasmtime, lifting the guest's argument.
#[allow(dead_code)]
#[derive(ComponentType, Lift, Clone, Copy, Debug)]
#[component(enum)]
#[repr(u8)]
pub(crate) enum Level {
    #[component(name = "trace")]
    Trace,
    #[component(name = "debug")]
    Debug,
    #[component(name = "info")]
    Info,
    #[component(name = "warn")]
    Warn,
    #[component(name = "error")]
    Error,
}

impl Level {
    /// Whether the subscriber wants events of this level from here.
    fn enabled(self) -> bool {
        match self {
            Level::Trace => tracing::enabled!(tracing::Level::TRACE),
            Level::Debug => tracing::enabled!(tracing::Level::DEBUG),
            Level::Info => tracing::enabled!(tracing::Level::INFO),
            Level::Warn => tracing::enabled!(tracing::Level::WARN),
            Level::Error => tracing::enabled!(tracing::Level::ERROR),
        }
    }
}

type Cx<'a> = StoreContextMut<'a, StoreData>;

/// The name the host interface is defined under.
pub(crate) fn host_interface() -> String {
    format!("{WORLD_PACKAGE}/host@{WORLD_VERSION}")
}

/// Defines `plinth:plugin/host` in `linker`.
pub(crate) fn define(linker: &mut Linker<StoreData>) -> wasmtime::Result<()> {
    let mut host = linker.instance(&host_interface())?;
    host.func_wrap("log", |cx: Cx<'_>, (level, message): (Level, String)| {
        cx.data().plugin.log(level, || loggable(&message));
        Ok(())
    })?;
    host.func_wrap("config", |cx: Cx<'_>, (): ()| {
        Ok((cx.data().plugin.config.clone(),))
    })?;
    host.func_wrap(
        "publish",
        |cx: Cx<'_>, (topic, message): (String, String)| {
            Ok((publish(&cx.data().plugin, &topic, &message),))
        },
    )?;
    host.func_wrap("kv-get", |cx: Cx<'_>, (key,): (String,)| {
        Ok((kv(&cx.data().plugin).get(&key).cloned(),))
    })?;
    // `kv-set` has no error to answer with: over the quota it traps, as
    // the memory cap does, rather than drop the value unseen.
    host.func_wrap("kv-set", |cx: Cx<'_>, (key, value): (String, Vec<u8>)| {
        kv(&cx.data().plugin)
            .set(key, value)
            .map_err(|e| wasmtime::format_err!("kv-set: {e}"))
    })?;
    host.func_wrap("kv-delete", |cx: Cx<'_>, (key,): (String,)| {
        Ok((kv(&cx.data().plugin).delete(&key),))
    })?;
    host.func_wrap("kv-keys", |cx: Cx<'_>, (start, limit): (String, u32)| {
        Ok((kv(&cx.data().plugin).keys(&start, limit),))
    })?;
    host.func_wrap("kv-add", |cx: Cx<'_>, (key, delta): (String, i64)| {
        Ok((kv(&cx.data().plugin).add(key, delta),))
    })?;
    host.func_wrap("read-file", |cx: Cx<'_>, (path,): (String,)| {
        Ok((files::read_file(&cx.data().plugin, &path),))
    })?;
    host.func_wrap(
        "write-file",
        |cx: Cx<'_>, (path, contents, append): (String, Vec<u8>, bool)| {
            Ok((files::write_file(
                &cx.data().plugin,
                &path,
                &contents,
                append,
            ),))
        },
    )?;
    host.func_wrap("get-env", |cx: Cx<'_>, (name,): (String,)| {
        let p = &cx.data().plugin;
        let answer = if p.caps.may_env(&name) {
            Ok(std::env::var(&name).ok())
        } else {
            Err(p.deny(format!("env {}", shown(&name))))
        };
        Ok((answer,))
    })?;
    host.func_wrap(
        "http-request",
        |cx: Cx<'_>, (method, url, body): (String, String, Vec<u8>)| {
            let data = cx.data();
            Ok((net::http_request(
                &data.plugin,
                data.due,
                &method,
                &url,
                body,
            ),))
        },
    )?;
    host.func_wrap(
        "http-send",
        |cx: Cx<'_>, (request,): (net::OutgoingRequest,)| {
            let data = cx.data();
            Ok((net::http_send(&data.plugin, data.due, request),))
        },
    )?;
    host.func_wrap("now-ms", |cx: Cx<'_>, (): ()| {
        let p = &cx.data().plugin;
        let answer = if p.caps.clocks {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default();
            Ok(u64::try_from(now.as_millis()).unwrap_or(u64::MAX))
        } else {
            Err(p.deny("clocks".into()))
        };
        Ok((answer,))
    })?;
    host.func_wrap("random-bytes", |cx: Cx<'_>, (len,): (u32,)| {
        let p = &cx.data().plugin;
        let answer = if !p.caps.random {
            Err(p.deny("random".into()))
        } else if len > MAX_RANDOM {
            Err(format!("at most {MAX_RANDOM} random bytes per call"))
        } else {
            let mut bytes = vec![0; len as usize];
            getrandom::fill(&mut bytes)
                .map(|()| bytes)
                .map_err(|e| e.to_string())
        };
        Ok((answer,))
    })?;
    Ok(())
}

fn kv(plugin: &Shared) -> std::sync::MutexGuard<'_, Kv> {
    plugin.kv.lock().unwrap_or_else(PoisonError::into_inner)
}

fn publish(plugin: &Shared, topic: &str, message: &str) -> Result<(), String> {
    if !plugin.publish.iter().any(|t| t == topic) {
        return Err(plugin.deny(format!(
            "publish on {} (not in its manifest's [bus] publish)",
            shown(topic)
        )));
    }
    // Refused here, to the guest that would nest too deep, rather than at
    // each sandboxed subscriber, whose bus handler would fail for it.
    if let Some(depth) = crate::pool::nested_to_the_bound() {
        return Err(format!(
            "publish on {} refused: sandboxed calls are already nested {depth} deep on this thread",
            shown(topic)
        ));
    }
    if message.len() > MAX_MESSAGE {
        return Err(format!(
            "a message of {} bytes is over the {MAX_MESSAGE} bytes a message may have",
            message.len()
        ));
    }
    let bus = plugin
        .bus
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    let bus = bus.ok_or_else(|| "the plugin is not started".to_owned())?;
    plugin.bridge.publish(&bus, topic, message)
}

impl Shared {
    /// A plugin granted HTTP to `net` (by name) and nothing else, for unit
    /// tests.
    #[cfg(test)]
    pub(crate) fn for_tests(net: &str) -> Shared {
        Shared {
            name: "p".into(),
            span: tracing::Span::none(),
            caps: Capabilities {
                net: vec![net.to_owned()],
                net_named: vec![net.to_owned()],
                ..Capabilities::default()
            },
            memory_cap: 1 << 20,
            deadline: Duration::from_secs(30),
            config: "null".into(),
            bus: RwLock::new(None),
            publish: Vec::new(),
            bridge: Arc::default(),
            kv: Arc::new(Mutex::new(Kv::new(0, Arc::default()))),
            logs: LogBudget::new(100),
            disk: Disk::new(1 << 20, [], Arc::default()),
            lookups: Arc::default(),
            http: net::Client::default(),
            counters: Arc::default(),
        }
    }
}
