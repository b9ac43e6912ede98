//! Plugin folders: the directories the server scans for `plinth.toml`
//! plugins, at start and on `POST /api/admin/reload`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};

use plinth_extensions::{Discovery, ExtensionRegistry, FileStamp, Loaders, Manifest, scan};
use plinth_runtime::{Manager, ManagerError, ManifestPlugin, PluginState};
use serde::Serialize;

/// The plugin folders of a server and where their plugins' extensions go:
/// each directory holds plugin folders (`<dir>/<plugin>/plinth.toml`, or
/// `<dir>/@scope/<plugin>/plinth.toml`), scanned by
/// [`plinth_extensions::scan`].
///
/// ```
/// use plinth_server::PluginFolders;
/// let folders = PluginFolders::new(["plugins"]);
/// assert_eq!(folders.dirs(), [std::path::PathBuf::from("plugins")]);
/// ```
#[derive(Clone)]
pub struct PluginFolders {
    dirs: Vec<PathBuf>,
    pub(crate) extensions: Arc<ExtensionRegistry>,
    pub(crate) loaders: Arc<Loaders>,
    registrar: Arc<Registrar>,
    /// What each plugin these folders registered was registered from, by
    /// name: a reload replaces a plugin whose folder no longer matches.
    registered: Arc<Mutex<HashMap<String, Fingerprint>>>,
    /// Held by a reload from its scan to its last replacement: reloads take
    /// turns (see the admin route).
    pub(crate) turn: Arc<tokio::sync::Mutex<()>>,
}

/// What a plugin folder held when its plugin was registered: the identity
/// ([`FileStamp`]) of its manifest, of its configuration schema's file and
/// of its module file (each that is a file). Compared as files, not as parsed
/// manifests: a manifest's value that is not equal to itself (a TOML
/// `nan`) would otherwise make every reload replace the plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint(Vec<Option<FileStamp>>);

/// A plugin these folders registered whose folder changed: its name, its
/// new manifest, and what the folder holds now.
type Changed = (String, Arc<Manifest>, Fingerprint);

impl Fingerprint {
    /// Stats of the folder's files, a few per plugin, taken by the scan
    /// right after it read the manifest (see [`FolderScan`]).
    fn of(manifest: &Manifest) -> Fingerprint {
        // The schema's path is the folder's already; the module's is
        // relative to the folder.
        let schema = manifest.config_schema.as_ref().and_then(|s| s.file.clone());
        let module = manifest
            .module
            .as_ref()
            .map(|m| manifest.dir().join(m.module()));
        let files = [Some(manifest.path.clone()), schema, module];
        Fingerprint(
            files
                .iter()
                .map(|file| file.as_deref().and_then(FileStamp::of))
                .collect(),
        )
    }
}

/// Registers one plugin found in a folder with the manager: any
/// `Fn(&mut Manager, Arc<Manifest>, &Arc<ExtensionRegistry>, &Arc<Loaders>)
/// -> Result<(), ManagerError>` that is `Send + Sync + 'static` is one (a
/// sandbox's `register`, for example). A reload also calls it to make the
/// new version of a plugin whose folder changed, inside
/// [`Manager::replace_with`]: it must register the manifest's name, or
/// the old version stays (`ManagerError::NotReplaced`).
///
/// ```
/// use std::sync::Arc;
/// use plinth_server::PluginRegistrar;
/// fn takes(_: impl PluginRegistrar) {}
/// takes(|manager: &mut plinth_runtime::Manager, manifest, extensions: &Arc<_>, loaders: &Arc<_>| {
///     manager.register(plinth_runtime::ManifestPlugin::new(manifest, extensions.clone(), loaders.clone()))
/// });
/// ```
pub trait PluginRegistrar:
    Fn(
        &mut Manager,
        Arc<Manifest>,
        &Arc<ExtensionRegistry>,
        &Arc<Loaders>,
    ) -> Result<(), ManagerError>
    + Send
    + Sync
    + 'static
{
}

impl<F> PluginRegistrar for F where
    F: Fn(
            &mut Manager,
            Arc<Manifest>,
            &Arc<ExtensionRegistry>,
            &Arc<Loaders>,
        ) -> Result<(), ManagerError>
        + Send
        + Sync
        + 'static
{
}

