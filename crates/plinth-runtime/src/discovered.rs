//! Discovered plugins (`plinth.toml` manifests) as manager plugins.
//!
//! A manifest brings no code of its own: what it contributes is metadata
//! (name, version, dependencies, configuration schema), data entities and
//! extensions whose modules the loaders resolve lazily. Enabling such a
//! plugin registers its extensions; disabling it removes them; its data
//! entities and extension declarations enter the manager's host snapshot.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use plinth_core::{
    DynamicEntities, EmptyEntities, Entities, EntityDataError, EntityKeyRef, FromEntityData,
};
use plinth_extensions::{Discovery, ExtensionRegistry, Loaders, Manifest, register_manifest};
use plinth_hooks::BoxError;
use serde_json::{Value, json};

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
/// use plinth_runtime::{DynamicSchema, ManifestPlugin};
///
/// let manifest = Manifest::parse(
///     "[plugin]\nname = \"theme-dark\"\nversion = \"2.0.0\"\n[entities.assets]\nlogo = \"moon.svg\"\n",
///     std::path::Path::new("plugins/theme-dark/plinth.toml"),
/// )?;
/// let plugin = ManifestPlugin::new(manifest, Arc::new(ExtensionRegistry::new()), Arc::new(Loaders::new()));
/// assert_eq!(plugin.metadata().version().to_string(), "2.0.0");
/// let entities: DynamicSchema = plugin.read_entities()?;
/// assert_eq!(entities.get("assets").unwrap().get("logo"), Some(&"moon.svg".into()));
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

    /// The registry its extensions go into.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use plinth_extensions::{ExtensionRegistry, Loaders, Manifest};
    /// # use plinth_runtime::ManifestPlugin;
    /// # let m = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n", std::path::Path::new("a/plinth.toml"))?;
    /// let registry = Arc::new(ExtensionRegistry::new());
    /// let plugin = ManifestPlugin::new(m, registry.clone(), Arc::new(Loaders::new()));
    /// assert!(Arc::ptr_eq(plugin.extensions(), &registry));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn extensions(&self) -> &Arc<ExtensionRegistry> {
        &self.extensions
    }

    /// The loaders resolving its extensions' modules.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use plinth_extensions::{ExtensionRegistry, Loaders, Manifest};
    /// # use plinth_runtime::ManifestPlugin;
    /// # let m = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n", std::path::Path::new("a/plinth.toml"))?;
    /// let loaders = Arc::new(Loaders::new());
    /// let plugin = ManifestPlugin::new(m, Arc::new(ExtensionRegistry::new()), loaders.clone());
    /// assert!(Arc::ptr_eq(plugin.loaders(), &loaders));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn loaders(&self) -> &Arc<Loaders> {
        &self.loaders
    }

    /// Its metadata, from the manifest (the same for every schema it
    /// serves, so callers need not name one).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use plinth_extensions::{ExtensionRegistry, Loaders, Manifest};
    /// # use plinth_runtime::ManifestPlugin;
    /// # let m = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.2.0\"\n", std::path::Path::new("a/plinth.toml"))?;
    /// let plugin = ManifestPlugin::new(m, Arc::new(ExtensionRegistry::new()), Arc::new(Loaders::new()));
    /// assert_eq!(plugin.metadata().version().to_string(), "1.2.0");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn metadata(&self) -> Metadata {
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
            let origin = match &schema.file {
                Some(file) => file.display().to_string(),
                None => format!("{} ([config] schema)", m.path.display()),
            };
            meta = meta
                .with_config_schema(schema.schema.clone())
                .with_config_schema_origin(origin);
        }
        meta
    }

    /// Its entities in the entity schema `S`: `[entities.<type>]` data
    /// deserialized into the schema's value types (through JSON), and the
    /// `extension:<point>` declarations where the schema has such an
    /// entity type (the [`DynamicSchema`](crate::DynamicSchema) has them
    /// all; a typed schema none). An entity type the manifest does not
    /// have is empty.
    ///
    /// ```
    /// # use std::{path::Path, sync::Arc};
    /// use plinth_core::Entities;
    /// use plinth_extensions::{ExtensionRegistry, Loaders, Manifest};
    /// use plinth_macros::EntitySchema;
    /// use plinth_runtime::{DynamicSchema, ManifestPlugin};
    ///
    /// #[derive(EntitySchema)]
    /// struct AppEntities { assets: Entities<String>, weights: Entities<u32> }
    ///
    /// let m = Manifest::parse(
    ///     "[plugin]\nname = \"theme\"\nversion = \"1.0.0\"\n[entities.assets]\nlogo = \"moon.svg\"\n",
    ///     Path::new("plugins/theme/plinth.toml"),
    /// )?;
    /// let plugin = ManifestPlugin::new(m, Arc::new(ExtensionRegistry::new()), Arc::new(Loaders::new()));
    /// let typed: AppEntities = plugin.read_entities()?;
    /// assert_eq!(typed.assets.get("logo").map(String::as_str), Some("moon.svg"));
    /// assert!(typed.weights.is_empty());
    /// let dynamic: DynamicSchema = plugin.read_entities()?;
    /// assert_eq!(dynamic.get("assets").unwrap().get("logo"), Some(&"moon.svg".into()));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`ManifestEntitiesError`] for an entity type the schema does not
    /// have or a value that does not deserialize into its type.
    pub fn read_entities<S: FromEntityData<Value>>(&self) -> Result<S, ManifestEntitiesError> {
        self.read_entities_with(DynamicEntities::new())
    }

    /// As [`read_entities`](Self::read_entities), with `extra` entities
    /// (contributed by the plugin's code) added to the manifest's; an
    /// entry of `extra` replaces the manifest's under the same key.
    ///
    /// ```
    /// # use std::{path::Path, sync::Arc};
    /// use plinth_core::{DynamicEntities, Entities};
    /// use plinth_extensions::{ExtensionRegistry, Loaders, Manifest};
    /// use plinth_runtime::{DynamicSchema, ManifestPlugin};
    ///
    /// let m = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n[entities.assets]\nlogo = \"a.svg\"\n", Path::new("a/plinth.toml"))?;
    /// let plugin = ManifestPlugin::new(m, Arc::new(ExtensionRegistry::new()), Arc::new(Loaders::new()));
    /// let mut extra = DynamicEntities::new();
    /// extra.insert("assets", Entities::from_iter([("icon".to_owned(), serde_json::json!("i.svg"))]));
    /// let all: DynamicSchema = plugin.read_entities_with(extra)?;
    /// assert_eq!(all.get("assets").unwrap().len(), 2);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// As [`read_entities`](Self::read_entities); an error about an entry
    /// of `extra` has no place in the manifest.
    pub fn read_entities_with<S: FromEntityData<Value>>(
        &self,
        extra: DynamicEntities<Value>,
    ) -> Result<S, ManifestEntitiesError> {
        let mut data = self.entity_data::<S>();
        for (ty, entries) in extra.iter() {
            let mut map = data.get(ty).cloned().unwrap_or_default();
            for (key, value) in entries.iter() {
                if let EntityKeyRef::Name(key) = key {
                    map.insert(key, value.clone());
                }
            }
            data.insert(ty, map);
        }
        S::from_entity_data(data).map_err(|source| {
            let location = self
                .manifest
                .entity_location(source.entity_type(), source.key());
            ManifestEntitiesError(Box::new(Details {
                plugin: self.manifest.name.clone(),
                path: self.manifest.path.clone(),
                location,
                source,
            }))
        })
    }

    /// The manifest's entities as JSON data, with the extension
    /// declarations `S` has room for.
    fn entity_data<S: FromEntityData<Value>>(&self) -> DynamicEntities<Value> {
        let mut out = DynamicEntities::new();
        for (ty, map) in &self.manifest.entities {
            let converted: Entities<Value> = map
                .iter()
                .filter_map(|(key, value)| {
                    let EntityKeyRef::Name(key) = key else {
                        return None; // manifests have no symbols
                    };
                    Some((key.to_owned(), plinth_extensions::toml_to_json(value)))
                })
                .collect();
            out.insert(ty.as_str(), converted);
        }
        for decl in &self.manifest.extensions {
            let ty = extension_entity_type(&decl.point);
            // Declared by the manager, not by the plugin's author: a schema
            // without the type has simply not asked for it.
            if !S::has_entity_type(&ty) {
                continue;
            }
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

/// A manifest plugin serves any manager whose entity schema can be read
/// from entity data: the dynamic one, and every derived schema whose value
/// types deserialize.
impl<S> Plugin<S> for ManifestPlugin
where
    S: EmptyEntities + FromEntityData<Value> + 'static,
{
    fn metadata(&self) -> Metadata {
        ManifestPlugin::metadata(self)
    }

    fn initialize(&mut self, _ctx: &Context) -> Result<(), BoxError> {
        // A manifest naming code must not start as data only: its hooks
        // would silently never run.
        if let Some(module) = &self.manifest.module {
            return Err(format!(
                "plugin {:?}: no loader for its module {module} (module kind {:?}); \
                 a `wasm` module needs the sandbox (plinth-wasm)",
                self.manifest.name,
                module.kind()
            )
            .into());
        }
        register_manifest(&self.manifest, &self.extensions, &self.loaders);
        Ok(())
    }

    fn destroy(&mut self) -> Result<(), BoxError> {
        self.extensions.remove_owner(&self.manifest.name);
        Ok(())
    }

    fn entities(&self) -> S {
        // The manager calls `try_entities`; this is for other callers, who
        // get nothing rather than data that does not fit.
        self.read_entities().unwrap_or_else(|e| {
            tracing::warn!("{e}");
            S::empty()
        })
    }

    fn try_entities(&self) -> Result<S, BoxError> {
        Ok(self.read_entities()?)
    }
}

/// A manifest's entity data that does not fit the application's entity
/// schema: names the plugin, the entity type, the key when it is about one
/// value, and the place in the manifest.
///
/// ```
/// # use std::{path::Path, sync::Arc};
/// use plinth_core::Entities;
/// use plinth_extensions::{ExtensionRegistry, Loaders, Manifest};
/// use plinth_macros::EntitySchema;
/// use plinth_runtime::ManifestPlugin;
///
/// #[derive(EntitySchema)]
/// struct AppEntities { weights: Entities<u32> }
///
/// let m = Manifest::parse(
///     "[plugin]\nname = \"heavy\"\nversion = \"1.0.0\"\n[entities.weights]\nanvil = \"a lot\"\n",
///     Path::new("plugins/heavy/plinth.toml"),
/// )?;
/// let plugin = ManifestPlugin::new(m, Arc::new(ExtensionRegistry::new()), Arc::new(Loaders::new()));
/// let err = plugin.read_entities::<AppEntities>().err().unwrap();
/// assert_eq!(err.location(), Some((5, 1)));
/// assert_eq!(
///     err.to_string(),
///     "plugins/heavy/plinth.toml:5:1: plugin \"heavy\": entity type \"weights\", key \"anvil\": \
///      invalid type: string \"a lot\", expected u32"
/// );
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ManifestEntitiesError(Box<Details>);

// Boxed: a failed start is rare, a `Result` carrying it is not.
#[derive(Debug, Clone, PartialEq)]
struct Details {
    plugin: String,
    path: PathBuf,
    location: Option<(usize, usize)>,
    source: EntityDataError,
}

impl std::fmt::Display for ManifestEntitiesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = &self.0;
        match d.location {
            Some((line, column)) => write!(f, "{}:{line}:{column}", d.path.display())?,
            None => write!(f, "{}", d.path.display())?,
        }
        write!(f, ": plugin {:?}: {}", d.plugin, d.source)
    }
}

