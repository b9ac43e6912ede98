//! The host, case by case (the specification's host suite).

use std::sync::Arc;

use plinth_core::{DynamicPlugin, Entities, EntityKey, GuardError, Host, Plugin, Symbol};
use plinth_macros::EntitySchema;

#[test]
fn empty_host_has_no_plugins_and_no_types() {
    let host = Host::<DynamicPlugin<u8>>::new(Vec::<(&str, _)>::new()).unwrap();
    assert!(host.plugins().is_empty());
    assert!(host.entities().is_empty());
}

#[test]
fn name_differing_from_urn_is_rejected() {
    let err = Host::new([("a", DynamicPlugin::<u8>::new("b"))]).unwrap_err();
    assert_eq!(
        err,
        GuardError::NameMismatch {
            urn: "a".try_into().unwrap(),
            name: "b".into()
        }
    );
}

#[test]
fn empty_urn_and_duplicate_urns_are_rejected() {
    let err = Host::new([("", DynamicPlugin::<u8>::new(""))]).unwrap_err();
    assert_eq!(err, GuardError::EmptyUrn);
    let err =
        Host::from_plugins([DynamicPlugin::<u8>::new("a"), DynamicPlugin::new("a")]).unwrap_err();
    assert!(matches!(err, GuardError::DuplicatePlugin { urn } if urn == "a"));
}

#[test]
fn missing_named_entity_type_names_plugin_and_type() {
    let a = DynamicPlugin::new("a")
        .with_type("assets", Entities::from([("x", 1)]))
        .with_type("commands", Entities::new());
    let b = DynamicPlugin::new("b").with_type("assets", Entities::new());
    let err = Host::from_plugins([a, b]).unwrap_err();
    assert_eq!(
        err,
        GuardError::MissingEntityType {
            plugin: "b".try_into().unwrap(),
            entity_type: "commands".into()
        }
    );
}

#[test]
fn missing_type_declared_only_by_a_later_plugin_names_the_earlier_one() {
    let a = DynamicPlugin::new("a").with_type("assets", Entities::<u8>::new());
    let b = DynamicPlugin::new("b")
        .with_type("assets", Entities::new())
        .with_type("on", Entities::new());
    let err = Host::from_plugins([a, b]).unwrap_err();
    assert!(
        matches!(&err, GuardError::MissingEntityType { plugin, entity_type } if plugin == "a" && entity_type == "on"),
        "{err}"
    );
}

#[test]
fn missing_symbol_entity_type_is_rejected() {
    let hidden = Symbol::new("hidden");
    let a = DynamicPlugin::new("a").with_type(&hidden, Entities::from([("x", 1)]));
    let b = DynamicPlugin::new("b");
    let err = Host::from_plugins([a, b]).unwrap_err();
    assert_eq!(
        err,
        GuardError::MissingEntityType {
            plugin: "b".try_into().unwrap(),
            entity_type: EntityKey::Symbol(hidden)
        }
    );
    assert_eq!(
        err.to_string(),
        r#"plugin "b": missing entity type "Symbol(hidden)" (use an empty map for none)"#
    );
}

#[test]
fn symbol_entity_type_present_everywhere_is_collected() {
    let hidden = Symbol::new("hidden");
    let host = Host::from_plugins([
        DynamicPlugin::new("a").with_type(&hidden, Entities::from([("x", 1)])),
        DynamicPlugin::new("b").with_type(&hidden, Entities::from([("x", 2)])),
    ])
    .unwrap();
    assert_eq!(host.entities().get(&hidden).unwrap().get("x"), [1, 2]);
    assert!(host.entities().get("hidden").is_none());
}

#[test]
fn plugins_with_empty_entities_records_are_fine() {
    let host =
        Host::from_plugins([DynamicPlugin::<u8>::new("a"), DynamicPlugin::new("b")]).unwrap();
    assert_eq!(host.plugins().len(), 2);
    assert_eq!(host.entities().len(), 0);
}

#[test]
fn an_empty_entities_record_beside_a_populated_one_is_a_missing_type() {
    let err = Host::from_plugins([
        DynamicPlugin::new("a").with_type("assets", Entities::from([("x", 1)])),
        DynamicPlugin::new("b"),
    ])
    .unwrap_err();
    assert!(matches!(err, GuardError::MissingEntityType { plugin, .. } if plugin == "b"));
}

#[test]
fn duplicates_are_kept_with_provenance() {
    let host = Host::from_plugins([
        DynamicPlugin::new("a").with_type("commands", Entities::from([("run", "A")])),
        DynamicPlugin::new("b").with_type("commands", Entities::from([("run", "B")])),
    ])
    .unwrap();
    let commands = host.entities().get("commands").unwrap();
    let all: Vec<_> = commands
        .iter()
        .map(|(v, k, p)| (*v, k.to_string(), p.to_string()))
        .collect();
    assert_eq!(
        all,
        [
            ("A", "run".into(), "a".into()),
            ("B", "run".into(), "b".into())
        ]
    );
}

