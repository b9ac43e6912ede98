//! Reading a manifest or schema file: regular files of a sane size only.

use std::fs::Metadata;
use std::io::{Error, ErrorKind};
use std::path::Path;

use crate::ManifestError;

/// The largest manifest or schema file read, in bytes. Real ones are a few
/// kilobytes; the limit keeps a stray huge file from being read whole.
pub const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// Reads `path` after checking that it is a regular file (following
/// symlinks) of at most [`MAX_MANIFEST_BYTES`]: a FIFO or a device named
/// `plinth.toml` would otherwise block a scan or never end.
pub(crate) fn read_regular(path: &Path) -> Result<String, ManifestError> {
    let metadata = std::fs::metadata(path).map_err(|source| ManifestError::Io {
        path: path.to_owned(),
        source,
    })?;
    read_checked(path, &metadata)
}

/// [`read_regular`] with the metadata already taken.
pub(crate) fn read_checked(path: &Path, metadata: &Metadata) -> Result<String, ManifestError> {
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
    if metadata.len() > MAX_MANIFEST_BYTES {
        return Err(io(Error::new(
            ErrorKind::InvalidData,
            format!("larger than {MAX_MANIFEST_BYTES} bytes"),
        )));
    }
    std::fs::read_to_string(path).map_err(io)
}
