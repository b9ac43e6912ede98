//! A sandboxed plugin: a manifest whose module is a WebAssembly component,
//! run by the manager like any plugin.

use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use plinth_core::{DynamicEntities, EmptyEntities, Entities, FromEntityData};
use plinth_extensions::{
    ExtensionDecl, ExtensionInfo, ExtensionPoint, Factory, Manifest, register_manifest,
};
use plinth_hooks::BoxError;
use plinth_runtime::{Context, ContextError, ManifestPlugin, Metadata, Plugin};
use serde_json::Value;
use wasmtime::component::InstancePre;

use crate::disk::Disk;
use crate::epoch::TICK;
use crate::grants::Capabilities;
use crate::host::{Counters, Shared, StoreData};
use crate::kv::Kv;
use crate::logs::LogBudget;
use crate::pool::{CallLimits, Exports, Pool};
use crate::runtime::{Inner, Kept};
use crate::{CallFailure, WasmError};

/// A plugin whose code is a WebAssembly component (`[plugin] module =
/// "x.wasm"` in its `plinth.toml`). Made by
/// [`WasmRuntime::plugin`](crate::WasmRuntime::plugin) or
/// [`WasmRuntime::register_discovered`](crate::WasmRuntime::register_discovered).
///
/// Its lifecycle is the manager's: `initialize` loads the component
/// (through the compile cache), checks its world, makes its first instance
/// and calls the guest's `initialize` with the validated configuration;
/// `register_hooks` taps the hooks its manifest declares and subscribes to
/// its bus topics; `destroy` calls the guest's `destroy` on every instance
/// and drops them. Its entities are its manifest's and its guest's.
pub struct WasmPlugin {
    runtime: Arc<Inner>,
    manifest: ManifestPlugin,
    caps: Capabilities,
    denied: Vec<String>,
    limits: CallLimits,
    memory_cap: usize,
    kv: Arc<Mutex<Kv>>,
    /// Its name lookups in progress, kept across restarts and versions.
    lookups: Arc<AtomicUsize>,
    counters: Arc<Counters>,
    /// The compiled component, kept across restarts.
    compiled: Option<(InstancePre<StoreData>, Exports)>,
    pool: RwLock<Option<Arc<Pool>>>,
}

impl std::fmt::Debug for WasmPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmPlugin")
            .field("name", &self.manifest.manifest().name)
            .field("limits", &self.limits)
            .finish_non_exhaustive()
    }
}

fn call_error(plugin: &str, call: impl Into<String>, kind: CallFailure) -> WasmError {
    WasmError::Call {
        plugin: plugin.to_owned(),
        call: call.into(),
        kind,
    }
}

impl WasmPlugin {
    pub(crate) fn new(
        runtime: Arc<Inner>,
        manifest: ManifestPlugin,
    ) -> Result<WasmPlugin, WasmError> {
        let m = manifest.manifest();
        let name = m.name.clone();
        match &m.module {
            Some(module) if module.kind() == "wasm" => {}
            other => {
                return Err(WasmError::Module {
                    plugin: name,
                    message: match other {
                        Some(module) => format!("module {module} is not a `wasm` module"),
                        None => "the manifest names no `[plugin] module`".to_owned(),
                    },
                });
            }
        }
        Ok(WasmPlugin::checked(runtime, manifest))
    }

    /// A plugin for a manifest whose module is known to be `wasm`.
    pub(crate) fn checked(runtime: Arc<Inner>, manifest: ManifestPlugin) -> WasmPlugin {
        let m = manifest.manifest();
        let name = m.name.clone();
        let (caps, denied) = runtime.policy.effective(&name, &m.permissions);
        let host = &runtime.limits;
        let asked = &m.sandbox;
        let deadline = asked
            .deadline_ms
            .map_or(host.deadline, Duration::from_millis)
            .min(host.max_deadline);
        let deadline_ms = u64::try_from(deadline.as_millis())
            .unwrap_or(u64::MAX)
            .max(1);
        let tick = u64::try_from(TICK.as_millis()).unwrap_or(1).max(1);
        let memory_cap = asked
            .memory_mib
            .map_or(host.memory, |mib| {
                usize::try_from(mib.saturating_mul(1 << 20)).unwrap_or(usize::MAX)
            })
            .min(host.max_memory);
        let limits = CallLimits {
            // One tick more: the epoch may advance just after arming.
            deadline_ticks: deadline_ms.div_ceil(tick) + 1,
            deadline_ms,
            fuel: host
                .fuel
                .map(|f| asked.fuel.map_or(f, |asked| asked.min(f))),
            instances: asked
                .instances
                .map_or(host.instances, |n| n as usize)
                // A cap of 0 would make `clamp` panic: one instance.
                .clamp(1, host.max_instances.max(1)),
            max_restarts: asked
                .max_restarts
                .unwrap_or(host.max_restarts)
                .min(host.max_max_restarts),
        };
        let Kept {
            counters,
            kv,
            lookups,
        } = runtime.kept(&name);
        WasmPlugin {
            runtime,
            manifest,
            caps,
            denied,
            limits,
            memory_cap,
            kv,
            lookups,
            counters,
            compiled: None,
            pool: RwLock::new(None),
        }
    }

