//! Dependency resolution: a deterministic start order, cycles with their
//! path, and each plugin's own dependency problem.
//!
//! Hand-written Kahn rather than petgraph: the order must break ties by
//! registration order, optional edges must yield when they would close a
//! cycle, and a cycle must be reported as a full path — each needs custom
//! code on top of petgraph, for a graph of a few hundred nodes (ADR 008).

use std::collections::{BTreeSet, HashMap, VecDeque};

use semver::Version;

use crate::{Dependency, FailureReason};

/// What the graph needs to know about one registered plugin.
pub(crate) struct Node<'a> {
    pub(crate) name: &'a str,
    pub(crate) version: &'a Version,
    pub(crate) dependencies: &'a [Dependency],
}

/// The resolved graph; indices are registration indices.
#[derive(Debug, Default)]
pub(crate) struct Graph {
    /// Every plugin, dependencies first; ties in registration order.
    pub(crate) order: Vec<usize>,
    /// Position of each plugin in `order`.
    pub(crate) rank: Vec<usize>,
    /// Registered required dependencies (whatever their version).
    pub(crate) requires: Vec<Vec<usize>>,
    /// Plugins that require each plugin.
    pub(crate) required_by: Vec<Vec<usize>>,
    /// Plugins that declare each plugin as optional dependency.
    pub(crate) optional_of: Vec<Vec<usize>>,
    /// A plugin's own problem: missing, version mismatch, cycle.
    pub(crate) problem: Vec<Option<FailureReason>>,
}

