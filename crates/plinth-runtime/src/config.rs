//! Per-plugin configuration: the `plugins.<name>` part of the application
//! configuration, with the schema's defaults applied, validated by
//! `jsonschema`.

use std::fmt;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// How deeply a plugin's configuration section, and its schema, may nest
/// (objects and arrays; `{}` is one level, `{"a": {}}` two).
///
/// Past it, [`resolve_config`] refuses instead of walking the value: the
/// validator recurses once per level, and a configuration or schema built in
/// code has no parser's recursion limit, so without this bound a deep value
/// could overflow a 2 MiB thread stack. A schema spends two levels per
/// nested property (`properties`, then the name), and each local `$ref`
/// followed counts as one more level, since the validator's compiler
/// recurses through references as through nesting.
///
/// ```
/// use plinth_runtime::{resolve_config, ConfigError, MAX_CONFIG_DEPTH};
/// use serde_json::json;
///
/// let mut deep = json!({});
/// for _ in 0..MAX_CONFIG_DEPTH {
///     deep = json!({ "a": deep });
/// }
/// let app = json!({ "plugins": { "deep": deep } });
/// let err = resolve_config(&app, "deep", None).unwrap_err();
/// assert!(matches!(err, ConfigError::TooDeep { .. }));
/// ```
pub const MAX_CONFIG_DEPTH: usize = 128;

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
///
/// let app = json!({ "plugins": { "web": "fast" } });
/// let err = resolve_config(&app, "web", Some(&schema)).unwrap_err();
/// assert_eq!(
///     err.to_string(),
///     r#"plugin "web": malformed configuration at "/plugins/web": expected an object, found a string"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
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
    #[error("plugin \"{plugin}\": configuration does not fit {type_name} at {path}: {message}")]
    Type {
        /// The plugin.
        plugin: String,
        /// The Rust type asked for.
        type_name: &'static str,
        /// JSON Pointer, from the root of the application configuration, of
        /// the value that does not fit (the plugin's section when the whole
        /// of it is wrong).
        path: String,
        /// serde's explanation.
        message: String,
    },
    /// The application configuration is not shaped as `plugins.<name>`
    /// objects, so the plugin's section cannot be found.
    #[error(
        "plugin \"{plugin}\": malformed configuration at \"{path}\": expected {expected}, found {found}"
    )]
    Malformed {
        /// The plugin.
        plugin: String,
        /// JSON Pointer of the offending value: `""` (the whole
        /// configuration), `/plugins` or the plugin's section.
        path: String,
        /// What belongs there.
        expected: &'static str,
        /// What kind of JSON value is there.
        found: &'static str,
    },
    /// The configuration, with its defaults, nests deeper than
    /// [`MAX_CONFIG_DEPTH`].
    #[error(
        "plugin \"{plugin}\": configuration nested deeper than {MAX_CONFIG_DEPTH} levels at \"{path}\""
    )]
    TooDeep {
        /// The plugin.
        plugin: String,
        /// JSON Pointer of the first value past the limit.
        path: String,
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
/// Defaults are taken through `properties` and `items`, and through the
/// local `$ref`s (`#`, `#/$defs/...`, any JSON Pointer fragment into the same
/// schema) and `allOf`s on the way; where several give a default for one
/// property, the first found wins (the schema's own, then its `$ref`'s, then
/// each `allOf` in order).
///
/// The configuration section and the schema may nest at most
/// [`MAX_CONFIG_DEPTH`] levels (in the schema, each local `$ref` followed
/// counts as one); the limit is checked without recursion, so a deeper
/// value is refused on any stack.
///
/// # Errors
/// - [`ConfigError::Malformed`] when `app` is not an object, `plugins` is
///   present but not an object, or the plugin's section is not an object.
/// - [`ConfigError::TooDeep`] when the section nests deeper than
///   [`MAX_CONFIG_DEPTH`], before or after its defaults are applied.
/// - [`ConfigError::InvalidSchema`] when the schema does not compile or
///   nests deeper than [`MAX_CONFIG_DEPTH`].
/// - [`ConfigError::Invalid`] listing every violation with its path.
///
/// ```
/// use plinth_runtime::resolve_config;
/// use serde_json::json;
///
/// let schema = json!({
///     "type": "object",
///     "properties": {
///         "windowMs": { "type": "integer", "default": 60000 },
///         "store": { "$ref": "#/$defs/store" }
///     },
///     "required": ["windowMs"],
///     "$defs": { "store": { "type": "string", "default": "memory" } }
/// });
/// let config = resolve_config(&json!({}), "rate-limiter", Some(&schema))?;
/// assert_eq!(config, json!({ "windowMs": 60000, "store": "memory" }));
/// # Ok::<(), plinth_runtime::ConfigError>(())
/// ```
pub fn resolve_config(
    app: &Value,
    name: &str,
    schema: Option<&Value>,
) -> Result<Value, ConfigError> {
    let base = section_pointer(name);
    let too_deep = |path: String| ConfigError::TooDeep {
        plugin: name.to_string(),
        path: format!("{base}{path}"),
    };
    let section = section(app, name)?;
    if let Some(path) = section.and_then(first_too_deep) {
        return Err(too_deep(path));
    }
    let mut config = section
        .cloned()
        .unwrap_or_else(|| Value::Object(Map::new()));
    let Some(schema) = schema else {
        return Ok(config);
    };
    let invalid_schema = |message: String| ConfigError::InvalidSchema {
        plugin: name.to_string(),
        message,
    };
    if let Some(path) = schema_too_deep(schema) {
        return Err(invalid_schema(format!(
            "nested deeper than {MAX_CONFIG_DEPTH} levels at \"{path}\""
        )));
    }
    let validator = jsonschema::validator_for(schema).map_err(|e| invalid_schema(e.to_string()))?;
    apply_defaults(schema, schema, &mut config, &mut Vec::new()).map_err(too_deep)?;
    // A default may itself be a deep value, inserted deep down.
    if let Some(path) = first_too_deep(&config) {
        return Err(too_deep(path));
    }
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

/// `plugins.<name>` of `app`, `None` when absent. Anything but objects on
/// the way is an error: ignoring it would start the plugin on defaults the
/// operator did not mean.
fn section<'a>(app: &'a Value, name: &str) -> Result<Option<&'a Value>, ConfigError> {
    let malformed = |path: String, expected: &'static str, found: &Value| ConfigError::Malformed {
        plugin: name.to_string(),
        path,
        expected,
        found: kind(found),
    };
    let Value::Object(root) = app else {
        return Err(malformed(String::new(), "an object", app));
    };
    let Some(plugins) = root.get("plugins") else {
        return Ok(None);
    };
    let Value::Object(plugins) = plugins else {
        return Err(malformed(
            "/plugins".into(),
            "an object of plugin sections",
            plugins,
        ));
    };
    match plugins.get(name) {
        None => Ok(None),
        Some(section @ Value::Object(_)) => Ok(Some(section)),
        Some(other) => Err(malformed(section_pointer(name), "an object", other)),
    }
}