    fn name(&self) -> &str {
        &self.manifest.manifest().name
    }

    /// Its metadata: the manifest's, with a notice for each capability
    /// asked for and not granted.
    ///
    /// See [`WasmRuntime::plugin`](crate::WasmRuntime::plugin).
    pub fn metadata(&self) -> Metadata {
        let mut meta = self.manifest.metadata();
        for denied in &self.denied {
            meta = meta.with_notice(format!("asks for {denied}, not granted"));
        }
        meta
    }

    /// The manifest.
    pub fn manifest(&self) -> &Manifest {
        self.manifest.manifest()
    }

    fn pool(&self) -> Option<Arc<Pool>> {
        self.pool
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The extensions the manifest declares with a `wasm:` module: the
    /// plugin's own component answers them (`answer`), as JSON, for points
    /// of type `ExtensionPoint<(), Value, Value>`.
    fn answered(&self) -> impl Iterator<Item = &ExtensionDecl> {
        self.manifest
            .manifest()
            .extensions
            .iter()
            .filter(|decl| decl.module.kind() == "wasm")
    }

    /// Registers a factory per extension the component answers, in place of
    /// the lazy one `register_manifest` put there (a `wasm:` module has no
    /// loader: the plugin's running instances are the module). Each holds
    /// the pool weakly: a stopped plugin answers nothing.
    fn register_answers(&self) {
        let Some(pool) = self.pool() else {
            return;
        };
        for decl in self.answered() {
            let pool = Arc::downgrade(&pool);
            let object = decl.module.object().map(str::to_owned);
            let factory = Factory::optional(move |data: &Value, _: &(), info: &ExtensionInfo| {
                let pool = pool.upgrade().ok_or("the sandboxed plugin has stopped")?;
                let plugin = &pool.shared().name;
                let answer = pool
                    .answer(
                        info.point(),
                        info.name(),
                        object.as_deref(),
                        data.to_string(),
                    )
                    .map_err(|kind| {
                        call_error(plugin, format!("answer({})", info.point()), kind)
                    })?;
                answer
                    .map(|json| {
                        serde_json::from_str(&json).map_err(|e| {
                            BoxError::from(format!(
                                "plugin {plugin:?}: answer({}) is not JSON: {e}",
                                info.point()
                            ))
                        })
                    })
                    .transpose()
            });
            self.manifest.extensions().register_with(
                &ExtensionPoint::<(), Value, Value>::named(decl.point.clone()),
                &decl.name,
                factory,
                decl.activation,
            );
        }
    }

    /// Refuses a `wasm:` extension naming another module than the plugin's
    /// own component: checked before anything starts.
    fn check_answers(&self) -> Result<(), WasmError> {
        let m = self.manifest.manifest();
        let own = m.module.as_ref().map(|m| m.module()).unwrap_or_default();
        match self.answered().find(|decl| decl.module.module() != own) {
            None => Ok(()),
            Some(decl) => Err(WasmError::Module {
                plugin: m.name.clone(),
                message: format!(
                    "extension {:?} of point {:?} names module {:?}; a sandboxed plugin answers extension points from its own component, {own:?}",
                    decl.name,
                    decl.point,
                    decl.module.module()
                ),
            }),
        }
    }

    /// Removes the factories [`register_answers`](Self::register_answers)
    /// made (they are not the plugin's lazy extensions, which
    /// `remove_owner` removes).
    fn unregister_answers(&self) {
        for decl in self.answered() {
            self.manifest
                .extensions()
                .unregister(&decl.point, &decl.name);
        }
    }

    /// Reads, compiles (or loads from the cache) and checks the component.
    fn compile(&mut self) -> Result<(InstancePre<StoreData>, Exports), WasmError> {
        if let Some(compiled) = &self.compiled {
            return Ok(compiled.clone());
        }
        let m = self.manifest.manifest();
        let name = m.name.clone();
        let module = m
            .module
            .as_ref()
            .map(|m| m.module().to_owned())
            .unwrap_or_default();
        let (path, metadata) = inside(m.dir(), &module).map_err(|message| WasmError::Module {
            plugin: name.clone(),
            message,
        })?;
        let rt = &self.runtime;
        let component = rt.compile(&name, &path, metadata.as_ref())?;
        let world = crate::world::check(&name, &rt.engine, &component)?;
        let exports = Exports::find(&component, &world).map_err(|message| WasmError::World {
            plugin: name.clone(),
            message,
        })?;
        let pre = rt
            .linker
            .instantiate_pre(&component)
            .map_err(|e| WasmError::World {
                plugin: name.clone(),
                message: format!("{e:#}"),
            })?;
        self.compiled = Some((pre.clone(), exports.clone()));
        Ok((pre, exports))
    }

    fn start(&mut self, ctx: &Context) -> Result<(), WasmError> {
        let name = self.name().to_owned();
        if !self.denied.is_empty() {
            if self.runtime.policy.is_strict() {
                return Err(WasmError::NotGranted {
                    plugin: name,
                    denied: self.denied.clone(),
                });
            }
            // Said at each start, where an operator reads the log: a
            // plugin's attempts to use these fail later, one by one.
            tracing::warn!(
                plugin = %name,
                "starts without capabilities it asks for and the policy does not grant: {}",
                self.denied.join("; ")
            );
        }
        for decl in &self.manifest.manifest().hooks {
            if !self.runtime.bridge.names().any(|h| h == decl.hook) {
                return Err(WasmError::UnknownHook {
                    plugin: name,
                    hook: decl.hook.clone(),
                    offered: self.runtime.bridge.offered(),
                });
            }
        }
        for dir in self.caps.read.iter().chain(&self.caps.write) {
            let path = self.caps.data_dir.join(dir);
            std::fs::create_dir_all(&path).map_err(|source| WasmError::DataDir {
                plugin: name.clone(),
                path,
                source,
            })?;
        }
        let (pre, exports) = self.compile()?;
        let shared = Arc::new(Shared {
            name: name.clone(),
            span: ctx.span().clone(),
            caps: self.caps.clone(),
            memory_cap: self.memory_cap,
            deadline: Duration::from_millis(self.limits.deadline_ms),
            config: ctx.config_value().to_string(),
            bus: RwLock::new(Some(ctx.bus().clone())),
            publish: self.manifest.manifest().publish.clone(),
            bridge: self.runtime.bridge.clone(),
            kv: self.kv.clone(),
            logs: LogBudget::new(self.runtime.limits.log_lines),
            disk: Disk::new(
                self.runtime.limits.disk_bytes,
                self.caps
                    .write
                    .iter()
                    .map(|dir| self.caps.data_dir.join(dir)),
                self.counters.clone(),
            ),
            lookups: self.lookups.clone(),
            http: Default::default(),
            counters: self.counters.clone(),
        });
        let pool = Pool::new(
            self.runtime.ticker.epoch().clone(),
            pre,
            exports,
            shared,
            self.limits,
        );
        pool.start()
            .map_err(|kind| call_error(&name, "initialize", kind))?;
        *self.pool.write().unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(pool));
        Ok(())
    }
}

