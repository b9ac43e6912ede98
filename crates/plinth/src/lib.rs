//! plinth: a plugin framework for Rust.
//!
//! An application declares typed *hooks*; plugins implement them, and a
//! [`Manager`](runtime::Manager) starts, stops and isolates the plugins. A
//! first plugin needs the prelude and four names:
//!
//! ```
//! use plinth::prelude::*;
//!
//! const GREETING: Key<Filter<String>> = Key::new("greeting"); // the application's hook
//!
//! #[derive(Clone)]
//! struct Shout;
//!
//! #[plugin]
//! impl Plugin for Shout {
//!     fn metadata(&self) -> Metadata { Metadata::new("shout", "1.0.0") }
//!
//!     #[hook(GREETING)]
//!     fn shout(&self, greeting: String) -> String { greeting.to_uppercase() }
//! }
//! # futures::executor::block_on(async {
//!
//! // The application's side: register, start, call, stop.
//! let mut manager = Manager::new();
//! manager.register(Shout)?;
//! manager.initialize_all().await?;
//! let greeting = manager.hooks().hook(&GREETING)?;
//! assert_eq!(greeting.call("hello".into())?, "HELLO");
//! manager.disable("shout").await?;
//! assert_eq!(greeting.call("hello".into())?, "hello");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # Hooks
//!
//! A [`Key`](hooks::Key) names a hook and carries its kind and payload in
//! its type, so a plugin that implements it with the wrong shape does not
//! compile. Three kinds:
//!
//! | kind | runs | a `#[hook]` method |
//! | --- | --- | --- |
//! | [`Filter<T>`](hooks::Filter) | a waterfall: each callback transforms the value | `fn(&self, T) -> T` |
//! | [`Action<T>`](hooks::Action) | a broadcast: every callback sees the payload | `fn(&self, &T)` |
//! | [`Bail<T, R>`](hooks::Bail) | until a callback answers `Some` | `fn(&self, &T) -> Option<R>` |
//!
//! A method returning `Result<_, E>` is fallible: its error marks the plugin
//! failed and removes its hooks (a fallible or async filter step edits the
//! value in place, `&mut T`, so a failure leaves the caller the last good
//! value). An `async fn` method is an async callback.
//! Each `#[hook]` takes options: `priority` (lower runs first, default 10),
//! `name`, `before`, `after`.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use plinth::prelude::*;
//!
//! const SAVED: Key<Action<String>> = Key::new("page:saved");
//! const ROUTE: Key<Bail<String, u16>> = Key::new("route");
//!
//! #[derive(Clone, Default)]
//! struct Audit { log: Arc<Mutex<Vec<String>>> }
//!
//! #[plugin]
//! impl Plugin for Audit {
//!     fn metadata(&self) -> Metadata { Metadata::new("audit", "1.0.0") }
//!
//!     #[hook(SAVED, priority = 0)]
//!     fn record(&self, page: &String) -> Result<(), BoxError> {
//!         self.log.lock().map_err(|_| "log poisoned")?.push(page.clone());
//!         Ok(())
//!     }
//!
//!     #[hook(ROUTE)]
//!     async fn audit_page(&self, path: &String) -> Option<u16> {
//!         (path == "/audit").then_some(200)
//!     }
//! }
//! # futures::executor::block_on(async {
//!
//! let audit = Audit::default();
//! let mut manager = Manager::new();
//! manager.register(audit.clone())?;
//! manager.initialize_all().await?;
//! manager.hooks().hook(&SAVED)?.call(&"home".into())?;
//! assert_eq!(*audit.log.lock().unwrap(), ["home"]);
//! assert_eq!(manager.hooks().hook(&ROUTE)?.call_async("/audit".to_string()).await?, Some(200));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! Every registration owns a clone of the plugin, so a plugin with hook
//! methods is `Clone`, with its state in `Arc`s shared by the clones.
//!
//! # Lifecycle
//!
//! `initialize` and `destroy` are optional; in a `#[plugin]` impl they may
//! be `async fn`, for plugins that wait on I/O (they then run under the
//! plugin's timeout). The [`Context`](runtime::Context) gives the plugin its
//! validated configuration, services, the message bus and the hooks, for
//! registrations made by hand.
//!
//! ```
//! use plinth::prelude::*;
//!
//! const PAGE_VIEWED: Topic<String> = Topic::new("page:viewed");
//!
//! struct Counter;
//!
//! #[plugin]
//! impl Plugin for Counter {
//!     fn metadata(&self) -> Metadata { Metadata::new("counter", "1.0.0") }
//!
//!     async fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
//!         ctx.bus().subscribe(&PAGE_VIEWED, |page| {
//!             println!("viewed {page}");
//!             Ok(())
//!         })?;
//!         Ok(())
//!     }
//! }
//! # futures::executor::block_on(async {
//!
//! let mut manager = Manager::new();
//! manager.register(Counter)?;
//! manager.initialize_all().await?;
//! assert_eq!(manager.state("counter"), Some(PluginState::Active));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
//!
//! # The prelude and the layers
//!
//! [`prelude`] holds what an application and a plugin author use every
//! day. Everything else lives in the module of its layer, each a crate of
//! its own behind a cargo feature:
//!
//! | module | feature | what |
//! | --- | --- | --- |
//! | [`core`] | always | the immutable, strongly typed host: entities, collections with provenance, guards |
//! | [`hooks`] | `hooks` (default) | typed hooks, the message bus, the event emitter |
//! | [`extensions`] | `extensions` (default) | extension points, `plinth.toml` manifests, discovery, loaders |
//! | [`runtime`] | `runtime` (default) | the plugin manager: lifecycle, dependencies, configuration, snapshots |
//! | [`plugin`], [`EntitySchema`] | `macros` (default) | the `#[plugin]` attribute and `#[derive(EntitySchema)]` |
//! | `server` | `server` | the HTTP server on axum: request hooks, admin API, dashboard, metrics, plugin folders |
//! | `wasm` | `wasm` | sandboxed WebAssembly plugins |
//!
//! There are two plugin traits. The prelude's [`Plugin`](runtime::Plugin)
//! is the manager's: a plugin that starts and stops. [`core::Plugin`] is
//! the immutable host's: a named set of typed entities, aggregated once
//! into a [`Host`](core::Host).
//!
//! ```
//! use plinth::prelude::*;
//!
//! #[derive(EntitySchema)]
//! struct AppEntities {
//!     greetings: Entities<&'static str>,
//! }
//!
//! struct Hello(AppEntities);
//! impl plinth::core::Plugin for Hello {
//!     type Entities = AppEntities;
//!     fn name(&self) -> &str { "hello" }
//!     fn entities(&self) -> &AppEntities { &self.0 }
//! }
//!
//! let host = Host::from_plugins([Hello(AppEntities {
//!     greetings: Entities::from([("en", "hello")]),
//! })])?;
//! assert_eq!(host.entities().greetings.get("en"), ["hello"]);
//! # Ok::<(), plinth::core::GuardError>(())
//! ```
//!
//! The same schema types the manager's snapshot: a `Manager<AppEntities>`
//! manages plugins implementing `Plugin<AppEntities>` (the plain `Plugin`
//! is `Plugin<DynamicSchema>`, what `Manager::new` manages: entity types
//! as data, values JSON). Plugins described by manifests contribute too,
//! their `[entities.<type>]` data deserialized into the schema's value
//! types.
//!
//! ```
//! use plinth::prelude::*;
//!
//! #[derive(EntitySchema)]
//! struct AppEntities {
//!     assets: Entities<String>,
//! }
//!
//! struct Theme;
//!
//! #[plugin]
//! impl Plugin<AppEntities> for Theme {
//!     fn metadata(&self) -> Metadata { Metadata::new("theme", "1.0.0") }
//!     fn entities(&self) -> AppEntities {
//!         AppEntities { assets: Entities::from([("logo", "moon.svg".to_string())]) }
//!     }
//! }
//! # futures::executor::block_on(async {
//!
//! let mut manager = Manager::<AppEntities>::typed();
//! manager.register(Theme)?;
//! manager.initialize_all().await?;
//! let snapshot = manager.snapshot();
//! let logo: &[String] = snapshot.entities().assets.get("logo");
//! assert_eq!(logo, ["moon.svg"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # }).unwrap();
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