/// The JSON Pointer of plugin `name`'s section.
pub(crate) fn section_pointer(name: &str) -> String {
    format!("/plugins/{}", escape(name))
}

/// What kind of JSON value `value` is, for messages.
fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The children of an object or an array, each with its pointer segment.
enum Children<'a> {
    Object(serde_json::map::Iter<'a>),
    Array(std::iter::Enumerate<std::slice::Iter<'a, Value>>),
}

impl<'a> Children<'a> {
    fn of(value: &'a Value) -> Option<Self> {
        match value {
            Value::Object(map) => Some(Children::Object(map.iter())),
            Value::Array(items) => Some(Children::Array(items.iter().enumerate())),
            _ => None,
        }
    }

    fn next(&mut self) -> Option<(String, &'a Value)> {
        match self {
            Children::Object(iter) => iter.next().map(|(k, v)| (escape(k), v)),
            Children::Array(iter) => iter.next().map(|(i, v)| (i.to_string(), v)),
        }
    }
}

/// The pointer (relative to `value`) of the first object or array nested
/// deeper than [`MAX_CONFIG_DEPTH`]. Walks with its own stack, so that
/// measuring a deep value cannot overflow the thread's.
fn first_too_deep(value: &Value) -> Option<String> {
    let mut stack = vec![Children::of(value)?];
    // `path` holds the segments of every open container but the root.
    let mut path: Vec<String> = Vec::new();
    while let Some(top) = stack.last_mut() {
        let Some((segment, child)) = top.next() else {
            stack.pop();
            path.pop();
            continue;
        };
        let Some(children) = Children::of(child) else {
            continue;
        };
        path.push(segment);
        if stack.len() == MAX_CONFIG_DEPTH {
            return Some(pointer(&path));
        }
        stack.push(children);
    }
    None
}

/// One schema on the walk of [`schema_too_deep`]: where it is, what it
/// leads to, and the height found below it so far.
struct Visit<'s> {
    node: &'s Value,
    leads_to: Vec<(String, &'s Value)>,
    next: usize,
    height: usize,
}

impl<'s> Visit<'s> {
    /// Its children, and the target of its local `$ref` under the target's
    /// own pointer.
    fn new(root: &'s Value, node: &'s Value, pointer: &str) -> Self {
        let mut leads_to: Vec<(String, &'s Value)> = Vec::new();
        let mut children = Children::of(node);
        while let Some((segment, child)) = children.as_mut().and_then(Children::next) {
            leads_to.push((format!("{pointer}/{segment}"), child));
        }
        if let Some(reference) = node.get("$ref").and_then(Value::as_str)
            && let Some(target) = resolve_ref(root, reference)
        {
            let fragment = reference.strip_prefix('#').and_then(percent_decode);
            leads_to.push((fragment.unwrap_or_default(), target));
        }
        Visit {
            node,
            leads_to,
            next: 0,
            height: 0,
        }
    }
}

/// The pointer of the first place where `schema` nests deeper than
/// [`MAX_CONFIG_DEPTH`], counting each local `$ref` followed as one more
/// level: the validator's compiler recurses through references as through
/// nesting, so a long chain of `$ref`s overflows a stack as a deep value
/// does. A reference back to a schema on the current path is recursion,
/// which the validator resolves lazily, so it is not followed. Each
/// schema's height is kept, so a definition used many times is walked once.
fn schema_too_deep(schema: &Value) -> Option<String> {
    use std::collections::HashMap;

    Children::of(schema)?;
    let mut heights: HashMap<*const Value, usize> = HashMap::new();
    let mut stack = vec![Visit::new(schema, schema, "")];
    while let Some(top) = stack.last_mut() {
        // Each edge is taken once, so its pointer can be moved out.
        let edge = top
            .leads_to
            .get_mut(top.next)
            .map(|(pointer, next)| (std::mem::take(pointer), *next));
        let Some((pointer, next)) = edge else {
            let done = stack.pop()?;
            let height = done.height + 1;
            heights.insert(done.node, height);
            if let Some(parent) = stack.last_mut() {
                parent.height = parent.height.max(height);
            }
            continue;
        };
        top.next += 1;
        if Children::of(next).is_none() || stack.iter().any(|v| std::ptr::eq(v.node, next)) {
            continue;
        }
        let key: *const Value = next;
        let known = heights.get(&key).copied();
        // `stack.len() + 1` is `next`'s depth; its deepest part is
        // `height - 1` levels further.
        if stack.len() + known.unwrap_or(1) > MAX_CONFIG_DEPTH {
            return Some(pointer);
        }
        match (known, stack.last_mut()) {
            (Some(height), Some(top)) => top.height = top.height.max(height),
            _ => stack.push(Visit::new(schema, next, &pointer)),
        }
    }
    None
}

fn pointer(segments: &[String]) -> String {
    segments.iter().map(|s| format!("/{s}")).collect()
}

/// Fills absent object properties (and array items) with their schema
/// `default`, recursively, through `properties` and `items` of `schema` and
/// of every schema it brings in by local `$ref` or `allOf`. A default under
/// `oneOf`/`anyOf` would be ambiguous, so it is not applied.
///
/// `path` holds the escaped segments from the section to `value`; the
/// error is the pointer of a value that would nest past
/// [`MAX_CONFIG_DEPTH`], which a recursive schema whose defaults contain
/// themselves would otherwise grow forever.
fn apply_defaults(
    root: &Value,
    schema: &Value,
    value: &mut Value,
    path: &mut Vec<String>,
) -> Result<(), String> {
    let schemas = expand(root, schema);
    match value {
        Value::Object(map) => {
            let properties = || {
                schemas
                    .iter()
                    .filter_map(|s| s.get("properties")?.as_object())
                    .flatten()
            };
            // Every schema's defaults first: a property's default may come
            // from one schema (an `allOf` member) and the defaults inside it
            // from another, which must find it there when it descends.
            for (key, sub) in properties() {
                if !map.contains_key(key)
                    && let Some(default) = default_of(root, sub)
                {
                    map.insert(key.clone(), default.clone());
                }
            }
            for (key, sub) in properties() {
                if let Some(child) = map.get_mut(key) {
                    descend(root, sub, child, escape(key), path)?;
                }
            }
        }
        Value::Array(items) => {
            for sub in schemas.iter().filter_map(|s| s.get("items")) {
                // An array of schemas (draft 4 to 7 tuples) gives no one
                // schema for every item.
                if !sub.is_object() {
                    continue;
                }
                for (i, item) in items.iter_mut().enumerate() {
                    descend(root, sub, item, i.to_string(), path)?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Applies `schema`'s defaults to `child`, one level further down.
fn descend(
    root: &Value,
    schema: &Value,
    child: &mut Value,
    segment: String,
    path: &mut Vec<String>,
) -> Result<(), String> {
    if !(child.is_object() || child.is_array()) {
        return Ok(());
    }
    path.push(segment);
    // `path.len() + 1` is the child's depth, counting the section as one.
    if path.len() >= MAX_CONFIG_DEPTH {
        return Err(pointer(path));
    }
    apply_defaults(root, schema, child, path)?;
    path.pop();
    Ok(())
}

/// The default for a value under `schema`: its own, or the first one
/// brought in by a `$ref` or `allOf`.
fn default_of<'s>(root: &'s Value, schema: &'s Value) -> Option<&'s Value> {
    expand(root, schema)
        .into_iter()
        .find_map(|s| s.get("default"))
}

/// `schema` and the schemas it brings in through local `$ref`s and
/// `allOf`s, transitively, each once: depth first, the schema itself, then
/// its `$ref`, then each `allOf` in order. Seen schemas are skipped, so a
/// cycle of references ends.
fn expand<'s>(root: &'s Value, schema: &'s Value) -> Vec<&'s Map<String, Value>> {
    let mut found: Vec<&Map<String, Value>> = Vec::new();
    let mut todo = vec![schema];
    while let Some(next) = todo.pop() {
        let Value::Object(schema) = next else {
            continue;
        };
        if found.iter().any(|seen| std::ptr::eq(*seen, schema)) {
            continue;
        }
        found.push(schema);
        if let Some(Value::Array(all)) = schema.get("allOf") {
            todo.extend(all.iter().rev());
        }
        if let Some(target) = schema
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| resolve_ref(root, r))
        {
            todo.push(target);
        }
    }
    found
}

/// The schema a local `$ref` (`#` or `#/json/pointer`, percent-encoded as a
/// URI fragment) names inside `root`. Anchors, `$id`s and other documents
/// are not resolved here: the validator resolves them, and defaults are
/// simply not taken through them.
fn resolve_ref<'s>(root: &'s Value, reference: &str) -> Option<&'s Value> {
    let fragment = percent_decode(reference.strip_prefix('#')?)?;
    if fragment.is_empty() {
        Some(root)
    } else if fragment.starts_with('/') {
        root.pointer(&fragment)
    } else {
        None
    }
}

/// Decodes `%XX` escapes; `None` for a broken escape or invalid UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    if !text.contains('%') {
        return Some(text.to_string());
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `config` (plugin `plugin`'s resolved section) deserialized into `T`; a
/// mismatch names the pointer of the value that does not fit.
pub(crate) fn deserialize<T: DeserializeOwned>(
    plugin: &str,
    config: &Value,
) -> Result<T, ConfigError> {
    serde_path_to_error::deserialize(config).map_err(|e| {
        let mut path = section_pointer(plugin);
        for segment in e.path() {
            match segment {
                serde_path_to_error::Segment::Seq { index } => {
                    path.push('/');
                    path.push_str(&index.to_string());
                }
                serde_path_to_error::Segment::Map { key } => {
                    path.push('/');
                    path.push_str(&escape(key));
                }
                serde_path_to_error::Segment::Enum { variant } => {
                    path.push('/');
                    path.push_str(&escape(variant));
                }
                // Past a segment serde could not name (content buffered for
                // an untagged or flattened type), the pointer would guess:
                // stop at the last value known.
                serde_path_to_error::Segment::Unknown => break,
            }
        }
        ConfigError::Type {
            plugin: plugin.to_string(),
            type_name: std::any::type_name::<T>(),
            path,
            message: e.into_inner().to_string(),
        }
    })
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
    fn a_default_from_one_schema_is_filled_by_the_defaults_of_another() {
        let schema = json!({
            "properties": { "db": { "properties": { "pool": { "default": 4 } } } },
            "allOf": [{ "properties": { "db": { "default": {} } } }]
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
        let app = json!({ "plugins": { "x": { "list": [1, 2] } } });
        assert_eq!(
            resolve_config(&app, "x", None).unwrap(),
            json!({ "list": [1, 2] })
        );
        assert_eq!(resolve_config(&app, "y", None).unwrap(), json!({}));
    }

    fn malformed(app: &Value, name: &str) -> (String, &'static str, &'static str) {
        match resolve_config(app, name, None) {
            Err(ConfigError::Malformed {
                path,
                expected,
                found,
                ..
            }) => (path, expected, found),
            other => panic!("expected a malformed configuration, got {other:?}"),
        }
    }

    #[test]
    fn anything_but_objects_on_the_way_to_the_section_is_malformed() {
        assert_eq!(
            malformed(&json!(null), "x"),
            ("".into(), "an object", "null")
        );
        assert_eq!(
            malformed(&json!({ "plugins": 5 }), "x"),
            (
                "/plugins".into(),
                "an object of plugin sections",
                "a number"
            )
        );
        // An array is not indexed by a plugin named like an index.
        assert_eq!(
            malformed(&json!({ "plugins": [{}] }), "0"),
            (
                "/plugins".into(),
                "an object of plugin sections",
                "an array"
            )
        );
        assert_eq!(
            malformed(&json!({ "plugins": { "a/b": [1] } }), "a/b"),
            ("/plugins/a~1b".into(), "an object", "an array")
        );
        assert_eq!(
            malformed(&json!({ "plugins": { "x": null } }), "x"),
            ("/plugins/x".into(), "an object", "null")
        );
        // Another plugin's broken section is that plugin's problem.
        let app = json!({ "plugins": { "x": "fast", "y": {} } });
        assert_eq!(resolve_config(&app, "y", None).unwrap(), json!({}));
    }

    #[test]
    fn ref_cycles_end() {
        let schema = json!({
            "$ref": "#",
            "allOf": [{ "$ref": "#/$defs/a" }],
            "$defs": {
                "a": { "$ref": "#/$defs/b", "properties": { "x": { "default": 1 } } },
                "b": { "allOf": [{ "$ref": "#/$defs/a" }], "properties": { "y": { "default": 2 } } }
            }
        });
        let mut config = json!({});
        apply_defaults(&schema, &schema, &mut config, &mut Vec::new()).unwrap();
        assert_eq!(config, json!({ "x": 1, "y": 2 }));
    }

    #[test]
    fn the_first_default_found_wins() {
        let schema = json!({
            "properties": {
                "own": { "$ref": "#/$defs/n", "default": "own" },
                "by_ref": { "$ref": "#/$defs/n", "allOf": [{ "default": "all" }] },
                "by_all_of": { "allOf": [{ "default": "first" }, { "default": "second" }] }
            },
            "$defs": { "n": { "default": "ref" } }
        });
        let config = resolve_config(&json!({}), "x", Some(&schema)).unwrap();
        assert_eq!(
            config,
            json!({ "own": "own", "by_ref": "ref", "by_all_of": "first" })
        );
    }

    #[test]
    fn percent_encoded_and_escaped_fragments_resolve() {
        let schema = json!({
            "properties": {
                "a": { "$ref": "#/%24defs/a~1b" },
                "b": { "$ref": "#/$defs/c%20d" },
                "unresolved": { "$ref": "#anchor" }
            },
            "$defs": {
                "a/b": { "default": 1 },
                "c d": { "default": 2 },
                "e": { "$anchor": "anchor", "default": 3 }
            }
        });
        let config = resolve_config(&json!({}), "x", Some(&schema)).unwrap();
        assert_eq!(config, json!({ "a": 1, "b": 2 }));
    }

    #[test]
    fn defaults_that_contain_themselves_are_refused() {
        let schema = json!({
            "type": "object",
            "properties": { "child": { "$ref": "#", "default": {} } }
        });
        let err = resolve_config(&json!({}), "x", Some(&schema)).unwrap_err();
        let ConfigError::TooDeep { path, .. } = err else {
            panic!("expected TooDeep, got {err:?}")
        };
        assert_eq!(
            path,
            format!("/plugins/x{}", "/child".repeat(MAX_CONFIG_DEPTH))
        );
    }

    #[test]
    fn a_deep_default_is_measured_after_it_is_applied() {
        // As deep as the schema allows a default to be: the schema spends
        // three levels on the way to it.
        let mut deep = json!({});
        for _ in 1..MAX_CONFIG_DEPTH - 3 {
            deep = json!({ "d": deep });
        }
        let schema = json!({
            "properties": { "next": { "$ref": "#" }, "big": { "default": deep } }
        });
        let app = json!({ "plugins": { "x": { "next": { "next": { "next": {} } } } } });
        let err = resolve_config(&app, "x", Some(&schema)).unwrap_err();
        let ConfigError::TooDeep { path, .. } = err else {
            panic!("expected TooDeep, got {err:?}")
        };
        assert!(
            path.starts_with("/plugins/x/next/next/next/big/d/d/"),
            "{path}"
        );
    }

    /// `{"$ref": "#/$defs/d1"}` ... `d<links>`: a chain of references.
    fn ref_chain(links: usize) -> Value {
        let mut defs = Map::new();
        for i in 0..links {
            defs.insert(
                format!("d{i}"),
                json!({ "$ref": format!("#/$defs/d{}", i + 1) }),
            );
        }
        defs.insert(format!("d{links}"), json!({ "type": "object" }));
        json!({ "$ref": "#/$defs/d0", "$defs": defs })
    }

    #[test]
    fn each_ref_followed_counts_as_a_level() {
        // The walk reaches `d0` through `$defs` (depth 3), then each link
        // is one level more.
        assert_eq!(schema_too_deep(&ref_chain(MAX_CONFIG_DEPTH - 3)), None);
        assert_eq!(
            schema_too_deep(&ref_chain(MAX_CONFIG_DEPTH - 2)),
            Some(format!("/$defs/d{}", MAX_CONFIG_DEPTH - 2))
        );
    }

    #[test]
    fn recursive_and_shared_refs_are_not_too_deep() {
        let recursive = json!({ "properties": { "next": { "$ref": "#" } } });
        assert_eq!(schema_too_deep(&recursive), None);
        // Each definition uses the next twice: 2^60 paths, walked once each.
        let mut defs = Map::new();
        for i in 0..60 {
            let next = format!("#/$defs/d{}", i + 1);
            defs.insert(
                format!("d{i}"),
                json!({ "allOf": [{ "$ref": next }, { "$ref": next }] }),
            );
        }
        defs.insert("d60".into(), json!({}));
        let shared = json!({ "$ref": "#/$defs/d0", "$defs": defs });
        // Each link spends three levels (allOf, the item, the $ref).
        assert!(schema_too_deep(&shared).is_some());
        let mut defs = Map::new();
        for i in 0..30 {
            let next = format!("#/$defs/d{}", i + 1);
            defs.insert(
                format!("d{i}"),
                json!({ "allOf": [{ "$ref": next }, { "$ref": next }] }),
            );
        }
        defs.insert("d30".into(), json!({}));
        let shared = json!({ "$ref": "#/$defs/d0", "$defs": defs });
        assert_eq!(schema_too_deep(&shared), None);
    }

    #[test]
    fn depth_is_counted_in_containers() {
        let mut value = json!([]);
        for _ in 1..MAX_CONFIG_DEPTH {
            value = json!([1, { "s": "leaf" }, value]);
        }
        assert_eq!(first_too_deep(&value), None);
        let deeper = json!({ "x": value });
        // The leaf object beside the innermost array is the first too deep.
        let expected = format!("/x{}/1", "/2".repeat(MAX_CONFIG_DEPTH - 2));
        assert_eq!(first_too_deep(&deeper), Some(expected));
        assert_eq!(first_too_deep(&json!("scalar")), None);
    }
}
