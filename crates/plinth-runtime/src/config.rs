//! Per-plugin configuration: the `plugins.<name>` part of the application
//! configuration, with the schema's defaults applied, validated by
//! `jsonschema`.

use std::fmt;

use serde_json::{Map, Value};

/// One schema violation: where (a JSON Pointer into the application
/// configuration) and what.
///
/// ```
/// use plinth_runtime::Violation;
/// let v = Violation { path: "/plugins/a/port".into(), message: "\"x\" is not of type \"integer\"".into() };
/// assert_eq!(v.to_string(), "/plugins/a/port: \"x\" is not of type \"integer\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// JSON Pointer (RFC 6901) of the offending value, from the root of the
    /// application configuration.
    pub path: String,
    /// The validator's message.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A plugin's configuration is unusable; every variant names the plugin.
///
/// ```
/// use plinth_runtime::resolve_config;
/// use serde_json::json;
///
/// let schema = json!({
///     "type": "object",
///     "properties": {
///         "port": { "type": "integer" },
///         "host": { "type": "string" }
///     }
/// });
/// let app = json!({ "plugins": { "web": { "port": "80", "host": 1 } } });
/// let err = resolve_config(&app, "web", Some(&schema)).unwrap_err();
/// let plinth_runtime::ConfigError::Invalid { violations, .. } = &err else { panic!() };
/// let paths: Vec<_> = violations.iter().map(|v| v.path.as_str()).collect();
/// assert_eq!(paths, ["/plugins/web/host", "/plugins/web/port"]);
/// assert!(err.to_string().starts_with(r#"plugin "web": invalid configuration (2 violations): /plugins/web/host: "#));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// The plugin's schema is not a valid JSON Schema.
    #[error("plugin \"{plugin}\": invalid configuration schema: {message}")]
    InvalidSchema {
        /// The plugin.
        plugin: String,
        /// The compiler's explanation.
        message: String,
    },
    /// The configuration breaks the schema; every violation is listed.
    #[error("plugin \"{plugin}\": invalid configuration ({} violations): {}", violations.len(), list(violations))]
    Invalid {
        /// The plugin.
        plugin: String,
        /// Every violation, sorted by path.
        violations: Vec<Violation>,
    },
    /// The configuration is valid but does not deserialize into the type the
    /// plugin asked for.
    #[error("plugin \"{plugin}\": configuration does not fit {type_name}: {message}")]
    Type {
        /// The plugin.
        plugin: String,
        /// The Rust type asked for.
        type_name: &'static str,
        /// serde's explanation.
        message: String,
    },
}

fn list(violations: &[Violation]) -> String {
    violations
        .iter()
        .map(Violation::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The configuration of plugin `name`: `plugins.<name>` of `app` (an empty
/// object when absent), with the schema's `default`s filled in, validated
/// against the schema.
///
/// # Errors
/// [`ConfigError::InvalidSchema`] or [`ConfigError::Invalid`] listing every
/// violation with its path.
///
/// ```
/// use plinth_runtime::resolve_config;
/// use serde_json::json;
///
/// let schema = json!({
///     "type": "object",
///     "properties": { "windowMs": { "type": "integer", "default": 60000 } },
///     "required": ["windowMs"]
/// });
/// let config = resolve_config(&json!({}), "rate-limiter", Some(&schema))?;
/// assert_eq!(config, json!({ "windowMs": 60000 }));
/// # Ok::<(), plinth_runtime::ConfigError>(())
/// ```
pub fn resolve_config(
    app: &Value,
    name: &str,
    schema: Option<&Value>,
) -> Result<Value, ConfigError> {
    let base = format!("/plugins/{}", escape(name));
    let section = app.pointer(&base).cloned();
    let Some(schema) = schema else {
        return Ok(section.unwrap_or_else(|| Value::Object(Map::new())));
    };
    let validator = jsonschema::validator_for(schema).map_err(|e| ConfigError::InvalidSchema {
        plugin: name.to_string(),
        message: e.to_string(),
    })?;
    let mut config = section.unwrap_or_else(|| Value::Object(Map::new()));
    apply_defaults(schema, &mut config);
    let mut violations: Vec<Violation> = validator
        .iter_errors(&config)
        .map(|e| Violation {
            path: format!("{base}{}", e.instance_path.as_str()),
            message: e.to_string(),
        })
        .collect();
    if violations.is_empty() {
        return Ok(config);
    }
    // The validator reports in schema order; sorting by path makes the
    // message stable whatever the keyword order.
    violations.sort_by(|a, b| a.path.cmp(&b.path).then(a.message.cmp(&b.message)));
    Err(ConfigError::Invalid {
        plugin: name.to_string(),
        violations,
    })
}

/// Fills absent object properties (and array items) with their schema
/// `default`, recursively. Only `properties` and `items` are followed: a
/// default under `oneOf`/`anyOf` would be ambiguous, so it is not applied.
fn apply_defaults(schema: &Value, value: &mut Value) {
    let Some(schema) = schema.as_object() else {
        return;
    };
    match value {
        Value::Object(map) => {
            if let Some(Value::Object(properties)) = schema.get("properties") {
                for (key, sub) in properties {
                    if !map.contains_key(key) {
                        if let Some(default) = sub.get("default") {
                            map.insert(key.clone(), default.clone());
                        }
                    }
                    if let Some(child) = map.get_mut(key) {
                        apply_defaults(sub, child);
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(sub) = schema.get("items") {
                for item in items {
                    apply_defaults(sub, item);
                }
            }
        }
        _ => {}
    }
}

/// Escapes a name for use as one JSON Pointer segment (RFC 6901).
fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_defaults_fill_absent_objects() {
        let schema = json!({
            "type": "object",
            "properties": {
                "db": {
                    "type": "object",
                    "default": {},
                    "properties": { "pool": { "type": "integer", "default": 4 } }
                }
            }
        });
        let config = resolve_config(&json!({}), "x", Some(&schema)).unwrap();
        assert_eq!(config, json!({ "db": { "pool": 4 } }));
    }

    #[test]
    fn given_values_win_over_defaults() {
        let schema = json!({ "properties": { "n": { "default": 1 } } });
        let app = json!({ "plugins": { "x": { "n": 2 } } });
        assert_eq!(
            resolve_config(&app, "x", Some(&schema)).unwrap(),
            json!({ "n": 2 })
        );
    }

    #[test]
    fn scoped_names_are_escaped_in_pointers() {
        let schema = json!({ "properties": { "n": { "type": "integer" } } });
        let app = json!({ "plugins": { "@acme/x": { "n": "no" } } });
        let err = resolve_config(&app, "@acme/x", Some(&schema)).unwrap_err();
        let ConfigError::Invalid { violations, .. } = err else {
            panic!("expected violations")
        };
        assert_eq!(violations[0].path, "/plugins/@acme~1x/n");
    }

    #[test]
    fn an_invalid_schema_is_reported() {
        let schema = json!({ "type": "no-such-type" });
        let err = resolve_config(&json!({}), "x", Some(&schema)).unwrap_err();
        assert!(matches!(err, ConfigError::InvalidSchema { .. }));
    }

    #[test]
    fn without_schema_the_section_is_given_as_is() {
        let app = json!({ "plugins": { "x": [1, 2] } });
        assert_eq!(resolve_config(&app, "x", None).unwrap(), json!([1, 2]));
        assert_eq!(resolve_config(&app, "y", None).unwrap(), json!({}));
    }
}
