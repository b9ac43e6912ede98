//! DESIGN.md's connect semantics beyond js-plugins' own tests.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use plinth_extensions::{
    Activation, ConnectError, ConnectOptions, ErasedFactory, ExtensionError, ExtensionPoint,
    ExtensionRegistry, Factory, LoadError, Loader, Loaders, Manifest, Module, ModuleRequest,
    NativeLoader, native_factory, scan,
};

struct Editor {
    name: &'static str,
}

const LANG: ExtensionPoint<Editor, (), String> = ExtensionPoint::new("xedit:language");

fn errors_of(
    registry: &ExtensionRegistry,
    options: impl FnOnce(ConnectOptions<'static, ()>) -> ConnectOptions<'static, ()>,
) -> (Vec<String>, Vec<String>) {
    let errors = Arc::new(Mutex::new(Vec::new()));
    let sink = errors.clone();
    let options = options(ConnectOptions::new())
        .on_error(move |e: &ExtensionError| sink.lock().unwrap().push(e.to_string()));
    let editor = Editor { name: "xedit" };
    let made = registry
        .connect_blocking(&editor, &LANG, options)
        .unwrap()
        .instances();
    let errors = errors.lock().unwrap().clone();
    (made, errors)
}

#[test]
fn factory_receives_host_and_info() {
    let registry = ExtensionRegistry::new();
    registry.register(
        &LANG,
        "x",
        Factory::sync(|_, host: &Editor, info| {
            Ok(format!("{}:{}@{}", info.point(), info.name(), host.name))
        }),
    );
    assert_eq!(errors_of(&registry, |o| o).0, ["xedit:language:x@xedit"]);
}

#[test]
fn by_name_extensions_only_when_asked_for() {
    let registry = ExtensionRegistry::new();
    registry
        .register_with(
            &LANG,
            "hidden",
            Factory::sync(|_, _, _| Ok("h".into())),
            Activation::ByName,
        )
        .register(&LANG, "shown", Factory::sync(|_, _, _| Ok("s".into())));
    assert_eq!(errors_of(&registry, |o| o.multi(true)).0, ["s"]);
    assert_eq!(errors_of(&registry, |o| o.name("hidden")).0, ["h"]);
    assert_eq!(
        errors_of(&registry, |o| o.names(["hidden", "shown"]).multi(true)).0,
        ["h", "s"]
    );
}

#[test]
fn single_takes_first_candidate_yielding_an_instance() {
    let registry = ExtensionRegistry::new();
    registry
        .register(&LANG, "declines", Factory::optional(|_, _, _| Ok(None)))
        .register(
            &LANG,
            "fails",
            Factory::sync(|_, _, _| Err("no grammar".into())),
        )
        .register(&LANG, "works", Factory::sync(|_, _, _| Ok("w".into())))
        .register(
            &LANG,
            "never",
            Factory::sync(|_, _, _| panic!("not reached")),
        );
    let (made, errors) = errors_of(&registry, |o| o);
    assert_eq!(made, ["w"]);
    assert_eq!(
        errors,
        [r#"extension "fails" of point "xedit:language": factory failed: no grammar"#]
    );
}

#[test]
fn multi_reports_and_skips_failures() {
    let registry = ExtensionRegistry::new();
    registry
        .register(&LANG, "a", Factory::sync(|_, _, _| Ok("a".into())))
        .register(&LANG, "b", Factory::sync(|_, _, _| Err("boom".into())))
        .register(&LANG, "c", Factory::sync(|_, _, _| Ok("c".into())));
    let (made, errors) = errors_of(&registry, |o| o.multi(true));
    assert_eq!(made, ["a", "c"]);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].contains("\"b\""));
}

#[test]
fn required_with_nothing_names_the_point() {
    let registry = ExtensionRegistry::new();
    registry.register(&LANG, "fails", Factory::sync(|_, _, _| Err("x".into())));
    let err = registry
        .connect_blocking(
            &Editor { name: "e" },
            &LANG,
            ConnectOptions::new().required(true).on_error(|_| {}),
        )
        .unwrap_err();
    assert_eq!(
        err,
        ConnectError::NotFound {
            point: "xedit:language".into()
        }
    );
    assert!(err.to_string().contains("xedit:language"));
}

/// Pending for `polls` polls, then ready; records when it finished.
struct Delay {
    polls: usize,
}

impl Future for Delay {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.polls == 0 {
            return Poll::Ready(());
        }
        self.polls -= 1;
        cx.waker().wake_by_ref();
        Poll::Pending
    }
}

