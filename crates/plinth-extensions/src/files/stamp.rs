//! The identity of one version of a file, taken without reading it.

use std::fs::Metadata;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// What identifies one version of a file without reading it: its length,
/// its modification time and, on Unix, its device, inode and
/// status-change time.
///
/// A rewrite in place changes the length, the modification time or the
/// change time; a file replaced by a rename (as editors and installers
/// save) gets another inode; and no one can set a change time back, so a
/// write that restores the modification time (`cp -p`, `touch -r`,
/// archive extraction) still shows. Outside Unix a stamp is length and
/// modification time only.
///
/// Two stamps of one path are equal only if the file did not change
/// between them, provided the file had [settled](Self::settled) when the
/// first was taken: a write within the same timestamp tick as a stamp
/// leaves it unchanged (git's "racily clean" entries). Discovery's
/// [`ManifestCache`](crate::ManifestCache), the sandbox's compile cache
/// and the server's reload all compare files this way.
///
/// ```
/// use std::time::Duration;
/// use plinth_extensions::FileStamp;
///
/// let dir = tempfile::tempdir()?;
/// let file = dir.path().join("plinth.toml");
/// std::fs::write(&file, "a")?;
/// let first = FileStamp::of(&file).expect("a regular file");
/// // Just written: a write within the same tick would not show yet.
/// assert!(!first.settled(Duration::from_secs(2)));
/// std::fs::write(&file, "ab")?;
/// assert_ne!(FileStamp::of(&file), Some(first));
/// // Directories and missing files have no stamp.
/// assert_eq!(FileStamp::of(dir.path()), None);
/// assert_eq!(FileStamp::of(&dir.path().join("missing")), None);
/// # Ok::<(), std::io::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FileStamp {
    len: u64,
    modified: Option<SystemTime>,
    #[cfg(unix)]
    node: Node,
}

/// Device, inode and change time (seconds, nanoseconds).
#[cfg(unix)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Node {
    dev: u64,
    inode: u64,
    changed: (i64, i64),
}

impl FileStamp {
    /// The stamp of the regular file at `path` (links followed); `None`
    /// when there is none there, or it cannot be `stat`ed.
    pub fn of(path: &Path) -> Option<FileStamp> {
        std::fs::metadata(path)
            .ok()
            .filter(Metadata::is_file)
            .map(|metadata| FileStamp::from_metadata(&metadata))
    }

    /// The stamp of a file whose metadata was already taken.
    pub fn from_metadata(metadata: &Metadata) -> FileStamp {
        FileStamp {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            #[cfg(unix)]
            node: {
                use std::os::unix::fs::MetadataExt;
                Node {
                    dev: metadata.dev(),
                    inode: metadata.ino(),
                    changed: (metadata.ctime(), metadata.ctime_nsec()),
                }
            },
        }
    }

    /// The file's length when stamped.
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file was empty when stamped.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the file last changed (modification or, on Unix, change
    /// time) more than `window` before now, so that any later write shows
    /// in its stamp. Ask right after taking the stamp: a stamp is to be
    /// trusted later only if it had settled when it was taken. `false`
    /// without a modification time, or for a time in the future.
    pub fn settled(&self, window: Duration) -> bool {
        let Some(modified) = self.modified else {
            return false;
        };
        let changed = self.changed().map_or(modified, |c| c.max(modified));
        SystemTime::now()
            .duration_since(changed)
            .is_ok_and(|age| age >= window)
    }

    /// The change time, where the platform has one. Checked throughout:
    /// the times come from the file system.
    fn changed(&self) -> Option<SystemTime> {
        #[cfg(unix)]
        {
            let (secs, nanos) = self.node.changed;
            Duration::from_secs(u64::try_from(secs).ok()?)
                .checked_add(Duration::from_nanos(u64::try_from(nanos).ok()?))
                .and_then(|since| std::time::UNIX_EPOCH.checked_add(since))
        }
        #[cfg(not(unix))]
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rewrite_that_restores_the_modification_time_still_shows() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "aaaa").unwrap();
        let before = FileStamp::of(&file).unwrap();
        let modified = std::fs::metadata(&file).unwrap().modified().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        std::fs::write(&file, "bbbb").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&file)
            .unwrap()
            .set_modified(modified)
            .unwrap();
        let after = FileStamp::of(&file).unwrap();
        assert_eq!(after.len(), before.len());
        assert_eq!(after.modified, before.modified);
        if cfg!(unix) {
            assert_ne!(after, before, "the change time moved");
        }
    }

    #[test]
    fn a_file_replaced_by_a_rename_has_another_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "aaaa").unwrap();
        let before = FileStamp::of(&file).unwrap();
        let other = dir.path().join("g");
        std::fs::write(&other, "bbbb").unwrap();
        std::fs::rename(&other, &file).unwrap();
        assert_ne!(FileStamp::of(&file), Some(before));
    }

    #[test]
    fn an_old_file_has_settled_and_a_future_one_has_not() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("f");
        std::fs::write(&file, "a").unwrap();
        let f = std::fs::File::options().write(true).open(&file).unwrap();
        f.set_modified(SystemTime::now() + Duration::from_secs(3600))
            .unwrap();
        assert!(!FileStamp::of(&file).unwrap().settled(Duration::ZERO));
        // The change time is now, whatever the modification time says.
        f.set_modified(SystemTime::now() - Duration::from_secs(3600))
            .unwrap();
        let stamp = FileStamp::of(&file).unwrap();
        if cfg!(unix) {
            assert!(!stamp.settled(Duration::from_secs(600)));
        }
        assert!(stamp.settled(Duration::ZERO));
    }
}