impl std::error::Error for ManifestEntitiesError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0.source)
    }
}

impl ManifestEntitiesError {
    /// The plugin's name.
    ///
    /// ```
    /// # use std::{path::Path, sync::Arc};
    /// # use plinth_core::Entities;
    /// # use plinth_extensions::{ExtensionRegistry, Loaders, Manifest};
    /// # use plinth_macros::EntitySchema;
    /// # use plinth_runtime::ManifestPlugin;
    /// #[derive(EntitySchema)]
    /// struct AppEntities { assets: Entities<String> }
    /// let m = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n[entities.colours]\n", Path::new("a/plinth.toml"))?;
    /// let plugin = ManifestPlugin::new(m, Arc::new(ExtensionRegistry::new()), Arc::new(Loaders::new()));
    /// let err = plugin.read_entities::<AppEntities>().err().unwrap();
    /// assert_eq!(err.plugin(), "a");
    /// assert_eq!(err.path(), Path::new("a/plinth.toml"));
    /// assert_eq!(err.location(), Some((4, 11)));
    /// assert_eq!(err.data_error().entity_type(), "colours");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn plugin(&self) -> &str {
        &self.0.plugin
    }

    /// The manifest file.
    ///
    /// See [`plugin`](Self::plugin) for an example.
    ///
    /// ```
    /// # use std::path::Path;
    /// # fn f(err: &plinth_runtime::ManifestEntitiesError) -> &Path { err.path() }
    /// ```
    pub fn path(&self) -> &Path {
        &self.0.path
    }

    /// `(line, column)` in the manifest: of the key for a value that does
    /// not fit, of the table for an unknown entity type.
    ///
    /// ```
    /// # fn f(err: &plinth_runtime::ManifestEntitiesError) -> Option<usize> { err.location().map(|(line, _)| line) }
    /// ```
    pub fn location(&self) -> Option<(usize, usize)> {
        self.0.location
    }

    /// What did not fit, by entity type and key.
    ///
    /// ```
    /// # fn f(err: &plinth_runtime::ManifestEntitiesError) -> Option<&str> { err.data_error().key() }
    /// ```
    pub fn data_error(&self) -> &EntityDataError {
        &self.0.source
    }
}

impl<S> Manager<S>
where
    S: EmptyEntities + FromEntityData<Value> + 'static,
{
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