type Registrar = dyn PluginRegistrar;

impl std::fmt::Debug for PluginFolders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginFolders")
            .field("dirs", &self.dirs)
            .finish_non_exhaustive()
    }
}

/// The default registrar: every found plugin as a [`ManifestPlugin`].
fn as_manifest_plugin(
    manager: &mut Manager,
    manifest: Arc<Manifest>,
    extensions: &Arc<ExtensionRegistry>,
    loaders: &Arc<Loaders>,
) -> Result<(), ManagerError> {
    manager.register(ManifestPlugin::new(
        manifest,
        extensions.clone(),
        loaders.clone(),
    ))
}

impl PluginFolders {
    /// The folders `dirs`, their plugins' extensions in a registry of
    /// their own, with no module loaders (data-only and extension
    /// declarations; see [`with`](Self::with) for loaders).
    ///
    /// ```
    /// let folders = plinth_server::PluginFolders::new(Vec::<std::path::PathBuf>::new());
    /// assert!(folders.dirs().is_empty());
    /// ```
    pub fn new<P: Into<PathBuf>>(dirs: impl IntoIterator<Item = P>) -> Self {
        Self::with(
            dirs,
            Arc::new(ExtensionRegistry::new()),
            Arc::new(Loaders::new()),
        )
    }

    /// The folders `dirs`, their plugins' extensions going into
    /// `extensions`, modules resolved by `loaders`.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use plinth_extensions::{ExtensionRegistry, Loaders};
    /// let registry = Arc::new(ExtensionRegistry::new());
    /// let folders = plinth_server::PluginFolders::with(["plugins"], registry.clone(), Arc::new(Loaders::new()));
    /// assert!(Arc::ptr_eq(folders.extensions(), &registry));
    /// ```
    pub fn with<P: Into<PathBuf>>(
        dirs: impl IntoIterator<Item = P>,
        extensions: Arc<ExtensionRegistry>,
        loaders: Arc<Loaders>,
    ) -> Self {
        PluginFolders {
            dirs: dirs.into_iter().map(Into::into).collect(),
            extensions,
            loaders,
            registrar: Arc::new(as_manifest_plugin),
            registered: Arc::default(),
            turn: Arc::default(),
        }
    }

    /// Registers each found plugin with `registrar` instead of as a
    /// [`ManifestPlugin`]: how an application runs the plugins whose
    /// manifest names code (a sandbox's `register`, say).
    ///
    /// ```
    /// use plinth_runtime::ManifestPlugin;
    /// let folders = plinth_server::PluginFolders::new(["plugins"]).with_registrar(
    ///     |manager, manifest, extensions, loaders| {
    ///         manager.register(ManifestPlugin::new(manifest, extensions.clone(), loaders.clone()))
    ///     },
    /// );
    /// ```
    pub fn with_registrar(mut self, registrar: impl PluginRegistrar) -> Self {
        self.registrar = Arc::new(registrar);
        self
    }

    /// The directories scanned, in order (a later one's plugin replaces an
    /// earlier one's of the same name).
    ///
    /// ```
    /// assert_eq!(plinth_server::PluginFolders::new(["a", "b"]).dirs().len(), 2);
    /// ```
    pub fn dirs(&self) -> &[PathBuf] {
        &self.dirs
    }

    /// The registry the folders' plugins register their extensions in.
    ///
    /// ```
    /// let folders = plinth_server::PluginFolders::new(["plugins"]);
    /// assert!(folders.extensions().extension_names("app:tools").is_empty());
    /// ```
    pub fn extensions(&self) -> &Arc<ExtensionRegistry> {
        &self.extensions
    }

    /// Scans the directories (file system reads: call it off the async
    /// threads, as the server does).
    ///
    /// ```
    /// let found = plinth_server::PluginFolders::new(["/does/not/exist"]).scan();
    /// assert!(found.discovery.plugins.is_empty() && found.discovery.errors.is_empty());
    /// ```
    pub fn scan(&self) -> FolderScan {
        let discovery = scan(&self.dirs);
        let fingerprints = discovery
            .plugins
            .iter()
            .map(|found| (found.name().to_owned(), Fingerprint::of(&found.manifest)))
            .collect();
        FolderScan {
            discovery,
            fingerprints,
        }
    }

