//! Entity collections, case by case (the specification's collection suite).

use plinth_core::{DynamicPlugin, Entities, EntityKey, Host, Symbol};

type P = DynamicPlugin<&'static str>;

fn plugin(name: &str, assets: Entities<&'static str>) -> P {
    DynamicPlugin::new(name).with_type("assets", assets)
}

fn host(plugins: Vec<P>) -> Host<P> {
    Host::from_plugins(plugins).expect("valid plugins")
}

fn keys_of(host: &Host<P>) -> Vec<String> {
    host.entities()
        .get("assets")
        .unwrap()
        .keys()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn empty_collection_has_nothing() {
    let host = host(vec![plugin("a", Entities::new())]);
    let assets = host.entities().get("assets").unwrap();
    assert_eq!(assets.len(), 0);
    assert!(assets.is_empty());
    assert_eq!(assets.keys().count(), 0);
    assert_eq!(assets.values().count(), 0);
    assert_eq!(assets.entries().count(), 0);
    assert!(assets.flat().is_empty());
    assert!(assets.iter().next().is_none());
    assert!(assets.get("anything").is_empty());
}

#[test]
fn single_plugin_keeps_its_entries() {
    let host = host(vec![plugin(
        "a",
        Entities::from([("foo", "F"), ("bar", "B")]),
    )]);
    let assets = host.entities().get("assets").unwrap();
    assert_eq!(assets.len(), 2);
    assert_eq!(assets.get("foo"), ["F"]);
    assert_eq!(assets.get("bar"), ["B"]);
    let flat: Vec<_> = assets
        .flat()
        .into_iter()
        .map(|(v, k, p)| (*v, k.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        flat,
        [
            ("F", "foo".to_string(), "a".to_string()),
            ("B", "bar".to_string(), "a".to_string())
        ]
    );
}

#[test]
fn shared_keys_collect_every_plugin_in_plugin_order() {
    let host = host(vec![
        plugin("a", Entities::from([("dup", "A")])),
        plugin("b", Entities::from([("dup", "B")])),
        plugin("c", Entities::from([("dup", "C")])),
    ]);
    let assets = host.entities().get("assets").unwrap();
    assert_eq!(assets.len(), 1);
    assert_eq!(assets.get("dup"), ["A", "B", "C"]);
    assert_eq!(assets.entity_count(), 3);
}

#[test]
fn unknown_key_is_an_empty_slice() {
    let host = host(vec![plugin("a", Entities::from([("foo", "F")]))]);
    let assets = host.entities().get("assets").unwrap();
    assert!(assets.get("bar").is_empty());
    assert!(assets.get(&Symbol::new("foo")).is_empty());
    assert!(!assets.contains_key("bar"));
    assert!(assets.contains_key("foo"));
}

#[test]
fn keys_are_in_first_seen_order_across_plugins() {
    let host = host(vec![
        plugin("a", Entities::from([("x", "1"), ("y", "2")])),
        plugin("b", Entities::from([("z", "3"), ("x", "4"), ("w", "5")])),
        plugin("c", Entities::from([("w", "6"), ("y", "7")])),
    ]);
    assert_eq!(keys_of(&host), ["x", "y", "z", "w"]);
    let assets = host.entities().get("assets").unwrap();
    let flat: Vec<_> = assets.iter().map(|(v, _, _)| *v).collect();
    // Grouped by key, plugin order within a key.
    assert_eq!(flat, ["1", "4", "2", "7", "3", "5", "6"]);
}

#[test]
fn provenance_names_the_providing_plugin() {
    let host = host(vec![
        plugin("a", Entities::from([("k", "A"), ("only-a", "a")])),
        plugin("b", Entities::from([("k", "B")])),
    ]);
    let assets = host.entities().get("assets").unwrap();
    let attributed: Vec<_> = assets
        .get_attributed("k")
        .map(|(v, p)| (*v, p.as_str()))
        .collect();
    assert_eq!(attributed, [("A", "a"), ("B", "b")]);
    for (value, key, urn) in assets {
        let expected = if *value == "B" { "b" } else { "a" };
        assert_eq!(urn.as_str(), expected, "{key}");
    }
}

#[test]
fn symbol_keys_are_kept_apart_from_names_with_the_same_description() {
    let s = Symbol::new("foo");
    let host = host(vec![plugin(
        "a",
        Entities::new().with(&s, "sym").with("foo", "name"),
    )]);
    let assets = host.entities().get("assets").unwrap();
    assert_eq!(assets.len(), 2);
    assert_eq!(assets.get(&s), ["sym"]);
    assert_eq!(assets.get("foo"), ["name"]);
    assert!(assets.get(&Symbol::new("foo")).is_empty());
}

#[test]
fn a_shared_symbol_groups_values_across_plugins() {
    let s = Symbol::new("shared");
    let host = host(vec![
        plugin("a", Entities::new().with(&s, "A")),
        plugin("b", Entities::new().with(&s, "B")),
    ]);
    let assets = host.entities().get("assets").unwrap();
    assert_eq!(assets.len(), 1);
    assert_eq!(assets.get(&s), ["A", "B"]);
    assert_eq!(assets.keys().next(), Some(&EntityKey::Symbol(s)));
}

#[test]
fn within_a_plugin_names_come_before_symbols() {
    let s1 = Symbol::new("s1");
    let s2 = Symbol::new("s2");
    let host = host(vec![
        plugin(
            "a",
            Entities::new()
                .with(&s1, "s1")
                .with("n1", "n1")
                .with(&s2, "s2")
                .with("n2", "n2"),
        ),
        plugin("b", Entities::new().with(&s2, "s2b").with("n3", "n3")),
    ]);
    assert_eq!(
        keys_of(&host),
        ["n1", "n2", "Symbol(s1)", "Symbol(s2)", "n3"]
    );
    let assets = host.entities().get("assets").unwrap();
    assert_eq!(assets.get(&s2), ["s2", "s2b"]);
}

#[test]
fn len_keys_values_entries_are_aligned() {
    let s = Symbol::new("s");
    let host = host(vec![
        plugin("a", Entities::new().with("x", "1").with(&s, "2")),
        plugin("b", Entities::new().with("y", "3").with("x", "4")),
    ]);
    let assets = host.entities().get("assets").unwrap();
    let keys: Vec<_> = assets.keys().cloned().collect();
    let values: Vec<_> = assets.values().collect();
    let entries: Vec<_> = assets.entries().collect();
    assert_eq!(assets.len(), keys.len());
    assert_eq!(assets.len(), values.len());
    assert_eq!(assets.len(), entries.len());
    for (i, (k, vs)) in entries.iter().enumerate() {
        assert_eq!(*k, &keys[i]);
        assert_eq!(*vs, values[i]);
        assert_eq!(assets.get(*k), *vs);
    }
    // `s` (plugin a) is seen before `y` (plugin b).
    assert_eq!(values, [&["1", "4"][..], &["2"][..], &["3"][..]]);
}

#[test]
fn map_and_flat_map_follow_collection_order() {
    let host = host(vec![
        plugin("a", Entities::from([("x", "1"), ("y", "2")])),
        plugin("b", Entities::from([("x", "3")])),
    ]);
    let assets = host.entities().get("assets").unwrap();
    assert_eq!(
        assets.map(|vs, k| format!("{k}={}", vs.join("+"))),
        ["x=1+3", "y=2"]
    );
    assert_eq!(
        assets.flat_map(|v, k, p| format!("{p}:{k}:{v}")),
        ["a:x:1", "b:x:3", "a:y:2"]
    );
}

#[test]
fn get_borrows_without_copying() {
    let host = host(vec![plugin("a", Entities::from([("x", "1")]))]);
    let assets = host.entities().get("assets").unwrap();
    let first = assets.get("x").as_ptr();
    assert_eq!(
        first,
        assets.get("x").as_ptr(),
        "same storage on every call"
    );
}
