//! The request hooks as a tower layer: `request:start` before the inner
//! service, `request:complete` after it, in the background.

use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use axum::response::IntoResponse;
use plinth_hooks::Hook;
use plinth_hooks::{Bail, BoxError, Registry, RegistryError};
use tokio_util::task::TaskTracker;
use tower::{Layer, Service};

use crate::complete::Completions;
use crate::request::{acceptable_request_id, generate_request_id};
use crate::{
    ApiError, ClientIdentity, Metrics, REQUEST_COMPLETE, REQUEST_START, Rejection, RequestComplete,
    RequestId, RequestStart,
};

/// The header carrying the request id, both ways.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// What a server does with a request whose `request:start` callback fails
/// (returns an error or panics).
///
/// Either way the failure is logged naming the plugin, counted in
/// `plinth_hook_failures_total`, and a plugin manager sharing the registry
/// marks that plugin failed and removes its callbacks, so that it fails
/// one request at most.
///
/// ```
/// use plinth_server::StartFailurePolicy;
/// assert_eq!(StartFailurePolicy::default(), StartFailurePolicy::Fail);
/// assert_eq!("skip".parse::<StartFailurePolicy>(), Ok(StartFailurePolicy::Skip));
/// assert!("ignore".parse::<StartFailurePolicy>().is_err());
/// assert_eq!(StartFailurePolicy::Skip.to_string(), "skip");
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum StartFailurePolicy {
    /// Answer that request 500 (with its request id), without running the
    /// handler: a plugin that guards requests (authentication, rate
    /// limiting) never lets one through by failing. The default.
    #[default]
    Fail,
    /// Skip the failing callback: the callbacks after it still run (a
    /// [`Rejection`] from one of them still stops the request) and then the
    /// handler. The failure is logged as a warning naming the plugin and
    /// counted in `plinth_request_start_skipped_total`. For plugins whose
    /// `request:start` only observes.
    Skip,
}

impl std::fmt::Display for StartFailurePolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StartFailurePolicy::Fail => "fail",
            StartFailurePolicy::Skip => "skip",
        })
    }
}

impl std::str::FromStr for StartFailurePolicy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "fail" => Ok(StartFailurePolicy::Fail),
            "skip" => Ok(StartFailurePolicy::Skip),
            other => Err(format!("expected \"fail\" or \"skip\", found {other:?}")),
        }
    }
}

#[derive(Clone)]
struct Shared {
    start: Arc<Bail<RequestStart, Rejection>>,
    complete: Arc<Completions>,
    /// Paths whose requests skip the hooks.
    bypass: Arc<[String]>,
    timeout: Option<Duration>,
    on_start_failure: StartFailurePolicy,
    metrics: Option<Arc<Metrics>>,
}

/// Runs `request:start` ([`REQUEST_START`]) before each request and
/// `request:complete` ([`REQUEST_COMPLETE`]) after it.
///
/// - A [`Rejection`] from `request:start` is sent instead of running the
///   inner service, with `Retry-After` when it says when to retry.
/// - A failing or panicking `request:start` callback answers 500 for that
///   request only, or with [`StartFailurePolicy::Skip`] is skipped and the
///   request goes on ([`on_start_failure`](Self::on_start_failure)); the
///   failure is logged with the plugin that caused it (and a plugin
///   manager sharing the registry marks that plugin failed).
/// - `request:complete` runs once the response is ready, never delaying
///   it: the events go to a queue that one task per layer drains, in the
///   order the responses were ready (a call waiting on an async callback
///   is driven on beside the queue, holding nothing back);
///   [`tracker`](Self::tracker) lets a server wait for every queued event
///   before shutting its plugins down.
/// - The request id is the client's `x-request-id` when short and
///   printable, else generated; it is in the request's extensions
///   ([`RequestId`]) and in the response's `x-request-id`.
/// - With a [`timeout`](Self::timeout), a request that takes longer (hooks
///   included) is answered 408, and still reaches `request:complete`.
///
/// Needs a tokio runtime (for the background tasks).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use axum::{routing::get, Router};
/// use plinth_hooks::{PluginUrn, Registry};
/// use plinth_server::{Rejection, RequestHooksLayer, REQUEST_START};
/// use tower::ServiceExt;
///
/// let hooks = Registry::new();
/// hooks.hook(&REQUEST_START)?.tap(PluginUrn::new("gate")?, |r| {
///     (r.path == "/closed").then(|| Rejection::too_many_requests(Duration::from_secs(2)))
/// });
/// let app = Router::new()
///     .route("/closed", get(|| async { "never" }))
///     .layer(RequestHooksLayer::new(&hooks)?);
/// let request = axum::http::Request::get("/closed").body(axum::body::Body::empty())?;
/// let response = app.oneshot(request).await?;
/// assert_eq!(response.status(), 429);
/// assert_eq!(response.headers()["retry-after"], "2");
/// assert!(response.headers().contains_key("x-request-id"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RequestHooksLayer {
    shared: Arc<Shared>,
}

