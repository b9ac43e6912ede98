//! `#[plugin]` with a real manager: hook methods of every shape registered
//! on start, in priority order, gone on disable, back on enable; async
//! lifecycle methods run by the manager.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use futures::executor::block_on;
use plinth::prelude::*;

const TITLE: Key<Filter<String>> = Key::new("page:title");
const SAVED: Key<Action<String>> = Key::new("page:saved");
const LIMIT: Key<Action<u32>> = Key::new("limit");
const LOAD: Key<Filter<String>> = Key::new("page:load");
const NOTIFY: Key<Action<String>> = Key::new("notify");
const ROUTE: Key<Bail<String, u16>> = Key::new("route");

type Result<T = (), E = Box<dyn std::error::Error>> = std::result::Result<T, E>;

#[derive(Clone, Default)]
struct Site {
    saved: Arc<Mutex<Vec<String>>>,
    notified: Arc<Mutex<Vec<String>>>,
}

#[plinth::plugin]
impl Plugin for Site {
    fn metadata(&self) -> Metadata {
        Metadata::new("site", "1.0.0")
    }

    /// Runs last: the default priority is 10.
    #[hook(TITLE, priority = 20)]
    fn suffix(&self, title: String) -> String {
        title + " | site"
    }

    #[hook(TITLE, priority = 0, name = "prefix")]
    fn prefix(&self, title: String) -> String {
        format!("~ {title}")
    }

    #[hook(SAVED)]
    fn record(&self, page: &String) {
        self.saved.lock().unwrap().push(page.clone());
    }

    #[hook(LIMIT)]
    fn check(&self, n: &u32) -> Result<(), BoxError> {
        if *n > 10 {
            return Err(format!("{n} is over the limit").into());
        }
        Ok(())
    }

    #[hook(LOAD)]
    async fn load(&self, page: &mut String) -> Result<(), BoxError> {
        futures::future::ready(()).await;
        page.push_str(" (loaded)");
        Ok(())
    }

    #[hook(NOTIFY)]
    async fn notify(&self, message: Arc<String>) {
        self.notified.lock().unwrap().push(message.to_string());
    }

    #[hook(ROUTE)]
    #[hook(ROUTE, priority = 30, name = "fallback")]
    fn route(&self, path: &String) -> Option<u16> {
        (path == "/").then_some(200)
    }
}

fn started(site: &Site) -> Result<Manager> {
    let mut manager = Manager::new();
    manager.register(site.clone())?;
    block_on(manager.initialize_all())?;
    Ok(manager)
}

#[test]
fn every_shape_is_registered_on_start() -> Result {
    let site = Site::default();
    let manager = started(&site)?;
    let hooks = manager.hooks();

    assert_eq!(hooks.hook(&TITLE)?.call("Home".into())?, "~ Home | site");
    hooks.hook(&SAVED)?.call(&"home".into())?;
    assert_eq!(*site.saved.lock().unwrap(), ["home"]);
    hooks.hook(&LIMIT)?.call(&3)?;
    assert_eq!(
        block_on(hooks.hook(&LOAD)?.call_async("Home".into()))?,
        "Home (loaded)"
    );
    block_on(hooks.hook(&NOTIFY)?.call_async("hi".to_string()))?;
    assert_eq!(*site.notified.lock().unwrap(), ["hi"]);
    assert_eq!(hooks.hook(&ROUTE)?.call(&"/".into())?, Some(200));
    assert_eq!(hooks.hook(&ROUTE)?.len(), 2, "one method, two #[hook]s");
    Ok(())
}

#[test]
fn priorities_interleave_with_other_registrations() -> Result {
    let site = Site::default();
    let manager = started(&site)?;
    let title = manager.hooks().hook(&TITLE)?;
    // The application's own step, at the default priority 10.
    title.tap(PluginUrn::new("app")?, |t| t + "!");
    assert_eq!(title.call("Home".into())?, "~ Home! | site");
    Ok(())
}

#[test]
fn registrations_leave_on_disable_and_return_on_enable() -> Result {
    let site = Site::default();
    let mut manager = started(&site)?;
    let title = manager.hooks().hook(&TITLE)?;
    let saved = manager.hooks().hook(&SAVED)?;
    assert_eq!(title.len(), 2);

    block_on(manager.disable("site"))?;
    assert_eq!(title.len(), 0);
    assert_eq!(saved.len(), 0);
    assert_eq!(title.call("Home".into())?, "Home");

    block_on(manager.enable("site"))?;
    assert_eq!(title.len(), 2);
    assert_eq!(title.call("Home".into())?, "~ Home | site");
    saved.call(&"again".into())?;
    assert_eq!(*site.saved.lock().unwrap(), ["again"]);
    Ok(())
}

