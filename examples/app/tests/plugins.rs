//! The example plugins running under the manager.

use plinth::runtime::PluginState::*;
use plinth::runtime::{Manager, ManagerError};
use plinth_example_app::hooks::{Login, USER_ACTION, USER_LOGIN, UserAction};
use plinth_example_app::plugins::welcome_email::Outbox;
use plinth_example_app::plugins::{AuditLogger, RateLimiter, UserActivity, WelcomeEmail};
use serde_json::json;

fn login(manager: &Manager, user: &str) {
    let hook = manager.hooks().hook(&USER_LOGIN).unwrap();
    hook.call(&Login {
        user_id: user.into(),
    })
    .unwrap();
}

fn mails(manager: &Manager) -> Vec<String> {
    manager
        .services()
        .get::<Outbox>()
        .unwrap()
        .sent()
        .into_iter()
        .map(|e| e.to)
        .collect()
}

#[tokio::test]
async fn user_activity_and_welcome_email_talk_over_the_bus() {
    let mut manager = Manager::new();
    manager.services().insert(Outbox::default());
    manager.register(UserActivity).unwrap();
    manager.register(WelcomeEmail::default()).unwrap();
    manager.initialize_all().await.unwrap();

    login(&manager, "ada");
    login(&manager, "ada");
    login(&manager, "bob");
    assert_eq!(mails(&manager), ["ada", "bob"]);

    // Disabled: its subscription is gone.
    manager.disable("welcome-email").await.unwrap();
    login(&manager, "carol");
    manager.enable("welcome-email").await.unwrap();
    login(&manager, "dave");
    assert_eq!(mails(&manager), ["ada", "bob", "dave"]);
}

#[tokio::test]
async fn welcome_email_without_its_service_fails_naming_it() {
    let mut manager = Manager::new();
    manager.register(WelcomeEmail::default()).unwrap();
    manager.initialize_all().await.unwrap();
    assert_eq!(manager.state("welcome-email"), Some(Failed));
    let reason = manager.reason("welcome-email").unwrap().to_string();
    assert!(
        reason
            .contains("service plinth_example_app::plugins::welcome_email::Outbox is not provided"),
        "{reason}"
    );

    manager.services().insert(Outbox::default());
    manager.enable("welcome-email").await.unwrap();
}

#[tokio::test(start_paused = true)]
async fn the_audit_logger_loses_nothing_across_a_failed_disable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("later").join("audit.log");
    let config = json!({ "plugins": { "audit-logger": { "path": path, "flushIntervalMs": 50 } } });
    let mut manager = Manager::new().with_config(config);
    manager.register(AuditLogger::default()).unwrap();
    manager.register(RateLimiter::default()).unwrap();
    manager.initialize_all().await.unwrap();
    let act = |user: &str| UserAction {
        user_id: user.into(),
        action: "edit".into(),
        payload: json!(1),
    };
    let hook = manager.hooks().hook(&USER_ACTION).unwrap();
    hook.call(act("a")).unwrap();
    hook.call(act("b")).unwrap();

    // The directory does not exist: destroy cannot flush, the plugin fails,
    // and disable says so.
    let err = manager.disable("audit-logger").await.unwrap_err();
    assert!(
        matches!(&err, ManagerError::StoppedWithFailures { stopped, failed, .. }
            if stopped == &["audit-logger"] && failed[0].0 == "audit-logger"),
        "{err}"
    );
    assert_eq!(manager.state("audit-logger"), Some(Failed));
    let reason = manager.reason("audit-logger").unwrap().to_string();
    assert!(
        reason.starts_with("destroy failed: 2 audit entries kept"),
        "{reason}"
    );
    // Disabling a failed plugin is a no-op: nothing of it runs.
    assert!(manager.disable("audit-logger").await.unwrap().is_empty());

    std::fs::create_dir(dir.path().join("later")).unwrap();
    manager.enable("audit-logger").await.unwrap();
    hook.call(act("c")).unwrap();
    manager.shutdown().await;
    let users: Vec<String> = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["data"]["userId"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(users, ["a", "b", "c"]);
}
