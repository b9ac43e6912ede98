//! A test kit for plugin authors: a real
//! context — in-memory configuration validated like in production, real
//! hooks and bus, a service container — and the logs the plugin wrote.
//!
//! ```
//! use plinth_hooks::{Filter, Key};
//! use plinth_runtime::testing::TestContext;
//! use plinth_runtime::{Context, Metadata, Plugin};
//! use serde_json::json;
//!
//! const GREET: Key<Filter<String>> = Key::new("greet");
//!
//! struct Greeter;
//! impl Plugin for Greeter {
//!     fn metadata(&self) -> Metadata {
//!         Metadata::new("greeter", "1.0.0").with_config_schema(json!({
//!             "properties": { "punctuation": { "type": "string", "default": "!" } }
//!         }))
//!     }
//!     fn initialize(&mut self, ctx: &Context) -> Result<(), plinth_hooks::BoxError> {
//!         let p = ctx.config_value()["punctuation"].as_str().unwrap_or_default().to_string();
//!         ctx.hooks().on(&GREET)?.tap(move |name| format!("Hello, {name}{p}"));
//!         ctx.span().in_scope(|| tracing::info!("greeter ready"));
//!         Ok(())
//!     }
//! }
//!
//! let mut plugin = Greeter;
//! let kit = TestContext::for_plugin(&plugin).build()?;
//! plugin.initialize(kit.context())?;
//! assert_eq!(kit.hooks().hook(&GREET)?.call("Ada".into())?, "Hello, Ada!");
//! assert!(kit.logged("greeter ready"));
//! # Ok::<(), plinth_hooks::BoxError>(())
//! ```

use std::fmt::{self, Write as _};
use std::sync::{Arc, Mutex, PoisonError};

use plinth_core::{GuardError, PluginUrn};
use plinth_hooks::{MessageBus, Registry};
use serde_json::{Value, json};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::subscriber::DefaultGuard;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context as LayerContext, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

use crate::{ConfigError, Context, Metadata, Plugin, Services, resolve_config};

type Provide = Box<dyn FnOnce(&Services)>;

/// Builds a [`TestKit`]: the plugin's name, its configuration section and
/// schema, and services.
///
/// ```
/// use plinth_runtime::testing::TestContext;
/// use serde_json::json;
///
/// let kit = TestContext::new("rate-limiter")
///     .schema(json!({ "properties": { "maxRequests": { "type": "integer", "default": 100 } } }))
///     .config(json!({}))
///     .service(String::from("shared"))
///     .build()?;
/// assert_eq!(kit.context().config_value()["maxRequests"], 100);
/// # Ok::<(), plinth_hooks::BoxError>(())
/// ```
#[must_use]
pub struct TestContext {
    name: String,
    config: Option<Value>,
    schema: Option<Value>,
    services: Vec<Provide>,
}

impl TestContext {
    /// A context for a plugin named `name`, with no configuration or schema.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// let kit = TestContext::new("p").build()?;
    /// assert_eq!(kit.context().name(), "p");
    /// # Ok::<(), plinth_hooks::BoxError>(())
    /// ```
    pub fn new(name: impl Into<String>) -> Self {
        TestContext {
            name: name.into(),
            config: None,
            schema: None,
            services: Vec::new(),
        }
    }

