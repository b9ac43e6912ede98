//! The traits a plugin implements: sync by default, async when it must wait.

use futures::future::BoxFuture;
use plinth_core::{DynamicEntities, EmptyEntities};
use plinth_hooks::BoxError;
use serde_json::Value;

use crate::{Context, ContextError, Metadata};

/// The entity schema of a manager that wants no types: entity types are
/// data, values are JSON (`snapshot.entities().get("assets")`). What
/// [`Manager::new`](crate::Manager::new) manages.
///
/// ```
/// use plinth_core::Entities;
/// use plinth_runtime::{DynamicSchema, Metadata, Plugin};
/// use serde_json::json;
///
/// struct Theme;
/// impl Plugin for Theme {
///     fn metadata(&self) -> Metadata { Metadata::new("theme", "1.0.0") }
///     fn entities(&self) -> DynamicSchema {
///         [("assets", Entities::from([("logo", json!("moon.svg"))]))].into_iter().collect()
///     }
/// }
/// # futures::executor::block_on(async {
/// let mut manager = plinth_runtime::Manager::new();
/// manager.register(Theme)?;
/// manager.initialize_all().await?;
/// assert_eq!(manager.snapshot().entities().get("assets").unwrap().get("logo"), [json!("moon.svg")]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub type DynamicSchema = DynamicEntities<Value>;

