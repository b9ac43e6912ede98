//! The admin API: the plugins, toggling them, their configuration, the
//! dependency graph. Every operation on the manager runs on its own task,
//! under the manager's mutex: a client that disconnects or times out never
//! cuts an operation short, and operations never interleave.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use plinth_core::check_plugin_name;
use plinth_runtime::{ConfigError, Manager, ManagerError, PluginState, resolve_config};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::sync::Mutex;

use crate::graph::{self, Edge, Node};
use crate::{ApiError, ApiJson, Metrics, PluginFolders, StateEvents};

#[derive(Clone)]
pub(crate) struct AdminState {
    pub(crate) manager: Arc<Mutex<Manager>>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) events: Arc<StateEvents>,
    pub(crate) folders: Arc<PluginFolders>,
    /// The server's phase: an operation that gets the manager once the
    /// server is stopping is refused, so that nothing starts after (or
    /// races) the manager's shutdown.
    pub(crate) phase: Arc<std::sync::atomic::AtomicU8>,
}

impl AdminState {
    /// The manager, once the operations before have finished; `None` once
    /// the server is stopping.
    async fn manager_unless_stopping(&self) -> Option<tokio::sync::OwnedMutexGuard<Manager>> {
        let manager = self.manager.clone().lock_owned().await;
        let stopping =
            self.phase.load(std::sync::atomic::Ordering::Acquire) == crate::server::STOPPING;
        (!stopping).then_some(manager)
    }
}

fn stopping_error() -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping")
}

impl axum::extract::FromRef<AdminState> for Arc<StateEvents> {
    fn from_ref(state: &AdminState) -> Self {
        state.events.clone()
    }
}

/// The admin routes, under `/api/admin`, without their gate.
pub(crate) fn routes(state: AdminState) -> Router {
    Router::new()
        .route("/api/admin/plugins", get(list))
        .route("/api/admin/plugins/{name}/toggle", post(toggle))
        .route("/api/admin/plugins/{name}/enable", post(enable))
        .route("/api/admin/plugins/{name}/disable", post(disable))
        .route(
            "/api/admin/plugins/{name}/config",
            get(get_config).put(put_config),
        )
        .route("/api/admin/reload", post(reload))
        .route("/api/admin/graph", get(graph))
        .route("/api/admin/graph.svg", get(graph_svg))
        .route("/api/admin/events", get(crate::events::stream))
        .with_state(state)
}

type ApiResult = Result<Json<Value>, ApiError>;

type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// A plugin name from a path: the one rule for plugin names, so that
/// nothing else reaches the manager or the logs.
fn valid_name(name: &str) -> Result<(), ApiError> {
    check_plugin_name(name)
        .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.to_string()).with("plugin", name))
}

fn unknown(name: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, format!("no plugin named \"{name}\"")).with("plugin", name)
}

/// Runs `operation` on the manager on a task of its own, so that it
/// completes even when the request's future is dropped.
async fn on_manager<T, F>(state: &AdminState, operation: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: for<'m> FnOnce(&'m mut Manager) -> BoxFuture<'m, T> + Send + 'static,
{
    let admin = state.clone();
    tokio::spawn(async move {
        let mut manager = admin.manager_unless_stopping().await?;
        Some(operation(&mut manager).await)
    })
    .await
    .map_err(|e| {
        tracing::error!("admin operation did not complete: {e}");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the operation did not complete",
        )
    })?
    .ok_or_else(stopping_error)
}

async fn list(State(state): State<AdminState>) -> ApiResult {
    let manager = state.manager.lock().await;
    Ok(Json(Value::Array(plugin_rows(&manager, &state.metrics))))
}

