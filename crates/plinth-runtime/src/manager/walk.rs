//! Walks of the dependency graph: start order, dependents and dependency
//! closures, and the reasons a failure gives the plugins it takes down.

use std::collections::HashMap;
use std::sync::Arc;

use plinth_core::EmptyEntities;

use super::Manager;
use crate::graph::{Graph, Node};
use crate::{FailureReason, PluginState};

impl<S: EmptyEntities + 'static> Manager<S> {
    pub(super) fn graph(&self) -> Arc<Graph> {
        self.graph
            .get_or_init(|| {
                let nodes: Vec<Node<'_>> = self
                    .slots
                    .iter()
                    .map(|s| Node {
                        name: s.meta.name(),
                        version: s.meta.version(),
                        dependencies: s.meta.dependencies(),
                    })
                    .collect();
                Arc::new(Graph::build(&nodes))
            })
            .clone()
    }

    pub(super) fn active_in_order(&self) -> Vec<String> {
        self.graph()
            .order
            .iter()
            .filter(|&&i| self.slots[i].state == PluginState::Active)
            .map(|&i| self.slots[i].meta.name().to_string())
            .collect()
    }

    /// `i` and its active dependents (transitively), in start order.
    pub(super) fn active_dependents(&self, i: usize) -> Vec<usize> {
        let graph = self.graph();
        self.reach(i, &graph.required_by, |k| {
            self.slots[k].state == PluginState::Active
        })
    }

    /// `i` and its required dependencies (transitively), in start order.
    pub(super) fn required_closure(&self, i: usize) -> Vec<usize> {
        let graph = self.graph();
        self.reach(i, &graph.requires, |_| true)
    }

    /// `i` and every plugin reached from it along `edges` through plugins
    /// `follow` accepts, in start order.
    pub(super) fn reach(
        &self,
        i: usize,
        edges: &[Vec<usize>],
        follow: impl Fn(usize) -> bool,
    ) -> Vec<usize> {
        let mut seen = vec![false; self.slots.len()];
        let mut stack = vec![i];
        let mut found = Vec::new();
        seen[i] = true;
        while let Some(j) = stack.pop() {
            found.push(j);
            for &k in &edges[j] {
                if !seen[k] && follow(k) {
                    seen[k] = true;
                    stack.push(k);
                }
            }
        }
        let graph = self.graph();
        found.sort_by_key(|&j| graph.rank[j]);
        found
    }

    /// The reason of each plugin in `going` (start order, `going[0]` the
    /// root): the root's own, and for the others the failure of the first
    /// dependency that goes down with it.
    pub(super) fn cascade_reasons(
        &self,
        going: &[usize],
        root: FailureReason,
    ) -> Vec<FailureReason> {
        let graph = self.graph();
        let position: HashMap<usize, usize> =
            going.iter().enumerate().map(|(p, &g)| (g, p)).collect();
        let mut reasons: Vec<FailureReason> = Vec::with_capacity(going.len());
        reasons.push(root);
        for &j in &going[1..] {
            let (pos, d) = graph.requires[j]
                .iter()
                .find_map(|d| position.get(d).map(|&p| (p, *d)))
                .unwrap_or((0, going[0]));
            let reason = FailureReason::dependency_failed(self.slots[d].meta.name(), &reasons[pos]);
            reasons.push(reason);
        }
        reasons
    }

    /// Why `i` cannot start now because of a dependency, if so.
    pub(super) fn dependency_problem(&self, i: usize, graph: &Graph) -> Option<FailureReason> {
        graph.requires[i].iter().find_map(|&d| {
            let dep = &self.slots[d];
            match dep.state {
                PluginState::Active => None,
                PluginState::Failed => Some(FailureReason::dependency_failed(
                    dep.meta.name(),
                    &dep.reason
                        .clone()
                        .unwrap_or(FailureReason::DependencyInactive {
                            dependency: dep.meta.name().to_string(),
                            state: dep.state,
                        }),
                )),
                state => Some(FailureReason::DependencyInactive {
                    dependency: dep.meta.name().to_string(),
                    state,
                }),
            }
        })
    }
}
