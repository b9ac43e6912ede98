//! Plugin folders: registered at start, and `POST /api/admin/reload` adds
//! the folders that appeared since, leaving the plugins already known.

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

fn row<'a>(plugins: &'a [Value], name: &str) -> Option<&'a Value> {
    plugins.iter().find(|p| p["name"] == name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_registers_and_starts_new_plugin_folders_and_leaves_the_others() {
    let dir = tempfile::tempdir().unwrap();
    plugin(
        dir.path(),
        "theme",
        "[plugin]\nname = \"theme\"\nversion = \"1.0.0\"\n[entities.assets]\nlogo = \"moon.svg\"\n",
    );
    let mut manager =
        Manager::new().with_config(json!({ "plugins": { "limiter": { "maxRequests": 1000 } } }));
    manager.register(Limiter::default()).unwrap();
    let config = ServerConfig {
        admin_token: Some(AdminToken::new(TOKEN).unwrap()),
        plugin_dirs: vec![dir.path().to_path_buf()],
        ..ServerConfig::default()
    };
    let server = Running::start_config(manager, config, axum::Router::new()).await;

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
    assert_eq!(report["unchanged"], json!(["theme"]), "{report}");
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{report}");
    assert!(errors[0].as_str().unwrap().contains("broken"), "{report}");

    let plugins = server.plugins().await;
    for (name, state) in [
        ("seo", "active"),
        ("sitemap", "active"),
        ("orphan", "failed"),
        ("limiter", "active"),
        // Untouched: still disabled, still the version first found.
        ("theme", "disabled"),
    ] {
        assert_eq!(row(&plugins, name).unwrap()["state"], state, "{name}");
    }
    assert_eq!(row(&plugins, "theme").unwrap()["version"], "1.0.0");
    assert!(row(&plugins, "broken").is_none());
    assert_eq!(
        row(&plugins, "limiter").unwrap()["dependents"],
        json!(["seo"]),
        "the new plugin is in the dependency graph"
    );

    // A second reload finds nothing more to do.
    let report = reload(&server).await;
    assert_eq!(report["added"], json!([]));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_plugin_folders_reload_does_nothing() {
    let server = Running::start(Manager::new(), Some(TOKEN)).await;
    let report = reload(&server).await;
    assert_eq!(
        report,
        json!({ "success": true, "dirs": [], "added": [], "failed": [], "unchanged": [], "errors": [] })
    );
    server.stop().await;
}
