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
    pub fn names<N: Into<Cow<'a, str>>>(mut self, names: impl IntoIterator<Item = N>) -> Self {
        self.names = Some(names.into_iter().map(Into::into).collect());
        self
    }

    /// Fail with [`ConnectError::NotFound`](crate::ConnectError::NotFound)
    /// when no extension yields an instance.
    pub fn required(mut self, required: bool) -> Self {
        self.required = required;
        self
    }

    /// Called for each extension that fails (and is skipped), in candidate
    /// order.
    pub fn on_error(mut self, callback: impl FnMut(&ExtensionError) + Send + 'a) -> Self {
        self.on_error = Some(Box::new(callback));
        self
    }

    /// Whether every candidate is connected.
    pub fn is_multi(&self) -> bool {
        self.multi
    }

    /// Whether finding nothing is an error.
    pub fn is_required(&self) -> bool {
        self.required
    }

    /// The names asked for, if any.
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
