//! The immutable host.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::{EntitySchema, GuardError, Plugin, PluginEntities, PluginUrn, Plugins};

/// The typed collections a host of `P` exposes.
///
/// ```
/// # use plinth_core::{Collections, DynamicCollections, DynamicPlugin, Entities, Host};
/// // For dynamic plugins, the collections are `DynamicCollections`.
/// fn types(c: &Collections<DynamicPlugin<u8>>) -> usize {
///     let c: &DynamicCollections<u8> = c;
///     c.len()
/// }
/// let host = Host::from_plugins([DynamicPlugin::new("a").with_type("t", Entities::<u8>::new())])?;
/// assert_eq!(types(host.entities()), 1);
/// # Ok::<(), plinth_core::GuardError>(())
/// ```
pub type Collections<P> = <<P as Plugin>::Entities as EntitySchema>::Collections;

/// An immutable set of plugins and the entity collections aggregated from
/// them (the spec's `ImmutableHost`).
///
/// Everything is computed eagerly in the constructor: a host never changes,
/// and changing the inputs afterwards cannot reach it. To change the plugin
/// set, build a new host (the runtime publishes one per change).
///
/// ```
/// use plinth_core::{DynamicPlugin, Entities, Host};
///
/// let host = Host::new([
///     ("a", DynamicPlugin::new("a").with_type("assets", Entities::from([("foo", "A")]))),
///     ("b", DynamicPlugin::new("b").with_type("assets", Entities::from([("foo", "B")]))),
/// ])?;
/// assert_eq!(host.plugins().len(), 2);
/// assert_eq!(host.entities().get("assets").unwrap().get("foo"), &["A", "B"]);
///
/// // A plugin's name must equal its URN.
/// let err = Host::new([("x", DynamicPlugin::<u8>::new("y"))]).unwrap_err();
/// assert_eq!(err.to_string(), r#"plugin "x": name "y" differs from its URN"#);
/// # Ok::<(), plinth_core::GuardError>(())
/// ```
pub struct Host<P: Plugin> {
    plugins: Plugins<P>,
    entities: Collections<P>,
}

impl<P: Plugin> Host<P> {
    /// Builds a host from `(urn, plugin)` pairs, in that order, checking
    /// every guard of the host.
    ///
    /// # Errors
    /// A [`GuardError`] naming the plugin (and the entity type and key) that
    /// breaks a rule: an empty or duplicate URN, a name differing from its
    /// URN, a missing entity type, an empty or numeric-like key, a missing
    /// value.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// let host = Host::new([
    ///     ("a", DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1)]))),
    ///     ("b", DynamicPlugin::new("b").with_type("t", Entities::from([("x", 2)]))),
    /// ])?;
    /// assert_eq!(host.entities().get("t").unwrap().get("x"), [1, 2]);
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn new<K, I>(plugins: I) -> Result<Self, GuardError>
    where
        K: AsRef<str>,
        I: IntoIterator<Item = (K, P)>,
    {
        let iter = plugins.into_iter();
        let mut urns = Vec::with_capacity(iter.size_hint().0);
        let mut list = Vec::with_capacity(iter.size_hint().0);
        let mut index = HashMap::with_capacity(iter.size_hint().0);
        for (urn, plugin) in iter {
            let urn = PluginUrn::new(urn)?;
            if plugin.name() != urn.as_str() {
                return Err(GuardError::NameMismatch {
                    urn,
                    name: plugin.name().to_owned(),
                });
            }
            if index.insert(urn.clone(), list.len()).is_some() {
                return Err(GuardError::DuplicatePlugin { urn });
            }
            urns.push(urn);
            list.push(plugin);
        }
        let plugins = Plugins::new(Arc::from(urns), list, index);
        let refs: Vec<&P::Entities> = plugins.values().map(Plugin::entities).collect();
        let view = PluginEntities::new(plugins.shared_urns(), &refs);
        P::Entities::check(view)?;
        let entities = P::Entities::collect(view);
        Ok(Host { plugins, entities })
    }

    /// Builds a host registering each plugin under its own name.
    ///
    /// ```
    /// use plinth_core::{DynamicPlugin, Host};
    ///
    /// let host = Host::from_plugins([DynamicPlugin::<u8>::new("a")])?;
    /// assert!(host.plugins().contains("a"));
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    ///
    /// # Errors
    /// As [`Host::new`].
    pub fn from_plugins(plugins: impl IntoIterator<Item = P>) -> Result<Self, GuardError> {
        let pairs: Vec<(String, P)> = plugins
            .into_iter()
            .map(|p| (p.name().to_owned(), p))
            .collect();
        Host::new(pairs)
    }

    /// The plugins, keyed by URN, in registration order.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// let host = Host::from_plugins([
    ///     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1)])),
    ///     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 2)])),
    /// ])?;
    /// assert_eq!(host.plugins().urns()[1].as_str(), "b");
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn plugins(&self) -> &Plugins<P> {
        &self.plugins
    }

    /// The entity collections, typed by the plugins' schema.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// let host = Host::from_plugins([
    ///     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1)])),
    ///     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 2)])),
    /// ])?;
    /// assert_eq!(host.entities().get("t").unwrap().len(), 1);
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn entities(&self) -> &Collections<P> {
        &self.entities
    }

    /// Takes the host apart.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// let host = Host::from_plugins([
    ///     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1)])),
    ///     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 2)])),
    /// ])?;
    /// let (plugins, collections) = host.into_parts();
    /// assert_eq!((plugins.len(), collections.len()), (2, 1));
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn into_parts(self) -> (Plugins<P>, Collections<P>) {
        (self.plugins, self.entities)
    }
}

impl<P> Clone for Host<P>
where
    P: Plugin + Clone,
    Collections<P>: Clone,
{
    fn clone(&self) -> Self {
        Host {
            plugins: self.plugins.clone(),
            entities: self.entities.clone(),
        }
    }
}

impl<P> fmt::Debug for Host<P>
where
    P: Plugin + fmt::Debug,
    Collections<P>: fmt::Debug,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Host")
            .field("plugins", &self.plugins)
            .field("entities", &self.entities)
            .finish()
    }
}
