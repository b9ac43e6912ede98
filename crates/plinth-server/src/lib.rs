//! plinth over HTTP, on axum and tower: a plugin-extensible web server.
//!
//! - [`RequestHooksLayer`]: a tower layer running the `request:start` hook
//!   ([`REQUEST_START`], whose [`Rejection`] stops a request, e.g. 429 with
//!   `Retry-After`) and the `request:complete` hook ([`REQUEST_COMPLETE`],
//!   in the background, never delaying the response), with request ids.
//! - [`Server`]: the application's routes inside those hooks, the plugins
//!   of its plugin folders ([`PluginFolders`], scanned at start and on
//!   reload), plus the
//!   admin API on the plugin manager (list, toggle, enable, disable,
//!   configuration validated against the plugin's schema, dependency graph)
//!   behind a bearer token compared in constant time ([`AdminToken`]; no
//!   token, no admin API), `/healthz` and `/readyz` (probes, which skip the
//!   request hooks: no plugin limits or records them), `/metrics`
//!   ([`Metrics`], Prometheus), body limit, request timeout and graceful shutdown
//!   ([`shutdown_signal`]).
//!
//! Admin routes (each needs `Authorization: Bearer <token>`; those that
//! change the manager answer 503 once the server is stopping):
//!
//! | route | does |
//! | --- | --- |
//! | `GET /api/admin/plugins` | every plugin: name, version, description, author, dependencies (name to version range), optionalDependencies (names), enabled, state, reason (why it failed), notices (what the operator should know, such as capabilities a sandboxed plugin asks for and was not granted), dependents, and `hooks`: calls, failures, skipped `request:start` failures, p50 and p99 callback latency in microseconds (`p50Micros`, `p99Micros`), the same per hook in `byHook` |
//! | `POST /api/admin/plugins/{name}/toggle` `{"enabled": bool}` | enables or disables; `{"success": true, "started": [...]}` (the plugin and the dependencies started with it, in order) or `{"success": true, "stopped": [...]}` (its dependents and it) |
//! | `POST /api/admin/plugins/{name}/enable`, `.../disable` | the same, without a body |
//! | `GET /api/admin/plugins/{name}/config` | its configuration section, resolved with defaults, and schema |
//! | `PUT /api/admin/plugins/{name}/config` (the section as the body) | replaces the section if valid (else 422 listing every violation with its JSON pointer), restarting the plugin if active, with the dependents its stop stopped: `{"success", "config", "restarted"}`; 409 with `restarted` and `failed` (each with its reason) when one of them did not start again, the section saved all the same |
//! | `POST /api/admin/reload` | scans the plugin folders ([`ServerConfig::plugin_dirs`]) again: registers and starts the plugins not known yet, replaces those whose folder changed (manifest, schema or module file; running again if they ran), leaves the others; `{"success": true, "dirs", "added", "updated", "failed": [{"plugin", "reason"}], "unchanged", "errors"}` |
//! | `GET /api/admin/graph` | the dependency graph: nodes and edges |
//! | `GET /api/admin/graph.svg` | the same graph as a picture: plugins in columns by dependency depth, colored by state |
//! | `GET /api/admin/events` | server-sent events, one per state change: `{"plugin", "from", "to", "reason"}` |
//!
//! The dashboard, `/admin`, is one page with a same-origin script: the
//! plugins, their toggles, the graph, updated live from the event stream.
//! It logs in at `/admin/login` with the admin token into an `HttpOnly;
//! SameSite=Strict` session cookie; the admin routes accept that cookie in
//! place of the bearer token, and a state-changing request on it must also
//! carry the page's CSRF token in `x-csrf-token`.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use axum::{routing::get, Router};
//! use plinth_runtime::Manager;
//! use plinth_server::{AdminToken, Server, ServerConfig};
//!
//! let config = ServerConfig {
//!     addr: "127.0.0.1:0".parse()?,
//!     admin_token: Some(AdminToken::new("let-me-in")?),
//!     ..ServerConfig::default()
//! };
//! let server = Server::new(Manager::new(), config)?
//!     .routes(Router::new().route("/", get(|| async { "home" })));
//! let listener = server.bind().await?;
//! let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
//! let serving = tokio::spawn(server.serve(listener, async { let _ = stopped.await; }));
//! let _ = stop.send(());
//! serving.await??;
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod admin;
mod auth;
mod complete;
mod dashboard;
mod error;
mod events;
mod folders;
mod graph;
mod guard;
mod latency;
mod layer;
mod metrics;
mod request;
mod server;
mod session;

pub use auth::{AdminToken, EmptyToken, TokenSource};
pub use error::{ApiError, ApiJson};
pub use events::{StateEvent, StateEvents};
pub use folders::{FolderScan, NotAdded, PluginFolders, PluginRegistrar, ReloadReport};
pub use layer::{REQUEST_ID_HEADER, RequestHooks, RequestHooksLayer, StartFailurePolicy};
pub use metrics::{HookFigures, HookTotals, Metrics};
pub use request::{
    ClientIdentity, REQUEST_COMPLETE, REQUEST_START, Rejection, RequestComplete, RequestId,
    RequestStart,
};
pub use server::{DEFAULT_ADDR, Server, ServerConfig, shutdown_signal};

/// Why the server could not be set up or run.
///
/// ```
/// let e = plinth_server::ServerError::Config("server.addr: invalid socket address syntax".into());
/// assert_eq!(e.to_string(), "server configuration: server.addr: invalid socket address syntax");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// A request hook's name is bound to another type.
    #[error(transparent)]
    Registry(#[from] plinth_hooks::RegistryError),
    /// The state-change topic is bound to another type.
    #[error(transparent)]
    Bus(#[from] plinth_hooks::BusError),
    /// An owner name was refused.
    #[error(transparent)]
    Guard(#[from] plinth_core::GuardError),
    /// Binding or accepting failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A setting is wrong; the message names it.
    #[error("server configuration: {0}")]
    Config(String),
}
