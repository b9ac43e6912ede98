//! Raw plugins parsed from JSON (feature `serde`), then guarded.
#![cfg(feature = "serde")]

use plinth_core::{GuardError, PluginUrn, RawPlugin, RawPlugins};
use serde_json::Value;

#[test]
fn a_plugin_set_from_json_keeps_input_order() {
    let raw: RawPlugins<Value> = serde_json::from_str(
        r#"{
            "b": { "name": "b", "description": "ignored", "entities": { "assets": { "z": 1, "a": 2 } } },
            "a": { "name": "a", "entities": { "assets": { "a": { "nested": [1, 2] } } } }
        }"#,
    )
    .unwrap();
    let host = raw.into_host().unwrap();
    let urns: Vec<_> = host
        .plugins()
        .urns()
        .iter()
        .map(PluginUrn::as_str)
        .collect();
    assert_eq!(urns, ["b", "a"]);
    let assets = host.entities().get("assets").unwrap();
    let keys: Vec<_> = assets.keys().map(ToString::to_string).collect();
    assert_eq!(keys, ["z", "a"]);
    assert_eq!(
        assets.get("a"),
        [Value::from(2), serde_json::json!({ "nested": [1, 2] })]
    );
}

#[test]
fn null_is_a_missing_value() {
    let raw: RawPlugin<Value> =
        serde_json::from_str(r#"{ "name": "p", "entities": { "assets": { "x": null } } }"#)
            .unwrap();
    let err = raw.check(&PluginUrn::new("p").unwrap()).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"plugin "p", entity type "assets": key "x" has no value"#
    );
}

#[test]
fn shapes_that_are_not_records_are_named() {
    let urn = PluginUrn::new("p").unwrap();
    for (json, found, typed) in [
        (r#"{ "name": "p", "entities": [] }"#, "array", false),
        (
            r#"{ "name": "p", "entities": { "assets": "no" } }"#,
            "string",
            true,
        ),
        (
            r#"{ "name": "p", "entities": { "assets": 3 } }"#,
            "number",
            true,
        ),
        (
            r#"{ "name": "p", "entities": { "assets": null } }"#,
            "null",
            true,
        ),
    ] {
        let raw: RawPlugin<Value> = serde_json::from_str(json).unwrap();
        match raw.check(&urn).unwrap_err() {
            GuardError::NotARecord {
                found: f,
                entity_type,
                ..
            } => {
                assert_eq!(f, found, "{json}");
                assert_eq!(entity_type.is_some(), typed, "{json}");
            }
            other => panic!("{json}: unexpected {other}"),
        }
    }
    let raw: RawPlugin<Value> = serde_json::from_str(r#"{ "name": "p" }"#).unwrap();
    assert!(matches!(
        raw.check(&urn).unwrap_err(),
        GuardError::MissingEntities { .. }
    ));
}

#[test]
fn numeric_like_keys_from_json_are_rejected() {
    let raw: RawPlugins<Value> =
        serde_json::from_str(r#"{ "p": { "name": "p", "entities": { "t": { "0x10": 1 } } } }"#)
            .unwrap();
    assert_eq!(
        raw.into_host().unwrap_err().to_string(),
        r#"plugin "p", entity type "t": key "0x10" is numeric-like"#
    );
}

#[test]
fn a_plugin_without_a_name_is_reported_as_missing_its_name() {
    let raw: RawPlugins<Value> = serde_json::from_str(r#"{ "p": { "entities": {} } }"#).unwrap();
    let err = raw.into_host().unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"plugin "p": missing `name` field (it must equal the URN)"#
    );
}

#[test]
fn a_plugin_that_is_not_a_record_is_named_by_its_urn() {
    for (json, found) in [
        (
            r#"{ "ok": { "name": "ok", "entities": {} }, "p": 5 }"#,
            "number",
        ),
        (r#"{ "p": [] }"#, "array"),
        (r#"{ "p": "x" }"#, "string"),
        (r#"{ "p": null }"#, "null"),
    ] {
        let err = serde_json::from_str::<RawPlugins<Value>>(json).unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.starts_with(&format!(
                r#"plugin "p": expected a record with `name` and `entities`, found {found}"#
            )),
            "{json}: {shown}"
        );
    }
}
