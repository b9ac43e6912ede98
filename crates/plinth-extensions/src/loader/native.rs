//! The native loader: factories compiled into the application.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::loader::module_ref::NATIVE;
use crate::{ErasedFactory, LoadError, Loader, Module, ModuleRequest};

type Make = Arc<dyn Fn() -> ErasedFactory + Send + Sync>;

/// A factory compiled into the application under a module and object name,
/// collected with `inventory` (see [`native_factory!`](crate::native_factory)).
///
/// `make` runs when the module is first loaded, not at start-up.
///
/// ```
/// use plinth_extensions::{Factory, NativeFactory};
///
/// static F: NativeFactory = NativeFactory::new("tools", Some("hammer"), || {
///     Factory::<(), (), &str>::sync(|_, _, _| Ok("bang")).erase()
/// });
/// assert_eq!(F.module(), "tools");
/// ```
pub struct NativeFactory {
    module: &'static str,
    object: Option<&'static str>,
    make: fn() -> ErasedFactory,
}

impl NativeFactory {
    /// A factory for `module` under `object` (`None`: the module's default).
    ///
    /// ```
    /// # use plinth_extensions::{Factory, NativeFactory};
    /// const F: NativeFactory = NativeFactory::new("tools", None, || {
    ///     Factory::<(), (), u8>::sync(|_, _, _| Ok(1)).erase()
    /// });
    /// assert_eq!((F.module(), F.object()), ("tools", None));
    /// ```
    pub const fn new(
        module: &'static str,
        object: Option<&'static str>,
        make: fn() -> ErasedFactory,
    ) -> Self {
        NativeFactory {
            module,
            object,
            make,
        }
    }

    /// The module name.
    ///
    /// ```
    /// # use plinth_extensions::{Factory, NativeFactory};
    /// static F: NativeFactory = NativeFactory::new("tools", Some("saw"), || {
    ///     Factory::<(), (), u8>::sync(|_, _, _| Ok(1)).erase()
    /// });
    /// assert_eq!(F.module(), "tools");
    /// ```
    pub fn module(&self) -> &'static str {
        self.module
    }

    /// The object name.
    ///
    /// ```
    /// # use plinth_extensions::{Factory, NativeFactory};
    /// static F: NativeFactory = NativeFactory::new("tools", Some("saw"), || {
    ///     Factory::<(), (), u8>::sync(|_, _, _| Ok(1)).erase()
    /// });
    /// assert_eq!(F.object(), Some("saw"));
    /// ```
    pub fn object(&self) -> Option<&'static str> {
        self.object
    }
}

inventory::collect!(NativeFactory);

/// Registers a native factory under a module (and optionally an object)
/// name, for manifests to refer to as `module = "<name>"`.
///
/// ```
/// use plinth_extensions::{native_factory, Factory};
///
/// native_factory!("doc-tools", "hammer", || Factory::<(), (), &str>::sync(|_, _, _| Ok("bang")));
/// native_factory!("doc-tools", || Factory::<(), (), &str>::sync(|_, _, _| Ok("default")));
/// # fn main() {}
/// ```
#[macro_export]
macro_rules! native_factory {
    ($module:expr, $object:expr, $make:expr) => {
        $crate::inventory::submit! {
            $crate::NativeFactory::new($module, ::core::option::Option::Some($object), || {
                $crate::Factory::erase(($make)())
            })
        }
    };
    ($module:expr, $make:expr) => {
        $crate::inventory::submit! {
            $crate::NativeFactory::new($module, ::core::option::Option::None, || {
                $crate::Factory::erase(($make)())
            })
        }
    };
}

/// Loads `native` modules: named sets of factories compiled into the
/// application, from `inventory` ([`from_inventory`](Self::from_inventory))
/// or registered explicitly ([`with`](Self::with)) on targets where
/// `inventory` does not work.
///
/// ```
/// use plinth_extensions::{Factory, NativeLoader};
///
/// let loader = NativeLoader::new()
///     .with("tools", Some("hammer"), || Factory::<(), (), &str>::sync(|_, _, _| Ok("bang")).erase());
/// assert_eq!(loader.modules().collect::<Vec<_>>(), ["tools"]);
/// ```
#[derive(Clone, Default)]
pub struct NativeLoader {
    modules: HashMap<String, HashMap<Option<String>, Make>>,
}

