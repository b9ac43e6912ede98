//! The immutable, strongly typed plugin host of plinth.
//!
//! A [`Plugin`] contributes *entities*: for each *entity type* an ordered map
//! ([`Entities`]) from [`EntityKey`] to a value. A [`Host`] aggregates the
//! plugins eagerly into one [`EntityCollection`] per entity type, keeping
//! every value with the URN of the plugin that provided it, and never
//! resolving conflicts: that is the integration's business.
//!
//! Two paths lead to a host:
//! - **typed**: a struct with `#[derive(EntitySchema)]` (from `plinth-macros`,
//!   re-exported by `plinth`) declares the entity types; a plugin that omits
//!   one or gives a value of the wrong type does not compile, and
//!   `host.entities().assets` is an `EntityCollection` of the assets' type;
//! - **dynamic**: a [`DynamicPlugin`] whose entity types are data (parsed from
//!   JSON or TOML through [`RawPlugin`] with the `serde` feature, or from
//!   WebAssembly), checked at run time by the [`guard`]s.
//!
//! ```
//! use plinth_core::{Entities, Host, Plugin};
//! # use plinth_macros::EntitySchema;
//!
//! #[derive(EntitySchema)]
//! struct AppEntities {
//!     assets: Entities<String>,
//! }
//!
//! struct Theme {
//!     name: String,
//!     entities: AppEntities,
//! }
//!
//! impl Plugin for Theme {
//!     type Entities = AppEntities;
//!     fn name(&self) -> &str { &self.name }
//!     fn entities(&self) -> &AppEntities { &self.entities }
//! }
//!
//! let theme = |name: &str, logo: &str| Theme {
//!     name: name.into(),
//!     entities: AppEntities { assets: Entities::from([("logo", logo.to_string())]) },
//! };
//! let host = Host::from_plugins([theme("light", "sun.svg"), theme("dark", "moon.svg")])?;
//!
//! // Conflicts are kept, in plugin order, with provenance.
//! assert_eq!(host.entities().assets.get("logo"), ["sun.svg", "moon.svg"]);
//! for (value, key, plugin) in &host.entities().assets {
//!     println!("{key} from {plugin}: {value}");
//! }
//! # Ok::<(), plinth_core::GuardError>(())
//! ```
//!
//! This crate has no required dependencies. Feature `serde` adds
//! deserialization of [`RawPlugin`] and [`RawPlugins`], and reading entity
//! schemas, derived ones included, from entity data (`FromEntityData`).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

// Lets the derive's `::plinth_core` paths resolve inside this crate's own docs.
extern crate self as plinth_core;

mod collection;
#[cfg(feature = "serde")]
mod data;
mod dynamic;
mod entities;
mod error;
pub mod guard;
mod host;
mod key;
mod name;
mod plugin;
mod raw;
mod schema;
#[cfg(feature = "serde")]
mod serde_impl;
mod urn;

pub use collection::{EntityCollection, Iter};
#[cfg(feature = "serde")]
pub use data::{EntityDataError, FromEntityData};
pub use dynamic::{DynamicCollections, DynamicEntities, DynamicPlugin};
pub use entities::{Entities, IntoIter};
pub use error::{BoxError, panic_message};
pub use guard::GuardError;
pub use host::{Collections, Host};
pub use key::{EntityKey, EntityKeyRef, Symbol};
pub use name::{PluginNameError, PluginNameReason, check_plugin_name};
pub use plugin::{Plugin, Plugins};
pub use raw::{RawPlugin, RawPlugins, RecordOr};
pub use schema::{EmptyEntities, EntityMap, EntitySchema, PluginEntities};
pub use urn::PluginUrn;

/// What `#[derive(EntitySchema)]` expands to. Not a public API: it may
/// change in any release.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "serde")]
    pub use crate::data::{DecodeEntity, DecodeField, EntityDataReader};
}

/// Without the `serde` feature a derived schema is not read from entity
/// data: the derive calls this either way, since it cannot see features.
#[cfg(not(feature = "serde"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __derive_from_entity_data {
    ($($tokens:tt)*) => {};
}
