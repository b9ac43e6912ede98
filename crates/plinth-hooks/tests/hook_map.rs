//! A hook map makes one hook per key, on first use.

mod common;

use std::sync::{Arc, Mutex};

use common::urn;
use plinth_hooks::{Action, CallInfo, Filter, Hook, HookMap, Interceptor};

#[test]
fn one_hook_per_key_made_on_first_use() {
    let map = HookMap::<Filter<String>>::new("render");
    assert!(map.get("md").is_none());
    let md = map.get_or_create("md");
    assert!(Arc::ptr_eq(&md, &map.get_or_create("md")));
    assert!(Arc::ptr_eq(&md, &map.get("md").unwrap()));
    assert_eq!(md.name(), "render[md]");
    md.tap(urn("p"), |s| s + "!");
    assert_eq!(map.get_or_create("md").call("x".into()).unwrap(), "x!");
    assert_eq!(map.get_or_create("html").call("x".into()).unwrap(), "x");
    let mut keys = map.keys();
    keys.sort();
    assert_eq!(keys, ["html", "md"]);
    assert_eq!(map.len(), 2);
}

#[test]
fn remove_owner_and_unregister_span_every_hook() {
    let map = HookMap::<Action<u8>>::new("key");
    let (p, q) = (urn("p"), urn("q"));
    map.get_or_create("a").tap(&p, |_| {});
    map.get_or_create("b").tap(&p, |_| {});
    map.get_or_create("b").wrap(&p, |n, next| next.call(n));
    let kept = map.get_or_create("b").tap(&q, |_| {});
    // A key with brackets in it still finds its hook.
    let odd = map.get_or_create("[c]").tap(&q, |_| {});
    assert_eq!(map.remove_owner(&p), 3);
    assert!(map.get("a").unwrap().is_empty());
    assert!(map.unregister(&kept));
    assert!(!map.unregister(&kept));
    assert!(map.unregister(&odd));
    // A handle of another hook (or map) removes nothing.
    let other = Action::<u8>::new("key[a]").tap(&q, |_| {});
    assert!(!map.unregister(&other));
}

#[derive(Default)]
struct Seen(Mutex<Vec<String>>);

impl Interceptor for Seen {
    fn on_call(&self, call: &CallInfo<'_>) {
        self.0.lock().unwrap().push(call.hook.to_string());
    }
}

#[test]
fn interceptors_watch_present_and_future_hooks() {
    let map = HookMap::<Action<u8>>::new("key");
    map.get_or_create("early").tap(urn("p"), |_| {});
    let seen = Arc::new(Seen::default());
    map.intercept(seen.clone());
    map.get_or_create("late").tap(urn("p"), |_| {});
    map.get_or_create("early").call(&1).unwrap();
    map.get_or_create("late").call(&1).unwrap();
    assert_eq!(*seen.0.lock().unwrap(), ["key[early]", "key[late]"]);
}

#[test]
fn concurrent_first_uses_make_one_hook() {
    let map = Arc::new(HookMap::<Filter<u32>>::new("m"));
    let hooks: Vec<_> = (0..4)
        .map(|_| {
            let map = map.clone();
            std::thread::spawn(move || map.get_or_create("k"))
        })
        .map(|t| t.join().unwrap())
        .collect();
    assert!(hooks.windows(2).all(|w| Arc::ptr_eq(&w[0], &w[1])));
    assert_eq!(map.len(), 1);
}
