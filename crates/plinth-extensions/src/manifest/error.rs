//! Manifest errors, each naming the file, line and column.

use std::path::PathBuf;

/// A manifest that could not be read or is invalid.
///
/// ```
/// use std::path::Path;
/// use plinth_extensions::Manifest;
///
/// let err = Manifest::parse("[plugin]\nname = \"p\"\nversion = \"1\"\n", Path::new("p/plinth.toml")).unwrap_err();
/// assert_eq!(err.location(), Some((3, 11)));
/// assert!(err.to_string().starts_with("p/plinth.toml:3:11: "), "{err}");
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ManifestError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid manifest (or schema file).
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column, in characters.
        column: usize,
        /// What is wrong.
        message: String,
    },
}

impl ManifestError {
    /// The file the error is about.
    ///
    /// ```
    /// use std::path::Path;
    /// use plinth_extensions::Manifest;
    /// let err = Manifest::from_path("does/not/exist/plinth.toml").unwrap_err();
    /// assert_eq!(err.path(), Path::new("does/not/exist/plinth.toml"));
    /// ```
    pub fn path(&self) -> &std::path::Path {
        match self {
            ManifestError::Io { path, .. } | ManifestError::Invalid { path, .. } => path,
        }
    }

    /// `(line, column)`, for invalid content.
    ///
    /// ```
    /// # use std::path::Path;
    /// # use plinth_extensions::Manifest;
    /// let bad = Manifest::parse("[plugin]\nname = \"p\"\nversion = \"1.0.0\"\ncolour = 1\n", Path::new("p/plinth.toml"));
    /// assert_eq!(bad.unwrap_err().location(), Some((4, 1)));
    /// assert_eq!(Manifest::from_path("does/not/exist/plinth.toml").unwrap_err().location(), None);
    /// ```
    pub fn location(&self) -> Option<(usize, usize)> {
        match self {
            ManifestError::Invalid { line, column, .. } => Some((*line, *column)),
            ManifestError::Io { .. } => None,
        }
    }

    pub(crate) fn at(
        path: &std::path::Path,
        source: &str,
        offset: usize,
        message: impl Into<String>,
    ) -> Self {
        let (line, column) = super::location::line_column(source, offset);
        ManifestError::Invalid {
            path: path.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }

    /// An I/O error turned into an error of the manifest that referred to
    /// the file (so it gets the manifest's line and column); other errors
    /// stay as they are.
    pub(crate) fn unless_io(self, at: impl FnOnce(String) -> ManifestError) -> ManifestError {
        match self {
            ManifestError::Io { path, source } => {
                at(format!("config schema file {}: {source}", path.display()))
            }
            other => other,
        }
    }
}
