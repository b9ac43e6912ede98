//! `events.ts` of the spec: typed events, listeners keyed by event name, and
//! an emitter built from a plugin host's `on` entities.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use plinth::{EntityCollection, PluginUrn};

use crate::Context;

/// Emitted before a command runs.
pub struct BeforeCommandExecution<'a> {
    pub ctx: &'a Context,
    pub command: &'a str,
}

/// Emitted after a command ran.
pub struct AfterCommandExecution<'a> {
    pub ctx: &'a Context,
    pub command: &'a str,
    pub result: &'a str,
}

/// The union of all events (the spec's `Events`).
pub enum Event<'a> {
    BeforeCommandExecution(BeforeCommandExecution<'a>),
    AfterCommandExecution(AfterCommandExecution<'a>),
}

impl Event<'_> {
    /// The event's name, which is also the entity key of its listeners.
    pub fn name(&self) -> &'static str {
        match self {
            Event::BeforeCommandExecution(_) => "beforeCommandExecution",
            Event::AfterCommandExecution(_) => "afterCommandExecution",
        }
    }
}

/// A listener of one event type (the spec's `EventListener<E>`): the variant
/// fixes which event it receives.
#[derive(Clone)]
pub enum Listener {
    BeforeCommandExecution(Arc<dyn Fn(&BeforeCommandExecution<'_>)>),
    AfterCommandExecution(Arc<dyn Fn(&AfterCommandExecution<'_>)>),
}

impl Listener {
    pub fn before(f: impl Fn(&BeforeCommandExecution<'_>) + 'static) -> Self {
        Listener::BeforeCommandExecution(Arc::new(f))
    }

    pub fn after(f: impl Fn(&AfterCommandExecution<'_>) + 'static) -> Self {
        Listener::AfterCommandExecution(Arc::new(f))
    }

    /// The name of the event this listener receives.
    pub fn event_name(&self) -> &'static str {
        match self {
            Listener::BeforeCommandExecution(_) => "beforeCommandExecution",
            Listener::AfterCommandExecution(_) => "afterCommandExecution",
        }
    }

    /// Calls the listener if the event is of its type.
    fn call(&self, event: &Event<'_>) {
        match (self, event) {
            (Listener::BeforeCommandExecution(f), Event::BeforeCommandExecution(e)) => f(e),
            (Listener::AfterCommandExecution(f), Event::AfterCommandExecution(e)) => f(e),
            _ => {}
        }
    }
}

/// A listener filed under the key of another event: the spec's types forbid
/// it, and here the key is a runtime string, so it is checked on load.
#[derive(Debug)]
pub struct MismatchedListener {
    pub plugin: PluginUrn,
    pub key: String,
    pub listens_to: &'static str,
}

impl fmt::Display for MismatchedListener {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "plugin \"{}\": listener under \"{}\" listens to \"{}\"",
            self.plugin, self.key, self.listens_to
        )
    }
}

impl std::error::Error for MismatchedListener {}

/// Calls listeners by event name: the plugins' first, in plugin order, then
/// those added with [`Emitter::on`], in the order they were added.
#[derive(Default)]
pub struct Emitter {
    listeners: HashMap<&'static str, Vec<Listener>>,
}

impl Emitter {
    /// Calls every listener of the event; `false` if it had none (as Node's
    /// `EventEmitter.emit`).
    pub fn emit(&self, event: Event<'_>) -> bool {
        let Some(listeners) = self.listeners.get(event.name()) else {
            return false;
        };
        for listener in listeners {
            listener.call(&event);
        }
        !listeners.is_empty()
    }

    /// Adds a listener after the existing ones.
    pub fn on(&mut self, listener: Listener) -> &mut Self {
        self.listeners
            .entry(listener.event_name())
            .or_default()
            .push(listener);
        self
    }
}

/// The spec's `emitterFromEntities`.
pub fn emitter_from_entities(
    on: &EntityCollection<Listener>,
) -> Result<Emitter, MismatchedListener> {
    let mut emitter = Emitter::default();
    for (listener, key, plugin) in on {
        if *key != listener.event_name() {
            return Err(MismatchedListener {
                plugin: plugin.clone(),
                key: key.to_string(),
                listens_to: listener.event_name(),
            });
        }
        emitter.on(listener.clone());
    }
    Ok(emitter)
}
