//! TOML values as JSON: what a manifest's entities and inline
//! configuration schema become.

use serde_json::Value;

/// `value` as JSON. TOML holds more than JSON: a date or time becomes its
/// RFC 3339 text (as written), and a float that is not finite (`nan`,
/// `inf`), which JSON cannot hold, becomes `null`.
///
/// (A TOML datetime serialized through serde would become an object with
/// a private field name instead.)
///
/// ```
/// use plinth_extensions::toml_to_json;
/// let value: toml::Value = toml::from_str("released = 2024-01-15\nratio = nan")?;
/// assert_eq!(
///     toml_to_json(&value),
///     serde_json::json!({ "released": "2024-01-15", "ratio": null })
/// );
/// # Ok::<(), toml::de::Error>(())
/// ```
pub fn toml_to_json(value: &toml::Value) -> Value {
    match value {
        toml::Value::String(s) => Value::String(s.clone()),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => {
            serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
        }
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(items.iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => table_to_json(table),
    }
}

/// A TOML table as a JSON object (see [`toml_to_json`]).
pub(crate) fn table_to_json(table: &toml::Table) -> Value {
    Value::Object(
        table
            .iter()
            .map(|(key, value)| (key.clone(), toml_to_json(value)))
            .collect(),
    )
}