    /// Brings `manager` in line with `scan`, a [scan](Self::scan) of the
    /// folders:
    /// - a plugin it does not know is registered and started (with its new
    ///   dependencies);
    /// - a plugin these folders registered whose folder changed since (its
    ///   manifest, its configuration schema, its module file) is replaced
    ///   by the new version ([`Manager::replace_with`]): what ran of it and
    ///   its dependents starts again, a disabled plugin stays disabled;
    /// - every other plugin is left as it is: those registered otherwise,
    ///   those unchanged, and those whose folder is gone.
    ///
    /// What happened is in the report; nothing is an error. Apply scans in
    /// the order they were made, one reload at a time (the admin route
    /// does): a scan applied after a newer one would put the older
    /// version back.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let dir = tempfile::tempdir()?;
    /// let manifest = dir.path().join("theme/plinth.toml");
    /// std::fs::create_dir_all(dir.path().join("theme"))?;
    /// std::fs::write(&manifest, "[plugin]\nname = \"theme\"\nversion = \"1.0.0\"\n")?;
    /// let folders = plinth_server::PluginFolders::new([dir.path()]);
    /// let mut manager = plinth_runtime::Manager::new();
    /// let report = folders.reload(&mut manager, &folders.scan()).await;
    /// assert_eq!(report.added, ["theme"]);
    /// let again = folders.reload(&mut manager, &folders.scan()).await;
    /// assert_eq!(again.unchanged, ["theme"]);
    /// std::fs::write(&manifest, "[plugin]\nname = \"theme\"\nversion = \"1.10.0\"\n")?;
    /// let updated = folders.reload(&mut manager, &folders.scan()).await;
    /// assert_eq!(updated.updated, ["theme"]);
    /// assert_eq!(manager.metadata("theme").unwrap().version().to_string(), "1.10.0");
    /// # Ok(()) }
    /// ```
    pub async fn reload(&self, manager: &mut Manager, scan: &FolderScan) -> ReloadReport {
        let (mut report, registered, mut changed) = self.sort(manager, scan);
        // The new versions first, in start order: a new plugin may need
        // one, and a changed plugin may need another's.
        let order = manager.start_order();
        changed.sort_by_key(|(name, ..)| order.iter().position(|n| n == name));
        for (name, manifest, fingerprint) in changed {
            let replaced = manager
                .replace_with(&name, |manager| {
                    (self.registrar)(manager, manifest, &self.extensions, &self.loaders)
                })
                .await;
            // Tried once per change of the folder, whatever came of it: a
            // folder that cannot be used is not tried again at each reload.
            self.remember(&name, fingerprint);
            match replaced {
                Ok(started) => {
                    if !started.failed.iter().any(|(n, _)| *n == name) {
                        report.updated.push(name);
                    }
                    report
                        .failed
                        .extend(started.failed.into_iter().map(|(plugin, reason)| NotAdded {
                            plugin,
                            reason: reason.to_string(),
                        }));
                }
                Err(e) => report.failed.push(NotAdded {
                    plugin: name,
                    reason: e.to_string(),
                }),
            }
        }
        // In scan order; enabling one starts its required dependencies
        // first, so an order between the new plugins need not be found.
        for name in &registered {
            if let Err(e) = manager.enable(name).await {
                tracing::warn!(plugin = %name, "plugin from a folder did not start: {e}");
            }
        }
        for name in registered {
            match manager.state(&name) {
                Some(PluginState::Active) => report.added.push(name),
                _ => {
                    let reason = manager
                        .reason(&name)
                        .map_or_else(|| "not started".to_string(), ToString::to_string);
                    report.failed.push(NotAdded {
                        plugin: name,
                        reason,
                    });
                }
            }
        }
        report
    }

