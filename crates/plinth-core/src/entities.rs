//! The inner entity map of one plugin and one entity type.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::{EntityKey, EntityKeyRef, Symbol};

/// An insertion-ordered map from [`EntityKey`] to entity value: what one
/// plugin contributes for one entity type (the spec's `ImmutableEntities`).
///
/// Iteration yields names in insertion order, then symbols in insertion
/// order, as a JavaScript object does. Inserting an existing key replaces
/// the value and keeps the key's position. An empty map is the way to say
/// "no entities of this type".
///
/// ```
/// use plinth_core::Entities;
///
/// let assets = Entities::new()
///     .with("foo", "this is `foo`")
///     .with("duplicate", "from A");
/// assert_eq!(assets.len(), 2);
/// assert_eq!(assets.get("foo"), Some(&"this is `foo`"));
/// let keys: Vec<String> = assets.keys().map(|k| k.to_string()).collect();
/// assert_eq!(keys, ["foo", "duplicate"]);
/// ```
#[derive(Clone)]
pub struct Entities<V> {
    names: Vec<(Arc<str>, V)>,
    symbols: Vec<(Symbol, V)>,
    // Position of each key in `names` / `symbols`, for replacement and look-up.
    name_index: HashMap<Arc<str>, usize>,
    symbol_index: HashMap<Symbol, usize>,
}

impl<V> Entities<V> {
    /// An empty map.
    ///
    /// ```
    /// # use plinth_core::Entities;
    /// let m: Entities<u8> = Entities::new();
    /// assert!(m.is_empty());
    /// ```
    pub fn new() -> Self {
        Entities {
            names: Vec::new(),
            symbols: Vec::new(),
            name_index: HashMap::new(),
            symbol_index: HashMap::new(),
        }
    }

    /// Inserts a value and returns the map, for building maps in one expression.
    ///
    /// ```
    /// # use plinth_core::Entities;
    /// let m = Entities::new().with("a", 1).with("a", 2);
    /// assert_eq!(m.get("a"), Some(&2));
    /// ```
    pub fn with(mut self, key: impl Into<EntityKey>, value: V) -> Self {
        self.insert(key, value);
        self
    }

    /// Inserts a value, returning the value it replaced. A replaced key keeps
    /// its position.
    ///
    /// ```
    /// # use plinth_core::Entities;
    /// let mut m = Entities::new();
    /// assert_eq!(m.insert("a", 1), None);
    /// assert_eq!(m.insert("a", 2), Some(1));
    /// ```
    pub fn insert(&mut self, key: impl Into<EntityKey>, value: V) -> Option<V> {
        match key.into() {
            EntityKey::Name(n) => {
                if let Some(&at) = self.name_index.get(&n) {
                    return Some(std::mem::replace(&mut self.names[at].1, value));
                }
                self.name_index.insert(n.clone(), self.names.len());
                self.names.push((n, value));
            }
            EntityKey::Symbol(s) => {
                if let Some(&at) = self.symbol_index.get(&s) {
                    return Some(std::mem::replace(&mut self.symbols[at].1, value));
                }
                self.symbol_index.insert(s.clone(), self.symbols.len());
                self.symbols.push((s, value));
            }
        }
        None
    }

    /// The value under a key.
    ///
    /// ```
    /// # use plinth_core::{Entities, Symbol};
    /// let s = Symbol::new("s");
    /// let m = Entities::new().with(&s, 1);
    /// assert_eq!(m.get(&s), Some(&1));
    /// assert_eq!(m.get("s"), None);
    /// ```
    pub fn get<'k>(&self, key: impl Into<EntityKeyRef<'k>>) -> Option<&V> {
        match key.into() {
            EntityKeyRef::Name(n) => Some(&self.names[*self.name_index.get(n)?].1),
            EntityKeyRef::Symbol(s) => Some(&self.symbols[*self.symbol_index.get(s)?].1),
        }
    }

    /// Number of entries.
    ///
    /// ```
    /// # use plinth_core::Entities;
    /// let m = Entities::from([("b", 1), ("a", 2)]);
    /// assert_eq!(m.len(), 2);
    /// ```
    pub fn len(&self) -> usize {
        self.names.len() + self.symbols.len()
    }

    /// Whether the map has no entries.
    ///
    /// ```
    /// # use plinth_core::Entities;
    /// let m = Entities::from([("b", 1), ("a", 2)]);
    /// assert!(!m.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Entries in order: names first, then symbols.
    ///
    /// ```
    /// # use plinth_core::{Entities, EntityKeyRef, Symbol};
    /// let s = Symbol::new("s");
    /// let m = Entities::new().with(&s, 0).with("b", 1);
    /// let order: Vec<_> = m.iter().map(|(k, _)| k.to_string()).collect();
    /// assert_eq!(order, ["b", "Symbol(s)"]);
    /// ```
    pub fn iter(&self) -> impl ExactSizeIterator<Item = (EntityKeyRef<'_>, &V)> + Clone {
        Chain {
            names: self.names.iter(),
            symbols: self.symbols.iter(),
        }
    }

    /// Keys in order: names first, then symbols.
    ///
    /// ```
    /// # use plinth_core::Entities;
    /// let m = Entities::from([("b", 1), ("a", 2)]);
    /// let keys: Vec<String> = m.keys().map(|k| k.to_string()).collect();
    /// assert_eq!(keys, ["b", "a"]);
    /// ```
    pub fn keys(&self) -> impl ExactSizeIterator<Item = EntityKeyRef<'_>> + Clone {
        self.iter().map(|(k, _)| k)
    }

    /// Values in key order.
    ///
    /// ```
    /// # use plinth_core::Entities;
    /// let m = Entities::from([("b", 1), ("a", 2)]);
    /// assert_eq!(m.values().copied().collect::<Vec<_>>(), [1, 2]);
    /// ```
    pub fn values(&self) -> impl ExactSizeIterator<Item = &V> + Clone {
        self.iter().map(|(_, v)| v)
    }

    /// Name entries in insertion order, with their shared key text.
    pub(crate) fn name_entries(&self) -> &[(Arc<str>, V)] {
        &self.names
    }

    /// Symbol entries in insertion order.
    pub(crate) fn symbol_entries(&self) -> &[(Symbol, V)] {
        &self.symbols
    }
}

