//! A manager typed by the application's entity schema: in-process plugins
//! contribute typed entities, manifest plugins' data is deserialized into
//! the schema, and the snapshot's collections are typed.

use std::path::Path;
use std::sync::Arc;

use plinth_core::Entities;
use plinth_extensions::{ExtensionRegistry, Loaders, Manifest, scan};
use plinth_hooks::{Filter, Key};
use plinth_macros::{EntitySchema, plugin};
use plinth_runtime::PluginState::*;
use plinth_runtime::{FailureReason, Manager, ManifestPlugin, Metadata, Plugin};
use serde::Deserialize;

#[derive(Clone, Debug, PartialEq, Deserialize)]
struct Route {
    path: String,
    method: String,
}

#[derive(EntitySchema)]
struct AppEntities {
    assets: Entities<String>,
    routes: Entities<Route>,
}

fn route(path: &str, method: &str) -> Route {
    Route {
        path: path.into(),
        method: method.into(),
    }
}

struct Theme;
impl Plugin<AppEntities> for Theme {
    fn metadata(&self) -> Metadata {
        Metadata::new("theme", "1.0.0")
    }
    fn entities(&self) -> AppEntities {
        AppEntities {
            assets: Entities::from([("logo", "moon.svg".to_string())]),
            routes: Entities::new(),
        }
    }
}

struct Blog;
impl Plugin<AppEntities> for Blog {
    fn metadata(&self) -> Metadata {
        Metadata::new("blog", "2.0.0").with_dependency("theme", "^1")
    }
    fn entities(&self) -> AppEntities {
        AppEntities {
            assets: Entities::from([("logo", "blog.svg".to_string())]),
            routes: Entities::from([("posts", route("/posts", "GET"))]),
        }
    }
}

/// Contributes nothing: the default `entities`, every entity type empty.
struct Quiet;
impl Plugin<AppEntities> for Quiet {
    fn metadata(&self) -> Metadata {
        Metadata::new("quiet", "1.0.0")
    }
}

const TITLE: Key<Filter<String>> = Key::new("page:title");

/// `#[plugin]` on a typed plugin: the trait path is kept as written.
#[derive(Clone)]
struct Seo;

#[plugin]
impl Plugin<AppEntities> for Seo {
    fn metadata(&self) -> Metadata {
        Metadata::new("seo", "1.0.0")
    }

    fn entities(&self) -> AppEntities {
        AppEntities {
            assets: Entities::new(),
            routes: Entities::from([("sitemap", route("/sitemap.xml", "GET"))]),
        }
    }

    #[hook(TITLE)]
    fn title(&self, title: String) -> String {
        title + " | site"
    }
}

#[tokio::test]
async fn in_process_plugins_contribute_typed_entities_through_enable_and_disable() {
    let mut manager = Manager::<AppEntities>::typed();
    manager.register(Blog).unwrap();
    manager.register(Theme).unwrap();
    manager.register(Quiet).unwrap();
    manager.register(Seo).unwrap();
    let report = manager.initialize_all().await.unwrap();
    assert!(report.all_started(), "{report:?}");

    let snapshot = manager.snapshot();
    // Start order: theme before blog.
    let logo: &[String] = snapshot.entities().assets.get("logo");
    assert_eq!(logo, ["moon.svg", "blog.svg"]);
    let posts: &[Route] = snapshot.entities().routes.get("posts");
    assert_eq!(posts, [route("/posts", "GET")]);
    assert_eq!(
        snapshot.entities().routes.get("sitemap"),
        [route("/sitemap.xml", "GET")]
    );
    let providers: Vec<String> = snapshot
        .entities()
        .assets
        .iter()
        .map(|(_, _, plugin)| plugin.to_string())
        .collect();
    assert_eq!(providers, ["theme", "blog"]);
    assert_eq!(
        manager
            .hooks()
            .hook(&TITLE)
            .unwrap()
            .call("Home".into())
            .unwrap(),
        "Home | site"
    );

    // Disabling theme takes blog down with it, and their entities.
    assert_eq!(manager.disable("theme").await.unwrap(), ["blog", "theme"]);
    let snapshot = manager.snapshot();
    assert!(snapshot.entities().assets.get("logo").is_empty());
    assert!(snapshot.entities().routes.get("posts").is_empty());
    assert_eq!(snapshot.entities().routes.len(), 1); // seo's sitemap stays
    assert_eq!(snapshot.plugins().urns(), ["quiet", "seo"]);

    // Enabling blog brings theme back first.
    assert_eq!(manager.enable("blog").await.unwrap(), ["theme", "blog"]);
    let snapshot = manager.snapshot();
    assert_eq!(
        snapshot.entities().assets.get("logo"),
        ["moon.svg", "blog.svg"]
    );
    let blog = snapshot.plugins().get("blog").unwrap();
    assert_eq!(blog.entities().routes.len(), 1);

    manager.shutdown().await;
    assert!(manager.snapshot().entities().assets.is_empty());
}

