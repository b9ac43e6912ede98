//! `rate-limiter`: counts requests per key in fixed windows and marks the
//! ones over the limit, first in `request:start` (priority 0).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use plinth::hooks::BoxError;
use serde::Deserialize;
use serde_json::json;
use tokio::time::Instant;

use crate::hooks::{REQUEST_START, Rejection, RequestStart};
use plinth::runtime::{Context, Metadata, Plugin};

/// The longest window (a year): its end must fit an `Instant`.
const MAX_WINDOW_MS: u64 = 365 * 24 * 60 * 60 * 1000;

/// Which part of a request identifies the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum KeyGenerator {
    Ip,
    User,
    Custom,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    window_ms: u64,
    max_requests: u32,
    key_generator: KeyGenerator,
}

struct Window {
    count: u32,
    resets_at: Instant,
}

/// Beyond this many tracked clients, expired windows are dropped.
const SWEEP_ABOVE: usize = 10_000;

/// Who a request counts against: an address (the address is kept as it
/// came, never formatted), or a name the application chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Client<'r> {
    /// `None` when the server did not know the address.
    Address(Option<IpAddr>),
    Named(&'r str),
}

#[derive(Default)]
struct Windows {
    by_address: HashMap<Option<IpAddr>, Window>,
    by_name: HashMap<String, Window>,
}

struct Limiter {
    config: Config,
    windows: Mutex<Windows>,
}

impl Limiter {
    fn client<'r>(&self, request: &'r RequestStart) -> Client<'r> {
        let named = match self.config.key_generator {
            KeyGenerator::Ip => None,
            KeyGenerator::User => request.user_id.as_deref(),
            KeyGenerator::Custom => request.key.as_deref(),
        };
        named.map_or(Client::Address(request.ip), Client::Named)
    }

    /// Counts the request; `Err(retry_after)` when the client's window is
    /// already full. A name is copied only the first time it is seen.
    fn admit(&self, client: Client<'_>) -> Result<(), Duration> {
        let now = Instant::now();
        let mut windows = self.windows.lock().unwrap_or_else(PoisonError::into_inner);
        if windows.by_address.len() + windows.by_name.len() > SWEEP_ABOVE {
            windows.by_address.retain(|_, w| w.resets_at > now);
            windows.by_name.retain(|_, w| w.resets_at > now);
        }
        let fresh = || Window {
            count: 0,
            resets_at: now,
        };
        let window = match client {
            Client::Address(ip) => windows.by_address.entry(ip).or_insert_with(fresh),
            Client::Named(name) => {
                if !windows.by_name.contains_key(name) {
                    windows.by_name.insert(name.to_string(), fresh());
                }
                let Some(window) = windows.by_name.get_mut(name) else {
                    unreachable!("inserted above");
                };
                window
            }
        };
        if window.resets_at <= now {
            window.count = 0;
            // The schema bounds the window; clamp anyway, so that no
            // configuration can make the addition overflow.
            let window_ms = self.config.window_ms.min(MAX_WINDOW_MS);
            window.resets_at = now + Duration::from_millis(window_ms);
        }
        if window.count >= self.config.max_requests {
            return Err(window.resets_at.saturating_duration_since(now));
        }
        window.count += 1;
        Ok(())
    }
}

/// The rate limiter: answers `request:start` with a 429 [`Rejection`]
/// (and how long to wait) once a client's window is full.
///
/// Configuration (`plugins.rate-limiter`): `windowMs` (default 60000),
/// `maxRequests` (default 100), `keyGenerator` (`ip` | `user` | `custom`,
/// default `ip`). Windows follow tokio's clock, so tests can pause time.
///
/// ```
/// use plinth_example_app::hooks::{RequestStart, REQUEST_START};
/// use plinth_example_app::plugins::RateLimiter;
/// use plinth_runtime::testing::TestContext;
/// use plinth::runtime::Plugin;
/// use serde_json::json;
///
/// let mut plugin = RateLimiter::default();
/// let kit = TestContext::for_plugin(&plugin).config(json!({ "maxRequests": 1 })).build()?;
/// plugin.initialize(kit.context())?;
/// let start = kit.hooks().hook(&REQUEST_START)?;
/// assert!(start.call(&RequestStart::new("GET", "/").with_ip([1, 2, 3, 4]))?.is_none());
/// assert_eq!(start.call(&RequestStart::new("GET", "/").with_ip([1, 2, 3, 4]))?.map(|r| r.status), Some(429));
/// # Ok::<(), plinth::hooks::BoxError>(())
/// ```
#[derive(Default)]
pub struct RateLimiter {
    limiter: Option<Arc<Limiter>>,
}

impl Plugin for RateLimiter {
    fn metadata(&self) -> Metadata {
        Metadata::new("rate-limiter", "1.0.0")
            .with_description("Request rate limiting")
            .with_config_schema(json!({
                "type": "object",
                "properties": {
                    "windowMs": {
                        "type": "integer", "minimum": 1, "maximum": MAX_WINDOW_MS, "default": 60000,
                        "description": "Time window in milliseconds"
                    },
                    "maxRequests": {
                        "type": "integer", "minimum": 1, "default": 100,
                        "description": "Maximum requests per window"
                    },
                    "keyGenerator": { "type": "string", "enum": ["ip", "user", "custom"], "default": "ip" }
                },
                "required": ["windowMs", "maxRequests"],
                "additionalProperties": false
            }))
    }

