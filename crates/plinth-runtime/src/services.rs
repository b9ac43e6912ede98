//! The typed service container shared by the application and its plugins.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use plinth_core::PluginUrn;

struct Entry {
    value: Arc<dyn Any + Send + Sync>,
    owner: Option<PluginUrn>,
}

/// Services keyed by their Rust type (the seed's `ServiceContainer`, typed).
///
/// The application provides services with [`insert`](Self::insert); a
/// plugin provides them through its context
/// ([`Context::provide`](crate::Context::provide)), and they are withdrawn
/// when it stops. To share a trait object, store an `Arc<dyn Trait>`.
///
/// The latest provider of a type is the one [`get`](Self::get) answers; a
/// plugin's service that shadows another's is withdrawn alone when the
/// plugin stops, and the one before it answers again.
///
/// ```
/// use std::sync::Arc;
/// use plinth_runtime::Services;
///
/// struct Clock(u64);
/// trait Mailer: Send + Sync { fn send(&self, to: &str); }
/// struct Smtp;
/// impl Mailer for Smtp { fn send(&self, _: &str) {} }
///
/// let services = Services::new();
/// services.insert(Clock(42));
/// services.insert::<Arc<dyn Mailer>>(Arc::new(Smtp));
/// assert_eq!(services.get::<Clock>().unwrap().0, 42);
/// services.get::<Arc<dyn Mailer>>().unwrap().send("ada");
/// assert!(services.get::<String>().is_none());
/// ```
#[derive(Default)]
pub struct Services {
    /// Per type, every provider's entry, the visible one last: a plugin's
    /// service shadows the application's (or another plugin's) without
    /// replacing it, and its withdrawal uncovers what it shadowed.
    entries: RwLock<HashMap<TypeId, Vec<Entry>>>,
}

impl Services {
    /// An empty container.
    ///
    /// ```
    /// # use plinth_runtime::Services;
    /// assert!(Services::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Self::default()
    }

    /// Provides `value` as the application's service of type `T`,
    /// replacing (and returning) the application's previous one. It is
    /// the one `get` answers until a plugin provides another.
    ///
    /// ```
    /// # use plinth_runtime::Services;
    /// let services = Services::new();
    /// assert!(services.insert(1u8).is_none());
    /// assert_eq!(*services.insert(2u8).unwrap(), 1);
    /// ```
    pub fn insert<T: Send + Sync + 'static>(&self, value: T) -> Option<Arc<T>> {
        self.put(Arc::new(value), None)
    }

    pub(crate) fn insert_owned<T: Send + Sync + 'static>(
        &self,
        value: T,
        owner: &PluginUrn,
    ) -> Option<Arc<T>> {
        self.put(Arc::new(value), Some(owner.clone()))
    }

    fn put<T: Send + Sync + 'static>(
        &self,
        value: Arc<T>,
        owner: Option<PluginUrn>,
    ) -> Option<Arc<T>> {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let stack = entries.entry(TypeId::of::<T>()).or_default();
        // One entry per provider: its previous one goes, whatever it shadowed
        // or was shadowed by.
        let previous = stack
            .iter()
            .position(|e| e.owner == owner)
            .map(|i| stack.remove(i));
        stack.push(Entry { value, owner });
        previous.and_then(|old| old.value.downcast::<T>().ok())
    }

    /// The service of type `T`, if provided.
    ///
    /// ```
    /// # use plinth_runtime::Services;
    /// let services = Services::new();
    /// services.insert(String::from("db://"));
    /// assert_eq!(services.get::<String>().as_deref().map(String::as_str), Some("db://"));
    /// ```
    pub fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        entries
            .get(&TypeId::of::<T>())
            .and_then(|stack| stack.last())
            .and_then(|e| e.value.clone().downcast::<T>().ok())
    }

    /// Removes the service of type `T` (and those it shadowed): `get` then
    /// answers `None`.
    ///
    /// ```
    /// # use plinth_runtime::Services;
    /// let services = Services::new();
    /// services.insert(1u8);
    /// assert!(services.remove::<u8>().is_some());
    /// assert!(services.get::<u8>().is_none());
    /// ```
    pub fn remove<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        entries
            .remove(&TypeId::of::<T>())
            .and_then(|mut stack| stack.pop())
            .and_then(|e| e.value.downcast::<T>().ok())
    }

    /// Removes every service `owner` provided; returns how many.
    ///
    /// ```
    /// # use plinth_runtime::Services;
    /// # use plinth_core::PluginUrn;
    /// let services = Services::new();
    /// services.insert(1u8); // the application's: no owner
    /// assert_eq!(services.remove_owner(&PluginUrn::new("p")?), 0);
    /// assert_eq!(services.len(), 1);
    /// # Ok::<(), plinth_core::GuardError>(())
    /// ```
    pub fn remove_owner(&self, owner: &PluginUrn) -> usize {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        let mut removed = 0;
        entries.retain(|_, stack| {
            let before = stack.len();
            stack.retain(|e| e.owner.as_ref() != Some(owner));
            removed += before - stack.len();
            !stack.is_empty()
        });
        removed
    }

    /// Number of services.
    ///
    /// ```
    /// # use plinth_runtime::Services;
    /// assert_eq!(Services::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether no service is provided.
    ///
    /// ```
    /// # use plinth_runtime::Services;
    /// assert!(Services::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("len", &self.len())
            .finish()
    }
}

/// A service a plugin asked for is not provided.
///
/// ```
/// use plinth_runtime::ServiceError;
/// let e = ServiceError::Missing { plugin: "mail".into(), service: "Outbox" };
/// assert_eq!(e.to_string(), r#"plugin "mail": service Outbox is not provided"#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ServiceError {
    /// No service of that type.
    #[error("plugin \"{plugin}\": service {service} is not provided")]
    Missing {
        /// The plugin asking.
        plugin: String,
        /// The type asked for.
        service: &'static str,
    },
}

pub(crate) fn missing<T>(plugin: &str) -> ServiceError {
    ServiceError::Missing {
        plugin: plugin.to_string(),
        service: type_name::<T>(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plugins_service_shadows_the_applications_and_its_withdrawal_uncovers_it() {
        let services = Services::new();
        let (a, b) = (PluginUrn::new("a").unwrap(), PluginUrn::new("b").unwrap());
        services.insert(String::from("smtp"));
        assert!(services.insert_owned(String::from("fake"), &a).is_none());
        assert!(services.insert_owned(String::from("other"), &b).is_none());
        assert_eq!(services.get::<String>().unwrap().as_str(), "other");
        // A provider's second service replaces its first, and is the latest.
        assert_eq!(
            services
                .insert_owned(String::from("fake 2"), &a)
                .unwrap()
                .as_str(),
            "fake"
        );
        assert_eq!(services.get::<String>().unwrap().as_str(), "fake 2");
        assert_eq!(services.remove_owner(&a), 1);
        assert_eq!(services.get::<String>().unwrap().as_str(), "other");
        assert_eq!(services.remove_owner(&b), 1);
        assert_eq!(services.get::<String>().unwrap().as_str(), "smtp");
        assert_eq!(services.len(), 1);
        assert_eq!(services.remove::<String>().unwrap().as_str(), "smtp");
        assert!(services.is_empty());
    }
}
