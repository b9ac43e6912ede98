//! The event emitter, built from a plugin host's `on` entities.

use std::collections::HashMap;
use std::sync::Arc;

use plinth_core::{EntityCollection, PluginUrn};

use crate::ordering::order;
use crate::snapshot::SwapCell;
use crate::tap::{Meta, Slot};
use crate::{EmitterError, Handle, Tap};

/// An event: something with a name (the spec's `Event<T>`).
///
/// ```
/// use plinth_hooks::Event;
/// struct Started;
/// impl Event for Started { fn name(&self) -> &str { "started" } }
/// assert_eq!(Started.name(), "started");
/// ```
pub trait Event {
    /// The event's name, which is also the entity key of its listeners.
    fn name(&self) -> &str;
}

/// A listener value: it knows which event it listens to.
///
/// ```
/// use plinth_hooks::Listener;
/// #[derive(Clone)]
/// struct OnStart(fn());
/// impl Listener for OnStart { fn event_name(&self) -> &str { "started" } }
/// ```
pub trait Listener {
    /// The name of the event this listener receives.
    fn event_name(&self) -> &str;
}

/// A listener that can receive events of type `E`. An application usually
/// has one event enum and one listener enum whose variants pair up (see the
/// crate's `events` example), so a listener of one event can never be
/// handed another.
///
/// ```
/// use plinth_hooks::{Event, Listener, Receives};
/// struct Started;
/// impl Event for Started { fn name(&self) -> &str { "started" } }
/// #[derive(Clone)]
/// struct OnStart(fn(&Started));
/// impl Listener for OnStart { fn event_name(&self) -> &str { "started" } }
/// impl Receives<Started> for OnStart { fn receive(&self, e: &Started) { (self.0)(e) } }
/// ```
pub trait Receives<E: ?Sized>: Listener {
    /// Handles one event. Events of another name never reach it.
    fn receive(&self, event: &E);
}

type Table<L> = HashMap<Arc<str>, Arc<[Slot<L>]>>;

/// Calls listeners by event name (the spec's `Emitter`): the plugins'
/// listeners from [`from_entities`](Self::from_entities) first, in plugin
/// order, then those added with [`on`](Self::on), in the order they were
/// added (or as their [`Tap`] priority says, with
/// [`on_with`](Self::on_with)).
///
/// Emitting reads a snapshot without a lock; a listener may add or remove
/// listeners while being called (the change applies from the next emit).
/// Listeners run on the caller's stack and their panics propagate, as with
/// Node's `EventEmitter`.
///
/// ```
/// use std::sync::Arc;
/// use plinth_hooks::{Emitter, Event, Listener, Receives};
///
/// struct Saved(String);
/// impl Event for Saved { fn name(&self) -> &str { "saved" } }
///
/// #[derive(Clone)]
/// struct OnSaved(Arc<dyn Fn(&Saved) + Send + Sync>);
/// impl Listener for OnSaved { fn event_name(&self) -> &str { "saved" } }
/// impl Receives<Saved> for OnSaved { fn receive(&self, e: &Saved) { (self.0)(e) } }
///
/// let emitter = Emitter::new();
/// assert!(!emitter.emit(Saved("a.txt".into())));
/// emitter.on(OnSaved(Arc::new(|e| println!("saved {}", e.0))));
/// assert!(emitter.emit(Saved("a.txt".into())));
/// ```
pub struct Emitter<L> {
    table: SwapCell<Table<L>>,
}

impl<L> Default for Emitter<L> {
    fn default() -> Self {
        Emitter {
            table: SwapCell::new(HashMap::new()),
        }
    }
}

