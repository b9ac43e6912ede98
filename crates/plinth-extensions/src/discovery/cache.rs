//! Parsed manifests kept between scans, so that a rescan parses only what
//! changed (the idea of Eclipse's registry cache, kept in memory).

use std::collections::HashMap;
use std::fs::Metadata;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::{Discovery, FileStamp, Manifest};

/// Manifests parsed by earlier scans, each kept with the
/// [`FileStamp`]s of the files it came from (the manifest and its
/// configuration schema file). A
/// scan through the cache only `stat`s a manifest whose files are
/// unchanged, and reads and parses the others.
///
/// For an application that rescans its plugin folders (after an install,
/// or on a file watcher's event). Parsing TOML is most of a scan's cost
/// (several times the cost of reading the file), so a warm rescan costs
/// about a `stat` per plugin instead. The first scan costs as much as
/// [`scan`](crate::scan).
///
/// Two rules keep the cache from serving a stale manifest:
/// - a file changed (modification or, on Unix, change time) less than the
///   racy window ([`RACY_WINDOW`](Self::RACY_WINDOW) by default) before it
///   was `stat`ed is parsed again on every scan until it is older: a write
///   in the same timestamp tick would leave the stamp unchanged
///   (git's "racily clean" entries, handled the same way);
/// - each scan keeps only the manifests it found, so a removed plugin is
///   forgotten. Use one cache per list of directories.
///
/// Outside Unix a stamp is size and modification time only: a
/// same-size manifest written with an old modification time (some archive
/// tools) is not noticed. Call [`clear`](Self::clear) after such installs.
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
#[derive(Debug)]
pub struct ManifestCache {
    entries: Mutex<Entries>,
    racy_window: Duration,
}

pub(super) type Entries = HashMap<PathBuf, Arc<Cached>>;

/// A parsed manifest and the stamps of the files it was parsed from.
#[derive(Debug)]
pub(super) struct Cached {
    pub(super) manifest: Arc<Manifest>,
    stamp: FileStamp,
    /// The configuration schema file, read by the parse too.
    schema: Option<(PathBuf, FileStamp)>,
    /// Every file had settled when stamped. An entry that had not is
    /// kept (the next scan replaces it) but never trusted.
    settled: bool,
}

impl Default for ManifestCache {
    fn default() -> Self {
        ManifestCache {
            entries: Mutex::default(),
            racy_window: ManifestCache::RACY_WINDOW,
        }
    }
}

impl ManifestCache {
    /// How recent a change must be, relative to the `stat` that sees it,
    /// for the file to be parsed again on the next scan. Two seconds covers
    /// the coarsest common timestamps (FAT's modification time, ext3's and
    /// HFS+'s change time).
    pub const RACY_WINDOW: Duration = Duration::from_secs(2);

    /// An empty cache.
    ///
    /// ```
    /// assert!(plinth_extensions::ManifestCache::new().is_empty());
    /// ```
    pub fn new() -> Self {
        ManifestCache::default()
    }

    /// An empty cache with another racy window than
    /// [`RACY_WINDOW`](Self::RACY_WINDOW): shorter where timestamps are
    /// fine-grained (ext4, APFS, NTFS), longer for a network file system
    /// whose clock may drift from this machine's.
    ///
    /// ```
    /// use std::time::Duration;
    /// let cache = plinth_extensions::ManifestCache::with_racy_window(Duration::from_secs(10));
    /// assert_eq!(cache.racy_window(), Duration::from_secs(10));
    /// ```
    pub fn with_racy_window(window: Duration) -> Self {
        ManifestCache {
            entries: Mutex::default(),
            racy_window: window,
        }
    }

    /// The racy window in use.
    ///
    /// ```
    /// # use plinth_extensions::ManifestCache;
    /// assert_eq!(ManifestCache::new().racy_window(), ManifestCache::RACY_WINDOW);
    /// ```
    pub fn racy_window(&self) -> Duration {
        self.racy_window
    }

    /// Scans `dirs` as [`scan`](crate::scan) does, reusing the manifests
    /// that have not changed since the last scan through this cache. The
    /// result is the same as `scan(dirs)` would give.
    ///
    /// The cache is locked for the whole scan: concurrent scans through one
    /// cache run one after the other, and [`len`](Self::len) or
    /// [`clear`](Self::clear) wait for a running scan.
    ///
    /// ```
    /// # use plinth_extensions::ManifestCache;
    /// let cache = ManifestCache::new();
    /// let found = cache.scan([std::path::Path::new("/does/not/exist")]);
    /// assert!(found.plugins.is_empty() && found.errors.is_empty());
    /// ```
    pub fn scan<P: AsRef<Path>>(&self, dirs: impl IntoIterator<Item = P>) -> Discovery {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        let previous = std::mem::take(&mut *entries);
        let (discovery, next) = super::scan::scan_with(dirs, Some((previous, self.racy_window)));
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

impl Cached {
    /// The entry for `manifest`, just parsed from a file whose metadata,
    /// taken before the read, is `metadata`. Its schema file (read by the
    /// parse) is `stat`ed now: a change since the parse read it is recent,
    /// so the racy window keeps it from being trusted. `None` when the
    /// schema file is gone.
    pub(super) fn new(
        manifest: Arc<Manifest>,
        metadata: &Metadata,
        window: Duration,
    ) -> Option<Self> {
        let stamp = FileStamp::from_metadata(metadata);
        let schema = match manifest
            .config_schema
            .as_ref()
            .and_then(|s| s.file.as_ref())
        {
            None => None,
            Some(file) => Some((file.clone(), FileStamp::of(file)?)),
        };
        let settled = stamp.settled(window)
            && schema
                .as_ref()
                .is_none_or(|(_, stamp)| stamp.settled(window));
        Some(Cached {
            manifest,
            stamp,
            schema,
            settled,
        })
    }

    /// Whether the manifest still stands for its files: the manifest's
    /// metadata is `metadata` now, its schema file's is read here.
    pub(super) fn still_valid(&self, metadata: &Metadata) -> bool {
        self.settled
            && FileStamp::from_metadata(metadata) == self.stamp
            && self
                .schema
                .as_ref()
                .is_none_or(|(file, stamp)| FileStamp::of(file) == Some(*stamp))
    }
}
