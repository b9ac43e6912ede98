//! Entity schemas: which entity types a plugin set has, and how they are aggregated.

use std::sync::Arc;

use crate::guard::check_key;
use crate::{Entities, EntityCollection, EntityKeyRef, GuardError, PluginUrn};

/// The shape of a plugin's `entities`: which entity types exist and what
/// collections the host builds from them (the spec's concrete `Entities`
/// type).
///
/// Derive it on a struct whose fields are [`Entities`] maps; the derive
/// generates a `<Struct>Collections` struct with one [`EntityCollection`]
/// per field, so a host's collections are typed. A plugin that omits a field
/// or gives a value of the wrong type does not compile.
///
/// ```
/// use plinth_core::{Entities, EntitySchema, Host, Plugin};
/// # use plinth_macros::EntitySchema;
///
/// #[derive(EntitySchema)]
/// struct AppEntities {
///     assets: Entities<&'static str>,
///     weights: Entities<u32>,
/// }
///
/// struct P(AppEntities);
/// impl Plugin for P {
///     type Entities = AppEntities;
///     fn name(&self) -> &str { "p" }
///     fn entities(&self) -> &AppEntities { &self.0 }
/// }
///
/// let host = Host::from_plugins([P(AppEntities {
///     assets: Entities::from([("logo", "logo.svg")]),
///     weights: Entities::new(),
/// })])?;
/// let logo: &[&str] = host.entities().assets.get("logo");
/// assert_eq!(logo, ["logo.svg"]);
/// assert!(host.entities().weights.is_empty());
/// # Ok::<(), plinth_core::GuardError>(())
/// ```
///
/// [`DynamicEntities`](crate::DynamicEntities) implements it for plugins whose
/// shape is known only at run time.
pub trait EntitySchema: Sized {
    /// The aggregated collections, one per entity type.
    type Collections;

    /// Checks the rules of the host that the type system did not already
    /// enforce for this schema.
    fn check(plugins: PluginEntities<'_, Self>) -> Result<(), GuardError>;

    /// Builds the collections; called only after [`check`](Self::check) passed.
    fn collect(plugins: PluginEntities<'_, Self>) -> Self::Collections;
}

/// An entity schema whose plugins contribute independently of each other,
/// as under the plugin manager: a plugin may contribute nothing, and
/// plugins written without knowledge of each other must still make a host
/// together.
///
/// `#[derive(EntitySchema)]` implements it: [`empty`](Self::empty) has every
/// entity type with no entities, and contributions always agree already,
/// since every plugin has every field. [`DynamicEntities`](crate::DynamicEntities)
/// implements it with no entity types at all, and
/// [`align`](Self::align) gives each contribution an empty map for the
/// types only others use (the host's checks want every type everywhere).
///
/// ```
/// use plinth_core::{DynamicEntities, EmptyEntities, Entities};
/// # use plinth_macros::EntitySchema;
///
/// #[derive(EntitySchema)]
/// struct AppEntities { assets: Entities<String> }
///
/// assert!(AppEntities::empty().assets.is_empty());
///
/// let mut a = DynamicEntities::<u8>::new();
/// a.insert("assets", Entities::from([("logo", 1)]));
/// let b = DynamicEntities::empty();
/// let aligned = DynamicEntities::align(&[&a, &b]);
/// assert!(aligned[0].is_none()); // already has every type
/// assert!(aligned[1].as_ref().unwrap().get("assets").unwrap().is_empty());
/// ```
pub trait EmptyEntities: EntitySchema {
    /// The contribution of a plugin that contributes nothing.
    fn empty() -> Self;

    /// Brings independently written contributions (in plugin order) to the
    /// shape [`check`](EntitySchema::check) expects of them together: for
    /// each one, `Some` replacement, or `None` when it already fits. The
    /// default keeps every one, which is right when the schema's type fixes
    /// the entity types.
    fn align(contributions: &[&Self]) -> Vec<Option<Self>> {
        contributions.iter().map(|_| None).collect()
    }
}

/// Implemented by the field types a derived [`EntitySchema`] accepts, to
/// name their value type.
///
/// ```
/// use plinth_core::{Entities, EntityMap};
/// fn value_of<M: EntityMap<Value = u8>>() {}
/// value_of::<Entities<u8>>();
/// ```
pub trait EntityMap {
    /// The entity value type.
    type Value;
}

impl<V> EntityMap for Entities<V> {
    type Value = V;
}

/// The entities of every plugin of a host, in plugin order, as handed to an
/// [`EntitySchema`]. Derived schemas use its helpers; hand-written ones may
/// too.
///
/// ```
/// use plinth_core::{Entities, EntityCollection, EntitySchema, GuardError, PluginEntities};
///
/// // What the derive writes for `struct Tags { tags: Entities<String> }`.
/// struct Tags { tags: Entities<String> }
/// struct TagsCollections { tags: EntityCollection<String> }
/// impl EntitySchema for Tags {
///     type Collections = TagsCollections;
///     fn check(p: PluginEntities<'_, Self>) -> Result<(), GuardError> {
///         p.check_keys("tags", |e| &e.tags)
///     }
///     fn collect(p: PluginEntities<'_, Self>) -> TagsCollections {
///         TagsCollections { tags: p.collect(|e| &e.tags) }
///     }
/// }
/// ```
pub struct PluginEntities<'a, S> {
    urns: &'a Arc<[PluginUrn]>,
    entities: &'a [&'a S],
}

