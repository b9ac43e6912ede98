//! The emitter built from an `on` entity collection.

mod common;

use std::sync::{Arc, Mutex};

use common::urn;
use plinth_core::{DynamicPlugin, Entities, Host};
use plinth_hooks::{Emitter, EmitterError, Event, Listener, Receives, Tap};

enum Ev {
    Start(u32),
    Stop,
}

impl Event for Ev {
    fn name(&self) -> &str {
        match self {
            Ev::Start(_) => "start",
            Ev::Stop => "stop",
        }
    }
}

type Log = Arc<Mutex<Vec<String>>>;

#[derive(Clone)]
enum On {
    Start(Log, &'static str),
    Stop(Log, &'static str),
}

impl Listener for On {
    fn event_name(&self) -> &str {
        match self {
            On::Start(..) => "start",
            On::Stop(..) => "stop",
        }
    }
}

impl Receives<Ev> for On {
    fn receive(&self, event: &Ev) {
        match (self, event) {
            (On::Start(_, "boom"), Ev::Start(_)) => panic!("listener bug"),
            (On::Start(log, who), Ev::Start(n)) => {
                log.lock().unwrap().push(format!("{who} start {n}"))
            }
            (On::Stop(log, who), Ev::Stop) => log.lock().unwrap().push(format!("{who} stop")),
            _ => unreachable!("the emitter routes by name"),
        }
    }
}

#[test]
fn plugin_listeners_first_in_plugin_order_then_runtime_ones() {
    let log = Log::default();
    let host = Host::from_plugins([
        DynamicPlugin::new("a").with_type(
            "on",
            Entities::from([
                ("start", On::Start(log.clone(), "a")),
                ("stop", On::Stop(log.clone(), "a")),
            ]),
        ),
        DynamicPlugin::new("b").with_type(
            "on",
            Entities::from([("start", On::Start(log.clone(), "b"))]),
        ),
    ])
    .unwrap();
    let emitter = Emitter::from_entities(host.entities().get("on").unwrap()).unwrap();
    emitter.on(On::Start(log.clone(), "main"));
    assert!(emitter.emit(Ev::Start(1)));
    assert!(emitter.emit(Ev::Stop));
    assert_eq!(
        *log.lock().unwrap(),
        ["a start 1", "b start 1", "main start 1", "a stop"]
    );
}

#[test]
fn emit_without_listeners_is_false() {
    let emitter = Emitter::<On>::new();
    assert!(!emitter.emit(Ev::Stop));
}

#[test]
fn mismatched_keys_are_rejected_with_the_plugin() {
    let log = Log::default();
    let host = Host::from_plugins([DynamicPlugin::new("sloppy")
        .with_type("on", Entities::from([("start", On::Stop(log, "x"))]))])
    .unwrap();
    let err = Emitter::from_entities(host.entities().get("on").unwrap()).unwrap_err();
    let EmitterError::MismatchedListener {
        plugin,
        key,
        listens_to,
    } = err;
    assert_eq!(
        (plugin.as_str(), key.as_str(), listens_to.as_str()),
        ("sloppy", "start", "stop")
    );
}

#[test]
fn off_and_remove_owner_and_priorities() {
    let log = Log::default();
    let emitter = Emitter::new();
    let p = urn("p");
    let h = emitter.on(On::Start(log.clone(), "main"));
    emitter.on_with(&p, On::Start(log.clone(), "p"));
    emitter.on_with(Tap::new(p.clone()).priority(0), On::Stop(log.clone(), "p"));
    emitter.on_with(
        Tap::new(urn("q")).priority(0),
        On::Start(log.clone(), "first"),
    );
    emitter.emit(Ev::Start(0));
    assert!(emitter.unregister(&h));
    assert_eq!(emitter.remove_owner(&p), 2);
    emitter.emit(Ev::Start(1));
    assert!(!emitter.emit(Ev::Stop));
    assert_eq!(
        *log.lock().unwrap(),
        [
            "first start 0",
            "main start 0",
            "p start 0",
            "first start 1"
        ]
    );
}

#[test]
fn a_panicking_listener_does_not_stop_the_others() {
    let log = Log::default();
    let emitter = Emitter::new();
    emitter.on_with(Tap::new(urn("bad")), On::Start(log.clone(), "boom"));
    emitter.on(On::Start(log.clone(), "after"));
    assert!(emitter.emit(Ev::Start(7)));
    assert_eq!(*log.lock().unwrap(), ["after start 7"]);
}
