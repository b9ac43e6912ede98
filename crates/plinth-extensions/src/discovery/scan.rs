//! Scanning directories for plugin folders.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use super::cache::{Cached, Entries};
use crate::manifest::read_regular;
use crate::{
    DiscoveredPlugin, Discovery, DiscoveryError, MANIFEST_FILE, Manifest, ManifestError, Override,
};

/// Scans `dirs` in order (the seeds' `scanSubdirs`): each first-level
/// folder holding a `plinth.toml`, and each folder inside an `@scope`
/// folder. A plugin of a later directory replaces an earlier one of the
/// same name; two of one name in the same directory are a
/// [`DiscoveryError::DuplicateName`] (the first in name order is kept). A
/// directory given twice (the same after resolving `..` and links) is
/// scanned once, at its first place.
///
/// Missing directories are skipped silently, since a search path names
/// places that often do not exist; folders without a manifest are not
/// plugins; hidden entries (`.name`) are ignored.
///
/// ```
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir_all(dir.path().join("@acme/tools"))?;
/// std::fs::write(dir.path().join("@acme/tools/plinth.toml"), "[plugin]\nname = \"@acme/tools\"\nversion = \"0.1.0\"\n")?;
/// let found = plinth_extensions::scan([dir.path(), std::path::Path::new("/does/not/exist")]);
/// assert_eq!(found.plugins[0].name(), "@acme/tools");
/// assert!(found.errors.is_empty());
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn scan<P: AsRef<Path>>(dirs: impl IntoIterator<Item = P>) -> Discovery {
    scan_with(dirs, None).0
}

/// The scan, reusing the `cache`d manifests whose files are unchanged;
/// also returns the entries to cache next time (the manifests found now).
pub(super) fn scan_with<P: AsRef<Path>>(
    dirs: impl IntoIterator<Item = P>,
    cache: Option<(Entries, Duration)>,
) -> (Discovery, Entries) {
    let mut scanner = Scanner::default();
    let mut candidates = Vec::new();
    let mut seen = HashSet::new();
    for dir in dirs {
        let dir = dir.as_ref();
        // A directory given twice (as itself, through `..` or a link) would
        // override each of its plugins with itself; its first place counts.
        // A directory that cannot be resolved is listed as given, so that a
        // missing one stays silent and other errors are reported.
        if let Ok(canonical) = dir.canonicalize()
            && !seen.insert(canonical)
        {
            tracing::info!(dir = %dir.display(), "search directory given twice; scanned once");
            continue;
        }
        scanner.list_plugins(dir, &mut candidates);
    }
    let (mut previous, racy_window) = cache.unzip();
    let loaded = load_all(&candidates, previous.as_ref().zip(racy_window));
    let mut next = Entries::new();
    // Parsing dominates a scan (TOML costs several times the read), so
    // manifests are read and parsed on all cores; results are merged in
    // scan order, which keeps overrides and reports deterministic.
    for ((search_dir, _), loaded) in candidates.iter().zip(loaded) {
        match loaded {
            Loaded::NotAPlugin => {}
            Loaded::Plugin(manifest, cached) => {
                if let (Some(previous), Some(cached)) = (previous.as_mut(), cached) {
                    // Reuse the old key: a warm scan then allocates no path.
                    let key = match previous.remove_entry(&manifest.path) {
                        Some((key, _)) => key,
                        None => manifest.path.clone(),
                    };
                    next.insert(key, cached);
                }
                scanner.add(DiscoveredPlugin {
                    manifest,
                    search_dir: search_dir.clone(),
                })
            }
            Loaded::Error(e) => scanner.report(e.into()),
        }
    }
    (scanner.discovery, next)
}

enum Loaded {
    NotAPlugin,
    /// With its cache entry when scanning through a cache (`None` when its
    /// schema file is gone).
    Plugin(Arc<Manifest>, Option<Arc<Cached>>),
    Error(ManifestError),
}

/// Below this many folders, threads cost more than they save.
const PARALLEL_FROM: usize = 64;

