//! Runtime guards, rule by rule, with their edge cases.

use plinth_core::guard::{check_key, is_numeric_like};
use plinth_core::{
    DynamicPlugin, Entities, GuardError, Host, PluginUrn, RawPlugin, RawPlugins, RecordOr, Symbol,
};

fn urn(s: &str) -> PluginUrn {
    PluginUrn::new(s).unwrap()
}

#[test]
fn numeric_like_strings_follow_javascript_number() {
    let numeric = [
        "0",
        "123",
        "-1",
        "+1",
        "1.5",
        "1e3",
        "1E3",
        "1e+3",
        "1e-3",
        " 1 ",
        "\t7\n",
        "0x10",
        "0X1f",
        "0o17",
        "0b101",
        ".5",
        "5.",
        "-.5",
        "00",
        "1.5e10",
        "\u{a0}3\u{feff}",
        "\u{2028}4",
    ];
    for s in numeric {
        assert!(is_numeric_like(s), "{s:?} should be numeric-like");
    }
    let textual = [
        "",
        " ",
        "\t\n",
        "Infinity",
        "-Infinity",
        "+Infinity",
        "NaN",
        "foo",
        "1a",
        "a1",
        "1e",
        "e3",
        ".",
        "-",
        "+",
        "0x",
        "-0x10",
        "+0x10",
        "0x1g",
        "0b2",
        "0o8",
        "1_000",
        "1,5",
        "--1",
        "1e3.5",
        "inf",
        "infinity",
        "1e400",
        "-1e400",
        "\u{85}1",
    ];
    for s in textual {
        assert!(!is_numeric_like(s), "{s:?} should not be numeric-like");
    }
}

#[test]
fn keys_must_be_non_empty_and_not_numeric_like() {
    let p = urn("p");
    assert!(check_key(&p, "t".into(), "foo".into()).is_ok());
    assert!(check_key(&p, "t".into(), " ".into()).is_ok());
    assert!(check_key(&p, "t".into(), "Infinity".into()).is_ok());
    assert!(check_key(&p, "t".into(), "NaN".into()).is_ok());
    assert_eq!(
        check_key(&p, "t".into(), "".into()).unwrap_err(),
        GuardError::EmptyKey {
            plugin: p.clone(),
            entity_type: Some("t".into())
        }
    );
    for bad in ["0", "123", "-1", "1.5", "1e3", " 1 ", "0x10"] {
        assert_eq!(
            check_key(&p, "t".into(), bad.into()).unwrap_err(),
            GuardError::NumericKey {
                plugin: p.clone(),
                entity_type: Some("t".into()),
                key: bad.into()
            }
        );
    }
}

#[test]
fn symbols_always_pass_the_key_rules() {
    let p = urn("p");
    let s = Symbol::new("0");
    assert!(check_key(&p, "t".into(), (&s).into()).is_ok());
}

#[test]
fn any_string_is_an_entity_type_name() {
    // Only keys carry the non-empty, non-numeric-like rule; a type's name is
    // the collection's label and may be anything, the empty string included.
    for ty in ["", "42", " ", "1e3", "0x10"] {
        let host = Host::from_plugins([
            DynamicPlugin::new("p").with_type(ty, Entities::from([("k", 1u8)]))
        ])
        .unwrap();
        assert_eq!(host.entities().get(ty).unwrap().get("k"), [1], "{ty:?}");
    }
    let plugin = raw(
        Some("p"),
        Some(record(vec![("42", record(vec![("k", Some(1))]))])),
    )
    .check(&urn("p"))
    .unwrap();
    assert!(Host::from_plugins([plugin]).is_ok());
    // Keys keep their rules, whatever the type's name.
    let err =
        Host::from_plugins([DynamicPlugin::new("p").with_type("42", Entities::from([("7", 1u8)]))])
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"plugin "p", entity type "42": key "7" is numeric-like"#
    );
}

