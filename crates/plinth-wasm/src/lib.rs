//! Sandboxed plugins for plinth: third-party code loaded at run time as
//! WebAssembly components, run by the manager like any plugin.
//!
//! # A tour
//!
//! A sandboxed plugin is a folder with a `plinth.toml` whose `[plugin]
//! module` names a component, and which declares up front what it will
//! touch: the hooks it taps (with priorities), the bus topics it listens
//! to and publishes on, the capabilities it asks for, and the limits it
//! wants:
//!
//! ```toml
//! [plugin]
//! name = "audit-logger-wasm"
//! version = "0.1.0"
//! module = "audit_logger.wasm"
//!
//! [hooks]
//! "request:complete" = { priority = 100 }
//!
//! [bus]
//! subscribe = ["user:login"]
//! publish = ["audit:written"]
//!
//! [permissions]
//! write = ["data"]
//!
//! [sandbox]
//! instances = 2
//! deadline-ms = 50
//! memory-mib = 32
//! ```
//!
//! The application makes one [`WasmRuntime`]: it chooses which of its
//! hooks sandboxed plugins may tap, and which of its typed bus topics they
//! meet its plugins on ([`HookBridge`]: payloads cross as JSON), what it grants ([`Policy`], [`Grant`]: a plugin gets exactly
//! what it asked for *and* was granted), the [`Limits`], and where
//! compiled components are cached. Then discovery registers the plugins:
//!
//! ```no_run
//! use std::sync::Arc;
//! use plinth_extensions::{scan, ExtensionRegistry, Loaders};
//! use plinth_hooks::{Action, Key};
//! use plinth_runtime::Manager;
//! use plinth_wasm::{Grant, HookBridge, Policy, WasmRuntime};
//!
//! const SAVED: Key<Action<String>> = Key::new("doc:saved");
//!
//! # futures::executor::block_on(async {
//! let runtime = WasmRuntime::builder()
//!     .hooks(HookBridge::new().action(&SAVED))
//!     .policy(Policy::new("var/plugin-data").grant("audit-logger-wasm", Grant::new().write("data")))
//!     .cache_dir("var/cache")
//!     .build()?;
//! let mut manager = Manager::new();
//! let discovery = scan(["plugins"]);
//! runtime.register_discovered(&mut manager, &discovery, &Arc::new(ExtensionRegistry::new()), &Arc::new(Loaders::new()));
//! manager.initialize_all().await?;
//! manager.hooks().hook(&SAVED)?.call(&"report.txt".to_owned())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # });
//! ```
//!
//! # What the sandbox guarantees
//!
//! - **Limits.** Each call runs under a deadline (epoch interruption) and
//!   each instance under a memory cap; optionally fuel. A call that traps
//!   loses its instance (a fresh one is made on the next call) and counts
//!   as not made; more traps in a row than the plugin's restart bound
//!   fail the plugin with the reason. A slow plugin holds only its own
//!   instances, and no thread past its deadline. Its key-value store, its
//!   files in the directories it may write, and its log lines a second
//!   are bounded too ([`Limits::kv_bytes`], [`Limits::disk_bytes`],
//!   [`Limits::log_lines`]).
//! - **Capabilities.** Files only under granted directories (inside the
//!   plugin's own data folder), environment variables, outgoing HTTP to
//!   granted hosts, clocks and randomness: each asked for in the manifest
//!   and granted by the policy. A denied attempt is an error inside the
//!   guest, a warning on the host, and counted ([`WasmStats::denied`]). A
//!   host granted by name reaches public addresses only, unless the
//!   policy allows private networks ([`Policy::private_networks`]).
//!   HTTPS checks the server's certificate for the URL's host against
//!   Mozilla's roots, or the policy's own ([`Policy::tls_roots`]); plain
//!   HTTP can be refused to all ([`Policy::https_only`]).
//! - **Extension points.** An extension the manifest declares with a
//!   `wasm:` module naming the plugin's own component
//!   (`[extensions."app:greeting"] hello = "wasm:plugin.wasm"`) is made by
//!   the guest's `answer` export: the point, the extension, the module's
//!   object and the connect's data in, the instance as JSON out (or a
//!   decline). Such points have the type `ExtensionPoint<(), Value, Value>`.
//!   A stopped plugin answers nothing: its extensions are unregistered.
//! - **Versions.** A component built against a semver-compatible version
//!   of the plugin world ([`WORLD_VERSION`], WIT in [`WORLD_WIT`]) runs;
//!   another is refused naming both versions, as is a component importing
//!   anything the host does not offer.
//! - **State.** Each instance keeps its state between calls. With more
//!   than one instance (`instances`, default 2) calls are spread over
//!   them, so state shared by all calls belongs in the plugin's key-value
//!   store (`kv-get`/`kv-set`; `kv-add` counts atomically), which all
//!   instances share and which lives as long as the application.
//!   `instances = 1` serves one call at a time from a single instance.

mod bridge;
mod cache;
mod disk;
mod epoch;
mod error;
mod files;
mod grants;
mod host;
mod kv;
mod logs;
#[cfg(feature = "prometheus")]
mod metrics;
mod net;
mod plugin;
mod pool;
mod runtime;
mod world;

pub use bridge::HookBridge;
pub use cache::CacheOutcome;
pub use error::{CallFailure, WasmError};
pub use grants::{Grant, Policy, TlsRoots};
#[cfg(feature = "prometheus")]
pub use metrics::SandboxCollector;
pub use plugin::WasmPlugin;
pub use runtime::{Limits, MAX_COMPONENT_BYTES, WasmRuntime, WasmRuntimeBuilder, WasmStats};
pub use world::{WORLD_PACKAGE, WORLD_VERSION, WORLD_WIT, compatible};
