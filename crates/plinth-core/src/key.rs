//! Entity keys: names and symbols.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

/// A key that is equal only to itself and its clones (the spec's `symbol`).
///
/// Two symbols made by two calls to [`Symbol::new`] are different even when
/// their descriptions are equal; the description is only for display.
///
/// ```
/// use plinth_core::Symbol;
///
/// let a = Symbol::new("commands");
/// let b = Symbol::new("commands");
/// assert_ne!(a, b);
/// assert_eq!(a, a.clone());
/// assert_eq!(a.description(), Some("commands"));
/// ```
#[derive(Clone)]
pub struct Symbol(Arc<SymbolInner>);

struct SymbolInner {
    description: Option<Box<str>>,
}

impl Symbol {
    /// Makes a new symbol with a description.
    ///
    /// ```
    /// # use plinth_core::Symbol;
    /// let s = Symbol::new("hidden");
    /// assert_eq!(s.to_string(), "Symbol(hidden)");
    /// ```
    pub fn new(description: impl Into<String>) -> Self {
        Symbol(Arc::new(SymbolInner {
            description: Some(description.into().into_boxed_str()),
        }))
    }

    /// Makes a new symbol without a description.
    ///
    /// ```
    /// # use plinth_core::Symbol;
    /// assert_eq!(Symbol::anonymous().description(), None);
    /// ```
    pub fn anonymous() -> Self {
        Symbol(Arc::new(SymbolInner { description: None }))
    }

    /// The description given at creation, if any.
    ///
    /// ```
    /// # use plinth_core::Symbol;
    /// assert_eq!(Symbol::new("d").description(), Some("d"));
    /// ```
    pub fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }

    fn addr(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }
}

impl PartialEq for Symbol {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for Symbol {}

impl Hash for Symbol {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Identity equality, so identity hashing.
        self.addr().hash(state);
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{self}")
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.description() {
            Some(d) => write!(f, "Symbol({d})"),
            None => f.write_str("Symbol()"),
        }
    }
}

/// A key of an inner entity map, or the name of an entity type: a name or a
/// [`Symbol`] (the spec's `ImmutableEntityKey`).
///
/// Names are checked by the host's guards: they must be non-empty and not
/// numeric-like (see [`is_numeric_like`](crate::guard::is_numeric_like)).
///
/// ```
/// use plinth_core::{EntityKey, Symbol};
///
/// let name = EntityKey::from("foo");
/// assert_eq!(name.as_name(), Some("foo"));
/// let sym = EntityKey::from(Symbol::new("s"));
/// assert!(sym.as_symbol().is_some());
/// assert_eq!(sym.to_string(), "Symbol(s)");
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum EntityKey {
    /// A textual key.
    Name(Arc<str>),
    /// A symbol key, equal only to itself.
    Symbol(Symbol),
}

impl EntityKey {
    /// The name, if this key is a name.
    ///
    /// ```
    /// # use plinth_core::{EntityKey, Symbol};
    /// assert_eq!(EntityKey::from("a").as_name(), Some("a"));
    /// assert_eq!(EntityKey::from(Symbol::new("a")).as_name(), None);
    /// ```
    pub fn as_name(&self) -> Option<&str> {
        match self {
            EntityKey::Name(n) => Some(n),
            EntityKey::Symbol(_) => None,
        }
    }

    /// The symbol, if this key is a symbol.
    ///
    /// ```
    /// # use plinth_core::{EntityKey, Symbol};
    /// let s = Symbol::new("a");
    /// assert_eq!(EntityKey::from(&s).as_symbol(), Some(&s));
    /// ```
    pub fn as_symbol(&self) -> Option<&Symbol> {
        match self {
            EntityKey::Symbol(s) => Some(s),
            EntityKey::Name(_) => None,
        }
    }

