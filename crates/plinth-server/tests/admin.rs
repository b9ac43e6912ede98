//! The admin API on a real server: the token, the tutorial's routes and
//! plinth's, validation, serialised and disconnect-proof operations.

mod common;

use std::time::Duration;

use common::{Dashboard, Limiter, Running, Slow, TOKEN};
use plinth_runtime::Manager;
use reqwest::Method;
use serde_json::{Value, json};

fn manager() -> Manager {
    let mut manager =
        Manager::new().with_config(json!({ "plugins": { "limiter": { "maxRequests": 1000 } } }));
    manager.register(Limiter::default()).unwrap();
    manager.register(Dashboard).unwrap();
    manager
}

/// Every admin route, with a body that would change something.
fn admin_routes() -> Vec<(Method, &'static str, Option<Value>)> {
    vec![
        (Method::GET, "/api/admin/plugins", None),
        (
            Method::POST,
            "/api/admin/plugins/limiter/toggle",
            Some(json!({ "enabled": false })),
        ),
        (Method::POST, "/api/admin/plugins/limiter/enable", None),
        (Method::POST, "/api/admin/plugins/limiter/disable", None),
        (Method::GET, "/api/admin/plugins/limiter/config", None),
        (
            Method::PUT,
            "/api/admin/plugins/limiter/config",
            Some(json!({ "maxRequests": 1 })),
        ),
        (Method::POST, "/api/admin/reload", None),
        (Method::GET, "/api/admin/graph", None),
        (Method::GET, "/api/admin/graph.svg", None),
        (Method::GET, "/api/admin/events", None),
    ]
}

