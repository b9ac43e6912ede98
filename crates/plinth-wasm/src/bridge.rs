//! The application's hooks offered to sandboxed plugins: each with the
//! JSON form of its payload, so that a guest can tap it by name.

use std::collections::BTreeMap;
use std::sync::Arc;

use plinth_hooks::{Action, Bail, Filter, Handle, Key};
use plinth_runtime::{ContextError, PluginHooks, Registration};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::CallFailure;
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
        Err(e) if e.is_trap() || matches!(e, CallFailure::Busy(_)) => {
            let shared = pool.shared();
            shared.span.in_scope(|| {
                tracing::warn!(plugin = %shared.name, hook, "call skipped: {e}");
            });
            Ok(Answer::Skipped)
        }
        Err(e) => Err(e),
    }
}

type Tapper = dyn Fn(&PluginHooks, i32, Arc<Pool>) -> Result<Handle, ContextError> + Send + Sync;

/// The hooks the application offers to sandboxed plugins, by name. A hook
/// whose payload is serializable can be offered; the guest gets the
/// payload as JSON and answers with JSON of the hook's result type.
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
}

impl std::fmt::Debug for HookBridge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.hooks.keys()).finish()
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
    /// No hooks offered.
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
