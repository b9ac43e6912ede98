//! The hooks and bus topics the application declares, with their payloads
//! and kinds. The application owns these declarations; plugins tap them.
//! The kinds are the tutorial's: `user:action` is a filter (each plugin may
//! transform the action, the route answers with the result), `request:start`
//! a hook whose first answer stops the request (the rate limiter's 429),
//! `request:complete` and `user:login` are broadcasts.

use std::time::Duration;

use plinth::hooks::{Action, Bail, Filter, Key, Topic};
use serde::Serialize;
use serde_json::Value;

/// A user did something worth auditing.
///
/// ```
/// use plinth_example_app::hooks::UserAction;
/// let a = UserAction { user_id: "ada".into(), action: "delete".into(), payload: serde_json::json!({ "id": 7 }) };
/// assert_eq!(a.action, "delete");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserAction {
    /// Who.
    pub user_id: String,
    /// What (`login`, `delete`, ...).
    pub action: String,
    /// Details.
    pub payload: Value,
}

/// A request finished.
///
/// ```
/// use plinth_example_app::hooks::RequestComplete;
/// let r = RequestComplete { request_id: "r1".into(), method: "GET".into(), path: "/".into(), status: 200, duration_ms: 3 };
/// assert_eq!(r.status, 200);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestComplete {
    /// Request id.
    pub request_id: String,
    /// HTTP method.
    pub method: String,
    /// Path.
    pub path: String,
    /// Status code.
    pub status: u16,
    /// Duration in milliseconds.
    pub duration_ms: u64,
}

/// A request starting, as `request:start` sees it.
///
/// ```
/// use plinth_example_app::hooks::Request;
/// let r = Request::from_ip("127.0.0.1");
/// assert_eq!(r.ip.as_deref(), Some("127.0.0.1"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// Client address.
    pub ip: Option<String>,
    /// Authenticated user.
    pub user_id: Option<String>,
    /// An application-chosen key (for the `custom` key generator).
    pub key: Option<String>,
}

impl Request {
    /// A request from an address.
    ///
    /// ```
    /// # use plinth_example_app::hooks::Request;
    /// assert_eq!(Request::from_ip("::1").ip.as_deref(), Some("::1"));
    /// ```
    pub fn from_ip(ip: &str) -> Self {
        Request {
            ip: Some(ip.to_string()),
            ..Request::default()
        }
    }
}

/// A user logged in (the hook the application calls).
///
/// ```
/// use plinth_example_app::hooks::Login;
/// let l = Login { user_id: "ada".into() };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    /// Who.
    pub user_id: String,
}

/// The bus message `user-activity` publishes for each login.
///
/// ```
/// use plinth_example_app::hooks::LoggedIn;
/// let m = LoggedIn { user_id: "ada".into(), source: "user-activity".into() };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedIn {
    /// Who.
    pub user_id: String,
    /// The publishing plugin.
    pub source: String,
}

/// Why `request:start` stopped a request: the response to send instead.
///
/// ```
/// use std::time::Duration;
/// use plinth_example_app::hooks::Rejection;
/// let r = Rejection::too_many_requests(Duration::from_secs(30));
/// assert_eq!((r.status, r.retry_after), (429, Some(Duration::from_secs(30))));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// The HTTP status to answer with.
    pub status: u16,
    /// When the client may try again (`Retry-After`).
    pub retry_after: Option<Duration>,
    /// A message for the client.
    pub message: String,
}

impl Rejection {
    /// 429 Too Many Requests, retry after `retry_after`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use plinth_example_app::hooks::Rejection;
    /// assert_eq!(Rejection::too_many_requests(Duration::ZERO).status, 429);
    /// ```
    pub fn too_many_requests(retry_after: Duration) -> Self {
        Rejection {
            status: 429,
            retry_after: Some(retry_after),
            message: "Too many requests".to_string(),
        }
    }
}

/// `user:action`: every user action, as a filter: each plugin may
/// transform it (the audit logger records it and passes it on), and the
/// route answers with the result.
///
/// ```
/// use plinth::hooks::{PluginUrn, Registry};
/// use plinth_example_app::hooks::{UserAction, USER_ACTION};
/// let hooks = Registry::new();
/// hooks.hook(&USER_ACTION)?.tap(PluginUrn::new("tagger")?, |mut a| {
///     a.payload["seen"] = true.into();
///     a
/// });
/// let a = UserAction { user_id: "ada".into(), action: "edit".into(), payload: serde_json::json!({}) };
/// assert_eq!(hooks.hook(&USER_ACTION)?.call(a)?.payload["seen"], true);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const USER_ACTION: Key<Filter<UserAction>> = Key::new("user:action");

/// `request:complete`: every finished request (audited).
///
/// ```
/// use plinth_example_app::hooks::REQUEST_COMPLETE;
/// assert_eq!(REQUEST_COMPLETE.name(), "request:complete");
/// ```
pub const REQUEST_COMPLETE: Key<Action<RequestComplete>> = Key::new("request:complete");

/// `request:start`: runs before the request's handler; the first plugin
/// that answers with a [`Rejection`] stops the request, and the server
/// sends the rejection instead (the rate limiter's verdict is *returned*,
/// not broadcast into the void).
///
/// ```
/// use std::time::Duration;
/// use plinth::hooks::{PluginUrn, Registry};
/// use plinth_example_app::hooks::{Rejection, Request, REQUEST_START};
/// let hooks = Registry::new();
/// hooks.hook(&REQUEST_START)?.tap(PluginUrn::new("limiter")?, |r: &Request| {
///     (r.ip.as_deref() == Some("10.0.0.1")).then(|| Rejection::too_many_requests(Duration::from_secs(1)))
/// });
/// let verdict = hooks.hook(&REQUEST_START)?.call(&Request::from_ip("10.0.0.1"))?;
/// assert_eq!(verdict.map(|r| r.status), Some(429));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const REQUEST_START: Key<Bail<Request, Rejection>> = Key::new("request:start");

/// `user:login`: the application reports a login.
///
/// ```
/// use plinth_example_app::hooks::USER_LOGIN;
/// assert_eq!(USER_LOGIN.name(), "user:login");
/// ```
pub const USER_LOGIN: Key<Action<Login>> = Key::new("user:login");

/// `user:logged-in`: the bus topic between user-activity and welcome-email.
///
/// ```
/// # use std::sync::{Arc, Mutex};
/// use plinth::hooks::{MessageBus, PluginUrn};
/// use plinth_example_app::hooks::{LoggedIn, USER_LOGGED_IN};
/// let (bus, got) = (MessageBus::new(), Arc::new(Mutex::new(None)));
/// let g = got.clone();
/// bus.subscribe(&USER_LOGGED_IN, PluginUrn::new("welcome-email")?, move |m| {
///     *g.lock().unwrap() = Some(m.user_id.clone());
///     Ok(())
/// })?;
/// bus.publish(&USER_LOGGED_IN, &LoggedIn { user_id: "ada".into(), source: "user-activity".into() })?;
/// assert_eq!(got.lock().unwrap().as_deref(), Some("ada"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const USER_LOGGED_IN: Topic<LoggedIn> = Topic::new("user:logged-in");