    /// A context for `plugin`: its name and configuration schema.
    ///
    /// ```
    /// # use plinth_runtime::{testing::TestContext, Metadata, Plugin};
    /// struct P;
    /// impl Plugin for P { fn metadata(&self) -> Metadata { Metadata::new("p", "1.0.0") } }
    /// assert_eq!(TestContext::for_plugin(&P).build()?.context().name(), "p");
    /// # Ok::<(), plinth_hooks::BoxError>(())
    /// ```
    pub fn for_plugin<S: 'static>(plugin: &dyn Plugin<S>) -> Self {
        Self::for_metadata(&plugin.metadata())
    }

    /// A context for a plugin with this metadata.
    ///
    /// ```
    /// # use plinth_runtime::{testing::TestContext, Metadata};
    /// let kit = TestContext::for_metadata(&Metadata::new("p", "1.0.0")).build()?;
    /// # Ok::<(), plinth_hooks::BoxError>(())
    /// ```
    pub fn for_metadata(metadata: &Metadata) -> Self {
        let mut context = TestContext::new(metadata.name());
        context.schema = metadata.config_schema().cloned();
        context
    }

    /// The plugin's configuration section (`plugins.<name>`).
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// let kit = TestContext::new("p").config(serde_json::json!({ "a": 1 })).build()?;
    /// assert_eq!(kit.context().config_value()["a"], 1);
    /// # Ok::<(), plinth_hooks::BoxError>(())
    /// ```
    pub fn config(mut self, config: Value) -> Self {
        self.config = Some(config);
        self
    }

    /// The configuration schema (defaults applied, then validated).
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// let err = TestContext::new("p")
    ///     .schema(serde_json::json!({ "required": ["url"] }))
    ///     .build()
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("/plugins/p"));
    /// ```
    pub fn schema(mut self, schema: Value) -> Self {
        self.schema = Some(schema);
        self
    }

    /// Provides a service.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// let kit = TestContext::new("p").service(5u8).build()?;
    /// assert_eq!(*kit.context().service::<u8>()?, 5);
    /// # Ok::<(), plinth_hooks::BoxError>(())
    /// ```
    pub fn service<T: Send + Sync + 'static>(mut self, service: T) -> Self {
        self.services.push(Box::new(move |s: &Services| {
            s.insert(service);
        }));
        self
    }

    /// Builds the kit, and starts capturing this thread's logs until it is
    /// dropped.
    ///
    /// # Errors
    /// [`TestKitError::Name`] for an empty name, [`TestKitError::Config`]
    /// when the configuration breaks the schema (as the manager would
    /// report it).
    ///
    /// ```
    /// # use plinth_runtime::testing::{TestContext, TestKitError};
    /// assert!(matches!(TestContext::new("").build(), Err(TestKitError::Name(_))));
    /// ```
    pub fn build(self) -> Result<TestKit, TestKitError> {
        let urn = PluginUrn::new(&self.name)?;
        let mut app = json!({ "plugins": {} });
        if let Some(config) = self.config {
            app["plugins"][&self.name] = config;
        }
        let config = resolve_config(&app, &self.name, self.schema.as_ref())?;
        let services = Arc::new(Services::new());
        for provide in self.services {
            provide(&services);
        }
        let hooks = Arc::new(Registry::new());
        let bus = Arc::new(MessageBus::new());
        let logs = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Capture { logs: logs.clone() });
        let guard = tracing::subscriber::set_default(subscriber);
        let context = Context::new(
            Arc::new(crate::activation::Activation::new(urn.clone())),
            config,
            services.clone(),
            hooks.clone(),
            bus.clone(),
            Arc::new(crate::faults::FaultQueue::default()),
        );
        Ok(TestKit {
            context,
            hooks,
            bus,
            services,
            logs,
            _guard: guard,
        })
    }
}