impl<S> Clone for PluginEntities<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for PluginEntities<'_, S> {}

impl<'a, S> PluginEntities<'a, S> {
    pub(crate) fn new(urns: &'a Arc<[PluginUrn]>, entities: &'a [&'a S]) -> Self {
        debug_assert_eq!(urns.len(), entities.len());
        PluginEntities { urns, entities }
    }

    /// Number of plugins.
    ///
    /// ```
    /// # use plinth_core::{Entities, EntityCollection, EntitySchema, GuardError, Host, Plugin, PluginEntities};
    /// struct Tags { tags: Entities<&'static str> }
    /// impl EntitySchema for Tags {
    ///     // The collection, and how many plugins contributed to it.
    ///     type Collections = (EntityCollection<&'static str>, usize);
    ///     fn check(p: PluginEntities<'_, Self>) -> Result<(), GuardError> { p.check_keys("tags", |e| &e.tags) }
    ///     fn collect(p: PluginEntities<'_, Self>) -> Self::Collections { (p.collect(|e| &e.tags), p.len()) }
    /// }
    /// # struct P(&'static str, Tags);
    /// # impl Plugin for P {
    /// #     type Entities = Tags;
    /// #     fn name(&self) -> &str { self.0 }
    /// #     fn entities(&self) -> &Tags { &self.1 }
    /// # }
    /// let host = Host::from_plugins([P("a", Tags { tags: Entities::new() }), P("b", Tags { tags: Entities::new() })])?;
    /// assert_eq!(host.entities().1, 2);
    /// # Ok::<(), GuardError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.entities.len()
    }