/// The immutable, strongly typed plugin host (crate `plinth-core`): its own
/// [`Plugin`](core::Plugin) trait, [`Host`](core::Host), entities,
/// collections with provenance, guards.
///
/// ```
/// use plinth::core::{Entities, PluginUrn};
/// let greetings = Entities::from([("en", "hello")]);
/// assert_eq!(greetings.len(), 1);
/// assert_eq!(PluginUrn::new("hello")?, "hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub use plinth_core as core;

/// `#[derive(EntitySchema)]`: a struct of `Entities<V>` fields as a typed
/// entity schema (the trait is [`core::EntitySchema`]).
///
/// ```
/// use plinth::core::Entities;
///
/// #[derive(plinth::EntitySchema)]
/// struct AppEntities {
///     assets: Entities<String>,
/// }
/// let _ = AppEntities { assets: Entities::new() };
/// ```
#[cfg(feature = "macros")]
pub use plinth_macros::EntitySchema;

/// `#[plugin]`: a plugin's hook methods and async lifecycle, on its
/// `impl Plugin for Type` block. See the [crate documentation](crate#hooks).
///
/// ```
/// use plinth::prelude::*;
///
/// const TICK: Key<Action<u64>> = Key::new("tick");
///
/// #[derive(Clone)]
/// struct Clock;
///
/// #[plugin]
/// impl Plugin for Clock {
///     fn metadata(&self) -> Metadata { Metadata::new("clock", "1.0.0") }
///
///     #[hook(TICK)]
///     fn tick(&self, n: &u64) { println!("tick {n}"); }
/// }
/// ```
#[cfg(all(feature = "macros", feature = "runtime"))]
pub use plinth_macros::plugin;

