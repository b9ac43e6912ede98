//! `ManifestCache`: a rescan reuses unchanged manifests, notices every
//! change (to the manifest or to its schema file), and reports what an
//! uncached scan reports.
//!
//! The racy window is shortened to `WINDOW` so that files age in a test;
//! this needs timestamps finer than it, as ext4 and tmpfs have.

use std::fs::{self, File};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use plinth_extensions::{Discovery, MAX_MANIFEST_BYTES, ManifestCache, SearchPath, scan};

const WINDOW: Duration = Duration::from_millis(100);

fn cache() -> ManifestCache {
    ManifestCache::with_racy_window(WINDOW)
}

/// Waits until every file written so far is out of the racy window.
fn settle() {
    std::thread::sleep(WINDOW + Duration::from_millis(50));
}

fn plugin(name: &str, version: &str) -> String {
    format!("[plugin]\nname = \"{name}\"\nversion = \"{version}\"\n")
}

fn write(root: &Path, folder: &str, text: &str) {
    let dir = root.join(folder);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("plinth.toml"), text).unwrap();
}

fn set_modified(path: &Path, time: SystemTime) {
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(time)
        .unwrap();
}

fn modified(path: &Path) -> SystemTime {
    fs::metadata(path).unwrap().modified().unwrap()
}

fn versions(found: &Discovery) -> Vec<(String, String)> {
    found
        .plugins
        .iter()
        .map(|p| (p.name().to_owned(), p.manifest.version.to_string()))
        .collect()
}

fn same_manifest(a: &Discovery, b: &Discovery, name: &str) -> bool {
    Arc::ptr_eq(
        &a.get(name).unwrap().manifest,
        &b.get(name).unwrap().manifest,
    )
}

#[test]
fn an_unchanged_manifest_is_shared_not_parsed_again() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "a", &plugin("a", "1.0.0"));
    write(root.path(), "b", &plugin("b", "1.0.0"));
    settle();
    let cache = cache();
    let first = cache.scan([root.path()]);
    let second = cache.scan([root.path()]);
    assert_eq!(versions(&first), versions(&second));
    assert!(same_manifest(&first, &second, "a"));
    assert!(same_manifest(&first, &second, "b"));
    assert_eq!(cache.len(), 2);
}

#[test]
fn a_changed_size_is_parsed_again() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "a", &plugin("a", "1.0.0"));
    settle();
    let cache = cache();
    let first = cache.scan([root.path()]);
    let path = root.path().join("a/plinth.toml");
    let old = modified(&path);
    fs::write(&path, plugin("a", "10.0.0")).unwrap();
    set_modified(&path, old); // the modification time does not tell
    settle();
    let second = cache.scan([root.path()]);
    assert!(!same_manifest(&first, &second, "a"));
    assert_eq!(versions(&second), [("a".into(), "10.0.0".into())]);
}

#[cfg(unix)]
#[test]
fn same_size_and_modification_time_still_differ_by_change_time() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "a", &plugin("a", "1.0.0"));
    settle();
    let cache = cache();
    cache.scan([root.path()]);
    let path = root.path().join("a/plinth.toml");
    let old = modified(&path);
    fs::write(&path, plugin("a", "2.0.0")).unwrap();
    set_modified(&path, old);
    assert_eq!(
        fs::metadata(&path).unwrap().len() as usize,
        plugin("a", "1.0.0").len()
    );
    // Out of the racy window: only the change time can tell now.
    settle();
    let found = cache.scan([root.path()]);
    assert_eq!(versions(&found), [("a".into(), "2.0.0".into())]);
}

#[test]
fn a_freshly_written_manifest_is_not_trusted_until_it_settles() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "a", &plugin("a", "1.0.0"));
    // The default window (2 s) outlasts any pause between these lines.
    let strict = ManifestCache::new();
    let first = strict.scan([root.path()]);
    let second = strict.scan([root.path()]);
    // A same-tick rewrite would be invisible, so the file is parsed again;
    // the result is the same.
    assert!(!same_manifest(&first, &second, "a"));
    assert_eq!(versions(&first), versions(&second));
    let cache = cache();
    settle();
    let third = cache.scan([root.path()]);
    let fourth = cache.scan([root.path()]);
    assert!(same_manifest(&third, &fourth, "a"));
}

