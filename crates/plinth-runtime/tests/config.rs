//! Configuration through the manager: namespaced, defaulted, validated with
//! every violation and its path; fixed configuration lets the plugin start.

mod common;

use common::{Probe, log};
use futures::future::BoxFuture;
use plinth_runtime::PluginState::*;
use plinth_runtime::testing::TestContext;
use plinth_runtime::{
    ConfigError, Context, FailureReason, MAX_CONFIG_DEPTH, Manager, Metadata, Plugin,
    resolve_config,
};
use serde::Deserialize;
use serde_json::json;
use std::sync::{Arc, Mutex};

fn schema() -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "windowMs": { "type": "integer", "minimum": 1, "default": 60000 },
            "maxRequests": { "type": "integer", "minimum": 1, "default": 100 },
            "keyGenerator": { "enum": ["ip", "user", "custom"], "default": "ip" }
        },
        "required": ["windowMs", "maxRequests"],
        "additionalProperties": false
    })
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
struct Limits {
    window_ms: u64,
    max_requests: u32,
    key_generator: String,
}

struct Reader(Arc<Mutex<Option<Limits>>>);
impl Plugin for Reader {
    fn metadata(&self) -> Metadata {
        Metadata::new("limits", "1.0.0").with_config_schema(schema())
    }
    fn initialize(&mut self, ctx: &Context) -> Result<(), plinth_hooks::BoxError> {
        *self.0.lock().unwrap() = Some(ctx.config()?);
        Ok(())
    }
}

#[tokio::test]
async fn defaults_fill_what_the_configuration_leaves_out() {
    let seen = Arc::new(Mutex::new(None));
    let mut manager =
        Manager::new().with_config(json!({ "plugins": { "limits": { "maxRequests": 5 } } }));
    manager.register(Reader(seen.clone())).unwrap();
    manager.initialize_all().await.unwrap();
    assert_eq!(
        *seen.lock().unwrap(),
        Some(Limits {
            window_ms: 60000,
            max_requests: 5,
            key_generator: "ip".into()
        })
    );
}

#[tokio::test]
async fn every_violation_is_reported_with_its_path_and_dependents_fail_too() {
    let l = log();
    let app = json!({ "plugins": { "limits": {
        "windowMs": 0, "maxRequests": "many", "keyGenerator": "cookie", "extra": true
    } } });
    let mut manager = Manager::new().with_config(app);
    manager
        .register(Reader(Arc::new(Mutex::new(None))))
        .unwrap();
    manager
        .register(Probe::new("api", &l).dep("limits", "*"))
        .unwrap();
    manager.initialize_all().await.unwrap();

    let Some(FailureReason::Config(ConfigError::Invalid { plugin, violations })) =
        manager.reason("limits")
    else {
        panic!(
            "expected a configuration failure, got {:?}",
            manager.reason("limits")
        )
    };
    assert_eq!(plugin, "limits");
    let paths: Vec<&str> = violations.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "/plugins/limits",
            "/plugins/limits/keyGenerator",
            "/plugins/limits/maxRequests",
            "/plugins/limits/windowMs"
        ]
    );
    assert!(
        violations[0].message.contains("extra"),
        "{}",
        violations[0].message
    );
    assert!(manager.reason("api").unwrap().to_string().starts_with(
        r#"dependency "limits" failed: plugin "limits": invalid configuration (4 violations): /plugins/limits: "#
    ));

    // Fix the configuration, retry.
    manager.set_config(json!({ "plugins": { "limits": { "windowMs": 10 } } }));
    assert_eq!(manager.enable("api").await.unwrap(), ["limits", "api"]);
    assert_eq!(manager.state("limits"), Some(Active));
}

#[tokio::test]
async fn a_broken_schema_fails_the_plugin_not_the_host() {
    let l = log();
    let mut manager = Manager::new();
    manager
        .register(Probe::new("odd", &l).schema(json!({ "type": 12 })))
        .unwrap();
    manager.register(Probe::new("fine", &l)).unwrap();
    manager.initialize_all().await.unwrap();
    assert!(matches!(
        manager.reason("odd"),
        Some(FailureReason::Config(ConfigError::InvalidSchema { .. }))
    ));
    assert_eq!(manager.state("fine"), Some(Active));
}

// ---- Configuration errors: where, and filed as what ----

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Outer {
    limits: Inner,
}

#[derive(Deserialize, Debug)]
#[allow(dead_code)]
struct Inner {
    max: u32,
}

#[test]
fn a_type_mismatch_names_the_pointer_of_the_field() {
    let kit = TestContext::new("rate-limiter")
        .config(json!({ "limits": { "max": "x" } }))
        .build()
        .unwrap();
    let err = kit.context().config::<Outer>().unwrap_err();
    assert!(
        err.to_string().ends_with(
            r#"at /plugins/rate-limiter/limits/max: invalid type: string "x", expected u32"#
        ),
        "{err}"
    );
}

