//! The dashboard: `/admin`, one server-rendered page with a same-origin
//! script, and its login. Nothing is fetched from outside the server.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::graph::escape;
use crate::session::{COOKIE, LIFETIME, Sessions, cookie_session, csrf_matches};
use crate::{AdminToken, Metrics};

const SCRIPT: &str = include_str!("../assets/dashboard.js");

/// The page allows only its own origin: no inline script, no framing.
const CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; img-src 'self'; \
                   style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

#[derive(Clone)]
pub(crate) struct DashboardState {
    pub(crate) token: Option<AdminToken>,
    pub(crate) sessions: Arc<Sessions>,
    pub(crate) manager: Arc<Mutex<plinth_runtime::Manager>>,
    pub(crate) metrics: Arc<Metrics>,
}

pub(crate) fn routes(state: DashboardState) -> Router {
    Router::new()
        .route("/admin", get(page))
        .route("/admin/login", get(login_page).post(login))
        .route("/admin/logout", axum::routing::post(logout))
        .route("/admin/dashboard.js", get(script))
        .with_state(state)
}

/// Headers every dashboard response carries.
fn guarded(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;margin-bottom:1.5em}th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left}\
.state-active{color:#2e7d32;font-weight:bold}.state-failed{color:#c62828;font-weight:bold}\
.state-disabled{color:#757575}#error{color:#c62828}#live{font-size:.8em;color:#757575}\
td.num{text-align:right;font-variant-numeric:tabular-nums}\
form.config{border:1px solid #ccc;padding:.5em 1em;margin-bottom:1em;max-width:40em}\
form.config textarea{width:100%;font-family:monospace}\
.violations{color:#c62828}.config-status{color:#2e7d32}";

fn layout(title: &str, head: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">{head}\
         <title>{title}</title><style>{STYLE}</style></head><body>{body}</body></html>",
        title = escape(title),
    )
}

fn login_form(message: Option<&str>) -> String {
    let message = message
        .map(|m| format!("<p id=\"error\">{}</p>", escape(m)))
        .unwrap_or_default();
    layout(
        "plinth: log in",
        "",
        &format!(
            "<h1>plinth admin</h1>{message}<form method=\"post\" action=\"/admin/login\">\
             <label>Admin token <input type=\"password\" name=\"token\" id=\"token\" autocomplete=\"current-password\" required autofocus></label> \
             <button type=\"submit\" id=\"login\">Log in</button></form>"
        ),
    )
}

async fn login_page() -> Response {
    guarded(Html(login_form(None)).into_response())
}

#[derive(Deserialize)]
struct Login {
    token: String,
}

async fn login(State(state): State<DashboardState>, Form(form): Form<Login>) -> Response {
    let Some(token) = &state.token else {
        return guarded(
            (
                StatusCode::FORBIDDEN,
                Html(login_form(Some(
                    "The admin API is off: no admin token is configured.",
                ))),
            )
                .into_response(),
        );
    };
    if !token.verify(&form.token) {
        return guarded(
            (
                StatusCode::UNAUTHORIZED,
                Html(login_form(Some("That is not the admin token."))),
            )
                .into_response(),
        );
    }
    let Ok((id, _)) = state.sessions.create() else {
        return guarded(StatusCode::INTERNAL_SERVER_ERROR.into_response());
    };
    // No `Secure`: the server speaks plain HTTP (on loopback by default);
    // behind a TLS proxy the proxy may add it.
    let cookie = format!(
        "{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}",
        LIFETIME.as_secs()
    );
    let mut response = Redirect::to("/admin").into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    guarded(response)
}

#[derive(Deserialize)]
struct Logout {
    csrf: String,
}

async fn logout(
    State(state): State<DashboardState>,
    headers: HeaderMap,
    Form(form): Form<Logout>,
) -> Response {
    if let Some(id) = cookie_session(&headers)
        && let Some(csrf) = state.sessions.csrf(&id)
    {
        if !csrf_matches(&csrf, &form.csrf) {
            return guarded(StatusCode::FORBIDDEN.into_response());
        }
        state.sessions.remove(&id);
    }
    let mut response = Redirect::to("/admin/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static("plinth_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0"),
    );
    guarded(response)
}

async fn script() -> Response {
    guarded(
        (
            [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
            SCRIPT,
        )
            .into_response(),
    )
}

/// A latency in microseconds as the page shows it (the script's
/// `duration` does the same): `-` for none, else µs, ms or s with three
/// significant digits at most.
fn duration(micros: Option<f64>) -> String {
    match micros {
        None => "-".to_string(),
        Some(us) if us < 1000.0 => format!("{} µs", significant(us)),
        Some(us) if us < 1_000_000.0 => format!("{} ms", significant(us / 1000.0)),
        Some(us) => format!("{} s", significant(us / 1_000_000.0)),
    }
}

/// Two decimals below 10, one below 100, none above, trailing zeros
/// dropped (the script's `String(Number(x.toFixed(d)))`).
fn significant(x: f64) -> String {
    let decimals = if x >= 100.0 {
        0
    } else if x >= 10.0 {
        1
    } else {
        2
    };
    let text = format!("{x:.decimals$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// One plugin's configuration form: its section of the application
/// configuration as JSON, saved through the admin API by the script.
pub(crate) fn config_form(name: &str, section: &Value) -> String {
    let text = serde_json::to_string_pretty(section).unwrap_or_else(|_| "{}".into());
    let n = escape(name);
    format!(
        "<form class=\"config\" data-plugin=\"{n}\"><h3>{n}</h3>\
         <textarea name=\"config\" rows=\"6\" spellcheck=\"false\" aria-label=\"configuration of {n}\">{text}</textarea>\
         <p><button type=\"submit\" class=\"save\">Save</button> <span class=\"config-status\" role=\"status\"></span></p>\
         <ul class=\"violations\" role=\"alert\"></ul></form>",
        text = escape(&text),
    )
}

/// One table row, as the script renders it too (so that the page reads
/// the same before and after its first update).
fn row(plugin: &Value) -> String {
    let text = |key: &str| plugin[key].as_str().unwrap_or_default().to_string();
    let name = text("name");
    let state = text("state");
    let enabled = plugin["enabled"].as_bool().unwrap_or(false);
    let dependencies = plugin["dependencies"]
        .as_object()
        .map(|deps| {
            deps.iter()
                .map(|(n, r)| format!("{n} {}", r.as_str().unwrap_or_default()))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    // A list of strings, joined for a cell.
    let joined = |key: &str, separator: &str| {
        plugin[key]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(separator)
            })
            .unwrap_or_default()
    };
    let notices = joined("notices", "; ");
    let dependents = joined("dependents", ", ");
    format!(
        "<tr data-plugin=\"{n}\" data-state=\"{s}\"><td class=\"name\">{n}</td><td>{v}</td>\
         <td class=\"state state-{s}\">{s}</td><td class=\"reason\">{r}</td><td class=\"notices\">{notes}</td><td>{deps}</td><td>{dents}</td>\
         <td class=\"num calls\">{calls}</td><td class=\"num failures\">{failures}</td>\
         <td class=\"num p50\">{p50}</td><td class=\"num p99\">{p99}</td><td><button type=\"button\" class=\"toggle\" data-plugin=\"{n}\" \
         data-enable=\"{enable}\">{label}</button></td></tr>",
        n = escape(&name),
        s = escape(&state),
        v = escape(&text("version")),
        r = escape(&text("reason")),
        notes = escape(&notices),
        deps = escape(&dependencies),
        dents = escape(&dependents),
        calls = plugin["hooks"]["calls"].as_u64().unwrap_or(0),
        failures = plugin["hooks"]["failures"].as_u64().unwrap_or(0),
        p50 = escape(&duration(plugin["hooks"]["p50Micros"].as_f64())),
        p99 = escape(&duration(plugin["hooks"]["p99Micros"].as_f64())),
        enable = !enabled,
        label = if enabled { "Disable" } else { "Enable" },
    )
}

async fn page(State(state): State<DashboardState>, headers: HeaderMap) -> Response {
    let csrf = if state.token.is_some() {
        cookie_session(&headers).and_then(|id| state.sessions.csrf(&id))
    } else {
        None
    };
    let Some(csrf) = csrf else {
        return guarded(Redirect::to("/admin/login").into_response());
    };
    let (plugins, forms) = {
        let manager = state.manager.lock().await;
        let plugins = crate::admin::plugin_rows(&manager, &state.metrics);
        let forms: String = manager
            .list()
            .iter()
            .map(|p| {
                let section = manager
                    .config()
                    .get("plugins")
                    .and_then(|s| s.get(&p.name))
                    .cloned()
                    .unwrap_or_else(|| serde_json::json!({}));
                config_form(&p.name, &section)
            })
            .collect();
        (plugins, forms)
    };
    let rows: String = plugins.iter().map(row).collect();
    let csrf = escape(&csrf);
    let body = format!(
        "<h1>plinth plugins <span id=\"live\" data-live=\"false\">connecting</span></h1>\
         <p id=\"error\" role=\"alert\"></p>\
         <table><thead><tr><th>plugin</th><th>version</th><th>state</th><th>failure</th>\
         <th title=\"what the operator should know: capabilities asked for and not granted\">notices</th>\
         <th>dependencies</th><th>dependents</th><th>hook calls</th><th>hook failures</th>\
         <th title=\"median duration of its hook callbacks\">p50</th>\
         <th title=\"99th percentile duration of its hook callbacks\">p99</th><th></th></tr></thead>\
         <tbody id=\"plugins\">{rows}</tbody></table>\
         <h2>Configuration</h2><div id=\"configs\">{forms}</div>\
         <h2>Dependencies</h2><img id=\"graph\" src=\"/api/admin/graph.svg\" alt=\"the plugins' dependency graph\">\
         <form method=\"post\" action=\"/admin/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button type=\"submit\">Log out</button></form>\
         <script src=\"/admin/dashboard.js\"></script>"
    );
    let head = format!("<meta name=\"csrf-token\" content=\"{csrf}\">");
    guarded(Html(layout("plinth: plugins", &head, &body)).into_response())
}
