//! Runs the built example as a black box and compares its output with
//! `expected.txt`, as the spec's own suite does.

use std::process::Command;

fn normalise(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect()
}

#[test]
fn output_matches_expected() {
    let out = Command::new(env!("CARGO_BIN_EXE_events"))
        .output()
        .expect("the example runs");
    assert!(out.status.success(), "exit status {:?}", out.status);
    let mut combined = String::from_utf8(out.stdout).expect("utf-8 stdout");
    combined.push_str(&String::from_utf8(out.stderr).expect("utf-8 stderr"));
    let expected = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/expected.txt"))
        .expect("expected.txt is readable");
    let (got, want) = (normalise(&combined), normalise(&expected));
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(g, w, "line {} differs", i + 1);
    }
    assert_eq!(got.len(), want.len(), "line count differs:\n{combined}");
}
