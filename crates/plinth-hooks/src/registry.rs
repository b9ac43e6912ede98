//! The name-keyed registry of hooks, for code that meets hooks by name.

use std::any::{Any, type_name};
use std::collections::HashMap;
use std::sync::Arc;

use plinth_core::PluginUrn;

use crate::snapshot::SwapCell;
use crate::{Config, Handle, Hook, Interceptor, Key, RegistryError};

#[derive(Clone)]
struct Entry {
    any: Arc<dyn Any + Send + Sync>,
    hook: Arc<dyn ErasedHook>,
    type_name: &'static str,
}

/// The object-safe part of [`Hook`], to hold hooks of every type.
trait ErasedHook: Send + Sync {
    fn unregister(&self, handle: &Handle) -> bool;
    fn remove_owner(&self, owner: &PluginUrn) -> usize;
    fn intercept(&self, interceptor: Arc<dyn Interceptor>);
}

impl<H: Hook> ErasedHook for H {
    fn unregister(&self, handle: &Handle) -> bool {
        Hook::unregister(self, handle)
    }
    fn remove_owner(&self, owner: &PluginUrn) -> usize {
        Hook::remove_owner(self, owner)
    }
    fn intercept(&self, interceptor: Arc<dyn Interceptor>) {
        Hook::intercept(self, interceptor)
    }
}

#[derive(Clone, Default)]
struct Table {
    hooks: HashMap<Arc<str>, Entry>,
    interceptors: Vec<Arc<dyn Interceptor>>,
}

/// Hooks by name (the seed's `HookRegistry`), created on first use.
///
/// Typed [`Key`]s make a payload mismatch a compile error; when two keys (or
/// dynamically loaded plugins) use one name with different hook types, the
/// look-up returns [`RegistryError::TypeMismatch`] instead of panicking.
/// Look-ups read a snapshot without a lock; keep the returned `Arc` to skip
/// even the look-up on hot paths.
///
/// ```
/// use plinth_hooks::{Action, Filter, Key, PluginUrn, Registry};
///
/// const REQUEST: Key<Filter<String>> = Key::new("request");
/// const READY: Key<Action<()>> = Key::new("ready");
///
/// let registry = Registry::new();
/// let plugin = PluginUrn::new("logger")?;
/// registry.hook(&REQUEST)?.tap(&plugin, |r| r + "!");
/// registry.hook(&READY)?.tap(&plugin, |_| {});
/// assert_eq!(registry.remove_owner(&plugin), 2);
/// assert_eq!(registry.hook(&REQUEST)?.call("hi".into())?, "hi");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Registry {
    config: Config,
    table: SwapCell<Table>,
}

impl Default for Registry {
    fn default() -> Self {
        Registry::new()
    }
}

