//! The dashboard in a real headless browser (Debian's Chromium, driven over
//! the DevTools protocol): log in, see the plugins and their hook latency,
//! submit a bad configuration and see its violations, a good one and see
//! the plugin restart, toggle one and see it and its dependent change,
//! then see a change made elsewhere arrive live.
//! Skipped, with a note, where `/usr/bin/chromium` is not installed.

mod common;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::{Dashboard, Limiter, Running, TOKEN};
use headless_chrome::{Browser, LaunchOptions, Tab};
use plinth_runtime::Manager;
use serde_json::json;

const CHROMIUM: &str = "/usr/bin/chromium";

fn manager() -> Manager {
    let mut manager =
        Manager::new().with_config(json!({ "plugins": { "limiter": { "maxRequests": 1000 } } }));
    manager.register(Limiter::default()).unwrap();
    manager.register(Dashboard).unwrap();
    manager
}

/// A profile directory of its own, so that no state leaks between runs.
fn fresh_profile() -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    std::env::temp_dir().join(format!("plinth-browser-{}-{nanos}", std::process::id()))
}

fn launch(profile: &Path) -> Browser {
    let args: Vec<&OsStr> = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        // Loopback only: never through a proxy from the environment.
        "--no-proxy-server",
    ]
    .iter()
    .map(OsStr::new)
    .collect();
    let options = LaunchOptions::default_builder()
        .path(Some(PathBuf::from(CHROMIUM)))
        .headless(true)
        .sandbox(false)
        .enable_gpu(false)
        .user_data_dir(Some(profile.to_path_buf()))
        .args(args)
        .idle_browser_timeout(Duration::from_secs(120))
        .build()
        .unwrap();
    Browser::new(options).unwrap()
}

fn state_in_page(tab: &Tab, plugin: &str, state: &str) {
    tab.wait_for_element(&format!(
        r#"tr[data-plugin="{plugin}"][data-state="{state}"]"#
    ))
    .unwrap_or_else(|e| {
        let html = tab.get_content().unwrap_or_default();
        panic!("{plugin} never showed {state}: {e}\n{html}")
    });
}

fn text_of(tab: &Tab, selector: &str) -> String {
    tab.find_element(selector)
        .unwrap_or_else(|e| panic!("{selector}: {e}"))
        .get_inner_text()
        .unwrap()
}

