//! A guest's files: paths inside the directories granted to it, never
//! through a link out of them, read bounded and written within its disk
//! quota.

use std::fs::{File, OpenOptions};
use std::io::{ErrorKind, Write};
use std::path::{Component as PathPart, Path, PathBuf};

use crate::disk::{BLOCK, cost};
use crate::error::shown;
use crate::host::Shared;

/// The most a guest reads from a file at once.
const MAX_READ: u64 = 16 << 20;

/// The granted directory a guest path starts with, and the file it names
/// under the plugin's data folder. Only plain relative paths are accepted.
fn resolve(plugin: &Shared, path: &str) -> Result<(String, PathBuf), String> {
    let relative = Path::new(path);
    let mut parts = relative.components();
    let dir = match parts.next() {
        Some(PathPart::Normal(dir)) => dir.to_string_lossy().into_owned(),
        _ => return Err(format!("path {path:?} must start with a granted directory")),
    };
    if !parts.clone().all(|c| matches!(c, PathPart::Normal(_))) || parts.next().is_none() {
        return Err(format!(
            "path {path:?} must name a file inside a granted directory, without `..`"
        ));
    }
    Ok((dir, plugin.caps.data_dir.join(relative)))
}

/// Refuses a path that, through a link, leads out of the granted folder.
fn confined(plugin: &Shared, dir: &str, file: &Path) -> Result<(), String> {
    let parent = file.parent().unwrap_or(file);
    let link = std::fs::symlink_metadata(file).is_ok_and(|m| m.file_type().is_symlink());
    if inside_granted(plugin, dir, parent)? && !link {
        Ok(())
    } else {
        Err(outside(plugin, file, dir))
    }
}

/// Whether `folder`, which must exist, resolves (links followed) to a
/// place inside the granted directory `dir`.
fn inside_granted(plugin: &Shared, dir: &str, folder: &Path) -> Result<bool, String> {
    let root = plugin
        .caps
        .data_dir
        .join(dir)
        .canonicalize()
        .map_err(|e| format!("granted directory {dir:?}: {e}"))?;
    let real = folder
        .canonicalize()
        .map_err(|e| format!("{}: {e}", folder.display()))?;
    Ok(real.starts_with(&root))
}

/// Refuses, as a denied attempt, a file that a link leads out of the
/// granted directory `dir`.
fn outside(plugin: &Shared, file: &Path, dir: &str) -> String {
    plugin.deny(format!(
        "{}, which leads outside the granted directory {dir:?} through a link",
        file.display()
    ))
}

pub(crate) fn read_file(plugin: &Shared, path: &str) -> Result<Vec<u8>, String> {
    let (dir, file) = resolve(plugin, path)?;
    if !plugin.caps.may_read(&dir) {
        return Err(plugin.deny(format!("read {}", shown(&dir))));
    }
    confined(plugin, &dir, &file)?;
    let handle =
        open_regular(&file, OpenOptions::new().read(true)).map_err(|e| format!("{path}: {e}"))?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(handle, MAX_READ + 1), &mut bytes)
        .map_err(|e| format!("{path}: {e}"))?;
    if bytes.len() as u64 > MAX_READ {
        return Err(format!("{path}: larger than {} MiB", MAX_READ >> 20));
    }
    Ok(bytes)
}

