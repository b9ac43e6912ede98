//! The extension registry: `register` and `connect`.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, LazyLock, PoisonError, RwLock};

use crate::loader::LazyFactory;
use crate::{
    BoxError, ConnectError, ConnectOptions, Connection, Creation, ErasedFactory, Extension,
    ExtensionError, ExtensionInfo, ExtensionPoint, Factory,
};

/// Whether an extension takes part in connects that do not name it.
///
/// ```
/// use plinth_extensions::Activation;
/// assert_eq!(Activation::from_auto(false), Activation::ByName);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Activation {
    /// A candidate of every connect of its point (the default).
    #[default]
    Auto,
    /// Connected only when asked for by name (manifest `auto = false`).
    ByName,
}

impl Activation {
    /// `Auto` for `true`, `ByName` for `false`, as the manifest's `auto`.
    ///
    /// ```
    /// # use plinth_extensions::Activation;
    /// assert_eq!(Activation::from_auto(true), Activation::Auto);
    /// assert_eq!(Activation::from_auto(false), Activation::ByName);
    /// ```
    pub fn from_auto(auto: bool) -> Self {
        if auto {
            Activation::Auto
        } else {
            Activation::ByName
        }
    }
}

#[derive(Clone)]
enum Source {
    Ready(ErasedFactory),
    // Declared by a manifest; its module is loaded on the first connect.
    Lazy(Arc<LazyFactory>),
}

impl Source {
    /// The plugin that declared it; `None` for the application's.
    fn owner(&self) -> Option<&str> {
        match self {
            Source::Ready(_) => None,
            Source::Lazy(lazy) => Some(lazy.plugin()),
        }
    }
}

#[derive(Clone)]
struct Entry {
    name: Arc<str>,
    activation: Activation,
    source: Source,
    /// The declarations of this name this one took over from, each of
    /// another owner, latest last: withdrawing a plugin's puts back the one
    /// before it, so which one answers does not depend on the order plugins
    /// were toggled in.
    shadowed: Vec<(Activation, Source)>,
}

#[derive(Default)]
struct Point {
    name: Arc<str>,
    entries: Vec<Entry>,
    index: HashMap<Arc<str>, usize>,
}

impl Point {
    /// Keeps the entries `keep` accepts, in order; returns how many went.
    fn retain(&mut self, keep: impl Fn(&Entry) -> bool) -> usize {
        let before = self.entries.len();
        self.entries.retain(keep);
        let removed = before - self.entries.len();
        if removed > 0 {
            self.index = self
                .entries
                .iter()
                .enumerate()
                .map(|(i, e)| (e.name.clone(), i))
                .collect();
        }
        removed
    }
}

/// Extension points and their named factories, in registration order (the
/// seeds' `Plugins` class).
///
/// All methods take `&self`: a registry is shared between the scanning and
/// the connecting parts of an application (and [`ExtensionRegistry::global`]
/// is one process-wide instance). Factories run outside the registry's lock,
/// so a factory may itself register or connect.
///
/// ```
/// use plinth_extensions::{ConnectOptions, ExtensionPoint, ExtensionRegistry, Factory};
///
/// struct Editor { name: &'static str }
/// const LANGUAGE: ExtensionPoint<Editor, (), String> = ExtensionPoint::new("xedit:language");
///
/// let registry = ExtensionRegistry::new();
/// registry
///     .register(&LANGUAGE, "x", Factory::sync(|_, host: &Editor, info| {
///         Ok(format!("{} for {}", info.name(), host.name))
///     }))
///     .register(&LANGUAGE, "y", Factory::sync(|_, _, _| Ok("y".to_string())));
///
/// let editor = Editor { name: "xedit" };
/// let all = registry.connect_blocking(&editor, &LANGUAGE, ConnectOptions::new().multi(true))?;
/// assert_eq!(all.instances(), ["x for xedit", "y"]);
/// # Ok::<(), plinth_extensions::ConnectError>(())
/// ```
pub struct ExtensionRegistry {
    points: RwLock<HashMap<Arc<str>, Point>>,
}

