//! Parsed manifests kept between scans, so that a rescan parses only what
//! changed (the idea of Eclipse's registry cache, kept in memory).

use std::collections::HashMap;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use crate::{Discovery, Manifest};

/// Manifests parsed by earlier scans, each kept with the fingerprint of the
/// file it came from (size, modification time and, on Unix, device, inode
/// and change time). A scan through the cache only `stat`s a manifest
/// whose fingerprint is unchanged, and reads and parses the others.
///
/// For an application that rescans its plugin folders (after an install,
/// or on a file watcher's event). Parsing TOML is most of a scan's cost
/// (several times the cost of reading the file), so a warm rescan costs
/// about a `stat` per plugin instead. The first scan costs as much as
/// [`scan`](crate::scan) plus one `stat` per manifest.
///
/// Two rules keep the cache from serving a stale manifest:
/// - a file modified less than [`RACY_WINDOW`](Self::RACY_WINDOW) before it
///   was read is parsed again on every scan until it is older: a write in
///   the same clock tick as the read would leave the fingerprint unchanged
///   (git's "racily clean" entries, handled the same way);
/// - each scan keeps only the manifests it found, so a removed plugin is
///   forgotten. Use one cache per list of directories.
///
/// Bad manifests are not cached: they are read again, and reported again,
/// by every scan.
///
/// ```
/// use plinth_extensions::ManifestCache;
///
/// let dir = tempfile::tempdir()?;
/// std::fs::create_dir(dir.path().join("a"))?;
/// std::fs::write(dir.path().join("a/plinth.toml"), "[plugin]\nname = \"a\"\nversion = \"1.0.0\"\n")?;
///
/// let cache = ManifestCache::new();
/// let first = cache.scan([dir.path()]);
/// let again = cache.scan([dir.path()]);
/// assert_eq!(again.plugins[0].name(), "a");
/// assert_eq!(cache.len(), 1);
/// // The file was just written, so it is parsed again rather than trusted;
/// // once older than `RACY_WINDOW`, a rescan shares the parsed manifest.
/// assert_eq!(first.plugins[0].manifest, again.plugins[0].manifest);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Default)]
pub struct ManifestCache {
    entries: Mutex<Entries>,
}

pub(super) type Entries = HashMap<PathBuf, Cached>;

/// A parsed manifest and the fingerprint of the file it was parsed from.
#[derive(Debug, Clone)]
pub(super) struct Cached {
    pub(super) fingerprint: Fingerprint,
    pub(super) manifest: Arc<Manifest>,
}

impl ManifestCache {
    /// How recent a modification must be, relative to the read, for the
    /// file to be parsed again on the next scan. Two seconds covers the
    /// coarsest common timestamp (FAT's).
    pub const RACY_WINDOW: Duration = Duration::from_secs(2);

    /// An empty cache.
    ///
    /// ```
    /// assert!(plinth_extensions::ManifestCache::new().is_empty());
    /// ```
    pub fn new() -> Self {
        ManifestCache::default()
    }

    /// Scans `dirs` as [`scan`](crate::scan) does, reusing the manifests
    /// that have not changed since the last scan through this cache. The
    /// result is the same as `scan(dirs)` would give.
    ///
    /// Concurrent scans through one cache run one after the other.
    ///
    /// ```
    /// # use plinth_extensions::ManifestCache;
    /// let cache = ManifestCache::new();
    /// let found = cache.scan([std::path::Path::new("/does/not/exist")]);
    /// assert!(found.plugins.is_empty() && found.errors.is_empty());
    /// ```
    pub fn scan<P: AsRef<Path>>(&self, dirs: impl IntoIterator<Item = P>) -> Discovery {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let (discovery, next) = super::scan::scan_with(dirs, Some(&entries));
        *entries = next;
        discovery
    }

    /// How many manifests are cached.
    ///
    /// ```
    /// assert_eq!(plinth_extensions::ManifestCache::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }

    /// Whether nothing is cached.
    ///
    /// ```
    /// assert!(plinth_extensions::ManifestCache::new().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every manifest: the next scan reads and parses them all.
    ///
    /// ```
    /// let cache = plinth_extensions::ManifestCache::new();
    /// cache.clear();
    /// assert!(cache.is_empty());
    /// ```
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }
}

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Fingerprint {
    len: u64,
    modified: SystemTime,
    /// Device, inode and change time: a file replaced by a rename (as
    /// editors and installers save) differs here even when its size and
    /// modification time were preserved.
    #[cfg(unix)]
    node: (u64, u64, i64, i64),
    /// The file was modified within `RACY_WINDOW` of being read.
    racy: bool,
}

impl Fingerprint {
    /// `None` when the platform gives no modification time: such files are
    /// never cached.
    pub(super) fn of(metadata: &Metadata) -> Option<Fingerprint> {
        let modified = metadata.modified().ok()?;
        let racy = SystemTime::now()
            .duration_since(modified)
            // A modification time in the future is not to be trusted either.
            .map_or(true, |age| age < ManifestCache::RACY_WINDOW);
        Some(Fingerprint {
            len: metadata.len(),
            modified,
            #[cfg(unix)]
            node: {
                use std::os::unix::fs::MetadataExt;
                (
                    metadata.dev(),
                    metadata.ino(),
                    metadata.ctime(),
                    metadata.ctime_nsec(),
                )
            },
            racy,
        })
    }

    /// Whether a manifest cached under `self` may stand for a file whose
    /// fingerprint is now `current`.
    pub(super) fn still_valid(&self, current: &Fingerprint) -> bool {
        !self.racy
            && self.len == current.len
            && self.modified == current.modified
            && self.same_node(current)
    }

    #[cfg(unix)]
    fn same_node(&self, other: &Fingerprint) -> bool {
        self.node == other.node
    }

    #[cfg(not(unix))]
    fn same_node(&self, _: &Fingerprint) -> bool {
        true
    }
}