impl NativeLoader {
    /// A loader with no modules.
    ///
    /// ```
    /// # use plinth_extensions::NativeLoader;
    /// assert_eq!(NativeLoader::new().modules().count(), 0);
    /// ```
    pub fn new() -> Self {
        NativeLoader::default()
    }

    /// A loader with every factory submitted through
    /// [`native_factory!`](crate::native_factory).
    ///
    /// ```
    /// use plinth_extensions::{native_factory, Factory, NativeLoader};
    ///
    /// native_factory!("doc-inventory", || Factory::<(), (), u8>::sync(|_, _, _| Ok(1)));
    ///
    /// # fn main() {
    /// let loader = NativeLoader::from_inventory();
    /// assert!(loader.modules().any(|m| m == "doc-inventory"));
    /// # }
    /// ```
    pub fn from_inventory() -> Self {
        let mut loader = NativeLoader::new();
        for f in inventory::iter::<NativeFactory> {
            loader.insert(f.module, f.object, f.make);
        }
        loader
    }

    /// Adds a factory under `module` and `object` (`None`: default) and
    /// returns the loader. `make` runs when the module is first loaded.
    ///
    /// ```
    /// # use std::path::Path;
    /// use plinth_extensions::{Factory, Loader, ModuleRequest, NativeLoader};
    /// let make = || Factory::<(), (), u8>::sync(|_, _, _| Ok(1)).erase();
    /// let native = NativeLoader::new().with("tools", Some("saw"), make);
    /// let module = native.load(&ModuleRequest { plugin: "p", dir: Path::new("."), module: "tools" })?;
    /// assert!(module.factory(Some("saw")).is_some());
    /// assert!(module.factory(None).is_none());
    /// # Ok::<(), plinth_extensions::LoadError>(())
    /// ```
    pub fn with(
        mut self,
        module: &str,
        object: Option<&str>,
        make: impl Fn() -> ErasedFactory + Send + Sync + 'static,
    ) -> Self {
        self.insert(module, object, make);
        self
    }

    fn insert(
        &mut self,
        module: &str,
        object: Option<&str>,
        make: impl Fn() -> ErasedFactory + Send + Sync + 'static,
    ) {
        self.modules
            .entry(module.to_owned())
            .or_default()
            .insert(object.map(str::to_owned), Arc::new(make));
    }

    /// The module names, in no particular order.
    ///
    /// ```
    /// # use plinth_extensions::{Factory, NativeLoader};
    /// let make = || Factory::<(), (), u8>::sync(|_, _, _| Ok(1)).erase();
    /// let loader = NativeLoader::new().with("a", None, make).with("b", None, make).with("a", Some("x"), make);
    /// let mut modules: Vec<&str> = loader.modules().collect();
    /// modules.sort();
    /// assert_eq!(modules, ["a", "b"]);
    /// ```
    pub fn modules(&self) -> impl Iterator<Item = &str> + '_ {
        self.modules.keys().map(String::as_str)
    }
}

impl Loader for NativeLoader {
    fn kind(&self) -> &str {
        NATIVE
    }

    // Native modules live in the binary, not in the plugin's folder.
    fn cache_key(&self, request: &ModuleRequest<'_>) -> String {
        request.module.to_owned()
    }

    fn load(&self, request: &ModuleRequest<'_>) -> Result<Arc<dyn Module>, LoadError> {
        let makers = self
            .modules
            .get(request.module)
            .ok_or_else(|| LoadError::NotFound {
                plugin: request.plugin.to_owned(),
                kind: NATIVE.to_owned(),
                module: request.module.to_owned(),
            })?;
        let factories = makers
            .iter()
            .map(|(object, make)| (object.clone(), make()))
            .collect();
        Ok(Arc::new(NativeModule { factories }))
    }
}

impl fmt::Debug for NativeLoader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NativeLoader")
            .field("modules", &self.modules.keys().collect::<Vec<_>>())
            .finish()
    }
}

struct NativeModule {
    factories: HashMap<Option<String>, ErasedFactory>,
}

impl Module for NativeModule {
    fn factory(&self, object: Option<&str>) -> Option<ErasedFactory> {
        self.factories.get(&object.map(str::to_owned)).cloned()
    }
}
