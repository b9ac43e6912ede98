//! What `Manager::list` reports about each plugin.

use semver::Version;

use crate::{Dependency, FailureReason, PluginState};

/// One plugin, as [`Manager::list`](crate::Manager::list) reports it.
///
/// ```
/// # futures::executor::block_on(async {
/// use plinth_runtime::{Manager, Metadata, Plugin, PluginState};
///
/// struct P(&'static str, &'static str);
/// impl Plugin for P {
///     fn metadata(&self) -> Metadata {
///         let m = Metadata::new(self.0, "1.0.0");
///         if self.1.is_empty() { m } else { m.with_dependency(self.1, "1") }
///     }
/// }
/// let mut manager = Manager::new();
/// manager.register(P("db", ""))?;
/// manager.register(P("api", "db"))?;
/// manager.initialize_all().await?;
/// let list = manager.list();
/// assert_eq!(list[0].name, "db");
/// assert_eq!(list[0].state, PluginState::Active);
/// assert_eq!(list[0].dependents, ["api"]);
/// assert_eq!(list[1].dependencies[0].name, "db");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct PluginInfo {
    /// The plugin's name.
    pub name: String,
    /// Its version.
    pub version: Version,
    /// Its description, if any.
    pub description: Option<String>,
    /// Its lifecycle state.
    pub state: PluginState,
    /// Why it failed, when [`PluginState::Failed`].
    pub reason: Option<FailureReason>,
    /// Its declared dependencies (required and optional).
    pub dependencies: Vec<Dependency>,
    /// The registered plugins that declare it as a dependency, in
    /// registration order.
    pub dependents: Vec<String>,
    /// Notices for the operator (see
    /// [`Metadata::with_notice`](crate::Metadata::with_notice)).
    pub notices: Vec<String>,
}
