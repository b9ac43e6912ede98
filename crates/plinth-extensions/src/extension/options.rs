//! The options of a connect (the seeds' `options` hash).

use std::borrow::Cow;
use std::fmt;

use crate::ExtensionError;

type ErrorCallback<'a> = Box<dyn FnMut(&ExtensionError) + Send + 'a>;

/// How to connect a point: `data` for the factories, `multi`, `name` (one
/// or alternatives), `required`, and an error callback.
///
/// Without an error callback, extension errors are logged with `tracing`.
///
/// ```
/// use plinth_extensions::ConnectOptions;
///
/// let mut seen = Vec::new();
/// let options = ConnectOptions::new()
///     .data("config")
///     .names(["preferred", "fallback"])
///     .multi(true)
///     .required(true)
///     .on_error(|e| seen.push(e.to_string()));
/// assert!(options.is_multi());
/// # drop(options);
/// ```
pub struct ConnectOptions<'a, D: ?Sized = ()> {
    pub(crate) data: &'a D,
    pub(crate) multi: bool,
    pub(crate) names: Option<Vec<Cow<'a, str>>>,
    pub(crate) required: bool,
    pub(crate) on_error: Option<ErrorCallback<'a>>,
}

impl ConnectOptions<'static, ()> {
    /// Defaults: no data (`()`), single, all auto extensions, not required.
    ///
    /// ```
    /// # use plinth_extensions::ConnectOptions;
    /// let options = ConnectOptions::new();
    /// assert!(!options.is_multi() && !options.is_required());
    /// assert!(options.candidate_names().is_none());
    /// ```
    pub fn new() -> Self {
        ConnectOptions {
            data: &(),
            multi: false,
            names: None,
            required: false,
            on_error: None,
        }
    }
}

impl Default for ConnectOptions<'static, ()> {
    fn default() -> Self {
        ConnectOptions::new()
    }
}