#[tokio::test]
async fn typed_entities_still_pass_the_key_guards() {
    struct Numeric;
    impl Plugin<AppEntities> for Numeric {
        fn metadata(&self) -> Metadata {
            Metadata::new("numeric", "1.0.0")
        }
        fn entities(&self) -> AppEntities {
            AppEntities {
                assets: Entities::from([("42", "x".to_string())]),
                routes: Entities::new(),
            }
        }
    }
    let mut manager: Manager<AppEntities> = Manager::typed();
    manager.register(Numeric).unwrap();
    manager.initialize_all().await.unwrap();
    assert_eq!(manager.state("numeric"), Some(Failed));
    assert!(matches!(
        manager.reason("numeric"),
        Some(FailureReason::Entities(_))
    ));
    assert!(manager.snapshot().plugins().is_empty());
}

fn manifest_plugin(dir: &Path, name: &str, body: &str) -> ManifestPlugin {
    let folder = dir.join(name);
    std::fs::create_dir_all(&folder).unwrap();
    let path = folder.join("plinth.toml");
    let text = format!("[plugin]\nname = \"{name}\"\nversion = \"1.0.0\"\n{body}");
    std::fs::write(&path, &text).unwrap();
    let manifest = Manifest::parse(&text, &path).unwrap();
    ManifestPlugin::new(
        manifest,
        Arc::new(ExtensionRegistry::new()),
        Arc::new(Loaders::new()),
    )
}

#[tokio::test]
async fn manifest_entities_are_deserialized_into_the_typed_schema() {
    let dir = tempfile::tempdir().unwrap();
    let mut manager = Manager::<AppEntities>::typed();
    manager.register(Theme).unwrap();
    manager
        .register(manifest_plugin(
            dir.path(),
            "shop",
            "[extensions.\"app:tools\"]\ncart = \"shop\"\n\
             [entities.assets]\nbanner = \"sale.png\"\n\
             [entities.routes]\ncart = { path = \"/cart\", method = \"POST\" }\n\
             [entities.routes.checkout]\npath = \"/checkout\"\nmethod = \"GET\"\n",
        ))
        .unwrap();
    // Only assets: routes is empty for it.
    manager
        .register(manifest_plugin(
            dir.path(),
            "icons",
            "[entities.assets]\nlogo = \"icons/logo.svg\"\n",
        ))
        .unwrap();
    let report = manager.initialize_all().await.unwrap();
    assert!(report.all_started(), "{report:?}");

    let snapshot = manager.snapshot();
    assert_eq!(snapshot.entities().assets.get("banner"), ["sale.png"]);
    assert_eq!(
        snapshot.entities().assets.get("logo"),
        ["moon.svg", "icons/logo.svg"]
    );
    assert_eq!(
        snapshot.entities().routes.get("cart"),
        [route("/cart", "POST")]
    );
    assert_eq!(
        snapshot.entities().routes.get("checkout"),
        [route("/checkout", "GET")]
    );
    // The extension declarations have no place in this schema: left out.
    assert_eq!(snapshot.plugins().len(), 3);

    manager.disable("shop").await.unwrap();
    assert!(manager.snapshot().entities().routes.is_empty());
}