#[test]
fn multi_keeps_candidate_order_not_completion_order() {
    const SLOW: ExtensionPoint<(), Mutex<Vec<usize>>, usize> = ExtensionPoint::new("slow");
    let registry = ExtensionRegistry::new();
    for i in 0..5usize {
        registry.register(
            &SLOW,
            &format!("e{i}"),
            Factory::from_async(move |done: &Mutex<Vec<usize>>, _, _| {
                Box::pin(async move {
                    Delay {
                        polls: 10 * (5 - i),
                    }
                    .await;
                    done.lock().unwrap().push(i);
                    Ok(i)
                })
            }),
        );
    }
    let finished = Mutex::new(Vec::new());
    let made = registry
        .connect_blocking(
            &(),
            &SLOW,
            ConnectOptions::new().data(&finished).multi(true),
        )
        .unwrap();
    assert_eq!(*finished.lock().unwrap(), [4, 3, 2, 1, 0]);
    assert_eq!(made.instances(), [0, 1, 2, 3, 4]);
}

#[test]
fn async_and_sync_factories_mix() {
    let registry = ExtensionRegistry::new();
    registry
        .register(&LANG, "sync", Factory::sync(|_, _, _| Ok("s".into())))
        .register(
            &LANG,
            "async",
            Factory::from_async(|_, host: &Editor, _| {
                Box::pin(async move { Ok(host.name.to_string()) })
            }),
        );
    assert_eq!(errors_of(&registry, |o| o.multi(true)).0, ["s", "xedit"]);
    assert_eq!(errors_of(&registry, |o| o.name("async")).0, ["xedit"]);
}

#[test]
fn a_factory_of_other_types_is_reported_not_used() {
    const SAME_NAME: ExtensionPoint<Editor, (), u32> = ExtensionPoint::new("xedit:language");
    let registry = ExtensionRegistry::new();
    registry.register(&SAME_NAME, "number", Factory::sync(|_, _, _| Ok(1)));
    let (made, errors) = errors_of(&registry, |o| o.multi(true));
    assert!(made.is_empty());
    assert!(errors[0].contains("factory is for types"), "{}", errors[0]);
}

#[test]
fn the_global_instance_works_like_any_other() {
    const GLOBAL_ONLY: ExtensionPoint<(), (), u8> = ExtensionPoint::new("tests:global-only");
    ExtensionRegistry::global().register(&GLOBAL_ONLY, "g", Factory::sync(|_, _, _| Ok(7)));
    let made = ExtensionRegistry::global()
        .connect_blocking(&(), &GLOBAL_ONLY, ConnectOptions::new())
        .unwrap();
    assert_eq!(made.single(), Some(7));
}

// ---- manifests, loaders, lazy once-loading ----

const TOOLS: ExtensionPoint<Editor, (), String> = ExtensionPoint::new("xedit:command");

native_factory!("fixture-tools", "lint", || {
    Factory::<Editor, (), String>::sync(|_, _, _| Ok("lint".into()))
});
native_factory!("@acme/tools", "format", || {
    Factory::<Editor, (), String>::sync(|_, _, _| Ok("format".into()))
});
native_factory!("fixture-lang", || Factory::<Editor, (), String>::sync(
    |_, _, _| Ok("lang x".into())
));
native_factory!("fixture-lang", "strict", || {
    Factory::<Editor, (), String>::sync(|_, _, _| Ok("lang x (strict)".into()))
});

fn fixtures() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plugins")
}

#[test]
fn manifest_extensions_connect_through_inventory() {
    let found = scan([fixtures()]);
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    let registry = ExtensionRegistry::new();
    found.register_extensions(&registry, &Arc::new(Loaders::new()));
    let editor = Editor { name: "xedit" };

    let tools = registry
        .connect_blocking(&editor, &TOOLS, ConnectOptions::new().multi(true))
        .unwrap();
    assert_eq!(tools.names().collect::<Vec<_>>(), ["format", "lint"]);
    assert_eq!(tools.instances(), ["format", "lint"]);

    // `x-strict` is `auto = false`: only by name.
    let langs = registry
        .connect_blocking(&editor, &LANG, ConnectOptions::new().multi(true))
        .unwrap();
    assert_eq!(langs.instances(), ["lang x"]);
    let strict = registry
        .connect_blocking(&editor, &LANG, ConnectOptions::new().name("x-strict"))
        .unwrap();
    assert_eq!(strict.single().as_deref(), Some("lang x (strict)"));
}

struct Counting {
    loads: Arc<AtomicUsize>,
    inner: NativeLoader,
}

impl Loader for Counting {
    fn kind(&self) -> &str {
        "native"
    }
    fn cache_key(&self, request: &ModuleRequest<'_>) -> String {
        self.inner.cache_key(request)
    }
    fn load(&self, request: &ModuleRequest<'_>) -> Result<Arc<dyn Module>, LoadError> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        self.inner.load(request)
    }
}

fn manifest(text: &str) -> Manifest {
    Manifest::parse(text, Path::new("plugins/p/plinth.toml")).unwrap()
}

