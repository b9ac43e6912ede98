//! The request hooks on a real server: rejections, the background
//! `request:complete`, request ids, failing hooks, metrics.

mod common;

use std::time::Duration;

use common::{Broken, Gate, Limiter, Panicker, Recorder, Running};
use plinth_hooks::PluginUrn;
use plinth_runtime::{Manager, PluginState};
use plinth_server::{REQUEST_START, ServerConfig, StartFailurePolicy};
use serde_json::json;

fn ok_routes() -> axum::Router {
    axum::Router::new()
        .route("/broken/ok", axum::routing::get(|| async { "ok" }))
        .route("/broken/gated", axum::routing::get(|| async { "never" }))
}

fn skipping() -> ServerConfig {
    ServerConfig {
        admin_token: Some(plinth_server::AdminToken::new(common::TOKEN).unwrap()),
        request_start_failure: StartFailurePolicy::Skip,
        ..ServerConfig::default()
    }
}

fn metric(text: &str, prefix: &str) -> Option<u64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_start_rejects_with_429_and_retry_after_from_the_limiter_config() {
    let mut manager = Manager::new().with_config(
        json!({ "plugins": { "limiter": { "maxRequests": 2, "retryAfterMs": 1500 } } }),
    );
    manager.register(Limiter::default()).unwrap();
    let server = Running::start(manager, None).await;
    // A fresh limiter: count from here.
    server
        .manager
        .lock()
        .await
        .disable("limiter")
        .await
        .unwrap();
    server.manager.lock().await.enable("limiter").await.unwrap();

    for _ in 0..2 {
        assert_eq!(server.get("/metrics").await.status(), 200);
    }
    let limited = server.get("/metrics").await;
    assert_eq!(limited.status(), 429);
    assert_eq!(limited.headers()["retry-after"], "2", "1.5 s rounds up");
    assert!(limited.headers().contains_key("x-request-id"));
    let body: serde_json::Value = limited.json().await.unwrap();
    assert_eq!(body["error"], "Too many requests");
    // The probes are the server's own: never limited.
    for probe in ["/healthz", "/readyz"] {
        assert_eq!(server.get(probe).await.status(), 200, "{probe}");
    }
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
        .get(server.url("/metrics?x=1"))
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
        ("GET", "/metrics", 200)
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
    assert_eq!(server.get("/metrics").await.status(), 200);
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
        server.get("/nowhere").await;
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
    // The latency histogram counts every call, cumulatively up to +Inf.
    let series = r#"plugin="limiter",hook="request:start",kind="bail""#;
    let value = |prefix: &str| -> u64 {
        let line = text
            .lines()
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in\n{text}"));
        line.rsplit(' ').next().unwrap().parse().unwrap()
    };
    let count = value(&format!("plinth_hook_duration_seconds_count{{{series}}}"));
    let inf = value(&format!(
        "plinth_hook_duration_seconds_bucket{{le=\"+Inf\",{series}}}"
    ));
    assert_eq!((count, inf), (n, n));
    let smallest = value(&format!(
        "plinth_hook_duration_seconds_bucket{{le=\"0.000008192\",{series}}}"
    ));
    assert!(smallest <= n);
    for line in [
        r#"plinth_plugin_state{plugin="limiter",state="active"} 1"#,
        r#"plinth_plugin_transitions_total{plugin="limiter",from="initializing",to="active"} 1"#,
        r#"plinth_hook_duration_seconds_count{plugin="limiter",hook="request:start",kind="bail"}"#,
    ] {
        assert!(text.contains(line), "missing {line} in\n{text}");
    }

    // The admin list shows the same counts per plugin.
    let plugins = server.plugins().await;
    let hooks = &plugins[0]["hooks"];
    assert!(hooks["calls"].as_u64().unwrap() >= 3);
    assert_eq!(hooks["failures"], 0);
    // Its callbacks' latency: a median and a 99th percentile, in µs.
    let p50 = hooks["p50Micros"].as_f64().unwrap();
    let p99 = hooks["p99Micros"].as_f64().unwrap();
    assert!(p50 > 0.0 && p50 <= p99, "{hooks}");
    assert!(
        p99 < 1_000_000.0,
        "an in-memory counter took a second? {hooks}"
    );
    let by_hook = hooks["byHook"].as_array().unwrap();
    assert_eq!(by_hook.len(), 1, "{hooks}");
    assert_eq!(by_hook[0]["hook"], "request:start");
    assert_eq!(by_hook[0]["kind"], "bail");
    assert_eq!(by_hook[0]["calls"], hooks["calls"]);
    assert_eq!(by_hook[0]["p99Micros"], hooks["p99Micros"]);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn by_default_a_failing_start_hook_answers_500_without_running_the_handler() {
    let mut manager = Manager::new();
    manager.register(Broken).unwrap();
    let server = Running::start_with(manager, Some(common::TOKEN), ok_routes()).await;

    let response = server.get("/broken/ok").await;
    assert_eq!(response.status(), 500);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "internal server error");
    assert!(body["requestId"].is_string());

    let broken = server
        .plugins()
        .await
        .into_iter()
        .find(|p| p["name"] == "broken")
        .unwrap();
    assert_eq!(broken["hooks"]["failures"], 1);
    assert_eq!(broken["hooks"]["skipped"], 0);
    let text = server.get("/metrics").await.text().await.unwrap();
    assert!(
        !text.contains("plinth_request_start_skipped_total{"),
        "{text}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_skip_a_failing_start_hook_is_skipped_and_the_callbacks_after_it_still_run() {
    let manager = Manager::new();
    // Not a plugin's: nothing removes it, so it fails on every request.
    manager
        .hooks()
        .hook(&REQUEST_START)
        .unwrap()
        .try_tap(PluginUrn::new("flaky").unwrap(), |r| {
            if r.path.starts_with("/broken") {
                Err("the session store is down".into())
            } else {
                Ok(None)
            }
        });
    let mut manager = manager;
    manager.register(Gate).unwrap();
    let server = Running::start_config(manager, skipping(), ok_routes()).await;

    // The handler runs despite the failure...
    let response = server.get("/broken/ok").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "ok");
    // ...and the plugins after the failing callback are still asked.
    let gated = server.get("/broken/gated").await;
    assert_eq!(gated.status(), 403);
    assert_eq!(
        gated.json::<serde_json::Value>().await.unwrap()["error"],
        "gated"
    );
    assert_eq!(server.get("/broken/ok").await.status(), 200);

    let text = server.get("/metrics").await.text().await.unwrap();
    assert_eq!(
        metric(
            &text,
            r#"plinth_request_start_skipped_total{plugin="flaky"}"#
        ),
        Some(3),
        "{text}"
    );
    assert_eq!(
        metric(
            &text,
            r#"plinth_hook_failures_total{plugin="flaky",hook="request:start",kind="bail"}"#
        ),
        Some(3),
        "{text}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_skip_a_failing_plugin_is_blamed_counted_and_failed_without_failing_its_request() {
    let mut manager = Manager::new();
    manager.register(Broken).unwrap();
    manager.register(Gate).unwrap();
    let server = Running::start_config(manager, skipping(), ok_routes()).await;

    assert_eq!(server.get("/broken/ok").await.status(), 200);
    // Its callbacks are gone since its first fault; the others go on.
    assert_eq!(server.get("/broken/ok").await.status(), 200);
    assert_eq!(server.get("/broken/gated").await.status(), 403);

    // The manager fails it at its next operation.
    server.manager.lock().await.apply_faults().await;
    let plugins = server.plugins().await;
    let broken = plugins.iter().find(|p| p["name"] == "broken").unwrap();
    assert_eq!(broken["hooks"]["failures"], 1, "{broken}");
    assert_eq!(broken["hooks"]["skipped"], 1, "{broken}");
    assert_eq!(broken["state"], "failed", "{broken}");
    let reason = broken["reason"].as_str().unwrap();
    assert!(reason.contains("the session store is down"), "{reason}");
    let gate = plugins.iter().find(|p| p["name"] == "gate").unwrap();
    assert_eq!(gate["state"], "active");
    assert_eq!(gate["hooks"]["skipped"], 0);
    server.stop().await;
}

#[tokio::test(flavor = "current_thread")]
async fn the_layer_alone_skips_or_fails_as_configured() {
    use tower::ServiceExt;
    let hooks = plinth_hooks::Registry::new();
    let start = hooks.hook(&REQUEST_START).unwrap();
    start.tap(PluginUrn::new("panics").unwrap(), |_| panic!("boom"));
    start.tap(PluginUrn::new("gate").unwrap(), |r| {
        (r.path == "/gated").then(|| plinth_server::Rejection::new(403, "gated"))
    });
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "home" }))
        .route("/gated", axum::routing::get(|| async { "never" }));
    let call = |app: axum::Router, path: &'static str| async move {
        let request = axum::http::Request::get(path)
            .body(axum::body::Body::empty())
            .unwrap();
        app.oneshot(request).await.unwrap().status().as_u16()
    };
    let layer = plinth_server::RequestHooksLayer::new(&hooks).unwrap();
    assert_eq!(layer.start_failure_policy(), StartFailurePolicy::Fail);
    let failing = app.clone().layer(layer);
    assert_eq!(call(failing.clone(), "/").await, 500);
    assert_eq!(call(failing, "/gated").await, 500);

    let skipping = app.layer(
        plinth_server::RequestHooksLayer::new(&hooks)
            .unwrap()
            .on_start_failure(StartFailurePolicy::Skip),
    );
    assert_eq!(call(skipping.clone(), "/").await, 200);
    assert_eq!(call(skipping, "/gated").await, 403);
}