/// Every plugin as the list route answers it (the dashboard renders the
/// same rows).
pub(crate) fn plugin_rows(manager: &Manager, metrics: &Metrics) -> Vec<Value> {
    manager
        .list()
        .into_iter()
        .map(|info| {
            let meta = manager.metadata(&info.name);
            let dependencies: Map<String, Value> = info
                .dependencies
                .iter()
                .map(|d| (d.name.clone(), Value::String(d.range.to_string())))
                .collect();
            let optional: Vec<&str> = info
                .dependencies
                .iter()
                .filter(|d| d.optional)
                .map(|d| d.name.as_str())
                .collect();
            let totals = metrics.totals(&info.name);
            let by_hook: Vec<Value> = metrics
                .hooks(&info.name)
                .into_iter()
                .map(|h| {
                    json!({
                        "hook": h.hook,
                        "kind": h.kind,
                        "calls": h.totals.calls,
                        "failures": h.totals.failures,
                        "p50Micros": micros(h.totals.p50),
                        "p99Micros": micros(h.totals.p99),
                    })
                })
                .collect();
            json!({
                "name": info.name,
                "version": info.version.to_string(),
                "description": info.description,
                "author": meta.and_then(|m| m.author()),
                "dependencies": dependencies,
                "optionalDependencies": optional,
                "enabled": info.state == PluginState::Active,
                "state": info.state.to_string(),
                "reason": info.reason.map(|r| r.to_string()),
                "notices": info.notices,
                "dependents": info.dependents,
                "hooks": {
                    "calls": totals.calls,
                    "failures": totals.failures,
                    "skipped": totals.skipped,
                    "p50Micros": micros(totals.p50),
                    "p99Micros": micros(totals.p99),
                    "byHook": by_hook,
                },
            })
        })
        .collect()
}

/// A duration in microseconds, to the nanosecond; `null` for none.
fn micros(d: Option<std::time::Duration>) -> Value {
    d.map_or(Value::Null, |d| {
        json!(d.as_nanos().min(u128::from(u64::MAX)) as f64 / 1000.0)
    })
}

#[derive(Deserialize)]
struct Toggle {
    enabled: bool,
}

async fn toggle(
    State(state): State<AdminState>,
    Path(name): Path<String>,
    body: Result<ApiJson<Toggle>, ApiError>,
) -> ApiResult {
    valid_name(&name)?;
    let ApiJson(Toggle { enabled }) = body?;
    switch(&state, name, enabled).await
}

async fn enable(State(state): State<AdminState>, Path(name): Path<String>) -> ApiResult {
    valid_name(&name)?;
    switch(&state, name, true).await
}

async fn disable(State(state): State<AdminState>, Path(name): Path<String>) -> ApiResult {
    valid_name(&name)?;
    switch(&state, name, false).await
}

async fn switch(state: &AdminState, name: String, enabled: bool) -> ApiResult {
    let plugin = name.clone();
    let result = on_manager(state, move |manager| {
        Box::pin(async move {
            if enabled {
                manager.enable(&name).await
            } else {
                manager.disable(&name).await
            }
        })
    })
    .await?;
    let field = if enabled { "started" } else { "stopped" };
    match result {
        Ok(changed) => Ok(Json(json!({ "success": true, field: changed }))),
        Err(e) => Err(manager_error(&plugin, e)),
    }
}

fn manager_error(plugin: &str, error: ManagerError) -> ApiError {
    match error {
        ManagerError::Unknown { .. } => unknown(plugin),
        ManagerError::NotStarted { reason, .. } => ApiError::new(
            StatusCode::CONFLICT,
            format!("plugin \"{plugin}\" could not start"),
        )
        .with("plugin", plugin)
        .with("reason", reason.to_string()),
        ManagerError::StoppedWithFailures {
            stopped, failed, ..
        } => ApiError::new(
            StatusCode::CONFLICT,
            format!("plugin \"{plugin}\" stopped, but some plugins failed to stop cleanly"),
        )
        .with("plugin", plugin)
        .with("stopped", stopped)
        .with(
            "failed",
            failed
                .into_iter()
                .map(|(p, r)| json!({ "plugin": p, "reason": r.to_string() }))
                .collect::<Vec<_>>(),
        ),
        ManagerError::IllegalTransition { .. } => {
            ApiError::new(StatusCode::CONFLICT, error.to_string()).with("plugin", plugin)
        }
        other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, other.to_string())
            .with("plugin", plugin),
    }
}

