//! `order` against the quadratic algorithm it replaced (kept here as the
//! reference model), and a count of its work as the list grows.

use std::cell::Cell;
use std::collections::HashMap;
use std::sync::Arc;

use plinth_core::PluginUrn;
use proptest::prelude::*;

use super::order;
use crate::tap::{Meta, Slot, Tap};

thread_local! {
    /// Work done by `order` on this thread: heap comparisons, edges added
    /// and followed, slots examined.
    pub(super) static STEPS: Cell<u64> = const { Cell::new(0) };
}

/// The first algorithm, unchanged: at each step, scan every slot in rank
/// order for the first free one. Quadratic, and the definition of the
/// order `order` must keep.
fn reference_order<C>(mut slots: Vec<Slot<C>>) -> Vec<Slot<C>> {
    slots.sort_by_key(|s| (s.meta.priority, s.meta.id));
    if slots
        .iter()
        .all(|s| s.meta.before.is_empty() && s.meta.after.is_empty())
    {
        return slots;
    }

    let n = slots.len();
    let mut by_name: HashMap<&str, Vec<usize>> = HashMap::new();
    for (i, s) in slots.iter().enumerate() {
        if let Some(name) = &s.meta.name {
            by_name.entry(name).or_default().push(i);
        }
    }
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut waiting = vec![0usize; n];
    let mut edge = |from: usize, to: usize| {
        if from != to {
            successors[from].push(to);
            waiting[to] += 1;
        }
    };
    for (i, s) in slots.iter().enumerate() {
        let targets = |names: &[Arc<str>]| -> Vec<usize> {
            names
                .iter()
                .flat_map(|name| by_name.get(&**name).into_iter().flatten().copied())
                .collect()
        };
        for j in targets(&s.meta.before) {
            edge(i, j);
        }
        for j in targets(&s.meta.after) {
            edge(j, i);
        }
    }

    let mut placed = vec![false; n];
    let mut sequence = Vec::with_capacity(n);
    for _ in 0..n {
        let next = (0..n)
            .find(|&i| !placed[i] && waiting[i] == 0)
            .unwrap_or_else(|| (0..n).find(|&i| !placed[i]).unwrap_or(0));
        placed[next] = true;
        sequence.push(next);
        for &j in &successors[next] {
            waiting[j] = waiting[j].saturating_sub(1);
        }
    }

    let mut slots: Vec<Option<Slot<C>>> = slots.into_iter().map(Some).collect();
    sequence
        .into_iter()
        .filter_map(|i| slots[i].take())
        .collect()
}

fn slot(tap: Tap) -> Slot<()> {
    Slot {
        callback: (),
        meta: Arc::new(Meta::from_tap(tap)),
    }
}

fn ids(slots: &[Slot<()>]) -> Vec<u64> {
    slots.iter().map(|s| s.meta.id).collect()
}

fn owner() -> PluginUrn {
    PluginUrn::new("p").expect("non-empty")
}

/// `n` registrations as a plugin set might make them: each named, at one
/// of five priorities, after an earlier one (a tree of constraints), and
/// every 50th also before its parent, which closes a cycle to break.
fn constrained(n: u32) -> Vec<Slot<()>> {
    (0..n)
        .map(|i| {
            let parent = format!("t{}", i / 2);
            let mut tap = Tap::new(owner())
                .name(format!("t{i}"))
                .priority((i % 5) as i32)
                .after(parent.clone());
            if i % 50 == 49 {
                tap = tap.before(parent);
            }
            slot(tap)
        })
        .collect()
}

/// The work `order` does on `slots`, and a check that it kept the order.
fn steps(slots: Vec<Slot<()>>) -> u64 {
    let expected = ids(&reference_order(slots.clone()));
    STEPS.with(|s| s.set(0));
    let ordered = order(slots);
    let steps = STEPS.with(Cell::get);
    assert_eq!(ids(&ordered), expected);
    steps
}

#[test]
fn work_grows_near_linearly_with_constrained_registrations() {
    let small = steps(constrained(2_000));
    let large = steps(constrained(4_000));
    let ratio = large as f64 / small as f64;
    // Quadratic work would double the ratio to 4; n log n gives about 2.2.
    assert!(
        ratio < 2.5,
        "2,000 -> {small} steps, 4,000 -> {large} steps: {ratio:.2}x"
    );
}

#[test]
fn constrained_order_matches_the_reference_on_a_known_case() {
    let slots = constrained(300);
    assert_eq!(ids(&order(slots.clone())), ids(&reference_order(slots)));
}

/// A registration drawn from a small pool of names, so that names repeat,
/// constraints hit several slots, name unknown ones, and form cycles.
fn arbitrary_tap() -> impl Strategy<Value = Tap> {
    let name = || prop::sample::select(vec!["a", "b", "c", "d", "e", "f", "ghost"]);
    (
        prop::option::of(name()),
        -2i32..3,
        prop::collection::vec(name(), 0..3),
        prop::collection::vec(name(), 0..3),
    )
        .prop_map(|(label, priority, before, after)| {
            let mut tap = Tap::new(owner()).priority(priority);
            if let Some(label) = label {
                tap = tap.name(label);
            }
            for name in before {
                tap = tap.before(name);
            }
            for name in after {
                tap = tap.after(name);
            }
            tap
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn order_equals_the_reference_model(
        taps in prop::collection::vec(arbitrary_tap(), 0..40),
        rotate in 0usize..40,
    ) {
        let mut slots: Vec<Slot<()>> = taps.into_iter().map(slot).collect();
        // The input order must not matter: snapshots hand over any order.
        if !slots.is_empty() {
            let k = rotate % slots.len();
            slots.rotate_left(k);
        }
        prop_assert_eq!(ids(&order(slots.clone())), ids(&reference_order(slots)));
    }
}
