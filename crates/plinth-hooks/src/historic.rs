//! Historic hooks: broadcasts that late callbacks catch up on.

use std::ops::DerefMut;
use std::sync::{Arc, PoisonError};

#[cfg(loom)]
use loom::sync::Mutex;
#[cfg(not(loom))]
use std::sync::Mutex;

use crate::action::{ActionFn, SyncFn, broadcast_sync, settle};
use crate::core::{Config, Core};
use crate::hook::sealed::Sealed;
use crate::interceptor::HookKind;
use crate::{ActionError, BoxError, CallbackError, Handle, Hook, Tap};

/// Historic hooks take no wrappers: what should wrap a replayed call is an
/// open question.
type NoWrapper = ();

/// A sync broadcast that remembers its calls (pluggy's `call_historic`): a
/// callback registered late is first replayed every earlier payload, in
/// order, then receives the later calls like the others. Each payload
/// reaches each callback exactly once, even when registration and calls
/// race; the replay runs outside any lock (so the callback may use the
/// hook), hence calls made by other threads during the replay may reach the
/// new callback before the replay has finished.
///
/// The history grows with every call until [`clear_history`](Self::clear_history).
/// What every kind shares (name, removal, interceptors) is the [`Hook`]
/// trait; interceptors also observe replays.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use plinth_hooks::{Historic, PluginUrn};
///
/// let hook = Historic::<&str>::new("plugin:loaded");
/// hook.call("a").map_err(|e| e.to_string())?;
/// hook.call("b").map_err(|e| e.to_string())?;
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let s = seen.clone();
/// let replay = hook.tap(PluginUrn::new("late")?, move |name| s.lock().unwrap().push(*name));
/// assert_eq!(replay.calls, 2);
/// hook.call("c").map_err(|e| e.to_string())?;
/// assert_eq!(*seen.lock().unwrap(), ["a", "b", "c"]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub struct Historic<T> {
    core: Core<ActionFn<T>, NoWrapper>,
    // Held while a call records itself and picks its snapshot, and while a
    // registration publishes itself and copies what it missed: the two
    // cannot interleave, so nothing is missed or delivered twice.
    history: Mutex<Vec<Arc<T>>>,
}

/// The result of registering on a [`Historic`] hook: the handle, and how the
/// replay of earlier calls went.
#[derive(Debug)]
pub struct Replay {
    /// Removes the registration.
    pub handle: Handle,
    /// How many earlier calls were replayed.
    pub calls: usize,
    /// The replayed calls that failed.
    pub failures: Vec<CallbackError>,
}

impl<T: Send + Sync + 'static> Historic<T> {
    /// An empty hook with no history and the default [`Config`].
    ///
    /// ```
    /// # use plinth_hooks::Historic;
    /// let hook = Historic::<u8>::new("h");
    /// assert_eq!(hook.history_len(), 0);
    /// ```
    pub fn new(name: impl Into<Arc<str>>) -> Self {
        Self::with_config(name, Config::default())
    }

    /// An empty hook with the given settings.
    ///
    /// ```
    /// # use plinth_hooks::{Config, Historic};
    /// let hook = Historic::<u8>::with_config("h", Config::default());
    /// ```
    pub fn with_config(name: impl Into<Arc<str>>, config: Config) -> Self {
        Self::create(name.into(), config)
    }

    /// Registers an infallible callback and replays the history to it.
    ///
    /// ```
    /// # use plinth_hooks::{Historic, PluginUrn};
    /// let hook = Historic::<u8>::new("h");
    /// hook.tap(PluginUrn::new("p")?, |_| {});
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn tap(&self, tap: impl Into<Tap>, f: impl Fn(&T) + Send + Sync + 'static) -> Replay {
        self.try_tap(tap, move |v| {
            f(v);
            Ok(())
        })
    }

    /// Registers a fallible callback and replays the history to it.
    ///
    /// ```
    /// # use plinth_hooks::{Historic, PluginUrn};
    /// let hook = Historic::<u8>::new("h");
    /// hook.call(1).ok();
    /// let replay = hook.try_tap(PluginUrn::new("p")?, |_| Err("no".into()));
    /// assert_eq!(replay.failures.len(), 1);
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn try_tap(
        &self,
        tap: impl Into<Tap>,
        f: impl Fn(&T) -> Result<(), BoxError> + Send + Sync + 'static,
    ) -> Replay {
        let f: SyncFn<T> = Arc::new(f);
        let (handle, missed) = {
            let history = self.lock();
            let handle = self.core.register(tap.into(), ActionFn::Sync(f.clone()));
            (handle, history.clone())
        };
        // Replayed outside the lock: the callback may call this hook.
        let (_call, state) = self.core.load_for_call();
        let mut failures = Vec::new();
        if let Some(slot) = state.slots.iter().find(|s| s.meta.id == handle.id) {
            for payload in &missed {
                let started = Core::start(&state);
                let result = self.core.run(|| f(payload));
                if let Some(e) = settle(&self.core, &state, slot, started, result) {
                    failures.push(e);
                }
            }
        }
        Replay {
            handle,
            calls: missed.len(),
            failures,
        }
    }

    /// Records the payload, then calls every callback with it.
    ///
    /// ```
    /// # use plinth_hooks::{Historic, PluginUrn};
    /// let hook = Historic::<u8>::new("h");
    /// hook.call(1)?;
    /// assert_eq!(hook.history_len(), 1);
    /// # Ok::<(), plinth_hooks::ActionError>(())
    /// ```
    pub fn call(&self, payload: impl Into<Arc<T>>) -> Result<(), ActionError> {
        let payload = payload.into();
        let (_call, state) = {
            let mut history = self.lock();
            history.push(payload.clone());
            self.core.load_for_call()
        };
        let failures = broadcast_sync(&self.core, &state, &payload);
        if failures.is_empty() {
            Ok(())
        } else {
            Err(ActionError {
                hook: self.core.name.clone(),
                failures,
            })
        }
    }

    /// Number of recorded calls.
    ///
    /// ```
    /// # use plinth_hooks::Historic;
    /// assert_eq!(Historic::<u8>::new("h").history_len(), 0);
    /// ```
    pub fn history_len(&self) -> usize {
        self.lock().len()
    }

    /// Forgets the recorded calls; later callbacks get no replay of them.
    ///
    /// ```
    /// # use plinth_hooks::Historic;
    /// let hook = Historic::<u8>::new("h");
    /// hook.call(1)?;
    /// hook.clear_history();
    /// assert_eq!(hook.history_len(), 0);
    /// # Ok::<(), plinth_hooks::ActionError>(())
    /// ```
    pub fn clear_history(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> impl DerefMut<Target = Vec<Arc<T>>> + '_ {
        // No user code runs under this lock, so poisoning cannot leave the
        // history half-written.
        self.history.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<T> Sealed for Historic<T> {
    type Callback = ActionFn<T>;
    type Wrapper = NoWrapper;
    fn core(&self) -> &Core<ActionFn<T>, NoWrapper> {
        &self.core
    }
    fn create(name: Arc<str>, config: Config) -> Self {
        Historic {
            core: Core::new(name, HookKind::Historic, config),
            history: Mutex::new(Vec::new()),
        }
    }
}

impl<T: Send + Sync + 'static> Hook for Historic<T> {}

impl<T> std::fmt::Debug for Historic<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Historic")
            .field("name", &self.core.name)
            .finish_non_exhaustive()
    }
}
