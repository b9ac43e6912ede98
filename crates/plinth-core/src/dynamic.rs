//! Plugins whose shape is known only at run time.

use std::fmt;

use crate::guard::check_key;
use crate::{
    Entities, EntityCollection, EntityKey, EntityKeyRef, EntitySchema, GuardError, Plugin,
    PluginEntities,
};

/// A plugin whose entity types are data, not a Rust type: parsed from JSON or
/// TOML, or described by a WebAssembly component.
///
/// The host checks every rule of the host for such plugins, in particular
/// that every entity type used by any plugin is present in every plugin.
///
/// ```
/// use plinth_core::{DynamicPlugin, Entities, GuardError, Host};
///
/// let a = DynamicPlugin::new("a")
///     .with_type("assets", Entities::from([("foo", 1)]))
///     .with_type("commands", Entities::new());
/// let b = DynamicPlugin::new("b").with_type("assets", Entities::new());
/// let err = Host::from_plugins([a, b]).unwrap_err();
/// assert!(matches!(err, GuardError::MissingEntityType { .. }));
/// assert_eq!(
///     err.to_string(),
///     r#"plugin "b": missing entity type "commands" (use an empty map for none)"#
/// );
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DynamicPlugin<V> {
    name: String,
    entities: DynamicEntities<V>,
}

impl<V> DynamicPlugin<V> {
    /// A plugin with a name and no entity types.
    ///
    /// ```
    /// # use plinth_core::DynamicPlugin;
    /// let p = DynamicPlugin::<u8>::new("p");
    /// assert_eq!(p.name(), "p");
    /// assert!(p.entities().is_empty());
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        DynamicPlugin {
            name: name.into(),
            entities: DynamicEntities::new(),
        }
    }

    /// A plugin with a name and its entities.
    ///
    /// ```
    /// # use plinth_core::{DynamicEntities, DynamicPlugin, Entities};
    /// let entities: DynamicEntities<u8> = [("assets", Entities::new())].into_iter().collect();
    /// let p = DynamicPlugin::with_entities("p", entities);
    /// assert_eq!(p.entities().len(), 1);
    /// ```
    pub fn with_entities(name: impl Into<String>, entities: DynamicEntities<V>) -> Self {
        DynamicPlugin {
            name: name.into(),
            entities,
        }
    }

    /// Adds (or replaces) an entity type and returns the plugin.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities};
    /// let p = DynamicPlugin::new("p").with_type("assets", Entities::from([("a", 1)]));
    /// assert_eq!(p.entities().get("assets").unwrap().len(), 1);
    /// ```
    pub fn with_type(mut self, entity_type: impl Into<EntityKey>, map: Entities<V>) -> Self {
        self.entities.insert(entity_type, map);
        self
    }

    /// The plugin's name.
    ///
    /// ```
    /// # use plinth_core::DynamicPlugin;
    /// assert_eq!(DynamicPlugin::<u8>::new("p").name(), "p");
    /// ```
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The plugin's entities record.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities};
    /// let p = DynamicPlugin::new("p").with_type("t", Entities::from([("k", 1)]));
    /// assert_eq!(p.entities().get("t").unwrap().get("k"), Some(&1));
    /// ```
    pub fn entities(&self) -> &DynamicEntities<V> {
        &self.entities
    }

    /// The plugin's entities, mutably (before it is given to a host).
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities};
    /// let mut p = DynamicPlugin::new("p");
    /// p.entities_mut().insert("t", Entities::from([("k", 1)]));
    /// assert_eq!(p.entities().len(), 1);
    /// ```
    pub fn entities_mut(&mut self) -> &mut DynamicEntities<V> {
        &mut self.entities
    }
}

impl<V: Clone> Plugin for DynamicPlugin<V> {
    type Entities = DynamicEntities<V>;

    fn name(&self) -> &str {
        DynamicPlugin::name(self)
    }

    fn entities(&self) -> &DynamicEntities<V> {
        DynamicPlugin::entities(self)
    }
}

/// A plugin's entities record when entity types are data: an
/// insertion-ordered map from entity type to inner map (the spec's
/// `ImmutableEntitiesRecord`).
///
/// ```
/// use plinth_core::{DynamicEntities, Entities, Symbol};
///
/// let hidden = Symbol::new("hidden");
/// let mut e = DynamicEntities::new();
/// e.insert("assets", Entities::from([("a", 1)]));
/// e.insert(&hidden, Entities::new());
/// assert_eq!(e.len(), 2);
/// assert!(e.get(&hidden).unwrap().is_empty());
/// ```
#[derive(Clone, PartialEq)]
pub struct DynamicEntities<V> {
    types: Entities<Entities<V>>,
}