impl Registry {
    /// An empty registry whose hooks get the default [`Config`].
    ///
    /// ```
    /// # use plinth_hooks::Registry;
    /// assert!(Registry::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::with_config(Config::default())
    }

    /// An empty registry whose hooks get `config`.
    ///
    /// ```
    /// # use plinth_hooks::{Config, PanicPolicy, Registry};
    /// let registry = Registry::with_config(Config { panics: PanicPolicy::Propagate });
    /// ```
    pub fn with_config(config: Config) -> Self {
        Registry {
            config,
            table: SwapCell::new(Table::default()),
        }
    }

    /// The hook under `key`, created if absent.
    ///
    /// ```
    /// # use plinth_hooks::{Bail, Key, Registry};
    /// let registry = Registry::new();
    /// let hook = registry.hook(&Key::<Bail<u8, u8>>::new("b"))?;
    /// assert_eq!(hook.call(&1)?, None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hook<H: Hook>(&self, key: &Key<H>) -> Result<Arc<H>, RegistryError> {
        self.hook_named(key.name())
    }

    /// The hook named `name` with type `H`, created if absent: the form for
    /// names that come from dynamically loaded plugins.
    ///
    /// ```
    /// # use plinth_hooks::{Action, Filter, Registry};
    /// let registry = Registry::new();
    /// registry.hook_named::<Action<String>>("loaded")?;
    /// assert!(registry.hook_named::<Filter<String>>("loaded").is_err());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hook_named<H: Hook>(&self, name: &str) -> Result<Arc<H>, RegistryError> {
        if let Some(found) = self.get_named(name)? {
            return Ok(found);
        }
        self.table.update(|table| {
            // Another thread may have created it since the look-up.
            if let Some(entry) = table.hooks.get(name) {
                return (None, downcast(name, entry));
            }
            let name: Arc<str> = Arc::from(name);
            let hook = Arc::new(H::create(name.clone(), self.config));
            for interceptor in &table.interceptors {
                hook.intercept(interceptor.clone());
            }
            let mut next = table.clone();
            next.hooks.insert(
                name,
                Entry {
                    any: hook.clone(),
                    hook: hook.clone(),
                    type_name: type_name::<H>(),
                },
            );
            (Some(next), Ok(hook))
        })
    }

    /// The hook under `key` if it exists, without creating it.
    ///
    /// ```
    /// # use plinth_hooks::{Action, Key, Registry};
    /// let registry = Registry::new();
    /// assert!(registry.get(&Key::<Action<u8>>::new("x"))?.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get<H: Hook>(&self, key: &Key<H>) -> Result<Option<Arc<H>>, RegistryError> {
        self.get_named(key.name())
    }

    /// The hook named `name` with type `H` if it exists.
    ///
    /// ```
    /// # use plinth_hooks::{Action, Registry};
    /// let registry = Registry::new();
    /// assert!(registry.get_named::<Action<u8>>("x")?.is_none());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn get_named<H: Hook>(&self, name: &str) -> Result<Option<Arc<H>>, RegistryError> {
        match self.table.load().hooks.get(name) {
            Some(entry) => downcast(name, entry).map(Some),
            None => Ok(None),
        }
    }

    /// Removes the registration `handle` names, whatever hook holds it.
    ///
    /// ```
    /// # use plinth_hooks::{Action, Key, PluginUrn, Registry};
    /// let registry = Registry::new();
    /// let handle = registry.hook(&Key::<Action<u8>>::new("x"))?.tap(PluginUrn::new("p")?, |_| {});
    /// assert!(registry.unregister(&handle));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn unregister(&self, handle: &Handle) -> bool {
        match self.table.load().hooks.get(handle.hook()) {
            Some(entry) => entry.hook.unregister(handle),
            None => false,
        }
    }

    /// Removes everything `owner` registered on every hook (for a plugin
    /// being disabled); returns how many callbacks went.
    ///
    /// ```
    /// # use plinth_hooks::{Action, Key, PluginUrn, Registry};
    /// let registry = Registry::new();
    /// let p = PluginUrn::new("p")?;
    /// registry.hook(&Key::<Action<u8>>::new("x"))?.tap(&p, |_| {});
    /// assert_eq!(registry.remove_owner(&p), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn remove_owner(&self, owner: &PluginUrn) -> usize {
        let table = self.table.load_full();
        table
            .hooks
            .values()
            .map(|entry| entry.hook.remove_owner(owner))
            .sum()
    }

    /// Installs an interceptor on every hook, present and future.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use plinth_hooks::{CallInfo, Interceptor, Registry};
    /// struct Quiet;
    /// impl Interceptor for Quiet { fn on_call(&self, _: &CallInfo<'_>) {} }
    /// Registry::new().intercept(Arc::new(Quiet));
    /// ```
    pub fn intercept(&self, interceptor: Arc<dyn Interceptor>) {
        self.table.update(|table| {
            for entry in table.hooks.values() {
                entry.hook.intercept(interceptor.clone());
            }
            let mut next = table.clone();
            next.interceptors.push(interceptor);
            (Some(next), ())
        })
    }

    /// The names of the hooks, in no particular order.
    ///
    /// ```
    /// # use plinth_hooks::{Action, Key, Registry};
    /// let registry = Registry::new();
    /// registry.hook(&Key::<Action<u8>>::new("x"))?;
    /// assert_eq!(registry.names(), ["x"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn names(&self) -> Vec<String> {
        self.table
            .load()
            .hooks
            .keys()
            .map(|k| k.to_string())
            .collect()
    }

    /// Number of hooks.
    ///
    /// ```
    /// # use plinth_hooks::Registry;
    /// assert_eq!(Registry::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.table.load().hooks.len()
    }

    /// Whether no hook exists yet.
    ///
    /// ```
    /// # use plinth_hooks::Registry;
    /// assert!(Registry::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn downcast<H: Hook>(name: &str, entry: &Entry) -> Result<Arc<H>, RegistryError> {
    entry
        .any
        .clone()
        .downcast::<H>()
        .map_err(|_| RegistryError::TypeMismatch {
            hook: Arc::from(name),
            expected: type_name::<H>(),
            found: entry.type_name,
        })
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("hooks", &self.names())
            .finish_non_exhaustive()
    }
}