/// Writes `contents` to the file at `path` (after what it holds, with
/// `append`), within the plugin's disk quota. The quota's lock is held
/// throughout: a plugin's writes are checked and made one at a time, so
/// the count stays exact.
pub(crate) fn write_file(
    plugin: &Shared,
    path: &str,
    contents: &[u8],
    append: bool,
) -> Result<(), String> {
    let (dir, file) = resolve(plugin, path)?;
    if !plugin.caps.may_write(&dir) {
        return Err(plugin.deny(format!("write {}", shown(&dir))));
    }
    let mut used = plugin.disk.lock();
    // The folders to make, shallowest first. The deepest that exists must
    // be inside the grant before the rest are made: through a link they
    // would be made elsewhere. A file whose folder exists is confined
    // before it is measured: through a link, its size would be another's.
    let mut to_make = Vec::new();
    match file.parent() {
        Some(parent) if !parent.exists() => {
            let existing = parent.ancestors().find(|a| a.exists()).unwrap_or(parent);
            if !inside_granted(plugin, &dir, existing)? {
                return Err(outside(plugin, &file, &dir));
            }
            to_make = parent.ancestors().take_while(|a| *a != existing).collect();
            to_make.reverse();
        }
        _ => confined(plugin, &dir, &file)?,
    }
    // Checked before anything is made: a write past the quota changes
    // nothing.
    let before_len = file_len(&file);
    let before = before_len.map_or(0, cost);
    let len = contents.len() as u64;
    let after_len = if append {
        before_len.unwrap_or(0).saturating_add(len)
    } else {
        len
    };
    let folders = (to_make.len() as u64).saturating_mul(BLOCK);
    used.check(
        path,
        folders
            .saturating_add(cost(after_len))
            .saturating_sub(before),
    )?;
    if !to_make.is_empty() {
        // One at a time, each counted once made: a failure part way
        // leaves none made uncounted.
        for folder in &to_make {
            match std::fs::create_dir(folder) {
                Ok(()) => used.changed(0, BLOCK),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {}
                Err(e) => return Err(format!("{path}: {e}")),
            }
        }
        confined(plugin, &dir, &file)?;
    }
    let written = open_regular(
        &file,
        OpenOptions::new()
            .create(true)
            .append(append)
            .write(true)
            .truncate(!append),
    )
    .and_then(|mut handle| handle.write_all(contents))
    .map_err(|e| format!("{path}: {e}"));
    // What the file takes now, whether or not the write got through.
    used.changed(before, file_len(&file).map_or(0, cost));
    written
}

/// Opens `file` as `options` say, if it is a regular file: a link is not
/// followed, and opening does not wait. A FIFO (which a guest cannot make,
/// but another process can) would otherwise hold the call, and the
/// plugin's other writes, until someone opens its other end.
fn open_regular(file: &Path, options: &mut OpenOptions) -> std::io::Result<File> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Nor does a terminal opened by mistake become the process's own.
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW | libc::O_NOCTTY);
    }
    let handle = options.open(file)?;
    if handle.metadata()?.is_file() {
        Ok(handle)
    } else {
        Err(std::io::Error::new(
            ErrorKind::InvalidInput,
            "not a regular file",
        ))
    }
}

/// The length of the regular file at `file`, if there is one (a link is
/// not followed).
fn file_len(file: &Path) -> Option<u64> {
    std::fs::symlink_metadata(file)
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|m| m.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A link planted in a granted folder (the guest cannot make one, but
    /// another process can) leads nowhere: no folder is made through it.
    #[cfg(unix)]
    #[test]
    fn a_write_makes_no_folder_through_a_link_out_of_its_grant() {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("p");
        std::fs::create_dir_all(data.join("data")).unwrap();
        let elsewhere = tmp.path().join("elsewhere");
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, data.join("data/out")).unwrap();
        let mut p = Shared::for_tests("none");
        p.caps.data_dir = data.clone();
        p.caps.write = vec!["data".into()];
        let err = write_file(&p, "data/out/deep/x.txt", b"x", false).unwrap_err();
        assert!(err.contains("leads outside the granted directory"), "{err}");
        assert!(err.starts_with("denied: "), "{err}");
        assert_eq!(
            p.counters.denied.load(std::sync::atomic::Ordering::Relaxed),
            1
        );
        assert!(!elsewhere.join("deep").exists());
        write_file(&p, "data/in/x.txt", b"x", false).unwrap();
        assert_eq!(std::fs::read(data.join("data/in/x.txt")).unwrap(), b"x");
    }
}
