//! Read-only questions about the registered plugins.

use plinth_core::EmptyEntities;

use super::Manager;
use crate::{FailureReason, ManagerError, Metadata, PluginInfo, PluginState};

impl<S: EmptyEntities + 'static> Manager<S> {
    /// Every registered plugin in registration order, with its state,
    /// reason, dependencies and dependents.
    ///
    /// ```
    /// assert!(plinth_runtime::Manager::new().list().is_empty());
    /// ```
    pub fn list(&self) -> Vec<PluginInfo> {
        let graph = self.graph();
        self.slots
            .iter()
            .enumerate()
            .map(|(i, slot)| {
                let mut dependents: Vec<usize> = graph.required_by[i]
                    .iter()
                    .chain(&graph.optional_of[i])
                    .copied()
                    .collect();
                dependents.sort_unstable();
                dependents.dedup();
                PluginInfo {
                    name: slot.meta.name().to_string(),
                    version: slot.meta.version().clone(),
                    description: slot.meta.description().map(str::to_string),
                    state: slot.state,
                    reason: slot.reason.clone(),
                    dependencies: slot.meta.dependencies().to_vec(),
                    dependents: dependents
                        .into_iter()
                        .map(|d| self.slots[d].meta.name().to_string())
                        .collect(),
                    notices: slot.meta.notices().to_vec(),
                }
            })
            .collect()
    }

    /// The state of a plugin, if registered.
    ///
    /// ```
    /// assert_eq!(plinth_runtime::Manager::new().state("x"), None);
    /// ```
    pub fn state(&self, name: &str) -> Option<PluginState> {
        self.index.get(name).map(|&i| self.slots[i].state)
    }

    /// Why a plugin failed, if it did.
    ///
    /// ```
    /// assert!(plinth_runtime::Manager::new().reason("x").is_none());
    /// ```
    pub fn reason(&self, name: &str) -> Option<&FailureReason> {
        self.index
            .get(name)
            .and_then(|&i| self.slots[i].reason.as_ref())
    }

    /// A registered plugin's metadata (its author and configuration schema
    /// among what [`list`](Self::list) leaves out).
    ///
    /// ```
    /// use plinth_runtime::{Manager, Metadata, Plugin};
    /// struct P;
    /// impl Plugin for P {
    ///     fn metadata(&self) -> Metadata { Metadata::new("p", "1.0.0").with_author("ada") }
    /// }
    /// let mut manager = Manager::new();
    /// manager.register(P)?;
    /// assert_eq!(manager.metadata("p").and_then(Metadata::author), Some("ada"));
    /// assert!(manager.metadata("q").is_none());
    /// # Ok::<(), plinth_runtime::ManagerError>(())
    /// ```
    pub fn metadata(&self, name: &str) -> Option<&Metadata> {
        self.index.get(name).map(|&i| &self.slots[i].meta)
    }

    /// All registered plugins in start order (dependencies first, ties in
    /// registration order).
    ///
    /// ```
    /// assert!(plinth_runtime::Manager::new().start_order().is_empty());
    /// ```
    pub fn start_order(&self) -> Vec<String> {
        self.graph()
            .order
            .iter()
            .map(|&i| self.slots[i].meta.name().to_string())
            .collect()
    }

    pub(super) fn find(&self, name: &str) -> Result<usize, ManagerError> {
        self.index
            .get(name)
            .copied()
            .ok_or_else(|| ManagerError::Unknown {
                plugin: name.to_string(),
            })
    }
}