impl<V> DynamicEntities<V> {
    /// An empty record (a plugin that declares no entity types).
    ///
    /// ```
    /// # use plinth_core::DynamicEntities;
    /// assert!(DynamicEntities::<u8>::new().is_empty());
    /// ```
    pub fn new() -> Self {
        DynamicEntities {
            types: Entities::new(),
        }
    }

    /// Adds or replaces an entity type, returning the map it replaced.
    ///
    /// ```
    /// # use plinth_core::{DynamicEntities, Entities};
    /// let mut e = DynamicEntities::new();
    /// e.insert("assets", Entities::from([("logo", 1)]));
    /// let old = e.insert("assets", Entities::new());
    /// assert_eq!(old.unwrap().len(), 1);
    /// ```
    pub fn insert(
        &mut self,
        entity_type: impl Into<EntityKey>,
        map: Entities<V>,
    ) -> Option<Entities<V>> {
        self.types.insert(entity_type, map)
    }

    /// The inner map of an entity type.
    ///
    /// ```
    /// # use plinth_core::{DynamicEntities, Entities};
    /// let mut e = DynamicEntities::new();
    /// e.insert("assets", Entities::from([("logo", 1)]));
    /// assert_eq!(e.get("assets").unwrap().get("logo"), Some(&1));
    /// assert!(e.get("other").is_none());
    /// ```
    pub fn get<'k>(&self, entity_type: impl Into<EntityKeyRef<'k>>) -> Option<&Entities<V>> {
        self.types.get(entity_type)
    }

    /// Number of entity types.
    ///
    /// ```
    /// # use plinth_core::{DynamicEntities, Entities};
    /// let mut e = DynamicEntities::new();
    /// e.insert("assets", Entities::from([("logo", 1)]));
    /// assert_eq!(e.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether there are no entity types.
    ///
    /// ```
    /// # use plinth_core::{DynamicEntities, Entities};
    /// let mut e = DynamicEntities::new();
    /// e.insert("assets", Entities::from([("logo", 1)]));
    /// assert!(!e.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }

    /// `(entity type, inner map)` pairs: names in insertion order, then symbols.
    ///
    /// ```
    /// # use plinth_core::{DynamicEntities, Entities};
    /// let mut e = DynamicEntities::new();
    /// e.insert("assets", Entities::from([("logo", 1)]));
    /// let types: Vec<String> = e.iter().map(|(t, _)| t.to_string()).collect();
    /// assert_eq!(types, ["assets"]);
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (EntityKeyRef<'_>, &Entities<V>)> + Clone {
        self.types.iter()
    }
}

impl<V> Default for DynamicEntities<V> {
    fn default() -> Self {
        DynamicEntities::new()
    }
}

impl<V: fmt::Debug> fmt::Debug for DynamicEntities<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.types, f)
    }
}

impl<K: Into<EntityKey>, V> FromIterator<(K, Entities<V>)> for DynamicEntities<V> {
    fn from_iter<I: IntoIterator<Item = (K, Entities<V>)>>(iter: I) -> Self {
        DynamicEntities {
            types: iter.into_iter().collect(),
        }
    }
}

impl<V> IntoIterator for DynamicEntities<V> {
    type Item = (EntityKey, Entities<V>);
    type IntoIter = crate::entities::IntoIter<Entities<V>>;

    /// Takes the entity types out, with their maps, in order.
    ///
    /// ```
    /// # use plinth_core::{DynamicEntities, Entities};
    /// let e: DynamicEntities<u8> = [("assets", Entities::from([("logo", 1)]))].into_iter().collect();
    /// let (ty, map) = e.into_iter().next().unwrap();
    /// assert_eq!((ty.to_string(), map.len()), ("assets".to_string(), 1));
    /// ```
    fn into_iter(self) -> Self::IntoIter {
        self.types.into_iter()
    }
}

impl<V: Clone> EntitySchema for DynamicEntities<V> {
    type Collections = DynamicCollections<V>;

    fn check(plugins: PluginEntities<'_, Self>) -> Result<(), GuardError> {
        for (urn, entities) in plugins.iter() {
            for (ty, map) in entities.iter() {
                for key in map.keys() {
                    check_key(urn, ty, key)?;
                }
            }
        }
        // Every type used anywhere must be present everywhere. Reporting the
        // first plugin (in order) that lacks the first type (in first-seen
        // order) makes the error deterministic.
        for ty in entity_types(plugins) {
            for (urn, entities) in plugins.iter() {
                if entities.get(ty).is_none() {
                    return Err(GuardError::MissingEntityType {
                        plugin: urn.clone(),
                        entity_type: ty.to_owned(),
                    });
                }
            }
        }
        Ok(())
    }

    fn collect(plugins: PluginEntities<'_, Self>) -> DynamicCollections<V> {
        let types = entity_types(plugins)
            .into_iter()
            .map(|ty| {
                // `check` guarantees every plugin has the type.
                let collection =
                    plugins.collect(|e| e.get(ty).expect("checked by EntitySchema::check"));
                (ty.to_owned(), collection)
            })
            .collect();
        DynamicCollections { types }
    }
}

