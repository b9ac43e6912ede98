//! The `app` binary as a user runs it: a server on a loopback port, the
//! tutorial's client calls, SIGTERM, and an audit log holding every request.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

const TOKEN: &str = "binary-test-admin-token";

struct App {
    child: Child,
    base: String,
    lines: std::sync::mpsc::Receiver<String>,
}

impl Drop for App {
    fn drop(&mut self) {
        // Only if a test failed midway: never leave the server running.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(dir: &std::path::Path, token: Option<&str>, config: Value) -> App {
    let config_path = dir.join("config.json");
    std::fs::write(&config_path, config.to_string()).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_app"));
    command
        .args(["--port", "0", "--config"])
        .arg(&config_path)
        .env("AUDIT_LOG", dir.join("audit.log"))
        .env_remove("PLINTH_ADDR")
        .env_remove("PLINTH_ADMIN_TOKEN")
        .env_remove("PLINTH_PLUGIN_DIRS")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(token) = token {
        command.env("PLINTH_ADMIN_TOKEN", token);
    }
    let mut child = command.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut app = App {
        child,
        base: String::new(),
        lines,
    };
    let first = app.line();
    let base = first
        .strip_prefix("plinth example app listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"));
    assert!(base.starts_with("http://127.0.0.1:"), "{base}");
    app.base = base.to_string();
    app
}

