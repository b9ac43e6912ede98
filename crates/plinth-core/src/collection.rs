//! The aggregated view of one entity type across all plugins.

use std::collections::HashMap;
use std::fmt;
use std::iter::FusedIterator;
use std::ops::Range;
use std::sync::Arc;

use crate::{Entities, EntityKey, EntityKeyRef, PluginUrn, Symbol};

/// All entities of one entity type, grouped by key, each attributed to the
/// plugin that provided it (the spec's `ImmutableEntityCollection`).
///
/// Keys come in the order they were first seen across the plugins; under one
/// key, values come in plugin order. Conflicts (several plugins using one
/// key) are kept: the host never picks a winner.
///
/// Values are stored contiguously per key, so [`get`](Self::get) is one hash
/// look-up and returns a borrowed slice without allocating.
///
/// ```
/// use plinth_core::{DynamicPlugin, Entities, Host};
///
/// let host = Host::from_plugins([
///     DynamicPlugin::new("a").with_type("assets", Entities::from([("x", 1), ("y", 2)])),
///     DynamicPlugin::new("b").with_type("assets", Entities::from([("y", 3)])),
/// ])?;
/// let assets = host.entities().get("assets").unwrap();
/// assert_eq!(assets.get("y"), &[2, 3]);
/// assert_eq!(assets.get("nope"), &[] as &[i32]);
/// assert_eq!(assets.len(), 2);
/// let flat: Vec<_> = assets.iter().map(|(v, k, p)| format!("{k}={v}@{p}")).collect();
/// assert_eq!(flat, ["x=1@a", "y=2@a", "y=3@b"]);
/// # Ok::<(), plinth_core::GuardError>(())
/// ```
#[derive(Clone)]
pub struct EntityCollection<V> {
    urns: Arc<[PluginUrn]>,
    // Both indexes map a key to its position in `keys`.
    names: HashMap<Arc<str>, u32>,
    symbols: HashMap<Symbol, u32>,
    keys: Vec<EntityKey>,
    // `values[ends[g - 1]..ends[g]]` are the values of `keys[g]`.
    ends: Vec<u32>,
    values: Vec<V>,
    // Index into `urns` of the plugin that provided `values[i]`.
    providers: Vec<u32>,
}

