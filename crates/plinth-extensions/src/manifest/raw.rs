//! The manifest as serde reads it, with spans for the checks serde cannot do.

use std::fmt;

use indexmap::IndexMap;
use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawManifest {
    /// Optional here so that its absence gets a message of its own.
    pub plugin: Option<RawPlugin>,
    // `[plugin]` keys written at the top level, a common slip: read (not
    // refused as unknown) so that the error can say where they belong.
    pub name: Option<Spanned<IgnoredAny>>,
    pub version: Option<Spanned<IgnoredAny>>,
    pub description: Option<Spanned<IgnoredAny>>,
    pub author: Option<Spanned<IgnoredAny>>,
    pub api: Option<Spanned<IgnoredAny>>,
    #[serde(default)]
    pub dependencies: IndexMap<Spanned<String>, semver::VersionReq>,
    pub config: Option<RawConfig>,
    #[serde(default)]
    pub permissions: RawPermissions,
    #[serde(default)]
    pub sandbox: super::Sandbox,
    #[serde(default)]
    pub hooks: IndexMap<Spanned<String>, RawHookTap>,
    pub bus: Option<RawBus>,
    #[serde(default)]
    pub extensions: IndexMap<Spanned<String>, IndexMap<Spanned<String>, RawExtension>>,
    #[serde(default)]
    pub entities: IndexMap<Spanned<String>, IndexMap<Spanned<String>, toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPlugin {
    pub name: Spanned<String>,
    pub version: semver::Version,
    pub description: Option<String>,
    pub author: Option<String>,
    pub api: Option<Spanned<semver::VersionReq>>,
    pub module: Option<Spanned<String>>,
}

/// `[permissions]`, its directories with their spans for the name check.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPermissions {
    #[serde(default)]
    pub read: Vec<Spanned<String>>,
    #[serde(default)]
    pub write: Vec<Spanned<String>>,
    #[serde(default)]
    pub net: Vec<String>,
    #[serde(default)]
    pub env: Vec<String>,
    #[serde(default)]
    pub clocks: bool,
    #[serde(default)]
    pub random: bool,
}

/// `"hook:name" = { priority = 10 }`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawHookTap {
    pub priority: Option<i32>,
}

/// `[bus] subscribe = ["topic", ...]` and `publish = [...]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBus {
    #[serde(default)]
    pub subscribe: Vec<Spanned<String>>,
    #[serde(default)]
    pub publish: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    pub schema: Spanned<RawSchema>,
}

#[derive(Deserialize)]
#[serde(untagged, expecting = "a schema file name or an inline schema table")]
pub(super) enum RawSchema {
    File(String),
    Inline(toml::Table),
}

/// `name = "module"` or `name = { module, object, auto }`.
pub(super) enum RawExtension {
    Module(String),
    Table(RawExtensionTable),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawExtensionTable {
    pub module: Option<String>,
    pub object: Option<String>,
    pub auto: Option<bool>,
}

// Written out instead of `untagged` so that a bad table reports its own
// field (unknown `modul`, `auto` not a boolean) rather than "no variant".
impl<'de> Deserialize<'de> for RawExtension {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawExtension;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a module string or a table { module, object, auto }")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RawExtension, E> {
                Ok(RawExtension::Module(v.to_owned()))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<RawExtension, A::Error> {
                RawExtensionTable::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(RawExtension::Table)
            }
        }
        deserializer.deserialize_any(V)
    }
}