fn load_all(candidates: &[(PathBuf, PathBuf)], cache: Option<(&Entries, Duration)>) -> Vec<Loaded> {
    let load = |(_, dir): &(PathBuf, PathBuf)| load(dir, cache);
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads < 2 || candidates.len() < PARALLEL_FROM {
        return candidates.iter().map(load).collect();
    }
    let chunk = candidates.len().div_ceil(threads);
    std::thread::scope(|s| {
        let workers: Vec<_> = candidates
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(load).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| match w.join() {
                Ok(loaded) => loaded,
                // `load` does not panic on any input; should it ever, the
                // panic belongs to the caller.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Loads the manifest of `plugin_dir`. Through a cache it comes from the
/// cache when its files are unchanged; otherwise it is read and parsed,
/// with the stamp taken by the `stat` before the read (a change
/// during the read shows at the next scan). The read refuses FIFOs,
/// devices and oversized files.
fn load(plugin_dir: &Path, cache: Option<(&Entries, Duration)>) -> Loaded {
    let path = plugin_dir.join(MANIFEST_FILE);
    let metadata = match std::fs::metadata(&path) {
        Ok(metadata) => metadata,
        Err(source) => return not_found_or(ManifestError::Io { path, source }),
    };
    if let Some((entries, _)) = cache
        && let Some(cached) = entries.get(&path)
        && cached.still_valid(&metadata)
    {
        return Loaded::Plugin(cached.manifest.clone(), Some(cached.clone()));
    }
    let source = match read_regular(&path) {
        Ok(source) => source,
        Err(e) => return not_found_or(e),
    };
    match Manifest::parse(&source, &path) {
        Ok(manifest) => {
            let manifest = Arc::new(manifest);
            let cached = cache.and_then(|(_, racy_window)| {
                Cached::new(manifest.clone(), &metadata, racy_window).map(Arc::new)
            });
            Loaded::Plugin(manifest, cached)
        }
        Err(e) => Loaded::Error(e),
    }
}

/// A folder without a manifest is not a plugin; any other failure is one.
fn not_found_or(e: ManifestError) -> Loaded {
    match &e {
        ManifestError::Io { source, .. } if source.kind() == ErrorKind::NotFound => {
            Loaded::NotAPlugin
        }
        _ => Loaded::Error(e),
    }
}

#[derive(Default)]
struct Scanner {
    discovery: Discovery,
    by_name: HashMap<String, usize>,
}

impl Scanner {
    /// Appends `(search dir, plugin folder)` candidates of `dir` in order.
    fn list_plugins(&mut self, dir: &Path, out: &mut Vec<(PathBuf, PathBuf)>) {
        let Some(entries) = self.list(dir) else {
            return;
        };
        for (name, path) in entries {
            if name.to_string_lossy().starts_with('@') {
                if let Some(scoped) = self.list(&path) {
                    out.extend(scoped.into_iter().map(|(_, p)| (dir.to_owned(), p)));
                }
            } else {
                out.push((dir.to_owned(), path));
            }
        }
    }

    /// The sub-folders of `dir` in name order, hidden ones left out.
    fn list(&mut self, dir: &Path) -> Option<Vec<(OsString, PathBuf)>> {
        let read = match std::fs::read_dir(dir) {
            Ok(read) => read,
            Err(e) if e.kind() == ErrorKind::NotFound => return None,
            Err(source) => {
                self.report(DiscoveryError::ReadDir {
                    path: dir.to_owned(),
                    source,
                });
                return None;
            }
        };
        let mut folders = Vec::new();
        for entry in read {
            let entry = match entry {
                Ok(entry) => entry,
                Err(source) => {
                    self.report(DiscoveryError::ReadDir {
                        path: dir.to_owned(),
                        source,
                    });
                    continue;
                }
            };
            let name = entry.file_name();
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            let path = entry.path();
            // `file_type` does not follow symlinks; a linked plugin folder
            // (as `npm link` makes) needs one more stat.
            let is_dir = match entry.file_type() {
                Ok(t) if t.is_symlink() => path.is_dir(),
                Ok(t) => t.is_dir(),
                Err(_) => false,
            };
            if is_dir {
                folders.push((name, path));
            }
        }
        // `read_dir` order is unspecified; name order makes scans repeatable.
        folders.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Some(folders)
    }

    fn add(&mut self, plugin: DiscoveredPlugin) {
        match self.by_name.get(plugin.name()) {
            // Within one directory, name order decides nothing about which
            // plugin is meant: keep the first, report both.
            Some(&at) if self.discovery.plugins[at].search_dir == plugin.search_dir => {
                let kept = &self.discovery.plugins[at].manifest;
                self.report(DiscoveryError::DuplicateName {
                    name: plugin.manifest.name.clone(),
                    first: kept.path.clone(),
                    second: plugin.manifest.path.clone(),
                });
            }
            Some(&at) => {
                let old = std::mem::replace(&mut self.discovery.plugins[at], plugin);
                let by = self.discovery.plugins[at].dir().to_owned();
                let o = Override {
                    name: old.manifest.name.clone(),
                    replaced: old
                        .manifest
                        .path
                        .parent()
                        .unwrap_or(Path::new(""))
                        .to_owned(),
                    by,
                };
                tracing::info!(plugin = %o.name, "{o}");
                self.discovery.overrides.push(o);
            }
            None => {
                self.by_name
                    .insert(plugin.name().to_owned(), self.discovery.plugins.len());
                self.discovery.plugins.push(plugin);
            }
        }
    }

    fn report(&mut self, error: DiscoveryError) {
        tracing::warn!("{error}");
        self.discovery.errors.push(error);
    }
}
