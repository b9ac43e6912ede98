//! The server: configuration, the assembled router, serving with readiness,
//! and graceful shutdown.

use std::future::{Future, IntoFuture};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::{StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use plinth_extensions::{ExtensionRegistry, Loaders};
use plinth_runtime::Manager;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::{Mutex, watch};

use crate::admin::{self, AdminState};
use crate::auth::{AdminGate, require_token};
use crate::dashboard::{self, DashboardState};
use crate::guard::{EXTRACTORS_DEFAULT_LIMIT, GuardLayer};
use crate::session::Sessions;
use crate::{
    AdminToken, ApiError, Metrics, PluginFolders, RequestHooksLayer, ServerError,
    StartFailurePolicy, StateEvents, TokenSource,
};

/// The address served when none is configured: loopback only.
pub const DEFAULT_ADDR: &str = "127.0.0.1:3000";

/// How the server listens and what it allows.
///
/// ```
/// use plinth_server::ServerConfig;
/// let config = ServerConfig::default();
/// assert!(config.addr.ip().is_loopback());
/// assert!(config.admin_token.is_none()); // the admin API is off
/// ```
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen (default [`DEFAULT_ADDR`], loopback).
    pub addr: SocketAddr,
    /// The admin token; `None` turns the admin API off.
    pub admin_token: Option<AdminToken>,
    /// The largest request body accepted, in bytes (default 1 MiB).
    pub body_limit: usize,
    /// How long one request may take, hooks included (default 30 s).
    pub request_timeout: Duration,
    /// How long shutdown waits for in-flight requests, and then for the
    /// `request:complete` tasks (default 10 s each).
    pub drain_timeout: Duration,
    /// What a failing `request:start` callback does to its request
    /// (default [`StartFailurePolicy::Fail`]: 500).
    pub request_start_failure: StartFailurePolicy,
    /// Directories of plugin folders (`<dir>/<plugin>/plinth.toml`): their
    /// plugins are registered when serving starts, and
    /// `POST /api/admin/reload` adds those that appeared since and
    /// replaces those whose folder changed (default none).
    pub plugin_dirs: Vec<PathBuf>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 3000)),
            admin_token: None,
            body_limit: 1024 * 1024,
            request_timeout: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(10),
            request_start_failure: StartFailurePolicy::Fail,
            plugin_dirs: Vec::new(),
        }
    }
}