#[test]
fn a_failing_hook_method_fails_its_plugin() -> Result {
    let site = Site::default();
    let mut manager = started(&site)?;
    let err = manager.hooks().hook(&LIMIT)?.call(&11).unwrap_err();
    assert!(err.to_string().contains("11 is over the limit"), "{err}");
    assert_eq!(block_on(manager.apply_faults()), ["site"]);
    assert_eq!(manager.state("site"), Some(PluginState::Failed));
    assert_eq!(manager.hooks().hook(&TITLE)?.len(), 0);
    Ok(())
}

/// A plugin that waits on start and stop, with a hook method besides.
#[derive(Clone, Default)]
struct Db {
    events: Arc<Mutex<Vec<&'static str>>>,
    queries: Arc<AtomicUsize>,
}

#[plinth::plugin]
impl Plugin for Db {
    fn metadata(&self) -> Metadata {
        Metadata::new("db", "1.0.0")
    }

    async fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        futures::future::ready(()).await;
        ctx.bus()
            .subscribe(&Topic::<u8>::new("db:ping"), |_| Ok(()))?;
        self.events
            .lock()
            .map_err(|_| "poisoned")?
            .push("connected");
        Ok(())
    }

    async fn destroy(&mut self) -> Result<(), BoxError> {
        futures::future::ready(()).await;
        self.events.lock().unwrap().push("closed");
        Ok(())
    }

    #[hook(SAVED)]
    fn query(&self, _page: &String) {
        self.queries.fetch_add(1, Ordering::Relaxed);
    }
}

#[test]
fn async_lifecycle_methods_run_around_the_hooks() -> Result {
    let db = Db::default();
    let mut manager = started_with(db.clone())?;
    assert_eq!(manager.state("db"), Some(PluginState::Active));
    assert_eq!(*db.events.lock().unwrap(), ["connected"]);
    manager.hooks().hook(&SAVED)?.call(&"home".into())?;
    assert_eq!(db.queries.load(Ordering::Relaxed), 1);

    block_on(manager.disable("db"))?;
    assert_eq!(*db.events.lock().unwrap(), ["connected", "closed"]);
    assert_eq!(manager.hooks().hook(&SAVED)?.len(), 0);
    Ok(())
}

/// An async `initialize` that fails: the plugin fails and its hook methods
/// are never registered.
#[derive(Clone)]
struct Broken;

#[plinth::plugin]
impl Plugin for Broken {
    fn metadata(&self) -> Metadata {
        Metadata::new("broken", "1.0.0")
    }

    async fn initialize(&mut self, _ctx: &Context) -> Result<(), BoxError> {
        Err("no database".into())
    }

    #[hook(TITLE)]
    fn title(&self, title: String) -> String {
        title + " (broken)"
    }
}

#[test]
fn hook_methods_wait_for_a_successful_initialize() -> Result {
    let manager = started_with(Broken)?;
    assert_eq!(manager.state("broken"), Some(PluginState::Failed));
    assert_eq!(manager.hooks().hook(&TITLE)?.len(), 0);
    Ok(())
}

/// A generic plugin, and options given as constants.
#[derive(Clone)]
struct Tagged<const N: usize>;

const LATE: i32 = 50;
const AFTER: &str = "prefix";

#[plinth::plugin]
impl<const N: usize> Plugin for Tagged<N> {
    fn metadata(&self) -> Metadata {
        Metadata::new(format!("tagged-{N}"), "1.0.0")
    }

    #[hook(TITLE, priority = LATE, name = format!("tag-{N}"), after = AFTER)]
    fn tag(&self, title: String) -> String {
        format!("{title} #{N}")
    }
}

#[test]
fn generic_plugins_and_computed_options() -> Result {
    let mut manager = Manager::new();
    manager.register(Tagged::<1>)?;
    manager.register(Site::default())?;
    block_on(manager.initialize_all())?;
    assert_eq!(
        manager.hooks().hook(&TITLE)?.call("Home".into())?,
        "~ Home | site #1"
    );
    Ok(())
}

fn started_with(plugin: impl Plugin) -> Result<Manager> {
    let mut manager = Manager::new();
    manager.register(plugin)?;
    block_on(manager.initialize_all())?;
    Ok(manager)
}
