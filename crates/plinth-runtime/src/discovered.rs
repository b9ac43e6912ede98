//! Discovered plugins (`plinth.toml` manifests) as manager plugins.
//!
//! A manifest brings no code of its own: what it contributes is metadata
//! (name, version, dependencies, configuration schema), data entities and
//! extensions whose modules the loaders resolve lazily. Enabling such a
//! plugin registers its extensions; disabling it removes them; its data
//! entities and extension declarations enter the manager's host snapshot.

use std::sync::Arc;

use plinth_core::{DynamicEntities, Entities, EntityKeyRef};
use plinth_extensions::{register_manifest, Discovery, ExtensionRegistry, Loaders, Manifest};
use plinth_hooks::BoxError;
use serde_json::{json, Value};

use crate::{Context, Manager, ManagerError, Metadata, Plugin};

/// The entity type under which a plugin's extensions of `point` appear in
/// the snapshot: `extension:<point>`, keyed by extension name.
///
/// ```
/// assert_eq!(plinth_runtime::extension_entity_type("xedit:language"), "extension:xedit:language");
/// ```
pub fn extension_entity_type(point: &str) -> String {
    format!("extension:{point}")
}

/// A plugin known by its manifest only.
///
/// ```
/// use std::sync::Arc;
/// use plinth_extensions::{ExtensionRegistry, Loaders, Manifest};
/// use plinth_runtime::{ManifestPlugin, Plugin};
///
/// let manifest = Manifest::parse(
///     "[plugin]\nname = \"theme-dark\"\nversion = \"2.0.0\"\n[entities.assets]\nlogo = \"moon.svg\"\n",
///     std::path::Path::new("plugins/theme-dark/plinth.toml"),
/// )?;
/// let plugin = ManifestPlugin::new(manifest, Arc::new(ExtensionRegistry::new()), Arc::new(Loaders::new()));
/// assert_eq!(plugin.metadata().version().to_string(), "2.0.0");
/// assert_eq!(plugin.entities().get("assets").unwrap().get("logo"), Some(&"moon.svg".into()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct ManifestPlugin {
    manifest: Arc<Manifest>,
    extensions: Arc<ExtensionRegistry>,
    loaders: Arc<Loaders>,
}

impl ManifestPlugin {
    /// A plugin for `manifest` (owned, or shared with a scan's
    /// [`Discovery`]) whose extensions go into `extensions`, their modules
    /// resolved by `loaders`.
    ///
    /// ```
    /// # use std::{path::Path, sync::Arc};
    /// use plinth_extensions::{ExtensionRegistry, Loaders, Manifest};
    /// use plinth_runtime::{Manager, ManifestPlugin};
    /// # let manifest = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n[extensions.\"app:tools\"]\nt = \"a\"\n", Path::new("a/plinth.toml"))?;
    /// let registry = Arc::new(ExtensionRegistry::new());
    /// let mut manager = Manager::new();
    /// manager.register(ManifestPlugin::new(manifest, registry.clone(), Arc::new(Loaders::new())))?;
    /// # futures::executor::block_on(async {
    /// manager.initialize_all().await?;
    /// assert_eq!(registry.extension_names("app:tools"), ["t"]);
    /// manager.disable("a").await?;
    /// assert!(registry.extension_names("app:tools").is_empty());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(
        manifest: impl Into<Arc<Manifest>>,
        extensions: Arc<ExtensionRegistry>,
        loaders: Arc<Loaders>,
    ) -> Self {
        ManifestPlugin {
            manifest: manifest.into(),
            extensions,
            loaders,
        }
    }

    /// The manifest.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use plinth_extensions::{ExtensionRegistry, Loaders, Manifest};
    /// # use plinth_runtime::ManifestPlugin;
    /// # let m = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n", std::path::Path::new("a/plinth.toml"))?;
    /// let plugin = ManifestPlugin::new(m, Arc::new(ExtensionRegistry::new()), Arc::new(Loaders::new()));
    /// assert_eq!(plugin.manifest().name, "a");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }
}

