//! What can go wrong while connecting extensions.

use std::sync::Arc;

use crate::{BoxError, LoadError};

/// A problem with one extension during a connect. It is reported to the
/// connect's error callback and the extension is skipped: it never fails
/// the connect as a whole.
///
/// ```
/// use plinth_extensions::ExtensionError;
///
/// let err = ExtensionError::Factory {
///     point: "xedit:language".into(),
///     extension: "x".into(),
///     source: "no grammar".into(),
/// };
/// assert_eq!(err.to_string(), r#"extension "x" of point "xedit:language": factory failed: no grammar"#);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExtensionError {
    /// The factory returned an error.
    #[error("extension {extension:?} of point {point:?}: factory failed: {source}")]
    Factory {
        /// The extension point.
        point: Arc<str>,
        /// The extension.
        extension: Arc<str>,
        /// What the factory reported.
        source: BoxError,
    },
    /// The extension's module could not be loaded (the failure is cached:
    /// a module is loaded once).
    #[error("extension {extension:?} of point {point:?}: {source}")]
    Load {
        /// The extension point.
        point: Arc<str>,
        /// The extension.
        extension: Arc<str>,
        /// Why loading failed.
        source: Arc<LoadError>,
    },
    /// The factory was made for a point with other host, data or instance
    /// types than the connecting point.
    #[error(
        "extension {extension:?} of point {point:?}: factory is for types {found}, the point expects {expected}"
    )]
    TypeMismatch {
        /// The extension point.
        point: Arc<str>,
        /// The extension.
        extension: Arc<str>,
        /// The point's types, as `(&host, &data, instance)`.
        expected: &'static str,
        /// The factory's types.
        found: &'static str,
    },
}

impl ExtensionError {
    /// The extension point the error belongs to.
    ///
    /// ```
    /// # use plinth_extensions::ExtensionError;
    /// let err = ExtensionError::Factory { point: "p".into(), extension: "e".into(), source: "x".into() };
    /// assert_eq!((err.point(), err.extension()), ("p", "e"));
    /// ```
    pub fn point(&self) -> &str {
        match self {
            ExtensionError::Factory { point, .. }
            | ExtensionError::Load { point, .. }
            | ExtensionError::TypeMismatch { point, .. } => point,
        }
    }

    /// The extension the error belongs to.
    ///
    /// ```
    /// # use plinth_extensions::{ConnectOptions, ExtensionPoint, ExtensionRegistry, Factory};
    /// const P: ExtensionPoint<(), (), u8> = ExtensionPoint::new("p");
    /// let r = ExtensionRegistry::new();
    /// r.register(&P, "broken", Factory::sync(|_, _, _| Err("no".into())));
    /// let mut failed = Vec::new();
    /// r.connect_blocking(&(), &P, ConnectOptions::new().on_error(|e| failed.push(e.extension().to_owned())))?;
    /// assert_eq!(failed, ["broken"]);
    /// # Ok::<(), plinth_extensions::ConnectError>(())
    /// ```
    pub fn extension(&self) -> &str {
        match self {
            ExtensionError::Factory { extension, .. }
            | ExtensionError::Load { extension, .. }
            | ExtensionError::TypeMismatch { extension, .. } => extension,
        }
    }
}

/// A connect that failed as a whole.
///
/// ```
/// use plinth_extensions::ConnectError;
///
/// let err = ConnectError::NotFound { point: "xedit:language".into() };
/// assert_eq!(err.to_string(), r#"no extension found for point "xedit:language""#);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConnectError {
    /// `required` was set and no candidate yielded an instance.
    #[error("no extension found for point {point:?}")]
    NotFound {
        /// The extension point.
        point: String,
    },
}