/// Breaks the one cycle a sandboxed plugin makes: its instances hold the
/// bus (to publish), and the bus holds its subscriptions, which hold the
/// instances. A manager dropped without `shutdown` never calls `destroy`,
/// so dropping the plugin lets go of the bus here.
impl Drop for WasmPlugin {
    fn drop(&mut self) {
        self.unregister_answers();
        let pool = self
            .pool
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(pool) = pool {
            pool.stop();
            pool.release_bus();
        }
    }
}

/// The component file `module`, which must be a relative path inside the
/// plugin folder `dir` (links included), with its metadata when no link
/// was on the way (then the last `lstat` was of the file itself).
fn inside(
    dir: &std::path::Path,
    module: &str,
) -> Result<(std::path::PathBuf, Option<std::fs::Metadata>), String> {
    let relative = std::path::Path::new(module);
    if relative.is_absolute()
        || !relative
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
    {
        return Err(format!(
            "module {module:?} must be a relative path inside the plugin folder"
        ));
    }
    let path = dir.join(relative);
    // With no link between the folder and the file, the file is inside the
    // folder (whatever the folder itself is): one `lstat` per part of the
    // module's path, instead of resolving both paths from the root.
    let mut walked = dir.to_path_buf();
    let mut last = None;
    for part in relative.components() {
        walked.push(part);
        match std::fs::symlink_metadata(&walked) {
            Ok(meta) if meta.file_type().is_symlink() => {
                last = None;
                break;
            }
            Ok(meta) => last = Some(meta),
            Err(e) => return Err(format!("module {}: {e}", path.display())),
        }
    }
    if let Some(meta) = last {
        return Ok((path, Some(meta)));
    }
    let folder = dir
        .canonicalize()
        .map_err(|e| format!("plugin folder {}: {e}", dir.display()))?;
    match path.canonicalize() {
        Ok(real) if real.starts_with(&folder) => Ok((real, None)),
        Ok(real) => Err(format!(
            "module {module:?} resolves to {}, outside the plugin folder",
            real.display()
        )),
        Err(e) => Err(format!("module {}: {e}", path.display())),
    }
}

