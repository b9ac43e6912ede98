//! The message bus: typed topics, handles, isolation of failing subscribers.

mod common;

use std::sync::{Arc, Mutex};

use common::urn;
use futures_executor::block_on;
use plinth_hooks::{BusError, Fault, MessageBus, Topic};

#[derive(Debug, Clone, PartialEq)]
struct LoggedIn {
    user: String,
}

const LOGGED_IN: Topic<LoggedIn> = Topic::new("user:logged-in");

#[test]
fn publish_reaches_every_subscriber_even_when_some_fail() {
    let bus = MessageBus::new();
    let got = Arc::new(Mutex::new(Vec::new()));
    for name in ["a", "b"] {
        let g = got.clone();
        bus.subscribe(&LOGGED_IN, urn(name), move |m| {
            g.lock().unwrap().push(format!("{name}:{}", m.user));
            Ok(())
        })
        .unwrap();
    }
    bus.subscribe(&LOGGED_IN, urn("erring"), |_| Err("smtp".into()))
        .unwrap();
    bus.subscribe(&LOGGED_IN, urn("panicking"), |_| panic!("oops"))
        .unwrap();
    let g = got.clone();
    bus.subscribe(&LOGGED_IN, urn("c"), move |m| {
        g.lock().unwrap().push(format!("c:{}", m.user));
        Ok(())
    })
    .unwrap();

    let err = bus
        .publish(&LOGGED_IN, &LoggedIn { user: "ada".into() })
        .unwrap_err();
    assert_eq!(*got.lock().unwrap(), ["a:ada", "b:ada", "c:ada"]);
    let BusError::Delivery(delivery) = err else {
        panic!("expected a delivery error");
    };
    let owners: Vec<_> = delivery
        .failures
        .iter()
        .map(|f| f.owner.to_string())
        .collect();
    assert_eq!(owners, ["erring", "panicking"]);
    assert!(matches!(delivery.failures[1].fault, Fault::Panic(_)));
}

#[test]
fn unregister_and_remove_owner() {
    let bus = MessageBus::new();
    let count = Arc::new(Mutex::new(0));
    let c = count.clone();
    let h = bus
        .subscribe(&LOGGED_IN, urn("p"), move |_| {
            *c.lock().unwrap() += 1;
            Ok(())
        })
        .unwrap();
    let msg = LoggedIn { user: "x".into() };
    bus.publish(&LOGGED_IN, &msg).unwrap();
    assert!(bus.unregister(&h));
    assert!(!bus.unregister(&h));
    bus.publish(&LOGGED_IN, &msg).unwrap();
    assert_eq!(*count.lock().unwrap(), 1);

    let other = Topic::<u8>::new("other");
    let q = urn("q");
    bus.subscribe(&LOGGED_IN, &q, |_| Ok(())).unwrap();
    bus.subscribe(&other, &q, |_| Ok(())).unwrap();
    assert_eq!(bus.remove_owner(&q), 2);
}

#[test]
fn one_topic_name_with_two_message_types_is_an_error() {
    let bus = MessageBus::new();
    bus.subscribe(&LOGGED_IN, urn("p"), |_| Ok(())).unwrap();
    let wrong = Topic::<String>::new("user:logged-in");
    assert!(bus.subscribe(&wrong, urn("p"), |_| Ok(())).is_err());
    assert!(matches!(
        bus.publish(&wrong, &"x".to_string()),
        Err(BusError::Topic(_))
    ));
}

#[test]
fn async_publication_runs_async_and_sync_subscribers() {
    let bus = MessageBus::new();
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    bus.subscribe_async(&LOGGED_IN, urn("async"), move |m| {
        let g = g.clone();
        async move {
            g.lock().unwrap().push(format!("async:{}", m.user));
            Ok(())
        }
    })
    .unwrap();
    let g = got.clone();
    bus.subscribe(&LOGGED_IN, urn("sync"), move |m| {
        g.lock().unwrap().push(format!("sync:{}", m.user));
        Ok(())
    })
    .unwrap();
    block_on(bus.publish_async(&LOGGED_IN, LoggedIn { user: "bo".into() })).unwrap();
    let mut got = got.lock().unwrap().clone();
    got.sort();
    assert_eq!(got, ["async:bo", "sync:bo"]);
    // A sync publication still reaches the sync subscribers; each async one
    // is reported, attributed to its owner, instead of silencing everyone.
    let err = bus
        .publish(&LOGGED_IN, &LoggedIn { user: "x".into() })
        .unwrap_err();
    let plinth_hooks::BusError::Delivery(err) = err else {
        panic!("expected a delivery error, got {err}");
    };
    assert_eq!(err.failures.len(), 1);
    assert_eq!(err.failures[0].owner, "async");
    assert!(matches!(
        err.failures[0].fault,
        plinth_hooks::Fault::AsyncInSyncCall
    ));
}