/// Waits (15 s at most) for the text of `selector` to satisfy `done`.
fn wait_text(tab: &Tab, selector: &str, done: impl Fn(&str) -> bool) {
    for _ in 0..300 {
        if done(&text_of(tab, selector)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "{selector} never showed what was expected: {:?}",
        text_of(tab, selector)
    );
}

/// Replaces the text of a configuration form's textarea.
fn set_config(tab: &Tab, form: &str, text: &str) {
    let area = tab.find_element(&format!("{form} textarea")).unwrap();
    let value = area
        .call_js_fn(
            "function(text) { this.value = text; return this.value; }",
            vec![json!(text)],
            false,
        )
        .unwrap()
        .value;
    assert_eq!(
        value.and_then(|v| v.as_str().map(String::from)).as_deref(),
        Some(text)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_in_see_the_plugins_toggle_one_and_see_the_changes_live() {
    if !Path::new(CHROMIUM).exists() {
        let why = format!("{CHROMIUM} is not installed (apt-get install chromium)");
        // CI installs it: there a missing browser fails the test.
        assert!(
            std::env::var_os("PLINTH_REQUIRE_BROWSER").is_none_or(|v| v != "1"),
            "{why}"
        );
        eprintln!("skipped: {why}");
        return;
    }
    let server = Running::start(manager(), Some(TOKEN)).await;
    let base = server.base.clone();
    let profile = fresh_profile();

    let (browser_done, toggled) = tokio::sync::oneshot::channel::<()>();
    let (enabled_tx, enabled_rx) = std::sync::mpsc::channel::<()>();
    let driver_profile = profile.clone();
    let driver = tokio::task::spawn_blocking(move || {
        let browser = launch(&driver_profile);
        let tab = browser.new_tab().unwrap();
        tab.set_default_timeout(Duration::from_secs(15));

        // Not logged in: the page sends the browser to the login form.
        tab.navigate_to(&format!("{base}/admin")).unwrap();
        tab.wait_until_navigated().unwrap();
        tab.wait_for_element("#token").unwrap().click().unwrap();
        tab.type_str(TOKEN).unwrap();
        tab.find_element("#login").unwrap().click().unwrap();
        tab.wait_until_navigated().unwrap();

        // The plugins, as the server rendered them.
        state_in_page(&tab, "limiter", "active");
        state_in_page(&tab, "dashboard", "active");
        let rows = tab.find_elements("#plugins tr").unwrap();
        assert_eq!(rows.len(), 2);
        // The event stream is open before anything is clicked.
        tab.wait_for_element(r#"#live[data-live="true"]"#).unwrap();
        // The graph loaded (through the session cookie) and drew something.
        let graph = tab
            .evaluate(
                "new Promise(r => { const i = document.getElementById('graph'); \
                 if (i.complete) r(i.naturalWidth); else i.onload = () => r(i.naturalWidth); })",
                true,
            )
            .unwrap();
        assert!(
            graph.value.and_then(|v| v.as_u64()).unwrap_or(0) > 0,
            "the graph did not load"
        );

        // Each plugin's hook latency: the limiter was called (by /readyz and
        // the login), so it shows a median and a 99th percentile.
        for column in ["p50", "p99"] {
            let figure = text_of(&tab, &format!(r#"tr[data-plugin="limiter"] td.{column}"#));
            assert!(
                figure.ends_with(" µs") || figure.ends_with(" ms"),
                "{column}: {figure:?}"
            );
            let none = text_of(&tab, &format!(r#"tr[data-plugin="dashboard"] td.{column}"#));
            assert_eq!(none, "-", "the dashboard plugin has no hooks");
        }

        // A bad configuration: the 422's violations show, each with its
        // JSON pointer, and nothing is saved.
        let form = r#"form.config[data-plugin="limiter"]"#;
        set_config(&tab, form, r#"{"maxRequests": 0, "colour": "red"}"#);
        tab.find_element(&format!("{form} button.save"))
            .unwrap()
            .click()
            .unwrap();
        let violation = tab
            .wait_for_element(&format!(
                r#"{form} .violations li[data-pointer="/plugins/limiter/maxRequests"]"#
            ))
            .unwrap_or_else(|e| {
                panic!(
                    "no violation shown: {e}\n{}",
                    tab.get_content().unwrap_or_default()
                )
            })
            .get_inner_text()
            .unwrap();
        assert!(
            violation.starts_with("/plugins/limiter/maxRequests: "),
            "{violation}"
        );
        let all = text_of(&tab, &format!("{form} .violations"));
        assert!(all.contains("colour"), "the unknown property too: {all}");
        assert_eq!(text_of(&tab, &format!("{form} .config-status")), "");

        // Not even JSON: said so, nothing sent.
        set_config(&tab, form, "{ maxRequests: ");
        tab.find_element(&format!("{form} button.save"))
            .unwrap()
            .click()
            .unwrap();
        tab.wait_for_element(&format!(r#"{form} .violations li[data-pointer=""]"#))
            .unwrap();
        assert!(text_of(&tab, &format!("{form} .violations")).contains("not JSON"));

        // A good one: saved, and the limiter restarted on it (with its
        // dependent), coming back active.
        set_config(&tab, form, r#"{"maxRequests": 500}"#);
        tab.find_element(&format!("{form} button.save"))
            .unwrap()
            .click()
            .unwrap();
        wait_text(&tab, &format!("{form} .config-status"), |t| {
            t.starts_with("Saved")
        });
        assert_eq!(
            text_of(&tab, &format!("{form} .config-status")),
            "Saved; restarted limiter, dashboard"
        );
        assert_eq!(text_of(&tab, &format!("{form} .violations")), "");
        state_in_page(&tab, "limiter", "active");
        state_in_page(&tab, "dashboard", "active");

        // Disable the limiter: it and its dependent go down.
        tab.find_element(r#"button.toggle[data-plugin="limiter"]"#)
            .unwrap()
            .click()
            .unwrap();
        state_in_page(&tab, "limiter", "disabled");
        state_in_page(&tab, "dashboard", "disabled");
        // The rows the script drew, notices included.
        assert_eq!(
            text_of(&tab, r#"tr[data-plugin="dashboard"] td.notices"#),
            common::NOTICE
        );
        let error = tab
            .find_element("#error")
            .unwrap()
            .get_inner_text()
            .unwrap();
        assert_eq!(error, "");
        let _ = browser_done.send(());

        // Enabled through the API, not the page: only the event stream can
        // tell the page.
        enabled_rx.recv().unwrap();
        state_in_page(&tab, "limiter", "active");
        drop(tab);
        drop(browser);
    });

    if toggled.await.is_err() {
        // The driver gave up: its panic says why.
        std::panic::resume_unwind(driver.await.unwrap_err().into_panic());
    }
    assert_eq!(server.state_of("limiter").await, "disabled");
    assert_eq!(server.state_of("dashboard").await, "disabled");
    // Only the good configuration was stored.
    let config: serde_json::Value = server
        .admin(reqwest::Method::GET, "/api/admin/plugins/limiter/config")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(config["config"], json!({ "maxRequests": 500 }));
    let response = server
        .admin(reqwest::Method::POST, "/api/admin/plugins/limiter/enable")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    enabled_tx.send(()).unwrap();
    driver.await.unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    server.stop().await;
}
