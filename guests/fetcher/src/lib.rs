//! `fetcher`: makes the HTTP request its hook payload describes, headers
//! and all, and answers with the response. The guest of the tests of
//! `http-send` (world 0.1.3), and an example of
//! [`host::http::send`](plinth_guest::host::http::send).
//!
//! The payload is `{"method": "GET", "url": "http://...", "headers":
//! [["name", "value"], ...], "body": "..."}` (all but `url` optional); the
//! answer is `{"status": 200, "headers": [["name", "value"], ...], "body":
//! "..."}`.

use plinth_guest::host::http::{self, Request};
use plinth_guest::{Plugin, Value, json};

/// The fetcher: no state, no configuration.
struct Fetcher;

impl Plugin for Fetcher {
    fn initialize(_config: Value) -> Result<Self, String> {
        Ok(Fetcher)
    }

    fn on_hook(&mut self, _hook: &str, payload: Value) -> Result<Value, String> {
        let text = |key: &str| payload[key].as_str().map(str::to_owned);
        let url = text("url").ok_or("the payload names no url")?;
        let mut request = Request::new(text("method").unwrap_or_else(|| "GET".into()), url);
        let headers = match &payload["headers"] {
            Value::Null => &Vec::new(),
            Value::Array(headers) => headers,
            other => return Err(format!("headers are a list of pairs, not {other}")),
        };
        for pair in headers {
            match pair.as_array().map(Vec::as_slice) {
                Some([Value::String(name), Value::String(value)]) => {
                    request = request.header(name, value);
                }
                _ => return Err(format!("a header is a [name, value] pair, not {pair}")),
            }
        }
        if let Some(body) = text("body") {
            request = request.body(body);
        }
        let response = http::send(request)?;
        Ok(json!({
            "status": response.status,
            "headers": response.headers,
            "body": response.text(),
        }))
    }
}

plinth_guest::export!(Fetcher);
