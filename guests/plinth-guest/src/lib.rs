//! Write sandboxed plinth plugins in Rust.
//!
//! A sandboxed plugin is a WebAssembly *component* of the `plinth:plugin`
//! world (`crates/plinth-wasm/wit/plugin.wit`): the host calls its exports
//! (`initialize`, `on-hook`, `on-message`, `destroy`, `entities`,
//! `answer`) with JSON
//! text, and the plugin reaches the outside world only through the host's
//! imports, each checked against the capabilities the application granted.
//! This crate hides the component plumbing: implement [`Plugin`], name the
//! type once with [`export!`], and call the host through [`host`].
//!
//! ```no_run
//! use plinth_guest::{Plugin, Value, host, json};
//!
//! /// Counts the requests it sees and tags every `user:action`.
//! struct Counter {
//!     tag: String,
//! }
//!
//! impl Plugin for Counter {
//!     fn initialize(config: Value) -> Result<Self, String> {
//!         let tag = config["tag"].as_str().unwrap_or("seen").to_owned();
//!         host::log::info(&format!("counter up, tagging with {tag:?}"));
//!         Ok(Counter { tag })
//!     }
//!
//!     fn on_hook(&mut self, hook: &str, mut payload: Value) -> Result<Value, String> {
//!         // In the key-value store, which every instance shares: a field
//!         // would count only the calls of its own instance.
//!         host::kv::add("seen", 1)?;
//!         match hook {
//!             // A filter: the answer is the new value.
//!             "user:action" => {
//!                 payload[&self.tag] = json!(true);
//!                 Ok(payload)
//!             }
//!             // An action: the answer is ignored.
//!             "request:complete" => Ok(Value::Null),
//!             other => Err(format!("counter does not tap {other}")),
//!         }
//!     }
//!
//!     fn entities(&self) -> Value {
//!         let seen = host::kv::add("seen", 0).unwrap_or(0);
//!         json!({ "counters": { "seen": seen } })
//!     }
//! }
//!
//! plinth_guest::export!(Counter);
//! ```
//!
//! Build it as a `cdylib` for `wasm32-unknown-unknown` and turn the module
//! into a component with `tools/componentize` (`guests/build.sh` does both
//! for the guests in this repository; `guests/README.md` explains the
//! manifest and the capabilities).
//!
//! # State
//!
//! The host runs one or more *instances* of a plugin (`[sandbox] instances`
//! in its manifest; the application's default, 2 unless it says otherwise,
//! when the manifest is silent, and never more than the application
//! allows). Each instance is initialized once with the configuration, and
//! its [`Plugin`] value lives in the instance between calls. With more
//! than one instance the host spreads calls over them: hooks, messages,
//! `entities` and `answer` alike run on whichever instance is free. A
//! second instance is made only when calls overlap, so a test that calls
//! one at a time never sees the state split. State that all calls must see
//! belongs in the plugin's key-value store ([`host::kv`]), which every
//! instance shares.
//!
//! # Errors and panics
//!
//! Every `Err(String)` a plugin returns reaches the host as the call's
//! error. A panic aborts the instance (the component traps) after its
//! message is logged through the host at error level; the host treats the
//! trap as the plugin's fault.

use std::any::Any;
use std::cell::RefCell;
use std::marker::PhantomData;

pub use serde_json::{self, Value, json};

/// What the `wit-bindgen` macro generates for the `plugin` world; used by
/// [`export!`] and [`host`] only.
#[doc(hidden)]
pub mod __bindings {
    wit_bindgen::generate!({
        // A copy of the host's world (`crates/plinth-wasm/wit`), so that the
        // SDK builds outside this repository; a plinth-wasm test keeps the
        // two the same.
        path: "wit",
        world: "plugin",
        pub_export_macro: true,
        export_macro_name: "__export_plugin_world",
        default_bindings_module: "::plinth_guest::__bindings",
    });
}

use __bindings::exports::plinth::plugin::guest::Guest;

