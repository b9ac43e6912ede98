//! The hooks and bus topics the application declares, with their payloads
//! and kinds. The application owns these declarations; plugins tap them.
//! The kinds are the tutorial's: `user:action` is a filter (each plugin may
//! transform the action, the route answers with the result), `user:login` a
//! broadcast. The request hooks are the server's, shared by every plinth
//! server: `request:start`, whose first answer stops the request (the rate
//! limiter's 429), and `request:complete`, a broadcast.

use plinth::hooks::{Action, Filter, Key, Topic};
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use plinth::server::{
    REQUEST_COMPLETE, REQUEST_START, Rejection, RequestComplete, RequestStart,
};

/// A user did something worth auditing.
///
/// ```
/// use plinth_example_app::hooks::UserAction;
/// let a = UserAction { user_id: "ada".into(), action: "delete".into(), payload: serde_json::json!({ "id": 7 }) };
/// assert_eq!(a.action, "delete");
/// ```
/// Serialised as the tutorial's clients read it: `{userId, action, payload}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserAction {
    /// Who.
    pub user_id: String,
    /// What (`login`, `delete`, ...).
    pub action: String,
    /// Details.
    pub payload: Value,
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

/// The bus message `user-activity` publishes for each login; sandboxed
/// plugins see it as `{"userId", "source"}`.
///
/// ```
/// use plinth_example_app::hooks::LoggedIn;
/// let m = LoggedIn { user_id: "ada".into(), source: "user-activity".into() };
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LoggedIn {
    /// Who.
    pub user_id: String,
    /// The publishing plugin.
    pub source: String,
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