#[test]
fn a_type_mismatch_in_a_list_names_the_index_and_escapes_names() {
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Routes {
        routes: Vec<Route>,
    }
    #[derive(Deserialize, Debug)]
    #[allow(dead_code)]
    struct Route {
        #[serde(rename = "a/b")]
        ab: bool,
    }
    let kit = TestContext::new("@acme/web")
        .config(json!({ "routes": [{ "a/b": true }, { "a/b": 1 }] }))
        .build()
        .unwrap();
    let err = kit.context().config::<Routes>().unwrap_err();
    assert!(
        err.to_string().contains(
            "at /plugins/@acme~1web/routes/1/a~1b: invalid type: integer `1`, expected a boolean"
        ),
        "{err}"
    );
}

/// Reads its configuration as [`Outer`] and returns the error with `?`,
/// wrapped in an error of its own when `wrap` is set.
struct Typed {
    wrap: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot read the limits")]
struct Wrapped(#[source] ConfigError);

impl Plugin for Typed {
    fn metadata(&self) -> Metadata {
        Metadata::new(if self.wrap { "wrapped" } else { "typed" }, "1.0.0")
    }
    fn initialize(&mut self, ctx: &Context) -> Result<(), plinth_hooks::BoxError> {
        if self.wrap {
            ctx.config::<Outer>().map_err(Wrapped)?;
        } else {
            ctx.config::<Outer>()?;
        }
        Ok(())
    }
}

struct TypedAsync;

impl Plugin for TypedAsync {
    fn metadata(&self) -> Metadata {
        Metadata::new("typed-async", "1.0.0")
    }
    fn initialize_async<'a>(
        &'a mut self,
        ctx: &'a Context,
    ) -> BoxFuture<'a, Result<(), plinth_hooks::BoxError>> {
        Box::pin(async move {
            ctx.config::<Outer>()?;
            Ok(())
        })
    }
    fn destroy_async(&mut self) -> BoxFuture<'_, Result<(), plinth_hooks::BoxError>> {
        Box::pin(async { Ok(()) })
    }
}

#[tokio::test]
async fn a_config_error_returned_by_initialize_is_filed_as_a_config_failure() {
    let bad = json!({ "limits": { "max": "x" } });
    let mut manager = Manager::new().with_config(json!({ "plugins": {
        "typed": bad, "wrapped": bad, "typed-async": bad
    } }));
    manager.register(Typed { wrap: false }).unwrap();
    manager.register(Typed { wrap: true }).unwrap();
    manager.register(TypedAsync).unwrap();
    manager.initialize_all().await.unwrap();
    for name in ["typed", "wrapped", "typed-async"] {
        let reason = manager.reason(name);
        assert!(
            matches!(
                reason,
                Some(FailureReason::Config(ConfigError::Type { .. }))
            ),
            "{name}: {reason:?}"
        );
        assert!(
            reason.unwrap().to_string().ends_with(&format!(
                r#"at /plugins/{name}/limits/max: invalid type: string "x", expected u32"#
            )),
            "{name}: {}",
            reason.unwrap()
        );
    }
}

#[tokio::test]
async fn a_plugins_section_that_is_not_an_object_fails_the_plugin() {
    let l = log();
    let mut manager = Manager::new().with_config(json!({ "plugins": 5 }));
    manager.register(Probe::new("rate-limiter", &l)).unwrap();
    manager.initialize_all().await.unwrap();
    assert_eq!(
        manager
            .reason("rate-limiter")
            .map(ToString::to_string)
            .as_deref(),
        Some(
            r#"plugin "rate-limiter": malformed configuration at "/plugins": expected an object of plugin sections, found a number"#
        )
    );
}

#[tokio::test]
async fn a_plugin_section_that_is_not_an_object_fails_the_plugin() {
    let l = log();
    let mut manager = Manager::new().with_config(json!({ "plugins": { "rate-limiter": "fast" } }));
    manager.register(Probe::new("rate-limiter", &l)).unwrap();
    manager
        .register(Probe::new("api", &l).dep("rate-limiter", "*"))
        .unwrap();
    manager.initialize_all().await.unwrap();
    assert_eq!(
        manager
            .reason("rate-limiter")
            .map(ToString::to_string)
            .as_deref(),
        Some(
            r#"plugin "rate-limiter": malformed configuration at "/plugins/rate-limiter": expected an object, found a string"#
        )
    );
    assert_eq!(manager.state("api"), Some(Failed));

    manager.set_config(json!({ "plugins": { "rate-limiter": {} } }));
    assert_eq!(
        manager.enable("api").await.unwrap(),
        ["rate-limiter", "api"]
    );
}