/// Typed hooks, message bus and event emitter (crate `plinth-hooks`).
///
/// ```
/// use plinth::hooks::Filter;
/// use plinth::core::PluginUrn;
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

/// The plugin manager (crate `plinth-runtime`).
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

/// HTTP on axum and tower (crate `plinth-server`, feature `server`, off by
/// default): the request hooks as a tower layer, the admin API, metrics and
/// graceful shutdown.
///
/// ```
/// use plinth::server::{RequestStart, REQUEST_START};
/// assert_eq!(REQUEST_START.name(), "request:start");
/// let start = RequestStart::new("GET", "/");
/// ```
#[cfg(feature = "server")]
pub use plinth_server as server;

/// Sandboxed plugins loaded at run time as WebAssembly components (crate
/// `plinth-wasm`, feature `wasm`, off by default: a build without it
/// compiles no wasmtime).
///
/// ```
/// use plinth::wasm::{Grant, Policy, WasmRuntime, WORLD_VERSION};
/// assert_eq!(WORLD_VERSION.to_string(), "0.1.3");
/// let runtime = WasmRuntime::builder()
///     .policy(Policy::new("var/plugin-data").grant("audit-logger-wasm", Grant::new().write("data")))
///     .build()?;
/// # Ok::<(), plinth::wasm::WasmError>(())
/// ```
#[cfg(feature = "wasm")]
pub use plinth_wasm as wasm;

/// What an application and a plugin author use every day: `use
/// plinth::prelude::*;`.
///
/// - the manager and its plugins: [`Manager`](crate::runtime::Manager),
///   [`Plugin`](crate::runtime::Plugin),
///   [`Metadata`](crate::runtime::Metadata),
///   [`Context`](crate::runtime::Context),
///   [`PluginState`](crate::runtime::PluginState), and the
///   [`plugin`] attribute;
/// - hooks and messages: [`Key`](crate::hooks::Key) with the kinds
///   [`Filter`](crate::hooks::Filter), [`Action`](crate::hooks::Action),
///   [`Bail`](crate::hooks::Bail), and [`Hook`](crate::hooks::Hook), the
///   trait with what every kind shares (`len`, `unregister`,
///   `remove_owner`, `intercept`); [`Topic`](crate::hooks::Topic) for the
///   bus; [`BoxError`](crate::hooks::BoxError), the error of callbacks and
///   lifecycle methods;
/// - typed entities: [`Entities`](crate::core::Entities),
///   [`EntitySchema`](crate::core::EntitySchema) (the trait and its
///   derive), [`Host`](crate::core::Host),
///   [`PluginUrn`](crate::core::PluginUrn).
///
/// `Plugin` here is the manager's trait. The immutable host's trait of the
/// same name stays [`plinth::core::Plugin`](crate::core::Plugin), named by
/// its path where a typed host is built.
///
/// ```
/// use plinth::prelude::*;
///
/// struct Quiet;
/// impl Plugin for Quiet {
///     fn metadata(&self) -> Metadata { Metadata::new("quiet", "1.0.0") }
/// }
///
/// let mut manager = Manager::new();
/// manager.register(Quiet)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod prelude {
    pub use plinth_core::{Entities, EntitySchema, Host, PluginUrn};

    #[cfg(feature = "hooks")]
    pub use plinth_hooks::{Action, Bail, BoxError, Filter, Hook, Key, Topic};

    #[cfg(feature = "runtime")]
    pub use plinth_runtime::{Context, Manager, Metadata, Plugin, PluginState};

    #[cfg(feature = "macros")]
    pub use plinth_macros::EntitySchema;

    #[cfg(all(feature = "macros", feature = "runtime"))]
    pub use plinth_macros::plugin;
}

// The READMEs' examples are compiled and run as doc tests.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct FacadeReadmeDoctests;

// plinth-macros cannot depend on the facade that re-exports it.
#[doc = include_str!("../../plinth-macros/README.md")]
#[cfg(doctest)]
pub struct MacrosReadmeDoctests;
