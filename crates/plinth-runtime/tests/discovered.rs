//! Discovered plugins (manifests) run by the manager: metadata and
//! dependencies from the manifest, extensions registered while active,
//! data entities and extension declarations in the snapshot.

use std::path::Path;
use std::sync::Arc;

use plinth_extensions::{ExtensionRegistry, Loaders, scan};
use plinth_runtime::PluginState::*;
use plinth_runtime::{Manager, extension_entity_type};

fn fixtures() -> &'static Path {
    Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../plinth-extensions/tests/fixtures/plugins"
    ))
}

fn names(snapshot: &plinth_runtime::ActiveHost) -> Vec<String> {
    snapshot
        .plugins()
        .urns()
        .iter()
        .map(|u| u.to_string())
        .collect()
}

#[tokio::test]
async fn discovered_plugins_start_in_dependency_order_and_toggle_their_extensions() {
    let discovery = scan([fixtures()]);
    assert!(discovery.errors.is_empty(), "{:?}", discovery.errors);
    let extensions = Arc::new(ExtensionRegistry::new());
    let loaders = Arc::new(Loaders::new());
    let mut manager = Manager::new();
    let errors = manager.register_discovered(&discovery, &extensions, &loaders);
    assert!(errors.is_empty(), "{errors:?}");
    manager.initialize_all().await.unwrap();

    // xedit-lang-x depends on @acme/tools ^0.3 (0.3.1 is there).
    let order = manager.start_order();
    let pos = |n: &str| order.iter().position(|o| o == n).unwrap();
    assert!(pos("@acme/tools") < pos("xedit-lang-x"));
    for name in ["@acme/tools", "xedit-lang-x", "theme-dark"] {
        assert_eq!(manager.state(name), Some(Active), "{name}");
    }
    assert_eq!(
        extensions.extension_names("xedit:language"),
        ["x", "x-strict"]
    );
    assert_eq!(
        extensions.extension_names("xedit:command"),
        ["format", "lint"]
    );

    let snapshot = manager.snapshot();
    let assets = snapshot.entities().get("assets").unwrap();
    assert_eq!(assets.get("icon"), ["tools.png"]);
    let languages = snapshot
        .entities()
        .get(extension_entity_type("xedit:language").as_str())
        .unwrap();
    let declared: Vec<_> = languages
        .iter()
        .map(|(_, k, p)| format!("{p}/{k}"))
        .collect();
    assert_eq!(declared, ["xedit-lang-x/x", "xedit-lang-x/x-strict"]);
    assert_eq!(languages.get("x-strict")[0]["auto"], false);

    // Disabling the dependency stops its dependent and removes both plugins' extensions.
    let stopped = manager.disable("@acme/tools").await.unwrap();
    assert_eq!(stopped, ["xedit-lang-x", "@acme/tools"]);
    assert!(extensions.extension_names("xedit:language").is_empty());
    assert!(extensions.extension_names("xedit:command").is_empty());
    let snapshot = manager.snapshot();
    assert_eq!(names(&snapshot), ["theme-dark"]);
    assert!(
        snapshot
            .entities()
            .get("assets")
            .unwrap()
            .get("icon")
            .is_empty()
    );

    // Enabling the dependent brings its dependency back first.
    manager.enable("xedit-lang-x").await.unwrap();
    assert_eq!(manager.state("@acme/tools"), Some(Active));
    assert_eq!(
        extensions.extension_names("xedit:language"),
        ["x", "x-strict"]
    );
    assert_eq!(manager.snapshot().plugins().len(), 3);
}

#[tokio::test]
async fn a_manifest_dependency_outside_its_range_fails_the_plugin() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, body: &str| {
        std::fs::create_dir_all(dir.path().join(name)).unwrap();
        std::fs::write(dir.path().join(name).join("plinth.toml"), body).unwrap();
    };
    write("core", "[plugin]\nname = \"core\"\nversion = \"1.4.0\"\n");
    write(
        "ui",
        "[plugin]\nname = \"ui\"\nversion = \"0.1.0\"\n[dependencies]\ncore = \"^2\"\n",
    );
    let discovery = scan([dir.path()]);
    let mut manager = Manager::new();
    let errors = manager.register_discovered(
        &discovery,
        &Arc::new(ExtensionRegistry::new()),
        &Arc::new(Loaders::new()),
    );
    assert!(errors.is_empty());
    manager.initialize_all().await.unwrap();
    assert_eq!(manager.state("core"), Some(Active));
    assert_eq!(manager.state("ui"), Some(Failed));
    let reason = manager.reason("ui").unwrap().to_string();
    assert!(reason.contains("core") && reason.contains("^2"), "{reason}");
}

/// A schema that does not compile fails its plugin with the file to look
/// in: the schema's own, or the manifest holding it.
#[tokio::test]
async fn an_invalid_configuration_schema_names_where_it_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, file: &str, body: &str| {
        std::fs::create_dir_all(dir.path().join(name)).unwrap();
        std::fs::write(dir.path().join(name).join(file), body).unwrap();
    };
    write(
        "filed",
        "plinth.toml",
        "[plugin]\nname = \"filed\"\nversion = \"1.0.0\"\n[config]\nschema = \"config.schema.json\"\n",
    );
    write("filed", "config.schema.json", r#"{"type": "strnig"}"#);
    write(
        "inline",
        "plinth.toml",
        "[plugin]\nname = \"inline\"\nversion = \"1.0.0\"\n[config.schema]\ntype = \"strnig\"\n",
    );
    let discovery = scan([dir.path()]);
    assert!(discovery.errors.is_empty(), "{:?}", discovery.errors);
    let mut manager = Manager::new();
    let errors = manager.register_discovered(
        &discovery,
        &Arc::new(ExtensionRegistry::new()),
        &Arc::new(Loaders::new()),
    );
    assert!(errors.is_empty());
    let _ = manager.initialize_all().await;
    for (plugin, file) in [
        ("filed", "filed/config.schema.json"),
        ("inline", "inline/plinth.toml"),
    ] {
        assert_eq!(manager.state(plugin), Some(Failed));
        let reason = manager.reason(plugin).unwrap().to_string();
        assert!(reason.contains("invalid configuration schema"), "{reason}");
        assert!(reason.contains(file), "{reason}");
    }
}
