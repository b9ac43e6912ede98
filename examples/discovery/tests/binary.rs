//! The `discover` binary over the example's `plugins` folder.

use std::process::Command;

#[test]
fn discovers_starts_and_reports_the_example_plugins() {
    let output = Command::new(env!("CARGO_BIN_EXE_discover"))
        .output()
        .unwrap();
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(output.status.success(), "{stdout}");
    let lines: Vec<&str> = stdout.lines().collect();
    // The bad manifest is reported at its file, line and column.
    assert!(
        lines[0].starts_with("skipped: ")
            && lines[0].ends_with(
                "broken/plinth.toml:3:11: unexpected character 'o' while parsing major version number"
            ),
        "{stdout}"
    );
    assert_eq!(
        lines[1..],
        [
            "@acme/search 0.3.0: active",
            r#"seo 1.0.0: failed (missing dependency "analytics")"#,
            "theme-dark 1.2.0: active",
            r#"assets.logo = "moon.svg" (from theme-dark)"#,
            r#"assets.background = "night.png" (from theme-dark)"#,
            r#"commands.search = "Search the site" (from @acme/search)"#,
        ]
    );
}