#[test]
fn a_future_modification_time_is_not_trusted() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "a", &plugin("a", "1.0.0"));
    let path = root.path().join("a/plinth.toml");
    set_modified(&path, SystemTime::now() + Duration::from_secs(3600));
    settle();
    let cache = cache();
    let first = cache.scan([root.path()]);
    let second = cache.scan([root.path()]);
    assert!(!same_manifest(&first, &second, "a"));
}

#[test]
fn a_changed_or_removed_schema_file_is_noticed() {
    let root = tempfile::tempdir().unwrap();
    let with_schema = format!(
        "{}[config]\nschema = \"schema.json\"\n",
        plugin("a", "1.0.0")
    );
    write(root.path(), "a", &with_schema);
    let schema = root.path().join("a/schema.json");
    fs::write(&schema, r#"{"type": "object"}"#).unwrap();
    settle();
    let cache = cache();
    let first = cache.scan([root.path()]);
    let second = cache.scan([root.path()]);
    assert!(same_manifest(&first, &second, "a"));

    fs::write(&schema, r#"{"type": "object", "required": ["token"]}"#).unwrap();
    settle();
    let third = cache.scan([root.path()]);
    let config = &third.get("a").unwrap().manifest.config_schema;
    assert_eq!(config.as_ref().unwrap().schema["required"][0], "token");

    fs::remove_file(&schema).unwrap();
    let fourth = cache.scan([root.path()]);
    assert!(fourth.plugins.is_empty());
    assert_eq!(fourth.errors.len(), 1);
    assert!(
        fourth.errors[0].to_string().contains("schema.json"),
        "{}",
        fourth.errors[0]
    );
}

#[test]
fn removed_plugins_are_forgotten() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "a", &plugin("a", "1.0.0"));
    write(root.path(), "b", &plugin("b", "1.0.0"));
    let cache = cache();
    cache.scan([root.path()]);
    fs::remove_dir_all(root.path().join("a")).unwrap();
    let found = cache.scan([root.path()]);
    assert_eq!(versions(&found), [("b".into(), "1.0.0".into())]);
    assert_eq!(cache.len(), 1);
    cache.clear();
    assert!(cache.is_empty());
}

#[test]
fn bad_manifests_are_reported_by_every_scan_until_fixed() {
    let root = tempfile::tempdir().unwrap();
    write(root.path(), "a", "[plugin]\nname = \"a\"\n");
    settle();
    let cache = cache();
    for _ in 0..2 {
        let found = cache.scan([root.path()]);
        assert!(found.plugins.is_empty());
        assert_eq!(found.errors.len(), 1);
        assert!(
            found.errors[0].to_string().contains("version"),
            "{}",
            found.errors[0]
        );
    }
    assert!(cache.is_empty());
    write(root.path(), "a", &plugin("a", "1.0.0"));
    let found = cache.scan([root.path()]);
    assert!(found.errors.is_empty());
    assert_eq!(versions(&found), [("a".into(), "1.0.0".into())]);
}

#[test]
fn a_cached_scan_reports_what_an_uncached_one_does() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write(r, "system/a", &plugin("a", "1.0.0"));
    write(r, "system/b", "not toml at all");
    write(r, "user/a", &plugin("a", "2.0.0"));
    write(r, "user/@scope/c", &plugin("@scope/c", "1.0.0"));
    fs::create_dir_all(r.join("user/no-manifest")).unwrap();
    // Not regular files: a folder named plinth.toml, and an oversized one.
    fs::create_dir_all(r.join("user/dir-manifest/plinth.toml")).unwrap();
    write(r, "user/huge", &" ".repeat(MAX_MANIFEST_BYTES as usize + 1));
    settle();
    let path: SearchPath = ["system", "user"].iter().map(|d| r.join(d)).collect();
    let cache = cache();
    let text = |found: &Discovery| {
        (
            versions(found),
            found
                .overrides
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
            found
                .errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>(),
        )
    };
    let plain = text(&scan(path.dirs()));
    assert_eq!(plain.0.len(), 2);
    assert_eq!((plain.1.len(), plain.2.len()), (1, 3), "{:?}", plain.2);
    assert!(
        plain.2.iter().any(|e| e.contains("not a regular file")),
        "{:?}",
        plain.2
    );
    assert!(
        plain.2.iter().any(|e| e.contains("larger than")),
        "{:?}",
        plain.2
    );
    assert_eq!(text(&path.scan_cached(&cache)), plain);
    assert_eq!(text(&path.scan_cached(&cache)), plain);
}