struct Chain<'a, V> {
    names: std::slice::Iter<'a, (Arc<str>, V)>,
    symbols: std::slice::Iter<'a, (Symbol, V)>,
}

// Not derived: the derive would require `V: Clone`.
impl<V> Clone for Chain<'_, V> {
    fn clone(&self) -> Self {
        Chain {
            names: self.names.clone(),
            symbols: self.symbols.clone(),
        }
    }
}

impl<'a, V> Iterator for Chain<'a, V> {
    type Item = (EntityKeyRef<'a>, &'a V);

    fn next(&mut self) -> Option<Self::Item> {
        if let Some((k, v)) = self.names.next() {
            return Some((EntityKeyRef::Name(k), v));
        }
        self.symbols
            .next()
            .map(|(s, v)| (EntityKeyRef::Symbol(s), v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.names.len() + self.symbols.len();
        (n, Some(n))
    }
}

impl<V> ExactSizeIterator for Chain<'_, V> {}

impl<V> Default for Entities<V> {
    fn default() -> Self {
        Entities::new()
    }
}

impl<V: fmt::Debug> fmt::Debug for Entities<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl<V: PartialEq> PartialEq for Entities<V> {
    /// Equal when the same keys map to equal values in the same order.
    fn eq(&self, other: &Self) -> bool {
        self.names == other.names && self.symbols == other.symbols
    }
}

impl<V> IntoIterator for Entities<V> {
    type Item = (EntityKey, V);
    type IntoIter = IntoIter<V>;

    /// Takes the entries out in iteration order: names, then symbols.
    ///
    /// ```
    /// # use plinth_core::{Entities, EntityKey};
    /// let m = Entities::from([("b", 1), ("a", 2)]);
    /// let entries: Vec<(EntityKey, u8)> = m.into_iter().collect();
    /// assert_eq!(entries[0].0, "b");
    /// ```
    fn into_iter(self) -> IntoIter<V> {
        IntoIter {
            names: self.names.into_iter(),
            symbols: self.symbols.into_iter(),
        }
    }
}

/// The owned entries of an [`Entities`] map, in its order.
///
/// ```
/// # use plinth_core::Entities;
/// let values: Vec<u8> = Entities::from([("a", 1)]).into_iter().map(|(_, v)| v).collect();
/// assert_eq!(values, [1]);
/// ```
pub struct IntoIter<V> {
    names: std::vec::IntoIter<(Arc<str>, V)>,
    symbols: std::vec::IntoIter<(Symbol, V)>,
}

impl<V> Iterator for IntoIter<V> {
    type Item = (EntityKey, V);

    fn next(&mut self) -> Option<Self::Item> {
        if let Some((k, v)) = self.names.next() {
            return Some((EntityKey::Name(k), v));
        }
        self.symbols.next().map(|(s, v)| (EntityKey::Symbol(s), v))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.names.len() + self.symbols.len();
        (n, Some(n))
    }
}

impl<V> ExactSizeIterator for IntoIter<V> {}

impl<K: Into<EntityKey>, V> FromIterator<(K, V)> for Entities<V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = Entities::new();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

impl<K: Into<EntityKey>, V, const N: usize> From<[(K, V); N]> for Entities<V> {
    /// ```
    /// # use plinth_core::Entities;
    /// let m = Entities::from([("a", 1), ("b", 2)]);
    /// assert_eq!(m.len(), 2);
    /// ```
    fn from(entries: [(K, V); N]) -> Self {
        entries.into_iter().collect()
    }
}

impl<K: Into<EntityKey>, V> Extend<(K, V)> for Entities<V> {
    fn extend<I: IntoIterator<Item = (K, V)>>(&mut self, iter: I) {
        for (k, v) in iter {
            self.insert(k, v);
        }
    }
}
