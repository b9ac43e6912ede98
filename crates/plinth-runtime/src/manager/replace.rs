//! Replacing a registered plugin by a new version of it, in place: the
//! operation behind reloading a plugin whose folder changed.

use plinth_core::EmptyEntities;

use super::Manager;
use crate::{FailureReason, ManagerError, Metadata, Plugin, PluginState};

impl<S: EmptyEntities + 'static> Manager<S> {
    /// Replaces the plugin `name` by `plugin`, a new version of it (same
    /// name; its version, dependencies, configuration schema and code may
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
    /// assert_eq!(manager.replace(Db("1.1.0")).await?, ["db", "api"]);
    /// assert_eq!(manager.metadata("db").unwrap().version().to_string(), "1.1.0");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    pub async fn replace(&mut self, plugin: impl Plugin<S>) -> Result<Vec<String>, ManagerError> {
        let name = plugin.metadata().name().to_string();
        self.replace_with(&name, move |manager| manager.register(plugin))
            .await
    }

    /// Replaces the plugin `name` by the one `register` registers under
    /// that name (a registrar that registers plugins by itself, such as a
    /// sandbox's, can make the new version):
    ///
    /// 1. if the plugin is active, it and its active dependents stop, as
    ///    [`disable`](Self::disable) stops them;
    /// 2. `register` runs; the registration of a plugin named `name` takes
    ///    the old one's place, keeping its state (`Disabled`, `Failed`,
    ///    `Loaded`), instead of failing as a duplicate;
    /// 3. the plugins stopped start again, the new version first; a failed
    ///    plugin is started too (its new version may be the fix), a
    ///    disabled or never-started one is left so.
    ///
    /// Returns the plugins started, in order. If `register` fails, or
    /// registers no plugin of that name, the old plugin stays and the
    /// plugins stopped start again: nothing is lost.
    ///
    /// A cancelled replacement (its future dropped) leaves the plugins it
    /// had stopped disabled; `enable` starts them again.
    ///
    /// # Errors
    /// [`ManagerError::Unknown`]; `register`'s error, or
    /// [`ManagerError::NotReplaced`], with the old plugin back in place;
    /// [`ManagerError::NotStarted`] when the new version did not start (it
    /// stays, `Failed` with the reason, and so do the dependents that
    /// could not start without it).
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
    ) -> Result<Vec<String>, ManagerError> {
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
        if !running.is_empty() {
            self.publish_snapshot();
        }
        self.replacing = Some(name.to_string());
        let registered = register(self);
        // `add` clears it when it takes the slot.
        let swapped = self.replacing.take().is_none();
        let outcome = match registered {
            Err(e) => Err(e),
            Ok(()) if !swapped => Err(ManagerError::NotReplaced {
                plugin: name.to_string(),
            }),
            Ok(()) => {
                if state == PluginState::Failed {
                    again.push(name.to_string());
                }
                Ok(())
            }
        };
        let mut started = Vec::new();
        let mut new_version = Ok(());
        for plugin in &again {
            let Ok(j) = self.find(plugin) else { continue };
            // The new version may need a plugin the old did not; the
            // others need what they ran with, and no second try of a new
            // version that failed.
            let result = if j == i {
                let result = self.start_with_dependencies(j).await;
                new_version = result.clone();
                result
            } else {
                self.start(j).await
            };
            if result.is_ok() {
                started.push(plugin.clone());
            }
        }
        if !again.is_empty() {
            self.publish_snapshot();
        }
        outcome?;
        new_version
            .map(|()| started)
            .map_err(|reason| ManagerError::NotStarted {
                plugin: name.to_string(),
                reason,
            })
    }

    /// Starts `j`, after those of its required dependencies not active.
    async fn start_with_dependencies(&mut self, j: usize) -> Result<(), FailureReason> {
        for k in self.required_closure(j) {
            if k == j {
                return self.start(j).await;
            }
            if self.slots[k].state != PluginState::Active {
                // Its failure is `j`'s reason, through `start`'s check.
                let _ = self.start(k).await;
            }
        }
        Ok(())
    }

    /// Puts `meta` and `instance` in slot `i`, whose plugin is not running:
    /// the dependency graph is made again, since the new version's
    /// dependencies may differ.
    pub(super) fn swap(&mut self, i: usize, meta: Metadata, instance: Box<dyn Plugin<S>>) {
        let slot = &mut self.slots[i];
        debug_assert!(!matches!(
            slot.state,
            PluginState::Active | PluginState::Initializing | PluginState::Destroying
        ));
        slot.meta = meta;
        slot.instance = instance;
        slot.activation = None;
        slot.entities = None;
        self.graph = std::sync::OnceLock::new();
    }
}
