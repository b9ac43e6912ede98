//! Dynamic plugins come from untrusted input: whatever its shape, a JSON
//! plugin set becomes a host or a guard error, never a panic.
#![cfg(feature = "serde")]

use plinth_core::RawPlugins;
use plinth_core::guard::is_numeric_like;
use proptest::prelude::*;
use serde_json::{Map, Value};

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i32>().prop_map(Value::from),
        "[a-z0-9 .e+-]{0,6}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[a-z0-9 .]{0,4}", inner), 0..5)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Plugin sets that are mostly well formed, so the guards (not only the
/// parser) see the odd cases: names differing from URNs, odd keys, nulls.
fn plugin_sets() -> impl Strategy<Value = Value> {
    let plugin = (
        "[a-c]{0,2}",
        prop::collection::vec(("[a-c0-9 ]{0,3}", json()), 0..3),
    )
        .prop_map(|(name, types)| {
            let entities: Map<String, Value> = types.into_iter().collect();
            serde_json::json!({ "name": name, "entities": entities })
        });
    prop::collection::vec(("[a-c]{0,2}", prop_oneof![plugin, json()]), 0..4)
        .prop_map(|ps| Value::Object(ps.into_iter().collect()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_json_plugin_set_is_a_host_or_an_error(set in plugin_sets()) {
        if let Ok(raw) = serde_json::from_value::<RawPlugins<Value>>(set)
            && let Ok(host) = raw.into_host() {
                // A host that was built is consistent with the guards.
                for (_, collection) in host.entities().iter() {
                    for key in collection.keys() {
                        let ok = key
                            .as_name()
                            .is_none_or(|n| !n.is_empty() && !is_numeric_like(n));
                        prop_assert!(ok, "key {:?}", key);
                    }
                    prop_assert_eq!(collection.flat().len(), collection.entity_count());
                }
            }
    }
}
