//! The application's hooks and bus topics offered to sandboxed plugins:
//! each with the JSON form of its payload, so that a guest can tap or
//! subscribe to it by name.

use std::collections::BTreeMap;
use std::sync::Arc;

use plinth_hooks::{Action, Bail, BoxError, Filter, Handle, Key, Topic};
use plinth_runtime::{ContextError, PluginBus, PluginHooks, Registration};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::{CallFailure, WasmError};
use crate::host::Level;
use crate::pool::Pool;

/// How a guest's hook call went, for the callback to act on.
pub(crate) enum Answer {
    /// The guest's JSON answer.
    Json(String),
    /// A trap within the restart bound: the call counts as not made (a
    /// filter passes its value on, a bail hook passes), the instance is
    /// replaced.
    Skipped,
}

/// Calls `hook` on the pool: a trap within the plugin's restart bound, or
/// every instance busy past the deadline (an overload, not a misdeed), is
/// logged and skipped; anything else that fails is the plugin's fault.
pub(crate) fn call(pool: &Pool, hook: &str, payload: String) -> Result<Answer, CallFailure> {
    match pool.on_hook(hook, payload) {
        Ok(json) => Ok(Answer::Json(json)),
        Err(e) if skippable(&e) => {
            skipped(pool, &format!("hook {hook}"), &e);
            Ok(Answer::Skipped)
        }
        Err(e) => Err(e),
    }
}

/// A trap within the plugin's restart bound, or every instance busy past
/// the deadline: an overload, not a misdeed.
fn skippable(failure: &CallFailure) -> bool {
    failure.is_trap() || matches!(failure, CallFailure::Busy(_))
}

/// Warns that a call was skipped, as a line of the plugin's, within its
/// log rate: a guest that traps on every other call would otherwise flood
/// the log at the rate the application calls it.
fn skipped(pool: &Pool, call: &str, failure: &CallFailure) {
    pool.shared()
        .log(Level::Warn, || format!("{call}: call skipped: {failure}"));
}

type Tapper = dyn Fn(&PluginHooks, i32, Arc<Pool>) -> Result<Handle, ContextError> + Send + Sync;
type Subscriber = dyn Fn(&PluginBus, Arc<Pool>) -> Result<Handle, ContextError> + Send + Sync;
type Publisher = dyn Fn(&PluginBus, &str) -> Result<(), String> + Send + Sync;

/// A topic offered with its payload type: how a plugin subscribes to it,
/// and how a guest's message is published on it.
#[derive(Clone)]
struct TopicOffer {
    subscribe: Arc<Subscriber>,
    publish: Arc<Publisher>,
}

/// The hooks the application offers to sandboxed plugins, by name. A hook
/// whose payload is serializable can be offered; the guest gets the
/// payload as JSON and answers with JSON of the hook's result type.
///
/// Bus topics need no offer: a guest subscribes to and publishes on any
/// topic its manifest names, as JSON (`Topic<serde_json::Value>`). A topic
/// the application declares with a payload type of its own is offered with
/// [`topic`](Self::topic), so that its typed subscribers and publishers
/// and the guests meet on it.
///
/// ```
/// use plinth_hooks::{Action, Bail, Filter, Key};
/// use plinth_wasm::HookBridge;
///
/// const TITLE: Key<Filter<String>> = Key::new("page:title");
/// const SAVED: Key<Action<u32>> = Key::new("doc:saved");
/// const ROUTE: Key<Bail<String, u16>> = Key::new("route");
///
/// let bridge = HookBridge::new().filter(&TITLE).action(&SAVED).bail(&ROUTE);
/// assert_eq!(bridge.names().collect::<Vec<_>>(), ["doc:saved", "page:title", "route"]);
/// ```
#[derive(Clone, Default)]
pub struct HookBridge {
    hooks: BTreeMap<String, Arc<Tapper>>,
    topics: BTreeMap<String, TopicOffer>,
}

