//! Runtime guards: the rules of the host that a type cannot express.
//!
//! The typed path ([`Host::new`](crate::Host::new) with a derived schema)
//! cannot omit an entity type or hold a missing value, so only names and keys
//! are checked there. The dynamic path ([`DynamicPlugin`](crate::DynamicPlugin))
//! is checked for every rule.
//!
//! ```
//! use plinth_core::guard::is_numeric_like;
//!
//! assert!(is_numeric_like("1e3"));
//! assert!(!is_numeric_like("Infinity"));
//! ```

use std::error::Error;
use std::fmt;

use crate::{EntityKey, EntityKeyRef, PluginUrn};

/// A violation of one of the spec's plugin rules, naming where it happened.
///
/// ```
/// use plinth_core::guard::{check_key, GuardError};
///
/// let err = check_key(&"p".try_into()?, "assets".into(), "1e3".into()).unwrap_err();
/// assert!(matches!(err, GuardError::NumericKey { .. }));
/// assert_eq!(
///     err.to_string(),
///     r#"plugin "p", entity type "assets": key "1e3" is numeric-like"#
/// );
/// # Ok::<(), GuardError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum GuardError {
    /// A plugin URN (or a plugin name) is empty.
    EmptyUrn,
    /// A raw plugin has no `name` at all (its name must equal its URN).
    MissingName {
        /// The URN the plugin is registered under.
        plugin: PluginUrn,
    },
    /// A plugin's name differs from the URN it is registered under.
    NameMismatch {
        /// The URN the plugin is registered under.
        urn: PluginUrn,
        /// The name the plugin reports.
        name: String,
    },
    /// Two plugins are registered under one URN.
    DuplicatePlugin {
        /// The URN used twice.
        urn: PluginUrn,
    },
    /// A plugin has no `entities` record at all.
    MissingEntities {
        /// The plugin.
        plugin: PluginUrn,
    },
    /// A plugin lacks an entity type that another plugin (or the schema) has.
    MissingEntityType {
        /// The plugin.
        plugin: PluginUrn,
        /// The entity type it lacks.
        entity_type: EntityKey,
    },
    /// `entities`, or an entity type's inner map, is not a record.
    NotARecord {
        /// The plugin.
        plugin: PluginUrn,
        /// The entity type, or `None` when `entities` itself is not a record.
        entity_type: Option<EntityKey>,
        /// What was found instead (`"array"`, `"string"`, ...).
        found: &'static str,
    },
    /// An entity key is the empty string.
    EmptyKey {
        /// The plugin.
        plugin: PluginUrn,
        /// The entity type. The guards always set it: entity type names
        /// may be any string, so `None` is never produced any more.
        entity_type: Option<EntityKey>,
    },
    /// An entity key is numeric-like.
    NumericKey {
        /// The plugin.
        plugin: PluginUrn,
        /// The entity type. The guards always set it: entity type names
        /// may be any string, so `None` is never produced any more.
        entity_type: Option<EntityKey>,
        /// The key.
        key: String,
    },
    /// A key has no value (JSON `null`, JavaScript `undefined`).
    MissingValue {
        /// The plugin.
        plugin: PluginUrn,
        /// The entity type.
        entity_type: EntityKey,
        /// The key.
        key: EntityKey,
    },
}

impl fmt::Display for GuardError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GuardError::EmptyUrn => f.write_str("plugin URN is empty"),
            GuardError::MissingName { plugin } => write!(
                f,
                "plugin \"{plugin}\": missing `name` field (it must equal the URN)"
            ),
            GuardError::NameMismatch { urn, name } => {
                write!(f, "plugin \"{urn}\": name \"{name}\" differs from its URN")
            }
            GuardError::DuplicatePlugin { urn } => {
                write!(f, "plugin \"{urn}\": URN registered twice")
            }
            GuardError::MissingEntities { plugin } => {
                write!(f, "plugin \"{plugin}\": no entities record")
            }
            GuardError::MissingEntityType {
                plugin,
                entity_type,
            } => write!(
                f,
                "plugin \"{plugin}\": missing entity type \"{entity_type}\" (use an empty map for none)"
            ),
            GuardError::NotARecord {
                plugin,
                entity_type: Some(t),
                found,
            } => write!(
                f,
                "plugin \"{plugin}\", entity type \"{t}\": expected a record of entities, found {found}"
            ),
            GuardError::NotARecord {
                plugin,
                entity_type: None,
                found,
            } => write!(
                f,
                "plugin \"{plugin}\": entities must be a record of entity types, found {found}"
            ),
            GuardError::EmptyKey {
                plugin,
                entity_type: Some(t),
            } => write!(f, "plugin \"{plugin}\", entity type \"{t}\": empty key"),
            GuardError::EmptyKey {
                plugin,
                entity_type: None,
            } => write!(f, "plugin \"{plugin}\": empty entity type name"),
            GuardError::NumericKey {
                plugin,
                entity_type: Some(t),
                key,
            } => write!(
                f,
                "plugin \"{plugin}\", entity type \"{t}\": key \"{key}\" is numeric-like"
            ),
            GuardError::NumericKey {
                plugin,
                entity_type: None,
                key,
            } => write!(
                f,
                "plugin \"{plugin}\": entity type name \"{key}\" is numeric-like"
            ),
            GuardError::MissingValue {
                plugin,
                entity_type,
                key,
            } => write!(
                f,
                "plugin \"{plugin}\", entity type \"{entity_type}\": key \"{key}\" has no value"
            ),
        }
    }
}

