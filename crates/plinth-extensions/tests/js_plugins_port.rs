//! js-plugins' own unit tests (test/Plugins-unit-test.js), ported.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use plinth_extensions::{
    ConnectOptions, DiscoveryError, ExtensionPoint, ExtensionRegistry, Factory, Loaders,
    ManifestError, scan,
};

type Host = ();
const TEST: ExtensionPoint<Host, (), &'static str> = ExtensionPoint::new("test.extension");

fn constant(value: &'static str) -> Factory<Host, (), &'static str> {
    Factory::sync(move |_, _, _| Ok(value))
}

#[test]
fn global_instance() {
    assert!(std::ptr::eq(
        ExtensionRegistry::global(),
        ExtensionRegistry::global()
    ));
}

#[test]
fn register() {
    let plugins = ExtensionRegistry::new();
    assert!(std::ptr::eq(
        plugins.register(&TEST, "test", constant("plugin")),
        &plugins
    ));
    let result = plugins
        .connect_blocking(&(), &TEST, ConnectOptions::new())
        .unwrap();
    assert_eq!(result.single(), Some("plugin"));
}

#[test]
fn register_override() {
    let plugins = ExtensionRegistry::new();
    plugins.register(&TEST, "test", constant("plugin"));
    plugins.register(&TEST, "test", constant("plugin2"));
    let result = plugins
        .connect_blocking(&(), &TEST, ConnectOptions::new())
        .unwrap();
    assert_eq!(result.single(), Some("plugin2"));
}

#[test]
fn connect_options_data() {
    const DATA: ExtensionPoint<Host, str, String> = ExtensionPoint::new("test.extension");
    let plugins = ExtensionRegistry::new();
    plugins.register(
        &DATA,
        "test",
        Factory::sync(|data: &str, _, _| Ok(data.to_owned())),
    );
    let result = plugins
        .connect_blocking(&(), &DATA, ConnectOptions::new().data("data"))
        .unwrap();
    assert_eq!(result.single().as_deref(), Some("data"));
}

#[test]
fn connect_options_name() {
    let plugins = ExtensionRegistry::new();
    plugins.register(&TEST, "test", constant("plugin"));
    for (name, expected) in [("nonexist", None), ("test", Some("plugin"))] {
        let result = plugins
            .connect_blocking(&(), &TEST, ConnectOptions::new().name(name))
            .unwrap();
        assert_eq!(result.single(), expected, "name {name}");
    }
}

#[test]
fn connect_options_multi() {
    let plugins = ExtensionRegistry::new();
    plugins.register(&TEST, "test1", constant("plugin1"));
    plugins.register(&TEST, "test2", constant("plugin2"));
    let result = plugins
        .connect_blocking(&(), &TEST, ConnectOptions::new().multi(true))
        .unwrap();
    assert_eq!(result.instances(), ["plugin1", "plugin2"]);
}

#[test]
fn connect_alternative() {
    let plugins = ExtensionRegistry::new();
    plugins.register(&TEST, "test1", constant("plugin1"));
    plugins.register(&TEST, "test2", constant("plugin2"));
    let single = |names: &[&'static str]| {
        plugins
            .connect_blocking(
                &(),
                &TEST,
                ConnectOptions::new().names(names.iter().copied()),
            )
            .unwrap()
            .instances()
    };
    assert_eq!(single(&["nonexist", "test2"]), ["plugin2"]);
    assert_eq!(single(&["test1", "test2"]), ["plugin1"]);
    let multi = plugins
        .connect_blocking(
            &(),
            &TEST,
            ConnectOptions::new().names(["test1", "test2"]).multi(true),
        )
        .unwrap();
    assert_eq!(multi.instances(), ["plugin1", "plugin2"]);
}

fn plugin_dir(root: &Path, folder: &str, name: &str) {
    let dir = root.join(folder);
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("plinth.toml"),
        format!("[plugin]\nname = \"{name}\"\nversion = \"1.0.0\"\n"),
    )
    .unwrap();
}

#[test]
fn scan_subdirs() {
    let root = tempfile::tempdir().unwrap();
    for dir in ["single", "d1", "d2"] {
        plugin_dir(root.path(), &format!("{dir}/b"), &format!("{dir}-b"));
        plugin_dir(root.path(), &format!("{dir}/a"), &format!("{dir}-a"));
    }
    let scanned = |dirs: &[&str]| {
        let found = scan(dirs.iter().map(|d| root.path().join(d)));
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        found
            .plugins
            .iter()
            .map(|p| {
                p.dir()
                    .strip_prefix(root.path())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect::<Vec<_>>()
    };
    let mut all = scanned(&["single"]);
    all.extend(scanned(&["d1", "d2"]));
    assert_eq!(
        all,
        ["single/a", "single/b", "d1/a", "d1/b", "d2/a", "d2/b"]
    );
}

/// One plugin folder holding `manifest`, scanned and registered: the
/// registered `point#name`s and the scan's errors.
fn load_package(manifest: &str) -> (Vec<String>, Vec<DiscoveryError>) {
    let root = tempfile::tempdir().unwrap();
    fs::create_dir(root.path().join("dir")).unwrap();
    fs::write(root.path().join("dir/plinth.toml"), manifest).unwrap();
    let found = scan([root.path()]);
    let registry = ExtensionRegistry::new();
    found.register_extensions(&registry, &Arc::new(Loaders::new()));
    let mut regs = Vec::new();
    let mut points = registry.point_names();
    points.sort();
    for point in points {
        for name in registry.extension_names(&point) {
            regs.push(format!("{point}#{name}"));
        }
    }
    (regs, found.errors)
}

const HEADER: &str = "[plugin]\nname = \"dir\"\nversion = \"1.0.0\"\n";

#[test]
fn load_package_extensions() {
    let (regs, errors) = load_package(&format!(
        "{HEADER}[extensions.\"test.a\"]\na = \"./a\"\nb = \"./b\"\n"
    ));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(regs, ["test.a#a", "test.a#b"]);
}

#[test]
fn load_package_no_extensions() {
    let (regs, errors) = load_package(HEADER);
    assert!(errors.is_empty(), "{errors:?}");
    assert!(regs.is_empty());
}

fn location(error: &DiscoveryError) -> (usize, usize) {
    match error {
        DiscoveryError::Manifest(e @ ManifestError::Invalid { .. }) => e.location().unwrap(),
        other => panic!("not an invalid manifest: {other}"),
    }
}

// js-plugins skips a point that is not a table; plinth reports it (with
// its line and column) and registers nothing from that manifest.
#[test]
fn load_package_invalid_extension_point() {
    let (regs, errors) = load_package(&format!("{HEADER}[extensions]\n\"test.a\" = \"a\"\n"));
    assert!(regs.is_empty());
    assert_eq!(errors.len(), 1);
    assert_eq!(location(&errors[0]), (5, 12));
    assert!(
        errors[0].to_string().contains("plinth.toml:5:12:"),
        "{}",
        errors[0]
    );
}

#[test]
fn load_package_invalid_metadata() {
    let (regs, errors) = load_package("invalid");
    assert!(regs.is_empty());
    assert_eq!(errors.len(), 1);
    assert_eq!(location(&errors[0]).0, 1);
}
