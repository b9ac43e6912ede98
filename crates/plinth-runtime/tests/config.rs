//! Configuration through the manager: namespaced, defaulted, validated with
//! every violation and its path; fixed configuration lets the plugin start.

mod common;

use common::{log, Probe};
use plinth_runtime::PluginState::*;
use plinth_runtime::{ConfigError, Context, FailureReason, Manager, Metadata, Plugin};
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