async fn get_config(State(state): State<AdminState>, Path(name): Path<String>) -> ApiResult {
    valid_name(&name)?;
    let manager = state.manager.lock().await;
    let meta = manager.metadata(&name).ok_or_else(|| unknown(&name))?;
    let schema = meta.config_schema().cloned();
    let section = manager
        .config()
        .get("plugins")
        .and_then(|p| p.get(&name))
        .cloned()
        .unwrap_or_else(|| json!({}));
    let (resolved, violations) = match resolve_config(manager.config(), &name, schema.as_ref()) {
        Ok(resolved) => (resolved, Vec::new()),
        Err(e) => (Value::Null, violations(&e)),
    };
    Ok(Json(json!({
        "plugin": name,
        "config": section,
        "resolved": resolved,
        "violations": violations,
        "schema": schema,
    })))
}

/// Every violation of a configuration error, each with its JSON Pointer
/// into the application configuration.
fn violations(error: &ConfigError) -> Vec<Value> {
    match error {
        ConfigError::Invalid { violations, .. } => violations
            .iter()
            .map(|v| json!({ "pointer": v.path, "message": v.message }))
            .collect(),
        ConfigError::Malformed { path, .. }
        | ConfigError::TooDeep { path, .. }
        | ConfigError::Type { path, .. } => {
            vec![json!({ "pointer": path, "message": error.to_string() })]
        }
        other => vec![json!({ "pointer": "", "message": other.to_string() })],
    }
}

async fn put_config(
    State(state): State<AdminState>,
    Path(name): Path<String>,
    body: Result<ApiJson<Value>, ApiError>,
) -> ApiResult {
    valid_name(&name)?;
    let ApiJson(section) = body?;
    on_manager(&state, move |manager| {
        Box::pin(async move { replace_config(manager, name, section).await })
    })
    .await?
}

/// Validates the new section against the plugin's schema and stores it only
/// if valid; an active plugin is restarted with it, and so are the
/// dependents its restart stopped.
async fn replace_config(manager: &mut Manager, name: String, section: Value) -> ApiResult {
    let meta = manager.metadata(&name).ok_or_else(|| unknown(&name))?;
    let schema = meta.config_schema().cloned();
    let mut next = manager.config().clone();
    let malformed = || {
        ApiError::new(
            StatusCode::CONFLICT,
            "the application configuration is not an object with a \"plugins\" object",
        )
    };
    let plugins = next
        .as_object_mut()
        .ok_or_else(malformed)?
        .entry("plugins")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(malformed)?;
    plugins.insert(name.clone(), section);
    let resolved = match resolve_config(&next, &name, schema.as_ref()) {
        Ok(resolved) => resolved,
        Err(ConfigError::InvalidSchema { message, .. }) => {
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("plugin \"{name}\" has an invalid configuration schema: {message}"),
            ));
        }
        Err(e) => {
            return Err(
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string())
                    .with("plugin", name)
                    .with("violations", violations(&e)),
            );
        }
    };
    manager.set_config(next);
    let mut restarted = Vec::new();
    // Every plugin that did not stop cleanly or start again, with why: the
    // configuration is saved, so each plugin stopped is tried, not only
    // those before the first failure.
    let mut failed = Vec::new();
    if manager.state(&name) == Some(PluginState::Active) {
        let stopped = match manager.disable(&name).await {
            Ok(stopped) => stopped,
            Err(ManagerError::StoppedWithFailures {
                stopped,
                failed: unclean,
                ..
            }) => {
                failed.extend(
                    unclean
                        .into_iter()
                        .map(|(p, r)| json!({ "plugin": p, "reason": r.to_string() })),
                );
                stopped
            }
            Err(e) => return Err(manager_error(&name, e)),
        };
        // Dependents were stopped first: start in the reverse order. One
        // whose required dependency did not start is not tried: its
        // `enable` would only try that dependency again.
        let mut not_started: Vec<String> = Vec::new();
        for plugin in stopped.iter().rev() {
            let needs = manager.metadata(plugin).and_then(|meta| {
                meta.dependencies()
                    .iter()
                    .filter(|d| !d.optional)
                    .find(|d| not_started.contains(&d.name))
                    .map(|d| d.name.clone())
            });
            let outcome = match needs {
                Some(dependency) => Err(format!(
                    "its dependency \"{dependency}\" did not start again"
                )),
                None => manager.enable(plugin).await.map_err(|e| e.to_string()),
            };
            match outcome {
                Ok(_) => restarted.push(plugin.clone()),
                Err(reason) => {
                    not_started.push(plugin.clone());
                    failed.push(json!({ "plugin": plugin, "reason": reason }));
                }
            }
        }
    }
    if !failed.is_empty() {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            format!("the configuration of \"{name}\" is saved, but not every plugin it stopped started again"),
        )
        .with("plugin", name)
        .with("config", resolved)
        .with("restarted", restarted)
        .with("failed", failed));
    }
    Ok(Json(json!({
        "success": true,
        "config": resolved,
        "restarted": restarted,
    })))
}

