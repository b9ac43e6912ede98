//! The manifest JSON Schema (schemas/plinth-manifest.schema.json) accepts
//! the example manifests and agrees with the parser on bad ones.

use std::path::{Path, PathBuf};

use plinth_extensions::Manifest;

fn validator() -> jsonschema::Validator {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/plinth-manifest.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).unwrap()
}

fn as_json(toml_text: &str) -> serde_json::Value {
    let value: toml::Value = toml::from_str(toml_text).unwrap();
    serde_json::to_value(value).unwrap()
}

fn manifests(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            manifests(&path, out);
        } else if path.file_name().is_some_and(|n| n == "plinth.toml") {
            out.push(path);
        }
    }
}

#[test]
fn example_manifests_validate() {
    let validator = validator();
    let mut found = Vec::new();
    manifests(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
        &mut found,
    );
    assert!(found.len() >= 3);
    for path in found {
        let text = std::fs::read_to_string(&path).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&as_json(&text))
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        Manifest::parse(&text, &path).unwrap();
    }
}

#[test]
fn schema_and_parser_reject_the_same_mistakes() {
    let validator = validator();
    let header = "[plugin]\nname = \"p\"\nversion = \"1.0.0\"\n";
    for bad in [
        "[plugin]\nname = \"p\"\n".to_string(),
        format!("{header}licence = \"MIT\"\n"),
        "[plugin]\nname = \"bad name\"\nversion = \"1.0.0\"\n".to_string(),
        "[plugin]\nname = \"p\"\nversion = \"1\"\n".to_string(),
        format!("{header}[extensions]\np = \"not a table\"\n"),
        format!("{header}[extensions.p]\nx = {{ modul = \"m\" }}\n"),
        format!("{header}[extensions.p]\nx = {{ auto = \"no\" }}\n"),
        format!("{header}[entities.assets]\n\"1e3\" = 1\n"),
        format!("{header}[permissions]\nfs = []\n"),
        "[plugin]\nname = \"p\"\nversion = \"1.0.0\"\napi = 1\n".to_string(),
        "[plugin]\nname = \"p\"\nversion = \"1.0.0\"\napi = \"\"\n".to_string(),
        "name = \"p\"\nversion = \"1.0.0\"\n".to_string(),
    ] {
        assert!(
            !validator.is_valid(&as_json(&bad)),
            "schema accepts:\n{bad}"
        );
        assert!(
            Manifest::parse(&bad, Path::new("x/plinth.toml")).is_err(),
            "parser accepts:\n{bad}"
        );
    }
}

#[test]
fn schema_and_parser_accept_the_same_edge_cases() {
    let validator = validator();
    let header = "[plugin]\nname = \"p\"\nversion = \"1.0.0\"\n";
    for good in [
        format!("{header}[entities.\"42\"]\nk = 1\n"),
        format!("{header}[entities.\"\"]\n"),
        "[plugin]\nname = \"@s/p.x_y-z\"\nversion = \"1.0.0\"\n".to_string(),
        "[plugin]\nname = \"p\"\nversion = \"1.0.0\"\napi = \"^0.1\"\n".to_string(),
    ] {
        let errors: Vec<String> = validator
            .iter_errors(&as_json(&good))
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "schema refuses:\n{good}\n{errors:?}");
        Manifest::parse(&good, Path::new("x/plinth.toml"))
            .unwrap_or_else(|e| panic!("parser refuses:\n{good}\n{e}"));
    }
}