/// One request through `app`, answered.
async fn answered(app: axum::Router, path: &str) -> u16 {
    use tower::ServiceExt;
    let request = axum::http::Request::get(path)
        .body(axum::body::Body::empty())
        .unwrap();
    app.oneshot(request).await.unwrap().status().as_u16()
}

/// The paths `request:complete` was called with, in the order it was.
type Seen = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// Taps `request:complete` of `hooks` with a "log" plugin (priority 0, so
/// first) that records each path, except `/boom`, on which it panics; and
/// a router answering every path inside a request layer on `hooks`.
fn logged(
    hooks: &plinth_hooks::Registry,
) -> (Seen, plinth_server::RequestHooksLayer, axum::Router) {
    use plinth_hooks::Tap;
    let seen = Seen::default();
    let s = seen.clone();
    hooks.hook(&plinth_server::REQUEST_COMPLETE).unwrap().tap(
        Tap::new(PluginUrn::new("log").unwrap()).priority(0),
        move |r| {
            assert_ne!(r.path, "/boom", "a callback that panics");
            s.lock().unwrap().push(r.path.clone());
        },
    );
    let layer = plinth_server::RequestHooksLayer::new(hooks).unwrap();
    let app = axum::Router::new()
        .route("/{*any}", axum::routing::get(|| async { "ok" }))
        .layer(layer.clone());
    (seen, layer, app)
}

fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

/// Until the layer's tracker counts no event still to be done, for ten
/// seconds at most: an event that never runs fails the test, not hangs it.
async fn drained(layer: &plinth_server::RequestHooksLayer) {
    let done = async {
        while !layer.tracker().is_empty() {
            tokio::task::yield_now().await;
        }
    };
    tokio::time::timeout(Duration::from_secs(10), done)
        .await
        .expect("every event of the layer ran where its request was served");
}

/// Until `seen` holds `n` paths, for a second at most.
async fn until_seen(seen: &Seen, n: usize) {
    for _ in 0..200 {
        if seen.lock().unwrap().len() == n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "current_thread")]
async fn request_complete_runs_in_answer_order_and_a_waiting_callback_holds_nothing_back() {
    let hooks = plinth_hooks::Registry::new();
    let (seen, layer, app) = logged(&hooks);
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    let (g, s) = (gate.clone(), seen.clone());
    hooks
        .hook(&plinth_server::REQUEST_COMPLETE)
        .unwrap()
        .tap_async(PluginUrn::new("slow").unwrap(), move |r| {
            let (gate, seen) = (g.clone(), s.clone());
            async move {
                if r.path == "/slow" {
                    let _permit = gate.acquire().await?;
                    seen.lock().unwrap().push("slow done".into());
                }
                Ok(())
            }
        });
    for path in ["/slow", "/a", "/b"] {
        assert_eq!(answered(app.clone(), path).await, 200);
    }
    until_seen(&seen, 3).await;
    assert_eq!(
        *seen.lock().unwrap(),
        ["/slow", "/a", "/b"],
        "in order, and the events behind the waiting one ran"
    );
    assert_eq!(
        layer.tracker().len(),
        1,
        "the waiting event is still tracked"
    );

    gate.add_permits(1);
    layer.tracker().close();
    tokio::time::timeout(Duration::from_secs(10), layer.tracker().wait())
        .await
        .expect("the tracker waits for the parked event, then reports it done");
    assert_eq!(seen.lock().unwrap().last().unwrap(), "slow done");
}