static GLOBAL: LazyLock<ExtensionRegistry> = LazyLock::new(ExtensionRegistry::new);

impl ExtensionRegistry {
    /// An empty registry.
    ///
    /// ```
    /// # use plinth_extensions::ExtensionRegistry;
    /// let r = ExtensionRegistry::new();
    /// assert!(r.point_names().is_empty());
    /// assert!(r.extension_names("any").is_empty());
    /// ```
    pub fn new() -> Self {
        ExtensionRegistry {
            points: RwLock::new(HashMap::new()),
        }
    }

    /// The process-wide registry (the seeds' `Plugins.instance`), for
    /// applications that want one; every API works on explicit instances too.
    ///
    /// ```
    /// use plinth_extensions::ExtensionRegistry;
    /// assert!(std::ptr::eq(ExtensionRegistry::global(), ExtensionRegistry::global()));
    /// ```
    pub fn global() -> &'static ExtensionRegistry {
        &GLOBAL
    }

    /// Registers `factory` as extension `name` of `point` and returns the
    /// registry. Registering a name again replaces its factory and keeps its
    /// original position.
    ///
    /// ```
    /// # use plinth_extensions::{ConnectOptions, ExtensionPoint, ExtensionRegistry, Factory};
    /// const P: ExtensionPoint<(), (), &str> = ExtensionPoint::new("p");
    /// let r = ExtensionRegistry::new();
    /// r.register(&P, "a", Factory::sync(|_, _, _| Ok("a1")))
    ///     .register(&P, "b", Factory::sync(|_, _, _| Ok("b")))
    ///     .register(&P, "a", Factory::sync(|_, _, _| Ok("a2")));
    /// let all = r.connect_blocking(&(), &P, ConnectOptions::new().multi(true))?;
    /// assert_eq!(all.instances(), ["a2", "b"]);
    /// # Ok::<(), plinth_extensions::ConnectError>(())
    /// ```
    pub fn register<H, D, T>(
        &self,
        point: &ExtensionPoint<H, D, T>,
        name: &str,
        factory: Factory<H, D, T>,
    ) -> &Self
    where
        H: ?Sized + 'static,
        D: ?Sized + 'static,
        T: 'static,
    {
        self.register_with(point, name, factory, Activation::Auto)
    }

    /// As [`register`](Self::register), choosing the [`Activation`].
    ///
    /// ```
    /// # use plinth_extensions::{Activation, ConnectOptions, ExtensionPoint, ExtensionRegistry, Factory};
    /// const P: ExtensionPoint<(), (), &str> = ExtensionPoint::new("p");
    /// let r = ExtensionRegistry::new();
    /// r.register_with(&P, "hidden", Factory::sync(|_, _, _| Ok("h")), Activation::ByName);
    /// assert_eq!(r.connect_blocking(&(), &P, ConnectOptions::new())?.single(), None);
    /// assert_eq!(r.connect_blocking(&(), &P, ConnectOptions::new().name("hidden"))?.single(), Some("h"));
    /// # Ok::<(), plinth_extensions::ConnectError>(())
    /// ```
    pub fn register_with<H, D, T>(
        &self,
        point: &ExtensionPoint<H, D, T>,
        name: &str,
        factory: Factory<H, D, T>,
        activation: Activation,
    ) -> &Self
    where
        H: ?Sized + 'static,
        D: ?Sized + 'static,
        T: 'static,
    {
        self.insert(
            point.name(),
            name,
            activation,
            Source::Ready(factory.erase()),
        )
    }

    /// Registers an extension whose factory is loaded from a module on its
    /// first connect (what a manifest declares).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// use plinth_extensions::{Activation, ExtensionRegistry, LazyFactory, Loaders, ModuleRef};
    ///
    /// let loaders = Arc::new(Loaders::new());
    /// let lazy = LazyFactory::new("my-plugin", std::path::Path::new("plugins/my-plugin"), ModuleRef::parse("native:tools", None), loaders);
    /// let r = ExtensionRegistry::new();
    /// r.register_lazy("app:tools", "t", Arc::new(lazy), Activation::Auto);
    /// assert_eq!(r.extension_names("app:tools"), ["t"]);
    /// ```
    pub fn register_lazy(
        &self,
        point: &str,
        name: &str,
        factory: Arc<LazyFactory>,
        activation: Activation,
    ) -> &Self {
        self.insert(point, name, activation, Source::Lazy(factory))
    }

    fn insert(&self, point: &str, name: &str, activation: Activation, source: Source) -> &Self {
        let mut points = self.points.write().unwrap_or_else(PoisonError::into_inner);
        insert_into(&mut points, point, name, activation, source);
        self
    }

    /// Registers many lazy extensions under one lock (a manifest declares
    /// tens; a scan registers thousands).
    pub(crate) fn register_lazy_all<'a>(
        &self,
        extensions: impl IntoIterator<Item = (&'a str, &'a str, Arc<LazyFactory>, Activation)>,
    ) {
        let mut points = self.points.write().unwrap_or_else(PoisonError::into_inner);
        for (point, name, factory, activation) in extensions {
            insert_into(&mut points, point, name, activation, Source::Lazy(factory));
        }
    }

    /// Removes extension `name` of `point`; `false` if there was none.
    /// The others keep their order.
    ///
    /// ```
    /// # use plinth_extensions::{ExtensionPoint, ExtensionRegistry, Factory};
    /// const P: ExtensionPoint<(), (), u8> = ExtensionPoint::new("p");
    /// let r = ExtensionRegistry::new();
    /// r.register(&P, "a", Factory::sync(|_, _, _| Ok(1)))
    ///     .register(&P, "b", Factory::sync(|_, _, _| Ok(2)));
    /// assert!(r.unregister("p", "a"));
    /// assert!(!r.unregister("p", "a"));
    /// assert_eq!(r.extension_names("p"), ["b"]);
    /// ```
    pub fn unregister(&self, point: &str, name: &str) -> bool {
        let mut points = self.points.write().unwrap_or_else(PoisonError::into_inner);
        points
            .get_mut(point)
            .is_some_and(|p| p.retain(|e| &*e.name != name) == 1)
    }

    /// Removes every extension a manifest of plugin `plugin` declared (see
    /// [`register_manifest`](crate::register_manifest)), on every point;
    /// returns how many. This is how a disabled plugin's extensions go away:
    /// the same verb as for its hooks and subscriptions, by the plugin's
    /// name.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// use plinth_extensions::{Activation, ExtensionRegistry, LazyFactory, Loaders, ModuleRef};
    ///
    /// let loaders = Arc::new(Loaders::new());
    /// let lazy = |plugin: &str| {
    ///     Arc::new(LazyFactory::new(plugin, std::path::Path::new("."), ModuleRef::parse("native:m", None), loaders.clone()))
    /// };
    /// let r = ExtensionRegistry::new();
    /// r.register_lazy("p", "mine", lazy("a"), Activation::Auto)
    ///     .register_lazy("p", "theirs", lazy("b"), Activation::Auto);
    /// assert_eq!(r.remove_owner("a"), 1);
    /// assert_eq!(r.extension_names("p"), ["theirs"]);
    ///
    /// // A name two plugins declare is the latest's; withdrawing it puts
    /// // the other's back.
    /// r.register_lazy("p", "fmt", lazy("c"), Activation::Auto)
    ///     .register_lazy("p", "fmt", lazy("d"), Activation::ByName);
    /// assert_eq!(r.remove_owner("d"), 1);
    /// assert_eq!(r.extension_names("p"), ["theirs", "fmt"]);
    /// assert_eq!(r.remove_owner("c"), 1);
    /// assert_eq!(r.extension_names("p"), ["theirs"]);
    /// ```
    pub fn remove_owner(&self, plugin: &str) -> usize {
        let mut points = self.points.write().unwrap_or_else(PoisonError::into_inner);
        let mut removed = 0;
        for point in points.values_mut() {
            for entry in &mut point.entries {
                let before = entry.shadowed.len();
                entry.shadowed.retain(|(_, s)| s.owner() != Some(plugin));
                removed += before - entry.shadowed.len();
                if entry.source.owner() == Some(plugin)
                    && let Some((activation, source)) = entry.shadowed.pop()
                {
                    (entry.activation, entry.source) = (activation, source);
                    removed += 1;
                }
            }
            removed += point.retain(|e| e.source.owner() != Some(plugin));
        }
        removed
    }

    /// The names of a point's extensions, in registration order.
    ///
    /// ```
    /// # use plinth_extensions::{ExtensionPoint, ExtensionRegistry, Factory};
    /// const P: ExtensionPoint<(), (), u8> = ExtensionPoint::new("p");
    /// let r = ExtensionRegistry::new();
    /// r.register(&P, "b", Factory::sync(|_, _, _| Ok(2)))
    ///     .register(&P, "a", Factory::sync(|_, _, _| Ok(1)));
    /// assert_eq!(r.extension_names("p"), ["b", "a"]);
    /// assert!(r.extension_names("unknown").is_empty());
    /// ```
    pub fn extension_names(&self, point: &str) -> Vec<String> {
        let points = self.points.read().unwrap_or_else(PoisonError::into_inner);
        points
            .get(point)
            .map(|p| p.entries.iter().map(|e| e.name.to_string()).collect())
            .unwrap_or_default()
    }

    /// The names of all points, in no particular order.
    ///
    /// ```
    /// # use plinth_extensions::{ExtensionPoint, ExtensionRegistry, Factory};
    /// let r = ExtensionRegistry::new();
    /// for name in ["b", "a"] {
    ///     r.register(&ExtensionPoint::<(), (), u8>::named(name), "x", Factory::sync(|_, _, _| Ok(1)));
    /// }
    /// let mut names = r.point_names();
    /// names.sort();
    /// assert_eq!(names, ["a", "b"]);
    /// ```
    pub fn point_names(&self) -> Vec<String> {
        let points = self.points.read().unwrap_or_else(PoisonError::into_inner);
        points.keys().map(|k| k.to_string()).collect()
    }

    /// Connects extensions of `point` for `host` (the seeds' `connect`).
    ///
    /// Candidates are the names asked for, in order, else every registered
    /// extension of the point in registration order except those registered
    /// [`Activation::ByName`]. A single connect takes the first candidate
    /// that yields an instance; a multi connect takes them all, in candidate
    /// order whatever order async factories finish in. An extension whose
    /// module or factory fails is reported to the error callback and
    /// skipped.
    ///
    /// ```
    /// # use plinth_extensions::{ConnectOptions, ExtensionPoint, ExtensionRegistry, Factory};
    /// const P: ExtensionPoint<(), str, String> = ExtensionPoint::new("p");
    /// let r = ExtensionRegistry::new();
    /// r.register(&P, "echo", Factory::from_async(|data: &str, _, _| Box::pin(async move { Ok(data.to_string()) })));
    /// let made = futures::executor::block_on(r.connect(&(), &P, ConnectOptions::new().data("hi")))?;
    /// assert_eq!(made.single().as_deref(), Some("hi"));
    /// # Ok::<(), plinth_extensions::ConnectError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConnectError::NotFound`] naming the point when `required` is set
    /// and nothing was connected.
    pub async fn connect<H, D, T>(
        &self,
        host: &H,
        point: &ExtensionPoint<H, D, T>,
        mut options: ConnectOptions<'_, D>,
    ) -> Result<Connection<T>, ConnectError>
    where
        H: ?Sized + Sync + 'static,
        D: ?Sized + Sync + 'static,
        T: Send + 'static,
    {
        let (point_name, candidates) = self.candidates(point.name(), options.names.as_deref());
        let data = options.data;
        let mut connected = Vec::new();
        if options.multi {
            let mut prepared = Vec::with_capacity(candidates.len());
            for entry in candidates {
                let info = ExtensionInfo::new(point_name.clone(), entry.name.clone());
                prepared.push((resolve::<H, D, T>(&point_name, &entry), info));
            }
            let creations: Vec<Option<Creation<'_, T>>> = prepared
                .iter()
                .map(|(factory, info)| {
                    let factory = factory.as_ref().ok()?;
                    Some(guarded_create(factory, data, host, info))
                })
                .collect();
            let results = finish_all(creations).await;
            for ((factory, info), result) in prepared.into_iter().zip(results) {
                match (factory, result) {
                    (Err(error), _) => options.report(error),
                    (Ok(_), Some(outcome)) => {
                        if let Some(extension) = accept(outcome, info, &mut options) {
                            connected.push(extension);
                        }
                    }
                    (Ok(_), None) => {}
                }
            }
        } else {
            for entry in candidates {
                let factory = match resolve::<H, D, T>(&point_name, &entry) {
                    Ok(factory) => factory,
                    Err(error) => {
                        options.report(error);
                        continue;
                    }
                };
                let info = ExtensionInfo::new(point_name.clone(), entry.name.clone());
                let outcome = guarded_create(&factory, data, host, &info).finish().await;
                if let Some(extension) = accept(outcome, info, &mut options) {
                    connected.push(extension);
                    break;
                }
            }
        }
        if connected.is_empty() && options.required {
            return Err(ConnectError::NotFound {
                point: point.name().to_owned(),
            });
        }
        Ok(Connection::from(connected))
    }

    /// [`connect`](Self::connect), waiting on the current thread (with
    /// `futures`' executor) for async factories. Do not call it from inside
    /// an async runtime's worker: use `connect(..).await` there.
    ///
    /// ```
    /// # use plinth_extensions::{ConnectOptions, ExtensionPoint, ExtensionRegistry, Factory};
    /// const P: ExtensionPoint<(), (), u8> = ExtensionPoint::new("p");
    /// let r = ExtensionRegistry::new();
    /// let err = r.connect_blocking(&(), &P, ConnectOptions::new().required(true)).unwrap_err();
    /// assert_eq!(err.to_string(), r#"no extension found for point "p""#);
    /// ```
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    pub fn connect_blocking<H, D, T>(
        &self,
        host: &H,
        point: &ExtensionPoint<H, D, T>,
        options: ConnectOptions<'_, D>,
    ) -> Result<Connection<T>, ConnectError>
    where
        H: ?Sized + Sync + 'static,
        D: ?Sized + Sync + 'static,
        T: Send + 'static,
    {
        futures::executor::block_on(self.connect(host, point, options))
    }

    /// A snapshot of the candidates, so that no lock is held while
    /// factories run.
    fn candidates(
        &self,
        point: &str,
        names: Option<&[std::borrow::Cow<'_, str>]>,
    ) -> (Arc<str>, Vec<Entry>) {
        let points = self.points.read().unwrap_or_else(PoisonError::into_inner);
        let Some(slot) = points.get(point) else {
            return (Arc::from(point), Vec::new());
        };
        let entries = match names {
            Some(names) => names
                .iter()
                .filter_map(|n| slot.index.get(&**n).map(|&at| slot.entries[at].clone()))
                .collect(),
            None => slot
                .entries
                .iter()
                .filter(|e| e.activation == Activation::Auto)
                .cloned()
                .collect(),
        };
        (slot.name.clone(), entries)
    }
}

