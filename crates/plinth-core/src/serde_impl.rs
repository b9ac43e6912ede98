//! Deserialization of raw plugins (feature `serde`).
//!
//! Hand-written visitors instead of derives: records must keep input order,
//! and a value of the wrong shape must become a [`RecordOr::Other`] for the
//! guards to report with context, not an opaque parse error.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor,
};

use crate::{RawPlugin, RawPlugins, RecordOr};

struct RecordOrVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de>> Visitor<'de> for RecordOrVisitor<T> {
    type Value = RecordOr<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some((k, v)) = map.next_entry::<String, T>()? {
            entries.push((k, v));
        }
        Ok(RecordOr::Record(entries))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(RecordOr::Other("array"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(RecordOr::Other("boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(RecordOr::Other("number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(RecordOr::Other("number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(RecordOr::Other("number"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(RecordOr::Other("string"))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
        Ok(RecordOr::Other("bytes"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(RecordOr::Other("null"))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(RecordOr::Other("null"))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for RecordOr<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RecordOrVisitor(PhantomData))
    }
}

struct RawPluginVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for RawPluginVisitor<V> {
    type Value = RawPlugin<V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a plugin: a record with `name` and `entities`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut raw = RawPlugin {
            name: None,
            entities: None,
        };
        while let Some(field) = map.next_key::<String>()? {
            match field.as_str() {
                "name" => raw.name = map.next_value()?,
                "entities" => raw.entities = Some(map.next_value()?),
                // Integrations extend plugins with fields of their own
                // (a description, a version); the host does not read them.
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(raw)
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for RawPlugin<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RawPluginVisitor(PhantomData))
    }
}

struct RawPluginsVisitor<V>(PhantomData<V>);

impl<'de, V: Deserialize<'de>> Visitor<'de> for RawPluginsVisitor<V> {
    type Value = RawPlugins<V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a record of plugins keyed by URN")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut plugins = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some(urn) = map.next_key::<String>()? {
            let plugin = map.next_value_seed(PluginUnder::<V>(&urn, PhantomData))?;
            plugins.push((urn, plugin));
        }
        Ok(RawPlugins(plugins))
    }
}

/// One plugin of a set, under its URN: a value that is not a record is an
/// error naming the URN. [`RawPlugins`] has no place for a malformed plugin,
/// so this cannot wait for the guards as malformed entities do.
struct PluginUnder<'a, V>(&'a str, PhantomData<V>);

impl<'de, V: Deserialize<'de>> DeserializeSeed<'de> for PluginUnder<'_, V> {
    type Value = RawPlugin<V>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<V> PluginUnder<'_, V> {
    fn not_a_record<E: de::Error>(&self, found: &str) -> E {
        E::custom(format_args!(
            "plugin {:?}: expected a record with `name` and `entities`, found {found}",
            self.0
        ))
    }
}

impl<'de, V: Deserialize<'de>> Visitor<'de> for PluginUnder<'_, V> {
    type Value = RawPlugin<V>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "plugin {:?}: a record with `name` and `entities`",
            self.0
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        RawPluginVisitor(PhantomData).visit_map(map)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
        Err(self.not_a_record("array"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Err(self.not_a_record("boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Err(self.not_a_record("number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Err(self.not_a_record("number"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Err(self.not_a_record("number"))
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Err(self.not_a_record("string"))
    }

    fn visit_bytes<E: de::Error>(self, _: &[u8]) -> Result<Self::Value, E> {
        Err(self.not_a_record("bytes"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(self.not_a_record("null"))
    }

    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Err(self.not_a_record("null"))
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, V: Deserialize<'de>> Deserialize<'de> for RawPlugins<V> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(RawPluginsVisitor(PhantomData))
    }
}