/// A sandboxed plinth plugin: the guest counterpart of plinth's in-process
/// `Plugin` trait.
///
/// Payloads, messages, configuration and entities are JSON values: the host
/// serializes a hook's typed payload to JSON before the call and
/// deserializes the answer back into the hook's type, so an answer must have
/// the shape the hook expects.
pub trait Plugin: Sized + 'static {
    /// Called once per fresh instance with the validated configuration
    /// (`{}` when the application gives none). An `Err` from the first
    /// instance fails the plugin's start. Later instances (made when calls
    /// overlap, or after a trap) are initialized inside the call that needs
    /// them: their `Err` is that call's error, and the next such call tries
    /// again. Keep `initialize` deterministic.
    fn initialize(config: Value) -> Result<Self, String>;

    /// A call of hook `hook` with its payload.
    ///
    /// - a filter: return the new value (the payload itself to pass it on
    ///   unchanged);
    /// - a bail hook: [`Value::Null`] passes, any other value stops the
    ///   chain with that value;
    /// - an action: the answer is ignored (return [`Value::Null`]).
    fn on_hook(&mut self, hook: &str, payload: Value) -> Result<Value, String>;

    /// A bus message on a topic the plugin subscribes to.
    fn on_message(&mut self, topic: &str, message: Value) -> Result<(), String> {
        let _ = (topic, message);
        Ok(())
    }

    /// Called on every instance when the plugin stops: the place to flush.
    /// An `Err` is reported as the plugin's failure to stop; the host then
    /// drops the instance all the same, so whatever `destroy` did not
    /// write by then is lost.
    fn destroy(&mut self) -> Result<(), String> {
        Ok(())
    }

    /// The plugin's entities: a JSON object of entity type to an object of
    /// key to value.
    fn entities(&self) -> Value {
        json!({})
    }

    /// Makes an instance of an extension the plugin's manifest declares with
    /// a `wasm:` module: extension `extension` of point `point` (`object`
    /// is the module's object, when the manifest names one), for a connect
    /// with `data`. `Ok(None)` declines: a single connect moves on to the
    /// next extension. By default every extension declines.
    fn answer(
        &mut self,
        point: &str,
        extension: &str,
        object: Option<&str>,
        data: Value,
    ) -> Result<Option<Value>, String> {
        let _ = (point, extension, object, data);
        Ok(None)
    }
}

/// Exports a [`Plugin`] type as the component's `guest` interface. Use it
/// once, in the plugin's `cdylib` crate:
///
/// ```no_run
/// # use plinth_guest::{Plugin, Value};
/// struct Echo;
///
/// impl Plugin for Echo {
///     fn initialize(_: Value) -> Result<Self, String> {
///         Ok(Echo)
///     }
///     fn on_hook(&mut self, _: &str, payload: Value) -> Result<Value, String> {
///         Ok(payload)
///     }
/// }
///
/// plinth_guest::export!(Echo);
/// ```
#[macro_export]
macro_rules! export {
    ($plugin:ty) => {
        const _: () = {
            type PlinthGuestAdapter = $crate::__private::Adapter<$plugin>;
            $crate::__bindings::__export_plugin_world!(PlinthGuestAdapter with_types_in $crate::__bindings);
        };
    };
}

/// Glue between the generated `Guest` trait and [`Plugin`]; used by
/// [`export!`] only.
#[doc(hidden)]
pub mod __private {
    pub use crate::Adapter;
}

/// Implements the component's exports for the plugin type `P`.
#[doc(hidden)]
pub struct Adapter<P>(PhantomData<P>);

thread_local! {
    /// The instance's plugin value, once initialized. A component instance
    /// is single-threaded and the host never re-enters it, so one slot per
    /// instance is all there is.
    static PLUGIN: RefCell<Option<Box<dyn Any>>> = const { RefCell::new(None) };
}

const NOT_INITIALIZED: &str = "not initialized";

