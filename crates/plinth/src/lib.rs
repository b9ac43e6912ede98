//! plinth: a plugin framework for Rust.
//!
//! This facade re-exports the layers behind cargo features:
//! - [`core`] (always): the immutable, strongly typed plugin host;
//! - `macros` (default): `#[derive(EntitySchema)]` for typed entity schemas;
//! - `hooks` (default): [`hooks`], typed hooks (action, filter, bail), the
//!   message bus and the event emitter (crate `plinth-hooks`);
//! - `extensions` (default): [`extensions`], extension points, `plinth.toml`
//!   manifests, discovery from folders and module loaders (crate
//!   `plinth-extensions`);
//! - `runtime` (opt-in): [`runtime`], the plugin manager: lifecycle,
//!   dependencies, enable/disable, configuration, snapshots (crate
//!   `plinth-runtime`).
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

/// Typed hooks, message bus and event emitter (crate `plinth-hooks`).
///
/// ```
/// use plinth::hooks::{Filter, PluginUrn};
/// let hook = Filter::<u8>::new("n");
/// hook.tap(PluginUrn::new("p")?, |n| n + 1);
/// assert_eq!(hook.call(1)?, 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "hooks")]
pub use plinth_hooks as hooks;

/// Extension points, manifests, discovery and loaders (crate `plinth-extensions`).
///
/// ```
/// use plinth::extensions::{ConnectOptions, ExtensionPoint, ExtensionRegistry, Factory};
///
/// const GREETERS: ExtensionPoint<(), (), String> = ExtensionPoint::new("greeters");
/// let registry = ExtensionRegistry::new();
/// registry.register(&GREETERS, "en", Factory::sync(|_, _, _| Ok("hello".to_string())));
/// let found = registry.connect_blocking(&(), &GREETERS, ConnectOptions::new().multi(true))?;
/// assert_eq!(found.instances(), ["hello"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "extensions")]
pub use plinth_extensions as extensions;

/// The plugin manager (crate `plinth-runtime`, feature `runtime`).
///
/// ```
/// use plinth::runtime::{Manager, Metadata, Plugin, PluginState};
///
/// struct Hello;
/// impl Plugin for Hello {
///     fn metadata(&self) -> Metadata { Metadata::new("hello", "1.0.0") }
/// }
///
/// let mut manager = Manager::new();
/// manager.register(Hello)?;
/// futures::executor::block_on(manager.initialize_all())?;
/// assert_eq!(manager.state("hello"), Some(PluginState::Active));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[cfg(feature = "runtime")]
pub use plinth_runtime as runtime;

// The README's examples are compiled and run as doc tests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