impl<V: Clone> crate::EmptyEntities for DynamicEntities<V> {
    fn empty() -> Self {
        DynamicEntities::new()
    }

    /// A plugin that does not know an entity type contributes none of it,
    /// so it gets an empty map for every type only others use.
    fn align(contributions: &[&Self]) -> Vec<Option<Self>> {
        let mut types: Vec<EntityKeyRef<'_>> = Vec::new();
        for entities in contributions {
            for (ty, _) in entities.iter() {
                if !types.contains(&ty) {
                    types.push(ty);
                }
            }
        }
        contributions
            .iter()
            .map(|entities| {
                if types.iter().all(|&ty| entities.get(ty).is_some()) {
                    return None;
                }
                let mut complete = (*entities).clone();
                for &ty in &types {
                    if complete.get(ty).is_none() {
                        complete.insert(ty, Entities::new());
                    }
                }
                Some(complete)
            })
            .collect()
    }
}

/// Entity types in first-seen order across plugins.
fn entity_types<V>(plugins: PluginEntities<'_, DynamicEntities<V>>) -> Vec<EntityKeyRef<'_>> {
    let mut seen = std::collections::HashSet::new();
    let mut order = Vec::new();
    for (_, entities) in plugins.iter() {
        for (ty, _) in entities.iter() {
            if seen.insert(ty) {
                order.push(ty);
            }
        }
    }
    order
}

/// The collections of a host of [`DynamicPlugin`]s, one per entity type, in
/// first-seen order.
///
/// ```
/// use plinth_core::{DynamicPlugin, Entities, Host};
///
/// let host = Host::from_plugins([DynamicPlugin::new("a")
///     .with_type("assets", Entities::from([("x", 1)]))
///     .with_type("commands", Entities::new())])?;
/// let types: Vec<String> = host.entities().entity_types().map(|t| t.to_string()).collect();
/// assert_eq!(types, ["assets", "commands"]);
/// assert!(host.entities().get("commands").unwrap().is_empty());
/// assert!(host.entities().get("other").is_none());
/// # Ok::<(), plinth_core::GuardError>(())
/// ```
#[derive(Clone)]
pub struct DynamicCollections<V> {
    // Few entity types: a scan beats hashing and needs no owned key.
    types: Vec<(EntityKey, EntityCollection<V>)>,
}

impl<V> DynamicCollections<V> {
    /// The collection of an entity type, if any plugin declared it.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([DynamicPlugin::new("a")
    /// #     .with_type("assets", Entities::from([("x", 1)]))
    /// #     .with_type("on", Entities::new())])?;
    /// let collections = host.entities();
    /// assert_eq!(collections.get("assets").unwrap().get("x"), &[1]);
    /// assert!(collections.get("missing").is_none());
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn get<'k>(
        &self,
        entity_type: impl Into<EntityKeyRef<'k>>,
    ) -> Option<&EntityCollection<V>> {
        let key = entity_type.into();
        self.types
            .iter()
            .find(|(t, _)| t.as_key_ref() == key)
            .map(|(_, c)| c)
    }

    /// Entity types in first-seen order.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([DynamicPlugin::new("a")
    /// #     .with_type("assets", Entities::from([("x", 1)]))
    /// #     .with_type("on", Entities::new())])?;
    /// let collections = host.entities();
    /// assert_eq!(collections.entity_types().len(), 2);
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn entity_types(&self) -> impl ExactSizeIterator<Item = &EntityKey> + '_ {
        self.types.iter().map(|(t, _)| t)
    }

    /// `(entity type, collection)` pairs in first-seen order.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([DynamicPlugin::new("a")
    /// #     .with_type("assets", Entities::from([("x", 1)]))
    /// #     .with_type("on", Entities::new())])?;
    /// let collections = host.entities();
    /// for (entity_type, collection) in collections.iter() {
    ///     println!("{entity_type}: {} keys", collection.len());
    /// }
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&EntityKey, &EntityCollection<V>)> + '_ {
        self.types.iter().map(|(t, c)| (t, c))
    }

    /// Number of entity types.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([DynamicPlugin::new("a")
    /// #     .with_type("assets", Entities::from([("x", 1)]))
    /// #     .with_type("on", Entities::new())])?;
    /// let collections = host.entities();
    /// assert_eq!(collections.len(), 2);
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.types.len()
    }

    /// Whether there are no entity types.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// # let host = Host::from_plugins([DynamicPlugin::new("a")
    /// #     .with_type("assets", Entities::from([("x", 1)]))
    /// #     .with_type("on", Entities::new())])?;
    /// let collections = host.entities();
    /// assert!(!collections.is_empty());
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.types.is_empty()
    }
}

impl<V: fmt::Debug> fmt::Debug for DynamicCollections<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}
