//! The `demo` binary (the application without HTTP) as a user runs it: its
//! output, and the audit log it leaves behind.

use std::process::Command;

#[test]
fn the_app_runs_its_plugins_and_writes_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.log");
    let output = Command::new(env!("CARGO_BIN_EXE_demo"))
        .env("AUDIT_LOG", &audit)
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    for line in [
        "started: audit-logger, rate-limiter, user-activity, welcome-email",
        "mail to ada: Welcome!",
        r#"user:action -> {"data":{"action":"edit","payload":{"page":7},"userId":"ada"},"processed":true}"#,
        "request 1: admitted",
        "request 2: admitted",
        "request 3: 429 Too many requests (retry after 60 s)",
        "request 4 without the limiter: admitted",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "missing {line:?} in\n{stdout}"
        );
    }
    // Shutdown flushed the audited action.
    let log = std::fs::read_to_string(&audit).unwrap();
    assert!(log.contains(r#""action":"user:edit""#), "{log}");
}