impl Graph {
    pub(crate) fn build(nodes: &[Node<'_>]) -> Graph {
        let n = nodes.len();
        let index: HashMap<&str, usize> =
            nodes.iter().enumerate().map(|(i, p)| (p.name, i)).collect();
        let mut requires = vec![Vec::new(); n];
        let mut optional = vec![Vec::new(); n];
        let mut required_by = vec![Vec::new(); n];
        let mut optional_of = vec![Vec::new(); n];
        let mut problem = vec![None; n];
        for (i, node) in nodes.iter().enumerate() {
            for dep in node.dependencies {
                let found = index.get(dep.name.as_str()).copied();
                match (found, dep.optional) {
                    (Some(d), false) => {
                        requires[i].push(d);
                        required_by[d].push(i);
                        if problem[i].is_none() && !dep.range.matches(nodes[d].version) {
                            problem[i] = Some(FailureReason::VersionMismatch {
                                dependency: dep.name.clone(),
                                required: dep.range.clone(),
                                found: nodes[d].version.clone(),
                            });
                        }
                    }
                    (None, false) if problem[i].is_none() => {
                        problem[i] = Some(FailureReason::MissingDependency {
                            dependency: dep.name.clone(),
                        });
                    }
                    // An optional dependency outside its range is ignored,
                    // as if absent: it neither orders nor fails the start.
                    (Some(d), true) if dep.range.matches(nodes[d].version) => {
                        optional[i].push(d);
                        optional_of[d].push(i);
                    }
                    _ => {}
                }
            }
        }
        for (member, path) in cycles(nodes, &requires) {
            if problem[member].is_none() {
                problem[member] = Some(FailureReason::Cycle { path });
            }
        }
        let order = order(&requires, &optional);
        let mut rank = vec![0; n];
        for (pos, &i) in order.iter().enumerate() {
            rank[i] = pos;
        }
        Graph {
            order,
            rank,
            requires,
            required_by,
            optional_of,
            problem,
        }
    }
}

/// Kahn's algorithm over required and optional edges, smallest
/// registration index first. When only cycles remain, the first plugin on
/// one of them that is blocked by optional edges alone is released (an
/// optional edge yields only where it closes a cycle: a plugin merely
/// behind a cycle waits for it); failing that, the first remaining plugin
/// (it is on a required cycle and will fail anyway).
fn order(requires: &[Vec<usize>], optional: &[Vec<usize>]) -> Vec<usize> {
    let n = requires.len();
    let mut dependents = vec![Vec::new(); n];
    let mut indegree = vec![0usize; n];
    let mut required_left = vec![0usize; n];
    for i in 0..n {
        for &d in &requires[i] {
            dependents[d].push(i);
            indegree[i] += 1;
            required_left[i] += 1;
        }
        for &d in &optional[i] {
            dependents[d].push(i | OPTIONAL_BIT);
            indegree[i] += 1;
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut done = vec![false; n];
    let mut order = Vec::with_capacity(n);
    while order.len() < n {
        let next = match ready.pop_first() {
            Some(i) => i,
            None => (0..n)
                .find(|&i| {
                    !done[i] && required_left[i] == 0 && on_cycle(i, requires, optional, &done)
                })
                .or_else(|| (0..n).find(|&i| !done[i]))
                .unwrap_or_default(),
        };
        if done[next] {
            continue;
        }
        done[next] = true;
        order.push(next);
        for &edge in &dependents[next] {
            let j = edge & !OPTIONAL_BIT;
            if edge & OPTIONAL_BIT == 0 {
                required_left[j] -= 1;
            }
            indegree[j] -= 1;
            if indegree[j] == 0 && !done[j] {
                ready.insert(j);
            }
        }
    }
    order
}

const OPTIONAL_BIT: usize = 1 << (usize::BITS - 1);

/// Whether `i` reaches itself through the dependencies, required or
/// optional, of plugins not yet ordered.
fn on_cycle(i: usize, requires: &[Vec<usize>], optional: &[Vec<usize>], done: &[bool]) -> bool {
    let mut seen = vec![false; requires.len()];
    let mut stack: Vec<usize> = requires[i].iter().chain(&optional[i]).copied().collect();
    while let Some(j) = stack.pop() {
        if j == i {
            return true;
        }
        if done[j] || std::mem::replace(&mut seen[j], true) {
            continue;
        }
        stack.extend(requires[j].iter().chain(&optional[j]));
    }
    false
}

/// Every plugin on a cycle of required edges, with the shortest cycle
/// through it (`a -> b -> a`), following dependencies in declaration order.
fn cycles(nodes: &[Node<'_>], requires: &[Vec<usize>]) -> Vec<(usize, Vec<String>)> {
    let n = nodes.len();
    // Peel off everything not on or behind a cycle (Kahn on the reverse:
    // plugins without dependencies left), then search cycles in the rest.
    let mut left: Vec<usize> = requires.iter().map(Vec::len).collect();
    let mut dependents = vec![Vec::new(); n];
    for (i, deps) in requires.iter().enumerate() {
        for &d in deps {
            dependents[d].push(i);
        }
    }
    let mut queue: VecDeque<usize> = (0..n).filter(|&i| left[i] == 0).collect();
    let mut peeled = vec![false; n];
    while let Some(i) = queue.pop_front() {
        peeled[i] = true;
        for &j in &dependents[i] {
            left[j] -= 1;
            if left[j] == 0 {
                queue.push_back(j);
            }
        }
    }
    let mut found = Vec::new();
    for start in (0..n).filter(|&i| !peeled[i]) {
        if let Some(path) = shortest_cycle(start, requires, &peeled) {
            let names = path.iter().map(|&i| nodes[i].name.to_string()).collect();
            found.push((start, names));
        }
    }
    found
}

/// Breadth-first search from `start` back to itself among unpeeled nodes.
fn shortest_cycle(start: usize, requires: &[Vec<usize>], peeled: &[bool]) -> Option<Vec<usize>> {
    let mut parent: HashMap<usize, usize> = HashMap::new();
    let mut queue = VecDeque::from([start]);
    while let Some(i) = queue.pop_front() {
        for &d in &requires[i] {
            if peeled[d] {
                continue;
            }
            if d == start {
                // Walk the parents back from `i` to `start`, then reverse.
                let mut walk = vec![i];
                let mut at = i;
                while at != start {
                    at = parent[&at];
                    walk.push(at);
                }
                walk.reverse();
                walk.push(start);
                return Some(walk);
            }
            if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(d) {
                e.insert(i);
                queue.push_back(d);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Metadata;

    fn graph(metas: &[Metadata]) -> Graph {
        let nodes: Vec<Node<'_>> = metas
            .iter()
            .map(|m| Node {
                name: m.name(),
                version: m.version(),
                dependencies: m.dependencies(),
            })
            .collect();
        Graph::build(&nodes)
    }

    fn names(metas: &[Metadata], order: &[usize]) -> Vec<String> {
        order.iter().map(|&i| metas[i].name().to_string()).collect()
    }

    #[test]
    fn dependencies_come_first_and_ties_keep_registration_order() {
        let metas = [
            Metadata::new("api", "1.0.0").with_dependency("db", "1"),
            Metadata::new("cache", "1.0.0"),
            Metadata::new("db", "1.2.0"),
        ];
        let g = graph(&metas);
        assert_eq!(names(&metas, &g.order), ["cache", "db", "api"]);
        assert!(g.problem.iter().all(Option::is_none));
    }

    #[test]
    fn a_cycle_is_reported_with_its_path_from_each_member() {
        let metas = [
            Metadata::new("a", "1.0.0").with_dependency("b", "*"),
            Metadata::new("b", "1.0.0").with_dependency("c", "*"),
            Metadata::new("c", "1.0.0").with_dependency("a", "*"),
            Metadata::new("d", "1.0.0").with_dependency("a", "*"),
        ];
        let g = graph(&metas);
        let msg = |i: usize| g.problem[i].as_ref().map(ToString::to_string);
        assert_eq!(
            msg(0).as_deref(),
            Some("dependency cycle: a -> b -> c -> a")
        );
        assert_eq!(
            msg(1).as_deref(),
            Some("dependency cycle: b -> c -> a -> b")
        );
        assert_eq!(
            msg(2).as_deref(),
            Some("dependency cycle: c -> a -> b -> c")
        );
        // d is behind the cycle, not on it: it fails through its dependency.
        assert_eq!(msg(3), None);
        assert_eq!(g.order.len(), 4);
    }

    #[test]
    fn optional_edges_order_but_yield_to_cycles() {
        let metas = [
            Metadata::new("a", "1.0.0").with_optional_dependency("b", "*"),
            Metadata::new("b", "1.0.0").with_dependency("a", "*"),
        ];
        let g = graph(&metas);
        assert_eq!(names(&metas, &g.order), ["a", "b"]);
        assert!(g.problem.iter().all(Option::is_none));

        let metas = [
            Metadata::new("a", "1.0.0").with_optional_dependency("b", "*"),
            Metadata::new("b", "1.0.0"),
        ];
        assert_eq!(names(&metas, &graph(&metas).order), ["b", "a"]);

        // `a` is behind the cycle of `b` and `c`, not on it: its optional
        // edge holds, and the cycle's own yields.
        let metas = [
            Metadata::new("a", "1.0.0").with_optional_dependency("b", "*"),
            Metadata::new("b", "1.0.0").with_optional_dependency("c", "*"),
            Metadata::new("c", "1.0.0").with_optional_dependency("b", "*"),
        ];
        assert_eq!(names(&metas, &graph(&metas).order), ["b", "a", "c"]);
    }

    #[test]
    fn missing_and_mismatched_versions_are_the_plugins_own_problems() {
        let metas = [
            Metadata::new("a", "1.0.0").with_dependency("ghost", "*"),
            Metadata::new("b", "1.0.0").with_dependency("c", ">=2"),
            Metadata::new("c", "1.5.0"),
            Metadata::new("d", "1.0.0").with_optional_dependency("ghost", "*"),
        ];
        let g = graph(&metas);
        assert_eq!(
            g.problem[0].as_ref().map(ToString::to_string).as_deref(),
            Some(r#"missing dependency "ghost""#)
        );
        assert_eq!(
            g.problem[1].as_ref().map(ToString::to_string).as_deref(),
            Some(r#"dependency "c" is version 1.5.0, outside the required range ">=2""#)
        );
        assert!(g.problem[3].is_none());
    }
}
