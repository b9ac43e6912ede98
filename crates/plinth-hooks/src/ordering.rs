//! Orders registrations: by priority then registration order, adjusted by
//! `before` / `after` constraints.
//!
//! This runs on registration only (dispatch reads the ordered snapshot), so
//! a quadratic topological sort over a few hundred callbacks is cheap.

use std::collections::HashMap;

use crate::tap::{Meta, Slot};

/// Returns the slots in dispatch order.
///
/// Among the callbacks whose constraints are satisfied, the one with the
/// lowest `(priority, registration order)` goes next. Constraints that form
/// a cycle cannot all hold: the cycle is broken at its lowest
/// `(priority, order)` member, whose unmet constraints are ignored (and
/// logged), so ordering never fails and stays deterministic.
pub(crate) fn order<C>(mut slots: Vec<Slot<C>>) -> Vec<Slot<C>> {
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
    // successors[i]: the slots that must wait for slot i.
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut waiting = vec![0usize; n];
    let mut edge = |from: usize, to: usize| {
        if from != to {
            successors[from].push(to);
            waiting[to] += 1;
        }
    };
    for (i, s) in slots.iter().enumerate() {
        let targets = |names: &[std::sync::Arc<str>]| -> Vec<usize> {
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
        // Slots are sorted by rank, so the first free one is the best.
        let next = (0..n)
            .find(|&i| !placed[i] && waiting[i] == 0)
            .unwrap_or_else(|| {
                let i = (0..n).find(|&i| !placed[i]).unwrap_or(0);
                warn_cycle(&slots[i].meta);
                i
            });
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

fn warn_cycle(meta: &Meta) {
    tracing::warn!(
        owner = %meta.owner,
        name = meta.name.as_deref().unwrap_or(""),
        "before/after constraints form a cycle; ignoring the unmet ones of this callback"
    );
}
