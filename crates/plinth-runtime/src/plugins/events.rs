//! The application hooks and bus topics the example plugins use, with
//! their payloads.

use plinth_hooks::{Action, Filter, Key, Topic};
use serde::Serialize;
use serde_json::Value;

/// A user did something worth auditing.
///
/// ```
/// use plinth_runtime::plugins::events::UserAction;
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
/// use plinth_runtime::plugins::events::RequestComplete;
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

/// A request starting, as filtered by `request:start` (the rate limiter
/// marks it).
///
/// ```
/// use plinth_runtime::plugins::events::Request;
/// let r = Request::from_ip("127.0.0.1");
/// assert!(!r.rate_limited);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// Client address.
    pub ip: Option<String>,
    /// Authenticated user.
    pub user_id: Option<String>,
    /// An application-chosen key (for the `custom` key generator).
    pub key: Option<String>,
    /// Set when the request is over its limit.
    pub rate_limited: bool,
}

impl Request {
    /// A request from an address.
    ///
    /// ```
    /// # use plinth_runtime::plugins::events::Request;
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
/// use plinth_runtime::plugins::events::Login;
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
/// use plinth_runtime::plugins::events::LoggedIn;
/// let m = LoggedIn { user_id: "ada".into(), source: "user-activity".into() };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedIn {
    /// Who.
    pub user_id: String,
    /// The publishing plugin.
    pub source: String,
}

/// `user:action`: every user action (audited).
///
/// ```
/// use plinth_runtime::plugins::events::USER_ACTION;
/// assert_eq!(USER_ACTION.name(), "user:action");
/// ```
pub const USER_ACTION: Key<Action<UserAction>> = Key::new("user:action");

/// `request:complete`: every finished request (audited).
///
/// ```
/// use plinth_runtime::plugins::events::REQUEST_COMPLETE;
/// assert_eq!(REQUEST_COMPLETE.name(), "request:complete");
/// ```
pub const REQUEST_COMPLETE: Key<Action<RequestComplete>> = Key::new("request:complete");

/// `request:start`: a waterfall over the starting request.
///
/// ```
/// use plinth_hooks::{PluginUrn, Registry};
/// use plinth_runtime::plugins::events::{Request, REQUEST_START};
/// let hooks = Registry::new();
/// hooks.hook(&REQUEST_START)?.tap(PluginUrn::new("limiter")?, |r| Request { rate_limited: true, ..r });
/// let request = hooks.hook(&REQUEST_START)?.call(Request::from_ip("10.0.0.1"))?;
/// assert!(request.rate_limited);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const REQUEST_START: Key<Filter<Request>> = Key::new("request:start");

/// `user:login`: the application reports a login.
///
/// ```
/// use plinth_runtime::plugins::events::USER_LOGIN;
/// assert_eq!(USER_LOGIN.name(), "user:login");
/// ```
pub const USER_LOGIN: Key<Action<Login>> = Key::new("user:login");

/// `user:logged-in`: the bus topic between user-activity and welcome-email.
///
/// ```
/// # use std::sync::{Arc, Mutex};
/// use plinth_hooks::{MessageBus, PluginUrn};
/// use plinth_runtime::plugins::events::{LoggedIn, USER_LOGGED_IN};
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
