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

/// What the schema finds wrong with the manifest `toml_text`.
fn schema_errors(validator: &jsonschema::Validator, toml_text: &str) -> Vec<String> {
    validator
        .iter_errors(&as_json(toml_text))
        .map(|e| e.to_string())
        .collect()
}

fn manifests(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let skipped = path
            .file_name()
            .is_some_and(|n| n == "node_modules" || n == "target");
        if path.is_dir() && !skipped {
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
        let errors = schema_errors(&validator, &text);
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        Manifest::parse(&text, &path).unwrap();
    }
}

/// Every manifest in the repository's guests and examples, the sandboxed
/// ones included: the schema's verdict is the parser's (the discovery
/// example has a broken one on purpose).
#[test]
fn the_repositorys_manifests_get_the_parsers_verdict_from_the_schema() {
    let validator = validator();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut found = Vec::new();
    manifests(&root.join("guests"), &mut found);
    manifests(&root.join("examples"), &mut found);
    assert!(found.len() >= 10, "{found:?}");
    for path in found {
        let text = std::fs::read_to_string(&path).unwrap();
        let errors = schema_errors(&validator, &text);
        let parsed = Manifest::parse(&text, &path);
        assert_eq!(
            errors.is_empty(),
            parsed.is_ok(),
            "{}: schema {errors:?}, parser {:?}",
            path.display(),
            parsed.err()
        );
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
        format!("{header}[permissions]\nwrite = [\"../x\"]\n"),
        format!("{header}[permissions]\nread = [\"a/b\"]\n"),
        format!("{header}[permissions]\nread = [\"..\"]\n"),
        format!("{header}[bus]\npublish = [\"\"]\n"),
        format!("{header}[bus]\nsend = []\n"),
        format!("{header}[hooks]\n\"h\" = {{ priority = \"high\" }}\n"),
        format!("{header}[sandbox]\nthreads = 3\n"),
        format!("{header}[hooks]\n\"h\" = {{ priority = 2147483648 }}\n"),
        format!("{header}[sandbox]\ninstances = -1\n"),
        format!("{header}[sandbox]\nmax-restarts = 4294967296\n"),
        "[plugin]\nname = \"p\"\nversion = \"1.0.0\"\nmodule = \"\"\n".to_string(),
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
        format!("{header}[permissions]\nread = [\".config\", \"data\"]\nclocks = true\n"),
        format!("{header}[bus]\nsubscribe = [\"a\"]\npublish = [\"b\"]\n"),
        format!("{header}[hooks]\n\"h\" = {{}}\n\"i\" = {{ priority = -5 }}\n"),
        format!("{header}[sandbox]\ninstances = 1\ndeadline-ms = 50\nmax-restarts = 0\n"),
    ] {
        let errors = schema_errors(&validator, &good);
        assert!(errors.is_empty(), "schema refuses:\n{good}\n{errors:?}");
        Manifest::parse(&good, Path::new("x/plinth.toml"))
            .unwrap_or_else(|e| panic!("parser refuses:\n{good}\n{e}"));
    }
}
