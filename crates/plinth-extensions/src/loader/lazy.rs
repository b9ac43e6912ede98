//! A factory loaded from its module on first use.

use std::fmt;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::{ErasedFactory, LoadError, Loaders, ModuleRef};

/// An extension declared by a manifest: its factory is looked up in its
/// module on the first connect that needs it, once; later connects reuse
/// the factory (or the error).
///
/// ```
/// use std::sync::Arc;
/// use plinth_extensions::{Factory, LazyFactory, Loaders, ModuleRef, NativeLoader};
///
/// let native = NativeLoader::new().with("tools", None, || Factory::<(), (), u8>::sync(|_, _, _| Ok(1)).erase());
/// let loaders = Arc::new(Loaders::empty().with_loader(native));
/// let lazy = LazyFactory::new("p", std::path::Path::new("."), ModuleRef::parse("tools", None), loaders);
/// assert!(!lazy.is_loaded());
/// assert!(lazy.resolve().is_ok());
/// assert!(lazy.is_loaded());
/// ```
pub struct LazyFactory {
    // Shared by all extensions of a plugin: a scan registers thousands.
    plugin: Arc<str>,
    dir: Arc<Path>,
    module: ModuleRef,
    loaders: Arc<Loaders>,
    resolved: OnceLock<Result<ErasedFactory, Arc<LoadError>>>,
}

impl LazyFactory {
    /// A factory of `plugin` (in folder `dir`) to be found in `module`.
    ///
    /// ```
    /// # use std::{path::Path, sync::Arc};
    /// # use plinth_extensions::{LazyFactory, Loaders, ModuleRef};
    /// let loaders = Arc::new(Loaders::empty());
    /// let lazy = LazyFactory::new("p", Path::new("plugins/p"), ModuleRef::parse("tools", None), loaders);
    /// assert_eq!(lazy.plugin(), "p");
    /// assert!(!lazy.is_loaded(), "nothing is loaded before the first resolve");
    /// ```
    pub fn new(
        plugin: impl Into<Arc<str>>,
        dir: impl Into<Arc<Path>>,
        module: ModuleRef,
        loaders: Arc<Loaders>,
    ) -> Self {
        LazyFactory {
            plugin: plugin.into(),
            dir: dir.into(),
            module,
            loaders,
            resolved: OnceLock::new(),
        }
    }

    /// The factory, loading its module if this is the first call.
    ///
    /// ```
    /// # use std::{path::Path, sync::Arc};
    /// use plinth_extensions::{LazyFactory, LoadError, Loaders, ModuleRef};
    /// let loaders = Arc::new(Loaders::empty());
    /// let lazy = LazyFactory::new("p", Path::new("."), ModuleRef::parse("wasm:p.wasm", None), loaders);
    /// let err = lazy.resolve().unwrap_err();
    /// assert!(matches!(*err, LoadError::NoLoader { .. }));
    /// assert!(Arc::ptr_eq(&err, &lazy.resolve().unwrap_err()), "the failure is cached");
    /// ```
    ///
    /// # Errors
    /// The module's [`LoadError`], or [`LoadError::NoObject`] when the module
    /// lacks the object.
    pub fn resolve(&self) -> Result<&ErasedFactory, Arc<LoadError>> {
        self.resolved
            .get_or_init(|| {
                let module = self.loaders.load(&self.plugin, &self.dir, &self.module)?;
                module.factory(self.module.object()).ok_or_else(|| {
                    Arc::new(LoadError::NoObject {
                        plugin: self.plugin.to_string(),
                        module: self.module.module().to_owned(),
                        object: self.module.object().map(str::to_owned),
                    })
                })
            })
            .as_ref()
            .map_err(Arc::clone)
    }

    /// Whether [`resolve`](Self::resolve) has run.
    ///
    /// ```
    /// # use std::{path::Path, sync::Arc};
    /// # use plinth_extensions::{LazyFactory, Loaders, ModuleRef, NativeLoader};
    /// let loaders = Arc::new(Loaders::empty().with_loader(NativeLoader::new()));
    /// let lazy = LazyFactory::new("p", Path::new("."), ModuleRef::parse("missing", None), loaders);
    /// assert!(!lazy.is_loaded());
    /// assert!(lazy.resolve().is_err());
    /// assert!(lazy.is_loaded(), "a failed load counts too");
    /// ```
    pub fn is_loaded(&self) -> bool {
        self.resolved.get().is_some()
    }

    /// The module the factory comes from.
    ///
    /// ```
    /// # use std::{path::Path, sync::Arc};
    /// # use plinth_extensions::{LazyFactory, Loaders, ModuleRef};
    /// let module = ModuleRef::parse("native:tools", Some("hammer"));
    /// let lazy = LazyFactory::new("p", Path::new("."), module, Arc::new(Loaders::empty()));
    /// assert_eq!(lazy.module().to_string(), "native:tools#hammer");
    /// ```
    pub fn module(&self) -> &ModuleRef {
        &self.module
    }

    /// The plugin that declared it.
    ///
    /// ```
    /// # use std::{path::Path, sync::Arc};
    /// # use plinth_extensions::{LazyFactory, Loaders, ModuleRef};
    /// let module = ModuleRef::parse("tools", None);
    /// let lazy = LazyFactory::new("@acme/tools", Path::new("."), module, Arc::new(Loaders::empty()));
    /// assert_eq!(lazy.plugin(), "@acme/tools");
    /// ```
    pub fn plugin(&self) -> &str {
        &self.plugin
    }
}

impl fmt::Debug for LazyFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LazyFactory")
            .field("plugin", &self.plugin)
            .field("module", &self.module)
            .field("loaded", &self.is_loaded())
            .finish()
    }
}
