//! Macros for plinth: `#[derive(EntitySchema)]` for typed entity schemas,
//! and `#[plugin]` for a plugin's hook methods and async lifecycle.
//!
//! Use them through the `plinth` facade (`plinth::EntitySchema`,
//! `plinth::plugin`, both in `plinth::prelude`) or next to the layer they
//! expand to (`plinth-core`, `plinth-runtime`) as a direct dependency: the
//! generated code names whichever of the two the using crate depends on.
#![forbid(unsafe_code)]

mod entity_schema;
mod paths;
mod plugin;

use proc_macro::TokenStream;
use syn::{DeriveInput, parse_macro_input};

/// Derives `EntitySchema` for a struct whose named fields are `Entities<V>`
/// maps: each field is an entity type named after the field.
///
/// Generates `<Struct>Collections`, with the struct's visibility and one
/// public `EntityCollection<V>` field per entity type, and the
/// `EntitySchema` impl that checks keys and builds the collections. Also:
/// `EmptyEntities` (every entity type empty: the contribution of a plugin
/// that contributes nothing, as the plugin manager needs), and, when
/// plinth-core's `serde` feature is on (the manager turns it on),
/// `FromEntityData<D>` for every data format `D` the value types
/// deserialize from: a schema whose value types do not deserialize still
/// derives, it just cannot be read from data.
///
/// ```
/// use plinth_core::{Entities, Host, Plugin};
/// use plinth_macros::EntitySchema;
///
/// #[derive(EntitySchema)]
/// struct AppEntities {
///     assets: Entities<String>,
/// }
///
/// struct Theme(AppEntities);
/// impl Plugin for Theme {
///     type Entities = AppEntities;
///     fn name(&self) -> &str { "theme" }
///     fn entities(&self) -> &AppEntities { &self.0 }
/// }
///
/// let host = Host::from_plugins([Theme(AppEntities {
///     assets: Entities::from([("logo", "moon.svg".to_string())]),
/// })])?;
/// // One typed collection per field: `EntityCollection<String>`.
/// assert_eq!(host.entities().assets.get("logo"), ["moon.svg"]);
/// # Ok::<(), plinth_core::GuardError>(())
/// ```
#[proc_macro_derive(EntitySchema)]
pub fn derive_entity_schema(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    entity_schema::expand(input)
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}

/// Turns a plugin's `impl Plugin for Type` block into a plugin with hook
/// methods and, if it wants, an async lifecycle.
///
/// - A method marked `#[hook(KEY)]` implements the hook under `KEY` (a
///   `Key<Filter<T>>`, `Key<Action<T>>` or `Key<Bail<T, R>>`). It is moved
///   into an inherent `impl Type` block, and the generated
///   `Plugin::register_hooks` registers it each time the plugin starts
///   (right after `initialize`); the manager removes it when the plugin
///   stops. Options: `priority = <i32>` (lower runs first, default 10),
///   `name = ".."`, `before = ".."`, `after = ".."` (the last two may
///   repeat). One method may carry several `#[hook]`s.
/// - The method's signature says how it is registered: a filter step is
///   `fn(&self, T) -> T`, an action `fn(&self, &T)`, a bail
///   `fn(&self, &T) -> Option<R>`. Returning `Result<_, E>` (with
///   `E: Into<BoxError>`) makes it fallible: an error marks the plugin
///   failed. A fallible filter step edits the value in place,
///   `fn(&self, &mut T) -> Result<(), E>`, so that its failure leaves the
///   caller the last good value. An `async fn` is registered as an async
///   callback: a filter step `async fn(&self, &mut T)`, an action or bail
///   taking `&T` or the `Arc<T>` the hook hands out. A method
///   that does not fit its key's hook kind or payload type does not compile.
/// - Each registration owns a clone of the plugin, so a plugin with hook
///   methods must be `Clone` (and `Sync`, since hooks run on any thread):
///   keep its state in `Arc`s, shared by the clones.
/// - `async fn initialize(&mut self, ctx: &Context)` and
///   `async fn destroy(&mut self)` become the trait's `initialize_async` and
///   `destroy_async`, which run under the plugin's timeout.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use std::sync::Arc;
/// use plinth_hooks::{Action, BoxError, Filter, Key};
/// use plinth_macros::plugin;
/// use plinth_runtime::{Context, Manager, Metadata, Plugin};
///
/// const TITLE: Key<Filter<String>> = Key::new("page:title");
/// const SAVED: Key<Action<String>> = Key::new("page:saved");
///
/// #[derive(Clone, Default)]
/// struct Seo { saves: Arc<AtomicUsize> }
///
/// #[plugin]
/// impl Plugin for Seo {
///     fn metadata(&self) -> Metadata { Metadata::new("seo", "1.0.0") }
///
///     async fn initialize(&mut self, _ctx: &Context) -> Result<(), BoxError> {
///         Ok(()) // open connections, read files...
///     }
///
///     #[hook(TITLE, priority = 0)]
///     fn title(&self, title: String) -> String { title + " | site" }
///
///     #[hook(SAVED)]
///     fn count(&self, _page: &String) { self.saves.fetch_add(1, Ordering::Relaxed); }
/// }
///
/// # futures::executor::block_on(async {
/// let seo = Seo::default();
/// let mut manager = Manager::new();
/// manager.register(seo.clone())?;
/// manager.initialize_all().await?;
/// assert_eq!(manager.hooks().hook(&TITLE)?.call("Home".into())?, "Home | site");
/// manager.hooks().hook(&SAVED)?.call(&"home".into())?;
/// assert_eq!(seo.saves.load(Ordering::Relaxed), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
///
/// Misuse is reported at its place: a `#[hook]` without a key or with an
/// unknown option, `#[hook]` on something else than a `&self` method with
/// one payload parameter, `#[plugin]` on something else than a trait impl.
#[proc_macro_attribute]
pub fn plugin(args: TokenStream, item: TokenStream) -> TokenStream {
    plugin::expand(args.into(), item.into())
        .unwrap_or_else(syn::Error::into_compile_error)
        .into()
}
