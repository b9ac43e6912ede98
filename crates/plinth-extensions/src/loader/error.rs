//! Why a module could not be loaded.

use crate::BoxError;

/// A module that could not be loaded, naming the plugin and the module.
///
/// ```
/// use plinth_extensions::LoadError;
///
/// let err = LoadError::NoLoader { plugin: "p".into(), kind: "wasm".into(), module: "p.wasm".into() };
/// assert_eq!(err.to_string(), r#"plugin "p": no loader for module kind "wasm" (module "p.wasm")"#);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// No loader is installed for the module's kind.
    #[error("plugin {plugin:?}: no loader for module kind {kind:?} (module {module:?})")]
    NoLoader {
        /// The plugin.
        plugin: String,
        /// The module kind.
        kind: String,
        /// The module.
        module: String,
    },
    /// The loader knows no such module.
    #[error("plugin {plugin:?}: {kind} module {module:?} not found")]
    NotFound {
        /// The plugin.
        plugin: String,
        /// The module kind.
        kind: String,
        /// The module.
        module: String,
    },
    /// The module has no factory under the requested object.
    #[error("plugin {plugin:?}: module {module:?} has no factory {}", object.as_deref().map_or("(default)".to_string(), |o| format!("{o:?}")))]
    NoObject {
        /// The plugin.
        plugin: String,
        /// The module.
        module: String,
        /// The object (`None`: the module's default factory).
        object: Option<String>,
    },
    /// The loader failed.
    #[error("plugin {plugin:?}: module {module:?} failed to load: {source}")]
    Failed {
        /// The plugin.
        plugin: String,
        /// The module.
        module: String,
        /// The loader's error.
        source: BoxError,
    },
}
