//! Reading a manifest or schema file: regular files of a sane size only.

use std::fs::File;
use std::io::{Error, ErrorKind, Read};
use std::path::Path;

use crate::ManifestError;

/// The largest manifest or schema file read, in bytes. Real ones are a few
/// kilobytes; the limit keeps a stray huge file from being read whole.
pub const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// Reads `path` after checking that it is a regular file (following
/// symlinks), reading at most [`MAX_MANIFEST_BYTES`]: a FIFO or a device
/// named `plinth.toml` would otherwise block a scan or never end.
pub(crate) fn read_regular(path: &Path) -> Result<String, ManifestError> {
    read_limited(path, MAX_MANIFEST_BYTES)
}

fn read_limited(path: &Path, limit: u64) -> Result<String, ManifestError> {
    let io = |source: Error| ManifestError::Io {
        path: path.to_owned(),
        source,
    };
    // Opened first and checked through the open handle: what is checked is
    // what is read, and the path is walked once. Opening does not wait for
    // a FIFO's writer (see `open`), so the check still comes before any
    // blocking read.
    let file = open(path).map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    if !metadata.is_file() {
        return Err(io(Error::new(
            ErrorKind::InvalidInput,
            "not a regular file",
        )));
    }
    let too_large = || {
        io(Error::new(
            ErrorKind::InvalidData,
            format!("larger than {limit} bytes"),
        ))
    };
    if metadata.len() > limit {
        return Err(too_large());
    }
    // The size checked above is only what the file system reports: `/proc`
    // and `/sys` files report 0 whatever they hold, and a file may grow
    // after the `stat`. One byte past the limit tells "too large" from
    // "exactly the limit".
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if u64::try_from(bytes.len()).map_or(true, |read| read > limit) {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|e| io(Error::new(ErrorKind::InvalidData, e)))
}

/// Opens `path` for reading without blocking: a plain open of a FIFO waits
/// until a writer opens it. Non-blocking mode changes nothing for the
/// regular files that are then read; a terminal opened by mistake does not
/// become the process's controlling terminal.
#[cfg(unix)]
fn open(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open(path: &Path) -> std::io::Result<File> {
    File::open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `/proc` files are regular files that report a size of 0 whatever
    /// they hold: only a bounded read keeps an endless one from being read
    /// until memory runs out.
    #[cfg(target_os = "linux")]
    #[test]
    fn a_file_reporting_size_zero_is_read_only_up_to_the_limit() {
        let path = Path::new("/proc/self/status");
        assert_eq!(std::fs::metadata(path).unwrap().len(), 0);
        let err = read_limited(path, 16).unwrap_err();
        assert_eq!(err.path(), path);
        assert!(err.to_string().contains("larger than 16 bytes"), "{err}");
        assert!(read_limited(path, 1 << 20).is_ok());
    }

    #[test]
    fn a_file_of_exactly_the_limit_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plinth.toml");
        std::fs::write(&path, "0123456789").unwrap();
        assert_eq!(read_limited(&path, 10).unwrap(), "0123456789");
        assert!(read_limited(&path, 9).is_err());
    }
}
