//! Reading a manifest or schema file: regular files of a sane size only.

use std::io::{Error, ErrorKind};
use std::path::Path;

use crate::ManifestError;

/// The largest manifest or schema file read, in bytes. Real ones are a few
/// kilobytes; the limit keeps a stray huge file from being read whole.
pub const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// Reads `path` after checking that it is a regular file (following
/// symlinks), reading at most [`MAX_MANIFEST_BYTES`]: a FIFO or a device
/// named `plinth.toml` would otherwise block a scan or never end.
pub(crate) fn read_regular(path: &Path) -> Result<String, ManifestError> {
    let io = |source: Error| ManifestError::Io {
        path: path.to_owned(),
        source,
    };
    let bytes = crate::read_bounded(path, MAX_MANIFEST_BYTES).map_err(io)?;
    String::from_utf8(bytes).map_err(|e| io(Error::new(ErrorKind::InvalidData, e)))
}