impl ServerConfig {
    /// The configuration from the application configuration's `server`
    /// section (`addr`, `adminToken`, `bodyLimitBytes`, `requestTimeoutMs`,
    /// `drainTimeoutMs`, `requestStartFailure`: `"fail"` or `"skip"`,
    /// `pluginDirs`: an array of paths), overridden by the environment
    /// (`PLINTH_ADDR`, `PLINTH_ADMIN_TOKEN`, `PLINTH_PLUGIN_DIRS`: paths
    /// separated as in `PATH`).
    ///
    /// # Errors
    /// [`ServerError::Config`] naming the setting that is wrong.
    ///
    /// ```
    /// use plinth_server::{ServerConfig, StartFailurePolicy, TokenSource};
    /// use serde_json::json;
    ///
    /// let app = json!({ "server": {
    ///     "addr": "127.0.0.1:8080", "adminToken": "from-file", "requestStartFailure": "skip"
    /// } });
    /// let env = |name: &str| (name == "PLINTH_ADMIN_TOKEN").then(|| "from-env".to_string());
    /// let config = ServerConfig::from_sources(&app, env)?;
    /// assert_eq!(config.addr.port(), 8080);
    /// assert_eq!(config.request_start_failure, StartFailurePolicy::Skip);
    /// let token = config.admin_token.unwrap();
    /// assert_eq!(token.source(), TokenSource::Environment);
    /// assert!(token.verify("from-env"));
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn from_sources(
        app: &Value,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ServerError> {
        let mut config = ServerConfig::default();
        let section = app.get("server").cloned().unwrap_or(Value::Null);
        let bad = |what: &str| ServerError::Config(format!("server.{what}"));
        if let Some(addr) = section.get("addr") {
            let text = addr
                .as_str()
                .ok_or_else(|| bad("addr: expected a string"))?;
            config.addr = parse_addr(text).map_err(|e| bad(&format!("addr: {e}")))?;
        }
        if let Some(token) = section.get("adminToken") {
            let text = token
                .as_str()
                .ok_or_else(|| bad("adminToken: expected a string"))?;
            config.admin_token = Some(
                AdminToken::from_source(text, TokenSource::Config)
                    .map_err(|e| bad(&format!("adminToken: {e}")))?,
            );
        }
        let number = |name: &str| -> Result<Option<u64>, ServerError> {
            section
                .get(name)
                .map(|v| {
                    v.as_u64()
                        .ok_or_else(|| bad(&format!("{name}: expected a non-negative integer")))
                })
                .transpose()
        };
        if let Some(n) = number("bodyLimitBytes")? {
            config.body_limit = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(ms) = number("requestTimeoutMs")? {
            config.request_timeout = Duration::from_millis(ms);
        }
        if let Some(ms) = number("drainTimeoutMs")? {
            config.drain_timeout = Duration::from_millis(ms);
        }
        if let Some(policy) = section.get("requestStartFailure") {
            config.request_start_failure = policy
                .as_str()
                .ok_or_else(|| bad("requestStartFailure: expected a string"))?
                .parse()
                .map_err(|e| bad(&format!("requestStartFailure: {e}")))?;
        }
        if let Some(dirs) = section.get("pluginDirs") {
            let expected = || bad("pluginDirs: expected an array of paths");
            config.plugin_dirs = dirs
                .as_array()
                .ok_or_else(expected)?
                .iter()
                .map(|d| d.as_str().map(PathBuf::from).ok_or_else(expected))
                .collect::<Result<_, _>>()?;
        }
        if let Some(dirs) = env("PLINTH_PLUGIN_DIRS") {
            config.plugin_dirs = std::env::split_paths(&dirs).collect();
        }
        if let Some(addr) = env("PLINTH_ADDR") {
            config.addr =
                parse_addr(&addr).map_err(|e| ServerError::Config(format!("PLINTH_ADDR: {e}")))?;
        }
        if let Some(token) = env("PLINTH_ADMIN_TOKEN") {
            config.admin_token = Some(
                AdminToken::from_source(&token, TokenSource::Environment)
                    .map_err(|e| ServerError::Config(format!("PLINTH_ADMIN_TOKEN: {e}")))?,
            );
        }
        Ok(config)
    }

    /// [`from_sources`](Self::from_sources) with the process environment.
    ///
    /// # Errors
    /// [`ServerError::Config`] naming the setting that is wrong.
    ///
    /// ```
    /// let config = plinth_server::ServerConfig::from_env(&serde_json::json!({}))?;
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn from_env(app: &Value) -> Result<Self, ServerError> {
        Self::from_sources(app, |name| std::env::var(name).ok())
    }
}

/// `host:port`, or a bare port (on loopback).
fn parse_addr(text: &str) -> Result<SocketAddr, std::net::AddrParseError> {
    match text.parse::<u16>() {
        Ok(port) => Ok(SocketAddr::from(([127, 0, 0, 1], port))),
        Err(_) => text.parse(),
    }
}

const STARTING: u8 = 0;
const READY: u8 = 1;
pub(crate) const STOPPING: u8 = 2;

/// A plinth application served over HTTP: the application's routes with
/// the request hooks around them, the admin API, `/healthz`, `/readyz` and
/// `/metrics`.
///
/// The manager lives behind a `tokio::sync::Mutex`, so admin operations are
/// serialised; each runs on its own task and completes even if its client
/// goes away.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use axum::{routing::get, Router};
/// use plinth_runtime::Manager;
/// use plinth_server::{Server, ServerConfig};
///
/// let server = Server::new(Manager::new(), ServerConfig::default())?
///     .routes(Router::new().route("/hello", get(|| async { "hi" })));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
/// let addr = listener.local_addr()?;
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// let serving = tokio::spawn(server.serve(listener, async { let _ = stopped.await; }));
/// // ... requests to http://{addr}/hello ...
/// let _ = stop.send(());
/// serving.await??; // drained, then the plugins shut down
/// # Ok(()) }
/// ```
pub struct Server {
    manager: Arc<Mutex<Manager>>,
    metrics: Arc<Metrics>,
    events: Arc<StateEvents>,
    sessions: Arc<Sessions>,
    hooks: RequestHooksLayer,
    folders: Arc<PluginFolders>,
    config: ServerConfig,
    routes: Router,
    phase: Arc<AtomicU8>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server for `manager`'s plugins (not yet started: [`serve`](Self::serve)
    /// starts them). Installs the [`Metrics`] on the manager.
    ///
    /// # Errors
    /// [`ServerError::Registry`] or [`ServerError::Bus`] when the request
    /// hooks or the state-change topic are bound to other types.
    ///
    /// ```
    /// let server = plinth_server::Server::new(plinth_runtime::Manager::new(), Default::default())?;
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn new(manager: Manager, config: ServerConfig) -> Result<Self, ServerError> {
        let metrics = Metrics::install(&manager)?;
        let events = StateEvents::install(&manager)?;
        let hooks = RequestHooksLayer::new(manager.hooks())?
            // An orchestrator's probes are the server's own: a plugin that
            // limits, authenticates or audits requests must not keep a
            // starting server from ever looking ready.
            .bypass(["/healthz", "/readyz"])
            .timeout(config.request_timeout)
            .on_start_failure(config.request_start_failure)
            .metrics(metrics.clone());
        Ok(Server {
            manager: Arc::new(Mutex::new(manager)),
            metrics,
            events,
            sessions: Arc::default(),
            hooks,
            folders: Arc::new(PluginFolders::new(config.plugin_dirs.clone())),
            config,
            routes: Router::new(),
            phase: Arc::new(AtomicU8::new(STARTING)),
        })
    }

    /// Adds the application's routes (they run inside the request hooks).
    ///
    /// ```
    /// use axum::{routing::get, Router};
    /// let server = plinth_server::Server::new(plinth_runtime::Manager::new(), Default::default())?
    ///     .routes(Router::new().route("/", get(|| async { "home" })));
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn routes(mut self, routes: Router) -> Self {
        self.routes = self.routes.merge(routes);
        self
    }

    /// Where the plugins of the [plugin folders](ServerConfig::plugin_dirs)
    /// register their extensions, and the loaders of their modules (by
    /// default a registry of the server's own and no loaders).
    ///
    /// ```
    /// use std::sync::Arc;
    /// use plinth_extensions::{ExtensionRegistry, Loaders};
    /// let registry = Arc::new(ExtensionRegistry::new());
    /// let server = plinth_server::Server::new(plinth_runtime::Manager::new(), Default::default())?
    ///     .extensions(registry.clone(), Arc::new(Loaders::new()));
    /// assert!(Arc::ptr_eq(server.plugin_folders().extensions(), &registry));
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn extensions(mut self, extensions: Arc<ExtensionRegistry>, loaders: Arc<Loaders>) -> Self {
        let mut folders = (*self.folders).clone();
        folders.extensions = extensions;
        folders.loaders = loaders;
        self.folders = Arc::new(folders);
        self
    }

    /// How each plugin found in the plugin folders is registered (at start
    /// and on reload); by default as a data-only
    /// [`ManifestPlugin`](plinth_runtime::ManifestPlugin). See
    /// [`PluginFolders::with_registrar`].
    ///
    /// ```
    /// use plinth_runtime::ManifestPlugin;
    /// let server = plinth_server::Server::new(plinth_runtime::Manager::new(), Default::default())?
    ///     .plugin_registrar(|manager, manifest, extensions, loaders| {
    ///         manager.register(ManifestPlugin::new(manifest, extensions.clone(), loaders.clone()))
    ///     });
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn plugin_registrar(mut self, registrar: impl crate::PluginRegistrar) -> Self {
        self.folders = Arc::new((*self.folders).clone().with_registrar(registrar));
        self
    }

    /// The plugin folders: their directories and extension registry.
    ///
    /// ```
    /// let config = plinth_server::ServerConfig { plugin_dirs: vec!["plugins".into()], ..Default::default() };
    /// let server = plinth_server::Server::new(plinth_runtime::Manager::new(), config)?;
    /// assert_eq!(server.plugin_folders().dirs(), [std::path::PathBuf::from("plugins")]);
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn plugin_folders(&self) -> &Arc<PluginFolders> {
        &self.folders
    }

    /// The manager, shared with the admin API.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), plinth_server::ServerError> {
    /// let server = plinth_server::Server::new(plinth_runtime::Manager::new(), Default::default())?;
    /// assert!(server.manager().lock().await.list().is_empty());
    /// # Ok(()) }
    /// ```
    pub fn manager(&self) -> &Arc<Mutex<Manager>> {
        &self.manager
    }

    /// The metrics served at `/metrics`.
    ///
    /// ```
    /// let server = plinth_server::Server::new(plinth_runtime::Manager::new(), Default::default())?;
    /// assert_eq!(server.metrics().totals("any").calls, 0);
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn metrics(&self) -> &Arc<Metrics> {
        &self.metrics
    }

    /// Its configuration.
    ///
    /// ```
    /// let server = plinth_server::Server::new(plinth_runtime::Manager::new(), Default::default())?;
    /// assert!(server.config().addr.ip().is_loopback());
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn config(&self) -> &ServerConfig {
        &self.config
    }

    /// Everything the server answers, as one router: the application's
    /// routes, the admin API behind its token, health, readiness and
    /// metrics; inside the request hooks (which also bound each request's
    /// time), a body limit, and a handler panic answered 500.
    ///
    /// ```
    /// let server = plinth_server::Server::new(plinth_runtime::Manager::new(), Default::default())?;
    /// let router: axum::Router = server.router();
    /// # Ok::<(), plinth_server::ServerError>(())
    /// ```
    pub fn router(&self) -> Router {
        Router::new().fallback_service(self.service())
    }

    /// What [`router`](Self::router) wraps: the routes inside the layers.
    /// The server serves this directly, without a router around it that
    /// would only forward each request.
    fn service(
        &self,
    ) -> impl tower::Service<
        axum::extract::Request,
        Response = axum::response::Response,
        Error = std::convert::Infallible,
        Future = impl Send + 'static,
    > + Clone
    + Send
    + Sync
    + 'static {
        let admin = admin::routes(AdminState {
            manager: self.manager.clone(),
            metrics: self.metrics.clone(),
            events: self.events.clone(),
            folders: self.folders.clone(),
            phase: self.phase.clone(),
        })
        .route_layer(middleware::from_fn_with_state(
            AdminGate {
                token: self.config.admin_token.clone(),
                sessions: self.sessions.clone(),
            },
            require_token,
        ));
        let dashboard = dashboard::routes(DashboardState {
            token: self.config.admin_token.clone(),
            sessions: self.sessions.clone(),
            manager: self.manager.clone(),
            metrics: self.metrics.clone(),
        });
        let phase = self.phase.clone();
        let metrics = self.metrics.clone();
        let routes = Router::new()
            .route(
                "/healthz",
                get(|| async { Json(json!({ "status": "ok" })) }),
            )
            .route("/readyz", get(readyz).with_state(phase))
            .route("/metrics", get(serve_metrics).with_state(metrics))
            .merge(admin)
            .merge(dashboard)
            .merge(self.routes.clone())
            .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "not found") });
        // The layers wrap the router once, as one service, rather than
        // through `Router::layer`, which wraps every route in each layer
        // (a boxed service per layer, cloned for every request).
        tower::ServiceBuilder::new()
            .layer(self.hooks.clone())
            .layer(GuardLayer::new(self.config.body_limit))
            .option_layer(
                (self.config.body_limit > EXTRACTORS_DEFAULT_LIMIT)
                    .then(|| DefaultBodyLimit::max(self.config.body_limit)),
            )
            .service(routes)
    }

    /// Binds the configured address.
    ///
    /// # Errors
    /// When the address cannot be bound.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), plinth_server::ServerError> {
    /// let config = plinth_server::ServerConfig { addr: "127.0.0.1:0".parse().unwrap(), ..Default::default() };
    /// let server = plinth_server::Server::new(plinth_runtime::Manager::new(), config)?;
    /// let listener = server.bind().await?;
    /// assert!(listener.local_addr()?.ip().is_loopback());
    /// # Ok(()) }
    /// ```
    pub async fn bind(&self) -> Result<TcpListener, ServerError> {
        Ok(TcpListener::bind(self.config.addr).await?)
    }

    /// Serves on `listener` until `signal` completes: registers the plugins
    /// of the [plugin folders](ServerConfig::plugin_dirs) and starts the
    /// plugins (`/readyz` answers 200 once `initialize_all` finished), then on the
    /// signal stops accepting, waits for in-flight requests (at most
    /// [`drain_timeout`](ServerConfig::drain_timeout)), then for the
    /// `request:complete` tasks (as long again), and shuts the plugins down
    /// in reverse dependency order.
    ///
    /// # Errors
    /// [`ServerError::Io`] when accepting fails.
    ///
    /// ```no_run
    /// # #[tokio::main]
    /// # async fn main() -> Result<(), plinth_server::ServerError> {
    /// let server = plinth_server::Server::new(plinth_runtime::Manager::new(), Default::default())?;
    /// let listener = server.bind().await?;
    /// server.serve(listener, plinth_server::shutdown_signal()?).await
    /// # }
    /// ```
    pub async fn serve(
        self,
        listener: TcpListener,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), ServerError> {
        let service = self.service();
        let drain = self.config.drain_timeout;
        let manager = self.manager.clone();
        let phase = self.phase.clone();
        let folders = self.folders.clone();
        let starting = tokio::spawn(async move {
            // The folders' turn first, as a reload takes it: a reload that
            // scanned before this start registered a newer scan would put
            // older versions back.
            let _turn = folders.turn.clone().lock_owned().await;
            let mut manager = manager.lock_owned().await;
            if !folders.dirs().is_empty() {
                let scanning = folders.clone();
                match tokio::task::spawn_blocking(move || scanning.scan()).await {
                    Ok(scan) => {
                        let (report, _) = folders.register_new(&mut manager, &scan);
                        for error in &report.errors {
                            tracing::warn!("plugin folders: {error}");
                        }
                        for refused in &report.failed {
                            tracing::warn!(plugin = %refused.plugin, "not registered: {}", refused.reason);
                        }
                        for taken in &report.unchanged {
                            tracing::warn!(
                                plugin = %taken,
                                "a plugin folder uses the name of a plugin already registered; the folder is ignored"
                            );
                        }
                    }
                    Err(e) => tracing::error!("scanning the plugin folders: {e}"),
                }
            }
            match manager.initialize_all().await {
                Ok(report) => {
                    for (plugin, reason) in &report.failed {
                        tracing::warn!(plugin = %plugin, "did not start: {reason}");
                    }
                }
                Err(e) => tracing::error!("starting the plugins: {e}"),
            }
            // Only a start that finished makes the server ready; shutdown
            // may already have begun.
            let _ = phase.compare_exchange(STARTING, READY, Ordering::AcqRel, Ordering::Acquire);
        });

        let (stop_tx, mut stop_rx) = watch::channel(false);
        let stop_phase = self.phase.clone();
        let events = self.events.clone();
        let graceful = async move {
            signal.await;
            stop_phase.store(STOPPING, Ordering::Release);
            // Event streams never end on their own: end them, or the drain
            // would wait for every open dashboard.
            events.close();
            let _ = stop_tx.send(true);
        };
        let serving = axum::serve(
            listener,
            axum::ServiceExt::<axum::extract::Request>::into_make_service_with_connect_info::<
                SocketAddr,
            >(service),
        )
        .with_graceful_shutdown(graceful)
        .into_future();
        let drain_expired = async move {
            if stop_rx.wait_for(|stop| *stop).await.is_err() {
                std::future::pending::<()>().await;
            }
            tokio::time::sleep(drain).await;
        };
        let served = tokio::select! {
            served = serving => served,
            () = drain_expired => {
                tracing::warn!("in-flight requests still running after {drain:?}; shutting down anyway");
                Ok(())
            }
        };
        self.phase.store(STOPPING, Ordering::Release);

        // A start still running is dropped: the manager's operations are
        // cancellation-safe, and shutdown settles what it left.
        starting.abort();
        let _ = starting.await;
        let tracker = self.hooks.tracker();
        tracker.close();
        if tokio::time::timeout(drain, tracker.wait()).await.is_err() {
            tracing::warn!(
                "{} request:complete events not yet done after {drain:?}",
                tracker.len()
            );
        }
        self.manager.lock().await.shutdown().await;
        Ok(served?)
    }
}

