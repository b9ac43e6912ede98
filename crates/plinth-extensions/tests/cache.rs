//! `ManifestCache`: a rescan reuses unchanged manifests, notices every
//! change, and reports what an uncached scan reports.

use std::fs::{self, File};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use plinth_extensions::{scan, Discovery, ManifestCache, SearchPath};

fn plugin(name: &str, version: &str) -> String {
    format!("[plugin]\nname = \"{name}\"\nversion = \"{version}\"\n")
}

/// Writes a manifest dated an hour ago, out of the cache's racy window.
fn write_old(root: &Path, folder: &str, text: &str) {
    let dir = root.join(folder);
    fs::create_dir_all(&dir).unwrap();
    let path = dir.join("plinth.toml");
    fs::write(&path, text).unwrap();
    set_modified(&path, SystemTime::now() - Duration::from_secs(3600));
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
    write_old(root.path(), "a", &plugin("a", "1.0.0"));
    write_old(root.path(), "b", &plugin("b", "1.0.0"));
    let cache = ManifestCache::new();
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
    write_old(root.path(), "a", &plugin("a", "1.0.0"));
    let cache = ManifestCache::new();
    let first = cache.scan([root.path()]);
    let path = root.path().join("a/plinth.toml");
    let old = modified(&path);
    fs::write(&path, plugin("a", "10.0.0")).unwrap();
    set_modified(&path, old); // only the size tells
    let second = cache.scan([root.path()]);
    assert!(!same_manifest(&first, &second, "a"));
    assert_eq!(versions(&second), [("a".into(), "10.0.0".into())]);
}

#[cfg(unix)]
#[test]
fn same_size_and_time_still_differ_by_change_time() {
    let root = tempfile::tempdir().unwrap();
    write_old(root.path(), "a", &plugin("a", "1.0.0"));
    let cache = ManifestCache::new();
    cache.scan([root.path()]);
    let path = root.path().join("a/plinth.toml");
    let old = modified(&path);
    std::thread::sleep(Duration::from_millis(20)); // let the change time move
    fs::write(&path, plugin("a", "2.0.0")).unwrap();
    set_modified(&path, old);
    assert_eq!(
        fs::metadata(&path).unwrap().len() as usize,
        plugin("a", "1.0.0").len()
    );
    let found = cache.scan([root.path()]);
    assert_eq!(versions(&found), [("a".into(), "2.0.0".into())]);
}

#[test]
fn a_freshly_written_manifest_is_not_trusted_yet() {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("a");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("plinth.toml"), plugin("a", "1.0.0")).unwrap();
    let cache = ManifestCache::new();
    let first = cache.scan([root.path()]);
    let second = cache.scan([root.path()]);
    // Within the racy window a same-tick rewrite would be invisible, so the
    // file is parsed again; the result is the same.
    assert!(!same_manifest(&first, &second, "a"));
    assert_eq!(versions(&first), versions(&second));
    // Once it is old enough, the next scan records it as trustworthy.
    set_modified(
        &dir.join("plinth.toml"),
        SystemTime::now() - ManifestCache::RACY_WINDOW * 2,
    );
    let third = cache.scan([root.path()]);
    let fourth = cache.scan([root.path()]);
    assert!(same_manifest(&third, &fourth, "a"));
}

#[test]
fn a_future_modification_time_is_not_trusted() {
    let root = tempfile::tempdir().unwrap();
    write_old(root.path(), "a", &plugin("a", "1.0.0"));
    let path = root.path().join("a/plinth.toml");
    set_modified(&path, SystemTime::now() + Duration::from_secs(3600));
    let cache = ManifestCache::new();
    let first = cache.scan([root.path()]);
    let second = cache.scan([root.path()]);
    assert!(!same_manifest(&first, &second, "a"));
}

#[test]
fn removed_plugins_are_forgotten() {
    let root = tempfile::tempdir().unwrap();
    write_old(root.path(), "a", &plugin("a", "1.0.0"));
    write_old(root.path(), "b", &plugin("b", "1.0.0"));
    let cache = ManifestCache::new();
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
    write_old(root.path(), "a", "[plugin]\nname = \"a\"\n");
    let cache = ManifestCache::new();
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
    write_old(root.path(), "a", &plugin("a", "1.0.0"));
    let found = cache.scan([root.path()]);
    assert!(found.errors.is_empty());
    assert_eq!(versions(&found), [("a".into(), "1.0.0".into())]);
}

#[test]
fn a_cached_scan_reports_what_an_uncached_one_does() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write_old(r, "system/a", &plugin("a", "1.0.0"));
    write_old(r, "system/b", "not toml at all");
    write_old(r, "user/a", &plugin("a", "2.0.0"));
    write_old(r, "user/@scope/c", &plugin("@scope/c", "1.0.0"));
    fs::create_dir_all(r.join("user/no-manifest")).unwrap();
    let path: SearchPath = ["system", "user"].iter().map(|d| r.join(d)).collect();
    let cache = ManifestCache::new();
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
    assert_eq!((plain.1.len(), plain.2.len()), (1, 1));
    assert_eq!(text(&path.scan_cached(&cache)), plain);
    assert_eq!(text(&path.scan_cached(&cache)), plain);
}
