//! Reading a manifest or schema file: regular files of a sane size only.

use std::fs::Metadata;
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
    let metadata = std::fs::metadata(path).map_err(|source| ManifestError::Io {
        path: path.to_owned(),
        source,
    })?;
    read_checked(path, &metadata)
}

/// [`read_regular`] with the metadata already taken.
pub(crate) fn read_checked(path: &Path, metadata: &Metadata) -> Result<String, ManifestError> {
    read_limited(path, metadata, MAX_MANIFEST_BYTES)
}

fn read_limited(path: &Path, metadata: &Metadata, limit: u64) -> Result<String, ManifestError> {
    let io = |source: Error| ManifestError::Io {
        path: path.to_owned(),
        source,
    };
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
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if u64::try_from(bytes.len()).map_or(true, |read| read > limit) {
        return Err(too_large());
    }
    String::from_utf8(bytes).map_err(|e| io(Error::new(ErrorKind::InvalidData, e)))
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
        let metadata = std::fs::metadata(path).unwrap();
        assert_eq!(metadata.len(), 0);
        let err = read_limited(path, &metadata, 16).unwrap_err();
        assert_eq!(err.path(), path);
        assert!(err.to_string().contains("larger than 16 bytes"), "{err}");
        assert!(read_limited(path, &metadata, 1 << 20).is_ok());
    }

    #[test]
    fn a_file_of_exactly_the_limit_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plinth.toml");
        std::fs::write(&path, "0123456789").unwrap();
        let metadata = std::fs::metadata(&path).unwrap();
        assert_eq!(read_limited(&path, &metadata, 10).unwrap(), "0123456789");
        assert!(read_limited(&path, &metadata, 9).is_err());
    }
}
