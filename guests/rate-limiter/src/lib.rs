//! `rate-limiter-wasm`: the tutorial's rate limiter as a sandboxed plugin.
//!
//! It taps `request:start`, a bail hook (payload `{requestId, method, path,
//! ip, userId, key}`, where `ip`, `userId` and `key` may be `null`), and
//! counts each client's requests in fixed windows of `windowMs`
//! milliseconds. The client is the request's `key`, else its `userId`, else
//! its `ip`, else `anonymous`. Once a client's count in the current window
//! exceeds `maxRequests` it answers
//! `{"status": 429, "retryAfter": {"secs": <until the window ends, rounded
//! up>, "nanos": 0}, "message": "Too many requests"}`, which stops the
//! chain; otherwise `null`, which passes.
//!
//! The counts live in the plugin's key-value store under
//! `<window index>:<client>`, the window index (`now_ms() / windowMs`)
//! zero-padded to 20 digits, so every instance of the plugin sees them, and
//! are counted with the store's atomic add: two instances counting the same
//! client at the same moment both count, so exactly `maxRequests` get
//! through in a window however many instances serve. The clock needs the
//! `clocks` permission.
//!
//! Old counts are swept: a client's first request in a window deletes up to
//! 64 of the oldest counts of windows before the previous one, every
//! client's, found in key order (which is window order). Each new count
//! sweeps up to 64 old ones, so the store holds about two windows of
//! counts, however many clients never come back. The previous window's
//! counts stay, so that a request that read the clock just before the
//! window turned still counts against it.
//!
//! Configuration: `{"windowMs": 60000, "maxRequests": 100}` (the defaults),
//! checked by `config.schema.json`.

use plinth_guest::serde_json::{self, Value, json};
use plinth_guest::{Plugin, host};
use serde::Deserialize;

/// The configuration, defaults filled in.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", default, deny_unknown_fields)]
struct Config {
    window_ms: u64,
    max_requests: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            window_ms: 60_000,
            max_requests: 100,
        }
    }
}

/// The part of `request:start`'s payload the limiter reads.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
struct RequestStart {
    ip: Option<String>,
    user_id: Option<String>,
    key: Option<String>,
}

impl RequestStart {
    /// Who is counted: the key, else the user, else the address.
    fn client(&self) -> &str {
        self.key
            .as_deref()
            .or(self.user_id.as_deref())
            .or(self.ip.as_deref())
            .unwrap_or("anonymous")
    }
}

struct RateLimiter {
    config: Config,
}

impl RateLimiter {
    /// Counts a request of `client` at `now` (ms since the epoch); the 429
    /// answer when the window was already full.
    fn admit(&self, client: &str, now: u64) -> Result<Value, String> {
        let window_ms = self.config.window_ms;
        let window = now / window_ms;
        let key = format!("{window:020}:{client}");
        // Negative only if something else wrote the key: count as full.
        let n = u64::try_from(host::kv::add(&key, 1)?).unwrap_or(u64::MAX);
        if n == 1 {
            sweep(window);
        }
        if n <= self.config.max_requests {
            return Ok(Value::Null);
        }
        let ends = window.saturating_add(1).saturating_mul(window_ms);
        let left_ms = ends.saturating_sub(now);
        Ok(json!({
            "status": 429,
            "retryAfter": { "secs": left_ms.div_ceil(1000), "nanos": 0 },
            "message": "Too many requests",
        }))
    }
}

/// Deletes up to [`SWEPT`] of the oldest counts of windows before the one
/// before `window`: those are over for every request.
fn sweep(window: u64) {
    let Some(previous) = window.checked_sub(1) else {
        return;
    };
    let first_kept = format!("{previous:020}:");
    for key in host::kv::keys("", SWEPT) {
        if key >= first_kept {
            break;
        }
        host::kv::delete(&key);
    }
}

/// Old counts a client's first request in a window deletes at most.
const SWEPT: u32 = 64;

impl Plugin for RateLimiter {
    fn initialize(config: Value) -> Result<Self, String> {
        let config: Config = match config {
            Value::Null => Config::default(),
            config => serde_json::from_value(config)
                .map_err(|e| format!("invalid rate-limiter configuration: {e}"))?,
        };
        if config.window_ms == 0 || config.max_requests == 0 {
            return Err(
                "invalid rate-limiter configuration: windowMs and maxRequests must be at least 1"
                    .into(),
            );
        }
        Ok(RateLimiter { config })
    }

    fn on_hook(&mut self, hook: &str, payload: Value) -> Result<Value, String> {
        if hook != "request:start" {
            return Err(format!("rate-limiter does not tap {hook}"));
        }
        let request: RequestStart =
            serde_json::from_value(payload).map_err(|e| format!("request:start payload: {e}"))?;
        let now = host::now_ms()?;
        self.admit(request.client(), now)
    }
}

plinth_guest::export!(RateLimiter);