/// Scans the plugin folders again (off the async threads, before taking
/// the manager), then, under the lock, replaces what changed and
/// registers and starts what is new.
///
/// One task from the scan to the last replacement, holding the folders'
/// turn throughout: two reloads never interleave, so a scan is never
/// applied after a newer one (which would put an older version back), and
/// the reload completes even when the request's future is dropped.
async fn reload(State(state): State<AdminState>) -> ApiResult {
    let (folders, admin) = (state.folders.clone(), state.clone());
    let reloading = tokio::spawn(async move {
        let _turn = folders.turn.clone().lock_owned().await;
        let scanning = folders.clone();
        let scan = tokio::task::spawn_blocking(move || scanning.scan()).await?;
        let Some(mut manager) = admin.manager_unless_stopping().await else {
            return Ok(None);
        };
        Ok::<_, tokio::task::JoinError>(Some(folders.reload(&mut manager, &scan).await))
    });
    let report = match reloading.await {
        Ok(Ok(Some(report))) => report,
        Ok(Ok(None)) => return Err(stopping_error()),
        Ok(Err(e)) | Err(e) => {
            tracing::error!("reloading the plugin folders: {e}");
            return Err(ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "reloading the plugin folders did not complete",
            ));
        }
    };
    for error in &report.errors {
        tracing::warn!("plugin folders: {error}");
    }
    let dirs: Vec<String> = state
        .folders
        .dirs()
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    Ok(Json(json!({
        "success": true,
        "dirs": dirs,
        "added": report.added,
        "updated": report.updated,
        "failed": report.failed,
        "unchanged": report.unchanged,
        "errors": report.errors,
    })))
}

async fn graph(State(state): State<AdminState>) -> ApiResult {
    let manager = state.manager.lock().await;
    let list = manager.list();
    let nodes: Vec<Value> = list
        .iter()
        .map(|p| {
            json!({
                "id": p.name,
                "version": p.version.to_string(),
                "state": p.state.to_string(),
            })
        })
        .collect();
    let edges: Vec<Value> = list
        .iter()
        .flat_map(|p| {
            p.dependencies.iter().map(|d| {
                json!({
                    "from": p.name,
                    "to": d.name,
                    "range": d.range.to_string(),
                    "optional": d.optional,
                    "missing": manager.state(&d.name).is_none(),
                })
            })
        })
        .collect();
    Ok(Json(json!({ "nodes": nodes, "edges": edges })))
}

async fn graph_svg(State(state): State<AdminState>) -> Response {
    let (nodes, edges) = {
        let manager = state.manager.lock().await;
        let list = manager.list();
        let nodes: Vec<Node> = list
            .iter()
            .map(|p| Node {
                name: p.name.clone(),
                version: p.version.to_string(),
                state: p.state.to_string(),
            })
            .collect();
        let edges: Vec<Edge> = list
            .iter()
            .flat_map(|p| {
                p.dependencies.iter().map(|d| Edge {
                    from: p.name.clone(),
                    to: d.name.clone(),
                    optional: d.optional,
                })
            })
            .collect();
        (nodes, edges)
    };
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml; charset=utf-8"),
            // The picture changes with every state change.
            (header::CACHE_CONTROL, "no-store"),
        ],
        graph::render(&nodes, &edges),
    )
        .into_response()
}