impl Plugin for ManifestPlugin {
    fn metadata(&self) -> Metadata {
        let m = &self.manifest;
        let mut meta = Metadata::new(m.name.clone(), &m.version.to_string());
        if let Some(d) = &m.description {
            meta = meta.with_description(d.clone());
        }
        if let Some(a) = &m.author {
            meta = meta.with_author(a.clone());
        }
        for dep in &m.dependencies {
            meta = meta.with_dependency(dep.name.clone(), &dep.req.to_string());
        }
        if let Some(schema) = &m.config_schema {
            meta = meta.with_config_schema(schema.schema.clone());
        }
        meta
    }

    fn initialize(&mut self, _ctx: &Context) -> Result<(), BoxError> {
        register_manifest(&self.manifest, &self.extensions, &self.loaders);
        Ok(())
    }

    fn destroy(&mut self) -> Result<(), BoxError> {
        self.extensions.remove_owner(&self.manifest.name);
        Ok(())
    }

    fn entities(&self) -> DynamicEntities<Value> {
        let mut out = DynamicEntities::new();
        for (ty, map) in &self.manifest.entities {
            let converted: Entities<Value> = map
                .iter()
                .filter_map(|(key, value)| {
                    let EntityKeyRef::Name(key) = key else {
                        return None; // manifests have no symbols
                    };
                    // TOML values always have a JSON form (datetimes become strings).
                    let value = serde_json::to_value(value).ok()?;
                    Some((key.to_owned(), value))
                })
                .collect();
            out.insert(ty.as_str(), converted);
        }
        for decl in &self.manifest.extensions {
            let ty = extension_entity_type(&decl.point);
            let value = json!({
                "module": decl.module.to_string(),
                "auto": decl.activation == plinth_extensions::Activation::Auto,
            });
            let mut map = out.get(ty.as_str()).cloned().unwrap_or_default();
            map.insert(decl.name.as_str(), value);
            out.insert(ty, map);
        }
        out
    }
}

impl Manager {
    /// Registers every discovered plugin as a [`ManifestPlugin`], in scan
    /// order. A plugin that cannot be registered (a duplicate name, bad
    /// metadata) is reported and the others go on.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use plinth_extensions::{scan, ExtensionRegistry, Loaders};
    /// use plinth_runtime::{Manager, PluginState};
    ///
    /// let dir = tempfile::tempdir()?;
    /// std::fs::create_dir_all(dir.path().join("theme"))?;
    /// std::fs::write(
    ///     dir.path().join("theme/plinth.toml"),
    ///     "[plugin]\nname = \"theme\"\nversion = \"1.0.0\"\n[entities.assets]\nlogo = \"moon.svg\"\n",
    /// )?;
    /// let discovery = scan([dir.path()]);
    /// let mut manager = Manager::new();
    /// let errors = manager.register_discovered(&discovery, &Arc::new(ExtensionRegistry::new()), &Arc::new(Loaders::new()));
    /// assert!(errors.is_empty());
    /// # futures::executor::block_on(async {
    /// manager.initialize_all().await?;
    /// assert_eq!(manager.state("theme"), Some(PluginState::Active));
    /// let snapshot = manager.snapshot();
    /// assert_eq!(snapshot.entities().get("assets").unwrap().get("logo"), ["moon.svg"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn register_discovered(
        &mut self,
        discovery: &Discovery,
        extensions: &Arc<ExtensionRegistry>,
        loaders: &Arc<Loaders>,
    ) -> Vec<ManagerError> {
        discovery
            .plugins
            .iter()
            .filter_map(|p| {
                let plugin =
                    ManifestPlugin::new(p.manifest.clone(), extensions.clone(), loaders.clone());
                self.register(plugin).err()
            })
            .collect()
    }
}