    /// Registers (without starting) the plugins of `scan` that `manager`
    /// does not know yet; the report without `added` and `updated`, and
    /// the names registered.
    pub(crate) fn register_new(
        &self,
        manager: &mut Manager,
        scan: &FolderScan,
    ) -> (ReloadReport, Vec<String>) {
        let (mut report, registered, changed) = self.sort(manager, scan);
        // At start nothing was registered before: nothing changed.
        report
            .unchanged
            .extend(changed.into_iter().map(|(name, ..)| name));
        (report, registered)
    }

    /// Registers the plugins of `scan` that `manager` does not know, and
    /// tells the others apart: those these folders registered from a
    /// folder that changed since, with what it held when scanned, and the
    /// rest (in the report's `unchanged`).
    fn sort(
        &self,
        manager: &mut Manager,
        scan: &FolderScan,
    ) -> (ReloadReport, Vec<String>, Vec<Changed>) {
        let discovery = &scan.discovery;
        let mut report = ReloadReport {
            errors: discovery.errors.iter().map(ToString::to_string).collect(),
            ..ReloadReport::default()
        };
        let mut registered = Vec::new();
        let mut changed = Vec::new();
        for found in &discovery.plugins {
            let name = found.name().to_string();
            let now = scan.fingerprint(found.name(), &found.manifest);
            if manager.state(&name).is_some() {
                // Only a folder these folders registered is looked at
                // again: a plugin the application registered itself is
                // never replaced.
                match self.known().get(&name) {
                    Some(was) if *was != now => {
                        changed.push((name, found.manifest.clone(), now));
                    }
                    _ => report.unchanged.push(name),
                }
                continue;
            }
            match (self.registrar)(
                manager,
                found.manifest.clone(),
                &self.extensions,
                &self.loaders,
            ) {
                Ok(()) => {
                    self.remember(&name, now);
                    registered.push(name);
                }
                Err(e) => report.failed.push(NotAdded {
                    plugin: name,
                    reason: e.to_string(),
                }),
            }
        }
        (report, registered, changed)
    }

    fn known(&self) -> std::sync::MutexGuard<'_, HashMap<String, Fingerprint>> {
        self.registered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    fn remember(&self, name: &str, fingerprint: Fingerprint) {
        self.known().insert(name.to_owned(), fingerprint);
    }
}

/// A scan of the plugin folders ([`PluginFolders::scan`]): the plugins
/// found, and what each one's folder held when its manifest was read.
///
/// A reload compares that with what the folder held when its plugin was
/// registered. Both are taken where the files are read, not when the
/// reload gets the manager: a folder that changes while a reload waits
/// for it is seen as changed by the next reload, not recorded as the
/// version already running.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("theme"))?;
/// std::fs::write(dir.path().join("theme/plinth.toml"), "[plugin]\nname = \"theme\"\nversion = \"1.0.0\"\n")?;
/// let scan = plinth_server::PluginFolders::new([dir.path()]).scan();
/// assert_eq!(scan.discovery.plugins[0].name(), "theme");
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug)]
pub struct FolderScan {
    /// The plugins found, and the manifests that could not be used.
    pub discovery: Discovery,
    /// Each plugin's folder, by name, as the scan found it.
    fingerprints: HashMap<String, Fingerprint>,
}

impl FolderScan {
    /// What the folder of the plugin `name` held when scanned; stats it
    /// now for a plugin added to `discovery` by hand.
    fn fingerprint(&self, name: &str, manifest: &Manifest) -> Fingerprint {
        self.fingerprints
            .get(name)
            .cloned()
            .unwrap_or_else(|| Fingerprint::of(manifest))
    }
}

impl From<Discovery> for FolderScan {
    /// A scan made otherwise (with [`plinth_extensions::scan`], or a
    /// [`ManifestCache`](plinth_extensions::ManifestCache)): its plugins'
    /// folders are stat'ed by the reload that uses it.
    fn from(discovery: Discovery) -> Self {
        FolderScan {
            discovery,
            fingerprints: HashMap::new(),
        }
    }
}