/// The queue's bounds (`complete.rs`): events queued, and calls parked on
/// an async callback.
const QUEUE: usize = 4096;
const PARKED: usize = 1024;

#[tokio::test(flavor = "current_thread")]
async fn when_callbacks_fall_behind_a_response_waits_for_room_and_no_event_is_lost() {
    let hooks = plinth_hooks::Registry::new();
    let (seen, layer, app) = logged(&hooks);
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(0));
    let g = gate.clone();
    hooks
        .hook(&plinth_server::REQUEST_COMPLETE)
        .unwrap()
        .tap_async(PluginUrn::new("slow").unwrap(), move |_| {
            let gate = g.clone();
            async move {
                drop(gate.acquire().await?);
                Ok(())
            }
        });
    // Every call parks on the gate: the first `PARKED` events are parked,
    // the next `QUEUE` wait in the queue, and each of their responses
    // leaves at once.
    for _ in 0..PARKED + QUEUE {
        let answered = tokio::time::timeout(Duration::from_secs(10), answered(app.clone(), "/a"));
        assert_eq!(answered.await.expect("room in the queue"), 200);
    }
    // The queue is full: the next response waits for room.
    let mut next = Box::pin(answered(app.clone(), "/last"));
    assert!(
        tokio::time::timeout(Duration::from_millis(200), next.as_mut())
            .await
            .is_err(),
        "a response went out past a full queue"
    );
    // Callbacks catch up: it leaves, and every event ran.
    gate.add_permits(PARKED + QUEUE + 1);
    let last = tokio::time::timeout(Duration::from_secs(10), next).await;
    assert_eq!(last.expect("room made in the queue"), 200);
    drained(&layer).await;
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), PARKED + QUEUE + 1);
    assert_eq!(seen.last().unwrap(), "/last");
}

#[test]
fn a_layer_outliving_its_first_runtime_still_completes_requests() {
    let (seen, layer, app) = logged(&plinth_hooks::Registry::new());
    let serve = |path: &'static str| {
        let (app, layer) = (app.clone(), layer.clone());
        async move {
            assert_eq!(answered(app, path).await, 200);
            // Until the event is done: the tracker counts it meanwhile.
            drained(&layer).await;
        }
    };
    // The queue's task starts on the first runtime and goes down with it.
    current_thread().block_on(serve("/first"));
    current_thread().block_on(serve("/second"));
    assert_eq!(*seen.lock().unwrap(), ["/first", "/second"]);
}

#[test]
fn a_layer_shared_by_two_runtimes_completes_each_ones_requests_where_served() {
    let (seen, layer, app) = logged(&plinth_hooks::Registry::new());
    // The queue starts on `first`, which is then never driven again.
    let first = current_thread();
    first.block_on(async {
        assert_eq!(answered(app.clone(), "/first").await, 200);
        drained(&layer).await;
    });
    // An event of `second` must not wait in a queue nobody drains.
    current_thread().block_on(async {
        assert_eq!(answered(app.clone(), "/second").await, 200);
        drained(&layer).await;
    });
    drop(first);
    assert_eq!(*seen.lock().unwrap(), ["/first", "/second"]);
}

#[tokio::test(flavor = "current_thread")]
async fn a_panicking_request_complete_callback_loses_its_own_event_only() {
    use plinth_hooks::{Config, PanicPolicy};

    // A registry that lets panics through to the caller.
    let hooks = plinth_hooks::Registry::with_config(Config {
        panics: PanicPolicy::Propagate,
    });
    let (seen, layer, app) = logged(&hooks);
    for path in ["/a", "/boom", "/b"] {
        assert_eq!(answered(app.clone(), path).await, 200);
    }
    layer.tracker().close();
    tokio::time::timeout(Duration::from_secs(10), layer.tracker().wait())
        .await
        .unwrap();
    assert_eq!(*seen.lock().unwrap(), ["/a", "/b"]);
    // The queue is still there for the next ones.
    layer.tracker().reopen();
    assert_eq!(answered(app, "/c").await, 200);
    until_seen(&seen, 3).await;
    assert_eq!(*seen.lock().unwrap(), ["/a", "/b", "/c"]);
}