#[test]
fn modules_load_lazily_on_first_connect_once() {
    let loads = Arc::new(AtomicUsize::new(0));
    let made = Arc::new(AtomicUsize::new(0));
    let counter = made.clone();
    let native = NativeLoader::new()
        .with("m", Some("a"), || {
            Factory::<Editor, (), String>::sync(|_, _, _| Ok("a".into())).erase()
        })
        .with("m", Some("b"), move || {
            counter.fetch_add(1, Ordering::SeqCst);
            Factory::<Editor, (), String>::sync(|_, _, _| Ok("b".into())).erase()
        });
    let loaders = Arc::new(Loaders::empty().with_loader(Counting {
        loads: loads.clone(),
        inner: native,
    }));
    let m = manifest(
        "[plugin]\nname = \"p\"\nversion = \"1.0.0\"\n[extensions.\"xedit:language\"]\na = { module = \"m\", object = \"a\" }\nb = { module = \"m\", object = \"b\" }\n",
    );
    let registry = ExtensionRegistry::new();
    plinth_extensions::register_manifest(&m, &registry, &loaders);
    assert_eq!(loads.load(Ordering::SeqCst), 0, "registering loads nothing");

    let editor = Editor { name: "e" };
    for _ in 0..3 {
        let all = registry
            .connect_blocking(&editor, &LANG, ConnectOptions::new().multi(true))
            .unwrap();
        assert_eq!(all.instances(), ["a", "b"]);
    }
    assert_eq!(loads.load(Ordering::SeqCst), 1, "one module, loaded once");
    assert_eq!(made.load(Ordering::SeqCst), 1, "factories made once");
}

#[test]
fn load_failures_are_reported_and_skipped() {
    let m = manifest(
        "[plugin]\nname = \"p\"\nversion = \"1.0.0\"\n[extensions.\"xedit:language\"]\nmissing = \"no-such-module\"\nwasm = \"lang.wasm\"\nnoobj = { module = \"fixture-lang\", object = \"nope\" }\nok = \"fixture-lang\"\n",
    );
    let registry = ExtensionRegistry::new();
    plinth_extensions::register_manifest(&m, &registry, &Arc::new(Loaders::new()));
    let (made, errors) = errors_of(&registry, |o| o.multi(true));
    assert_eq!(made, ["lang x"]);
    assert_eq!(
        errors,
        [
            r#"extension "missing" of point "xedit:language": plugin "p": native module "no-such-module" not found"#,
            r#"extension "wasm" of point "xedit:language": plugin "p": no loader for module kind "wasm" (module "lang.wasm")"#,
            r#"extension "noobj" of point "xedit:language": plugin "p": module "fixture-lang" has no factory "nope""#,
        ]
    );
}

#[test]
fn a_later_declaration_replaces_and_keeps_position() {
    let first = manifest(
        "[plugin]\nname = \"p\"\nversion = \"1.0.0\"\n[extensions.\"xedit:language\"]\nx = \"no-such-module\"\ny = \"fixture-lang\"\n",
    );
    let second = manifest(
        "[plugin]\nname = \"q\"\nversion = \"1.0.0\"\n[extensions.\"xedit:language\"]\nx = { module = \"fixture-lang\", object = \"strict\" }\n",
    );
    let registry = ExtensionRegistry::new();
    let loaders = Arc::new(Loaders::new());
    plinth_extensions::register_manifest(&first, &registry, &loaders);
    plinth_extensions::register_manifest(&second, &registry, &loaders);
    let (made, errors) = errors_of(&registry, |o| o.multi(true));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(made, ["lang x (strict)", "lang x"]);
}

#[test]
fn erased_factories_round_trip() {
    let erased: ErasedFactory =
        Factory::<Editor, (), String>::sync(|_, _, _| Ok(String::new())).erase();
    assert!(erased.downcast::<Editor, (), String>().is_some());
    assert!(erased.downcast::<(), (), String>().is_none());
}

#[test]
fn a_panicking_factory_is_reported_and_skipped() {
    let registry = ExtensionRegistry::new();
    registry
        .register(
            &LANG,
            "bad",
            Factory::sync(|_, _, _| panic!("grammar missing")),
        )
        .register(
            &LANG,
            "bad-async",
            Factory::from_async(|_: &(), _: &Editor, _| {
                Box::pin(async { panic!("async grammar missing") })
            }),
        )
        .register(
            &LANG,
            "good",
            Factory::sync(|_, _, _| Ok("good".to_string())),
        );
    for multi in [true, false] {
        let (made, errors) = errors_of(&registry, |o| o.multi(multi));
        assert_eq!(made, ["good"], "multi = {multi}");
        assert_eq!(
            errors,
            [
                r#"extension "bad" of point "xedit:language": factory failed: panicked: grammar missing"#,
                r#"extension "bad-async" of point "xedit:language": factory failed: panicked: async grammar missing"#,
            ],
            "multi = {multi}"
        );
    }
}
