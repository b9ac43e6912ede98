//! A plugin's disk quota: what its files and folders take in the
//! directories it may write, so that a guest granted a directory cannot
//! fill the host's disk through it.
//!
//! The count is made from the directories' contents when the plugin
//! starts, then kept up to date by its own writes. Files others add or
//! remove meanwhile are seen at its next start.

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::host::Counters;

/// The unit a file or folder is counted in: its size rounded up to whole
/// blocks, and one block at least, so that empty files and folders (each
/// an inode and a block on the disk) are not free.
pub(crate) const BLOCK: u64 = 4096;

/// What a file of `len` bytes, or a folder (`len` 0), counts.
pub(crate) fn cost(len: u64) -> u64 {
    len.div_ceil(BLOCK).max(1).saturating_mul(BLOCK)
}

/// A plugin's quota and what it has used, shared by all of its instances.
#[derive(Debug)]
pub(crate) struct Disk {
    quota: u64,
    used: Mutex<u64>,
    counters: Arc<Counters>,
}

/// What a plugin has used, held while one of its writes is checked and
/// made: the writes of one plugin are made one at a time, so that two
/// cannot both pass the check with room for one.
pub(crate) struct Used<'a> {
    disk: &'a Disk,
    used: MutexGuard<'a, u64>,
}

impl Disk {
    /// A quota of `quota` bytes for a plugin whose writable directories
    /// are `roots`, counting what they hold now.
    pub fn new(
        quota: u64,
        roots: impl IntoIterator<Item = PathBuf>,
        counters: Arc<Counters>,
    ) -> Self {
        let used = roots
            .into_iter()
            .map(|root| usage(&root))
            .fold(0, u64::saturating_add);
        counters.disk_bytes.store(used, Ordering::Relaxed);
        Disk {
            quota,
            used: Mutex::new(used),
            counters,
        }
    }

    /// What is used, locked for one write.
    pub fn lock(&self) -> Used<'_> {
        Used {
            disk: self,
            used: self.used.lock().unwrap_or_else(PoisonError::into_inner),
        }
    }
}

impl Used<'_> {
    fn bytes(&self) -> u64 {
        *self.used
    }

    /// Whether `grow` bytes more fit, with the error for the guest when
    /// they do not. A write that takes nothing more always fits: a plugin
    /// over its quota (lowered since, or filled by others) can still
    /// shrink its files.
    pub fn check(&self, path: &str, grow: u64) -> Result<(), String> {
        if grow == 0 || self.bytes().saturating_add(grow) <= self.disk.quota {
            Ok(())
        } else {
            Err(format!(
                "{path}: disk quota of {} bytes reached ({} used, {grow} more needed)",
                self.disk.quota,
                self.bytes()
            ))
        }
    }

    /// Counts a change made: `before` bytes counted became `after`.
    pub fn changed(&mut self, before: u64, after: u64) {
        let now = self.bytes().saturating_sub(before).saturating_add(after);
        *self.used = now;
        self.disk.counters.disk_bytes.store(now, Ordering::Relaxed);
    }
}

/// What the files and folders under `root` count, `root` itself aside
/// (the host makes it). Links are counted as themselves, not followed.
fn usage(root: &Path) -> u64 {
    let mut total = 0u64;
    // A list, not recursion: a deep tree cannot overflow the stack.
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = std::fs::symlink_metadata(entry.path()) else {
                continue;
            };
            if meta.is_dir() {
                total = total.saturating_add(BLOCK);
                folders.push(entry.path());
            } else {
                total = total.saturating_add(cost(meta.len()));
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_count_whole_blocks_and_folders_one() {
        assert_eq!(cost(0), BLOCK);
        assert_eq!(cost(1), BLOCK);
        assert_eq!(cost(BLOCK), BLOCK);
        assert_eq!(cost(BLOCK + 1), 2 * BLOCK);
        // Saturated, not wrapped round to a small count.
        assert_eq!(cost(u64::MAX), u64::MAX);

        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("data");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/b/x"), vec![0; 5000]).unwrap();
        std::fs::write(root.join("empty"), b"").unwrap();
        // Two folders, two blocks of `x`, one of `empty`.
        assert_eq!(usage(&root), 5 * BLOCK);
        assert_eq!(usage(&tmp.path().join("missing")), 0);
    }

    #[test]
    fn the_count_is_made_at_start_and_kept_by_changes() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("x"), b"x").unwrap();
        let counters = Arc::new(Counters::default());
        let disk = Disk::new(3 * BLOCK, [tmp.path().to_owned()], counters.clone());
        let mut used = disk.lock();
        assert_eq!(counters.disk_bytes.load(Ordering::Relaxed), BLOCK);
        used.check("p", 2 * BLOCK).unwrap();
        let err = used.check("p", 2 * BLOCK + 1).unwrap_err();
        assert_eq!(
            err,
            "p: disk quota of 12288 bytes reached (4096 used, 8193 more needed)"
        );
        used.changed(0, 2 * BLOCK);
        // Over the quota, nothing more fits, but shrinking does.
        used.changed(0, 2 * BLOCK);
        assert!(used.check("p", 1).is_err());
        used.check("p", 0).unwrap();
        used.changed(2 * BLOCK, 0);
        drop(used);
        // Not counted again: the file added since is not seen.
        std::fs::write(tmp.path().join("y"), b"y").unwrap();
        let mut used = disk.lock();
        assert_eq!(used.bytes(), 3 * BLOCK);
        used.changed(BLOCK, 0);
        assert_eq!(counters.disk_bytes.load(Ordering::Relaxed), 2 * BLOCK);
    }
}