impl<V> EntityCollection<V> {
    /// Aggregates the inner maps of several plugins; `maps[i]` belongs to
    /// `urns[i]`.
    pub(crate) fn build<'a>(
        urns: Arc<[PluginUrn]>,
        maps: impl ExactSizeIterator<Item = &'a Entities<V>> + Clone,
    ) -> Self
    where
        V: Clone + 'a,
    {
        debug_assert_eq!(urns.len(), maps.len());
        let total: usize = maps.clone().map(Entities::len).sum();
        let mut names: HashMap<Arc<str>, u32> = HashMap::new();
        let mut symbols: HashMap<Symbol, u32> = HashMap::new();
        let mut keys = Vec::new();
        let mut counts: Vec<u32> = Vec::new();
        // Each value in source order, with its key's group and its plugin.
        let mut sources: Vec<(&V, u32, u32)> = Vec::with_capacity(total);

        for (plugin, map) in maps.enumerate() {
            let plugin = plugin as u32;
            for (name, value) in map.name_entries() {
                let group = match names.get(&**name) {
                    Some(&g) => g,
                    None => {
                        let g = keys.len() as u32;
                        names.insert(name.clone(), g);
                        keys.push(EntityKey::Name(name.clone()));
                        counts.push(0);
                        g
                    }
                };
                counts[group as usize] += 1;
                sources.push((value, group, plugin));
            }
            for (symbol, value) in map.symbol_entries() {
                let group = *symbols.entry(symbol.clone()).or_insert_with(|| {
                    keys.push(EntityKey::Symbol(symbol.clone()));
                    counts.push(0);
                    (keys.len() - 1) as u32
                });
                counts[group as usize] += 1;
                sources.push((value, group, plugin));
            }
        }

        // Counting sort by group: stable, so plugin order is kept within a key.
        let mut ends = Vec::with_capacity(counts.len());
        let mut next = Vec::with_capacity(counts.len());
        let mut acc = 0u32;
        for &c in &counts {
            next.push(acc);
            acc += c;
            ends.push(acc);
        }
        let mut order = vec![0u32; sources.len()];
        for (src, &(_, group, _)) in sources.iter().enumerate() {
            let slot = &mut next[group as usize];
            order[*slot as usize] = src as u32;
            *slot += 1;
        }
        let values = order
            .iter()
            .map(|&s| sources[s as usize].0.clone())
            .collect();
        let providers = order.iter().map(|&s| sources[s as usize].2).collect();

        EntityCollection {
            urns,
            names,
            symbols,
            keys,
            ends,
            values,
            providers,
        }
    }

    fn group(&self, key: EntityKeyRef<'_>) -> Option<usize> {
        let g = match key {
            EntityKeyRef::Name(n) => self.names.get(n),
            EntityKeyRef::Symbol(s) => self.symbols.get(s),
        };
        g.map(|&g| g as usize)
    }

    fn range(&self, group: usize) -> Range<usize> {
        let start = if group == 0 {
            0
        } else {
            self.ends[group - 1] as usize
        };
        start..self.ends[group] as usize
    }

    /// The values under a key, in plugin order; empty for an unknown key.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([DynamicPlugin::new("a").with_type("t", Entities::from([("k", 1)]))])?;
    /// let t = host.entities().get("t").unwrap();
    /// assert_eq!(t.get("k"), &[1]);
    /// assert!(t.get("missing").is_empty());
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn get<'k>(&self, key: impl Into<EntityKeyRef<'k>>) -> &[V] {
        match self.group(key.into()) {
            Some(g) => &self.values[self.range(g)],
            None => &[],
        }
    }

    /// The values under a key, each with the URN of the plugin that provided it.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([
    /// #     DynamicPlugin::new("a").with_type("t", Entities::from([("k", 1)])),
    /// #     DynamicPlugin::new("b").with_type("t", Entities::from([("k", 2)])),
    /// # ])?;
    /// let t = host.entities().get("t").unwrap();
    /// let who: Vec<_> = t.get_attributed("k").map(|(v, p)| (*v, p.as_str())).collect();
    /// assert_eq!(who, [(1, "a"), (2, "b")]);
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn get_attributed<'k>(
        &self,
        key: impl Into<EntityKeyRef<'k>>,
    ) -> impl ExactSizeIterator<Item = (&V, &PluginUrn)> + '_ {
        let range = self.group(key.into()).map_or(0..0, |g| self.range(g));
        self.values[range.clone()]
            .iter()
            .zip(&self.providers[range])
            .map(|(v, &p)| (v, &self.urns[p as usize]))
    }

    /// Whether any plugin provided this key.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([
    /// #     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1), ("y", 2)])),
    /// #     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 3)])),
    /// # ])?;
    /// let t = host.entities().get("t").unwrap();
    /// assert!(t.contains_key("x"));
    /// assert!(!t.contains_key("z"));
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn contains_key<'k>(&self, key: impl Into<EntityKeyRef<'k>>) -> bool {
        self.group(key.into()).is_some()
    }

    /// Number of distinct keys (the spec's `size`).
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([
    /// #     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1), ("y", 2)])),
    /// #     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 3)])),
    /// # ])?;
    /// let t = host.entities().get("t").unwrap();
    /// assert_eq!(t.len(), 2); // "x" and "y"
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no plugin provided any entity of this type.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([
    /// #     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1), ("y", 2)])),
    /// #     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 3)])),
    /// # ])?;
    /// let t = host.entities().get("t").unwrap();
    /// assert!(!t.is_empty());
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Number of entities, counting every conflicting value.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([
    /// #     DynamicPlugin::new("a").with_type("t", Entities::from([("k", 1)])),
    /// #     DynamicPlugin::new("b").with_type("t", Entities::from([("k", 2)])),
    /// # ])?;
    /// let t = host.entities().get("t").unwrap();
    /// assert_eq!((t.len(), t.entity_count()), (1, 2));
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn entity_count(&self) -> usize {
        self.values.len()
    }

    /// Distinct keys in first-seen order.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([
    /// #     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1), ("y", 2)])),
    /// #     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 3)])),
    /// # ])?;
    /// let t = host.entities().get("t").unwrap();
    /// let keys: Vec<String> = t.keys().map(|k| k.to_string()).collect();
    /// assert_eq!(keys, ["x", "y"]);
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn keys(&self) -> std::slice::Iter<'_, EntityKey> {
        self.keys.iter()
    }

    /// The values of each key, aligned with [`keys`](Self::keys).
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([
    /// #     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1), ("y", 2)])),
    /// #     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 3)])),
    /// # ])?;
    /// let t = host.entities().get("t").unwrap();
    /// let values: Vec<&[i32]> = t.values().collect();
    /// assert_eq!(values, [&[1, 3][..], &[2][..]]);
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn values(&self) -> impl ExactSizeIterator<Item = &[V]> + '_ {
        (0..self.keys.len()).map(|g| &self.values[self.range(g)])
    }

    /// `(key, values)` pairs in key order.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([
    /// #     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1), ("y", 2)])),
    /// #     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 3)])),
    /// # ])?;
    /// let t = host.entities().get("t").unwrap();
    /// let (key, values) = t.entries().next().unwrap();
    /// assert_eq!((key.to_string(), values), ("x".to_string(), &[1, 3][..]));
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn entries(&self) -> impl ExactSizeIterator<Item = (&EntityKey, &[V])> + '_ {
        self.keys.iter().zip(self.values())
    }

    /// Every entity as `(value, key, plugin)`, grouped by key in key order.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([
    /// #     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1), ("y", 2)])),
    /// #     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 3)])),
    /// # ])?;
    /// let t = host.entities().get("t").unwrap();
    /// let flat: Vec<_> = t.flat().into_iter().map(|(v, _, p)| (*v, p.as_str())).collect();
    /// assert_eq!(flat, [(1, "a"), (3, "b"), (2, "a")]);
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn flat(&self) -> Vec<(&V, &EntityKey, &PluginUrn)> {
        self.iter().collect()
    }

    /// Maps each key's values (the spec's `map`).
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([DynamicPlugin::new("a").with_type("t", Entities::from([("k", 1), ("l", 2)]))])?;
    /// let t = host.entities().get("t").unwrap();
    /// assert_eq!(t.map(|vs, k| format!("{k}:{}", vs.len())), ["k:1", "l:1"]);
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn map<U>(&self, mut f: impl FnMut(&[V], &EntityKey) -> U) -> Vec<U> {
        self.entries().map(|(k, vs)| f(vs, k)).collect()
    }

    /// Maps every entity with its key and plugin (the spec's `flatMap`: one
    /// result per entity, in [`flat`](Self::flat) order).
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([DynamicPlugin::new("a").with_type("t", Entities::from([("k", 1)]))])?;
    /// let t = host.entities().get("t").unwrap();
    /// assert_eq!(t.flat_map(|v, k, p| format!("{p}/{k}/{v}")), ["a/k/1"]);
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn flat_map<U>(&self, mut f: impl FnMut(&V, &EntityKey, &PluginUrn) -> U) -> Vec<U> {
        self.iter().map(|(v, k, p)| f(v, k, p)).collect()
    }

    /// Iterates every entity as `(value, key, plugin)`, grouped by key.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([
    /// #     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1), ("y", 2)])),
    /// #     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 3)])),
    /// # ])?;
    /// let t = host.entities().get("t").unwrap();
    /// for (value, key, plugin) in t.iter() {
    ///     println!("{key} = {value} from {plugin}");
    /// }
    /// assert_eq!(t.iter().len(), 3);
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn iter(&self) -> Iter<'_, V> {
        Iter {
            collection: self,
            group: 0,
            next: 0,
        }
    }
}

impl<V> Default for EntityCollection<V> {
    fn default() -> Self {
        EntityCollection {
            urns: Arc::from(Vec::new()),
            names: HashMap::new(),
            symbols: HashMap::new(),
            keys: Vec::new(),
            ends: Vec::new(),
            values: Vec::new(),
            providers: Vec::new(),
        }
    }
}

impl<V: fmt::Debug> fmt::Debug for EntityCollection<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.entries()).finish()
    }
}