    fn initialize(&mut self, ctx: &Context) -> Result<(), BoxError> {
        let limiter = Arc::new(Limiter {
            config: ctx.config()?,
            windows: Mutex::new(Windows::default()),
        });
        self.limiter = Some(limiter.clone());
        // Priority 0 runs before the default 10: the tutorial's intent, which
        // its `|| 10` defeated.
        ctx.hooks()
            .on(&REQUEST_START)?
            .priority(0)
            .tap(move |request: &RequestStart| {
                limiter
                    .admit(limiter.client(request))
                    .err()
                    .map(Rejection::too_many_requests)
            });
        Ok(())
    }

    fn destroy(&mut self) -> Result<(), BoxError> {
        self.limiter = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plinth::core::PluginUrn;
    use plinth::runtime::ConfigError;
    use plinth_runtime::testing::TestKitError;
    use plinth_runtime::testing::{TestContext, TestKit};

    fn started(config: serde_json::Value) -> (RateLimiter, TestKit) {
        let mut plugin = RateLimiter::default();
        let kit = TestContext::for_plugin(&plugin)
            .config(config)
            .build()
            .unwrap();
        plugin.initialize(kit.context()).unwrap();
        (plugin, kit)
    }

    fn limited(kit: &TestKit, request: RequestStart) -> bool {
        kit.hooks()
            .hook(&REQUEST_START)
            .unwrap()
            .call(&request)
            .unwrap()
            .is_some()
    }

    #[test]
    fn allows_requests_under_the_limit_and_blocks_those_over_it() {
        let (_p, kit) = started(json!({ "windowMs": 1000, "maxRequests": 2 }));
        assert!(!limited(
            &kit,
            RequestStart::new("GET", "/").with_ip([127, 0, 0, 1])
        ));
        assert!(!limited(
            &kit,
            RequestStart::new("GET", "/").with_ip([127, 0, 0, 1])
        ));
        assert!(limited(
            &kit,
            RequestStart::new("GET", "/").with_ip([127, 0, 0, 1])
        ));
    }

    #[test]
    fn tracks_keys_separately() {
        let (_p, kit) = started(json!({ "windowMs": 1000, "maxRequests": 2 }));
        limited(&kit, RequestStart::new("GET", "/").with_ip([127, 0, 0, 1]));
        limited(&kit, RequestStart::new("GET", "/").with_ip([127, 0, 0, 1]));
        assert!(!limited(
            &kit,
            RequestStart::new("GET", "/").with_ip([192, 168, 1, 1])
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_new_window_starts_when_the_old_one_ends() {
        let (_p, kit) = started(json!({ "windowMs": 1000, "maxRequests": 1 }));
        assert!(!limited(
            &kit,
            RequestStart::new("GET", "/").with_ip([10, 0, 0, 1])
        ));
        assert!(limited(
            &kit,
            RequestStart::new("GET", "/").with_ip([10, 0, 0, 1])
        ));
        tokio::time::advance(Duration::from_millis(999)).await;
        assert!(limited(
            &kit,
            RequestStart::new("GET", "/").with_ip([10, 0, 0, 1])
        ));
        tokio::time::advance(Duration::from_millis(1)).await;
        assert!(!limited(
            &kit,
            RequestStart::new("GET", "/").with_ip([10, 0, 0, 1])
        ));
    }

    #[test]
    fn the_user_key_generator_falls_back_to_the_address() {
        let (_p, kit) = started(json!({ "maxRequests": 1, "keyGenerator": "user" }));
        let as_user = |u: &str, ip: [u8; 4]| RequestStart {
            user_id: Some(u.into()),
            ..RequestStart::new("GET", "/").with_ip(ip)
        };
        assert!(!limited(&kit, as_user("ada", [1, 1, 1, 1])));
        assert!(
            limited(&kit, as_user("ada", [2, 2, 2, 2])),
            "same user, other address"
        );
        assert!(
            !limited(&kit, RequestStart::new("GET", "/").with_ip([1, 1, 1, 1])),
            "anonymous: keyed by address"
        );
    }

    #[test]
    fn defaults_apply_and_bad_configuration_lists_every_violation() {
        let plugin = RateLimiter::default();
        let kit = TestContext::for_plugin(&plugin).build().unwrap();
        assert_eq!(
            kit.context().config_value(),
            &json!({ "windowMs": 60000, "maxRequests": 100, "keyGenerator": "ip" })
        );
        let err = TestContext::for_plugin(&plugin)
            .config(json!({ "windowMs": -5, "keyGenerator": "cookie" }))
            .build()
            .unwrap_err();
        let TestKitError::Config(ConfigError::Invalid { violations, .. }) = err else {
            panic!("expected violations")
        };
        let paths: Vec<&str> = violations.iter().map(|v| v.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "/plugins/rate-limiter/keyGenerator",
                "/plugins/rate-limiter/windowMs"
            ]
        );
    }

    #[test]
    fn runs_before_plugins_at_the_default_priority() {
        let (_p, kit) = started(json!({ "maxRequests": 1 }));
        let hook = kit.hooks().hook(&REQUEST_START).unwrap();
        // Registered later, but at the default priority: the limiter's
        // verdict comes first and stops the chain.
        let seen = Arc::new(Mutex::new(0));
        let s = seen.clone();
        hook.tap(PluginUrn::new("auth").unwrap(), move |_: &RequestStart| {
            *s.lock().unwrap() += 1;
            None
        });
        assert!(
            hook.call(&RequestStart::new("GET", "/").with_ip([10, 0, 0, 2]))
                .unwrap()
                .is_none()
        );
        let verdict = hook
            .call(&RequestStart::new("GET", "/").with_ip([10, 0, 0, 2]))
            .unwrap()
            .unwrap();
        assert_eq!(verdict.status, 429);
        assert!(verdict.retry_after.unwrap() <= Duration::from_secs(60));
        assert_eq!(
            *seen.lock().unwrap(),
            1,
            "auth never saw the limited request"
        );
    }
}
