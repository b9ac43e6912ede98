//! The request hooks on a real server: rejections, the background
//! `request:complete`, request ids, failing hooks, metrics.

mod common;

use std::time::Duration;

use common::{Limiter, Panicker, Recorder, Running};
use plinth_runtime::{Manager, PluginState};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_start_rejects_with_429_and_retry_after_from_the_limiter_config() {
    let mut manager = Manager::new().with_config(
        json!({ "plugins": { "limiter": { "maxRequests": 2, "retryAfterMs": 1500 } } }),
    );
    manager.register(Limiter::default()).unwrap();
    let server = Running::start(manager, None).await;
    // /readyz went through the limiter too while waiting: count from here.
    server
        .manager
        .lock()
        .await
        .disable("limiter")
        .await
        .unwrap();
    server.manager.lock().await.enable("limiter").await.unwrap();

    for _ in 0..2 {
        assert_eq!(server.get("/healthz").await.status(), 200);
    }
    let limited = server.get("/healthz").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "2", "1.5 s rounds up");
    assert!(limited.headers().contains_key("x-request-id"));
    let body: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(body["error"], "Too many requests");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_complete_runs_after_the_response_without_delaying_it() {
    let recorder = Recorder::new(false);
    let mut manager = Manager::new();
    manager.register(recorder.clone()).unwrap();
    let server = Running::start(manager, None).await;

    // The recorder's callback is held shut: the response comes anyway.
    let response = server
        .client
        .get(server.url("/healthz?x=1"))
        .header("x-request-id", "client-id-7")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-request-id"], "client-id-7");
    assert!(
        !recorder
            .seen
            .lock()
            .unwrap()
            .iter()
            .any(|r| r.request_id == "client-id-7"),
        "request:complete cannot have run: its callback waits for the gate"
    );

    recorder.gate.add_permits(1000);
    let mut found = None;
    for _ in 0..500 {
        found = recorder
            .seen
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.request_id == "client-id-7")
            .cloned();
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let done = found.expect("request:complete reached the plugin");
    assert_eq!(
        (done.method.as_str(), done.path.as_str(), done.status),
        ("GET", "/healthz", 200)
    );

    // A client's id that could forge log lines is replaced.
    let response = server
        .client
        .get(server.url("/nowhere"))
        .header("x-request-id", "a b")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_ne!(response.headers()["x-request-id"], "a b");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_hook_fails_its_request_only_and_is_blamed() {
    let mut manager = Manager::new();
    manager.register(Panicker).unwrap();
    let server = Running::start(manager, None).await;

    let boom = server.get("/boom").await;
    assert_eq!(boom.status(), 500);
    let body: serde_json::Value = boom.json().await.unwrap();
    assert_eq!(body["error"], "internal server error");
    assert!(body["requestId"].is_string());

    // The next request is served; the plugin's hooks are gone and it is
    // marked failed, naming the panic.
    assert_eq!(server.get("/healthz").await.status(), 200);
    assert_eq!(server.get("/boom").await.status(), 404);
    let mut manager = server.manager.lock().await;
    manager.apply_faults().await;
    assert_eq!(manager.state("panicker"), Some(PluginState::Failed));
    let reason = manager.reason("panicker").unwrap().to_string();
    assert!(reason.contains("boom"), "{reason}");
    drop(manager);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_handler_answers_500_and_the_server_goes_on() {
    let routes = axum::Router::new().route(
        "/handler-panics",
        axum::routing::get(|| async {
            if true {
                panic!("handler bug");
            }
            "never"
        }),
    );
    let server = Running::start_with(Manager::new(), None, routes).await;
    assert_eq!(server.get("/handler-panics").await.status(), 500);
    assert_eq!(server.get("/healthz").await.status(), 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_calls_per_plugin_and_hook_and_the_lifecycle() {
    let mut manager = Manager::new();
    manager.register(Limiter::default()).unwrap();
    let server = Running::start(manager, Some(common::TOKEN)).await;
    for _ in 0..3 {
        server.get("/healthz").await;
    }
    let response = server.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    let calls = text
        .lines()
        .find(|l| {
            l.starts_with(
                r#"plinth_hook_calls_total{plugin="limiter",hook="request:start",kind="bail"}"#,
            )
        })
        .unwrap_or_else(|| panic!("{text}"));
    let n: u64 = calls.rsplit(' ').next().unwrap().parse().unwrap();
    assert!(n >= 3, "{calls}");
    for line in [
        r#"plinth_plugin_state{plugin="limiter",state="active"} 1"#,
        r#"plinth_plugin_transitions_total{plugin="limiter",from="initializing",to="active"} 1"#,
        r#"plinth_hook_duration_seconds_count{plugin="limiter",hook="request:start",kind="bail"}"#,
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }

    // The admin list shows the same counts per plugin.
    let plugins = server.plugins().await;
    assert!(plugins[0]["hooks"]["calls"].as_u64().unwrap() >= 3);
    assert_eq!(plugins[0]["hooks"]["failures"], 0);
    server.stop().await;
}