    /// A borrowed view of this key.
    ///
    /// ```
    /// # use plinth_core::{EntityKey, EntityKeyRef};
    /// assert_eq!(EntityKey::from("a").as_key_ref(), EntityKeyRef::Name("a"));
    /// ```
    pub fn as_key_ref(&self) -> EntityKeyRef<'_> {
        match self {
            EntityKey::Name(n) => EntityKeyRef::Name(n),
            EntityKey::Symbol(s) => EntityKeyRef::Symbol(s),
        }
    }
}

impl From<&str> for EntityKey {
    fn from(value: &str) -> Self {
        EntityKey::Name(Arc::from(value))
    }
}

impl From<String> for EntityKey {
    fn from(value: String) -> Self {
        EntityKey::Name(Arc::from(value))
    }
}

impl From<Arc<str>> for EntityKey {
    fn from(value: Arc<str>) -> Self {
        EntityKey::Name(value)
    }
}

impl From<Symbol> for EntityKey {
    fn from(value: Symbol) -> Self {
        EntityKey::Symbol(value)
    }
}

impl From<&Symbol> for EntityKey {
    fn from(value: &Symbol) -> Self {
        EntityKey::Symbol(value.clone())
    }
}

impl From<EntityKeyRef<'_>> for EntityKey {
    fn from(value: EntityKeyRef<'_>) -> Self {
        value.to_owned()
    }
}

impl PartialEq<str> for EntityKey {
    fn eq(&self, other: &str) -> bool {
        self.as_name() == Some(other)
    }
}

impl PartialEq<&str> for EntityKey {
    fn eq(&self, other: &&str) -> bool {
        self.as_name() == Some(*other)
    }
}

impl fmt::Display for EntityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.as_key_ref().fmt(f)
    }
}

impl fmt::Debug for EntityKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntityKey::Name(n) => fmt::Debug::fmt(&**n, f),
            EntityKey::Symbol(s) => fmt::Debug::fmt(s, f),
        }
    }
}

/// A borrowed entity key, used for look-ups without allocating.
///
/// ```
/// use plinth_core::{EntityKey, EntityKeyRef, Symbol};
///
/// let s = Symbol::new("x");
/// assert_eq!(EntityKeyRef::from("a").to_string(), "a");
/// assert_eq!(EntityKeyRef::from(&s).to_owned(), EntityKey::Symbol(s));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum EntityKeyRef<'a> {
    /// A textual key.
    Name(&'a str),
    /// A symbol key.
    Symbol(&'a Symbol),
}

impl EntityKeyRef<'_> {
    /// Makes an owned key from this borrowed one.
    ///
    /// ```
    /// # use plinth_core::{EntityKey, EntityKeyRef};
    /// assert_eq!(EntityKeyRef::Name("a").to_owned(), EntityKey::from("a"));
    /// ```
    pub fn to_owned(self) -> EntityKey {
        match self {
            EntityKeyRef::Name(n) => EntityKey::from(n),
            EntityKeyRef::Symbol(s) => EntityKey::Symbol(s.clone()),
        }
    }
}

impl fmt::Display for EntityKeyRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntityKeyRef::Name(n) => f.write_str(n),
            EntityKeyRef::Symbol(s) => fmt::Display::fmt(s, f),
        }
    }
}

impl<'a> From<&'a str> for EntityKeyRef<'a> {
    fn from(value: &'a str) -> Self {
        EntityKeyRef::Name(value)
    }
}

impl<'a> From<&'a String> for EntityKeyRef<'a> {
    fn from(value: &'a String) -> Self {
        EntityKeyRef::Name(value)
    }
}

impl<'a> From<&'a Symbol> for EntityKeyRef<'a> {
    fn from(value: &'a Symbol) -> Self {
        EntityKeyRef::Symbol(value)
    }
}

impl<'a> From<&'a EntityKey> for EntityKeyRef<'a> {
    fn from(value: &'a EntityKey) -> Self {
        value.as_key_ref()
    }
}