impl<L: Listener + Clone> Emitter<L> {
    /// An emitter without listeners.
    ///
    /// ```
    /// # use plinth_hooks::{Emitter, Listener};
    /// # #[derive(Clone)] struct L;
    /// # impl Listener for L { fn event_name(&self) -> &str { "e" } }
    /// let emitter = Emitter::<L>::new();
    /// assert_eq!(emitter.listener_count("e"), 0);
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// The spec's `emitterFromEntities`: every listener of the collection,
    /// attributed to its plugin. A listener filed under a key other than its
    /// event's name is rejected (the spec's types forbid it; here keys are
    /// runtime values).
    ///
    /// ```
    /// use plinth_hooks::{Emitter, EmitterError, Listener};
    /// use plinth_core::{DynamicPlugin, Entities, Host};
    ///
    /// #[derive(Clone)]
    /// struct L(&'static str);
    /// impl Listener for L { fn event_name(&self) -> &str { self.0 } }
    ///
    /// let host = Host::from_plugins([
    ///     DynamicPlugin::new("a").with_type("on", Entities::from([("start", L("start"))])),
    ///     DynamicPlugin::new("b").with_type("on", Entities::from([("start", L("stop"))])),
    /// ])?;
    /// let on = host.entities().get("on").unwrap();
    /// let err = Emitter::from_entities(on).unwrap_err();
    /// assert!(matches!(err, EmitterError::MismatchedListener { .. }));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_entities(on: &EntityCollection<L>) -> Result<Self, EmitterError> {
        let emitter = Emitter::new();
        for (listener, key, plugin) in on {
            if *key != listener.event_name() {
                return Err(EmitterError::MismatchedListener {
                    plugin: plugin.clone(),
                    key: key.to_string(),
                    listens_to: listener.event_name().to_string(),
                });
            }
            emitter.on_with(plugin, listener.clone());
        }
        Ok(emitter)
    }

    /// Adds a listener owned by the application
    /// ([`PluginUrn::application`]), after the existing ones (the spec's
    /// `on`).
    ///
    /// ```
    /// # use plinth_hooks::{Emitter, Listener};
    /// # #[derive(Clone)] struct L;
    /// # impl Listener for L { fn event_name(&self) -> &str { "e" } }
    /// let emitter = Emitter::new();
    /// emitter.on(L);
    /// assert_eq!(emitter.listener_count("e"), 1);
    /// ```
    pub fn on(&self, listener: L) -> Handle {
        self.on_with(PluginUrn::application(), listener)
    }

    /// Adds a listener with an owner and, optionally, a priority or
    /// ordering constraints.
    ///
    /// ```
    /// # use plinth_hooks::{Emitter, Listener, PluginUrn, Tap};
    /// # #[derive(Clone)] struct L;
    /// # impl Listener for L { fn event_name(&self) -> &str { "e" } }
    /// let emitter = Emitter::new();
    /// let first = emitter.on_with(Tap::new(PluginUrn::new("p")?).priority(0), L);
    /// assert_eq!(first.hook(), "e");
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn on_with(&self, tap: impl Into<Tap>, listener: L) -> Handle {
        let name: Arc<str> = Arc::from(listener.event_name());
        let meta = Arc::new(Meta::from_tap(tap.into()));
        let handle = Handle {
            hook: name.clone(),
            id: meta.id,
        };
        self.table.update(|table| {
            let mut slots = table.get(&name).map_or_else(Vec::new, |s| s.to_vec());
            slots.push(Slot {
                callback: listener,
                meta,
            });
            let mut next = table.clone();
            next.insert(name, Arc::from(order(slots)));
            (Some(next), ())
        });
        handle
    }

    /// Calls every listener of the event; `false` if it had none (as Node's
    /// `EventEmitter.emit`).
    ///
    /// A panicking listener does not stop the others or unwind into the
    /// emitting host: the panic is caught and logged (`tracing`, with the
    /// listener's owner and the event), and the next listener runs.
    ///
    /// ```
    /// # use plinth_hooks::{Emitter, Event, Listener, Receives};
    /// # struct E; impl Event for E { fn name(&self) -> &str { "e" } }
    /// # #[derive(Clone)] struct L;
    /// # impl Listener for L { fn event_name(&self) -> &str { "e" } }
    /// # impl Receives<E> for L { fn receive(&self, _: &E) {} }
    /// let emitter = Emitter::<L>::new();
    /// assert!(!emitter.emit(E));
    /// ```
    pub fn emit<E: Event>(&self, event: E) -> bool
    where
        L: Receives<E>,
    {
        let table = self.table.load();
        let Some(slots) = table.get(event.name()) else {
            return false;
        };
        for slot in slots.iter() {
            let received = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                slot.callback.receive(&event)
            }));
            if let Err(payload) = received {
                tracing::error!(
                    event = event.name(),
                    owner = %slot.meta.owner,
                    "listener panicked: {}",
                    crate::core::panic_message(payload)
                );
            }
        }
        !slots.is_empty()
    }

    /// Removes exactly the listener `handle` names (Node's `off`); `false`
    /// if it is not (or no longer) here.
    ///
    /// ```
    /// # use plinth_hooks::{Emitter, Listener};
    /// # #[derive(Clone)] struct L;
    /// # impl Listener for L { fn event_name(&self) -> &str { "e" } }
    /// let emitter = Emitter::new();
    /// let h = emitter.on(L);
    /// assert!(emitter.unregister(&h));
    /// assert_eq!(emitter.listener_count("e"), 0);
    /// ```
    pub fn unregister(&self, handle: &Handle) -> bool {
        self.retain(|name, meta| !(name == handle.hook() && meta.id == handle.id)) == 1
    }

    /// Removes every listener of `owner` (a plugin being disabled).
    ///
    /// ```
    /// # use plinth_hooks::{Emitter, Listener, PluginUrn};
    /// # #[derive(Clone)] struct L;
    /// # impl Listener for L { fn event_name(&self) -> &str { "e" } }
    /// let emitter = Emitter::new();
    /// let p = PluginUrn::new("p")?;
    /// emitter.on_with(&p, L);
    /// assert_eq!(emitter.remove_owner(&p), 1);
    /// # Ok::<(), plinth_hooks::GuardError>(())
    /// ```
    pub fn remove_owner(&self, owner: &PluginUrn) -> usize {
        self.retain(|_, meta| meta.owner != *owner)
    }

    /// Number of listeners of an event.
    ///
    /// ```
    /// # use plinth_hooks::{Emitter, Listener};
    /// # #[derive(Clone)] struct L;
    /// # impl Listener for L { fn event_name(&self) -> &str { "e" } }
    /// assert_eq!(Emitter::<L>::new().listener_count("e"), 0);
    /// ```
    pub fn listener_count(&self, event: &str) -> usize {
        self.table.load().get(event).map_or(0, |s| s.len())
    }

    fn retain(&self, keep: impl Fn(&str, &Meta) -> bool) -> usize {
        self.table.update(|table| {
            let mut removed = 0;
            let mut next = Table::with_capacity(table.len());
            for (name, slots) in table {
                let kept: Vec<_> = slots
                    .iter()
                    .filter(|s| keep(name, &s.meta))
                    .cloned()
                    .collect();
                removed += slots.len() - kept.len();
                if !kept.is_empty() {
                    next.insert(name.clone(), Arc::from(order(kept)));
                }
            }
            if removed == 0 {
                (None, 0)
            } else {
                (Some(next), removed)
            }
        })
    }
}

impl<L> std::fmt::Debug for Emitter<L> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Emitter").finish_non_exhaustive()
    }
}
