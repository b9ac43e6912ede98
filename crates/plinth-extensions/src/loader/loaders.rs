//! The set of loaders and the module cache.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::{LoadError, Loader, Module, ModuleRef, ModuleRequest, NativeLoader};

type Cell = Arc<OnceLock<Result<Arc<dyn Module>, Arc<LoadError>>>>;

/// The installed loaders, by kind, and every module loaded so far.
///
/// Each module (by kind and [`Loader::cache_key`]) is loaded at most once,
/// even when several threads connect at the same time; a failure is cached
/// too, so a broken module is not retried on every connect.
///
/// ```
/// use std::path::Path;
/// use plinth_extensions::{Factory, Loaders, ModuleRef, NativeLoader};
///
/// let native = NativeLoader::new().with("tools", Some("hammer"), || Factory::<(), (), &str>::sync(|_, _, _| Ok("bang")).erase());
/// let loaders = Loaders::empty().with_loader(native);
/// let module = loaders.load("p", Path::new("."), &ModuleRef::parse("tools", None))?;
/// assert!(module.factory(Some("hammer")).is_some());
/// # Ok::<(), std::sync::Arc<plinth_extensions::LoadError>>(())
/// ```
pub struct Loaders {
    loaders: HashMap<String, Arc<dyn Loader>>,
    modules: Mutex<HashMap<(String, String), Cell>>,
}

impl Loaders {
    /// The native loader with every factory registered through
    /// [`native_factory!`](crate::native_factory).
    ///
    /// ```
    /// # use plinth_extensions::Loaders;
    /// assert_eq!(Loaders::new().kinds().collect::<Vec<_>>(), ["native"]);
    /// ```
    pub fn new() -> Self {
        Loaders::empty().with_loader(NativeLoader::from_inventory())
    }

    /// No loaders at all.
    ///
    /// ```
    /// # use std::path::Path;
    /// # use plinth_extensions::{LoadError, Loaders, ModuleRef};
    /// let loaders = Loaders::empty();
    /// assert_eq!(loaders.kinds().count(), 0);
    /// let err = loaders.load("p", Path::new("."), &ModuleRef::parse("tools", None)).err().unwrap();
    /// assert!(matches!(*err, LoadError::NoLoader { .. }));
    /// ```
    pub fn empty() -> Self {
        Loaders {
            loaders: HashMap::new(),
            modules: Mutex::new(HashMap::new()),
        }
    }

    /// Adds a loader, replacing any loader of the same kind.
    ///
    /// ```
    /// # use plinth_extensions::{Loaders, NativeLoader};
    /// let loaders = Loaders::empty()
    ///     .with_loader(NativeLoader::new())
    ///     .with_loader(NativeLoader::new());
    /// assert_eq!(loaders.kinds().collect::<Vec<_>>(), ["native"]);
    /// ```
    pub fn with_loader(mut self, loader: impl Loader) -> Self {
        self.loaders
            .insert(loader.kind().to_owned(), Arc::new(loader));
        self
    }

    /// The installed kinds.
    ///
    /// ```
    /// # use plinth_extensions::Loaders;
    /// let loaders = Loaders::new();
    /// assert!(loaders.kinds().any(|k| k == "native"));
    /// assert!(!loaders.kinds().any(|k| k == "wasm"));
    /// ```
    pub fn kinds(&self) -> impl Iterator<Item = &str> + '_ {
        self.loaders.keys().map(String::as_str)
    }

    /// The module `module` of plugin `plugin` (in folder `dir`), loading it
    /// on first use.
    ///
    /// ```
    /// # use std::{path::Path, sync::Arc};
    /// use plinth_extensions::{Factory, Loaders, ModuleRef, NativeLoader};
    /// let native = NativeLoader::new().with("tools", None, || Factory::<(), (), u8>::sync(|_, _, _| Ok(1)).erase());
    /// let loaders = Loaders::empty().with_loader(native);
    /// let tools = ModuleRef::parse("tools", None);
    /// let first = loaders.load("a", Path::new("plugins/a"), &tools)?;
    /// let again = loaders.load("b", Path::new("plugins/b"), &tools)?;
    /// assert!(Arc::ptr_eq(&first, &again), "a module is loaded once");
    /// # Ok::<(), Arc<plinth_extensions::LoadError>>(())
    /// ```
    ///
    /// # Errors
    /// [`LoadError::NoLoader`] for an unknown kind, or the loader's error
    /// (the same, shared, on every later call).
    pub fn load(
        &self,
        plugin: &str,
        dir: &Path,
        module: &ModuleRef,
    ) -> Result<Arc<dyn Module>, Arc<LoadError>> {
        let Some(loader) = self.loaders.get(module.kind()) else {
            return Err(Arc::new(LoadError::NoLoader {
                plugin: plugin.to_owned(),
                kind: module.kind().to_owned(),
                module: module.module().to_owned(),
            }));
        };
        let request = ModuleRequest {
            plugin,
            dir,
            module: module.module(),
        };
        let key = (module.kind().to_owned(), loader.cache_key(&request));
        // The map lock is held only to find the cell: loading happens under
        // the cell's own once-lock, so unrelated modules load in parallel.
        let cell = self
            .modules
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(key)
            .or_default()
            .clone();
        cell.get_or_init(|| loader.load(&request).map_err(Arc::new))
            .clone()
    }
}

impl Default for Loaders {
    fn default() -> Self {
        Loaders::new()
    }
}

impl fmt::Debug for Loaders {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loaders")
            .field("kinds", &self.loaders.keys().collect::<Vec<_>>())
            .finish_non_exhaustive()
    }
}