impl<S> Plugin<S> for WasmPlugin
where
    S: EmptyEntities + FromEntityData<Value> + 'static,
{
    fn metadata(&self) -> Metadata {
        WasmPlugin::metadata(self)
    }

    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        self.check_answers()?;
        self.start(ctx)?;
        let m = self.manifest.manifest();
        register_manifest(m, self.manifest.extensions(), self.manifest.loaders());
        self.register_answers();
        Ok(())
    }

    fn register_hooks(&self, ctx: &Context) -> Result<(), ContextError> {
        let Some(pool) = self.pool() else {
            return Ok(());
        };
        let bridge = &self.runtime.bridge;
        for decl in &self.manifest.manifest().hooks {
            if let Some(tapped) = bridge.tap(&decl.hook, ctx.hooks(), decl.priority, pool.clone()) {
                tapped?;
            }
        }
        for topic in &self.manifest.manifest().subscribe {
            bridge.subscribe(topic, ctx.bus(), pool.clone())?;
        }
        Ok(())
    }

    fn destroy(&mut self) -> Result<(), BoxError> {
        let name = self.name().to_owned();
        self.manifest.extensions().remove_owner(&name);
        self.unregister_answers();
        let pool = self
            .pool
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        let failures = pool.map(|p| p.stop()).unwrap_or_default();
        match failures.into_iter().next() {
            None => Ok(()),
            Some(kind) => Err(call_error(&name, "destroy", kind).into()),
        }
    }

    fn entities(&self) -> S {
        self.try_entities().unwrap_or_else(|e| {
            tracing::warn!("{e}");
            S::empty()
        })
    }

    fn try_entities(&self) -> Result<S, BoxError> {
        let mut extra = DynamicEntities::new();
        if let Some(pool) = self.pool() {
            let failed = |kind| call_error(self.name(), "entities", kind);
            let bad = |message: String| failed(CallFailure::Answer(message));
            let json = pool.entities().map_err(failed)?;
            let value: Value = serde_json::from_str(&json).map_err(|e| bad(e.to_string()))?;
            let Value::Object(types) = value else {
                return Err(bad("not a JSON object of entity types".into()).into());
            };
            for (ty, entries) in types {
                let Value::Object(entries) = entries else {
                    return Err(bad(format!("entity type {ty:?} is not an object")).into());
                };
                let map: Entities<Value> = entries.into_iter().collect();
                extra.insert(ty.as_str(), map);
            }
        }
        Ok(self.manifest.read_entities_with(extra)?)
    }
}

#[cfg(test)]
mod tests {
    use super::inside;

    #[test]
    fn a_module_must_stay_inside_its_plugin_folder() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("plugin");
        std::fs::create_dir_all(dir.join("lib")).unwrap();
        std::fs::write(dir.join("lib/plugin.wasm"), b"").unwrap();
        std::fs::write(tmp.path().join("elsewhere.wasm"), b"").unwrap();
        let (path, metadata) = inside(&dir, "lib/plugin.wasm").unwrap();
        assert_eq!(path, dir.join("lib/plugin.wasm"));
        assert!(metadata.unwrap().is_file());
        for bad in [
            "../elsewhere.wasm",
            "/etc/passwd",
            "lib/../../elsewhere.wasm",
        ] {
            let err = inside(&dir, bad).unwrap_err();
            assert!(err.contains("relative path inside"), "{bad}: {err}");
        }
        assert!(
            inside(&dir, "missing.wasm")
                .unwrap_err()
                .contains("missing.wasm")
        );
        #[cfg(unix)]
        {
            // A link that stays inside is followed; one that leaves is refused.
            std::os::unix::fs::symlink(dir.join("lib/plugin.wasm"), dir.join("near.wasm")).unwrap();
            std::os::unix::fs::symlink(tmp.path().join("elsewhere.wasm"), dir.join("far.wasm"))
                .unwrap();
            std::os::unix::fs::symlink(tmp.path(), dir.join("up")).unwrap();
            assert!(inside(&dir, "near.wasm").is_ok());
            let err = inside(&dir, "far.wasm").unwrap_err();
            assert!(err.contains("outside the plugin folder"), "{err}");
            let err = inside(&dir, "up/elsewhere.wasm").unwrap_err();
            assert!(err.contains("outside the plugin folder"), "{err}");
        }
    }
}