/// A plugin of the manager: its [`Metadata`] (the one required method),
/// and optionally a sync or an async start and stop, and the entities it
/// contributes to the host snapshot.
///
/// `S` is the application's entity schema: `Plugin` alone means
/// `Plugin<DynamicSchema>`, for a [`Manager::new`](crate::Manager::new);
/// an application with a `#[derive(EntitySchema)]` struct implements
/// `Plugin<AppEntities>` for a `Manager<AppEntities>` (see
/// [`entities`](Self::entities)).
///
/// `initialize` registers hooks and subscriptions through the context; the
/// manager removes all of them when the plugin stops, so `destroy` only
/// releases what the plugin itself holds (files, tasks).
///
/// With the `#[plugin]` attribute (crate `plinth-macros`, `plinth::plugin`
/// in the facade) on the impl, methods marked `#[hook(KEY)]` are registered
/// for you (through [`register_hooks`](Self::register_hooks)), and
/// `initialize` / `destroy` may be written as `async fn`.
///
/// ```
/// use plinth_hooks::{Filter, Key};
/// use plinth_runtime::{Context, Metadata, Plugin};
///
/// const GREETING: Key<Filter<String>> = Key::new("greeting");
///
/// struct Shout;
/// impl Plugin for Shout {
///     fn metadata(&self) -> Metadata {
///         Metadata::new("shout", "1.0.0").with_description("Upper-cases greetings")
///     }
///     fn initialize(&mut self, ctx: &Context) -> Result<(), plinth_hooks::BoxError> {
///         ctx.hooks().on(&GREETING)?.tap(|s| s.to_uppercase());
///         Ok(())
///     }
/// }
///
/// # futures::executor::block_on(async {
/// let mut manager = plinth_runtime::Manager::new();
/// manager.register(Shout)?;
/// manager.initialize_all().await?;
/// assert_eq!(manager.hooks().hook(&GREETING)?.call("hi".into())?, "HI");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub trait Plugin<S = DynamicSchema>: Send + 'static {
    /// The plugin's metadata; read once, when it is registered.
    fn metadata(&self) -> Metadata;

    /// Starts the plugin. An error or a panic marks it failed.
    ///
    /// # Blocking
    /// A sync `initialize` runs on the task that drives the manager
    /// operation and **no timeout applies to it**: code that can block
    /// (network, locks held by others, waiting on a child process) would
    /// stall that operation, and every operation after it. Such a plugin
    /// overrides [`initialize_async`](Self::initialize_async) instead,
    /// which runs under the plugin's [`timeout`](Metadata::with_timeout).
    ///
    /// # Errors
    /// Whatever stops the plugin from starting.
    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        let _ = ctx;
        Ok(())
    }

    /// Stops the plugin. An error or a panic marks it failed; its hooks are
    /// removed either way. It starts after the last hook call running one
    /// of its callbacks has returned, so a final flush sees every entry.
    ///
    /// # Blocking
    /// As for [`initialize`](Self::initialize): no timeout applies to a
    /// sync `destroy`.
    ///
    /// # Errors
    /// Whatever could not be released.
    fn destroy(&mut self) -> Result<(), BoxError> {
        Ok(())
    }

    /// Starts a plugin that must wait (I/O, connections): override this
    /// instead of [`initialize`](Self::initialize). It runs under the
    /// plugin's timeout ([`Metadata::with_timeout`] or the manager's
    /// default); the default calls `initialize`.
    ///
    /// ```
    /// use futures::future::BoxFuture;
    /// use plinth_hooks::BoxError;
    /// use plinth_runtime::{Context, Metadata, Plugin};
    ///
    /// struct Db { connected: bool }
    /// impl Plugin for Db {
    ///     fn metadata(&self) -> Metadata { Metadata::new("db", "2.0.0") }
    ///     fn initialize_async<'a>(&'a mut self, _ctx: &'a Context) -> BoxFuture<'a, Result<(), BoxError>> {
    ///         Box::pin(async move { self.connected = true; Ok(()) })
    ///     }
    ///     fn destroy_async(&mut self) -> BoxFuture<'_, Result<(), BoxError>> {
    ///         Box::pin(async move { self.connected = false; Ok(()) })
    ///     }
    /// }
    ///
    /// # futures::executor::block_on(async {
    /// let mut manager = plinth_runtime::Manager::new();
    /// manager.register(Db { connected: false })?;
    /// manager.initialize_all().await?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// Whatever stops the plugin from starting.
    fn initialize_async<'a>(&'a mut self, ctx: &'a Context) -> BoxFuture<'a, Result<(), BoxError>> {
        Box::pin(async move { self.initialize(ctx) })
    }

    /// Stops a plugin that must wait; the counterpart of
    /// [`initialize_async`](Self::initialize_async), under the same
    /// timeout. The default calls [`destroy`](Self::destroy).
    ///
    /// # Errors
    /// Whatever could not be released.
    fn destroy_async(&mut self) -> BoxFuture<'_, Result<(), BoxError>> {
        Box::pin(async move { self.destroy() })
    }

    /// Registers the plugin's declared hook implementations; called by the
    /// manager right after a successful `initialize`, with the same context
    /// (so they are removed when the plugin stops). Written for you by the
    /// `#[plugin]` attribute from the methods marked `#[hook(KEY)]`; the
    /// default registers nothing.
    ///
    /// # Errors
    /// A hook bound to another type, or a context whose activation ended.
    fn register_hooks(&self, ctx: &Context) -> Result<(), ContextError> {
        let _ = ctx;
        Ok(())
    }

    /// The entities it contributes to the host snapshot while active, in
    /// the application's entity schema; none by default (every entity type
    /// empty). Taken once per start, after `initialize`.
    ///
    /// ```
    /// use plinth_core::Entities;
    /// use plinth_macros::EntitySchema;
    /// use plinth_runtime::{Manager, Metadata, Plugin};
    ///
    /// #[derive(EntitySchema)]
    /// struct AppEntities {
    ///     assets: Entities<String>,
    /// }
    ///
    /// struct Theme;
    /// impl Plugin<AppEntities> for Theme {
    ///     fn metadata(&self) -> Metadata { Metadata::new("theme", "1.0.0") }
    ///     fn entities(&self) -> AppEntities {
    ///         AppEntities { assets: Entities::from([("logo", "moon.svg".to_string())]) }
    ///     }
    /// }
    ///
    /// # futures::executor::block_on(async {
    /// let mut manager = Manager::<AppEntities>::typed();
    /// manager.register(Theme)?;
    /// manager.initialize_all().await?;
    /// let snapshot = manager.snapshot();
    /// let logo: &[String] = snapshot.entities().assets.get("logo");
    /// assert_eq!(logo, ["moon.svg"]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    fn entities(&self) -> S
    where
        S: EmptyEntities,
    {
        S::empty()
    }

    /// [`entities`](Self::entities) for a plugin whose entities may not fit
    /// the schema (data read from a file): an error fails its start, as a
    /// failing `initialize` does. The manager calls this one; the default
    /// calls `entities`.
    ///
    /// ```
    /// use plinth_runtime::{Manager, Metadata, Plugin, PluginState};
    /// use plinth_runtime::DynamicSchema;
    ///
    /// struct Broken;
    /// impl Plugin for Broken {
    ///     fn metadata(&self) -> Metadata { Metadata::new("broken", "1.0.0") }
    ///     fn try_entities(&self) -> Result<DynamicSchema, plinth_hooks::BoxError> {
    ///         Err("assets.toml: not a table".into())
    ///     }
    /// }
    ///
    /// # futures::executor::block_on(async {
    /// let mut manager = Manager::new();
    /// manager.register(Broken)?;
    /// manager.initialize_all().await?;
    /// assert_eq!(manager.state("broken"), Some(PluginState::Failed));
    /// assert_eq!(manager.reason("broken").unwrap().to_string(), "invalid entity data: assets.toml: not a table");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// # }).unwrap();
    /// ```
    ///
    /// # Errors
    /// Whatever keeps the plugin from producing its entities.
    fn try_entities(&self) -> Result<S, BoxError>
    where
        S: EmptyEntities,
    {
        Ok(self.entities())
    }
}
