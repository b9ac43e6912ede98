//! Plugin folders: registered at start, and `POST /api/admin/reload` adds
//! the folders that appeared since and replaces the plugins whose folder
//! changed, leaving the others.

mod common;

use std::path::Path;

use common::{Limiter, Running, TOKEN};
use plinth_runtime::Manager;
use plinth_server::{AdminToken, ServerConfig};
use reqwest::Method;
use serde_json::{Value, json};

fn plugin(dir: &Path, folder: &str, manifest: &str) {
    std::fs::create_dir_all(dir.join(folder)).unwrap();
    std::fs::write(dir.join(folder).join("plinth.toml"), manifest).unwrap();
}

async fn reload(server: &Running) -> Value {
    let response = server
        .admin(Method::POST, "/api/admin/reload")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// A server of the application's own limiter and the plugin folders in
/// `dir`.
async fn serving(dir: &Path) -> Running {
    let mut manager =
        Manager::new().with_config(json!({ "plugins": { "limiter": { "maxRequests": 1000 } } }));
    manager.register(Limiter::default()).unwrap();
    let config = ServerConfig {
        admin_token: Some(AdminToken::new(TOKEN).unwrap()),
        plugin_dirs: vec![dir.to_path_buf()],
        ..ServerConfig::default()
    };
    Running::start_config(manager, config, axum::Router::new()).await
}

fn row<'a>(plugins: &'a [Value], name: &str) -> Option<&'a Value> {
    plugins.iter().find(|p| p["name"] == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_registers_new_plugin_folders_replaces_changed_ones_and_leaves_the_others() {
    let dir = tempfile::tempdir().unwrap();
    plugin(
        dir.path(),
        "theme",
        "[plugin]\nname = \"theme\"\nversion = \"1.0.0\"\n[entities.assets]\nlogo = \"moon.svg\"\n",
    );
    let server = serving(dir.path()).await;

    // Found at start, beside the application's own plugin.
    let plugins = server.plugins().await;
    assert_eq!(row(&plugins, "theme").unwrap()["state"], "active");
    assert_eq!(row(&plugins, "limiter").unwrap()["state"], "active");

    // Nothing new: nothing changes.
    let report = reload(&server).await;
    assert_eq!(report["added"], json!([]));
    assert_eq!(report["unchanged"], json!(["theme"]));
    assert_eq!(report["dirs"], json!([dir.path().display().to_string()]));

    // The running theme is toggled off: a reload must leave it so.
    let response = server
        .admin(Method::POST, "/api/admin/plugins/theme/disable")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // New folders: one good (depending on the limiter and on another new
    // one), one whose dependency is missing, one whose manifest is broken,
    // and the theme's manifest changed on disk.
    plugin(
        dir.path(),
        "seo",
        "[plugin]\nname = \"seo\"\nversion = \"0.2.0\"\n\n[dependencies]\nlimiter = \"^1\"\nsitemap = \"^1\"\n",
    );
    plugin(
        dir.path(),
        "sitemap",
        "[plugin]\nname = \"sitemap\"\nversion = \"1.0.0\"\n",
    );
    plugin(
        dir.path(),
        "orphan",
        "[plugin]\nname = \"orphan\"\nversion = \"1.0.0\"\n\n[dependencies]\nnowhere = \"^1\"\n",
    );
    plugin(dir.path(), "broken", "[plugin]\nname = ");
    plugin(
        dir.path(),
        "theme",
        "[plugin]\nname = \"theme\"\nversion = \"2.0.0\"\n",
    );

    let report = reload(&server).await;
    let mut added: Vec<&str> = report["added"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    added.sort_unstable();
    assert_eq!(added, ["seo", "sitemap"], "{report}");
    assert_eq!(report["failed"][0]["plugin"], "orphan", "{report}");
    assert!(
        report["failed"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("nowhere"),
        "{report}"
    );
    assert_eq!(report["failed"].as_array().unwrap().len(), 1, "{report}");
    assert_eq!(report["updated"], json!(["theme"]), "{report}");
    assert_eq!(report["unchanged"], json!([]), "{report}");
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{report}");
    assert!(errors[0].as_str().unwrap().contains("broken"), "{report}");

    let plugins = server.plugins().await;
    for (name, state) in [
        ("seo", "active"),
        ("sitemap", "active"),
        ("orphan", "failed"),
        ("limiter", "active"),
        // Replaced by its new version, and still disabled, as it was.
        ("theme", "disabled"),
    ] {
        assert_eq!(row(&plugins, name).unwrap()["state"], state, "{name}");
    }
    assert_eq!(row(&plugins, "theme").unwrap()["version"], "2.0.0");
    assert!(row(&plugins, "broken").is_none());
    assert_eq!(
        row(&plugins, "limiter").unwrap()["dependents"],
        json!(["seo"]),
        "the new plugin is in the dependency graph"
    );

    // A second reload finds nothing more to do.
    let report = reload(&server).await;
    assert_eq!(report["added"], json!([]));
    assert_eq!(report["updated"], json!([]));
    server.stop().await;
}

/// A running plugin whose folder changes is replaced by its new version
/// and runs again, its dependents with it; a plugin the application
/// registered itself is never replaced by a folder of the same name; a
/// changed folder whose new version cannot start leaves that version
/// failed, with its reason, until the folder changes again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_replaces_a_running_plugin_whose_folder_changed() {
    let dir = tempfile::tempdir().unwrap();
    plugin(
        dir.path(),
        "theme",
        "[plugin]\nname = \"theme\"\nversion = \"1.0.0\"\n[entities.assets]\nlogo = \"moon.svg\"\n",
    );
    plugin(
        dir.path(),
        "skin",
        "[plugin]\nname = \"skin\"\nversion = \"1.0.0\"\n[dependencies]\ntheme = \"^1\"\n",
    );
    // Its name is the application's own plugin's.
    plugin(
        dir.path(),
        "limiter",
        "[plugin]\nname = \"limiter\"\nversion = \"9.0.0\"\n",
    );
    let server = serving(dir.path()).await;
    assert_eq!(
        row(&server.plugins().await, "skin").unwrap()["state"],
        "active"
    );

    plugin(
        dir.path(),
        "theme",
        "[plugin]\nname = \"theme\"\nversion = \"1.1.0\"\n[entities.assets]\nlogo = \"sun.svg\"\n",
    );
    plugin(
        dir.path(),
        "limiter",
        "[plugin]\nname = \"limiter\"\nversion = \"9.1.0\"\n",
    );
    let report = reload(&server).await;
    assert_eq!(report["updated"], json!(["theme"]), "{report}");
    let mut unchanged: Vec<&str> = report["unchanged"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    unchanged.sort_unstable();
    assert_eq!(unchanged, ["limiter", "skin"], "{report}");
    let plugins = server.plugins().await;
    assert_eq!(row(&plugins, "theme").unwrap()["version"], "1.1.0");
    for name in ["theme", "skin", "limiter"] {
        assert_eq!(row(&plugins, name).unwrap()["state"], "active", "{name}");
    }
    assert_eq!(row(&plugins, "limiter").unwrap()["version"], "1.2.0");
    // The new version's entities are the snapshot's.
    let snapshot = server.manager.lock().await.snapshot();
    let assets = snapshot.entities().get("assets").unwrap();
    assert_eq!(assets.get("logo"), [json!("sun.svg")]);

    // A new version its dependent does not accept: it runs, the
    // dependent fails naming it; a second reload leaves both so.
    plugin(
        dir.path(),
        "theme",
        "[plugin]\nname = \"theme\"\nversion = \"2.0.0\"\n",
    );
    let report = reload(&server).await;
    assert_eq!(report["updated"], json!(["theme"]), "{report}");
    assert_eq!(report["failed"][0]["plugin"], "skin", "{report}");
    let plugins = server.plugins().await;
    assert_eq!(row(&plugins, "theme").unwrap()["state"], "active");
    assert_eq!(row(&plugins, "skin").unwrap()["state"], "failed");
    let reason = row(&plugins, "skin").unwrap()["reason"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(reason.contains("theme"), "{reason}");
    let report = reload(&server).await;
    assert_eq!(report["updated"], json!([]), "{report}");
    server.stop().await;
}

/// A plugin's module file is part of its folder: rewritten, the plugin is
/// replaced (and, failing again here for want of a loader, reported).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_replaces_a_plugin_whose_module_file_changed() {
    let dir = tempfile::tempdir().unwrap();
    plugin(
        dir.path(),
        "coder",
        "[plugin]\nname = \"coder\"\nversion = \"1.0.0\"\nmodule = \"code.wasm\"\n",
    );
    std::fs::write(dir.path().join("coder/code.wasm"), "v1").unwrap();
    let config = ServerConfig {
        admin_token: Some(AdminToken::new(TOKEN).unwrap()),
        plugin_dirs: vec![dir.path().to_path_buf()],
        ..ServerConfig::default()
    };
    let server = Running::start_config(Manager::new(), config, axum::Router::new()).await;
    let report = reload(&server).await;
    assert_eq!(report["unchanged"], json!(["coder"]), "{report}");
    assert_eq!(report["failed"], json!([]), "{report}");

    std::fs::write(dir.path().join("coder/code.wasm"), "version 2").unwrap();
    let report = reload(&server).await;
    assert_eq!(report["unchanged"], json!([]), "{report}");
    assert_eq!(report["failed"][0]["plugin"], "coder", "{report}");
    assert!(
        report["failed"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("wasm"),
        "{report}"
    );
    // Replaced, failed: left so until the folder changes again.
    let report = reload(&server).await;
    assert_eq!(report["unchanged"], json!(["coder"]), "{report}");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_plugin_folders_reload_does_nothing() {
    let server = Running::start(Manager::new(), Some(TOKEN)).await;
    let report = reload(&server).await;
    assert_eq!(
        report,
        json!({ "success": true, "dirs": [], "added": [], "updated": [], "failed": [], "unchanged": [], "errors": [] })
    );
    server.stop().await;
}
