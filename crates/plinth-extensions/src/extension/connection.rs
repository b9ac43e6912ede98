//! The result of a connect.

use std::sync::Arc;

/// One connected extension: its name and the instance its factory made.
///
/// ```
/// # use plinth_extensions::Extension;
/// let ext = Extension { name: "x".into(), instance: 1 };
/// assert_eq!(&*ext.name, "x");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extension<T> {
    /// The extension's name.
    pub name: Arc<str>,
    /// The instance.
    pub instance: T,
}

/// The extensions a connect produced, in candidate order (not in the order
/// async factories finished). A single connect holds at most one.
///
/// ```
/// use plinth_extensions::{Connection, Extension};
///
/// let c = Connection::from(vec![Extension { name: "a".into(), instance: 1 }]);
/// assert_eq!(c.names().collect::<Vec<_>>(), ["a"]);
/// assert_eq!(c.single(), Some(1));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Connection<T> {
    extensions: Vec<Extension<T>>,
}

impl<T> Connection<T> {
    /// The first instance, if any (what a single connect yields).
    pub fn single(self) -> Option<T> {
        self.extensions.into_iter().next().map(|e| e.instance)
    }

    /// The instances, in candidate order.
    ///
    /// ```
    /// # use plinth_extensions::{Connection, Extension};
    /// let c = Connection::from(vec![Extension { name: "a".into(), instance: 1 }]);
    /// assert_eq!(c.instances(), [1]);
    /// ```
    pub fn instances(self) -> Vec<T> {
        self.extensions.into_iter().map(|e| e.instance).collect()
    }

    /// The names of the connected extensions, in candidate order.
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.extensions.iter().map(|e| &*e.name)
    }

    /// The connected extensions.
    pub fn extensions(&self) -> &[Extension<T>] {
        &self.extensions
    }

    /// Number of connected extensions.
    pub fn len(&self) -> usize {
        self.extensions.len()
    }

    /// Whether nothing was connected.
    pub fn is_empty(&self) -> bool {
        self.extensions.is_empty()
    }
}

impl<T> From<Vec<Extension<T>>> for Connection<T> {
    fn from(extensions: Vec<Extension<T>>) -> Self {
        Connection { extensions }
    }
}

impl<T> IntoIterator for Connection<T> {
    type Item = Extension<T>;
    type IntoIter = std::vec::IntoIter<Extension<T>>;
    fn into_iter(self) -> Self::IntoIter {
        self.extensions.into_iter()
    }
}
