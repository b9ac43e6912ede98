//! plinth: a plugin framework for Rust.
//!
//! This facade re-exports the layers behind cargo features:
//! - [`core`] (always): the immutable, strongly typed plugin host;
//! - `macros` (default): `#[derive(EntitySchema)]` for typed entity schemas.
//!
//! ```
//! use plinth::{Entities, EntitySchema, Host, Plugin};
//!
//! #[derive(EntitySchema)]
//! struct AppEntities {
//!     greetings: Entities<&'static str>,
//! }
//!
//! struct Hello(AppEntities);
//! impl Plugin for Hello {
//!     type Entities = AppEntities;
//!     fn name(&self) -> &str { "hello" }
//!     fn entities(&self) -> &AppEntities { &self.0 }
//! }
//!
//! let host = Host::from_plugins([Hello(AppEntities {
//!     greetings: Entities::from([("en", "hello")]),
//! })])?;
//! assert_eq!(host.entities().greetings.get("en"), ["hello"]);
//! # Ok::<(), plinth::GuardError>(())
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub use plinth_core as core;
pub use plinth_core::*;

#[cfg(feature = "macros")]
pub use plinth_macros::EntitySchema;
