//! Hooks of one type under run-time keys (tapable's `HookMap`).

use std::collections::HashMap;
use std::sync::Arc;

use plinth_core::PluginUrn;

use crate::snapshot::SwapCell;
use crate::{Config, Handle, Hook, Interceptor};

struct Table<H> {
    hooks: HashMap<Arc<str>, Arc<H>>,
    interceptors: Vec<Arc<dyn Interceptor>>,
}

// Not derived: the derive would require `H: Clone`.
impl<H> Clone for Table<H> {
    fn clone(&self) -> Self {
        Table {
            hooks: self.hooks.clone(),
            interceptors: self.interceptors.clone(),
        }
    }
}

/// One hook per key, each made on first use (tapable's `HookMap`): for
/// hook points that come in families whose members are known only at run
/// time, such as one filter per route, per file type or per entity type.
///
/// The hook for key `k` of a map named `m` is named `m[k]`, which is what
/// errors and [`Handle::hook`] say. [`remove_owner`](Self::remove_owner)
/// spans every hook of the map, and interceptors installed on the map
/// watch every hook it has made and every hook it will make. Look-ups read
/// a snapshot without a lock; keep the returned `Arc` to skip even the
/// look-up on hot paths.
///
/// ```
/// use plinth_hooks::prelude::*;
/// use plinth_hooks::{Filter, HookMap};
///
/// let render = HookMap::<Filter<String>>::new("render");
/// let md = PluginUrn::new("markdown")?;
/// render.get_or_create("md").tap(&md, |s| s.replace('*', ""));
/// render.get_or_create("html").tap(PluginUrn::new("html")?, |s| format!("<p>{s}</p>"));
///
/// assert_eq!(render.get_or_create("md").call("*hi*".into())?, "hi");
/// assert!(render.get("txt").is_none()); // never asked for: nothing made
/// assert_eq!(render.get("md").unwrap().name(), "render[md]");
///
/// assert_eq!(render.remove_owner(&md), 1);
/// assert!(render.get("md").unwrap().is_empty());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct HookMap<H> {
    name: Arc<str>,
    config: Config,
    table: SwapCell<Table<H>>,
}

