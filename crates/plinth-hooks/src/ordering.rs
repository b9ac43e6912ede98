//! Orders registrations: by priority then registration order, adjusted by
//! `before` / `after` constraints.
//!
//! This runs on every registration and removal, over the hook's whole list,
//! so it must stay near-linear: a plugin set may put thousands of
//! constrained callbacks on one hook, and re-ordering them one by one with
//! a quadratic sort made each registration cost milliseconds.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use crate::tap::{Meta, Slot};

/// Returns the slots in dispatch order.
///
/// Among the callbacks whose constraints are satisfied, the one with the
/// lowest `(priority, registration order)` goes next. When constraints form
/// a cycle, none of the callbacks left is free: the lowest `(priority,
/// order)` of them goes next, its unmet constraints ignored (and logged),
/// so ordering never fails and stays deterministic.
///
/// O((n + e) log n) for n slots and e constraint edges: names map to
/// slots once, and the free callbacks wait in a heap keyed by rank.
pub(crate) fn order<C>(mut slots: Vec<Slot<C>>) -> Vec<Slot<C>> {
    slots.sort_by_key(|s| (s.meta.priority, s.meta.id));
    if slots
        .iter()
        .all(|s| s.meta.before.is_empty() && s.meta.after.is_empty())
    {
        return slots;
    }

    // From here on a slot is known by its rank: its index in sorted order.
    let n = slots.len();
    // The slots of one name, as a chain: `first[name]`, then `next_named`
    // (`NONE` ends it), so that no name needs a list of its own.
    let mut first: HashMap<&str, usize> = HashMap::with_capacity(n);
    let mut next_named = vec![NONE; n];
    for i in (0..n).rev() {
        if let Some(name) = &slots[i].meta.name
            && let Some(head) = first.insert(name, i)
        {
            next_named[i] = head;
        }
    }
    let next_named = &next_named;
    let first = &first;
    let named = |name: &Arc<str>| {
        let mut at = first.get(&**name).copied().unwrap_or(NONE);
        std::iter::from_fn(move || {
            let i = at;
            (i != NONE).then(|| {
                at = next_named[i];
                i
            })
        })
    };
    // Every constraint as an edge (earlier, later), then grouped by the
    // earlier end: `successors[start[i]..start[i + 1]]` must wait for i.
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for (i, s) in slots.iter().enumerate() {
        for j in s.meta.before.iter().flat_map(named) {
            edges.push((i, j));
        }
        for j in s.meta.after.iter().flat_map(named) {
            edges.push((j, i));
        }
    }
    edges.retain(|&(from, to)| from != to);
    count(edges.len() as u64);
    let mut start = vec![0usize; n + 1];
    let mut waiting = vec![0usize; n];
    for &(from, to) in &edges {
        start[from + 1] += 1;
        waiting[to] += 1;
    }
    for i in 0..n {
        start[i + 1] += start[i];
    }
    let mut successors = vec![0usize; edges.len()];
    let mut fill = start.clone();
    for &(from, to) in &edges {
        successors[fill[from]] = to;
        fill[from] += 1;
    }

    let mut free: BinaryHeap<Rank> = (0..n).filter(|&i| waiting[i] == 0).map(Rank).collect();
    let mut placed = vec![false; n];
    // Every rank below `unplaced` is placed: the cycle breaker's scan
    // resumes there, so all its scans together cost O(n).
    let mut unplaced = 0;
    let mut sequence = Vec::with_capacity(n);
    while sequence.len() < n {
        let next = match free.pop() {
            Some(Rank(i)) => i,
            None => {
                while placed[unplaced] {
                    count(1);
                    unplaced += 1;
                }
                warn_cycle(&slots[unplaced].meta);
                unplaced
            }
        };
        placed[next] = true;
        sequence.push(next);
        for &j in &successors[start[next]..start[next + 1]] {
            count(1);
            waiting[j] -= 1;
            // A slot placed by the cycle breaker may reach zero later; it
            // must not be placed twice.
            if waiting[j] == 0 && !placed[j] {
                free.push(Rank(j));
            }
        }
    }

    let mut slots: Vec<Option<Slot<C>>> = slots.into_iter().map(Some).collect();
    sequence
        .into_iter()
        .filter_map(|rank| slots[rank].take())
        .collect()
}

/// The end of a chain of same-named slots.
const NONE: usize = usize::MAX;

/// A free slot's rank, ordered so that `BinaryHeap` (a max-heap) yields
/// the lowest rank first.
#[derive(PartialEq, Eq)]
struct Rank(usize);

impl Ord for Rank {
    fn cmp(&self, other: &Self) -> Ordering {
        count(1);
        other.0.cmp(&self.0)
    }
}

impl PartialOrd for Rank {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Adds `steps` to this thread's count of work done by [`order`], which
/// the complexity test reads; nothing outside tests.
#[inline(always)]
fn count(steps: u64) {
    #[cfg(test)]
    tests::STEPS.with(|s| s.set(s.get() + steps));
    let _ = steps;
}

#[cfg(test)]
mod tests;

fn warn_cycle(meta: &Meta) {
    tracing::warn!(
        owner = %meta.owner,
        name = meta.name.as_deref().unwrap_or(""),
        "before/after constraints form a cycle; ignoring the unmet ones of this callback"
    );
}