/// What a scan of the plugin folders added (`POST /api/admin/reload`
/// answers it as JSON).
///
/// ```
/// let report = plinth_server::ReloadReport::default();
/// assert_eq!(
///     serde_json::to_value(&report)?,
///     serde_json::json!({ "added": [], "updated": [], "failed": [], "unchanged": [], "errors": [] })
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReloadReport {
    /// Plugins found for the first time, registered and now active.
    pub added: Vec<String>,
    /// Plugins whose folder changed since they were registered from it,
    /// replaced by the new version (running again if they ran; a new
    /// version that did not start is under `failed` instead).
    pub updated: Vec<String>,
    /// Plugins that could not be registered or replaced, or did not start:
    /// new ones (listed, `failed`), new versions (in place, `failed`; or,
    /// when the registrar failed, the old version running on), and
    /// plugins that could not start again after a new version of one they
    /// need (`failed` or disabled). Each with its reason; a reload after
    /// the folder is fixed tries again.
    pub failed: Vec<NotAdded>,
    /// Plugins already known, left as they were: unchanged, or not
    /// registered from these folders.
    pub unchanged: Vec<String>,
    /// Manifests that could not be used, each with its file and why.
    pub errors: Vec<String>,
}

/// A plugin that a scan found but could not add, replace or start, or that
/// did not start again after a new version of a plugin it needs.
///
/// ```
/// let n = plinth_server::NotAdded { plugin: "x".into(), reason: "missing dependency \"y\"".into() };
/// assert_eq!(serde_json::to_value(&n)?["plugin"], "x");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NotAdded {
    /// Its name.
    pub plugin: String,
    /// Why.
    pub reason: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"{"type": "object"}"#;

    fn write_plugin(dir: &std::path::Path, version: &str) {
        std::fs::create_dir_all(dir.join("limiter")).unwrap();
        std::fs::write(
            dir.join("limiter/plinth.toml"),
            format!(
                "[plugin]\nname = \"limiter\"\nversion = \"{version}\"\n[config]\nschema = \"config.schema.json\"\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.join("limiter/config.schema.json"), SCHEMA).unwrap();
    }

    #[cfg(unix)]
    #[tokio::test(flavor = "current_thread")]
    async fn a_changed_schema_file_is_seen_in_a_folder_given_by_a_relative_path() {
        // A temporary folder named relative to the working directory, as
        // `pluginDirs: ["plugins"]` would be: up to the root, then down.
        let tmp = tempfile::tempdir().unwrap();
        let cwd = std::env::current_dir().unwrap();
        let up: PathBuf = cwd.components().skip(1).map(|_| "..").collect();
        let relative = up.join(tmp.path().strip_prefix("/").unwrap());
        assert!(relative.is_relative());
        write_plugin(&relative, "1.0.0");
        let folders = PluginFolders::new([&relative]);
        let mut manager = Manager::new();
        assert_eq!(
            folders.reload(&mut manager, &folders.scan()).await.added,
            ["limiter"]
        );
        assert_eq!(
            folders
                .reload(&mut manager, &folders.scan())
                .await
                .unchanged,
            ["limiter"]
        );

        // Of another length: a rewrite within one timestamp tick shows.
        std::fs::write(
            relative.join("limiter/config.schema.json"),
            r#"{"type": "object", "required": []}"#,
        )
        .unwrap();
        let report = folders.reload(&mut manager, &folders.scan()).await;
        assert_eq!(report.updated, ["limiter"], "{report:?}");
    }

    #[tokio::test(flavor = "current_thread")]
    async fn a_folder_changed_after_its_scan_is_replaced_by_the_next_reload() {
        let dir = tempfile::tempdir().unwrap();
        write_plugin(dir.path(), "1.0.0");
        let folders = PluginFolders::new([dir.path()]);
        let mut manager = Manager::new();
        // The scan reads version 1; the folder changes while the reload
        // waits for the manager.
        let scan = folders.scan();
        write_plugin(dir.path(), "1.10.0");
        let report = folders.reload(&mut manager, &scan).await;
        assert_eq!(report.added, ["limiter"]);
        assert_eq!(
            manager.metadata("limiter").unwrap().version().to_string(),
            "1.0.0"
        );
        // What runs is version 1: the change is still to be made.
        let report = folders.reload(&mut manager, &folders.scan()).await;
        assert_eq!(report.updated, ["limiter"], "{report:?}");
        assert_eq!(
            manager.metadata("limiter").unwrap().version().to_string(),
            "1.10.0"
        );
    }
}