#[tokio::test]
async fn a_manifest_value_of_the_wrong_type_fails_its_plugin_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut manager = Manager::<AppEntities>::typed();
    manager
        .register(manifest_plugin(
            dir.path(),
            "shop",
            "[entities.routes]\ncart = { path = \"/cart\", method = \"POST\" }\n\
             home = { path = 3, method = \"GET\" }\n",
        ))
        .unwrap();
    manager.register(Theme).unwrap();
    manager.initialize_all().await.unwrap();

    assert_eq!(manager.state("shop"), Some(Failed));
    assert_eq!(manager.state("theme"), Some(Active));
    let file = dir.path().join("shop").join("plinth.toml");
    let reason = manager.reason("shop").unwrap();
    assert!(matches!(reason, FailureReason::EntityData(_)));
    assert_eq!(
        reason.to_string(),
        format!(
            "invalid entity data: {}:6:1: plugin \"shop\": entity type \"routes\", key \"home\": \
             at `path`: invalid type: integer `3`, expected a string",
            file.display()
        )
    );
    assert_eq!(manager.snapshot().plugins().urns(), ["theme"]);

    // A scalar where the schema has a string.
    let mut manager = Manager::<AppEntities>::typed();
    manager
        .register(manifest_plugin(
            dir.path(),
            "flags",
            "[entities.assets]\nlogo = \"a.svg\"\nenabled = true\n",
        ))
        .unwrap();
    manager.initialize_all().await.unwrap();
    let file = dir.path().join("flags").join("plinth.toml");
    assert_eq!(
        manager.reason("flags").unwrap().to_string(),
        format!(
            "invalid entity data: {}:6:1: plugin \"flags\": entity type \"assets\", key \"enabled\": \
             invalid type: boolean `true`, expected a string",
            file.display()
        )
    );
}

#[tokio::test]
async fn an_entity_type_the_schema_lacks_fails_the_plugin_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut manager = Manager::<AppEntities>::typed();
    manager
        .register(manifest_plugin(
            dir.path(),
            "palette",
            "[entities.assets]\nlogo = \"a.svg\"\n\n[entities.colours]\nprimary = \"#336\"\n",
        ))
        .unwrap();
    manager.initialize_all().await.unwrap();
    assert_eq!(manager.state("palette"), Some(Failed));
    let file = dir.path().join("palette").join("plinth.toml");
    assert_eq!(
        manager.reason("palette").unwrap().to_string(),
        format!(
            "invalid entity data: {}:7:11: plugin \"palette\": unknown entity type \"colours\" \
             (the schema has \"assets\", \"routes\")",
            file.display()
        )
    );
}

#[tokio::test]
async fn discovered_plugins_register_into_a_typed_manager() {
    let dir = tempfile::tempdir().unwrap();
    manifest_plugin(
        dir.path(),
        "theme-light",
        "[entities.assets]\nlogo = \"sun.svg\"\n",
    );
    let discovery = scan([dir.path()]);
    let mut manager = Manager::<AppEntities>::typed();
    let errors = manager.register_discovered(
        &discovery,
        &Arc::new(ExtensionRegistry::new()),
        &Arc::new(Loaders::new()),
    );
    assert!(errors.is_empty(), "{errors:?}");
    manager.initialize_all().await.unwrap();
    assert_eq!(
        manager.snapshot().entities().assets.get("logo"),
        ["sun.svg"]
    );
}

#[tokio::test]
async fn the_dynamic_default_keeps_entity_types_as_data() {
    let dir = tempfile::tempdir().unwrap();
    let mut manager = Manager::new();
    manager
        .register(manifest_plugin(
            dir.path(),
            "palette",
            "[extensions.\"app:tools\"]\npick = \"palette\"\n\
             [entities.colours]\nprimary = \"#336\"\n",
        ))
        .unwrap();
    manager.initialize_all().await.unwrap();
    let snapshot = manager.snapshot();
    assert_eq!(
        snapshot.entities().get("colours").unwrap().get("primary"),
        ["#336"]
    );
    assert!(snapshot.entities().get("extension:app:tools").is_some());
}