#[test]
fn defaults_behind_refs_and_all_of_are_applied() {
    let schema = json!({
        "type": "object",
        "properties": {
            "primary": { "$ref": "#/$defs/endpoint" },
            "replica": { "$ref": "#/definitions/endpoint" },
            "backup": { "$ref": "#/properties/primary" },
            "given": { "$ref": "#/$defs/endpoint" }
        },
        "allOf": [{ "properties": { "timeoutMs": { "type": "integer", "default": 1000 } } }],
        "$defs": {
            "endpoint": {
                "type": "object",
                "default": {},
                "properties": {
                    "host": { "type": "string", "default": "localhost" },
                    "port": { "$ref": "#/$defs/port" }
                }
            },
            "port": { "type": "integer", "default": 5432 }
        },
        "definitions": { "endpoint": { "$ref": "#/$defs/endpoint" } }
    });
    let app = json!({ "plugins": { "db": { "given": { "host": "db1" } } } });
    let config = resolve_config(&app, "db", Some(&schema)).unwrap();
    let endpoint = json!({ "host": "localhost", "port": 5432 });
    assert_eq!(
        config,
        json!({
            "primary": endpoint,
            "replica": endpoint,
            "backup": endpoint,
            "given": { "host": "db1", "port": 5432 },
            "timeoutMs": 1000
        })
    );
}

/// A value nested `depth` objects deep: `{"a":{"a":...{}}}`, built in code
/// (serde_json's recursion limit applies only to parsing text).
fn nested(depth: usize, key: &str) -> serde_json::Value {
    let mut value = json!({});
    for _ in 1..depth {
        value = json!({ key: value });
    }
    value
}

/// Runs `f` on a thread with a 2 MiB stack, as tokio's and std's spawned
/// threads have by default; a stack overflow aborts the test process.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

#[test]
fn a_configuration_nested_a_thousand_deep_is_refused_on_a_small_stack() {
    let message = on_small_stack(|| {
        let app = json!({ "plugins": { "deep": nested(1000, "a") } });
        // Recursive, so that validation would descend the whole value.
        let schema = json!({ "properties": { "a": { "$ref": "#" } } });
        let result = resolve_config(&app, "deep", Some(&schema)).map_err(|e| e.to_string());
        drop(app);
        result.unwrap_err()
    });
    assert!(
        message.starts_with(&format!(
            r#"plugin "deep": configuration nested deeper than {MAX_CONFIG_DEPTH} levels at "/plugins/deep/a/a/"#
        )),
        "{message}"
    );
}

#[test]
fn a_schema_nested_a_thousand_deep_is_refused_on_a_small_stack() {
    let message = on_small_stack(|| {
        let app = json!({ "plugins": { "deep": {} } });
        let schema = nested(1000, "not");
        let result = resolve_config(&app, "deep", Some(&schema)).map_err(|e| e.to_string());
        drop(schema);
        result.unwrap_err()
    });
    assert!(
        message.starts_with(&format!(
            r#"plugin "deep": invalid configuration schema: nested deeper than {MAX_CONFIG_DEPTH} levels at "/not/not/"#
        )),
        "{message}"
    );
}

#[test]
fn a_schema_with_a_thousand_chained_refs_is_refused_on_a_small_stack() {
    let message = on_small_stack(|| {
        let mut defs = serde_json::Map::new();
        for i in 0..1000 {
            defs.insert(
                format!("d{i}"),
                json!({ "$ref": format!("#/$defs/d{}", i + 1) }),
            );
        }
        defs.insert("d1000".into(), json!({ "type": "object" }));
        let schema = json!({ "$ref": "#/$defs/d0", "$defs": defs });
        resolve_config(&json!({}), "chain", Some(&schema))
            .map_err(|e| e.to_string())
            .unwrap_err()
    });
    assert_eq!(
        message,
        format!(
            r#"plugin "chain": invalid configuration schema: nested deeper than {MAX_CONFIG_DEPTH} levels at "/$defs/d{}""#,
            MAX_CONFIG_DEPTH - 2
        )
    );
}

#[test]
fn a_configuration_at_the_depth_limit_resolves_on_a_small_stack() {
    // A recursive schema makes the validator descend as deep as the
    // configuration, and defaults are applied at every level.
    let config = on_small_stack(|| {
        let schema = json!({
            "type": "object",
            "properties": {
                "a": { "$ref": "#" },
                "n": { "type": "integer", "default": 1 }
            }
        });
        let app = json!({ "plugins": { "deep": nested(MAX_CONFIG_DEPTH, "a") } });
        resolve_config(&app, "deep", Some(&schema)).map(|c| c["a"]["a"]["n"].clone())
    });
    assert_eq!(config.unwrap(), json!(1));
}
