//! `events.ts` of the spec: typed events and listeners keyed by event name.
//! The emitter itself is plinth's (`plinth::hooks::Emitter`); this module
//! only says which listener receives which event.

use std::sync::Arc;

use plinth::hooks;

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

impl hooks::Event for Event<'_> {
    /// The event's name, which is also the entity key of its listeners.
    fn name(&self) -> &str {
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
}

impl hooks::Listener for Listener {
    fn event_name(&self) -> &str {
        match self {
            Listener::BeforeCommandExecution(_) => "beforeCommandExecution",
            Listener::AfterCommandExecution(_) => "afterCommandExecution",
        }
    }
}

impl<'a> hooks::Receives<Event<'a>> for Listener {
    /// The emitter only hands a listener the events of its name, so the
    /// other pairs cannot occur.
    fn receive(&self, event: &Event<'a>) {
        match (self, event) {
            (Listener::BeforeCommandExecution(f), Event::BeforeCommandExecution(e)) => f(e),
            (Listener::AfterCommandExecution(f), Event::AfterCommandExecution(e)) => f(e),
            _ => {}
        }
    }
}

/// The spec's `Emitter<Events>`.
pub type Emitter = hooks::Emitter<Listener>;
