//! Property tests: `flat()` is exactly the plugins' entries, grouped by key
//! in first-seen order, each with its own plugin's URN.

use std::collections::HashMap;

use plinth_core::{DynamicPlugin, Entities, Host};
use proptest::prelude::*;

// Small key alphabet so that plugins share keys often.
fn key() -> impl Strategy<Value = String> {
    "[a-e]{1,2}"
}

fn plugins() -> impl Strategy<Value = Vec<Vec<(String, u32)>>> {
    prop::collection::vec(prop::collection::vec((key(), any::<u32>()), 0..8), 0..8)
}

/// Each plugin's map as `Entities` builds it: last value wins, first position kept.
fn dedup(entries: &[(String, u32)]) -> Vec<(String, u32)> {
    let mut out: Vec<(String, u32)> = Vec::new();
    for (k, v) in entries {
        match out.iter_mut().find(|(ok, _)| ok == k) {
            Some(slot) => slot.1 = *v,
            None => out.push((k.clone(), *v)),
        }
    }
    out
}

proptest! {
    #[test]
    fn flat_is_every_entry_grouped_by_first_seen_key(raw in plugins()) {
        let maps: Vec<Vec<(String, u32)>> = raw.iter().map(|e| dedup(e)).collect();
        let host = Host::from_plugins(maps.iter().enumerate().map(|(i, entries)| {
            DynamicPlugin::new(format!("p{i}"))
                .with_type("t", entries.iter().cloned().collect::<Entities<u32>>())
        }))
        .unwrap();
        let Some(t) = host.entities().get("t") else {
            prop_assert!(maps.is_empty());
            return Ok(());
        };
        let flat = t.flat();

        // Exactly the sum of the inner map sizes.
        prop_assert_eq!(flat.len(), maps.iter().map(Vec::len).sum::<usize>());

        // The model: keys in first-seen order, then plugin order within a key.
        let mut order: Vec<&String> = Vec::new();
        let mut groups: HashMap<&String, Vec<(u32, String)>> = HashMap::new();
        for (i, entries) in maps.iter().enumerate() {
            for (k, v) in entries {
                if !groups.contains_key(k) {
                    order.push(k);
                }
                groups.entry(k).or_default().push((*v, format!("p{i}")));
            }
        }
        let expected: Vec<(u32, String, String)> = order
            .iter()
            .flat_map(|k| groups[k].iter().map(move |(v, p)| (*v, (*k).clone(), p.clone())))
            .collect();
        let got: Vec<(u32, String, String)> = flat
            .iter()
            .map(|(v, k, p)| (**v, k.to_string(), p.to_string()))
            .collect();
        prop_assert_eq!(got, expected);

        // Every entity carries its own plugin's URN.
        for (v, k, p) in &flat {
            let i: usize = p.as_str()[1..].parse().unwrap();
            prop_assert!(maps[i].iter().any(|(mk, mv)| **k == mk.as_str() && mv == *v));
        }
        prop_assert_eq!(t.len(), order.len());
    }
}