fn resolve<H, D, T>(point: &Arc<str>, entry: &Entry) -> Result<Factory<H, D, T>, ExtensionError>
where
    H: ?Sized + 'static,
    D: ?Sized + 'static,
    T: 'static,
{
    let erased = match &entry.source {
        Source::Ready(factory) => factory,
        Source::Lazy(lazy) => lazy.resolve().map_err(|source| ExtensionError::Load {
            point: point.clone(),
            extension: entry.name.clone(),
            source,
        })?,
    };
    erased
        .downcast::<H, D, T>()
        .cloned()
        .ok_or_else(|| ExtensionError::TypeMismatch {
            point: point.clone(),
            extension: entry.name.clone(),
            expected: std::any::type_name::<(&H, &D, T)>(),
            found: erased.types(),
        })
}

/// Waits for every creation, keeping their order; skips the executor
/// machinery when every factory finished synchronously.
async fn finish_all<T>(
    creations: Vec<Option<Creation<'_, T>>>,
) -> Vec<Option<crate::FactoryResult<T>>> {
    if creations
        .iter()
        .all(|c| !matches!(c, Some(Creation::Pending(_))))
    {
        return creations
            .into_iter()
            .map(|c| match c {
                Some(Creation::Ready(result)) => Some(result),
                _ => None,
            })
            .collect();
    }
    futures::future::join_all(creations.into_iter().map(|c| async move {
        match c {
            Some(creation) => Some(creation.finish().await),
            None => None,
        }
    }))
    .await
}

