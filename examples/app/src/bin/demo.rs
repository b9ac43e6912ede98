//! The tutorial's application without HTTP: the plugin manager starts the
//! four plugins, the application calls its hooks the way its routes would,
//! and a plugin is disabled and enabled while it runs.
//!
//! `cargo run -p plinth-example-app --bin demo` (the audit log goes to the file named
//! by `AUDIT_LOG`, by default `audit.log` in a fresh temporary folder).

use std::path::PathBuf;

use plinth::runtime::Manager;
use plinth_example_app::hooks::{
    Login, REQUEST_START, RequestStart, USER_ACTION, USER_LOGIN, UserAction,
};
use plinth_example_app::plugins::welcome_email::Outbox;
use plinth_example_app::plugins::{AuditLogger, RateLimiter, UserActivity, WelcomeEmail};
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let audit_log = match std::env::var_os("AUDIT_LOG") {
        Some(path) => PathBuf::from(path),
        None => std::env::temp_dir()
            .join(format!("plinth-app-{}", std::process::id()))
            .join("audit.log"),
    };
    if let Some(dir) = audit_log.parent() {
        std::fs::create_dir_all(dir)?;
    }

    let mut manager = Manager::new().with_config(json!({
        "plugins": {
            "audit-logger": { "path": audit_log, "flushIntervalMs": 1000 },
            "rate-limiter": { "windowMs": 60000, "maxRequests": 2 }
        }
    }));
    manager.services().insert(Outbox::default());
    manager.register(AuditLogger::default())?;
    manager.register(RateLimiter::default())?;
    manager.register(UserActivity)?;
    manager.register(WelcomeEmail::default())?;

    let report = manager.initialize_all().await?;
    println!("started: {}", report.started.join(", "));
    for (plugin, reason) in &report.failed {
        println!("failed: {plugin}: {reason}");
    }

    // What the login route does: welcome-email hears of it through the bus.
    let login = manager.hooks().hook(&USER_LOGIN)?;
    login.call(&Login {
        user_id: "ada".into(),
    })?;
    let outbox = manager.services().get::<Outbox>().ok_or("no outbox")?;
    for mail in outbox.sent() {
        println!("mail to {}: {}", mail.to, mail.subject);
    }

    // What `POST /api/users/:id/action` does: the filter's result is the answer.
    let action = manager.hooks().hook(&USER_ACTION)?;
    let done = action.call(UserAction {
        user_id: "ada".into(),
        action: "edit".into(),
        payload: json!({ "page": 7 }),
    })?;
    println!(
        "user:action -> {}",
        json!({ "processed": true, "data": done })
    );

    // What the request layer does: the first rejection stops the request.
    let start = manager.hooks().hook(&REQUEST_START)?;
    for n in 1..=3 {
        match start.call(&RequestStart::new("GET", "/").with_ip([10, 0, 0, 1]))? {
            None => println!("request {n}: admitted"),
            Some(rejection) => println!(
                "request {n}: {} {} (retry after {} s)",
                rejection.status,
                rejection.message,
                // Whole seconds, rounded up, as `Retry-After` carries them.
                rejection
                    .retry_after
                    .unwrap_or_default()
                    .as_millis()
                    .div_ceil(1000)
            ),
        }
    }

    // Disabling the rate limiter removes its verdicts; enabling restores them.
    println!("disabled: {:?}", manager.disable("rate-limiter").await?);
    let verdict = start.call(&RequestStart::new("GET", "/").with_ip([10, 0, 0, 1]))?;
    println!(
        "request 4 without the limiter: {}",
        verdict.map_or("admitted", |_| "rejected")
    );
    println!("enabled: {:?}", manager.enable("rate-limiter").await?);

    for plugin in manager.list() {
        println!("{} {} {}", plugin.name, plugin.version, plugin.state);
    }
    manager.shutdown().await;
    println!("audit log: {}", audit_log.display());
    Ok(())
}
