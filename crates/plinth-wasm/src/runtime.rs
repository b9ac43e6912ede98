//! The sandbox: one wasmtime engine with its epoch ticker, the host's
//! imports, the compile cache, the capability policy, the hooks offered,
//! and the limits every plugin's own are capped by.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use plinth_core::EmptyEntities;
use plinth_core::FromEntityData;
use plinth_extensions::{Discovery, ExtensionRegistry, FileStamp, Loaders, Manifest};
use plinth_runtime::{Manager, ManagerError, ManifestPlugin};
use serde_json::Value;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine};

use crate::cache::{CacheOutcome, CompileCache};
use crate::epoch::Ticker;
use crate::host::{self, Counters, StoreData};
use crate::kv::Kv;
use crate::{HookBridge, Policy, WasmError, WasmPlugin};

/// The limits of the sandbox: per-plugin defaults (used when a manifest's
/// `[sandbox]` says nothing) and caps (a manifest asking for more gets the
/// cap). `kv_bytes`, `disk_bytes` and `log_lines` are the host's alone: no
/// manifest changes them.
///
/// ```
/// use std::time::Duration;
/// use plinth_wasm::Limits;
/// let limits = Limits::default();
/// assert_eq!(limits.deadline, Duration::from_millis(100));
/// assert!(limits.max_deadline >= limits.deadline);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// The deadline of one call.
    pub deadline: Duration,
    /// The longest deadline a manifest may ask for.
    pub max_deadline: Duration,
    /// Linear memory per instance.
    pub memory: usize,
    /// The most memory a manifest may ask for.
    pub max_memory: usize,
    /// Instances per plugin.
    pub instances: usize,
    /// The most instances a manifest may ask for.
    pub max_instances: usize,
    /// Traps in a row tolerated before the plugin fails.
    pub max_restarts: u32,
    /// The most a manifest may ask for.
    pub max_max_restarts: u32,
    /// The most a plugin's key-value store holds: each entry counts its
    /// key's and value's bytes and 64 bytes for itself. A `kv-set` past it
    /// traps; a `kv-add` past it fails.
    pub kv_bytes: usize,
    /// The most a plugin's files and folders take in the directories it
    /// may write, counted in blocks of 4 KiB (a file rounded up, an empty
    /// one or a folder one block). A `write-file` past it fails and writes
    /// nothing.
    pub disk_bytes: u64,
    /// Log lines a plugin may log a second, in bursts of as many; the
    /// host's warnings of its denied attempts count as its lines. Lines
    /// over the rate are dropped and counted
    /// ([`WasmStats::logs_dropped`]), and the next line logged says how
    /// many. Lines the application's subscriber discards do not count.
    pub log_lines: u32,
    /// Fuel per call when metering is on (`None`: off), and the most a
    /// manifest's `fuel` may ask for; a manifest's `fuel` applies only when
    /// metering is on.
    pub fuel: Option<u64>,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            deadline: Duration::from_millis(100),
            max_deadline: Duration::from_secs(10),
            memory: 128 << 20,
            max_memory: 1 << 30,
            instances: 2,
            max_instances: 16,
            max_restarts: 3,
            max_max_restarts: 100,
            kv_bytes: 16 << 20,
            disk_bytes: 256 << 20,
            log_lines: 100,
            fuel: None,
        }
    }
}