fn insert_into(
    points: &mut HashMap<Arc<str>, Point>,
    point: &str,
    name: &str,
    activation: Activation,
    source: Source,
) {
    let slot = match points.get_mut(point) {
        Some(slot) => slot,
        None => {
            let key: Arc<str> = Arc::from(point);
            points.entry(key.clone()).or_insert_with(|| Point {
                name: key,
                ..Point::default()
            })
        }
    };
    match slot.index.get(name) {
        Some(&at) => {
            let entry = &mut slot.entries[at];
            let owner = source.owner().map(str::to_owned);
            entry
                .shadowed
                .retain(|(_, s)| s.owner() != owner.as_deref());
            let previous = std::mem::replace(&mut entry.source, source);
            let previous_activation = std::mem::replace(&mut entry.activation, activation);
            // The same owner's declaration is replaced; another's is kept
            // underneath.
            if previous.owner() != owner.as_deref() {
                entry.shadowed.push((previous_activation, previous));
            }
        }
        None => {
            let name: Arc<str> = Arc::from(name);
            slot.index.insert(name.clone(), slot.entries.len());
            slot.entries.push(Entry {
                name,
                activation,
                source,
                shadowed: Vec::new(),
            });
        }
    }
}

/// Runs a factory so that a panic, now or while its future runs, becomes an
/// error reported like any other factory error: one broken extension must
/// not take the whole connect down.
fn guarded_create<'a, H, D, T>(
    factory: &'a Factory<H, D, T>,
    data: &'a D,
    host: &'a H,
    info: &'a ExtensionInfo,
) -> Creation<'a, T>
where
    H: ?Sized + 'static,
    D: ?Sized + 'static,
    T: Send + 'static,
{
    use futures::FutureExt;
    use std::panic::{AssertUnwindSafe, catch_unwind};

    match catch_unwind(AssertUnwindSafe(|| {
        factory.as_dyn().create(data, host, info)
    })) {
        Ok(Creation::Ready(result)) => Creation::Ready(result),
        Ok(Creation::Pending(future)) => Creation::Pending(Box::pin(
            AssertUnwindSafe(future)
                .catch_unwind()
                .map(|outcome| outcome.unwrap_or_else(|payload| Err(panicked(payload)))),
        )),
        Err(payload) => Creation::Ready(Err(panicked(payload))),
    }
}

fn panicked(payload: Box<dyn std::any::Any + Send>) -> BoxError {
    format!("panicked: {}", plinth_core::panic_message(payload.as_ref())).into()
}

fn accept<T, D: ?Sized>(
    outcome: crate::FactoryResult<T>,
    info: ExtensionInfo,
    options: &mut ConnectOptions<'_, D>,
) -> Option<Extension<T>> {
    match outcome {
        Ok(Some(instance)) => Some(Extension {
            name: info.shared_name().clone(),
            instance,
        }),
        Ok(None) => None,
        Err(source) => {
            options.report(ExtensionError::Factory {
                point: info.shared_point().clone(),
                extension: info.shared_name().clone(),
                source,
            });
            None
        }
    }
}

impl Default for ExtensionRegistry {
    fn default() -> Self {
        ExtensionRegistry::new()
    }
}

impl fmt::Debug for ExtensionRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let points = self.points.read().unwrap_or_else(PoisonError::into_inner);
        let mut map = f.debug_map();
        for (name, point) in points.iter() {
            let names: Vec<&str> = point.entries.iter().map(|e| &*e.name).collect();
            map.entry(name, &names);
        }
        map.finish()
    }
}