#[test]
fn overlapping_and_disjoint_entity_types() {
    let host = Host::from_plugins([
        DynamicPlugin::new("a")
            .with_type("assets", Entities::from([("x", 1)]))
            .with_type("commands", Entities::new()),
        DynamicPlugin::new("b")
            .with_type("commands", Entities::from([("c", 2)]))
            .with_type("assets", Entities::from([("y", 3)])),
    ])
    .unwrap();
    let types: Vec<_> = host.entities().entity_types().cloned().collect();
    assert_eq!(
        types,
        [EntityKey::from("assets"), EntityKey::from("commands")]
    );
    assert_eq!(host.entities().get("assets").unwrap().len(), 2);
    assert_eq!(host.entities().get("commands").unwrap().get("c"), [2]);

    // Disjoint types: each plugin lacks the other's, so the host refuses.
    let err = Host::from_plugins([
        DynamicPlugin::new("a").with_type("assets", Entities::from([("x", 1)])),
        DynamicPlugin::new("b").with_type("commands", Entities::from([("c", 2)])),
    ])
    .unwrap_err();
    assert!(matches!(err, GuardError::MissingEntityType { .. }));
}

#[test]
fn complex_values_are_returned_as_they_are() {
    let shared: Arc<dyn Fn(u32) -> u32 + Send + Sync> = Arc::new(|x| x * 2);
    let host =
        Host::from_plugins([DynamicPlugin::new("a")
            .with_type("commands", Entities::from([("double", shared.clone())]))])
        .unwrap();
    let got = &host.entities().get("commands").unwrap().get("double")[0];
    assert!(Arc::ptr_eq(got, &shared), "the very same value, not a copy");
    assert_eq!(got(21), 42);
}

#[test]
fn host_is_built_eagerly_and_ignores_later_changes_to_inputs() {
    let mut plugin = DynamicPlugin::new("a").with_type("assets", Entities::from([("x", 1)]));
    let host = Host::from_plugins([plugin.clone()]).unwrap();
    plugin
        .entities_mut()
        .insert("assets", Entities::from([("x", 99), ("y", 2)]));
    let assets = host.entities().get("assets").unwrap();
    assert_eq!(assets.get("x"), [1]);
    assert!(assets.get("y").is_empty());
    assert_eq!(
        host.plugins()
            .get("a")
            .unwrap()
            .entities()
            .get("assets")
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn plugins_keep_registration_order_and_are_found_by_urn() {
    let host = Host::new([
        ("z", DynamicPlugin::<u8>::new("z")),
        ("a", DynamicPlugin::new("a")),
    ])
    .unwrap();
    let urns: Vec<_> = host.plugins().urns().iter().map(|u| u.as_str()).collect();
    assert_eq!(urns, ["z", "a"]);
    assert_eq!(host.plugins().get("a").unwrap().name(), "a");
    assert!(host.plugins().get("b").is_none());
}

// The typed path: a derived schema.

#[derive(EntitySchema)]
struct Typed {
    assets: Entities<String>,
    weights: Entities<u32>,
    r#type: Entities<bool>,
}

struct T {
    name: &'static str,
    entities: Typed,
}

impl Plugin for T {
    type Entities = Typed;
    fn name(&self) -> &str {
        self.name
    }
    fn entities(&self) -> &Typed {
        &self.entities
    }
}

fn typed(name: &'static str, asset: &str, weight: u32) -> T {
    T {
        name,
        entities: Typed {
            assets: Entities::from([("logo", asset.to_string())]),
            weights: Entities::from([(name, weight)]),
            r#type: Entities::new(),
        },
    }
}

#[test]
fn typed_collections_have_the_schemas_value_types() {
    let host = Host::from_plugins([typed("a", "a.svg", 1), typed("b", "b.svg", 2)]).unwrap();
    let logos: &[String] = host.entities().assets.get("logo");
    assert_eq!(logos, ["a.svg", "b.svg"]);
    let weight: &[u32] = host.entities().weights.get("b");
    assert_eq!(weight, [2]);
    assert!(host.entities().r#type.is_empty());
}

/// `unwrap_err` without requiring `Debug` of the host (closures are not `Debug`).
fn expect_err<T>(result: Result<T, GuardError>) -> GuardError {
    match result {
        Ok(_) => panic!("expected a guard error"),
        Err(e) => e,
    }
}

#[test]
fn typed_path_still_checks_keys_and_names() {
    let err = expect_err(Host::from_plugins([typed("a", "x", 1), typed("5", "y", 2)]));
    assert_eq!(
        err.to_string(),
        r#"plugin "5", entity type "weights": key "5" is numeric-like"#
    );
    let err = expect_err(Host::new([("other", typed("a", "x", 1))]));
    assert!(matches!(err, GuardError::NameMismatch { .. }));
}

#[test]
fn trait_objects_and_smart_pointers_are_plugins() {
    let host =
        Host::from_plugins([Arc::new(typed("a", "x", 1)), Arc::new(typed("b", "y", 2))]).unwrap();
    assert_eq!(host.entities().assets.get("logo"), ["x", "y"]);
}