impl RequestHooksLayer {
    /// A layer calling the request hooks of `hooks`.
    ///
    /// # Errors
    /// [`RegistryError::TypeMismatch`] when `request:start` or
    /// `request:complete` is bound to another type in `hooks`.
    ///
    /// ```
    /// let layer = plinth_server::RequestHooksLayer::new(&plinth_hooks::Registry::new())?;
    /// # Ok::<(), plinth_hooks::RegistryError>(())
    /// ```
    pub fn new(hooks: &Registry) -> Result<Self, RegistryError> {
        Ok(RequestHooksLayer {
            shared: Arc::new(Shared {
                start: hooks.hook(&REQUEST_START)?,
                complete: Arc::new(Completions::new(hooks.hook(&REQUEST_COMPLETE)?)),
                bypass: Arc::from([]),
                timeout: None,
                on_start_failure: StartFailurePolicy::default(),
                metrics: None,
            }),
        })
    }

    fn with(self, change: impl FnOnce(&mut Shared)) -> Self {
        let mut shared = (*self.shared).clone();
        change(&mut shared);
        RequestHooksLayer {
            shared: Arc::new(shared),
        }
    }

    /// Requests to exactly these paths skip the hooks (and the timeout):
    /// for a server's own health and readiness probes, which a rate
    /// limiter must not refuse nor an audit log record. A
    /// [`Server`](crate::Server) passes `/healthz` and `/readyz`.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use std::time::Duration;
    /// use axum::{routing::get, Router};
    /// use plinth_hooks::{PluginUrn, Registry};
    /// use plinth_server::{Rejection, RequestHooksLayer, REQUEST_START};
    /// use tower::ServiceExt;
    ///
    /// let hooks = Registry::new();
    /// hooks.hook(&REQUEST_START)?.tap(PluginUrn::new("limiter")?, |_| {
    ///     Some(Rejection::too_many_requests(Duration::from_secs(60)))
    /// });
    /// let app = Router::new()
    ///     .route("/healthz", get(|| async { "ok" }))
    ///     .route("/work", get(|| async { "done" }))
    ///     .layer(RequestHooksLayer::new(&hooks)?.bypass(["/healthz"]));
    /// let get = |path: &str| axum::http::Request::get(path).body(axum::body::Body::empty());
    /// assert_eq!(app.clone().oneshot(get("/healthz")?).await?.status(), 200);
    /// assert_eq!(app.oneshot(get("/work")?).await?.status(), 429);
    /// # Ok(()) }
    /// ```
    pub fn bypass<P: Into<String>>(self, paths: impl IntoIterator<Item = P>) -> Self {
        let paths: Vec<String> = paths.into_iter().map(Into::into).collect();
        self.with(|s| s.bypass = Arc::from(paths))
    }

    /// Bounds each request, `request:start` included, to `timeout`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// let layer = plinth_server::RequestHooksLayer::new(&plinth_hooks::Registry::new())?
    ///     .timeout(Duration::from_secs(30));
    /// # Ok::<(), plinth_hooks::RegistryError>(())
    /// ```
    pub fn timeout(self, timeout: Duration) -> Self {
        self.with(|s| s.timeout = Some(timeout))
    }