/// Iterator over `(value, key, plugin)` of an [`EntityCollection`].
///
/// ```
/// # use plinth_core::{DynamicPlugin, Entities, Host};
/// # let host = Host::from_plugins([
/// #     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1), ("y", 2)])),
/// #     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 3)])),
/// # ])?;
/// let t = host.entities().get("t").unwrap();
/// let mut it = t.iter();
/// let (v, k, p) = it.next().unwrap();
/// assert_eq!((*v, k.to_string(), p.as_str()), (1, "x".to_string(), "a"));
/// # Ok::<(), plinth_core::GuardError>(())
/// ```
#[derive(Clone)]
pub struct Iter<'a, V> {
    collection: &'a EntityCollection<V>,
    group: usize,
    next: usize,
}

impl<'a, V> Iterator for Iter<'a, V> {
    type Item = (&'a V, &'a EntityKey, &'a PluginUrn);

    fn next(&mut self) -> Option<Self::Item> {
        let c = self.collection;
        let value = c.values.get(self.next)?;
        // Every group holds at least one value, so this advances at most once.
        while c.ends[self.group] as usize <= self.next {
            self.group += 1;
        }
        let urn = &c.urns[c.providers[self.next] as usize];
        self.next += 1;
        Some((value, &c.keys[self.group], urn))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.collection.values.len() - self.next;
        (n, Some(n))
    }
}

impl<V> ExactSizeIterator for Iter<'_, V> {}
impl<V> FusedIterator for Iter<'_, V> {}

impl<'a, V> IntoIterator for &'a EntityCollection<V> {
    type Item = (&'a V, &'a EntityKey, &'a PluginUrn);
    type IntoIter = Iter<'a, V>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}