impl App {
    fn line(&self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(60))
            .expect("the app printed a line")
    }

    fn sigterm(&mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn wait(&mut self) -> std::process::ExitStatus {
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the app did not stop within 30 s of SIGTERM");
    }
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn wait_ready(client: &reqwest::Client, base: &str) {
    for _ in 0..600 {
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status() == 200
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the app never became ready");
}

fn id_of(response: &reqwest::Response) -> String {
    response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_app_serves_the_tutorial_routes_and_sigterm_loses_no_request() {
    let dir = tempfile::tempdir().unwrap();
    let config = json!({
        "plugins": {
            "audit-logger": { "flushIntervalMs": 60000 },
            "rate-limiter": { "windowMs": 600000, "maxRequests": 12 }
        }
    });
    let mut app = start(dir.path(), Some(TOKEN), config);
    assert_eq!(
        app.line(),
        "admin token: from the PLINTH_ADMIN_TOKEN environment variable"
    );
    let client = client();
    let base = app.base.clone();
    wait_ready(&client, &base).await;
    let mut ids = Vec::new();

    // The tutorial's client, unchanged.
    let response = client
        .post(format!("{base}/api/users/ada/action"))
        .json(&json!({ "action": "edit", "payload": { "page": 7 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    ids.push(id_of(&response));
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "processed": true, "data": { "userId": "ada", "action": "edit", "payload": { "page": 7 } } })
    );

    // The admin list: the tutorial's fields, behind the token.
    let response = client
        .get(format!("{base}/api/admin/plugins"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    ids.push(id_of(&response));
    let response = client
        .get(format!("{base}/api/admin/plugins"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    ids.push(id_of(&response));
    let plugins: Vec<Value> = response.json().await.unwrap();
    let names: Vec<&str> = plugins
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "audit-logger",
            "rate-limiter",
            "user-activity",
            "welcome-email",
            // From the example's own plugins folder, found at start: two
            // sandboxed (WebAssembly) plugins and a data-only one.
            "audit-logger-wasm",
            "rate-limiter-wasm",
            "theme-dark"
        ]
    );
    assert!(
        plugins
            .iter()
            .all(|p| p["enabled"] == true && p["state"] == "active")
    );
    assert_eq!(plugins[0]["author"], "plinth");

    // The sandbox's counters are on /metrics, with no capability denied.
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"plinth_sandbox_denied_total{plugin="audit-logger-wasm"} 0"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"plinth_sandbox_calls_total{plugin="rate-limiter-wasm"}"#),
        "{metrics}"
    );

    // The rate limiter's verdict stops requests: 429 with Retry-After.
    let mut limited = None;
    for _ in 0..20 {
        let response = client
            .post(format!("{base}/api/users/bob/action"))
            .json(&json!({ "action": "view" }))
            .send()
            .await
            .unwrap();
        ids.push(id_of(&response));
        if response.status() == 429 {
            limited = Some(response);
            break;
        }
        assert_eq!(response.status(), 200);
    }
    let limited = limited.expect("the limiter refused a request within 20");
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry), "{retry}");

    // SIGTERM: in-flight requests finish, request:complete tasks finish,
    // the plugins stop in reverse order, the audit loggers flush.
    app.sigterm();
    let status = app.wait();
    assert!(status.success(), "{status:?}");

    let log = std::fs::read_to_string(dir.path().join("audit.log")).unwrap();
    let entries: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let audited: BTreeSet<&str> = entries
        .iter()
        .filter(|e| e["action"] == "request:complete")
        .map(|e| e["data"]["requestId"].as_str().unwrap())
        .collect();
    for id in &ids {
        assert!(
            audited.contains(id.as_str()),
            "request {id} missing from\n{log}"
        );
    }
    let statuses: Vec<u64> = entries
        .iter()
        .filter(|e| e["action"] == "request:complete")
        .filter_map(|e| e["data"]["status"].as_u64())
        .collect();
    assert!(
        statuses.contains(&429) && statuses.contains(&401),
        "{statuses:?}"
    );
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "user:edit" && e["data"]["userId"] == "ada")
    );

    // The sandboxed audit logger, through the directory it was granted,
    // lost nothing either.
    let sandboxed = dir
        .path()
        .join("plugin-data/audit-logger-wasm/data/audit.log");
    let log = std::fs::read_to_string(&sandboxed).unwrap();
    let audited: BTreeSet<String> = log
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|e| e["hook"] == "request:complete")
        .map(|e| e["event"]["requestId"].as_str().unwrap().to_owned())
        .collect();
    for id in &ids {
        assert!(audited.contains(id), "request {id} missing from\n{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_the_app_generates_one_and_prints_it() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = start(dir.path(), None, json!({}));
    let line = app.line();
    let token = line
        .strip_prefix("admin token (generated; set PLINTH_ADMIN_TOKEN to choose one): ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    assert_eq!(token.len(), 64);
    let client = client();
    let base = app.base.clone();
    wait_ready(&client, &base).await;
    let response = client
        .post(format!("{base}/api/admin/plugins/welcome-email/toggle"))
        .bearer_auth(&token)
        .json(&json!({ "enabled": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["success"], true);
    app.sigterm();
    assert!(app.wait().success());
}

async fn admin(client: &reqwest::Client, method: reqwest::Method, url: String) -> Value {
    let response = client
        .request(method, url)
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn reload(client: &reqwest::Client, base: &str) -> Value {
    admin(
        client,
        reqwest::Method::POST,
        format!("{base}/api/admin/reload"),
    )
    .await
}

async fn listing(client: &reqwest::Client, base: &str) -> Value {
    admin(
        client,
        reqwest::Method::GET,
        format!("{base}/api/admin/plugins"),
    )
    .await
}

fn state_of<'a>(plugins: &'a Value, name: &str) -> Option<&'a str> {
    plugins
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .map(|p| p["state"].as_str().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_folder_dropped_in_while_running_is_added_by_reload() {
    let dir = tempfile::tempdir().unwrap();
    let plugins = dir.path().join("plugins");
    let write = |folder: &str, manifest: &str| {
        std::fs::create_dir_all(plugins.join(folder)).unwrap();
        std::fs::write(plugins.join(folder).join("plinth.toml"), manifest).unwrap();
    };
    write(
        "theme-light",
        "[plugin]\nname = \"theme-light\"\nversion = \"1.0.0\"\n[entities.assets]\nlogo = \"sun.svg\"\n",
    );
    // The sandboxed audit logger, as the example ships it.
    let shipped =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("plugins/audit-logger-wasm");
    let audit = plugins.join("audit-logger-wasm");
    std::fs::create_dir_all(&audit).unwrap();
    for file in ["plinth.toml", "audit_logger.wasm"] {
        std::fs::copy(shipped.join(file), audit.join(file)).unwrap();
    }
    let config = json!({ "server": { "pluginDirs": [plugins] } });
    let mut app = start(dir.path(), Some(TOKEN), config);
    let client = client();
    let base = app.base.clone();
    wait_ready(&client, &base).await;

    // The configured folder replaces the example's own.
    let listed = listing(&client, &base).await;
    assert_eq!(state_of(&listed, "theme-light"), Some("active"));
    assert_eq!(state_of(&listed, "theme-dark"), None);
    assert_eq!(state_of(&listed, "rate-limiter-wasm"), None);
    assert_eq!(state_of(&listed, "@acme/badges"), None);

    // A plugin arrives while the app runs: a reload adds and starts it.
    write(
        "@acme/badges",
        "[plugin]\nname = \"@acme/badges\"\nversion = \"0.1.0\"\n\n[dependencies]\ntheme-light = \"^1\"\n\n[entities.assets]\nbadge = \"star.svg\"\n",
    );
    let report = reload(&client, &base).await;
    assert_eq!(report["added"], json!(["@acme/badges"]), "{report}");
    assert_eq!(
        report["unchanged"],
        json!(["audit-logger-wasm", "theme-light"]),
        "{report}"
    );
    assert_eq!(report["failed"], json!([]), "{report}");
    let listed = listing(&client, &base).await;
    assert_eq!(
        state_of(&listed, "@acme/badges"),
        Some("active"),
        "{listed}"
    );
    assert_eq!(state_of(&listed, "theme-light"), Some("active"));
    // The app's own plugins were left alone.
    assert_eq!(state_of(&listed, "rate-limiter"), Some("active"));
    assert_eq!(state_of(&listed, "audit-logger-wasm"), Some("active"));

    // A new version of the sandboxed plugin: the reload replaces it, and
    // it runs again.
    let manifest = std::fs::read_to_string(audit.join("plinth.toml")).unwrap();
    // Of another length: a rewrite within one timestamp tick still shows.
    let bumped = manifest.replace("version = \"0.1.0\"", "version = \"0.1.10\"");
    assert_ne!(bumped, manifest);
    std::fs::write(audit.join("plinth.toml"), bumped).unwrap();
    let report = reload(&client, &base).await;
    assert_eq!(report["updated"], json!(["audit-logger-wasm"]), "{report}");
    assert_eq!(report["failed"], json!([]), "{report}");
    let listed = listing(&client, &base).await;
    let audit_row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "audit-logger-wasm")
        .unwrap();
    assert_eq!(audit_row["version"], "0.1.10", "{listed}");
    assert_eq!(audit_row["state"], "active", "{listed}");

    app.sigterm();
    assert!(app.wait().success());
}
