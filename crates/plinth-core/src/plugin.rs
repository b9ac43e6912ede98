//! The plugin trait and the plugins record.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::{EntitySchema, PluginUrn};

/// A plugin: a name and the entities it contributes (the spec's
/// `ImmutablePlugin`).
///
/// A plugin is registered under a URN that must equal its [`name`](Self::name).
/// Integrations add whatever else they need (a description, a version) as
/// fields of their own type.
///
/// ```
/// use plinth_core::{DynamicEntities, DynamicPlugin, Plugin};
///
/// let p = DynamicPlugin::<u8>::new("p");
/// assert_eq!(p.name(), "p");
/// assert!(p.entities().is_empty());
/// ```
pub trait Plugin {
    /// The schema of this plugin's entities.
    type Entities: EntitySchema;

    /// The plugin's name; must equal the URN it is registered under.
    fn name(&self) -> &str;

    /// Everything this plugin contributes.
    fn entities(&self) -> &Self::Entities;
}

macro_rules! forward_plugin {
    ($($ty:ty),*) => {$(
        impl<P: Plugin + ?Sized> Plugin for $ty {
            type Entities = P::Entities;
            fn name(&self) -> &str {
                (**self).name()
            }
            fn entities(&self) -> &Self::Entities {
                (**self).entities()
            }
        }
    )*};
}

forward_plugin!(&P, Box<P>, Arc<P>, std::rc::Rc<P>);

/// The plugins of a host, keyed by URN, in registration order (the spec's
/// `ImmutablePlugins`).
///
/// ```
/// use plinth_core::{DynamicPlugin, Host};
///
/// let host = Host::from_plugins([DynamicPlugin::<u8>::new("a"), DynamicPlugin::new("b")])?;
/// let plugins = host.plugins();
/// assert_eq!(plugins.len(), 2);
/// assert_eq!(plugins.get("a").map(|p| p.name()), Some("a"));
/// let order: Vec<&str> = plugins.iter().map(|(urn, _)| urn.as_str()).collect();
/// assert_eq!(order, ["a", "b"]);
/// # Ok::<(), plinth_core::GuardError>(())
/// ```
#[derive(Clone)]
pub struct Plugins<P> {
    urns: Arc<[PluginUrn]>,
    plugins: Vec<P>,
    index: HashMap<PluginUrn, usize>,
}

impl<P> Plugins<P> {
    pub(crate) fn new(
        urns: Arc<[PluginUrn]>,
        plugins: Vec<P>,
        index: HashMap<PluginUrn, usize>,
    ) -> Self {
        Plugins {
            urns,
            plugins,
            index,
        }
    }

    /// The plugin registered under a URN.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host, Plugin};
    /// let host = Host::from_plugins([
    ///     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1)])),
    ///     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 2)])),
    /// ])?;
    /// assert_eq!(host.plugins().get("a").map(|p| p.name()), Some("a"));
    /// assert!(host.plugins().get("z").is_none());
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn get(&self, urn: &str) -> Option<&P> {
        self.index.get(urn).map(|&i| &self.plugins[i])
    }

    /// Whether a plugin is registered under this URN.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// let host = Host::from_plugins([
    ///     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1)])),
    ///     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 2)])),
    /// ])?;
    /// assert!(host.plugins().contains("b"));
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn contains(&self, urn: &str) -> bool {
        self.index.contains_key(urn)
    }

    /// Number of plugins.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// let host = Host::from_plugins([
    ///     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1)])),
    ///     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 2)])),
    /// ])?;
    /// assert_eq!(host.plugins().len(), 2);
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.plugins.len()
    }

    /// Whether there are no plugins.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// let host = Host::from_plugins([
    ///     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1)])),
    ///     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 2)])),
    /// ])?;
    /// assert!(!host.plugins().is_empty());
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn is_empty(&self) -> bool {
        self.plugins.is_empty()
    }

    /// URNs in registration order.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// let host = Host::from_plugins([
    ///     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1)])),
    ///     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 2)])),
    /// ])?;
    /// assert_eq!(host.plugins().urns(), ["a", "b"]);
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn urns(&self) -> &[PluginUrn] {
        &self.urns
    }

    /// `(urn, plugin)` pairs in registration order.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// let host = Host::from_plugins([
    ///     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1)])),
    ///     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 2)])),
    /// ])?;
    /// let urns: Vec<&str> = host.plugins().iter().map(|(urn, _)| urn.as_str()).collect();
    /// assert_eq!(urns, ["a", "b"]);
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&PluginUrn, &P)> + Clone {
        self.urns.iter().zip(&self.plugins)
    }

    /// Plugins in registration order.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host, Plugin};
    /// let host = Host::from_plugins([
    ///     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1)])),
    ///     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 2)])),
    /// ])?;
    /// let names: Vec<&str> = host.plugins().values().map(|p| p.name()).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn values(&self) -> std::slice::Iter<'_, P> {
        self.plugins.iter()
    }

    pub(crate) fn shared_urns(&self) -> &Arc<[PluginUrn]> {
        &self.urns
    }

    /// Takes the plugins out, in registration order.
    ///
    /// ```
    /// # use plinth_core::{DynamicPlugin, Entities, Host};
    /// let host = Host::from_plugins([
    ///     DynamicPlugin::new("a").with_type("t", Entities::from([("x", 1)])),
    ///     DynamicPlugin::new("b").with_type("t", Entities::from([("x", 2)])),
    /// ])?;
    /// let (plugins, _) = host.into_parts();
    /// assert_eq!(plugins.into_vec().len(), 2);
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn into_vec(self) -> Vec<P> {
        self.plugins
    }
}

impl<P: fmt::Debug> fmt::Debug for Plugins<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<'a, P> IntoIterator for &'a Plugins<P> {
    type Item = (&'a PluginUrn, &'a P);
    type IntoIter = std::iter::Zip<std::slice::Iter<'a, PluginUrn>, std::slice::Iter<'a, P>>;

    fn into_iter(self) -> Self::IntoIter {
        self.urns.iter().zip(&self.plugins)
    }
}