impl Limits {
    /// Sets the default deadline of a call.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let l = plinth_wasm::Limits::default().with_deadline(Duration::from_millis(20));
    /// assert_eq!(l.deadline, Duration::from_millis(20));
    /// ```
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self.max_deadline = self.max_deadline.max(deadline);
        self
    }

    /// Sets the default memory cap per instance, in bytes.
    ///
    /// ```
    /// let l = plinth_wasm::Limits::default().with_memory(16 << 20);
    /// assert_eq!(l.memory, 16 << 20);
    /// ```
    pub fn with_memory(mut self, bytes: usize) -> Self {
        self.memory = bytes;
        self.max_memory = self.max_memory.max(bytes);
        self
    }

    /// Sets the default number of instances per plugin.
    ///
    /// ```
    /// let l = plinth_wasm::Limits::default().with_instances(4);
    /// assert_eq!(l.instances, 4);
    /// ```
    pub fn with_instances(mut self, instances: usize) -> Self {
        self.instances = instances.max(1);
        self.max_instances = self.max_instances.max(self.instances);
        self
    }

    /// Sets the traps in a row tolerated before a plugin fails.
    ///
    /// ```
    /// let l = plinth_wasm::Limits::default().with_max_restarts(0);
    /// assert_eq!(l.max_restarts, 0);
    /// ```
    pub fn with_max_restarts(mut self, restarts: u32) -> Self {
        self.max_restarts = restarts;
        self.max_max_restarts = self.max_max_restarts.max(restarts);
        self
    }

    /// Sets the most a plugin's key-value store holds (see
    /// [`kv_bytes`](Self::kv_bytes)).
    ///
    /// ```
    /// let l = plinth_wasm::Limits::default().with_kv_bytes(1 << 20);
    /// assert_eq!(l.kv_bytes, 1 << 20);
    /// ```
    pub fn with_kv_bytes(mut self, bytes: usize) -> Self {
        self.kv_bytes = bytes;
        self
    }

    /// Sets the most a plugin's files take (see
    /// [`disk_bytes`](Self::disk_bytes)).
    ///
    /// ```
    /// let l = plinth_wasm::Limits::default().with_disk_bytes(1 << 30);
    /// assert_eq!(l.disk_bytes, 1 << 30);
    /// ```
    pub fn with_disk_bytes(mut self, bytes: u64) -> Self {
        self.disk_bytes = bytes;
        self
    }

    /// Sets the log lines a plugin may log a second (see
    /// [`log_lines`](Self::log_lines)).
    ///
    /// ```
    /// let l = plinth_wasm::Limits::default().with_log_lines(10);
    /// assert_eq!(l.log_lines, 10);
    /// ```
    pub fn with_log_lines(mut self, lines: u32) -> Self {
        self.log_lines = lines;
        self
    }

    /// Turns fuel metering on with `fuel` per call.
    ///
    /// ```
    /// let l = plinth_wasm::Limits::default().with_fuel(1_000_000);
    /// assert_eq!(l.fuel, Some(1_000_000));
    /// ```
    pub fn with_fuel(mut self, fuel: u64) -> Self {
        self.fuel = Some(fuel);
        self
    }
}

/// A sandboxed plugin's counters.
///
/// ```
/// let stats = plinth_wasm::WasmStats::default();
/// assert_eq!(stats.denied, 0);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WasmStats {
    /// Calls into the guest.
    pub calls: u64,
    /// Calls that trapped (each lost its instance).
    pub traps: u64,
    /// Capability checks that refused an attempt.
    pub denied: u64,
    /// Live instances.
    pub instances: usize,
    /// Linear memory of the live instances, in bytes.
    pub memory: usize,
    /// What the plugin's key-value store holds, as its quota
    /// ([`Limits::kv_bytes`]) counts it.
    pub kv_bytes: usize,
    /// What the plugin's files take in its writable directories, as its
    /// quota ([`Limits::disk_bytes`]) counts them, since it last started.
    pub disk_bytes: u64,
    /// Log lines dropped over its rate ([`Limits::log_lines`]).
    pub logs_dropped: u64,
    /// The plugin's loaded instance pools: 1 while it runs, 0 once it is
    /// stopped and dropped (more would be a leak).
    pub pools: usize,
    /// How the component was last obtained.
    pub cache: Option<CacheOutcome>,
}

/// Builds a [`WasmRuntime`].
///
/// ```
/// use plinth_wasm::{HookBridge, Limits, Policy, WasmRuntime};
/// let dir = tempfile::tempdir()?;
/// let runtime = WasmRuntime::builder()
///     .cache_dir(dir.path().join("cache"))
///     .policy(Policy::new(dir.path().join("data")))
///     .hooks(HookBridge::new())
///     .limits(Limits::default())
///     .build()?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[must_use = "call `build`"]
pub struct WasmRuntimeBuilder {
    cache_dir: Option<PathBuf>,
    policy: Policy,
    bridge: HookBridge,
    limits: Limits,
}

impl WasmRuntimeBuilder {
    /// Caches compiled components in `dir`. The directory must be writable
    /// by the application alone: entries are checked against corruption,
    /// not against someone able to forge them.
    ///
    /// ```
    /// let b = plinth_wasm::WasmRuntime::builder().cache_dir("target/plinth-cache");
    /// ```
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// The capability policy (default: nothing granted, data under
    /// `plugin-data/`).
    ///
    /// ```
    /// let b = plinth_wasm::WasmRuntime::builder().policy(plinth_wasm::Policy::new("var"));
    /// ```
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// The hooks, and typed bus topics, offered to sandboxed plugins.
    ///
    /// ```
    /// let b = plinth_wasm::WasmRuntime::builder().hooks(plinth_wasm::HookBridge::new());
    /// ```
    pub fn hooks(mut self, bridge: HookBridge) -> Self {
        self.bridge = bridge;
        self
    }