    /// What a failing `request:start` callback does to its request: 500
    /// ([`StartFailurePolicy::Fail`], the default), or nothing
    /// ([`StartFailurePolicy::Skip`]: the request goes on without it).
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use axum::{routing::get, Router};
    /// use plinth_hooks::{PluginUrn, Registry};
    /// use plinth_server::{RequestHooksLayer, StartFailurePolicy, REQUEST_START};
    /// use tower::ServiceExt;
    ///
    /// let hooks = Registry::new();
    /// hooks.hook(&REQUEST_START)?.try_tap(PluginUrn::new("broken")?, |_| Err("no database".into()));
    /// let app = Router::new().route("/", get(|| async { "home" }));
    /// let request = || axum::http::Request::get("/").body(axum::body::Body::empty());
    ///
    /// let failing = app.clone().layer(RequestHooksLayer::new(&hooks)?);
    /// assert_eq!(failing.oneshot(request()?).await?.status(), 500);
    ///
    /// let skipping = app.layer(RequestHooksLayer::new(&hooks)?.on_start_failure(StartFailurePolicy::Skip));
    /// assert_eq!(skipping.oneshot(request()?).await?.status(), 200);
    /// # Ok(()) }
    /// ```
    pub fn on_start_failure(self, policy: StartFailurePolicy) -> Self {
        self.with(|s| s.on_start_failure = policy)
    }

    /// Counts the `request:start` failures skipped under
    /// [`StartFailurePolicy::Skip`] in `metrics`
    /// (`plinth_request_start_skipped_total`, per plugin). A [`Server`](crate::Server)
    /// does this with its own metrics.
    ///
    /// ```
    /// let manager = plinth_runtime::Manager::new();
    /// let metrics = plinth_server::Metrics::install(&manager)?;
    /// let layer = plinth_server::RequestHooksLayer::new(manager.hooks())?.metrics(metrics);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn metrics(self, metrics: Arc<Metrics>) -> Self {
        self.with(|s| s.metrics = Some(metrics))
    }

    /// The policy for failing `request:start` callbacks.
    ///
    /// ```
    /// let layer = plinth_server::RequestHooksLayer::new(&plinth_hooks::Registry::new())?;
    /// assert_eq!(layer.start_failure_policy(), plinth_server::StartFailurePolicy::Fail);
    /// # Ok::<(), plinth_hooks::RegistryError>(())
    /// ```
    pub fn start_failure_policy(&self) -> StartFailurePolicy {
        self.shared.on_start_failure
    }

    /// The `request:complete` events not yet done: close and wait on it
    /// before stopping the plugins that listen.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), plinth_hooks::RegistryError> {
    /// let layer = plinth_server::RequestHooksLayer::new(&plinth_hooks::Registry::new())?;
    /// layer.tracker().close();
    /// layer.tracker().wait().await; // nothing in flight
    /// # Ok(()) }
    /// ```
    pub fn tracker(&self) -> &TaskTracker {
        self.shared.complete.tracker()
    }
}

impl<S> Layer<S> for RequestHooksLayer {
    type Service = RequestHooks<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequestHooks {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The service [`RequestHooksLayer`] wraps around another.
///
/// ```
/// use axum::Router;
/// use plinth_server::{RequestHooks, RequestHooksLayer};
/// use tower::Layer;
/// let layer = RequestHooksLayer::new(&plinth_hooks::Registry::new())?;
/// let service: RequestHooks<Router> = layer.layer(Router::new());
/// # Ok::<(), plinth_hooks::RegistryError>(())
/// ```
#[derive(Clone)]
pub struct RequestHooks<S> {
    inner: S,
    shared: Arc<Shared>,
}

type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

impl<S, B, ResBody> Service<Request<B>> for RequestHooks<S>
where
    S: Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    B: Send + 'static,
    ResBody: HttpBody<Data = Bytes> + Send + 'static,
    ResBody::Error: Into<BoxError>,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Response<Body>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        // The clone is the one polled ready; the other stays for the next call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        if self.shared.bypass.iter().any(|p| p == request.uri().path()) {
            let answer = inner.call(request);
            return Box::pin(async move { answer.await.map(|r| r.map(Body::new)) });
        }
        let shared = self.shared.clone();
        let arrived = Instant::now();

