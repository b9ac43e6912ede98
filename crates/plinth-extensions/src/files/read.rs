//! Reading a plugin's file: a regular file, of a bounded size.

use std::fs::File;
use std::io::{Error, ErrorKind, Read};
use std::path::Path;

/// Reads the file at `path` (links followed) after checking, through the
/// open handle, that it is a regular file, reading at most `limit` bytes.
///
/// A plugin folder is not trusted to hold what its manifest says: a FIFO
/// named like a plugin's file would block a plain read until a writer
/// came, a device would never end, and a huge file would be read whole.
/// Opening does not wait for a FIFO's writer, so the check comes before
/// any read that could block.
///
/// # Errors
/// The open's or read's error; [`ErrorKind::InvalidInput`] for what is not
/// a regular file; [`ErrorKind::InvalidData`] for a file of more than
/// `limit` bytes, by its size or by what could be read (`/proc` files
/// report a size of 0 whatever they hold).
///
/// ```
/// use std::io::ErrorKind;
/// use plinth_extensions::read_bounded;
///
/// let dir = tempfile::tempdir()?;
/// let file = dir.path().join("plugin.wasm");
/// std::fs::write(&file, b"\0asm")?;
/// assert_eq!(read_bounded(&file, 4)?, b"\0asm");
/// let err = read_bounded(&file, 3).unwrap_err();
/// assert_eq!((err.kind(), err.to_string().as_str()), (ErrorKind::InvalidData, "larger than 3 bytes"));
/// assert_eq!(read_bounded(dir.path(), 4).unwrap_err().kind(), ErrorKind::InvalidInput);
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_bounded(path: &Path, limit: u64) -> std::io::Result<Vec<u8>> {
    let file = open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(Error::new(ErrorKind::InvalidInput, "not a regular file"));
    }
    let too_large = || Error::new(ErrorKind::InvalidData, format!("larger than {limit} bytes"));
    if metadata.len() > limit {
        return Err(too_large());
    }
    // The size checked above is only what the file system reports, and a
    // file may grow after the `stat`. One byte past the limit tells "too
    // large" from "exactly the limit".
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    if u64::try_from(bytes.len()).map_or(true, |read| read > limit) {
        return Err(too_large());
    }
    Ok(bytes)
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
        let err = read_bounded(path, 16).unwrap_err();
        assert_eq!(err.to_string(), "larger than 16 bytes");
        assert!(read_bounded(path, 1 << 20).is_ok());
    }

    #[test]
    fn a_file_of_exactly_the_limit_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plinth.toml");
        std::fs::write(&path, "0123456789").unwrap();
        assert_eq!(read_bounded(&path, 10).unwrap(), b"0123456789");
        assert!(read_bounded(&path, 9).is_err());
    }
}
