//! Loaders: how a manifest's `module` becomes code, chosen by module kind.
//!
//! A [`Loader`] turns a [`ModuleRequest`] into a [`Module`], which hands out
//! [`ErasedFactory`]s by object name. [`Loaders`] picks the loader by the
//! module's kind and caches every module, so each is loaded once, on the
//! first connect that needs one of its factories ([`LazyFactory`]).
//!
//! plinth ships the `native` loader ([`NativeLoader`]): factories compiled
//! into the application and registered by module and object name with
//! [`native_factory!`](crate::native_factory) (through `inventory`) or
//! explicitly. The `wasm` kind is the seam for the WebAssembly loader of a
//! later issue: it implements [`Loader`] with `kind() == "wasm"` and is added
//! with [`Loaders::with_loader`]; until then a `wasm` module is reported as
//! [`LoadError::NoLoader`].

mod error;
mod lazy;
mod loaders;
mod module_ref;
mod native;

use std::path::Path;
use std::sync::Arc;

pub use error::LoadError;
pub use lazy::LazyFactory;
pub use loaders::Loaders;
pub use module_ref::ModuleRef;
pub use native::{NativeFactory, NativeLoader};

use crate::ErasedFactory;

/// What a loader is asked to load: a module of a plugin.
///
/// ```
/// use std::path::Path;
/// use plinth_extensions::ModuleRequest;
///
/// let req = ModuleRequest { plugin: "p", dir: Path::new("plugins/p"), module: "lib/p.wasm" };
/// assert_eq!(req.path(), Path::new("plugins/p/lib/p.wasm"));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct ModuleRequest<'a> {
    /// The plugin declaring the module.
    pub plugin: &'a str,
    /// The plugin's folder (where its manifest is).
    pub dir: &'a Path,
    /// The module, without its kind prefix.
    pub module: &'a str,
}

impl ModuleRequest<'_> {
    /// The module as a path relative to the plugin's folder, for file-based
    /// loaders.
    ///
    /// ```
    /// # use std::path::Path;
    /// # use plinth_extensions::ModuleRequest;
    /// let req = ModuleRequest { plugin: "p", dir: Path::new("plugins/p"), module: "p.wasm" };
    /// assert_eq!(req.path(), Path::new("plugins/p/p.wasm"));
    /// ```
    pub fn path(&self) -> std::path::PathBuf {
        self.dir.join(self.module)
    }
}

/// Loads modules of one kind (`native`, `wasm`, ...).
///
/// ```
/// use std::sync::Arc;
/// use plinth_extensions::{ErasedFactory, Factory, LoadError, Loader, Loaders, Module, ModuleRequest};
///
/// struct Constant(ErasedFactory);
/// impl Module for Constant {
///     fn factory(&self, _object: Option<&str>) -> Option<ErasedFactory> { Some(self.0.clone()) }
/// }
/// struct ScriptLoader;
/// impl Loader for ScriptLoader {
///     fn kind(&self) -> &str { "script" }
///     fn load(&self, _req: &ModuleRequest<'_>) -> Result<Arc<dyn Module>, LoadError> {
///         Ok(Arc::new(Constant(Factory::<(), (), u8>::sync(|_, _, _| Ok(7)).erase())))
///     }
/// }
/// let loaders = Loaders::new().with_loader(ScriptLoader);
/// assert!(loaders.kinds().any(|k| k == "script"));
/// ```
pub trait Loader: Send + Sync + 'static {
    /// The module kind this loader handles.
    fn kind(&self) -> &str;

    /// What identifies a module for the cache: two requests with the same
    /// key share one load. By default the module's path.
    fn cache_key(&self, request: &ModuleRequest<'_>) -> String {
        request.path().to_string_lossy().into_owned()
    }

    /// Loads the module.
    ///
    /// # Errors
    /// A [`LoadError`] naming the plugin and the module.
    fn load(&self, request: &ModuleRequest<'_>) -> Result<Arc<dyn Module>, LoadError>;
}

/// A loaded module: factories by object name (`None`: the module's default
/// factory).
///
/// ```
/// use plinth_extensions::{ErasedFactory, Module};
/// struct Empty;
/// impl Module for Empty {
///     fn factory(&self, _object: Option<&str>) -> Option<ErasedFactory> { None }
/// }
/// assert!(Empty.factory(None).is_none());
/// ```
pub trait Module: Send + Sync + 'static {
    /// The factory under `object`, if the module has one.
    fn factory(&self, object: Option<&str>) -> Option<ErasedFactory>;
}