#[test]
fn the_host_rejects_bad_keys_naming_plugin_type_and_key() {
    let err = Host::from_plugins([
        DynamicPlugin::new("a").with_type("assets", Entities::from([("ok", 1)])),
        DynamicPlugin::new("b").with_type("assets", Entities::from([("ok", 1), ("1e3", 2)])),
    ])
    .unwrap_err();
    assert_eq!(
        err,
        GuardError::NumericKey {
            plugin: urn("b"),
            entity_type: Some("assets".into()),
            key: "1e3".into()
        }
    );
    let err =
        Host::from_plugins(
            [DynamicPlugin::new("a").with_type("assets", Entities::from([("", 1)]))],
        )
        .unwrap_err();
    assert!(matches!(err, GuardError::EmptyKey { .. }));
}

fn raw(name: Option<&str>, entities: Option<RecordOr<RecordOr<Option<u8>>>>) -> RawPlugin<u8> {
    RawPlugin {
        name: name.map(str::to_owned),
        entities,
    }
}

fn record<T>(entries: Vec<(&str, T)>) -> RecordOr<T> {
    RecordOr::Record(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

#[test]
fn raw_plugins_missing_values_are_rejected() {
    let r = raw(
        Some("p"),
        Some(record(vec![(
            "assets",
            record(vec![("a", Some(1)), ("b", None)]),
        )])),
    );
    assert_eq!(
        r.check(&urn("p")).unwrap_err(),
        GuardError::MissingValue {
            plugin: urn("p"),
            entity_type: "assets".into(),
            key: "b".into()
        }
    );
}

#[test]
fn raw_plugins_need_a_matching_name_and_an_entities_record() {
    let err = raw(None, Some(record(vec![])))
        .check(&urn("p"))
        .unwrap_err();
    assert_eq!(err, GuardError::MissingName { plugin: urn("p") });
    assert_eq!(
        err.to_string(),
        r#"plugin "p": missing `name` field (it must equal the URN)"#
    );
    assert!(matches!(
        raw(Some(""), Some(record(vec![]))).check(&urn("p")).unwrap_err(),
        GuardError::NameMismatch { name, .. } if name.is_empty()
    ));
    assert_eq!(
        raw(Some("p"), None).check(&urn("p")).unwrap_err(),
        GuardError::MissingEntities { plugin: urn("p") }
    );
    assert_eq!(
        raw(Some("p"), Some(RecordOr::Other("array")))
            .check(&urn("p"))
            .unwrap_err(),
        GuardError::NotARecord {
            plugin: urn("p"),
            entity_type: None,
            found: "array"
        }
    );
    assert_eq!(
        raw(
            Some("p"),
            Some(record(vec![("assets", RecordOr::Other("string"))]))
        )
        .check(&urn("p"))
        .unwrap_err(),
        GuardError::NotARecord {
            plugin: urn("p"),
            entity_type: Some("assets".into()),
            found: "string"
        }
    );
}

#[test]
fn raw_plugins_with_an_empty_entities_record_are_valid() {
    let plugin = raw(Some("p"), Some(record(vec![])))
        .check(&urn("p"))
        .unwrap();
    let host = Host::from_plugins([plugin]).unwrap();
    assert!(host.entities().is_empty());
}

#[test]
fn raw_plugin_sets_check_type_presence_across_plugins() {
    let set = RawPlugins(vec![
        (
            "a".into(),
            raw(
                Some("a"),
                Some(record(vec![("assets", record(vec![("x", Some(1))]))])),
            ),
        ),
        ("b".into(), raw(Some("b"), Some(record(vec![])))),
    ]);
    assert!(matches!(
        set.into_host().unwrap_err(),
        GuardError::MissingEntityType { plugin, .. } if plugin == "b"
    ));
}

#[test]
fn duplicate_keys_in_raw_input_keep_the_last_value_at_the_first_position() {
    let plugin = raw(
        Some("p"),
        Some(record(vec![(
            "t",
            record(vec![("a", Some(1)), ("b", Some(2)), ("a", Some(3))]),
        )])),
    )
    .check(&urn("p"))
    .unwrap();
    let host = Host::from_plugins([plugin]).unwrap();
    let t = host.entities().get("t").unwrap();
    let keys: Vec<_> = t.keys().map(ToString::to_string).collect();
    assert_eq!(keys, ["a", "b"]);
    assert_eq!(t.get("a"), [3]);
}
