//! The application over HTTP: its own routes (the tutorial's user action,
//! and a login), its plugins under a manager, and the server that adds the
//! request hooks, the admin API and metrics around them.

use std::path::Path as FsPath;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use plinth::hooks::{Action, Filter, Registry, RegistryError};
use plinth::runtime::{Manager, ManagerError};
use plinth::server::{ApiError, ApiJson};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::hooks::{Login, USER_ACTION, USER_LOGIN, UserAction};
use crate::plugins::welcome_email::Outbox;
use crate::plugins::{AuditLogger, RateLimiter, UserActivity, WelcomeEmail};

/// The body of `POST /api/users/{id}/action`, as the tutorial's clients
/// send it.
#[derive(Deserialize)]
struct ActionBody {
    action: String,
    #[serde(default)]
    payload: Value,
}

/// The application's routes, calling its hooks in `hooks`:
///
/// - `POST /api/users/{id}/action` with `{action, payload}` runs the
///   `user:action` filter and answers `{processed: true, data}`, `data`
///   being the filtered `{userId, action, payload}` (the tutorial's shape);
/// - `POST /api/users/{id}/login` calls `user:login` and answers
///   `{loggedIn: true}`.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use tower::ServiceExt;
/// let hooks = plinth::hooks::Registry::new();
/// let request = axum::http::Request::post("/api/users/ada/action")
///     .header("content-type", "application/json")
///     .body(axum::body::Body::from(r#"{"action":"edit","payload":{"page":7}}"#))?;
/// let response = plinth_example_app::web::routes(&hooks)?.oneshot(request).await?;
/// let body = axum::body::to_bytes(response.into_body(), 1 << 16).await?;
/// let body: serde_json::Value = serde_json::from_slice(&body)?;
/// assert_eq!(body, serde_json::json!({
///     "processed": true,
///     "data": { "userId": "ada", "action": "edit", "payload": { "page": 7 } }
/// }));
/// # Ok(()) }
/// ```
///
/// # Errors
/// When `user:action` or `user:login` is bound to another type in `hooks`.
pub fn routes(hooks: &Registry) -> Result<Router, RegistryError> {
    // The hooks are looked up once: taps made later (plugins started,
    // enabled, reloaded) land on these same hooks.
    let state = AppHooks {
        action: hooks.hook(&USER_ACTION)?,
        login: hooks.hook(&USER_LOGIN)?,
    };
    Ok(Router::new()
        .route("/api/users/{id}/action", post(user_action))
        .route("/api/users/{id}/login", post(login))
        .with_state(state))
}

/// The hooks the routes call.
#[derive(Clone)]
struct AppHooks {
    action: Arc<Filter<UserAction>>,
    login: Arc<Action<Login>>,
}

/// The answer to a user action: serialized straight from the filtered
/// action, without building a JSON tree first.
#[derive(Serialize)]
struct Processed {
    processed: bool,
    data: UserAction,
}

fn hook_failed(e: impl std::fmt::Display) -> ApiError {
    tracing::error!("{e}");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error")
}

async fn user_action(
    State(hooks): State<AppHooks>,
    Path(user_id): Path<String>,
    ApiJson(body): ApiJson<ActionBody>,
) -> Result<Json<Processed>, ApiError> {
    let action = UserAction {
        user_id,
        action: body.action,
        payload: body.payload,
    };
    // The tutorial's `processUserAction`: the filtered action is the answer.
    let data = hooks.action.call_async(action).await.map_err(hook_failed)?;
    Ok(Json(Processed {
        processed: true,
        data,
    }))
}

async fn login(
    State(hooks): State<AppHooks>,
    Path(user_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    hooks
        .login
        .call_async(Login { user_id })
        .await
        .map_err(hook_failed)?;
    Ok(Json(json!({ "loggedIn": true })))
}

/// The folder of plugin folders shipped with the example (`plugins`
/// beside its `Cargo.toml`), where the app looks when told of no other.
///
/// ```
/// let dir = plinth_example_app::web::default_plugin_dir();
/// assert!(dir.join("theme-dark/plinth.toml").is_file());
/// ```
pub fn default_plugin_dir() -> std::path::PathBuf {
    FsPath::new(env!("CARGO_MANIFEST_DIR")).join("plugins")
}

/// The application's manager: the four plugins registered (not started),
/// the mail service provided, `config` as the application configuration
/// with the audit log at `audit_log` unless the configuration names one.
///
/// # Errors
/// When a plugin cannot be registered.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let manager = plinth_example_app::web::manager(serde_json::json!({}), &dir.path().join("audit.log"))?;
/// assert_eq!(manager.start_order(), ["audit-logger", "rate-limiter", "user-activity", "welcome-email"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn manager(mut config: Value, audit_log: &FsPath) -> Result<Manager, ManagerError> {
    if !config.is_object() {
        config = json!({});
    }
    let audit = &mut config["plugins"]["audit-logger"];
    if !audit.is_object() {
        *audit = json!({});
    }
    if audit.get("path").is_none() {
        audit["path"] = json!(audit_log);
    }
    let mut manager = Manager::new().with_config(config);
    manager.services().insert(Outbox::default());
    manager.register(AuditLogger::default())?;
    manager.register(RateLimiter::default())?;
    manager.register(UserActivity)?;
    manager.register(WelcomeEmail::default())?;
    Ok(manager)
}