        // A client's acceptable id is echoed with its own header value.
        let (id, header_value) = match request.headers().get(REQUEST_ID_HEADER) {
            Some(value) if acceptable_request_id(value.as_bytes()) => (
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
                Some(value.clone()),
            ),
            _ => (generate_request_id(), None),
        };
        request.extensions_mut().insert(RequestId(id.clone()));
        let identity = request.extensions().get::<ClientIdentity>();
        // One set of strings serves both hooks: `request:start` gets them
        // shared, and `request:complete` takes them back when no callback
        // kept them.
        let start = Arc::new(RequestStart {
            request_id: id,
            method: request.method().as_str().to_owned(),
            path: request.uri().path().to_owned(),
            ip: request
                .extensions()
                .get::<ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0.ip()),
            user_id: identity.and_then(|i| i.user_id.clone()),
            key: identity.and_then(|i| i.key.clone()),
        });

        Box::pin(async move {
            let work = async {
                if !shared.start.is_empty() {
                    let id = &start.request_id;
                    let verdict = match shared.on_start_failure {
                        StartFailurePolicy::Fail => shared.start.call_async(start.clone()).await,
                        StartFailurePolicy::Skip => {
                            let skip = |e: plinth_hooks::CallbackError| {
                                tracing::warn!(
                                    request_id = %id, plugin = %e.owner, hook = %e.hook,
                                    "request:start callback {}; skipped, the request goes on",
                                    e.fault
                                );
                                if let Some(metrics) = &shared.metrics {
                                    metrics.start_skipped(e.owner.as_str());
                                }
                            };
                            shared.start.call_async_skipping(start.clone(), skip).await
                        }
                    };
                    match verdict {
                        Ok(None) => {}
                        Ok(Some(rejection)) => return Ok(rejected(&rejection)),
                        Err(e) => {
                            tracing::error!(
                                request_id = %id, plugin = %e.owner, hook = %e.hook,
                                "request:start callback {}", e.fault
                            );
                            return Ok(internal_error(id));
                        }
                    }
                }
                inner.call(request).await.map(|r| r.map(Body::new))
            };
            let mut response = match shared.timeout {
                // From the arrival already read: no second clock read.
                Some(limit) => {
                    match tokio::time::timeout_at((arrived + limit).into(), work).await {
                        Ok(result) => result?,
                        Err(_) => ApiError::new(StatusCode::REQUEST_TIMEOUT, "request timed out")
                            .into_response(),
                    }
                }
                None => work.await?,
            };
            let header_value =
                header_value.or_else(|| HeaderValue::from_str(&start.request_id).ok());
            if let Some(value) = header_value {
                response.headers_mut().insert(REQUEST_ID_HEADER, value);
            }
            if !shared.complete.is_empty() {
                let start = Arc::try_unwrap(start).unwrap_or_else(|kept| (*kept).clone());
                let done = RequestComplete {
                    request_id: start.request_id,
                    method: start.method,
                    path: start.path,
                    status: response.status().as_u16(),
                    duration_ms: u64::try_from(arrived.elapsed().as_millis()).unwrap_or(u64::MAX),
                };
                shared.complete.push(done).await;
            }
            Ok(response)
        })
    }
}

fn rejected(rejection: &Rejection) -> Response<Body> {
    let status = StatusCode::from_u16(rejection.status)
        .ok()
        .filter(|s| s.is_client_error() || s.is_server_error())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = ApiError::new(status, rejection.message.clone()).into_response();
    if let Some(secs) = rejection.retry_after_secs() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

fn internal_error(id: &str) -> Response<Body> {
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
        .with("requestId", id)
        .into_response()
}
