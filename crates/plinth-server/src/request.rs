//! The request hooks every server built on plinth shares: their payloads
//! and keys. Applications tap them through their plugins; the
//! [`RequestHooksLayer`](crate::RequestHooksLayer) calls them.

use std::net::IpAddr;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use plinth_hooks::{Action, Bail, Key};
use serde::{Deserialize, Serialize};

/// A request about to reach its handler, as `request:start` sees it.
///
/// ```
/// use plinth_server::RequestStart;
/// let r = RequestStart::new("GET", "/").with_ip([127, 0, 0, 1]);
/// assert!(r.ip.is_some_and(|ip| ip.is_loopback()));
/// assert_eq!(r.request_id, "");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestStart {
    /// The request id (taken from `x-request-id`, or generated).
    pub request_id: String,
    /// The HTTP method.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The client's address, when the server knows it. Serialized as
    /// text (`"127.0.0.1"`, `"::1"`) for sandboxed plugins.
    pub ip: Option<IpAddr>,
    /// The authenticated user, when a layer outside the request hooks
    /// put a [`ClientIdentity`] on the request.
    pub user_id: Option<String>,
    /// An application-chosen client key, from the same [`ClientIdentity`].
    pub key: Option<String>,
}

impl RequestStart {
    /// A request with a method and a path, nothing else known.
    ///
    /// ```
    /// # use plinth_server::RequestStart;
    /// assert_eq!(RequestStart::new("POST", "/a").method, "POST");
    /// ```
    pub fn new(method: impl Into<String>, path: impl Into<String>) -> Self {
        RequestStart {
            method: method.into(),
            path: path.into(),
            ..RequestStart::default()
        }
    }

    /// The same request, from `ip`.
    ///
    /// ```
    /// # use plinth_server::RequestStart;
    /// use std::net::Ipv6Addr;
    /// assert_eq!(RequestStart::new("GET", "/").with_ip(Ipv6Addr::LOCALHOST).ip, Some(Ipv6Addr::LOCALHOST.into()));
    /// ```
    pub fn with_ip(mut self, ip: impl Into<IpAddr>) -> Self {
        self.ip = Some(ip.into());
        self
    }

    /// The same request, by an authenticated user.
    ///
    /// ```
    /// # use plinth_server::RequestStart;
    /// assert_eq!(RequestStart::new("GET", "/").with_user("ada").user_id.as_deref(), Some("ada"));
    /// ```
    pub fn with_user(mut self, user_id: impl Into<String>) -> Self {
        self.user_id = Some(user_id.into());
        self
    }
}

/// Who the client is, as an authentication layer placed outside the
/// request hooks established it: put it in the request's extensions and
/// `request:start` sees it in [`RequestStart::user_id`] and
/// [`RequestStart::key`].
///
/// ```
/// use plinth_server::ClientIdentity;
/// let mut request = axum::http::Request::new(());
/// request.extensions_mut().insert(ClientIdentity { user_id: Some("ada".into()), key: None });
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClientIdentity {
    /// The authenticated user.
    pub user_id: Option<String>,
    /// An application-chosen client key.
    pub key: Option<String>,
}

/// Why `request:start` stopped a request: the response to send instead of
/// running the handler.
///
/// ```
/// use std::time::Duration;
/// use plinth_server::Rejection;
/// let r = Rejection::too_many_requests(Duration::from_millis(1500));
/// assert_eq!((r.status, r.retry_after_secs()), (429, Some(2)));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rejection {
    /// The HTTP status to answer with (a status outside 400..=599 is sent
    /// as 500: a rejection is an error).
    pub status: u16,
    /// When the client may try again (sent as `Retry-After`).
    pub retry_after: Option<Duration>,
    /// A message for the client.
    pub message: String,
}

impl Rejection {
    /// A rejection with a status and a message.
    ///
    /// ```
    /// # use plinth_server::Rejection;
    /// assert_eq!(Rejection::new(403, "forbidden").status, 403);
    /// ```
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Rejection {
            status,
            retry_after: None,
            message: message.into(),
        }
    }

    /// 429 Too Many Requests, retry after `retry_after`.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use plinth_server::Rejection;
    /// assert_eq!(Rejection::too_many_requests(Duration::ZERO).status, 429);
    /// ```
    pub fn too_many_requests(retry_after: Duration) -> Self {
        Rejection {
            status: 429,
            retry_after: Some(retry_after),
            message: "Too many requests".to_string(),
        }
    }

    /// `Retry-After` in whole seconds, rounded up (the header has no
    /// fractions, and rounding down would invite a retry that fails).
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use plinth_server::Rejection;
    /// assert_eq!(Rejection::too_many_requests(Duration::from_millis(1)).retry_after_secs(), Some(1));
    /// assert_eq!(Rejection::new(403, "no").retry_after_secs(), None);
    /// ```
    pub fn retry_after_secs(&self) -> Option<u64> {
        self.retry_after.map(|d| {
            let whole = d.as_secs();
            if d.subsec_nanos() > 0 {
                whole.saturating_add(1)
            } else {
                whole
            }
        })
    }
}