/// Runs `f` on the instance's plugin value.
fn with_plugin<P: Plugin, R>(f: impl FnOnce(&mut P) -> Result<R, String>) -> Result<R, String> {
    PLUGIN.with(|slot| {
        let mut slot = slot
            .try_borrow_mut()
            .map_err(|_| "the plugin was re-entered".to_owned())?;
        match slot.as_mut().and_then(|p| p.downcast_mut::<P>()) {
            Some(plugin) => f(plugin),
            None => Err(NOT_INITIALIZED.to_owned()),
        }
    })
}

/// Parses JSON text from the host; `what` names it in the error.
fn parse(text: &str, what: impl FnOnce() -> String) -> Result<Value, String> {
    serde_json::from_str(text).map_err(|e| format!("{} is not JSON: {e}", what()))
}

/// Logs panics through the host before the abort traps the instance, so
/// that the message lands in the plugin's log span instead of nowhere.
fn install_panic_hook() {
    // Off wasm (the SDK's own tests) there is no host to log to.
    if cfg!(not(target_family = "wasm")) {
        return;
    }
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let message = info.payload_as_str().unwrap_or("Box<dyn Any>");
            let line = match info.location() {
                Some(at) => format!("panicked at {at}: {message}"),
                None => format!("panicked: {message}"),
            };
            host::log::error(&line);
        }));
    });
}

impl<P: Plugin> Guest for Adapter<P> {
    fn initialize(config: String) -> Result<(), String> {
        install_panic_hook();
        let config = parse(&config, || "the configuration".to_owned())?;
        // A failed initialize leaves the instance uninitialized.
        PLUGIN.with(|slot| slot.replace(None));
        let plugin = P::initialize(config)?;
        PLUGIN.with(|slot| slot.replace(Some(Box::new(plugin))));
        Ok(())
    }

    fn destroy() -> Result<(), String> {
        install_panic_hook();
        with_plugin::<P, _>(P::destroy)?;
        PLUGIN.with(|slot| slot.replace(None));
        Ok(())
    }

    fn on_hook(hook: String, payload: String) -> Result<String, String> {
        install_panic_hook();
        with_plugin::<P, _>(|plugin| {
            let payload = parse(&payload, || format!("the payload of {hook}"))?;
            let answer = plugin.on_hook(&hook, payload)?;
            serde_json::to_string(&answer).map_err(|e| e.to_string())
        })
    }

    fn on_message(topic: String, message: String) -> Result<(), String> {
        install_panic_hook();
        with_plugin::<P, _>(|plugin| {
            let message = parse(&message, || format!("the message on {topic}"))?;
            plugin.on_message(&topic, message)
        })
    }

    fn answer(
        point: String,
        extension: String,
        object: Option<String>,
        data: String,
    ) -> Result<Option<String>, String> {
        install_panic_hook();
        with_plugin::<P, _>(|plugin| {
            let data = parse(&data, || format!("the data of {point}"))?;
            plugin
                .answer(&point, &extension, object.as_deref(), data)?
                .map(|answer| serde_json::to_string(&answer).map_err(|e| e.to_string()))
                .transpose()
        })
    }

    fn entities() -> String {
        install_panic_hook();
        with_plugin::<P, _>(|plugin| {
            serde_json::to_string(&plugin.entities()).map_err(|e| e.to_string())
        })
        .unwrap_or_else(|_| "{}".to_owned())
    }
}

/// The host's imports, wrapped. Every call acts for the calling plugin
/// only: its log span, its configuration, its key-value store, its granted
/// capabilities. A call the application did not grant returns `Err` with the
/// host's reason; nothing traps.
pub mod host {
    use crate::__bindings::plinth::plugin::host as wit;
    use crate::Value;

    /// Logging into the plugin's tracing span.
    pub mod log {
        use super::wit;

        /// A log level, mapped onto the host's `tracing` levels.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Level {
            /// `tracing::Level::TRACE`.
            Trace,
            /// `tracing::Level::DEBUG`.
            Debug,
            /// `tracing::Level::INFO`.
            Info,
            /// `tracing::Level::WARN`.
            Warn,
            /// `tracing::Level::ERROR`.
            Error,
        }