impl std::fmt::Debug for HookBridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HookBridge")
            .field("hooks", &self.hooks.keys().collect::<Vec<_>>())
            .field("topics", &self.topics.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn answer_error(hook: &str, e: impl std::fmt::Display) -> CallFailure {
    CallFailure::Answer(format!("hook {hook:?}: {e}"))
}

fn to_json<T: Serialize>(hook: &str, value: &T) -> Result<String, CallFailure> {
    serde_json::to_string(value).map_err(|e| answer_error(hook, format!("payload: {e}")))
}

/// Calls `hook` with `payload` and decodes the guest's answer as `A`;
/// `None` when the call was skipped.
fn answer<A: DeserializeOwned>(
    pool: &Pool,
    hook: &str,
    payload: &impl Serialize,
) -> Result<Option<A>, CallFailure> {
    match call(pool, hook, to_json(hook, payload)?)? {
        Answer::Json(json) => serde_json::from_str(&json)
            .map(Some)
            .map_err(|e| answer_error(hook, e)),
        Answer::Skipped => Ok(None),
    }
}

impl HookBridge {
    /// No hooks or typed topics offered.
    ///
    /// ```
    /// assert_eq!(plinth_wasm::HookBridge::new().names().count(), 0);
    /// ```
    pub fn new() -> Self {
        HookBridge::default()
    }

    /// The names of the hooks offered, sorted.
    ///
    /// ```
    /// # use plinth_hooks::{Action, Key};
    /// let b = plinth_wasm::HookBridge::new().action(&Key::<Action<u8>>::new("tick"));
    /// assert_eq!(b.names().next(), Some("tick"));
    /// ```
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.hooks.keys().map(String::as_str)
    }

    /// Offers a filter: the guest gets the value and answers the new value.
    ///
    /// ```
    /// # use plinth_hooks::{Filter, Key};
    /// let b = plinth_wasm::HookBridge::new().filter(&Key::<Filter<Vec<String>>>::new("tags"));
    /// ```
    pub fn filter<T>(self, key: &Key<Filter<T>>) -> Self
    where
        T: Serialize + DeserializeOwned + Send + 'static,
    {
        self.offer(key, |registration, hook, pool| {
            registration.try_tap(move |value: &mut T| {
                if let Some(answer) = answer::<T>(&pool, &hook, &*value)? {
                    *value = answer;
                }
                Ok(())
            })
        })
    }

    /// Offers an action: the guest gets the payload; its answer is ignored.
    ///
    /// ```
    /// # use plinth_hooks::{Action, Key};
    /// let b = plinth_wasm::HookBridge::new().action(&Key::<Action<String>>::new("log"));
    /// ```
    pub fn action<T>(self, key: &Key<Action<T>>) -> Self
    where
        T: Serialize + Send + Sync + 'static,
    {
        self.offer(key, |registration, hook, pool| {
            registration.try_tap(move |value: &T| {
                call(&pool, &hook, to_json(&hook, value)?)?;
                Ok(())
            })
        })
    }

    /// Offers a bail hook: the guest answers `null` to pass, or the
    /// result that stops the chain.
    ///
    /// ```
    /// # use plinth_hooks::{Bail, Key};
    /// let b = plinth_wasm::HookBridge::new().bail(&Key::<Bail<String, u16>>::new("route"));
    /// ```
    pub fn bail<T, R>(self, key: &Key<Bail<T, R>>) -> Self
    where
        T: Serialize + Send + Sync + 'static,
        R: DeserializeOwned + Send + 'static,
    {
        self.offer(key, |registration, hook, pool| {
            registration
                .try_tap(move |value: &T| Ok(answer::<Option<R>>(&pool, &hook, value)?.flatten()))
        })
    }

    /// Offers the bus topic `topic` with its payload type: a guest
    /// subscribing to it gets each message as JSON, and a guest's message
    /// on it must be JSON of `T`, or its `publish` fails, sending nothing.
    ///
    /// ```
    /// # use plinth_hooks::Topic;
    /// #[derive(serde::Serialize, serde::Deserialize)]
    /// struct LoggedIn { user_id: String }
    /// const LOGGED_IN: Topic<LoggedIn> = Topic::new("user:logged-in");
    /// let b = plinth_wasm::HookBridge::new().topic(&LOGGED_IN);
    /// assert_eq!(b.topic_names().collect::<Vec<_>>(), ["user:logged-in"]);
    /// ```
    pub fn topic<T>(mut self, topic: &Topic<T>) -> Self
    where
        T: Serialize + DeserializeOwned + Send + Sync + 'static,
    {
        let typed = topic.clone();
        let subscribe = move |bus: &PluginBus, pool: Arc<Pool>| {
            let name = typed.name().to_owned();
            bus.subscribe(&typed, move |message: &T| {
                let json = serde_json::to_string(message).map_err(|e| {
                    on_message_error(&pool, &name, answer_error(&name, format!("message: {e}")))
                })?;
                deliver(&pool, &name, json)
            })
        };
        let typed = topic.clone();
        let publish = move |bus: &PluginBus, message: &str| {
            let message: T = serde_json::from_str(message)
                .map_err(|e| format!("the message does not fit topic {:?}: {e}", typed.name()))?;
            bus.publish(&typed, &message).map_err(|e| e.to_string())
        };
        self.topics.insert(
            topic.name().to_owned(),
            TopicOffer {
                subscribe: Arc::new(subscribe),
                publish: Arc::new(publish),
            },
        );
        self
    }

    /// The names of the topics offered with their type, sorted.
    ///
    /// ```
    /// assert_eq!(plinth_wasm::HookBridge::new().topic_names().count(), 0);
    /// ```
    pub fn topic_names(&self) -> impl Iterator<Item = &str> {
        self.topics.keys().map(String::as_str)
    }

    /// Subscribes the plugin served by `pool` to `topic`: typed when the
    /// topic is offered, as JSON otherwise.
    pub(crate) fn subscribe(
        &self,
        topic: &str,
        bus: &PluginBus,
        pool: Arc<Pool>,
    ) -> Result<Handle, ContextError> {
        if let Some(offer) = self.topics.get(topic) {
            return (offer.subscribe)(bus, pool);
        }
        let name = topic.to_owned();
        bus.subscribe(
            &Topic::<Value>::named(topic.to_owned()),
            move |message: &Value| deliver(&pool, &name, message.to_string()),
        )
    }

    /// Publishes a guest's `message` (JSON text, checked by the caller
    /// only for its size) on `topic`: typed when the topic is offered, as
    /// JSON otherwise.
    pub(crate) fn publish(
        &self,
        bus: &PluginBus,
        topic: &str,
        message: &str,
    ) -> Result<(), String> {
        if let Some(offer) = self.topics.get(topic) {
            return (offer.publish)(bus, message);
        }
        let value: Value =
            serde_json::from_str(message).map_err(|e| format!("message is not JSON: {e}"))?;
        bus.publish(&Topic::<Value>::named(topic.to_owned()), &value)
            .map_err(|e| e.to_string())
    }

    /// Offers the hook under `key`: `tap` registers the plugin's callback,
    /// given the hook's name and the plugin's instances.
    fn offer<H: plinth_hooks::Hook>(
        mut self,
        key: &Key<H>,
        tap: impl Fn(Registration<H>, String, Arc<Pool>) -> Handle + Send + Sync + 'static,
    ) -> Self {
        let key = key.clone();
        let name = key.name().to_owned();
        let tapper = move |hooks: &PluginHooks, priority: i32, pool: Arc<Pool>| {
            let registration = hooks.on(&key)?.priority(priority);
            Ok(tap(registration, key.name().to_owned(), pool))
        };
        self.hooks.insert(name, Arc::new(tapper));
        self
    }

    /// Taps `hook` for the plugin served by `pool`.
    pub(crate) fn tap(
        &self,
        hook: &str,
        hooks: &PluginHooks,
        priority: i32,
        pool: Arc<Pool>,
    ) -> Option<Result<Handle, ContextError>> {
        self.hooks.get(hook).map(|tap| tap(hooks, priority, pool))
    }

    pub(crate) fn offered(&self) -> String {
        if self.hooks.is_empty() {
            "none".to_owned()
        } else {
            self.hooks.keys().cloned().collect::<Vec<_>>().join(", ")
        }
    }
}

/// Hands a bus message to the plugin served by `pool`.
fn deliver(pool: &Pool, topic: &str, json: String) -> Result<(), BoxError> {
    match pool.on_message(topic, json) {
        Ok(()) => Ok(()),
        // As for a hook: the message counts as not delivered, and the
        // subscription stands.
        Err(e) if skippable(&e) => {
            skipped(pool, &format!("message on {topic}"), &e);
            Ok(())
        }
        Err(kind) => Err(on_message_error(pool, topic, kind)),
    }
}

fn on_message_error(pool: &Pool, topic: &str, kind: CallFailure) -> BoxError {
    BoxError::from(WasmError::Call {
        plugin: pool.shared().name.clone(),
        call: format!("on-message({topic})"),
        kind,
    })
}
