//! Discovery: @scope folders, overrides, reported errors, host snapshot.

use std::fs;
use std::path::Path;

use plinth_extensions::{DiscoveryError, SearchPath, scan};

fn write(root: &Path, folder: &str, text: &str) {
    let dir = root.join(folder);
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("plinth.toml"), text).unwrap();
}

fn plugin(name: &str, version: &str, extra: &str) -> String {
    format!("[plugin]\nname = \"{name}\"\nversion = \"{version}\"\n{extra}")
}

#[test]
fn later_places_override_earlier_ones_and_keep_position() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write(r, "system/a", &plugin("a", "1.0.0", ""));
    write(r, "system/b", &plugin("b", "1.0.0", ""));
    write(r, "user/a", &plugin("a", "2.0.0", ""));
    write(r, "user/@scope/c", &plugin("@scope/c", "1.0.0", ""));
    write(r, "local/@scope/c", &plugin("@scope/c", "3.0.0", ""));
    let path: SearchPath = ["system", "user", "local"]
        .iter()
        .map(|d| r.join(d))
        .collect();
    let found = path.scan();
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    let plugins: Vec<_> = found
        .plugins
        .iter()
        .map(|p| (p.name(), p.manifest.version.to_string()))
        .collect();
    assert_eq!(
        plugins,
        [
            ("a", "2.0.0".into()),
            ("b", "1.0.0".into()),
            ("@scope/c", "3.0.0".into())
        ]
    );
    let overrides: Vec<_> = found
        .overrides
        .iter()
        .map(|o| {
            (
                o.name.as_str(),
                o.replaced.strip_prefix(r).unwrap().to_owned(),
                o.by.strip_prefix(r).unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        overrides,
        [
            ("a", "system/a".into(), "user/a".into()),
            ("@scope/c", "user/@scope/c".into(), "local/@scope/c".into()),
        ]
    );
    assert_eq!(found.get("a").unwrap().search_dir, r.join("user"));
}

#[test]
fn bad_manifests_are_reported_and_the_scan_goes_on() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write(r, "p/a-bad", "[plugin]\nname = 1\n");
    write(r, "p/b-good", &plugin("good", "1.0.0", ""));
    write(
        r,
        "p/@s/c-bad",
        &plugin("c", "1.0.0", "[extensions]\np = 1\n"),
    );
    write(r, "p/@s/d-good", &plugin("@s/d", "1.0.0", ""));
    write(r, "p/.hidden", "not even toml");
    fs::create_dir_all(r.join("p/no-manifest")).unwrap();
    fs::write(r.join("p/a-file.toml"), "ignored").unwrap();
    let found = scan([r.join("p"), r.join("missing")]);
    let names: Vec<_> = found.plugins.iter().map(|p| p.name()).collect();
    assert_eq!(names, ["@s/d", "good"]);
    let errors: Vec<_> = found
        .errors
        .iter()
        .map(|e| match e {
            DiscoveryError::Manifest(m) => {
                (m.path().strip_prefix(r).unwrap().to_owned(), m.location())
            }
            other => panic!("{other}"),
        })
        .collect();
    assert_eq!(
        errors,
        [
            ("p/@s/c-bad/plinth.toml".into(), Some((5, 5))),
            ("p/a-bad/plinth.toml".into(), Some((2, 8))),
        ]
    );
}

#[test]
fn discovered_data_entities_make_a_host() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/plugins");
    let found = scan([fixtures]);
    assert!(found.errors.is_empty(), "{:?}", found.errors);
    let host = found.host().unwrap();
    let urns: Vec<_> = host
        .plugins()
        .urns()
        .iter()
        .map(|u| u.to_string())
        .collect();
    assert_eq!(urns, ["@acme/tools", "theme-dark", "xedit-lang-x"]);
    let assets = host.entities().get("assets").unwrap();
    let logos: Vec<_> = assets
        .get("logo")
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(logos, ["moon.svg", "x.svg"]);
    let commands = host.entities().get("commands").unwrap();
    let format = &commands.get("format")[0];
    assert_eq!(format["title"].as_str(), Some("Format document"));
    // Plugins without commands still take part (with an empty map).
    assert_eq!(commands.len(), 1);
}

#[test]
fn standard_search_path_reads_the_environment_through_a_function() {
    let env = |var: &str| match var {
        "HOME" => Some("/home/u".into()),
        "MY_APP_PLUGIN_PATH" => std::env::join_paths(["/x", "/y"]).ok(),
        _ => None,
    };
    let path = SearchPath::standard_with_env("my-app", env);
    let dirs = path.dirs();
    assert_eq!(dirs[dirs.len() - 3], Path::new("plugins"));
    assert_eq!(&dirs[dirs.len() - 2..], [Path::new("/x"), Path::new("/y")]);
}