    /// The limits (defaults and caps).
    ///
    /// ```
    /// let b = plinth_wasm::WasmRuntime::builder().limits(plinth_wasm::Limits::default());
    /// ```
    pub fn limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Makes the engine, starts its epoch ticker, defines the host.
    ///
    /// # Errors
    /// [`WasmError::Engine`] when wasmtime refuses the configuration, or
    /// the thread that enforces call deadlines cannot be started.
    ///
    /// ```
    /// let runtime = plinth_wasm::WasmRuntime::builder().build()?;
    /// # Ok::<(), plinth_wasm::WasmError>(())
    /// ```
    pub fn build(self) -> Result<WasmRuntime, WasmError> {
        let engine_error = |e: wasmtime::Error| WasmError::Engine(format!("{e:#}"));
        let mut config = Config::new();
        config.epoch_interruption(true);
        config.consume_fuel(self.limits.fuel.is_some());
        let engine = Engine::new(&config).map_err(engine_error)?;
        let mut linker = Linker::new(&engine);
        host::define(&mut linker).map_err(engine_error)?;
        let ticker = Ticker::start(engine.clone(), self.limits.max_deadline).map_err(|e| {
            WasmError::Engine(format!(
                "cannot start the thread that enforces deadlines: {e}"
            ))
        })?;
        Ok(WasmRuntime {
            inner: Arc::new(Inner {
                engine,
                linker,
                cache: self.cache_dir.map(CompileCache::new),
                policy: self.policy,
                bridge: Arc::new(self.bridge),
                limits: self.limits,
                plugins: Mutex::new(HashMap::new()),
                ticker,
            }),
        })
    }
}

/// What the sandbox keeps of a plugin by its name, across its restarts
/// and its replacements by new versions: its counters, how its component
/// was last obtained, its key-value store, and its name lookups in
/// progress (a lookup outlives the call, and the version, that made it).
struct Tally {
    counters: Arc<Counters>,
    cache: Option<CacheOutcome>,
    kv: Arc<Mutex<Kv>>,
    lookups: Arc<AtomicUsize>,
}

/// What a plugin's new instance of [`WasmPlugin`] takes over from the
/// ones before it (see `Tally`).
pub(crate) struct Kept {
    pub counters: Arc<Counters>,
    pub kv: Arc<Mutex<Kv>>,
    pub lookups: Arc<AtomicUsize>,
}

pub(crate) struct Inner {
    pub engine: Engine,
    pub linker: Linker<StoreData>,
    cache: Option<CompileCache>,
    pub policy: Policy,
    pub bridge: Arc<HookBridge>,
    pub limits: Limits,
    /// Each plugin's counters and last cache outcome, by name.
    plugins: Mutex<HashMap<String, Tally>>,
    pub ticker: Ticker,
}

/// The largest component file a plugin may ship, in bytes: several times
/// a JavaScript or Python guest, which carry their interpreter. A larger
/// file is refused rather than read whole.
pub const MAX_COMPONENT_BYTES: u64 = 256 << 20;

impl Inner {
    /// Compiles the component file at `source` (whose metadata, when the
    /// caller has it, saves a `stat`), through the cache when there is one.
    pub fn compile(
        &self,
        plugin: &str,
        source: &Path,
        metadata: Option<&std::fs::Metadata>,
    ) -> Result<Component, WasmError> {
        let read = || {
            plinth_extensions::read_bounded(source, MAX_COMPONENT_BYTES).map_err(|e| {
                WasmError::Read {
                    plugin: plugin.to_owned(),
                    path: source.to_owned(),
                    source: e,
                }
            })
        };
        let compile_error = |e: wasmtime::Error| WasmError::Compile {
            plugin: plugin.to_owned(),
            message: format!("{e:#}"),
        };
        let (component, outcome) = match &self.cache {
            Some(cache) => {
                // Taken before the file is read: a change after it is then
                // seen as a change.
                let stamp = metadata.map_or_else(
                    || FileStamp::of(source),
                    |m| Some(FileStamp::from_metadata(m)),
                );
                let known = stamp
                    .as_ref()
                    .and_then(|stamp| cache.load_known(&self.engine, source, stamp));
                if let Some(component) = known {
                    (component, CacheOutcome::Hit)
                } else {
                    let bytes = read()?;
                    let hash = CompileCache::hash(&bytes);
                    let loaded = cache
                        .load(&self.engine, &bytes, hash)
                        .map_err(compile_error)?;
                    cache.remember(source, stamp, hash);
                    loaded
                }
            }
            None => (
                Component::new(&self.engine, read()?).map_err(compile_error)?,
                CacheOutcome::Compiled,
            ),
        };
        if let Some(entry) = self.lock().get_mut(plugin) {
            entry.cache = Some(outcome);
        }
        Ok(component)
    }