        /// Logs `message` at `level`. The host keeps at most 8 KiB of a
        /// message, on one line, and a plugin's lines a second are bounded
        /// by the application (100 by default): lines over the rate are
        /// dropped and counted.
        pub fn log(level: Level, message: &str) {
            let level = match level {
                Level::Trace => wit::Level::Trace,
                Level::Debug => wit::Level::Debug,
                Level::Info => wit::Level::Info,
                Level::Warn => wit::Level::Warn,
                Level::Error => wit::Level::Error,
            };
            wit::log(level, message);
        }

        /// Logs at trace level.
        pub fn trace(message: &str) {
            log(Level::Trace, message);
        }

        /// Logs at debug level.
        pub fn debug(message: &str) {
            log(Level::Debug, message);
        }

        /// Logs at info level.
        pub fn info(message: &str) {
            log(Level::Info, message);
        }

        /// Logs at warn level.
        pub fn warn(message: &str) {
            log(Level::Warn, message);
        }

        /// Logs at error level.
        pub fn error(message: &str) {
            log(Level::Error, message);
        }
    }

    pub use log::Level;

    /// Logs `message` at `level` (the same as [`log::log`]).
    pub fn log(level: Level, message: &str) {
        log::log(level, message);
    }

    /// The plugin's validated configuration ([`Value::Null`] if the host
    /// ever sent text that is not JSON).
    pub fn config() -> Value {
        serde_json::from_str(&wit::config()).unwrap_or(Value::Null)
    }

    /// Publishes `message` on the bus topic `topic`. Fails on a typed
    /// topic the application did not offer to plugins, and on an offered
    /// one when the message does not fit its type.
    pub fn publish(topic: &str, message: &Value) -> Result<(), String> {
        let text = serde_json::to_string(message).map_err(|e| e.to_string())?;
        wit::publish(topic, &text)
    }

    /// The current time in milliseconds since the Unix epoch; needs the
    /// `clocks` permission.
    pub fn now_ms() -> Result<u64, String> {
        wit::now_ms()
    }

    /// `len` random bytes (at most 4096); needs the `random` permission.
    pub fn random_bytes(len: u32) -> Result<Vec<u8>, String> {
        wit::random_bytes(len)
    }

    /// The environment variable `name`, `None` when unset; needs `name` in
    /// the `env` permission.
    pub fn env(name: &str) -> Result<Option<String>, String> {
        wit::get_env(name)
    }

    /// The plugin's own key-value store, shared by all of its instances and
    /// kept across restarts of the plugin within one process. No
    /// permission needed.
    ///
    /// A `get` followed by a `set` is not atomic: with more than one
    /// instance another call may write between the two.
    pub mod kv {
        use super::wit;

        /// The value under `key`.
        pub fn get(key: &str) -> Option<Vec<u8>> {
            wit::kv_get(key)
        }

        /// Sets `key` to `value`. The host bounds the bytes of keys and
        /// values a plugin stores; a `set` past that bound traps.
        pub fn set(key: &str, value: impl AsRef<[u8]>) {
            wit::kv_set(key, value.as_ref());
        }

        /// Removes `key`; `true` when it was there.
        pub fn delete(key: &str) -> bool {
            wit::kv_delete(key)
        }

        /// Adds `delta` to the integer stored under `key` as decimal text
        /// (absent: 0) and returns the sum, as one step for all of the
        /// plugin's instances: the way to count across a pool. Fails,
        /// changing nothing, when the value is not a decimal integer or the
        /// sum overflows.
        pub fn add(key: &str, delta: i64) -> Result<i64, String> {
            wit::kv_add(key, delta)
        }

        /// The keys from `start` on (`start` included), in ascending byte
        /// order, at most `limit` of them (the host answers at most 1024).
        /// Keys sharing a prefix come together, so a prefix that orders
        /// them (a zero-padded number) lets a plugin find its oldest.
        pub fn keys(start: &str, limit: u32) -> Vec<String> {
            wit::kv_keys(start, limit)
        }
    }

    /// Files under the directories the plugin was granted. A path starts
    /// with the granted directory's name: `data/x.json` is `x.json` in the
    /// grant `data`.
    pub mod fs {
        use super::wit;

        /// Reads a whole file; needs a `read` or `write` grant.
        pub fn read(path: &str) -> Result<Vec<u8>, String> {
            wit::read_file(path)
        }

        /// Creates or replaces a file; needs a `write` grant. Past the
        /// application's disk quota for the plugin's files (256 MiB by
        /// default, in 4 KiB blocks) it fails and writes nothing.
        pub fn write(path: &str, contents: impl AsRef<[u8]>) -> Result<(), String> {
            wit::write_file(path, contents.as_ref(), false)
        }

        /// Appends to a file, creating it if needed; needs a `write` grant,
        /// and fits the disk quota as [`write`] does.
        pub fn append(path: &str, contents: impl AsRef<[u8]>) -> Result<(), String> {
            wit::write_file(path, contents.as_ref(), true)
        }
    }

    /// Outgoing HTTP to the hosts the plugin was granted.
    pub mod http {
        use super::wit;

        /// An HTTP request with headers, for [`send`].
        ///
        /// ```
        /// use plinth_guest::host::http::Request;
        /// let request = Request::new("POST", "https://api.example.com/v1/items")
        ///     .header("content-type", "application/json")
        ///     .header("authorization", "Bearer t0k3n")
        ///     .body(r#"{"name":"a"}"#);
        /// assert_eq!(request.headers.len(), 2);
        /// ```
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct Request {
            /// The method: `GET`, `POST`, ...
            pub method: String,
            /// `http://host:port/...` or `https://host:port/...` (the port
            /// is 80 or 443 when not given).
            pub url: String,
            /// Header names and values (visible ASCII). The host sets
            /// `host`, `content-length` and the connection's own headers: a
            /// request naming one of those is refused, as are more than 64
            /// headers or 64 KiB of them. An `authorization` header takes
            /// the place of the URL's user and password.
            pub headers: Vec<(String, String)>,
            /// The body.
            pub body: Vec<u8>,
        }

        impl Request {
            /// `method` to `url`, with no headers and an empty body.
            pub fn new(method: impl Into<String>, url: impl Into<String>) -> Self {
                Request {
                    method: method.into(),
                    url: url.into(),
                    ..Request::default()
                }
            }

            /// Adds a header.
            pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
                self.headers.push((name.into(), value.into()));
                self
            }

            /// Sets the body.
            pub fn body(mut self, body: impl Into<Vec<u8>>) -> Self {
                self.body = body.into();
                self
            }
        }

        /// An HTTP response.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        pub struct Response {
            /// The status code.
            pub status: u16,
            /// Header names (in lower case) and values; empty from
            /// [`request`].
            pub headers: Vec<(String, String)>,
            /// The body.
            pub body: Vec<u8>,
        }

        impl Response {
            /// The body as text (invalid UTF-8 replaced).
            pub fn text(&self) -> String {
                String::from_utf8_lossy(&self.body).into_owned()
            }

            /// The first value of the header `name` (any case).
            ///
            /// ```
            /// let response = plinth_guest::host::http::Response {
            ///     headers: vec![("content-type".into(), "text/plain".into())],
            ///     ..Default::default()
            /// };
            /// assert_eq!(response.header("Content-Type"), Some("text/plain"));
            /// assert_eq!(response.header("etag"), None);
            /// ```
            pub fn header(&self, name: &str) -> Option<&str> {
                self.headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.as_str())
            }
        }

        /// Sends `method url` with `body` (`http://host:port/...` or
        /// `https://host:port/...`, the server's certificate checked for
        /// the URL's host; the port is 80 or 443 when not given); needs
        /// `host:port`, or the bare host for any port, in the `net`
        /// permission (the scheme is not part of it). A host named by
        /// name reaches public addresses only, unless the application
        /// allows private networks. A redirect is
        /// answered as it came (a 3xx status): following it is a request
        /// of its own, checked against the grant like this one. The body
        /// read is at most 16 MiB.
        pub fn request(
            method: &str,
            url: &str,
            body: impl AsRef<[u8]>,
        ) -> Result<Response, String> {
            wit::http_request(method, url, body.as_ref()).map(|r| Response {
                status: r.status,
                headers: Vec::new(),
                body: r.body,
            })
        }

        /// Sends `request`, headers and all, under the checks of
        /// [`request`]; the response comes with its headers. (A guest
        /// built with this SDK imports plugin world 0.1.3, whether or not
        /// it calls `send`: it needs a host of 0.1.3 or newer, and an older
        /// one refuses to load it, naming both versions.)
        pub fn send(request: Request) -> Result<Response, String> {
            let Request {
                method,
                url,
                headers,
                body,
            } = request;
            wit::http_send(&wit::OutgoingRequest {
                method,
                url,
                headers,
                body,
            })
            .map(|r| Response {
                status: r.status,
                headers: r.headers,
                body: r.body,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Counter {
        calls: u64,
        step: u64,
        fail_destroy: bool,
    }

    impl Plugin for Counter {
        fn initialize(config: Value) -> Result<Self, String> {
            let step = config["step"].as_u64().ok_or("step is required")?;
            Ok(Counter {
                calls: 0,
                step,
                fail_destroy: false,
            })
        }

        fn on_hook(&mut self, hook: &str, payload: Value) -> Result<Value, String> {
            self.calls += self.step;
            match hook {
                "fail" => {
                    self.fail_destroy = true;
                    Ok(Value::Null)
                }
                _ => Ok(json!({ "hook": hook, "payload": payload, "calls": self.calls })),
            }
        }

        fn destroy(&mut self) -> Result<(), String> {
            if std::mem::take(&mut self.fail_destroy) {
                Err("not flushed".into())
            } else {
                Ok(())
            }
        }

        fn entities(&self) -> Value {
            json!({ "counters": { "calls": self.calls } })
        }
    }

    type A = Adapter<Counter>;

    #[test]
    fn the_lifecycle_through_the_exports() {
        // Calls before initialize fail; entities are empty.
        assert_eq!(
            A::on_hook("h".into(), "1".into()),
            Err("not initialized".into())
        );
        assert_eq!(
            A::on_message("t".into(), "1".into()),
            Err("not initialized".into())
        );
        assert_eq!(A::destroy(), Err("not initialized".into()));
        assert_eq!(A::entities(), "{}");

        // A failed initialize leaves the instance uninitialized.
        assert_eq!(A::initialize("{}".into()), Err("step is required".into()));
        assert_eq!(
            A::initialize("{".into()).unwrap_err(),
            "the configuration is not JSON: EOF while parsing an object at line 1 column 1"
        );
        assert_eq!(A::entities(), "{}");

        A::initialize(r#"{"step": 2}"#.into()).unwrap();
        let answer: Value =
            serde_json::from_str(&A::on_hook("h".into(), r#"{"a":[1,2]}"#.into()).unwrap())
                .unwrap();
        assert_eq!(
            answer,
            json!({ "hook": "h", "payload": { "a": [1, 2] }, "calls": 2 })
        );
        assert!(
            A::on_hook("h".into(), "nope".into())
                .unwrap_err()
                .starts_with("the payload of h is not JSON")
        );
        assert_eq!(A::on_message("t".into(), "null".into()), Ok(()));
        assert_eq!(A::entities(), r#"{"counters":{"calls":2}}"#);
        // Extensions decline unless the plugin answers them.
        assert_eq!(
            A::answer("p".into(), "x".into(), None, r#"{"n":1}"#.into()),
            Ok(None)
        );
        assert!(
            A::answer("p".into(), "x".into(), None, "{".into())
                .unwrap_err()
                .starts_with("the data of p is not JSON")
        );

        // A failed destroy keeps the value for another try; a good one
        // drops it.
        A::on_hook("fail".into(), "null".into()).unwrap();
        assert_eq!(A::destroy(), Err("not flushed".into()));
        assert_eq!(A::entities(), r#"{"counters":{"calls":4}}"#);
        assert_eq!(A::destroy(), Ok(()));
        assert_eq!(
            A::on_hook("h".into(), "1".into()),
            Err("not initialized".into())
        );
    }
}
