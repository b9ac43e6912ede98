//! The event stream, the SVG graph and the dashboard's login, cookie and
//! CSRF rules, on a real server.

mod common;

use std::time::Duration;

use common::{Dashboard, Limiter, Running, TOKEN};
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

/// Reads `data:` lines from a server-sent event stream until `done` says
/// it has seen enough (or 10 s pass).
async fn read_events(
    response: &mut reqwest::Response,
    mut done: impl FnMut(&[Value]) -> bool,
) -> Vec<Value> {
    let mut buffer = String::new();
    let mut events = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done(&events) {
        let chunk = tokio::time::timeout_at(deadline, response.chunk())
            .await
            .expect("the events did not arrive in time")
            .unwrap()
            .expect("the stream ended");
        buffer.push_str(std::str::from_utf8(&chunk).unwrap());
        while let Some(end) = buffer.find('\n') {
            let line: String = buffer.drain(..=end).collect();
            if let Some(data) = line.trim_end().strip_prefix("data:") {
                events.push(serde_json::from_str(data.trim()).unwrap());
            }
        }
    }
    events
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_carries_each_transition_of_a_toggle() {
    let server = Running::start(manager(), Some(TOKEN)).await;
    let mut stream = server
        .admin(Method::GET, "/api/admin/events")
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    // The opening comment: the subscription exists before the toggle.
    let first = stream.chunk().await.unwrap().unwrap();
    assert!(std::str::from_utf8(&first).unwrap().starts_with(':'));

    let response = server
        .admin(Method::POST, "/api/admin/plugins/limiter/toggle")
        .json(&json!({ "enabled": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let events = read_events(&mut stream, |events| {
        events
            .iter()
            .any(|e| e["plugin"] == "limiter" && e["to"] == "disabled")
    })
    .await;
    // The dependent stops first, then the limiter, each through destroying.
    let transitions: Vec<(String, String, String)> = events
        .iter()
        .map(|e| {
            assert!(e.get("reason").is_some(), "{e}");
            (
                e["plugin"].as_str().unwrap().to_string(),
                e["from"].as_str().unwrap().to_string(),
                e["to"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let limiter: Vec<_> = transitions
        .iter()
        .filter(|(p, _, _)| p == "limiter")
        .map(|(_, f, t)| (f.as_str(), t.as_str()))
        .collect();
    assert_eq!(
        limiter,
        [("active", "destroying"), ("destroying", "disabled")],
        "{transitions:?}"
    );
    assert!(
        transitions
            .iter()
            .any(|(p, _, t)| p == "dashboard" && t == "disabled"),
        "{transitions:?}"
    );

    let response = server
        .admin(Method::POST, "/api/admin/plugins/limiter/enable")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let events = read_events(&mut stream, |events| {
        events
            .iter()
            .any(|e| e["plugin"] == "limiter" && e["to"] == "active")
    })
    .await;
    assert!(
        events.iter().all(|e| e["plugin"] == "limiter"),
        "{events:?}"
    );
    drop(stream);
    // An open stream must not hold up shutdown: `stop` would hang.
    let mut open = server
        .admin(Method::GET, "/api/admin/events")
        .send()
        .await
        .unwrap();
    let _ = open.chunk().await;
    tokio::time::timeout(Duration::from_secs(5), server.stop())
        .await
        .expect("shutdown waited for an open event stream");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_graph_is_an_svg_picture_with_a_box_per_plugin_and_a_line_per_dependency() {
    let server = Running::start(manager(), Some(TOKEN)).await;
    let response = server
        .admin(Method::GET, "/api/admin/graph.svg")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "image/svg+xml; charset=utf-8"
    );
    let svg = response.text().await.unwrap();
    assert!(
        svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""),
        "{svg}"
    );
    assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
    assert_eq!(svg.matches("<text").count(), 2, "{svg}");
    assert!(svg.contains(">limiter 1.2.0</text>"), "{svg}");
    assert!(svg.contains(">dashboard 0.3.0</text>"), "{svg}");
    assert_eq!(svg.matches("<line").count(), 1, "{svg}");
    assert!(
        svg.contains(r#"data-from="dashboard" data-to="limiter""#),
        "{svg}"
    );
    assert_eq!(svg.matches(r#"data-state="active""#).count(), 2, "{svg}");
    // Every element opened is closed: well-formed enough for a browser.
    for tag in ["g", "text", "title"] {
        assert_eq!(
            svg.matches(&format!("<{tag}")).count() - svg.matches(&format!("<{tag}s")).count(),
            svg.matches(&format!("</{tag}>")).count(),
            "{tag} in {svg}"
        );
    }
    // Without the token: refused.
    let response = server.get("/api/admin/graph.svg").await;
    assert_eq!(response.status(), 401);
    server.stop().await;
}

fn no_redirects() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// Logs in; the session cookie's `name=value`.
async fn log_in(server: &Running, client: &reqwest::Client) -> String {
    let response = client
        .post(server.url("/admin/login"))
        .form(&[("token", TOKEN)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/admin");
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_string();
    let attributes: Vec<&str> = cookie.split(';').map(str::trim).collect();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(attributes.contains(&flag), "{cookie}");
    }
    let pair = attributes[0].to_string();
    let (name, id) = pair.split_once('=').unwrap();
    assert_eq!(name, "plinth_session");
    assert_eq!(id.len(), 64, "a random session id, not the token: {cookie}");
    assert!(!cookie.contains(TOKEN));
    pair
}

/// The dashboard page, and the CSRF token it carries.
async fn page(server: &Running, client: &reqwest::Client, cookie: &str) -> (String, String) {
    let response = client
        .get(server.url("/admin"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = response.text().await.unwrap();
    let csrf = html
        .split("<meta name=\"csrf-token\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_string();
    (html, csrf)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_sets_a_strict_http_only_cookie_and_the_page_shows_the_plugins() {
    let server = Running::start(manager(), Some(TOKEN)).await;
    let client = no_redirects();
    // Not logged in: to the login form.
    let response = client.get(server.url("/admin")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(response.headers()["location"], "/admin/login");
    let form = client.get(server.url("/admin/login")).send().await.unwrap();
    assert_eq!(form.status(), 200);
    assert!(form.text().await.unwrap().contains("name=\"token\""));
    // A wrong token: no cookie.
    let response = client
        .post(server.url("/admin/login"))
        .form(&[("token", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    assert!(response.headers().get("set-cookie").is_none());

    let cookie = log_in(&server, &client).await;
    let (html, csrf) = page(&server, &client, &cookie).await;
    assert_eq!(csrf.len(), 64);
    for expected in [
        r#"<tr data-plugin="limiter" data-state="active">"#,
        r#"<tr data-plugin="dashboard" data-state="active">"#,
        "<td>limiter ^1</td>",
        r#"<td class="notices">asks for clocks, not granted</td>"#,
        r#"<img id="graph" src="/api/admin/graph.svg""#,
        r#"<script src="/admin/dashboard.js"></script>"#,
        // A configuration form per plugin, holding its section.
        r#"<form class="config" data-plugin="limiter">"#,
        r#"<form class="config" data-plugin="dashboard">"#,
        "&quot;maxRequests&quot;: 1000",
        r#"<th title="median duration of its hook callbacks">p50</th>"#,
        // The dashboard plugin has no hooks: no latency to show.
        r#"<td class="num p50">-</td><td class="num p99">-</td>"#,
    ] {
        assert!(html.contains(expected), "{expected} in {html}");
    }
    // The limiter was called (by /readyz, the login): its figures show.
    let limiter = html
        .split(r#"<tr data-plugin="limiter""#)
        .nth(1)
        .and_then(|rest| rest.split("</tr>").next())
        .unwrap();
    assert!(
        limiter.contains(r#"<td class="num p50">"#)
            && (limiter.contains(" µs</td>") || limiter.contains(" ms</td>")),
        "{limiter}"
    );
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    let script = client
        .get(server.url("/admin/dashboard.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(script.text().await.unwrap().contains("EventSource"));
    // The cookie reads the admin API (no CSRF needed to read).
    let response = client
        .get(server.url("/api/admin/plugins"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    // A made-up session: refused.
    let response = client
        .get(server.url("/api/admin/plugins"))
        .header("cookie", format!("plinth_session={}", "0".repeat(64)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    // Logging out ends the session.
    let response = client
        .post(server.url("/admin/logout"))
        .header("cookie", &cookie)
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let response = client
        .get(server.url("/api/admin/plugins"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 401);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cookie_authenticated_change_needs_the_csrf_token() {
    let server = Running::start(manager(), Some(TOKEN)).await;
    let client = no_redirects();
    let cookie = log_in(&server, &client).await;
    let (_, csrf) = page(&server, &client, &cookie).await;
    let toggle = |csrf: Option<&str>| {
        let mut request = client
            .post(server.url("/api/admin/plugins/limiter/toggle"))
            .header("cookie", &cookie)
            .json(&json!({ "enabled": false }));
        if let Some(csrf) = csrf {
            request = request.header("x-csrf-token", csrf);
        }
        request.send()
    };
    for wrong in [None, Some(""), Some("0000"), Some(&csrf[1..])] {
        let response = toggle(wrong).await.unwrap();
        assert_eq!(response.status(), 403, "{wrong:?}");
        let error: Value = response.json().await.unwrap();
        assert!(error["error"].as_str().unwrap().contains("x-csrf-token"));
        assert_eq!(server.state_of("limiter").await, "active");
        assert_eq!(server.state_of("dashboard").await, "active");
    }
    // Another session's CSRF token does not fit this one.
    let other = log_in(&server, &client).await;
    let (_, other_csrf) = page(&server, &client, &other).await;
    assert_eq!(toggle(Some(&other_csrf)).await.unwrap().status(), 403);
    assert_eq!(server.state_of("limiter").await, "active");

    let response = toggle(Some(&csrf)).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["success"], true);
    assert_eq!(server.state_of("limiter").await, "disabled");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_configured_token_there_is_no_login() {
    let server = Running::start(manager(), None).await;
    let client = no_redirects();
    let response = client
        .post(server.url("/admin/login"))
        .form(&[("token", "anything")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert!(response.headers().get("set-cookie").is_none());
    let response = client.get(server.url("/admin")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    server.stop().await;
}
