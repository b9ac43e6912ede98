//! Entity schemas read from entity data (feature `serde`): the way plugins
//! whose shape is data (manifests, WebAssembly components) contribute to a
//! typed host.

use std::fmt;

use serde::de::{DeserializeOwned, Deserializer};

use crate::{DynamicEntities, Entities, EntityKey};

/// An entity schema that can be read from entity data: per entity type, a
/// map from key to a value of a self-describing format `D` (a
/// `serde_json::Value`, a `toml::Value`), each value deserialized into the
/// schema's value type for that entity type.
///
/// `#[derive(EntitySchema)]` implements it when plinth-core's `serde`
/// feature is on (the plugin manager turns it on). An entity type the data
/// does not have is empty; one the schema does not have is an error, as is
/// a value that does not deserialize, naming the entity type and the key.
/// A schema whose value types are not `DeserializeOwned` still derives;
/// it just cannot be read from data.
///
/// ```
/// use plinth_core::{DynamicEntities, Entities, EntityDataError, FromEntityData};
/// # use plinth_macros::EntitySchema;
/// use serde_json::{json, Value};
///
/// #[derive(EntitySchema)]
/// struct AppEntities {
///     assets: Entities<String>,
///     weights: Entities<u32>,
/// }
///
/// let data: DynamicEntities<Value> =
///     [("assets", Entities::from([("logo", json!("moon.svg"))]))].into_iter().collect();
/// let entities = AppEntities::from_entity_data(data)?;
/// assert_eq!(entities.assets.get("logo").map(String::as_str), Some("moon.svg"));
/// assert!(entities.weights.is_empty());
///
/// let bad: DynamicEntities<Value> =
///     [("weights", Entities::from([("heavy", json!("a lot"))]))].into_iter().collect();
/// let err = AppEntities::from_entity_data(bad).err().unwrap();
/// assert_eq!(err.entity_type(), "weights");
/// assert_eq!(err.key(), Some("heavy"));
///
/// let unknown: DynamicEntities<Value> =
///     [("colours", Entities::new())].into_iter().collect();
/// assert_eq!(
///     AppEntities::from_entity_data(unknown).err().unwrap().to_string(),
///     r#"unknown entity type "colours" (the schema has "assets", "weights")"#
/// );
/// # Ok::<(), EntityDataError>(())
/// ```
pub trait FromEntityData<D>: Sized {
    /// Reads the schema from `data`.
    ///
    /// # Errors
    /// [`EntityDataError::UnknownEntityType`] for an entity type the schema
    /// does not have, [`EntityDataError::Value`] for a value that does not
    /// deserialize into its entity type's value type.
    fn from_entity_data(data: DynamicEntities<D>) -> Result<Self, EntityDataError>;

    /// Whether the schema has this entity type: data an integration adds of
    /// its own accord (not written by a plugin's author) goes only where
    /// the schema has room for it.
    ///
    /// ```
    /// use plinth_core::{DynamicEntities, Entities, FromEntityData};
    /// # use plinth_macros::EntitySchema;
    /// #[derive(EntitySchema)]
    /// struct AppEntities { assets: Entities<String> }
    /// assert!(<AppEntities as FromEntityData<serde_json::Value>>::has_entity_type("assets"));
    /// assert!(!<AppEntities as FromEntityData<serde_json::Value>>::has_entity_type("extension:tools"));
    /// // Entity types are data: every one fits.
    /// assert!(<DynamicEntities<u8> as FromEntityData<serde_json::Value>>::has_entity_type("anything"));
    /// ```
    fn has_entity_type(entity_type: &str) -> bool;
}

impl<V, D> FromEntityData<D> for DynamicEntities<V>
where
    V: DecodeEntity<D>,
{
    fn from_entity_data(data: DynamicEntities<D>) -> Result<Self, EntityDataError> {
        data.into_iter()
            .map(|(ty, map)| {
                let map = decode_map(&ty.to_string(), map)?;
                Ok((ty, map))
            })
            .collect()
    }

    fn has_entity_type(_: &str) -> bool {
        true
    }
}

/// Entity data that does not fit an entity schema.
///
/// ```
/// use plinth_core::EntityDataError;
/// let err = EntityDataError::Value {
///     entity_type: "assets".into(),
///     key: "logo".into(),
///     message: "invalid type: integer `3`, expected a string".into(),
/// };
/// assert_eq!(
///     err.to_string(),
///     r#"entity type "assets", key "logo": invalid type: integer `3`, expected a string"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EntityDataError {
    /// An entity type the schema does not have.
    UnknownEntityType {
        /// The entity type in the data.
        entity_type: String,
        /// The entity types of the schema.
        expected: &'static [&'static str],
    },
    /// A value that does not deserialize into its entity type's value type.
    Value {
        /// The entity type.
        entity_type: String,
        /// The entity key.
        key: String,
        /// What serde said, with the path inside the value when it is not
        /// the value itself.
        message: String,
    },
}

impl EntityDataError {
    /// The entity type concerned.
    ///
    /// ```
    /// # use plinth_core::EntityDataError;
    /// let err = EntityDataError::UnknownEntityType { entity_type: "x".into(), expected: &["assets"] };
    /// assert_eq!(err.entity_type(), "x");
    /// ```
    pub fn entity_type(&self) -> &str {
        match self {
            EntityDataError::UnknownEntityType { entity_type, .. }
            | EntityDataError::Value { entity_type, .. } => entity_type,
        }
    }