impl<'a, D: ?Sized> ConnectOptions<'a, D> {
    /// Data handed to every factory (the seeds' `options.data`).
    ///
    /// ```
    /// # use plinth_extensions::ConnectOptions;
    /// let options = ConnectOptions::new().data(&42u32);
    /// # drop(options);
    /// ```
    pub fn data<'b, E: ?Sized>(self, data: &'b E) -> ConnectOptions<'b, E>
    where
        'a: 'b,
    {
        ConnectOptions {
            data,
            multi: self.multi,
            names: self.names,
            required: self.required,
            on_error: self.on_error.map(|f| f as ErrorCallback<'b>),
        }
    }

    /// Connect every candidate (`true`) or the first that yields an instance.
    ///
    /// ```
    /// # use plinth_extensions::{ConnectOptions, ExtensionPoint, ExtensionRegistry, Factory};
    /// const P: ExtensionPoint<(), (), u8> = ExtensionPoint::new("p");
    /// let r = ExtensionRegistry::new();
    /// r.register(&P, "a", Factory::sync(|_, _, _| Ok(1)))
    ///     .register(&P, "b", Factory::sync(|_, _, _| Ok(2)));
    /// assert_eq!(r.connect_blocking(&(), &P, ConnectOptions::new())?.instances(), [1]);
    /// assert_eq!(r.connect_blocking(&(), &P, ConnectOptions::new().multi(true))?.instances(), [1, 2]);
    /// # Ok::<(), plinth_extensions::ConnectError>(())
    /// ```
    pub fn multi(mut self, multi: bool) -> Self {
        self.multi = multi;
        self
    }

    /// Ask for one extension by name; `auto = false` extensions are only
    /// connected this way.
    ///
    /// ```
    /// # use plinth_extensions::ConnectOptions;
    /// let options = ConnectOptions::new().name("x");
    /// assert_eq!(options.candidate_names(), Some(&["x".into()][..]));
    /// ```
    pub fn name(self, name: impl Into<Cow<'a, str>>) -> Self {
        self.names([name])
    }

    /// Ask for an ordered list of alternatives: a single connect takes the
    /// first that yields an instance, a multi connect takes them all.
    ///
    /// ```
    /// # use plinth_extensions::{ConnectOptions, ExtensionPoint, ExtensionRegistry, Factory};
    /// const P: ExtensionPoint<(), (), u8> = ExtensionPoint::new("p");
    /// let r = ExtensionRegistry::new();
    /// r.register(&P, "a", Factory::sync(|_, _, _| Ok(1)))
    ///     .register(&P, "b", Factory::sync(|_, _, _| Ok(2)));
    /// let c = r.connect_blocking(&(), &P, ConnectOptions::new().names(["preferred", "b", "a"]))?;
    /// assert_eq!(c.single(), Some(2));
    /// # Ok::<(), plinth_extensions::ConnectError>(())
    /// ```
    pub fn names<N: Into<Cow<'a, str>>>(mut self, names: impl IntoIterator<Item = N>) -> Self {
        self.names = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Fail with [`ConnectError::NotFound`](crate::ConnectError::NotFound)
    /// when no extension yields an instance.
    ///
    /// ```
    /// # use plinth_extensions::{ConnectError, ConnectOptions, ExtensionPoint, ExtensionRegistry};
    /// const P: ExtensionPoint<(), (), u8> = ExtensionPoint::new("p");
    /// let r = ExtensionRegistry::new();
    /// assert!(r.connect_blocking(&(), &P, ConnectOptions::new())?.is_empty());
    /// let err = r.connect_blocking(&(), &P, ConnectOptions::new().required(true)).unwrap_err();
    /// assert_eq!(err, ConnectError::NotFound { point: "p".into() });
    /// # Ok::<(), ConnectError>(())
    /// ```
    pub fn required(mut self, required: bool) -> Self {
        self.required = required;
        self
    }

    /// Called for each extension that fails (and is skipped), in candidate
    /// order.
    ///
    /// ```
    /// # use plinth_extensions::{ConnectOptions, ExtensionPoint, ExtensionRegistry, Factory};
    /// const P: ExtensionPoint<(), (), u8> = ExtensionPoint::new("p");
    /// let r = ExtensionRegistry::new();
    /// r.register(&P, "bad", Factory::sync(|_, _, _| Err("boom".into())))
    ///     .register(&P, "good", Factory::sync(|_, _, _| Ok(1)));
    /// let mut errors = Vec::new();
    /// let c = r.connect_blocking(&(), &P, ConnectOptions::new().on_error(|e| errors.push(e.to_string())))?;
    /// assert_eq!(c.single(), Some(1));
    /// assert_eq!(errors, [r#"extension "bad" of point "p": factory failed: boom"#]);
    /// # Ok::<(), plinth_extensions::ConnectError>(())
    /// ```
    pub fn on_error(mut self, callback: impl FnMut(&ExtensionError) + Send + 'a) -> Self {
        self.on_error = Some(Box::new(callback));
        self
    }

    /// Whether every candidate is connected.
    ///
    /// ```
    /// # use plinth_extensions::ConnectOptions;
    /// assert!(ConnectOptions::new().multi(true).is_multi());
    /// assert!(!ConnectOptions::new().is_multi());
    /// ```
    pub fn is_multi(&self) -> bool {
        self.multi
    }

    /// Whether finding nothing is an error.
    ///
    /// ```
    /// # use plinth_extensions::ConnectOptions;
    /// assert!(ConnectOptions::new().required(true).is_required());
    /// assert!(!ConnectOptions::new().is_required());
    /// ```
    pub fn is_required(&self) -> bool {
        self.required
    }

    /// The names asked for, if any.
    ///
    /// ```
    /// # use plinth_extensions::ConnectOptions;
    /// let options = ConnectOptions::new().names(["a", "b"]);
    /// let names: Vec<&str> = options.candidate_names().unwrap().iter().map(|n| &**n).collect();
    /// assert_eq!(names, ["a", "b"]);
    /// assert!(ConnectOptions::new().candidate_names().is_none());
    /// ```
    pub fn candidate_names(&self) -> Option<&[Cow<'a, str>]> {
        self.names.as_deref()
    }

    pub(crate) fn report(&mut self, error: ExtensionError) {
        match &mut self.on_error {
            Some(callback) => callback(&error),
            None => tracing::warn!(
                point = error.point(),
                extension = error.extension(),
                "{error}"
            ),
        }
    }
}

impl<D: ?Sized> fmt::Debug for ConnectOptions<'_, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConnectOptions")
            .field("multi", &self.multi)
            .field("names", &self.names)
            .field("required", &self.required)
            .field("on_error", &self.on_error.is_some())
            .finish_non_exhaustive()
    }
}
