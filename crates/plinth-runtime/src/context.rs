//! What a plugin receives when it starts.

use std::sync::Arc;

use plinth_core::PluginUrn;
use plinth_hooks::{MessageBus, Registry};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tracing::Span;

use crate::activation::{Activation, ContextError};
use crate::faults::FaultQueue;
use crate::services::missing;
use crate::{ConfigError, PluginBus, PluginHooks, ServiceError, Services};

struct Inner {
    urn: PluginUrn,
    activation: Arc<Activation>,
    span: Span,
    config: Value,
    services: Arc<Services>,
    hooks: PluginHooks,
    bus: PluginBus,
}

/// The context given to a plugin's `initialize` (the seed's
/// `PluginContext`): a `tracing` span, its validated configuration, the
/// service container, and hooks and bus whose registrations it owns.
///
/// Cloning is cheap; a plugin may keep a clone (for callbacks, or to read
/// configuration later).
///
/// ```
/// use plinth_runtime::testing::TestContext;
/// use serde_json::json;
///
/// #[derive(serde::Deserialize)]
/// struct Settings { greeting: String }
///
/// let kit = TestContext::new("hello").config(json!({ "greeting": "hi" })).build()?;
/// let ctx = kit.context();
/// assert_eq!(ctx.name(), "hello");
/// assert_eq!(ctx.config::<Settings>()?.greeting, "hi");
/// ctx.span().in_scope(|| tracing::info!("started"));
/// assert!(kit.logs().iter().any(|l| l.message == "started" && l.plugin.as_deref() == Some("hello")));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Context {
    inner: Arc<Inner>,
}

impl Context {
    /// One span for everything the plugin does: its lifecycle calls, its
    /// hook callbacks and its bus handlers.
    pub(crate) fn new(
        activation: Arc<Activation>,
        config: Value,
        services: Arc<Services>,
        hooks: Arc<Registry>,
        bus: Arc<MessageBus>,
        faults: Arc<FaultQueue>,
    ) -> Self {
        let urn = activation.urn().clone();
        let span = plugin_span(&urn);
        let hooks = PluginHooks::new(hooks, activation.clone(), faults.clone(), span.clone());
        let bus = PluginBus::new(bus, activation.clone(), faults, span.clone());
        Context {
            inner: Arc::new(Inner {
                urn,
                activation,
                span,
                config,
                services,
                hooks,
                bus,
            }),
        }
    }

    /// The plugin's name.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// assert_eq!(TestContext::new("p").build()?.context().name(), "p");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn name(&self) -> &str {
        self.inner.urn.as_str()
    }

    /// The plugin's URN (its name), the owner of its registrations.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// assert_eq!(TestContext::new("p").build()?.context().urn(), "p");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn urn(&self) -> &PluginUrn {
        &self.inner.urn
    }

    /// The plugin's `tracing` span (`plugin{name=...}`); enter it in
    /// callbacks so that their logs are attributed.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// let kit = TestContext::new("p").build()?;
    /// let _guard = kit.context().span().enter();
    /// tracing::warn!("inside");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn span(&self) -> &Span {
        &self.inner.span
    }

    /// The configuration as JSON: `plugins.<name>` with defaults applied,
    /// already valid against the plugin's schema.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// # use serde_json::json;
    /// let kit = TestContext::new("p").config(json!({ "n": 1 })).build()?;
    /// assert_eq!(kit.context().config_value()["n"], 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn config_value(&self) -> &Value {
        &self.inner.config
    }

    /// The configuration deserialized into `T`.
    ///
    /// Returned from `initialize` with `?` (directly, or as the `source` of
    /// the plugin's own error), the error fails the plugin with
    /// [`FailureReason::Config`](crate::FailureReason::Config), not as an
    /// initialize error.
    ///
    /// # Errors
    /// [`ConfigError::Type`] naming the plugin, `T`, and the JSON Pointer
    /// of the value that does not fit.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// # use serde_json::json;
    /// use plinth_runtime::ConfigError;
    ///
    /// let kit = TestContext::new("p").config(json!({ "limits": { "max": "x" } })).build()?;
    /// #[derive(serde::Deserialize, Debug)]
    /// struct C { limits: Limits }
    /// #[derive(serde::Deserialize, Debug)]
    /// struct Limits { max: u32 }
    /// let err = kit.context().config::<C>().unwrap_err();
    /// let ConfigError::Type { path, message, .. } = &err else { panic!("{err}") };
    /// assert_eq!(path, "/plugins/p/limits/max");
    /// assert_eq!(message, r#"invalid type: string "x", expected u32"#);
    /// assert!(err.to_string().starts_with(r#"plugin "p": configuration does not fit"#));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn config<T: DeserializeOwned>(&self) -> Result<T, ConfigError> {
        crate::config::deserialize(self.name(), &self.inner.config)
    }

    /// The service container.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// let kit = TestContext::new("p").service(7u32).build()?;
    /// assert_eq!(*kit.context().services().get::<u32>().unwrap(), 7);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn services(&self) -> &Services {
        &self.inner.services
    }

    /// The service of type `T`, which the plugin requires.
    ///
    /// # Errors
    /// [`ServiceError::Missing`] naming the plugin and the type.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// let kit = TestContext::new("p").build()?;
    /// let err = kit.context().service::<u32>().unwrap_err();
    /// assert_eq!(err.to_string(), r#"plugin "p": service u32 is not provided"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn service<T: Send + Sync + 'static>(&self) -> Result<Arc<T>, ServiceError> {
        self.inner
            .services
            .get::<T>()
            .ok_or_else(|| missing::<T>(self.name()))
    }

    /// Provides a service owned by the plugin: withdrawn when it stops.
    ///
    /// # Errors
    /// [`ContextError::Retired`] once the plugin has been stopped: a context
    /// kept beyond its activation provides nothing.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// let kit = TestContext::new("p").build()?;
    /// kit.context().provide(String::from("cache"))?;
    /// assert_eq!(kit.services().get::<String>().unwrap().as_str(), "cache");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn provide<T: Send + Sync + 'static>(&self, service: T) -> Result<(), ContextError> {
        let _gate = self.inner.activation.register()?;
        self.inner.services.insert_owned(service, &self.inner.urn);
        Ok(())
    }

    /// The hooks; registrations made through them belong to the plugin.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// let kit = TestContext::new("p").build()?;
    /// assert_eq!(kit.context().hooks().owner(), "p");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn hooks(&self) -> &PluginHooks {
        &self.inner.hooks
    }

    /// The message bus; subscriptions made through it belong to the plugin.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// # use plinth_hooks::Topic;
    /// let kit = TestContext::new("p").build()?;
    /// kit.context().bus().publish(&Topic::<u8>::new("t"), &1)?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn bus(&self) -> &PluginBus {
        &self.inner.bus
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("plugin", &self.inner.urn)
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// The span every lifecycle call and log line of a plugin runs in.
pub(crate) fn plugin_span(urn: &PluginUrn) -> Span {
    tracing::info_span!("plugin", name = %urn)
}
