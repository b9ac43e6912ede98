//! Manifest parsing: typed fields, and errors naming file, line and column.

use std::path::Path;

use plinth_extensions::{Activation, Manifest, ManifestError};

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/plugins")
        .join(name)
        .join("plinth.toml")
}

#[test]
fn full_manifest_is_typed() {
    let m = Manifest::from_path(fixture("xedit-lang-x")).unwrap();
    assert_eq!(m.name, "xedit-lang-x");
    assert_eq!(m.version, semver::Version::new(1, 2, 0));
    assert_eq!(
        m.description.as_deref(),
        Some("Language X support for xedit")
    );
    assert_eq!(m.author.as_deref(), Some("Developer B <b@example.com>"));
    assert_eq!(m.dependencies[0].name, "@acme/tools");
    assert!(m.dependencies[0].req.matches(&"0.3.9".parse().unwrap()));
    assert!(!m.dependencies[0].req.matches(&"0.4.0".parse().unwrap()));
    let schema = m.config_schema.as_ref().unwrap();
    assert!(
        schema
            .file
            .as_ref()
            .unwrap()
            .ends_with("config.schema.json")
    );
    assert_eq!(schema.schema["properties"]["tabWidth"]["minimum"], 1);
    assert_eq!(m.permissions.read, ["grammars"]);
    let exts: Vec<_> = m
        .extensions
        .iter()
        .map(|e| {
            (
                e.point.as_str(),
                e.name.as_str(),
                e.module.to_string(),
                e.activation,
            )
        })
        .collect();
    assert_eq!(
        exts,
        [
            (
                "xedit:language",
                "x",
                "native:fixture-lang".to_string(),
                Activation::Auto
            ),
            (
                "xedit:language",
                "x-strict",
                "native:fixture-lang#strict".to_string(),
                Activation::ByName
            ),
        ]
    );
    assert_eq!(m.entities[0].0, "assets");
    assert_eq!(m.entities[0].1.get("logo").unwrap().as_str(), Some("x.svg"));
}

#[test]
fn inline_schema_and_default_module() {
    let m = Manifest::from_path(fixture("@acme/tools")).unwrap();
    let schema = m.config_schema.unwrap();
    assert!(schema.file.is_none());
    assert_eq!(schema.schema["properties"]["verbose"]["type"], "boolean");
    assert_eq!(
        m.extensions[0].module.to_string(),
        "native:@acme/tools#format"
    );
    assert_eq!(m.permissions.env, ["ACME_TOKEN"]);
    let types: Vec<_> = m.entities.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["assets", "commands"]);
}

/// The error of parsing `text` as `dir/plinth.toml`.
fn error(text: &str) -> ManifestError {
    Manifest::parse(text, Path::new("dir/plinth.toml")).unwrap_err()
}

const HEADER: &str = "[plugin]\nname = \"p\"\nversion = \"1.0.0\"\n";

fn assert_at(text: &str, line: usize, column: usize, contains: &str) {
    let err = error(text);
    let shown = err.to_string();
    assert_eq!(err.location(), Some((line, column)), "{shown}");
    assert!(
        shown.starts_with(&format!("dir/plinth.toml:{line}:{column}: ")),
        "{shown}"
    );
    assert!(shown.contains(contains), "{shown}");
}

#[test]
fn errors_name_file_line_and_column() {
    assert_at(
        "[plugin]\nname = \"p\"\nversion = \"1.0.0\"\nlicence = \"MIT\"\n",
        4,
        1,
        "unknown field `licence`",
    );
    assert_at("[plugin]\nname = \"p\"\n", 1, 1, "missing field `version`");
    assert_at(
        "[plugin]\nname = \"p\"\nversion = \"one\"\n",
        3,
        11,
        "version",
    );
    assert_at(
        &format!("{HEADER}[dependencies]\ncore = \"^^1\"\n"),
        5,
        8,
        "",
    );
    assert_at(
        &format!("{HEADER}[dependencies]\n\"bad name\" = \"1\"\n"),
        5,
        1,
        "plugin name",
    );
    assert_at(
        "[plugin]\nname = \"\"\nversion = \"1.0.0\"\n",
        2,
        8,
        "plugin name",
    );
    assert_at(
        &format!("{HEADER}[extensions.p]\nx = {{ modul = \"m\" }}\n"),
        5,
        7,
        "unknown field `modul`",
    );
    assert_at(
        &format!("{HEADER}[extensions.p]\nx = {{ auto = \"no\" }}\n"),
        5,
        14,
        "bool",
    );
    assert_at(
        &format!("{HEADER}[extensions.p]\nx = 3\n"),
        5,
        5,
        "a module string or a table",
    );
    assert_at(
        &format!("{HEADER}[entities.assets]\n\"1e3\" = \"x\"\n"),
        5,
        1,
        "numeric-like",
    );
    // An extension's name becomes an entity key too.
    assert_at(
        &format!("{HEADER}[extensions.\"app:tools\"]\n\"1\" = \"tools\"\n"),
        5,
        1,
        "extension name \"1\" is numeric-like",
    );
    assert_at(
        &format!("{HEADER}[permissions]\nfs = []\n"),
        5,
        1,
        "unknown field `fs`",
    );
    assert_at(
        &format!("{HEADER}[config]\nschema = 1\n"),
        5,
        10,
        "schema file name or an inline schema",
    );
    assert_at("[plugin\n", 1, 8, "");
}