#[test]
fn a_directory_given_twice_is_scanned_once() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write(r, "p/a", &plugin("a", "1.0.0", ""));
    write(r, "q/b", &plugin("b", "1.0.0", ""));
    #[cfg(unix)]
    std::os::unix::fs::symlink(r.join("p"), r.join("p-link")).unwrap();
    let mut dirs = vec![r.join("p"), r.join("q"), r.join("p"), r.join("q/../p")];
    #[cfg(unix)]
    dirs.push(r.join("p-link"));
    let cache = plinth_extensions::ManifestCache::new();
    for found in [scan(&dirs), cache.scan(&dirs)] {
        assert!(found.overrides.is_empty(), "{:?}", found.overrides);
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        let names: Vec<_> = found.plugins.iter().map(|p| p.name()).collect();
        assert_eq!(names, ["a", "b"]);
        // The first time a directory is given is the one that counts.
        assert_eq!(found.get("a").unwrap().search_dir, r.join("p"));
    }
}

#[test]
fn one_name_twice_in_one_directory_is_an_error_naming_both_manifests() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write(r, "p/one", &plugin("x", "1.0.0", ""));
    write(r, "p/two", &plugin("x", "2.0.0", ""));
    // `@` sorts before letters: this folder is scanned first.
    write(r, "p/@s/zero", &plugin("x", "0.1.0", ""));
    write(r, "p/y", &plugin("y", "1.0.0", ""));
    let cache = plinth_extensions::ManifestCache::new();
    for found in [scan([r.join("p")]), cache.scan([r.join("p")])] {
        // The first folder in scan order is kept, and nothing is an override.
        assert!(found.overrides.is_empty(), "{:?}", found.overrides);
        let x = found.get("x").unwrap();
        assert_eq!(x.dir(), r.join("p/@s/zero"));
        assert_eq!(x.manifest.version, semver::Version::new(0, 1, 0));
        let names: Vec<_> = found.plugins.iter().map(|p| p.name()).collect();
        assert_eq!(names, ["x", "y"]);
        let errors: Vec<_> = found
            .errors
            .iter()
            .map(|e| match e {
                DiscoveryError::DuplicateName {
                    name,
                    first,
                    second,
                } => (
                    name.as_str(),
                    first.strip_prefix(r).unwrap().to_owned(),
                    second.strip_prefix(r).unwrap().to_owned(),
                ),
                other => panic!("{other}"),
            })
            .collect();
        assert_eq!(
            errors,
            [
                (
                    "x",
                    "p/@s/zero/plinth.toml".into(),
                    "p/one/plinth.toml".into()
                ),
                (
                    "x",
                    "p/@s/zero/plinth.toml".into(),
                    "p/two/plinth.toml".into()
                ),
            ]
        );
        let shown = found.errors[1].to_string();
        assert!(
            shown.contains(&r.join("p/@s/zero/plinth.toml").display().to_string())
                && shown.contains(&r.join("p/two/plinth.toml").display().to_string()),
            "{shown}"
        );
    }

    // A later directory still overrides the kept one.
    write(r, "q/x", &plugin("x", "4.0.0", ""));
    let found = scan([r.join("p"), r.join("q")]);
    assert_eq!(found.get("x").unwrap().dir(), r.join("q/x"));
    assert_eq!(found.overrides.len(), 1);
    assert_eq!(found.overrides[0].replaced, r.join("p/@s/zero"));
    assert_eq!(found.errors.len(), 2);
}

#[test]
fn a_plugin_for_another_plugin_api_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write(r, "p/new", &plugin("new", "1.0.0", "api = \"^0.2\"\n"));
    write(r, "p/ok", &plugin("ok", "1.0.0", "api = \"0.1\"\n"));
    let found = scan([r.join("p")]);
    let names: Vec<_> = found.plugins.iter().map(|p| p.name()).collect();
    assert_eq!(names, ["ok"]);
    assert_eq!(found.errors.len(), 1);
    let DiscoveryError::Manifest(e) = &found.errors[0] else {
        panic!("{}", found.errors[0]);
    };
    assert_eq!(e.path(), r.join("p/new/plinth.toml"));
    assert_eq!(e.location(), Some((4, 7)));
    assert!(
        e.to_string().contains("\"^0.2\"") && e.to_string().contains("0.1.0"),
        "{e}"
    );
}

/// A FIFO named `plinth.toml` has no writer: opening it for a plain read
/// would wait forever. It is refused as not a regular file, by a scan and
/// by `Manifest::from_path`, and the scan goes on.
#[cfg(unix)]
#[test]
fn a_fifo_named_like_a_manifest_is_refused_without_waiting() {
    use plinth_extensions::Manifest;

    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    write(r, "p/good", &plugin("good", "1.0.0", ""));
    let fifo = r.join("p/pipe/plinth.toml");
    fs::create_dir_all(fifo.parent().unwrap()).unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());

    let found = scan([r.join("p")]);
    let names: Vec<_> = found.plugins.iter().map(|p| p.name()).collect();
    assert_eq!(names, ["good"]);
    let [DiscoveryError::Manifest(err)] = found.errors.as_slice() else {
        panic!("one manifest error expected: {:?}", found.errors);
    };
    assert_eq!(err.path(), fifo);
    assert!(err.to_string().contains("not a regular file"), "{err}");

    let err = Manifest::from_path(&fifo).unwrap_err();
    assert!(err.to_string().contains("not a regular file"), "{err}");
}