impl Error for GuardError {}

/// Checks one entity key of one plugin's entity type: non-empty, and not
/// numeric-like. Symbols always pass.
///
/// ```
/// use plinth_core::{guard::check_key, PluginUrn};
///
/// let p = PluginUrn::new("p")?;
/// assert!(check_key(&p, "assets".into(), "foo".into()).is_ok());
/// assert!(check_key(&p, "assets".into(), "".into()).is_err());
/// assert!(check_key(&p, "assets".into(), " 1 ".into()).is_err());
/// # Ok::<(), plinth_core::GuardError>(())
/// ```
pub fn check_key(
    plugin: &PluginUrn,
    entity_type: EntityKeyRef<'_>,
    key: EntityKeyRef<'_>,
) -> Result<(), GuardError> {
    check_name(key, || plugin.clone(), || Some(entity_type.to_owned()))
}

/// Checks the name of an entity type: every name passes.
///
/// An entity type's name labels a collection; it is never an object key a
/// JavaScript host would reorder, so the key rules (non-empty, not
/// numeric-like) do not apply to it. `""` and `"42"` are entity types.
///
/// ```
/// # #![allow(deprecated)]
/// use plinth_core::{guard::check_entity_type, PluginUrn};
///
/// let p = PluginUrn::new("p")?;
/// assert!(check_entity_type(&p, "assets".into()).is_ok());
/// assert!(check_entity_type(&p, "0".into()).is_ok());
/// # Ok::<(), plinth_core::GuardError>(())
/// ```
///
/// # Errors
/// None: the `Result` stays for callers written when type names had rules.
#[deprecated(note = "any string is an entity type name; this check always passes")]
pub fn check_entity_type(
    _plugin: &PluginUrn,
    _entity_type: EntityKeyRef<'_>,
) -> Result<(), GuardError> {
    Ok(())
}

// The error's context is built lazily: the check runs for every key of every
// plugin, and the happy path must not clone anything.
fn check_name(
    key: EntityKeyRef<'_>,
    plugin: impl FnOnce() -> PluginUrn,
    entity_type: impl FnOnce() -> Option<EntityKey>,
) -> Result<(), GuardError> {
    let EntityKeyRef::Name(name) = key else {
        return Ok(());
    };
    if name.is_empty() {
        return Err(GuardError::EmptyKey {
            plugin: plugin(),
            entity_type: entity_type(),
        });
    }
    if is_numeric_like(name) {
        return Err(GuardError::NumericKey {
            plugin: plugin(),
            entity_type: entity_type(),
            key: name.to_owned(),
        });
    }
    Ok(())
}

/// Whether JavaScript would read this string as a finite number:
/// `Number.isFinite(Number(s))` for a string that is not blank after trimming.
///
/// Such keys are rejected because JavaScript hosts coerce numeric object keys
/// to strings and reorder them; plinth keeps the rule so that plugin sets stay
/// portable between the two.
///
/// ```
/// use plinth_core::guard::is_numeric_like;
///
/// for s in ["0", "123", "-1", "1.5", "1e3", " 1 ", "0x10", ".5", "1.", "+2"] {
///     assert!(is_numeric_like(s), "{s}");
/// }
/// for s in ["", " ", "Infinity", "-Infinity", "NaN", "foo", "1e", "0x", "-0x10", "1_000"] {
///     assert!(!is_numeric_like(s), "{s}");
/// }
/// ```
pub fn is_numeric_like(s: &str) -> bool {
    let t = s.trim_matches(is_js_whitespace);
    if t.is_empty() {
        return false;
    }
    let b = t.as_bytes();
    // Radix literals take no sign in `Number()`.
    if b.len() > 2 && b[0] == b'0' {
        let radix = match b[1] {
            b'x' | b'X' => Some(16),
            b'o' | b'O' => Some(8),
            b'b' | b'B' => Some(2),
            _ => None,
        };
        if let Some(radix) = radix {
            return radix_is_finite(&t[2..], radix);
        }
    }
    is_decimal_literal(b) && t.parse::<f64>().is_ok_and(f64::is_finite)
}

/// `StrDecimalLiteral` without `Infinity`: `[+-]? (digits [. digits?] | . digits) ([eE] [+-]? digits)?`.
fn is_decimal_literal(b: &[u8]) -> bool {
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i += 1;
    }
    let int_digits = count_digits(&b[i..]);
    i += int_digits;
    let mut frac_digits = 0;
    if b.get(i) == Some(&b'.') {
        i += 1;
        frac_digits = count_digits(&b[i..]);
        i += frac_digits;
    }
    if int_digits == 0 && frac_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let exp_digits = count_digits(&b[i..]);
        if exp_digits == 0 {
            return false;
        }
        i += exp_digits;
    }
    i == b.len()
}

fn count_digits(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

fn radix_is_finite(digits: &str, radix: u32) -> bool {
    let mut value = 0f64;
    for c in digits.chars() {
        match c.to_digit(radix) {
            Some(d) => value = value * f64::from(radix) + f64::from(d),
            None => return false,
        }
    }
    value.is_finite()
}

/// JavaScript's `WhiteSpace` and `LineTerminator`, which `Number()` trims.
fn is_js_whitespace(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{B}' | '\u{C}' | '\r' | ' ' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{FEFF}'
    )
}