    /// What `plugin` keeps across its restarts and new versions, made on
    /// first use.
    pub fn kept(&self, plugin: &str) -> Kept {
        let kv_bytes = self.limits.kv_bytes;
        let mut plugins = self.lock();
        let tally = plugins.entry(plugin.to_owned()).or_insert_with(|| {
            let counters = Arc::<Counters>::default();
            Tally {
                kv: Arc::new(Mutex::new(Kv::new(kv_bytes, counters.clone()))),
                counters,
                cache: None,
                lookups: Arc::default(),
            }
        });
        Kept {
            counters: tally.counters.clone(),
            kv: tally.kv.clone(),
            lookups: tally.lookups.clone(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Tally>> {
        self.plugins.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The WebAssembly sandbox of an application: makes [`WasmPlugin`]s of
/// manifests whose module is a component, and reports their counters.
/// Cheap to clone; every clone is the same sandbox.
///
/// ```no_run
/// use std::sync::Arc;
/// use plinth_extensions::{scan, ExtensionRegistry, Loaders};
/// use plinth_runtime::Manager;
/// use plinth_wasm::{Grant, Policy, WasmRuntime};
///
/// let runtime = WasmRuntime::builder()
///     .cache_dir("var/cache")
///     .policy(Policy::new("var/data").grant("audit-logger-wasm", Grant::new().write("data")))
///     .build()?;
/// let mut manager = Manager::new();
/// let discovery = scan(["plugins"]);
/// let errors = runtime.register_discovered(&mut manager, &discovery, &Arc::new(ExtensionRegistry::new()), &Arc::new(Loaders::new()));
/// # Ok::<(), plinth_wasm::WasmError>(())
/// ```
#[derive(Clone)]
pub struct WasmRuntime {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for WasmRuntime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmRuntime")
            .field("limits", &self.inner.limits)
            .field("hooks", &self.inner.bridge)
            .finish_non_exhaustive()
    }
}

impl WasmRuntime {
    /// A builder with no cache, nothing granted, no hooks offered and the
    /// default limits.
    ///
    /// ```
    /// let runtime = plinth_wasm::WasmRuntime::builder().build()?;
    /// # Ok::<(), plinth_wasm::WasmError>(())
    /// ```
    pub fn builder() -> WasmRuntimeBuilder {
        WasmRuntimeBuilder {
            cache_dir: None,
            policy: Policy::new("plugin-data"),
            bridge: HookBridge::new(),
            limits: Limits::default(),
        }
    }

    /// The wasmtime engine (to compile or inspect components alongside).
    ///
    /// ```
    /// let runtime = plinth_wasm::WasmRuntime::builder().build()?;
    /// let _engine: &wasmtime::Engine = runtime.engine();
    /// # Ok::<(), plinth_wasm::WasmError>(())
    /// ```
    pub fn engine(&self) -> &Engine {
        &self.inner.engine
    }

    /// A plugin for `manifest`, whose `[plugin] module` names a component
    /// in the plugin's folder. Nothing is read yet: the component is
    /// loaded when the plugin starts, so that a broken one shows as a
    /// failed plugin with its reason.
    ///
    /// # Errors
    /// [`WasmError::Module`] when the manifest has no `wasm` module.
    ///
    /// ```
    /// # use std::{path::Path, sync::Arc};
    /// use plinth_extensions::{ExtensionRegistry, Loaders, Manifest};
    /// let runtime = plinth_wasm::WasmRuntime::builder().build()?;
    /// let m = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\nmodule = \"a.wasm\"\n", Path::new("plugins/a/plinth.toml"))?;
    /// let plugin = runtime.plugin(m, Arc::new(ExtensionRegistry::new()), Arc::new(Loaders::new()))?;
    /// assert_eq!(plugin.metadata().name(), "a");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn plugin(
        &self,
        manifest: impl Into<Arc<Manifest>>,
        extensions: Arc<ExtensionRegistry>,
        loaders: Arc<Loaders>,
    ) -> Result<WasmPlugin, WasmError> {
        WasmPlugin::new(
            self.inner.clone(),
            ManifestPlugin::new(manifest, extensions, loaders),
        )
    }

    /// Registers one plugin found in a folder: as a [`WasmPlugin`] when its
    /// manifest's module is a `wasm` one, else as a [`ManifestPlugin`].
    ///
    /// # Errors
    /// [`ManagerError`] when the manager refuses it (a name already
    /// registered, bad metadata).
    ///
    /// ```
    /// # use std::{path::Path, sync::Arc};
    /// use plinth_extensions::{ExtensionRegistry, Loaders, Manifest};
    /// use plinth_runtime::Manager;
    /// let runtime = plinth_wasm::WasmRuntime::builder().build()?;
    /// let m = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\nmodule = \"a.wasm\"\n", Path::new("plugins/a/plinth.toml"))?;
    /// let mut manager = Manager::new();
    /// runtime.register(&mut manager, m, &Arc::new(ExtensionRegistry::new()), &Arc::new(Loaders::new()))?;
    /// assert!(manager.state("a").is_some());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn register<S>(
        &self,
        manager: &mut Manager<S>,
        manifest: impl Into<Arc<Manifest>>,
        extensions: &Arc<ExtensionRegistry>,
        loaders: &Arc<Loaders>,
    ) -> Result<(), ManagerError>
    where
        S: EmptyEntities + FromEntityData<Value> + 'static,
    {
        let found = ManifestPlugin::new(manifest, extensions.clone(), loaders.clone());
        let sandboxed = found
            .manifest()
            .module
            .as_ref()
            .is_some_and(|m| m.kind() == "wasm");
        if sandboxed {
            manager.register(WasmPlugin::checked(self.inner.clone(), found))
        } else {
            manager.register(found)
        }
    }

    /// Registers every discovered plugin with [`register`](Self::register),
    /// in scan order. A plugin that cannot be registered is reported and
    /// the others go on.
    pub fn register_discovered<S>(
        &self,
        manager: &mut Manager<S>,
        discovery: &Discovery,
        extensions: &Arc<ExtensionRegistry>,
        loaders: &Arc<Loaders>,
    ) -> Vec<ManagerError>
    where
        S: EmptyEntities + FromEntityData<Value> + 'static,
    {
        discovery
            .plugins
            .iter()
            .filter_map(|found| {
                self.register(manager, found.manifest.clone(), extensions, loaders)
                    .err()
            })
            .collect()
    }

    /// The counters of the sandboxed plugin `plugin`, once it has been
    /// made.
    ///
    /// ```
    /// let runtime = plinth_wasm::WasmRuntime::builder().build()?;
    /// assert!(runtime.stats("nobody").is_none());
    /// # Ok::<(), plinth_wasm::WasmError>(())
    /// ```
    pub fn stats(&self, plugin: &str) -> Option<WasmStats> {
        self.inner
            .lock()
            .get(plugin)
            .map(|t| stats(&t.counters, t.cache))
    }

    /// The counters of every sandboxed plugin, by name.
    ///
    /// ```
    /// let runtime = plinth_wasm::WasmRuntime::builder().build()?;
    /// assert!(runtime.all_stats().is_empty());
    /// # Ok::<(), plinth_wasm::WasmError>(())
    /// ```
    pub fn all_stats(&self) -> Vec<(String, WasmStats)> {
        let mut all: Vec<_> = self
            .inner
            .lock()
            .iter()
            .map(|(name, t)| (name.clone(), stats(&t.counters, t.cache)))
            .collect();
        all.sort_by(|a, b| a.0.cmp(&b.0));
        all
    }
}

fn stats(c: &Counters, cache: Option<CacheOutcome>) -> WasmStats {
    WasmStats {
        calls: c.calls.load(Ordering::Relaxed),
        traps: c.traps.load(Ordering::Relaxed),
        denied: c.denied.load(Ordering::Relaxed),
        instances: c.instances.load(Ordering::Relaxed),
        memory: c.memory.load(Ordering::Relaxed),
        kv_bytes: c.kv_bytes.load(Ordering::Relaxed),
        disk_bytes: c.disk_bytes.load(Ordering::Relaxed),
        logs_dropped: c.logs_dropped.load(Ordering::Relaxed),
        pools: c.pools.load(Ordering::Relaxed),
        cache,
    }
}