async fn snapshot(server: &Running) -> (Vec<Value>, Value) {
    let manager = server.manager.lock().await;
    let states = manager
        .list()
        .into_iter()
        .map(|p| json!([p.name, p.state.to_string()]))
        .collect();
    (states, manager.config().clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_admin_route_refuses_without_or_with_a_wrong_token_and_nothing_changes() {
    let server = Running::start(manager(), Some(TOKEN)).await;
    let before = snapshot(&server).await;
    for (method, path, body) in admin_routes() {
        let bearers = [
            None,
            Some("wrong"),
            Some(""),
            Some(&TOKEN[..TOKEN.len() - 1]),
            Some("correct-horse-battery-staplf"),
        ];
        for bearer in bearers {
            let mut request = server.client.request(method.clone(), server.url(path));
            if let Some(bearer) = bearer {
                request = request.bearer_auth(bearer);
            }
            if let Some(body) = &body {
                request = request.json(body);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{method} {path} with {bearer:?}");
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
            let error: Value = response.json().await.unwrap();
            assert!(error["error"].as_str().unwrap().contains("Bearer"));
        }
        // Not a bearer scheme at all.
        let response = server
            .client
            .request(method.clone(), server.url(path))
            .header("authorization", format!("Basic {TOKEN}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 401, "{method} {path} with Basic");
    }
    assert_eq!(snapshot(&server).await, before);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_token_configured_the_admin_api_is_off() {
    let server = Running::start(manager(), None).await;
    let before = snapshot(&server).await;
    for (method, path, body) in admin_routes() {
        let mut request = server
            .client
            .request(method.clone(), server.url(path))
            .bearer_auth(TOKEN);
        if let Some(body) = &body {
            request = request.json(body);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 403, "{method} {path}");
        let error: Value = response.json().await.unwrap();
        assert!(
            error["error"]
                .as_str()
                .unwrap()
                .contains("admin API is off")
        );
    }
    assert_eq!(snapshot(&server).await, before);
    // The rest of the server works.
    assert_eq!(server.get("/healthz").await.status(), 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutorial_routes_list_and_toggle() {
    let server = Running::start(manager(), Some(TOKEN)).await;
    let plugins = server.plugins().await;
    assert_eq!(
        plugins[0],
        json!({
            "name": "limiter",
            "version": "1.2.0",
            "description": "Limits requests",
            "author": "tests",
            "dependencies": {},
            "optionalDependencies": [],
            "enabled": true,
            "state": "active",
            "reason": null,
            "notices": [],
            "dependents": ["dashboard"],
            "hooks": plugins[0]["hooks"].clone(),
        })
    );
    assert_eq!(plugins[1]["dependencies"], json!({ "limiter": "^1" }));
    assert_eq!(plugins[1]["notices"], json!([common::NOTICE]));

    // The tutorial's client: `{enabled}` in, `{success: true}` out.
    let response = server
        .admin(Method::POST, "/api/admin/plugins/limiter/toggle")
        .json(&json!({ "enabled": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["success"], true);
    assert_eq!(body["stopped"], json!(["dashboard", "limiter"]));
    assert_eq!(server.state_of("dashboard").await, "disabled");

    let response = server
        .admin(Method::POST, "/api/admin/plugins/dashboard/enable")
        .send()
        .await
        .unwrap();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body,
        json!({ "success": true, "started": ["limiter", "dashboard"] })
    );

    let response = server
        .admin(Method::POST, "/api/admin/plugins/dashboard/disable")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.state_of("dashboard").await, "disabled");
    assert_eq!(server.state_of("limiter").await, "active");

    let graph: Value = server
        .admin(Method::GET, "/api/admin/graph")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        graph["edges"],
        json!([{ "from": "dashboard", "to": "limiter", "range": "^1", "optional": false, "missing": false }])
    );
    assert_eq!(
        graph["nodes"][1],
        json!({ "id": "dashboard", "version": "0.3.0", "state": "disabled" })
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_clear_json_errors() {
    let server = Running::start(manager(), Some(TOKEN)).await;
    let before = snapshot(&server).await;
    let toggle = |path: &str| server.admin(Method::POST, path);

    let cases = [
        // Unknown plugin.
        (
            toggle("/api/admin/plugins/ghost/toggle").json(&json!({ "enabled": true })),
            404,
        ),
        (toggle("/api/admin/plugins/ghost/enable"), 404),
        (
            server.admin(Method::GET, "/api/admin/plugins/ghost/config"),
            404,
        ),
        // Not JSON, wrong shape, no body.
        (
            toggle("/api/admin/plugins/limiter/toggle")
                .header("content-type", "application/json")
                .body("{enabled"),
            400,
        ),
        (
            toggle("/api/admin/plugins/limiter/toggle").json(&json!({ "enabled": "yes" })),
            422,
        ),
        (
            toggle("/api/admin/plugins/limiter/toggle").json(&json!({})),
            422,
        ),
        (toggle("/api/admin/plugins/limiter/toggle"), 415),
        // Names that are not plugin names.
        (
            toggle("/api/admin/plugins/..hidden/toggle").json(&json!({ "enabled": true })),
            400,
        ),
        (toggle("/api/admin/plugins/bad%20name/enable"), 400),
        (
            server.admin(Method::GET, "/api/admin/plugins/%40acme/config"),
            400,
        ),
    ];
    for (request, status) in cases {
        let response = request.send().await.unwrap();
        let url = response.url().to_string();
        assert_eq!(response.status(), status, "{url}");
        let body: Value = response.json().await.unwrap();
        assert!(body["error"].is_string(), "{url}: {body}");
    }
    assert_eq!(snapshot(&server).await, before);

    // A body over the limit is refused before any handler reads it: the
    // declared length alone is enough, so the request is written by hand
    // and the body never sent (a client still sending a large body may see
    // the connection closed under it instead of the answer).
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/admin/plugins/limiter/toggle HTTP/1.1\r\nhost: {addr}\r\nauthorization: Bearer {TOKEN}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        2 * 1024 * 1024
    );
    tokio::io::AsyncWriteExt::write_all(&mut stream, head.as_bytes())
        .await
        .unwrap();
    let mut answer = vec![0u8; 64];
    let read = tokio::io::AsyncReadExt::read(&mut stream, &mut answer)
        .await
        .unwrap();
    let status_line = String::from_utf8_lossy(&answer[..read]);
    assert!(status_line.starts_with("HTTP/1.1 413"), "{status_line}");
    assert_eq!(snapshot(&server).await, before);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_is_validated_and_an_active_plugin_restarted() {
    let server = Running::start(manager(), Some(TOKEN)).await;
    let config = |body: Value| {
        server
            .admin(Method::PUT, "/api/admin/plugins/limiter/config")
            .json(&body)
    };

    let got: Value = server
        .admin(Method::GET, "/api/admin/plugins/limiter/config")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["config"], json!({ "maxRequests": 1000 }));
    assert_eq!(
        got["resolved"],
        json!({ "maxRequests": 1000, "retryAfterMs": 30000 })
    );
    assert_eq!(got["schema"]["type"], "object");

    // Every violation, with its pointer; nothing changes.
    let before = snapshot(&server).await;
    let response = config(json!({ "maxRequests": 0, "retryAfterMs": "soon", "colour": "red" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let pointers: Vec<&str> = body["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["pointer"].as_str().unwrap())
        .collect();
    assert_eq!(
        pointers,
        [
            "/plugins/limiter",
            "/plugins/limiter/maxRequests",
            "/plugins/limiter/retryAfterMs"
        ],
        "{body}"
    );
    let response = config(json!("fast")).send().await.unwrap();
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["violations"][0]["pointer"], "/plugins/limiter");
    assert_eq!(snapshot(&server).await, before);

    // Valid: stored, and the plugin (with its dependent) restarted on it.
    let response = config(json!({ "maxRequests": 1, "retryAfterMs": 0 }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["success"], true);
    assert_eq!(body["restarted"], json!(["limiter", "dashboard"]));
    assert_eq!(server.state_of("dashboard").await, "active");
    // The listing above was the limiter's one request; the next is refused.
    assert_eq!(server.get("/metrics").await.status(), 429);
    server.stop().await;
}

/// Depends on the limiter, and starts once only: its second `initialize`
/// fails. Counts its `initialize` calls.
#[derive(Default)]
struct StartsOnce {
    started: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

/// Depends on `once`; does nothing else.
struct After;

impl plinth_runtime::Plugin for After {
    fn metadata(&self) -> plinth_runtime::Metadata {
        plinth_runtime::Metadata::new("after", "1.0.0").with_dependency("once", "^1")
    }
}

impl plinth_runtime::Plugin for StartsOnce {
    fn metadata(&self) -> plinth_runtime::Metadata {
        plinth_runtime::Metadata::new("once", "1.0.0").with_dependency("limiter", "^1")
    }

    fn initialize(&mut self, _: &plinth_runtime::Context) -> Result<(), plinth_hooks::BoxError> {
        if self
            .started
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst)
            > 0
        {
            return Err("starts only once".into());
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_change_starts_again_every_plugin_it_stopped_that_can_start() {
    let mut manager = manager();
    let once = StartsOnce::default();
    let initialized = once.started.clone();
    manager.register(once).unwrap();
    manager.register(After).unwrap();
    let server = Running::start(manager, Some(TOKEN)).await;
    assert_eq!(server.state_of("once").await, "active");
    assert_eq!(server.state_of("after").await, "active");

    let response = server
        .admin(Method::PUT, "/api/admin/plugins/limiter/config")
        .json(&json!({ "maxRequests": 500 }))
        .send()
        .await
        .unwrap();
    // Saved; one dependent did not start again, and did not keep the
    // others from starting.
    assert_eq!(response.status(), 409);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["config"]["maxRequests"], 500, "{body}");
    let mut restarted: Vec<&str> = body["restarted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    restarted.sort_unstable();
    assert_eq!(restarted, ["dashboard", "limiter"], "{body}");
    assert_eq!(body["failed"][0]["plugin"], "once", "{body}");
    assert!(
        body["failed"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("starts only once"),
        "{body}"
    );
    // Its dependent is not started, so `once` is not tried a third time.
    assert_eq!(body["failed"][1]["plugin"], "after", "{body}");
    assert!(
        body["failed"][1]["reason"]
            .as_str()
            .unwrap()
            .contains("\"once\" did not start again"),
        "{body}"
    );
    assert_eq!(initialized.load(std::sync::atomic::Ordering::SeqCst), 2);
    assert_eq!(server.state_of("after").await, "disabled");
    assert_eq!(server.state_of("dashboard").await, "active");
    assert_eq!(server.state_of("limiter").await, "active");
    assert_eq!(server.state_of("once").await, "failed");
    let got: Value = server
        .admin(Method::GET, "/api/admin/plugins/limiter/config")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["config"], json!({ "maxRequests": 500 }));
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_toggles_of_one_plugin_are_serialised() {
    let slow = Slow::new(true);
    let mut manager = Manager::new();
    manager.register(slow.clone()).unwrap();
    let server = Running::start(manager, Some(TOKEN)).await;

    let requests = (0..16).map(|i| {
        server
            .admin(Method::POST, "/api/admin/plugins/slow/toggle")
            .json(&json!({ "enabled": i % 2 == 1 }))
            .send()
    });
    for response in futures::future::join_all(requests).await {
        let response = response.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.json::<Value>().await.unwrap()["success"], true);
    }

    // Starts and stops never overlapped: each began after the last ended.
    let log = slow.log.lock().unwrap().clone();
    let expected = [
        "initialize:begin",
        "initialize:end",
        "destroy:begin",
        "destroy:end",
    ];
    for (i, step) in log.iter().enumerate() {
        assert_eq!(*step, expected[i % 4], "{log:?}");
    }
    let state = server.state_of("slow").await;
    let ends_started = log.last() == Some(&"initialize:end");
    assert_eq!(
        state,
        if ends_started { "active" } else { "disabled" },
        "{log:?}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_mid_toggle_leaves_a_consistent_plugin() {
    let slow = Slow::new(true);
    let mut manager = Manager::new();
    manager.register(slow.clone()).unwrap();
    let server = Running::start(manager, Some(TOKEN)).await;
    let disabled = server
        .admin(Method::POST, "/api/admin/plugins/slow/disable")
        .send()
        .await
        .unwrap();
    assert_eq!(disabled.status(), 200);

    // Hold the next start inside initialize, then hang up.
    slow.gate.forget_permits(usize::MAX);
    let enable = server
        .admin(Method::POST, "/api/admin/plugins/slow/enable")
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(enable.unwrap_err().is_timeout());
    for _ in 0..500 {
        if slow.log.lock().unwrap().last() == Some(&"initialize:begin") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(slow.log.lock().unwrap().last(), Some(&"initialize:begin"));

    // The operation goes on without its client and completes; the next
    // operations find the plugin settled.
    slow.gate.add_permits(1000);
    let response = server
        .admin(Method::POST, "/api/admin/plugins/slow/disable")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({ "success": true, "stopped": ["slow"] })
    );
    assert_eq!(server.state_of("slow").await, "disabled");
    let response = server
        .admin(Method::POST, "/api/admin/plugins/slow/enable")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(server.state_of("slow").await, "active");
    server.stop().await;
}
