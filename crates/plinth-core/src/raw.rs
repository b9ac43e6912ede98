//! Plugins as read from untrusted input, before the guards.

use crate::guard::check_key;
use crate::{DynamicPlugin, Entities, EntityKey, GuardError, Host, PluginUrn};

/// A value that should be a record (a map with string keys) but may be
/// something else, as untrusted input can be.
///
/// ```
/// # use plinth_core::RecordOr;
/// let inner: RecordOr<Option<u8>> = RecordOr::Record(vec![("k".into(), Some(1))]);
/// let wrong: RecordOr<Option<u8>> = RecordOr::Other("array");
/// assert_ne!(inner, wrong);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum RecordOr<T> {
    /// A record, entries in input order.
    Record(Vec<(String, T)>),
    /// Something else; the string names what (`"array"`, `"string"`, ...).
    Other(&'static str),
}

/// A plugin as parsed from untrusted input: any part may be missing or of
/// the wrong shape. [`RawPlugin::check`] applies every guard of the host and
/// yields a [`DynamicPlugin`]; each failure names the plugin, the entity type
/// and the key.
///
/// With the `serde` feature, `RawPlugin<V>` and [`RawPlugins<V>`] deserialize
/// from any self-describing format; a `null` value is a missing value.
///
/// ```
/// use plinth_core::{GuardError, PluginUrn, RawPlugin, RecordOr};
///
/// let raw = RawPlugin {
///     name: Some("p".to_string()),
///     entities: Some(RecordOr::Record(vec![(
///         "assets".to_string(),
///         RecordOr::Record(vec![("foo".to_string(), None::<u8>)]),
///     )])),
/// };
/// let err = raw.check(&PluginUrn::new("p")?).unwrap_err();
/// assert_eq!(err.to_string(), r#"plugin "p", entity type "assets": key "foo" has no value"#);
/// # Ok::<(), GuardError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RawPlugin<V> {
    /// The plugin's `name`, if present.
    pub name: Option<String>,
    /// The plugin's `entities`, if present: entity type → inner map, where
    /// `None` is a missing value.
    pub entities: Option<RecordOr<RecordOr<Option<V>>>>,
}

impl<V> RawPlugin<V> {
    /// Applies the guards of one plugin registered under `urn`: the name is
    /// present and equals the URN; `entities` is a record of records; keys
    /// are non-empty and not numeric-like (entity type names may be any
    /// string); no value is missing.
    ///
    /// Presence of every entity type in every plugin needs the whole set and
    /// is checked by [`Host::new`].
    ///
    /// # Errors
    /// The first rule broken, in input order.
    ///
    /// ```
    /// # use plinth_core::{PluginUrn, RawPlugin, RecordOr};
    /// let raw = RawPlugin::<u8> { name: Some("p".into()), entities: Some(RecordOr::Record(vec![])) };
    /// let plugin = raw.check(&PluginUrn::new("p")?)?;
    /// assert_eq!(plugin.name(), "p");
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn check(self, urn: &PluginUrn) -> Result<DynamicPlugin<V>, GuardError> {
        let Some(name) = self.name else {
            return Err(GuardError::MissingName {
                plugin: urn.clone(),
            });
        };
        if name != urn.as_str() {
            return Err(GuardError::NameMismatch {
                urn: urn.clone(),
                name,
            });
        }
        let record = match self.entities {
            None => {
                return Err(GuardError::MissingEntities {
                    plugin: urn.clone(),
                });
            }
            Some(RecordOr::Other(found)) => {
                return Err(GuardError::NotARecord {
                    plugin: urn.clone(),
                    entity_type: None,
                    found,
                });
            }
            Some(RecordOr::Record(record)) => record,
        };
        let mut plugin = DynamicPlugin::new(name);
        for (ty, inner) in record {
            let ty_key = EntityKey::from(ty);
            let entries = match inner {
                RecordOr::Record(entries) => entries,
                RecordOr::Other(found) => {
                    return Err(GuardError::NotARecord {
                        plugin: urn.clone(),
                        entity_type: Some(ty_key),
                        found,
                    });
                }
            };
            let mut map = Entities::new();
            for (key, value) in entries {
                let key = EntityKey::from(key);
                check_key(urn, ty_key.as_key_ref(), key.as_key_ref())?;
                let Some(value) = value else {
                    return Err(GuardError::MissingValue {
                        plugin: urn.clone(),
                        entity_type: ty_key,
                        key,
                    });
                };
                map.insert(key, value);
            }
            plugin = plugin.with_type(ty_key, map);
        }
        Ok(plugin)
    }
}

/// A plugins record as parsed from untrusted input: URN → raw plugin, in
/// input order.
///
/// ```
/// use plinth_core::{RawPlugin, RawPlugins, RecordOr};
///
/// let raw = RawPlugins(vec![(
///     "a".to_string(),
///     RawPlugin {
///         name: Some("a".to_string()),
///         entities: Some(RecordOr::Record(vec![(
///             "assets".to_string(),
///             RecordOr::Record(vec![("x".to_string(), Some(1))]),
///         )])),
///     },
/// )]);
/// let host = raw.into_host()?;
/// assert_eq!(host.entities().get("assets").unwrap().get("x"), &[1]);
/// # Ok::<(), plinth_core::GuardError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct RawPlugins<V>(pub Vec<(String, RawPlugin<V>)>);

impl<V: Clone> RawPlugins<V> {
    /// Checks every plugin and builds the host.
    ///
    /// # Errors
    /// The first [`GuardError`], in plugin order.
    ///
    /// ```
    /// # use plinth_core::{RawPlugin, RawPlugins, RecordOr};
    /// let raw = RawPlugins::<u8>(vec![("a".into(), RawPlugin { name: Some("b".into()), entities: None })]);
    /// assert!(raw.into_host().is_err()); // name "b" under URN "a"
    /// ```
    pub fn into_host(self) -> Result<Host<DynamicPlugin<V>>, GuardError> {
        let mut plugins = Vec::with_capacity(self.0.len());
        for (urn, raw) in self.0 {
            let urn = PluginUrn::new(urn)?;
            let plugin = raw.check(&urn)?;
            plugins.push((urn, plugin));
        }
        Host::new(plugins)
    }
}