    /// The entity key concerned, if the error is about one value.
    ///
    /// ```
    /// # use plinth_core::EntityDataError;
    /// let err = EntityDataError::UnknownEntityType { entity_type: "x".into(), expected: &["assets"] };
    /// assert_eq!(err.key(), None);
    /// ```
    pub fn key(&self) -> Option<&str> {
        match self {
            EntityDataError::UnknownEntityType { .. } => None,
            EntityDataError::Value { key, .. } => Some(key),
        }
    }
}

impl fmt::Display for EntityDataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntityDataError::UnknownEntityType {
                entity_type,
                expected,
            } => {
                write!(f, "unknown entity type {entity_type:?} (the schema has ")?;
                if expected.is_empty() {
                    f.write_str("none")?;
                }
                for (i, ty) in expected.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{ty:?}")?;
                }
                f.write_str(")")
            }
            EntityDataError::Value {
                entity_type,
                key,
                message,
            } => write!(f, "entity type {entity_type:?}, key {key:?}: {message}"),
        }
    }
}

impl std::error::Error for EntityDataError {}

/// A value type read from entity data of format `D`: every
/// `DeserializeOwned` type, from any owned serde deserializer.
///
/// Written as a bound on `D` so that a derived schema may name its value
/// types in it without failing to compile when one of them cannot be
/// deserialized (the bound is then checked only where data is read).
#[doc(hidden)]
pub trait DecodeEntity<D>: Sized {
    /// Deserializes one value.
    fn decode(data: D) -> Result<Self, String>;
}

impl<V, D> DecodeEntity<D> for V
where
    V: DeserializeOwned,
    D: for<'de> Deserializer<'de>,
{
    fn decode(data: D) -> Result<V, String> {
        serde_path_to_error::deserialize(data).map_err(|e| {
            let path = e.path().to_string();
            if path == "." {
                e.into_inner().to_string()
            } else {
                format!("at `{path}`: {}", e.into_inner())
            }
        })
    }
}

fn decode_map<V: DecodeEntity<D>, D>(
    entity_type: &str,
    map: Entities<D>,
) -> Result<Entities<V>, EntityDataError> {
    map.into_iter()
        .map(|(key, value)| match V::decode(value) {
            Ok(value) => Ok((key, value)),
            Err(message) => Err(EntityDataError::Value {
                entity_type: entity_type.to_owned(),
                key: key.to_string(),
                message,
            }),
        })
        .collect()
}

/// Entity data being read into a derived schema, one entity type at a time.
#[doc(hidden)]
pub struct EntityDataReader<D> {
    types: Vec<(EntityKey, Option<Entities<D>>)>,
}

impl<D> EntityDataReader<D> {
    /// Checks that every entity type of `data` is one of `expected`.
    pub fn new(
        data: DynamicEntities<D>,
        expected: &'static [&'static str],
    ) -> Result<Self, EntityDataError> {
        let types: Vec<_> = data.into_iter().map(|(ty, map)| (ty, Some(map))).collect();
        for (ty, _) in &types {
            if !ty.as_name().is_some_and(|name| expected.contains(&name)) {
                return Err(EntityDataError::UnknownEntityType {
                    entity_type: ty.to_string(),
                    expected,
                });
            }
        }
        Ok(EntityDataReader { types })
    }

    /// The entities of one type, read; empty when the data has none.
    pub fn take<V: DecodeEntity<D>>(
        &mut self,
        entity_type: &str,
    ) -> Result<Entities<V>, EntityDataError> {
        let map = self
            .types
            .iter_mut()
            .find(|(ty, _)| ty.as_name() == Some(entity_type))
            .and_then(|(_, map)| map.take());
        match map {
            Some(map) => decode_map(entity_type, map),
            None => Ok(Entities::new()),
        }
    }
}

/// A field of a derived schema read from entity data: an [`Entities`] map
/// whose value type is read from `D`.
///
/// The derive names its field types only in bounds on `D`, so that a
/// schema that cannot be read from data, or has a field that is not an
/// `Entities` map (already an error of its own), gets no error from here.
#[doc(hidden)]
pub trait DecodeField<D>: Sized {
    /// Reads the field of `entity_type`.
    fn read(reader: &mut EntityDataReader<D>, entity_type: &str) -> Result<Self, EntityDataError>;
}

impl<V: DecodeEntity<D>, D> DecodeField<D> for Entities<V> {
    fn read(reader: &mut EntityDataReader<D>, entity_type: &str) -> Result<Self, EntityDataError> {
        reader.take(entity_type)
    }
}

/// Implements [`FromEntityData`] for a derived schema. Defined only with
/// the `serde` feature: the derive cannot see plinth-core's features, so it
/// always calls this macro, which expands to nothing without them.
#[doc(hidden)]
#[macro_export]
macro_rules! __derive_from_entity_data {
    ($schema:ident { $($field:ident : $label:literal : $ty:ty),* $(,)? }) => {
        impl<__D> $crate::FromEntityData<__D> for $schema
        where
            $( $ty: $crate::__private::DecodeField<__D>, )*
        {
            fn from_entity_data(
                data: $crate::DynamicEntities<__D>,
            ) -> ::core::result::Result<Self, $crate::EntityDataError> {
                const EXPECTED: &[&str] = &[$($label),*];
                #[allow(unused_mut, unused_variables)]
                let mut reader = $crate::__private::EntityDataReader::new(data, EXPECTED)?;
                ::core::result::Result::Ok($schema {
                    $( $field: <$ty as $crate::__private::DecodeField<__D>>::read(&mut reader, $label)?, )*
                })
            }

            fn has_entity_type(entity_type: &str) -> bool {
                [$($label),*].contains(&entity_type)
            }
        }
    };
}
