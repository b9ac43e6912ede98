//! Discovered extensions into an extension registry.

use std::sync::Arc;

use crate::{DiscoveredPlugin, Discovery, ExtensionRegistry, LazyFactory, Loaders, Manifest};

impl Discovery {
    /// Registers every declared extension of every plugin, in plugin and
    /// file order, with its module to be loaded on first connect (the seeds'
    /// `loadPackage`). An extension declared again replaces the earlier
    /// factory and keeps its position.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// use plinth_extensions::{Discovery, ExtensionRegistry, Loaders};
    /// let registry = ExtensionRegistry::new();
    /// Discovery::default().register_extensions(&registry, &Arc::new(Loaders::new()));
    /// assert!(registry.point_names().is_empty());
    /// ```
    pub fn register_extensions(&self, registry: &ExtensionRegistry, loaders: &Arc<Loaders>) {
        for plugin in &self.plugins {
            plugin.register_extensions(registry, loaders);
        }
    }
}

impl DiscoveredPlugin {
    /// Registers the plugin's declared extensions (see
    /// [`Discovery::register_extensions`]).
    ///
    /// ```
    /// # use std::{path::Path, sync::Arc};
    /// use plinth_extensions::{DiscoveredPlugin, ExtensionRegistry, Loaders, Manifest};
    /// let manifest = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n[extensions.p]\nx = \"a\"\n", Path::new("plugins/a/plinth.toml"))?;
    /// let plugin = DiscoveredPlugin { manifest: manifest.into(), search_dir: "plugins".into() };
    /// let registry = ExtensionRegistry::new();
    /// plugin.register_extensions(&registry, &Arc::new(Loaders::new()));
    /// assert_eq!(registry.extension_names("p"), ["x"]);
    /// # Ok::<(), plinth_extensions::ManifestError>(())
    /// ```
    pub fn register_extensions(&self, registry: &ExtensionRegistry, loaders: &Arc<Loaders>) {
        register_manifest(&self.manifest, registry, loaders);
    }
}

/// Registers a manifest's declared extensions, lazily loaded.
///
/// ```
/// # use std::{path::Path, sync::Arc};
/// use plinth_extensions::{register_manifest, ExtensionRegistry, Loaders, Manifest};
/// let m = Manifest::parse("[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n[extensions.p]\nx = \"a\"\n", Path::new("a/plinth.toml"))?;
/// let registry = ExtensionRegistry::new();
/// register_manifest(&m, &registry, &Arc::new(Loaders::new()));
/// assert_eq!(registry.extension_names("p"), ["x"]);
/// # Ok::<(), plinth_extensions::ManifestError>(())
/// ```
pub fn register_manifest(
    manifest: &Manifest,
    registry: &ExtensionRegistry,
    loaders: &Arc<Loaders>,
) {
    let plugin: Arc<str> = Arc::from(manifest.name.as_str());
    let dir: Arc<std::path::Path> = Arc::from(manifest.dir());
    registry.register_lazy_all(manifest.extensions.iter().map(|decl| {
        let lazy = LazyFactory::new(
            plugin.clone(),
            dir.clone(),
            decl.module.clone(),
            loaders.clone(),
        );
        (
            decl.point.as_str(),
            decl.name.as_str(),
            Arc::new(lazy),
            decl.activation,
        )
    }));
}