    /// Whether there are no plugins.
    ///
    /// ```
    /// # use plinth_core::{Entities, EntityCollection, EntitySchema, GuardError, Host, Plugin, PluginEntities};
    /// struct Tags { tags: Entities<&'static str> }
    /// impl EntitySchema for Tags {
    ///     type Collections = Option<EntityCollection<&'static str>>; // `None` without plugins
    ///     fn check(p: PluginEntities<'_, Self>) -> Result<(), GuardError> { p.check_keys("tags", |e| &e.tags) }
    ///     fn collect(p: PluginEntities<'_, Self>) -> Self::Collections {
    ///         (!p.is_empty()).then(|| p.collect(|e| &e.tags))
    ///     }
    /// }
    /// # struct P(&'static str, Tags);
    /// # impl Plugin for P {
    /// #     type Entities = Tags;
    /// #     fn name(&self) -> &str { self.0 }
    /// #     fn entities(&self) -> &Tags { &self.1 }
    /// # }
    /// assert!(Host::<P>::from_plugins([])?.entities().is_none());
    /// assert!(Host::from_plugins([P("p", Tags { tags: Entities::new() })])?.entities().is_some());
    /// # Ok::<(), GuardError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.entities.is_empty()
    }

    /// Each plugin's URN and entities, in plugin order.
    ///
    /// ```
    /// # use plinth_core::{Entities, EntityCollection, EntitySchema, GuardError, Host, Plugin, PluginEntities};
    /// struct Tags { tags: Entities<&'static str> }
    /// impl EntitySchema for Tags {
    ///     // The collection, and each plugin's tag count in plugin order.
    ///     type Collections = (EntityCollection<&'static str>, Vec<String>);
    ///     fn check(p: PluginEntities<'_, Self>) -> Result<(), GuardError> { p.check_keys("tags", |e| &e.tags) }
    ///     fn collect(p: PluginEntities<'_, Self>) -> Self::Collections {
    ///         let counts = p.iter().map(|(urn, e)| format!("{urn}:{}", e.tags.len())).collect();
    ///         (p.collect(|e| &e.tags), counts)
    ///     }
    /// }
    /// # struct P(&'static str, Tags);
    /// # impl Plugin for P {
    /// #     type Entities = Tags;
    /// #     fn name(&self) -> &str { self.0 }
    /// #     fn entities(&self) -> &Tags { &self.1 }
    /// # }
    /// let host = Host::from_plugins([
    ///     P("a", Tags { tags: Entities::from([("x", "1"), ("y", "2")]) }),
    ///     P("b", Tags { tags: Entities::new() }),
    /// ])?;
    /// assert_eq!(host.entities().1, ["a:2", "b:0"]);
    /// # Ok::<(), GuardError>(())
    /// ```
    pub fn iter(
        &self,
    ) -> impl ExactSizeIterator<Item = (&'a PluginUrn, &'a S)> + Clone + use<'a, S> {
        self.urns.iter().zip(self.entities.iter().copied())
    }

    /// Checks every key of one entity type in every plugin.
    ///
    /// ```
    /// # use plinth_core::{Entities, EntityCollection, EntitySchema, GuardError, Host, Plugin, PluginEntities};
    /// struct Tags { tags: Entities<&'static str> }
    /// impl EntitySchema for Tags {
    ///     type Collections = EntityCollection<&'static str>;
    ///     fn check(p: PluginEntities<'_, Self>) -> Result<(), GuardError> {
    ///         p.check_keys("tags", |e| &e.tags)
    ///     }
    /// #   fn collect(p: PluginEntities<'_, Self>) -> Self::Collections { p.collect(|e| &e.tags) }
    /// }
    /// # struct P(&'static str, Tags);
    /// # impl Plugin for P {
    /// #     type Entities = Tags;
    /// #     fn name(&self) -> &str { self.0 }
    /// #     fn entities(&self) -> &Tags { &self.1 }
    /// # }
    /// let err = Host::from_plugins([P("p", Tags { tags: Entities::from([("1", "one")]) })]).err().unwrap();
    /// assert_eq!(err.to_string(), r#"plugin "p", entity type "tags": key "1" is numeric-like"#);
    /// ```
    pub fn check_keys<V>(
        &self,
        entity_type: &str,
        project: impl Fn(&'a S) -> &'a Entities<V>,
    ) -> Result<(), GuardError>
    where
        V: 'a,
    {
        let ty = EntityKeyRef::Name(entity_type);
        for (urn, e) in self.iter() {
            for key in project(e).keys() {
                check_key(urn, ty, key)?;
            }
        }
        Ok(())
    }

    /// Aggregates one entity type over every plugin.
    ///
    /// ```
    /// # use plinth_core::{Entities, EntityCollection, EntitySchema, GuardError, Host, Plugin, PluginEntities};
    /// struct Tags { tags: Entities<&'static str> }
    /// impl EntitySchema for Tags {
    ///     type Collections = EntityCollection<&'static str>;
    /// #   fn check(p: PluginEntities<'_, Self>) -> Result<(), GuardError> { p.check_keys("tags", |e| &e.tags) }
    ///     fn collect(p: PluginEntities<'_, Self>) -> Self::Collections {
    ///         p.collect(|e| &e.tags)
    ///     }
    /// }
    /// # struct P(&'static str, Tags);
    /// # impl Plugin for P {
    /// #     type Entities = Tags;
    /// #     fn name(&self) -> &str { self.0 }
    /// #     fn entities(&self) -> &Tags { &self.1 }
    /// # }
    /// let host = Host::from_plugins([
    ///     P("a", Tags { tags: Entities::from([("lang", "rust")]) }),
    ///     P("b", Tags { tags: Entities::from([("lang", "toml")]) }),
    /// ])?;
    /// assert_eq!(host.entities().get("lang"), ["rust", "toml"]);
    /// # Ok::<(), GuardError>(())
    /// ```
    pub fn collect<V: Clone + 'a>(
        &self,
        project: impl Fn(&'a S) -> &'a Entities<V>,
    ) -> EntityCollection<V> {
        EntityCollection::build(self.urns.clone(), self.entities.iter().map(|&e| project(e)))
    }
}
