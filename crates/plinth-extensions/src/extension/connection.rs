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
    ///
    /// ```
    /// # use plinth_extensions::{Connection, Extension};
    /// let c = Connection::from(vec![
    ///     Extension { name: "a".into(), instance: 1 },
    ///     Extension { name: "b".into(), instance: 2 },
    /// ]);
    /// assert_eq!(c.single(), Some(1));
    /// assert_eq!(Connection::<u8>::from(vec![]).single(), None);
    /// ```
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
    ///
    /// ```
    /// # use plinth_extensions::{Connection, Extension};
    /// let c = Connection::from(vec![
    ///     Extension { name: "a".into(), instance: 1 },
    ///     Extension { name: "b".into(), instance: 2 },
    /// ]);
    /// assert_eq!(c.names().collect::<Vec<_>>(), ["a", "b"]);
    /// ```
    pub fn names(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.extensions.iter().map(|e| &*e.name)
    }

    /// The connected extensions.
    ///
    /// ```
    /// # use plinth_extensions::{ConnectOptions, ExtensionPoint, ExtensionRegistry, Factory};
    /// const P: ExtensionPoint<(), (), u8> = ExtensionPoint::new("p");
    /// let r = ExtensionRegistry::new();
    /// r.register(&P, "a", Factory::sync(|_, _, _| Ok(1)))
    ///     .register(&P, "b", Factory::sync(|_, _, _| Ok(2)));
    /// let c = r.connect_blocking(&(), &P, ConnectOptions::new().multi(true))?;
    /// assert_eq!(c.extensions()[1], plinth_extensions::Extension { name: "b".into(), instance: 2 });
    /// # Ok::<(), plinth_extensions::ConnectError>(())
    /// ```
    pub fn extensions(&self) -> &[Extension<T>] {
        &self.extensions
    }

    /// Number of connected extensions.
    ///
    /// ```
    /// # use plinth_extensions::{ConnectOptions, ExtensionPoint, ExtensionRegistry, Factory};
    /// const P: ExtensionPoint<(), (), u8> = ExtensionPoint::new("p");
    /// let r = ExtensionRegistry::new();
    /// r.register(&P, "a", Factory::sync(|_, _, _| Ok(1)))
    ///     .register(&P, "b", Factory::sync(|_, _, _| Ok(2)));
    /// assert_eq!(r.connect_blocking(&(), &P, ConnectOptions::new().multi(true))?.len(), 2);
    /// assert_eq!(r.connect_blocking(&(), &P, ConnectOptions::new())?.len(), 1);
    /// # Ok::<(), plinth_extensions::ConnectError>(())
    /// ```
    pub fn len(&self) -> usize {
        self.extensions.len()
    }

    /// Whether nothing was connected.
    ///
    /// ```
    /// # use plinth_extensions::{ConnectOptions, ExtensionPoint, ExtensionRegistry, Factory};
    /// const P: ExtensionPoint<(), (), u8> = ExtensionPoint::new("p");
    /// let r = ExtensionRegistry::new();
    /// r.register(&P, "declines", Factory::optional(|_, _, _| Ok(None)));
    /// assert!(r.connect_blocking(&(), &P, ConnectOptions::new())?.is_empty());
    /// # Ok::<(), plinth_extensions::ConnectError>(())
    /// ```
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