/// A request that was answered, as `request:complete` sees it.
///
/// ```
/// use plinth_server::RequestComplete;
/// let r = RequestComplete { request_id: "r1".into(), method: "GET".into(), path: "/".into(), status: 200, duration_ms: 3 };
/// assert_eq!(serde_json::to_value(&r)?["requestId"], "r1");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestComplete {
    /// The request id, as returned in `x-request-id`.
    pub request_id: String,
    /// The HTTP method.
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The status sent.
    pub status: u16,
    /// From the request's arrival to its response being ready, in
    /// milliseconds.
    pub duration_ms: u64,
}

/// `request:start`: runs before every request's handler; the first plugin
/// that answers with a [`Rejection`] stops the request, and the server sends
/// the rejection instead.
///
/// ```
/// use std::time::Duration;
/// use plinth_hooks::{PluginUrn, Registry};
/// use plinth_server::{Rejection, RequestStart, REQUEST_START};
/// let hooks = Registry::new();
/// hooks.hook(&REQUEST_START)?.tap(PluginUrn::new("limiter")?, |r: &RequestStart| {
///     (r.ip == Some([10, 0, 0, 1].into())).then(|| Rejection::too_many_requests(Duration::from_secs(1)))
/// });
/// let verdict = hooks.hook(&REQUEST_START)?.call(&RequestStart::new("GET", "/").with_ip([10, 0, 0, 1]))?;
/// assert_eq!(verdict.map(|r| r.status), Some(429));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub const REQUEST_START: Key<Bail<RequestStart, Rejection>> = Key::new("request:start");

/// `request:complete`: every answered request, called in the background
/// once its response is ready, so it never delays the response.
///
/// ```
/// use plinth_server::REQUEST_COMPLETE;
/// assert_eq!(REQUEST_COMPLETE.name(), "request:complete");
/// ```
pub const REQUEST_COMPLETE: Key<Action<RequestComplete>> = Key::new("request:complete");

/// The request id the server gave a request (the client's `x-request-id`,
/// or a generated one), in the request's extensions for handlers.
///
/// ```
/// use axum::Extension;
/// use plinth_server::RequestId;
/// async fn handler(Extension(id): Extension<RequestId>) -> String { id.0 }
/// # let _ = axum::Router::<()>::new().route("/", axum::routing::get(handler));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(pub String);

/// The longest `x-request-id` taken from a client.
pub(crate) const MAX_REQUEST_ID: usize = 128;

/// A client's id is kept only if short and printable: it ends up in logs
/// and audit files, where control characters could forge lines.
pub(crate) fn acceptable_request_id(id: &[u8]) -> bool {
    !id.is_empty() && id.len() <= MAX_REQUEST_ID && id.iter().all(|b| (0x21..=0x7e).contains(b))
}

/// A new request id: a random per-process prefix and a counter, unique
/// within the process and unguessable across processes without a system
/// call per request.
pub(crate) fn generate_request_id() -> String {
    static PREFIX: OnceLock<String> = OnceLock::new();
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| {
        let mut bytes = [0u8; 6];
        // Without entropy the ids are still unique in the process; only
        // their unpredictability across restarts is lost.
        let _ = getrandom::fill(&mut bytes);
        hex(&bytes)
    });
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    // `format!("{prefix}-{n:x}")`, without the formatting machinery: this
    // runs on every request.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let len = (64 - n.leading_zeros()).div_ceil(4).max(1);
    let mut id = String::with_capacity(prefix.len() + 1 + len as usize);
    id.push_str(prefix);
    id.push('-');
    for nibble in (0..len).rev() {
        id.push(char::from(DIGITS[((n >> (nibble * 4)) & 0xf) as usize]));
    }
    id
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_a_prefix_and_a_hex_counter() {
        let ids: Vec<String> = (0..40).map(|_| generate_request_id()).collect();
        let (prefix, _) = ids[0].split_once('-').unwrap();
        assert_eq!(prefix.len(), 12);
        let counters: Vec<u64> = ids
            .iter()
            .map(|id| {
                let (p, n) = id.split_once('-').unwrap();
                assert_eq!(p, prefix);
                assert_eq!(format!("{:x}", u64::from_str_radix(n, 16).unwrap()), n);
                u64::from_str_radix(n, 16).unwrap()
            })
            .collect();
        // Other tests draw ids too: increasing, not consecutive.
        assert!(counters.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    }

    #[test]
    fn request_ids_from_clients_are_short_and_printable() {
        assert!(acceptable_request_id(b"abc-123"));
        assert!(!acceptable_request_id(b""));
        assert!(!acceptable_request_id(b"a b"));
        assert!(!acceptable_request_id(b"a\nb"));
        assert!(!acceptable_request_id(&[b'a'; MAX_REQUEST_ID + 1]));
    }

    #[test]
    fn generated_ids_differ() {
        assert_ne!(generate_request_id(), generate_request_id());
    }
}