#[test]
fn a_bad_schema_file_is_named_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("schema.json"), "{\n  \"type\": \n}\n").unwrap();
    let path = dir.path().join("plinth.toml");
    std::fs::write(
        &path,
        format!("{HEADER}[config]\nschema = \"schema.json\"\n"),
    )
    .unwrap();
    let err = Manifest::from_path(&path).unwrap_err();
    assert_eq!(err.path(), dir.path().join("schema.json"));
    assert_eq!(err.location(), Some((3, 1)));
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let err = Manifest::from_path("no/such/plinth.toml").unwrap_err();
    assert!(matches!(err, ManifestError::Io { .. }));
    assert!(
        err.to_string()
            .starts_with("no/such/plinth.toml: cannot read")
    );
}

#[test]
fn a_missing_schema_file_is_reported_at_the_manifest_line() {
    let err = error(&format!("{HEADER}[config]\nschema = \"absent.json\"\n"));
    assert_eq!(err.path(), Path::new("dir/plinth.toml"));
    assert_eq!(err.location(), Some((5, 10)), "{err}");
    assert!(err.to_string().contains("absent.json"), "{err}");
}

#[test]
fn a_schema_file_outside_the_plugin_folder_is_refused() {
    for file in ["../secret.json", "/etc/passwd", "a/../../b.json"] {
        let err = error(&format!("{HEADER}[config]\nschema = {file:?}\n"));
        assert_eq!(err.location(), Some((5, 10)), "{err}");
        assert!(
            err.to_string().contains("inside the plugin folder"),
            "{err}"
        );
    }
}

/// A manifest linked to a file that reports size 0 but holds more than
/// `MAX_MANIFEST_BYTES` (a `/proc` file) is refused at the manifest's path,
/// not read whole.
#[cfg(target_os = "linux")]
#[test]
fn a_manifest_linked_to_a_large_proc_file_is_refused_at_its_path() {
    let target = Path::new("/proc/kallsyms");
    // Unreadable or smaller than the limit on some kernels: nothing to show.
    let Ok(mut file) = std::fs::File::open(target) else {
        return;
    };
    let held = std::io::copy(
        &mut std::io::Read::take(&mut file, plinth_extensions::MAX_MANIFEST_BYTES + 1),
        &mut std::io::sink(),
    )
    .unwrap_or(0);
    if held <= plinth_extensions::MAX_MANIFEST_BYTES {
        return;
    }
    assert_eq!(std::fs::metadata(target).unwrap().len(), 0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plinth.toml");
    std::os::unix::fs::symlink(target, &path).unwrap();
    let err = Manifest::from_path(&path).unwrap_err();
    assert!(matches!(err, ManifestError::Io { .. }), "{err}");
    assert_eq!(err.path(), path);
    assert!(err.to_string().contains("larger than"), "{err}");
}

/// The relative-path check is not enough: a schema file that is a symlink
/// leaving the plugin folder would let a manifest read any file.
#[cfg(unix)]
#[test]
fn a_schema_file_linked_outside_the_plugin_folder_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let secret = root.path().join("secret.json");
    std::fs::write(&secret, "{\"type\": \"object\"}").unwrap();
    let plugin = root.path().join("p");
    std::fs::create_dir_all(plugin.join("sub")).unwrap();
    let manifest = plugin.join("plinth.toml");

    // Linked directly, and through a linked folder.
    std::os::unix::fs::symlink(&secret, plugin.join("schema.json")).unwrap();
    std::os::unix::fs::symlink(root.path(), plugin.join("sub/up")).unwrap();
    for file in ["schema.json", "sub/up/secret.json"] {
        std::fs::write(
            &manifest,
            format!("{HEADER}\n[config]\nschema = {file:?}\n"),
        )
        .unwrap();
        let err = Manifest::from_path(&manifest).unwrap_err();
        assert_eq!(err.path(), manifest, "{err}");
        assert_eq!(err.location(), Some((6, 10)), "{err}");
        assert!(
            err.to_string().contains("outside the plugin folder"),
            "{err}"
        );
    }

    // A link that stays inside the folder is fine.
    std::fs::write(plugin.join("sub/real.json"), "{\"type\": \"object\"}").unwrap();
    std::os::unix::fs::symlink("sub/real.json", plugin.join("inside.json")).unwrap();
    std::fs::write(
        &manifest,
        format!("{HEADER}[config]\nschema = \"inside.json\"\n"),
    )
    .unwrap();
    let m = Manifest::from_path(&manifest).unwrap();
    assert_eq!(m.config_schema.unwrap().schema["type"], "object");
}