impl<H: Hook> HookMap<H> {
    /// An empty map whose hooks get the default [`Config`].
    ///
    /// ```
    /// # use plinth_hooks::{Action, HookMap};
    /// let map = HookMap::<Action<u8>>::new("on-key");
    /// assert!(map.is_empty());
    /// ```
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        Self::with_config(name, Config::default())
    }

    /// An empty map whose hooks get `config`.
    ///
    /// ```
    /// # use plinth_hooks::{Action, Config, HookMap, PanicPolicy};
    /// let map = HookMap::<Action<u8>>::with_config("on-key", Config { panics: PanicPolicy::Propagate });
    /// ```
    pub fn with_config(name: impl Into<Arc<str>>, config: Config) -> Self {
        HookMap {
            name: name.into(),
            config,
            table: SwapCell::new(Table {
                hooks: HashMap::new(),
                interceptors: Vec::new(),
            }),
        }
    }

    /// The map's name, the prefix of its hooks' names.
    ///
    /// ```
    /// # use plinth_hooks::{Action, HookMap};
    /// assert_eq!(HookMap::<Action<u8>>::new("on-key").name(), "on-key");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The hook for `key`, made (with the map's interceptors) if absent.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use plinth_hooks::{Bail, HookMap};
    /// let map = HookMap::<Bail<String, u16>>::new("route");
    /// let a = map.get_or_create("/users");
    /// assert!(Arc::ptr_eq(&a, &map.get_or_create("/users")));
    /// ```
    pub fn get_or_create(&self, key: &str) -> Arc<H> {
        if let Some(found) = self.get(key) {
            return found;
        }
        self.table.update(|table| {
            // Another thread may have made it since the look-up.
            if let Some(hook) = table.hooks.get(key) {
                return (None, hook.clone());
            }
            let hook = Arc::new(H::create(
                Arc::from(format!("{}[{key}]", self.name)),
                self.config,
            ));
            for interceptor in &table.interceptors {
                hook.intercept(interceptor.clone());
            }
            let mut next = table.clone();
            next.hooks.insert(Arc::from(key), hook.clone());
            (Some(next), hook)
        })
    }

    /// The hook for `key` if it was made, without making it.
    ///
    /// ```
    /// # use plinth_hooks::{Action, HookMap};
    /// let map = HookMap::<Action<u8>>::new("on-key");
    /// assert!(map.get("enter").is_none());
    /// map.get_or_create("enter");
    /// assert!(map.get("enter").is_some());
    /// ```
    pub fn get(&self, key: &str) -> Option<Arc<H>> {
        self.table.load().hooks.get(key).cloned()
    }

    /// Removes the registration `handle` names, whatever hook of the map
    /// holds it.
    ///
    /// ```
    /// # use plinth_hooks::{Action, HookMap, PluginUrn};
    /// let map = HookMap::<Action<u8>>::new("on-key");
    /// let handle = map.get_or_create("enter").tap(PluginUrn::new("p")?, |_| {});
    /// assert_eq!(handle.hook(), "on-key[enter]");
    /// assert!(map.unregister(&handle));
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn unregister(&self, handle: &Handle) -> bool {
        let key = handle
            .hook()
            .strip_prefix(&*self.name)
            .and_then(|rest| rest.strip_prefix('['))
            .and_then(|rest| rest.strip_suffix(']'));
        match key.and_then(|key| self.get(key)) {
            Some(hook) => hook.unregister(handle),
            None => false,
        }
    }

    /// Removes everything `owner` registered on every hook of the map;
    /// returns how many registrations went.
    ///
    /// ```
    /// # use plinth_hooks::{Action, HookMap, PluginUrn};
    /// let map = HookMap::<Action<u8>>::new("on-key");
    /// let p = PluginUrn::new("p")?;
    /// map.get_or_create("enter").tap(&p, |_| {});
    /// map.get_or_create("escape").tap(&p, |_| {});
    /// assert_eq!(map.remove_owner(&p), 2);
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn remove_owner(&self, owner: &PluginUrn) -> usize {
        let table = self.table.load_full();
        table.hooks.values().map(|h| h.remove_owner(owner)).sum()
    }

    /// Installs an interceptor on every hook of the map, present and
    /// future.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use plinth_hooks::{Action, CallInfo, HookMap, Interceptor};
    /// struct Quiet;
    /// impl Interceptor for Quiet { fn on_call(&self, _: &CallInfo<'_>) {} }
    /// HookMap::<Action<u8>>::new("on-key").intercept(Arc::new(Quiet));
    /// ```
    pub fn intercept(&self, interceptor: Arc<dyn Interceptor>) {
        self.table.update(|table| {
            // Under the writer lock, so a hook made meanwhile gets it too.
            for hook in table.hooks.values() {
                hook.intercept(interceptor.clone());
            }
            let mut next = table.clone();
            next.interceptors.push(interceptor);
            (Some(next), ())
        })
    }

    /// The keys of the hooks made so far, in no particular order.
    ///
    /// ```
    /// # use plinth_hooks::{Action, HookMap};
    /// let map = HookMap::<Action<u8>>::new("on-key");
    /// map.get_or_create("enter");
    /// assert_eq!(map.keys(), ["enter"]);
    /// ```
    pub fn keys(&self) -> Vec<String> {
        self.table
            .load()
            .hooks
            .keys()
            .map(|k| k.to_string())
            .collect()
    }

    /// Number of hooks made so far.
    ///
    /// ```
    /// # use plinth_hooks::{Action, HookMap};
    /// assert_eq!(HookMap::<Action<u8>>::new("on-key").len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.table.load().hooks.len()
    }

    /// Whether no hook was made yet.
    ///
    /// ```
    /// # use plinth_hooks::{Action, HookMap};
    /// assert!(HookMap::<Action<u8>>::new("on-key").is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<H> std::fmt::Debug for HookMap<H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookMap")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}