/// The kit could not be built.
///
/// ```
/// use plinth_runtime::testing::TestContext;
/// let err = TestContext::new("").build().unwrap_err();
/// assert_eq!(err.to_string(), "plugin URN is empty");
/// ```
#[derive(Debug, thiserror::Error)]
pub enum TestKitError {
    /// The plugin name is not a valid URN.
    #[error(transparent)]
    Name(#[from] GuardError),
    /// The configuration breaks the schema.
    #[error(transparent)]
    Config(#[from] ConfigError),
}

/// A plugin's context wired to real hooks, bus and services, plus the logs
/// captured on this thread while the kit lives.
///
/// ```
/// # use plinth_runtime::testing::TestContext;
/// let kit = TestContext::new("p").build()?;
/// tracing::warn!(attempt = 2, "retrying");
/// let log = &kit.logs()[0];
/// assert_eq!((log.level, log.message.as_str()), (tracing::Level::WARN, "retrying"));
/// assert_eq!(log.fields, [("attempt".to_string(), "2".to_string())]);
/// # Ok::<(), plinth_hooks::BoxError>(())
/// ```
pub struct TestKit {
    context: Context,
    hooks: Arc<Registry>,
    bus: Arc<MessageBus>,
    services: Arc<Services>,
    logs: Arc<Mutex<Vec<LogRecord>>>,
    _guard: DefaultGuard,
}

impl TestKit {
    /// The context to give to `initialize`.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// let kit = TestContext::new("p").build()?;
    /// let ctx: &plinth_runtime::Context = kit.context();
    /// # Ok::<(), plinth_hooks::BoxError>(())
    /// ```
    pub fn context(&self) -> &Context {
        &self.context
    }

    /// The hooks, to trigger them as the application would.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// let kit = TestContext::new("p").build()?;
    /// assert!(kit.hooks().is_empty());
    /// # Ok::<(), plinth_hooks::BoxError>(())
    /// ```
    pub fn hooks(&self) -> &Arc<Registry> {
        &self.hooks
    }

    /// The message bus.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// # use plinth_hooks::Topic;
    /// let kit = TestContext::new("p").build()?;
    /// kit.bus().publish(&Topic::<u8>::new("t"), &1)?;
    /// # Ok::<(), plinth_hooks::BoxError>(())
    /// ```
    pub fn bus(&self) -> &Arc<MessageBus> {
        &self.bus
    }

    /// The service container.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// let kit = TestContext::new("p").build()?;
    /// assert!(kit.services().is_empty());
    /// # Ok::<(), plinth_hooks::BoxError>(())
    /// ```
    pub fn services(&self) -> &Arc<Services> {
        &self.services
    }

    /// The events logged so far on this thread.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// let kit = TestContext::new("p").build()?;
    /// assert!(kit.logs().is_empty());
    /// # Ok::<(), plinth_hooks::BoxError>(())
    /// ```
    pub fn logs(&self) -> Vec<LogRecord> {
        self.logs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Whether some logged message contains `text`.
    ///
    /// ```
    /// # use plinth_runtime::testing::TestContext;
    /// let kit = TestContext::new("p").build()?;
    /// tracing::info!("flushed 3 entries");
    /// assert!(kit.logged("flushed 3"));
    /// # Ok::<(), plinth_hooks::BoxError>(())
    /// ```
    pub fn logged(&self, text: &str) -> bool {
        self.logs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .any(|l| l.message.contains(text))
    }
}

impl fmt::Debug for TestKit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TestKit")
            .field("context", &self.context)
            .finish_non_exhaustive()
    }
}

/// One captured log event.
///
/// ```
/// # use plinth_runtime::testing::TestContext;
/// let kit = TestContext::new("p").build()?;
/// kit.context().span().in_scope(|| tracing::error!("boom"));
/// assert_eq!(kit.logs()[0].plugin.as_deref(), Some("p"));
/// # Ok::<(), plinth_hooks::BoxError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRecord {
    /// The level.
    pub level: Level,
    /// The target (module path by default).
    pub target: String,
    /// The message.
    pub message: String,
    /// Other fields, in order, rendered with `Debug`.
    pub fields: Vec<(String, String)>,
    /// The plugin whose span the event was logged in, if any.
    pub plugin: Option<String>,
}

struct Capture {
    logs: Arc<Mutex<Vec<LogRecord>>>,
}

/// The `name` field of a `plugin` span.
struct PluginName(String);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Capture {
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: LayerContext<'_, S>) {
        if attrs.metadata().name() != "plugin" {
            return;
        }
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let name = fields
            .fields
            .into_iter()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v);
        if let (Some(name), Some(span)) = (name, ctx.span(id)) {
            span.extensions_mut().insert(PluginName(name));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: LayerContext<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let plugin = ctx.event_scope(event).and_then(|scope| {
            scope
                .into_iter()
                .find_map(|span| span.extensions().get::<PluginName>().map(|p| p.0.clone()))
        });
        let record = LogRecord {
            level: *event.metadata().level(),
            target: event.metadata().target().to_string(),
            message: fields.message,
            fields: fields.fields,
            plugin,
        };
        self.logs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(record);
    }
}

#[derive(Default)]
struct Fields {
    message: String,
    fields: Vec<(String, String)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.fields
                .push((field.name().to_string(), value.to_string()));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        if field.name() == "message" {
            self.message = text;
        } else {
            self.fields.push((field.name().to_string(), text));
        }
    }
}
