//! The plugin manager of plinth, typed: lifecycle states, semver dependencies, enable/disable
//! cascades, per-plugin configuration validated by JSON Schema, a context
//! with hooks, bus and services, fault isolation, and an immutable
//! [`plinth_core::Host`] snapshot of the active plugins after each change.
//!
//! ```
//! use plinth_hooks::{Filter, Key};
//! use plinth_runtime::{Context, Manager, Metadata, Plugin, PluginState};
//! use serde_json::json;
//!
//! const TITLE: Key<Filter<String>> = Key::new("page:title");
//!
//! struct Suffix;
//! impl Plugin for Suffix {
//!     fn metadata(&self) -> Metadata {
//!         Metadata::new("suffix", "1.0.0").with_config_schema(json!({
//!             "type": "object",
//!             "properties": { "text": { "type": "string", "default": " | plinth" } }
//!         }))
//!     }
//!     fn initialize(&mut self, ctx: &Context) -> Result<(), plinth_hooks::BoxError> {
//!         #[derive(serde::Deserialize)]
//!         struct Config { text: String }
//!         let Config { text } = ctx.config()?;
//!         ctx.hooks().on(&TITLE)?.tap(move |t| t + &text);
//!         Ok(())
//!     }
//! }
//!
//! # futures::executor::block_on(async {
//! let mut manager = Manager::new().with_config(json!({ "plugins": { "suffix": { "text": "!" } } }));
//! manager.register(Suffix)?;
//! manager.initialize_all().await?;
//! assert_eq!(manager.hooks().hook(&TITLE)?.call("Home".into())?, "Home!");
//! assert_eq!(manager.state("suffix"), Some(PluginState::Active));
//! manager.shutdown().await;
//! assert_eq!(manager.hooks().hook(&TITLE)?.call("Home".into())?, "Home");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod activation;
mod bus;
mod config;
mod context;
mod discovered;
mod error;
mod faults;
mod graph;
mod hooks;
mod info;
mod macro_support;
mod manager;
mod metadata;
mod plugin;
mod reason;
mod services;
mod snapshot;
mod state;
#[cfg(feature = "testing")]
pub mod testing;

pub use activation::ContextError;
pub use bus::PluginBus;
pub use config::{ConfigError, MAX_CONFIG_DEPTH, Violation, resolve_config};
pub use context::Context;
pub use discovered::{ManifestEntitiesError, ManifestPlugin, extension_entity_type};
pub use error::ManagerError;
pub use hooks::{PluginHooks, Registration};
pub use info::PluginInfo;
pub use manager::{DEFAULT_TIMEOUT, Manager, StartReport};
pub use metadata::{Dependency, Metadata, MetadataError};
pub use plugin::{DynamicSchema, Plugin};
pub use reason::{FailureReason, Fault};
pub use services::{ServiceError, Services};
pub use snapshot::{ActiveHost, ActivePlugin, Snapshots, host_of};
/// What the `#[plugin]` attribute of `plinth-macros` expands to. Not a
/// public API: it may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::macro_support::*;
}
pub use state::{PLUGINS_READY, PluginState, PluginsReady, STATE_CHANGED, StateChange, allowed};
