//! Replacing a registered plugin by a new version of it, in place: the
//! operation behind reloading a plugin whose folder changed.

use std::panic::{AssertUnwindSafe, catch_unwind, resume_unwind};

use plinth_core::EmptyEntities;

use super::Manager;
use crate::{FailureReason, ManagerError, Metadata, Plugin, PluginState, StartReport};

/// A replacement in progress: the plugin replaced, and whether its new
/// version has taken the slot.
#[derive(Debug)]
pub(super) struct Replacing {
    name: String,
    swapped: bool,
}

impl<S: EmptyEntities + 'static> Manager<S> {
    /// Replaces the plugin of `plugin`'s name by `plugin`, a new version of
    /// it (its version, dependencies, configuration schema and code may
    /// differ). See [`replace_with`](Self::replace_with).
    ///
    /// # Errors
    /// As [`replace_with`](Self::replace_with).
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// use plinth_runtime::{Manager, Metadata, Plugin};
    /// struct Db(&'static str);
    /// impl Plugin for Db { fn metadata(&self) -> Metadata { Metadata::new("db", self.0) } }
    /// struct Api;
    /// impl Plugin for Api {
    ///     fn metadata(&self) -> Metadata { Metadata::new("api", "1.0.0").with_dependency("db", "^1") }
    /// }
    /// let mut manager = Manager::new();
    /// manager.register(Db("1.0.0"))?;
    /// manager.register(Api)?;
    /// manager.initialize_all().await?;
    /// // db 1.1 takes the place of db 1.0; api, stopped for it, starts again.
    /// let report = manager.replace(Db("1.1.0")).await?;
    /// assert_eq!(report.started, ["db", "api"]);
    /// assert_eq!(manager.metadata("db").unwrap().version().to_string(), "1.1.0");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn replace(&mut self, plugin: impl Plugin<S>) -> Result<StartReport, ManagerError> {
        let name = plugin.metadata().name().to_string();
        self.replace_with(&name, move |manager| manager.register(plugin))
            .await
    }

    /// Replaces the plugin `name` by the one `register` registers under
    /// that name (a registrar that registers plugins by itself, such as a
    /// sandbox's, thus makes the new version):
    ///
    /// 1. if the plugin is active, it and its active dependents stop, as
    ///    [`disable`](Self::disable) stops them;
    /// 2. `register` runs; the first registration of a plugin named `name`
    ///    takes the old one's place, keeping its state (`Disabled`,
    ///    `Failed`, `Loaded`), instead of failing as a duplicate;
    /// 3. the plugins stopped start again, the new version first, with any
    ///    dependency it needs that the old one did not (as `enable` starts
    ///    them); a failed plugin is started too (its new version may be
    ///    the fix), and so are the failed plugins that require it and
    ///    failed for a dependency (the old version may have been the
    ///    cause); a disabled or never-started plugin is left so.
    ///
    /// The report lists the plugins started, in order, and those that did
    /// not start, each with why: a new version that fails stays in place,
    /// `Failed`, as a new plugin would, and a plugin that needs it stays
    /// disabled or fails, naming it. One snapshot is published, at the
    /// end.
    ///
    /// If `register` fails, or registers no plugin of that name, the old
    /// plugin stays and the plugins stopped start again: nothing is lost.
    /// A cancelled replacement (its future dropped), or a panic in
    /// `register`, leaves the plugins it had stopped disabled; `enable`
    /// starts them again.
    ///
    /// # Errors
    /// [`ManagerError::Unknown`]; `register`'s error, or
    /// [`ManagerError::NotReplaced`], with the old plugin back in place
    /// (or, when `register` put the new version in place and then failed,
    /// with the new version in place and started as above).
    ///
    /// ```
    /// # futures::executor::block_on(async {
    /// use plinth_runtime::{Manager, ManagerError, Metadata, Plugin};
    /// struct Db;
    /// impl Plugin for Db { fn metadata(&self) -> Metadata { Metadata::new("db", "1.0.0") } }
    /// let mut manager = Manager::new();
    /// manager.register(Db)?;
    /// manager.initialize_all().await?;
    /// let err = manager.replace_with("db", |_| Ok(())).await.unwrap_err();
    /// assert!(matches!(err, ManagerError::NotReplaced { .. }));
    /// assert_eq!(manager.state("db"), Some(plinth_runtime::PluginState::Active));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn replace_with(
        &mut self,
        name: &str,
        register: impl FnOnce(&mut Self) -> Result<(), ManagerError>,
    ) -> Result<StartReport, ManagerError> {
        self.apply_faults().await;
        let i = self.find(name)?;
        let state = self.slots[i].state;
        // What runs now, in start order, to start again after the swap.
        let running = if state == PluginState::Active {
            self.active_dependents(i)
        } else {
            Vec::new()
        };
        let mut again: Vec<String> = running
            .iter()
            .map(|&j| self.slots[j].meta.name().to_string())
            .collect();
        for &j in running.iter().rev() {
            self.stop(j, None).await;
        }
        self.replacing = Some(Replacing {
            name: name.to_string(),
            swapped: false,
        });
        let registered = catch_unwind(AssertUnwindSafe(|| register(self)));
        let swapped = self.replacing.take().is_some_and(|r| r.swapped);
        let registered = match registered {
            Ok(registered) => registered,
            Err(panic) => {
                self.publish_snapshot();
                resume_unwind(panic)
            }
        };
        if swapped {
            if state == PluginState::Failed {
                again.insert(0, name.to_string());
            }
            again.extend(self.failed_for_a_dependency(i));
        }
        let mut report = StartReport::default();
        for plugin in &again {
            let Ok(j) = self.find(plugin) else { continue };
            if j == i && swapped {
                // The new version may need a plugin the old did not.
                let _ = self.start_needed(j, &mut report).await;
                continue;
            }
            // The others need what they ran with, and no second try of a
            // new version that failed.
            match self.start(j).await {
                Ok(()) => report.started.push(plugin.clone()),
                Err(reason) => report.failed.push((plugin.clone(), reason)),
            }
        }
        self.publish_snapshot();
        match registered {
            Err(e) => Err(e),
            Ok(()) if !swapped => Err(ManagerError::NotReplaced {
                plugin: name.to_string(),
            }),
            Ok(()) => Ok(report),
        }
    }

    /// Whether a registration of `name`, which slot `i` holds, takes the
    /// slot: once, for the plugin a replacement replaces, never while its
    /// old version runs.
    pub(super) fn takes_slot(&mut self, i: usize, name: &str) -> bool {
        let at_rest = matches!(
            self.slots[i].state,
            PluginState::Loaded | PluginState::Disabled | PluginState::Failed
        );
        match &mut self.replacing {
            Some(r) if r.name == name && !r.swapped && at_rest => {
                r.swapped = true;
                true
            }
            _ => false,
        }
    }

    /// The failed plugins that require `i`, directly or not, and failed
    /// for a dependency, in start order.
    fn failed_for_a_dependency(&self, i: usize) -> Vec<String> {
        let graph = self.graph();
        self.reach(i, &graph.required_by, |_| true)
            .into_iter()
            .filter(|&j| j != i && self.slots[j].state == PluginState::Failed)
            .filter(|&j| {
                matches!(
                    self.slots[j].reason,
                    Some(
                        FailureReason::MissingDependency { .. }
                            | FailureReason::VersionMismatch { .. }
                            | FailureReason::DependencyFailed { .. }
                            | FailureReason::DependencyInactive { .. }
                    )
                )
            })
            .map(|j| self.slots[j].meta.name().to_string())
            .collect()
    }

    /// Puts `meta` and `instance` in slot `i`, whose plugin is not running:
    /// the dependency graph is made again, since the new version's
    /// dependencies may differ.
    pub(super) fn swap(&mut self, i: usize, meta: Metadata, instance: Box<dyn Plugin<S>>) {
        let slot = &mut self.slots[i];
        slot.meta = meta;
        slot.instance = instance;
        slot.activation = None;
        slot.entities = None;
        self.graph = std::sync::OnceLock::new();
    }
}