/// Manifest names follow plinth-core's one rule, with its message, at the
/// name's line and column.
#[test]
fn plugin_and_dependency_names_follow_the_core_rule() {
    for (toml_name, name) in [
        (r#"" ""#, " "),
        (r#""../../etc""#, "../../etc"),
        (r#""x\ny""#, "x\ny"),
        (r#""\u0000""#, "\0"),
    ] {
        let core = plinth_core::check_plugin_name(name)
            .unwrap_err()
            .to_string();
        assert_at(
            &format!("[plugin]\nname = {toml_name}\nversion = \"1.0.0\"\n"),
            2,
            8,
            &core,
        );
        assert_at(
            &format!("{HEADER}[dependencies]\n{toml_name} = \"1\"\n"),
            5,
            1,
            &core,
        );
    }
}

/// Any string is an entity type; keys keep their rules.
#[test]
fn any_string_is_an_entity_type_name() {
    let m = Manifest::parse(
        &format!("{HEADER}[entities.\"0x10\"]\nk = 1\n[entities.\"\"]\n"),
        Path::new("dir/plinth.toml"),
    )
    .unwrap();
    let types: Vec<_> = m.entities.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(types, ["0x10", ""]);
    assert_at(
        &format!("{HEADER}[entities.\"42\"]\n\"7\" = 1\n"),
        5,
        1,
        "numeric-like",
    );
}

#[test]
fn a_self_dependency_is_an_error_at_its_key() {
    assert_at(
        "[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n\n[dependencies]\nb = \"1\"\na = \"1\"\n",
        7,
        1,
        "plugin \"a\" depends on itself",
    );
}

#[test]
fn a_missing_plugin_table_is_named_as_such() {
    // `name` and `version` at the top level: the usual slip.
    assert_at(
        "# my plugin\nname = \"a\"\nversion = \"1.0.0\"\n",
        2,
        8,
        "missing [plugin] table: `name` and `version` belong under [plugin]",
    );
    assert_at(
        "[dependencies]\nb = \"1\"\n",
        1,
        1,
        "missing [plugin] table",
    );
    let err = error("");
    assert!(err.to_string().contains("missing [plugin] table"), "{err}");
    // With the table present, a stray top-level key says where it belongs.
    assert_at(
        "author = \"me\"\n[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n",
        1,
        10,
        "`author` belongs under [plugin]",
    );
}

/// Deep nesting is refused before the document becomes a tree (whose
/// building and dropping recurse), with the line of the key that goes too
/// deep.
#[test]
fn deep_nesting_is_refused_at_its_line() {
    let dotted = vec!["a"; 100].join(".");
    assert_at(
        &format!("{HEADER}[entities.t]\n{dotted} = 1\n"),
        5,
        1,
        "nesting deeper than 64 levels",
    );
    assert_at(
        &format!("{HEADER}\n[entities.{dotted}]\n"),
        5,
        1,
        "nesting deeper than 64 levels",
    );
    let arrays = format!("k = {}1{}", "[".repeat(100), "]".repeat(100));
    let err = error(&format!("{HEADER}[entities.t]\n{arrays}\n"));
    assert_eq!(err.location().map(|(line, _)| line), Some(5), "{err}");
    assert!(
        err.to_string().contains("nesting deeper than 64 levels"),
        "{err}"
    );

    // Keys of 79 segments in 78 nested inline tables: each within the TOML
    // parser's own limits, together thousands of levels deep.
    let key = vec!["a"; 79].join(".");
    let mut deep = format!("{HEADER}[entities.t]\nk = ");
    for _ in 0..78 {
        deep.push_str(&format!("{{ {key} = "));
    }
    deep.push('1');
    deep.push_str(&" }".repeat(78));
    deep.push('\n');
    let err = error(&deep);
    assert_eq!(err.location().map(|(line, _)| line), Some(5), "{err}");
    assert!(
        err.to_string().contains("nesting deeper than 64 levels"),
        "{err}"
    );

    // Shallower nesting is fine.
    let dotted = vec!["a"; 60].join(".");
    Manifest::parse(
        &format!("{HEADER}[entities.t]\n{dotted} = 1\n"),
        Path::new("dir/plinth.toml"),
    )
    .unwrap();
}

/// `[plugin] api` is the range of plugin APIs a plugin targets; absent, it
/// is `^0.1`, the API manifests were written for before the key existed.
#[test]
fn the_api_range_must_match_the_host() {
    use plinth_extensions::PLUGIN_API_VERSION;
    assert_eq!(PLUGIN_API_VERSION, semver::Version::new(0, 1, 0));

    let m = Manifest::from_path(fixture("xedit-lang-x")).unwrap();
    assert_eq!(m.api, "^0.1".parse::<semver::VersionReq>().unwrap());
    let m = Manifest::from_path(fixture("theme-dark")).unwrap();
    assert_eq!(m.api, "^0.1".parse::<semver::VersionReq>().unwrap());
    assert!(m.api.matches(&PLUGIN_API_VERSION));
    let m = Manifest::parse(
        "[plugin]\nname = \"p\"\nversion = \"1.0.0\"\napi = \">=0.1, <2\"\n",
        Path::new("dir/plinth.toml"),
    )
    .unwrap();
    assert_eq!(m.api.to_string(), ">=0.1, <2");

    assert_at(
        "[plugin]\nname = \"p\"\nversion = \"1.0.0\"\napi = \"^0.2\"\n",
        4,
        7,
        "plugin API range \"^0.2\" does not include this host's plugin API version 0.1.0",
    );
    assert_at(
        "[plugin]\nname = \"p\"\nversion = \"1.0.0\"\napi = \"newest\"\n",
        4,
        7,
        "",
    );
    assert_at(
        "[plugin]\nname = \"p\"\nversion = \"1.0.0\"\napi = 1\n",
        4,
        7,
        "",
    );
}

#[test]
fn code_hooks_topics_permissions_and_sandbox_are_read() {
    let m = Manifest::parse(
        &format!(
            "{HEADER}module = \"lib/p.wasm\"\n[hooks]\n\"request:start\" = {{ priority = -5 }}\n\"user:action\" = {{}}\n\
             [bus]\nsubscribe = [\"user:logged-in\"]\n[permissions]\nwrite = [\"data\"]\nclocks = true\n\
             [sandbox]\ninstances = 1\ndeadline-ms = 50\nmemory-mib = 16\nfuel = 1000\nmax-restarts = 0\n"
        ),
        Path::new("dir/plinth.toml"),
    )
    .unwrap();
    let module = m.module.as_ref().unwrap();
    assert_eq!((module.kind(), module.module()), ("wasm", "lib/p.wasm"));
    let hooks: Vec<_> = m
        .hooks
        .iter()
        .map(|h| (h.hook.as_str(), h.priority))
        .collect();
    assert_eq!(hooks, [("request:start", -5), ("user:action", 10)]);
    assert_eq!(m.subscribe, ["user:logged-in"]);
    assert!(m.permissions.clocks && !m.permissions.random);
    assert_eq!(m.sandbox.instances, Some(1));
    assert_eq!(m.sandbox.deadline_ms, Some(50));
    assert_eq!(m.sandbox.memory_mib, Some(16));
    assert_eq!(m.sandbox.fuel, Some(1000));
    assert_eq!(m.sandbox.max_restarts, Some(0));
}

#[test]
fn bad_code_declarations_are_reported_where_they_are() {
    assert_at(
        &format!("{HEADER}[sandbox]\nthreads = 4\n"),
        5,
        1,
        "unknown field `threads`",
    );
    assert_at(
        &format!("{HEADER}[sandbox]\ninstances = -1\n"),
        5,
        13,
        "expected u32",
    );
    assert_at(
        &format!("{HEADER}[hooks]\n\"a\" = {{ priority = \"high\" }}\n"),
        5,
        20,
        "invalid type",
    );
    assert_at(
        &format!("{HEADER}[hooks]\n\"\" = {{}}\n"),
        5,
        1,
        "hook name must not be empty",
    );
    assert_at(
        &format!("{HEADER}[bus]\nsubscribe = [\"\"]\n"),
        5,
        14,
        "bus topic must not be empty",
    );
    assert_at(
        &format!("{HEADER}[permissions]\nclocks = \"yes\"\n"),
        5,
        10,
        "invalid type",
    );
}

/// A permission's folder is made in the plugin's data folder: a path in
/// its place would lead out of it.
#[test]
fn a_permission_folder_is_a_plain_name() {
    for bad in ["../up", "/etc", "a/b", "..", ".", "", "c:\\\\x"] {
        assert_at(
            &format!("{HEADER}[permissions]\nwrite = [\"{bad}\"]\n"),
            5,
            10,
            "must be a plain folder name",
        );
    }
    assert_at(
        &format!("{HEADER}[permissions]\nread = [\"ok\", \"../x\"]\n"),
        5,
        15,
        "\"../x\"",
    );
    let m = Manifest::parse(
        &format!("{HEADER}[permissions]\nread = [\"data\", \".config\"]\n"),
        Path::new("p/plinth.toml"),
    )
    .unwrap();
    assert_eq!(m.permissions.read, ["data", ".config"]);
}