async fn readyz(State(phase): State<Arc<AtomicU8>>) -> Response {
    match phase.load(Ordering::Acquire) {
        READY => Json(json!({ "status": "ready" })).into_response(),
        STARTING => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "starting" })),
        )
            .into_response(),
        _ => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "stopping" })),
        )
            .into_response(),
    }
}

async fn serve_metrics(State(metrics): State<Arc<Metrics>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        metrics.encode(),
    )
        .into_response()
}

/// Completes on SIGTERM or Ctrl-C (SIGINT). The handlers are installed when
/// this is called, not when the future is first polled, so a signal that
/// arrives in between is not lost (and does not kill the process).
///
/// # Errors
/// When the signal handlers cannot be installed.
///
/// ```no_run
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let stop = plinth_server::shutdown_signal()?;
/// stop.await;
/// # Ok(()) }
/// ```
pub fn shutdown_signal() -> std::io::Result<impl Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        let mut interrupt = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = interrupt.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_start_failure_is_read_and_checked() {
        let none = |_: &str| None;
        let config = ServerConfig::from_sources(&json!({}), none).unwrap();
        assert_eq!(config.request_start_failure, StartFailurePolicy::Fail);
        let app = json!({ "server": { "requestStartFailure": "skip" } });
        let config = ServerConfig::from_sources(&app, none).unwrap();
        assert_eq!(config.request_start_failure, StartFailurePolicy::Skip);
        let app = json!({ "server": { "requestStartFailure": "ignore" } });
        let e = ServerConfig::from_sources(&app, none).unwrap_err();
        assert_eq!(
            e.to_string(),
            "server configuration: server.requestStartFailure: expected \"fail\" or \"skip\", found \"ignore\""
        );
        let app = json!({ "server": { "requestStartFailure": true } });
        assert!(ServerConfig::from_sources(&app, none).is_err());
    }
}
