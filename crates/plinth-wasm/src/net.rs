//! A guest's outgoing HTTP: to granted hosts only, without redirects,
//! within what is left of the call, and, for a host granted by name, to
//! public addresses only unless the policy allows private networks.
//!
//! A name is resolved here, not by the HTTP client: the addresses it
//! resolves to are checked, and the request is sent to one of those very
//! addresses. A name that resolved to a public address when checked cannot
//! resolve to `127.0.0.1` when connected (DNS rebinding).

use std::cell::RefCell;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use wasmtime::component::{ComponentType, Lift, Lower};

use crate::error::shown;
use crate::grants::Capabilities;
use crate::host::Shared;

/// The most of an HTTP response's body a guest gets.
const MAX_BODY: u64 = 16 << 20;

/// Name lookups of one plugin in progress at once. A lookup that outlasts
/// its call keeps its thread until the system's resolver gives up; the
/// bound keeps a guest from piling up such threads.
pub(crate) const MAX_LOOKUPS: usize = 4;

/// The most headers of a request.
const MAX_HEADERS: usize = 64;
/// The most bytes of a request's header names and values together.
const MAX_HEADER_BYTES: usize = 64 << 10;
/// Headers the host sets, or that belong to the connection rather than the
/// request: a guest naming one could smuggle a second request, switch the
/// connection to another protocol, or reach a proxy's authority.
const HOST_HEADERS: [&str; 13] = [
    "connection",
    "content-length",
    "expect",
    "host",
    "http2-settings",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];
/// The most bytes of a response's headers (ureq's default, set here so
/// that it stays the host's choice); ureq also refuses more than 128.
const MAX_RESPONSE_HEADER_BYTES: usize = 64 << 10;

/// `http-request`'s answer.
#[derive(ComponentType, Lower, Clone, Debug)]
#[component(record)]
pub(crate) struct HttpResponse {
    status: u16,
    body: Vec<u8>,
}

/// `http-send`'s request.
#[derive(ComponentType, Lift, Clone, Debug)]
#[component(record)]
pub(crate) struct OutgoingRequest {
    method: String,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// `http-send`'s answer.
#[derive(ComponentType, Lower, Clone, Debug)]
#[component(record)]
pub(crate) struct IncomingResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// Whether `ip` is a public address: not loopback, private, link-local
/// (where cloud metadata services answer), shared, unspecified,
/// broadcast, multicast, or reserved for documentation, benchmarks or
/// the future. An IPv4 address inside IPv6 (mapped, NAT64 or 6to4) is
/// judged as IPv4.
pub(crate) fn public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public_v4(v4);
            }
            let s = v6.segments();
            let v4 = |hi: u16, lo: u16| {
                let [a, b] = hi.to_be_bytes();
                let [c, d] = lo.to_be_bytes();
                Ipv4Addr::new(a, b, c, d)
            };
            // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) carry an IPv4
            // address, which is what is reached.
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4] {
                return public_v4(v4(s[6], s[7]));
            }
            if s[0] == 0x2002 {
                return public_v4(v4(s[1], s[2]));
            }
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                // IPv4-compatible (::/96, deprecated): refused whole.
                || s[0..6] == [0; 6]
                // Local-use NAT64 (64:ff9b:1::/48), to private IPv4.
                || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1)
                // Discard-only (100::/64).
                || (s[0] == 0x100 && s[1..4] == [0; 3])
                // Benchmarking (2001:2::/48), documentation (2001:db8::/32,
                // 3fff::/20), segment routing (5f00::/16).
                || (s[0] == 0x2001 && s[1] == 2 && s[2] == 0)
                || (s[0] == 0x2001 && s[1] == 0xdb8)
                || (s[0] & 0xfff0) == 0x3ff0
                || s[0] == 0x5f00
                // Unique local (fc00::/7), link-local (fe80::/10),
                // site-local (fec0::/10, deprecated).
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0)
        }
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        // Shared address space (100.64.0.0/10), carrier-grade NAT.
        || (a == 100 && (b & 0xc0) == 64)
        // Protocol assignments (192.0.0.0/24), benchmarking (198.18.0.0/15).
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b & 0xfe) == 18)
        // Reserved (240.0.0.0/4).
        || a >= 240)
}

/// `http-request`: `method` to `url` with `body`, answering by `due`.
pub(crate) fn http_request(
    plugin: &Shared,
    due: Instant,
    method: &str,
    url: &str,
    body: Vec<u8>,
) -> Result<HttpResponse, String> {
    send(plugin, due, method, url, &[], body).map(|r| HttpResponse {
        status: r.status,
        body: r.body,
    })
}

/// `http-send`: `http-request` with headers both ways. The guest's headers
/// are checked before anything else: a bad one fails the request as the
/// guest's error, not a denial.
pub(crate) fn http_send(
    plugin: &Shared,
    due: Instant,
    request: OutgoingRequest,
) -> Result<IncomingResponse, String> {
    check_headers(&request.headers)?;
    send(
        plugin,
        due,
        &request.method,
        &request.url,
        &request.headers,
        request.body,
    )
}

fn check_headers(headers: &[(String, String)]) -> Result<(), String> {
    if headers.len() > MAX_HEADERS {
        return Err(format!(
            "{} headers; at most {MAX_HEADERS} are sent",
            headers.len()
        ));
    }
    let bytes: usize = headers.iter().map(|(n, v)| n.len() + v.len()).sum();
    if bytes > MAX_HEADER_BYTES {
        return Err(format!(
            "{bytes} bytes of headers; at most {MAX_HEADER_BYTES} are sent"
        ));
    }
    for (name, value) in headers {
        let name = ureq::http::HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("bad header name {}", shown(name)))?;
        if HOST_HEADERS.contains(&name.as_str()) {
            return Err(format!("header {name:?} is the host's to set"));
        }
        // Visible ASCII, spaces and tabs: what every header, credentials
        // included, can carry.
        let visible = value
            .bytes()
            .all(|b| b == b'\t' || (b' '..=b'~').contains(&b));
        if !visible {
            return Err(format!("bad value of header {name:?}: {}", shown(value)));
        }
    }
    Ok(())
}

/// Sends `method` to `url` with `headers` and `body`, answering by `due`.
fn send(
    plugin: &Shared,
    due: Instant,
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> Result<IncomingResponse, String> {
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|e| format!("bad URL {}: {e}", shown(url)))?;
    let default_port = match uri.scheme_str() {
        Some("http") => 80,
        Some("https") => 443,
        _ => {
            return Err(format!(
                "only http:// and https:// URLs are supported, not {}",
                shown(url)
            ));
        }
    };
    let host = uri
        .host()
        .ok_or_else(|| format!("URL {} has no host", shown(url)))?;
    let port = uri.port_u16().unwrap_or(default_port);
    let authority = format!("{host}:{port}");
    if !plugin.caps.may_connect(&authority) {
        return Err(plugin.deny(format!("net {}", shown(&authority))));
    }
    if plugin.caps.https_only && uri.scheme_str() == Some("http") {
        return Err(plugin.deny(format!(
            "net {}: plain HTTP, and the policy allows HTTPS only",
            shown(&authority)
        )));
    }
    let wait = left(plugin, due)?;
    // An address the operator's grant names is allowed as it is; one a
    // wildcard grant let the manifest name must be public, as must those
    // a name resolves to.
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let addresses = match literal.parse::<IpAddr>() {
        Ok(ip) => {
            if !(plugin.caps.private_networks
                || public(ip)
                || plugin.caps.grants_by_name(&authority))
            {
                return Err(plugin.deny(format!(
                    "net {}: a non-public address granted only through `*`, and the policy does not allow private networks",
                    shown(&authority)
                )));
            }
            vec![SocketAddr::new(ip, port)]
        }
        Err(_) => {
            let found = lookup(plugin, host, port, wait)?;
            let (kept, refused): (Vec<_>, Vec<_>) = found
                .into_iter()
                .partition(|a| plugin.caps.private_networks || public(a.ip()));
            if kept.is_empty() {
                let listed: Vec<String> = refused.iter().map(|a| a.ip().to_string()).collect();
                return Err(plugin.deny(format!(
                    "net {}: it resolves to non-public addresses only ({}), and the policy does not allow private networks",
                    shown(&authority),
                    listed.join(", ")
                )));
            }
            kept
        }
    };
    exchange(plugin, due, method, uri, addresses, headers, body)
}

/// Sends the request to `addresses`, whatever `uri`'s host resolves to,
/// answering by `due`.
fn exchange(
    plugin: &Shared,
    due: Instant,
    method: &str,
    uri: ureq::http::Uri,
    addresses: Vec<SocketAddr>,
    headers: &[(String, String)],
    body: Vec<u8>,
) -> Result<IncomingResponse, String> {
    let mut request = ureq::http::Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let request = request.body(body).map_err(|e| e.to_string())?;
    let agent = plugin.http.agent(&plugin.caps);
    let request = agent
        .configure_request(request)
        .timeout_global(Some(left(plugin, due)?))
        .build();
    // The client connects to the addresses checked, trying each in turn,
    // while the URL keeps its name: `Host`, TLS's server name and the
    // certificate's check are the name's, as the guest wrote it.
    let _route = Route::to(addresses);
    let mut response = agent.run(request).map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            (name.as_str().to_owned(), value)
        })
        .collect();
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_BODY)
        .read_to_vec()
        .map_err(|e| e.to_string())?;
    Ok(IncomingResponse {
        status,
        headers,
        body,
    })
}

/// A plugin's HTTP client, shared by its instances and made at its first
/// request: one agent, so that a connection to a host, and its TLS
/// session, serves the plugin's next requests to that host (at most
/// [`IDLE_CONNECTIONS`] kept, for at most 15 seconds idle). A connection
/// kept was made to an address checked for the same scheme, host and port,
/// under the same grant.
#[derive(Debug, Default)]
pub(crate) struct Client(OnceLock<ureq::Agent>);

/// The most idle connections a plugin's client keeps.
const IDLE_CONNECTIONS: usize = 4;

impl Client {
    fn agent(&self, caps: &Capabilities) -> &ureq::Agent {
        self.0.get_or_init(|| {
            let mut tls = ureq::tls::TlsConfig::builder();
            if let Some(roots) = &caps.tls_roots {
                tls = tls.root_certs(roots.clone());
            }
            let config = ureq::Agent::config_builder()
                .http_status_as_error(false)
                // A redirect is the guest's to follow: followed here, it
                // would reach a host the grant was never checked against.
                .max_redirects(0)
                // Straight to the addresses checked: a proxy from the
                // environment would be a host the grant never named.
                .proxy(None)
                .max_response_header_size(MAX_RESPONSE_HEADER_BYTES)
                .max_idle_connections(IDLE_CONNECTIONS)
                .max_idle_connections_per_host(2)
                .tls_config(tls.build())
                .build();
            ureq::Agent::with_parts(
                config,
                ureq::unversioned::transport::DefaultConnector::new(),
                Checked,
            )
        })
    }
}

thread_local! {
    /// The addresses checked for the request this thread is sending.
    static ROUTE: RefCell<Vec<SocketAddr>> = const { RefCell::new(Vec::new()) };
}

/// The addresses of the request the current thread sends, until dropped.
/// The client asks its resolver on the thread that runs the request; a
/// resolver asked anywhere else finds no address, and the request fails.
struct Route(Vec<SocketAddr>);

impl Route {
    fn to(addresses: Vec<SocketAddr>) -> Route {
        Route(ROUTE.with(|route| route.replace(addresses)))
    }
}

impl Drop for Route {
    fn drop(&mut self) {
        ROUTE.with(|route| *route.borrow_mut() = std::mem::take(&mut self.0));
    }
}

/// The client's resolver: the addresses the host checked for the request
/// this thread is sending, whatever the URL's name.
#[derive(Debug)]
struct Checked;

impl ureq::unversioned::resolver::Resolver for Checked {
    fn resolve(
        &self,
        _uri: &ureq::http::Uri,
        _config: &ureq::config::Config,
        _timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        let mut found = self.empty();
        ROUTE.with(|route| {
            // The client keeps at most 16; the rest are not tried.
            for address in route.borrow().iter() {
                if found.try_push(*address).is_err() {
                    break;
                }
            }
        });
        if found.is_empty() {
            return Err(ureq::Error::HostNotFound);
        }
        Ok(found)
    }
}

/// What is left of the call's deadline: a request made late in a call
/// would hold the thread past it.
fn left(plugin: &Shared, due: Instant) -> Result<Duration, String> {
    let left = due.saturating_duration_since(Instant::now());
    if left.is_zero() {
        Err(format!(
            "the call's deadline of {} ms has passed",
            plugin.deadline.as_millis()
        ))
    } else {
        Ok(left)
    }
}

/// The addresses of `host`, waiting at most `wait`. The system's resolver
/// cannot be interrupted, so it runs on a thread of its own, which a
/// lookup that outlasts `wait` leaves behind until the resolver gives up;
/// at most [`MAX_LOOKUPS`] of a plugin's run at once.
fn lookup(
    plugin: &Shared,
    host: &str,
    port: u16,
    wait: Duration,
) -> Result<Vec<SocketAddr>, String> {
    let in_flight = plugin.lookups.clone();
    if in_flight.fetch_add(1, Ordering::AcqRel) >= MAX_LOOKUPS {
        in_flight.fetch_sub(1, Ordering::AcqRel);
        return Err(format!(
            "{} name lookups of this plugin are in progress already",
            MAX_LOOKUPS
        ));
    }
    let (tx, rx) = mpsc::sync_channel(1);
    let name = format!("{host}:{port}");
    let spawned = std::thread::Builder::new()
        .name("plinth-wasm-lookup".into())
        .spawn(move || {
            let _done = Done(in_flight.clone());
            let _ = tx.send(name.to_socket_addrs().map(Iterator::collect::<Vec<_>>));
        });
    if let Err(e) = spawned {
        // The closure, and with it the count, was dropped unrun.
        plugin.lookups.fetch_sub(1, Ordering::AcqRel);
        return Err(format!("cannot start a name lookup: {e}"));
    }
    match rx.recv_timeout(wait) {
        Ok(Ok(found)) if !found.is_empty() => Ok(found),
        Ok(Ok(_)) => Err(format!("{}: no address found", shown(host))),
        Ok(Err(e)) => Err(format!("{}: {e}", shown(host))),
        Err(_) => Err(format!(
            "{}: the name lookup outlasted the call",
            shown(host)
        )),
    }
}

/// Counts a lookup as finished when its thread ends, however it ends.
struct Done(Arc<AtomicUsize>);

impl Drop for Done {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

// The integration tests' loopback servers, of which these tests use one.
#[cfg(test)]
#[allow(dead_code)]
#[path = "../tests/common/http.rs"]
mod http_server;

#[cfg(test)]
mod tests {
    use super::*;

    /// A server that accepts and never answers: a request to it lasts as
    /// long as its timeout.
    fn silent() -> (std::net::TcpListener, String) {
        let server = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = server.local_addr().unwrap().to_string();
        (server, addr)
    }

    #[test]
    fn an_http_request_waits_only_for_what_is_left_of_the_call() {
        let (_server, addr) = silent();
        let p = Shared::for_tests(&addr);
        let url = format!("http://{addr}/");
        let passed = Instant::now().checked_sub(Duration::from_millis(1));
        let err = http_request(&p, passed.unwrap(), "GET", &url, Vec::new()).unwrap_err();
        assert!(err.contains("deadline of 30000 ms has passed"), "{err}");

        // 200 ms left of a 30 s deadline: the request gives up with the
        // call, not 30 s later.
        let started = Instant::now();
        let left = started + Duration::from_millis(200);
        let err = http_request(&p, left, "GET", &url, Vec::new()).unwrap_err();
        assert!(err.to_lowercase().contains("timeout"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10), "{err}");
    }

    /// A request to a name goes to an address it resolved to, with the
    /// name in `Host` and the URL's user and password as basic
    /// authentication, as the client would have sent them; the guest's
    /// headers go with it, and the answer's come back.
    #[test]
    fn a_request_to_a_name_keeps_its_host_credentials_and_headers() {
        let (port, answered) = http_server::echoing_head("200 OK\r\nX-Seen: yes");
        let mut p = Shared::for_tests(&format!("localhost:{port}"));
        p.caps.private_networks = true;
        let due = Instant::now() + Duration::from_secs(10);
        let request = OutgoingRequest {
            method: "POST".into(),
            url: format!("http://u:p@localhost:{port}/a/b?c=d"),
            headers: vec![("X-Api-Key".into(), "k1".into())],
            body: b"{}".to_vec(),
        };
        let response = http_send(&p, due, request).unwrap();
        answered.join().unwrap();
        assert!(
            response
                .headers
                .contains(&("x-seen".to_owned(), "yes".to_owned())),
            "{:?}",
            response.headers
        );
        let head = String::from_utf8(response.body).unwrap();

        assert!(
            head.contains(&format!("\r\nhost: localhost:{port}\r\n")),
            "{head}"
        );
        // `u:p` in base 64.
        assert!(head.contains("\r\nauthorization: basic dtpw\r\n"), "{head}");
        assert!(head.contains("\r\nx-api-key: k1\r\n"), "{head}");
    }

    /// HTTPS to a name connects to an address checked, and asks for and
    /// checks the certificate of the name: the one of the URL.
    #[test]
    fn https_checks_the_certificate_of_the_name_at_the_address_checked() {
        let authority = http_server::Authority::new();
        let roots = crate::TlsRoots::from_pem(authority.pem.as_bytes()).unwrap();
        let (port, answered) = http_server::echoing_head_tls("200 OK", &authority);
        let mut p = Shared::for_tests(&format!("localhost:{port}"));
        p.caps.private_networks = true;
        p.caps.tls_roots = Some(roots.0.clone());
        let due = Instant::now() + Duration::from_secs(10);
        let url = format!("https://localhost:{port}/a?b=c");
        let response = http_request(&p, due, "GET", &url, Vec::new()).unwrap();
        assert_eq!(response.status, 200);
        assert_eq!(
            answered.join().unwrap().unwrap().as_deref(),
            Some("localhost")
        );
        let head = String::from_utf8(response.body).unwrap();
        assert!(head.starts_with("get /a?b=c http/1.1\r\n"), "{head}");
        assert!(
            head.contains(&format!("\r\nhost: localhost:{port}\r\n")),
            "{head}"
        );

        // The same server, its certificate checked against Mozilla's roots:
        // refused before a request is sent.
        let (port, answered) = http_server::echoing_head_tls("200 OK", &authority);
        let mut p = Shared::for_tests(&format!("localhost:{port}"));
        p.caps.private_networks = true;
        let url = format!("https://localhost:{port}/");
        let err = http_request(&p, due, "GET", &url, Vec::new()).unwrap_err();
        assert!(err.contains("UnknownIssuer"), "{err}");
        assert!(answered.join().unwrap().is_err());

        // Its address in the URL: the certificate is for `localhost` only.
        let (port, answered) = http_server::echoing_head_tls("200 OK", &authority);
        let mut p = Shared::for_tests(&format!("127.0.0.1:{port}"));
        p.caps.tls_roots = Some(roots.0.clone());
        let url = format!("https://127.0.0.1:{port}/");
        let err = http_request(&p, due, "GET", &url, Vec::new()).unwrap_err();
        assert!(err.contains("not valid for name \"127.0.0.1\""), "{err}");
        assert!(answered.join().unwrap().is_err());
    }

    /// A server that accepts and never answers the TLS handshake: the
    /// request gives up with the call.
    #[test]
    fn a_tls_handshake_waits_only_for_what_is_left_of_the_call() {
        let (_server, addr) = silent();
        let p = Shared::for_tests(&addr);
        let started = Instant::now();
        let due = started + Duration::from_millis(200);
        let url = format!("https://{addr}/");
        let err = http_request(&p, due, "GET", &url, Vec::new()).unwrap_err();
        assert!(err.to_lowercase().contains("timeout"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(10), "{err}");
    }

    /// Roots that are PEM but not certificates are refused when the
    /// policy is made, not at a plugin's first request.
    #[test]
    fn tls_roots_that_are_not_certificates_are_refused() {
        let err = crate::TlsRoots::from_pem(
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap_err();
        assert!(
            err.to_string().starts_with("TLS roots: certificate 1: "),
            "{err}"
        );
        let authority = http_server::Authority::new();
        assert!(crate::TlsRoots::from_pem(authority.pem.as_bytes()).is_ok());
    }

    /// The client connects where the host's resolver said, never where
    /// it would have looked the name up itself.
    #[test]
    fn the_request_goes_to_the_addresses_checked_whatever_the_name() {
        let (port, answered) = http_server::echoing_head("200 OK");
        let p = Shared::for_tests("unused");
        let due = Instant::now() + Duration::from_secs(10);
        // `.invalid` names resolve nowhere (RFC 6761).
        let uri = format!("http://plinth.invalid:{port}/").parse().unwrap();
        let to = vec![SocketAddr::from(([127, 0, 0, 1], port))];
        let response = exchange(&p, due, "GET", uri, to, &[], Vec::new()).unwrap();
        answered.join().unwrap();
        let head = String::from_utf8(response.body).unwrap();
        assert!(
            head.contains(&format!("\r\nhost: plinth.invalid:{port}\r\n")),
            "{head}"
        );
    }

    /// A plugin's requests to one host share a connection; another
    /// plugin's do not.
    #[test]
    fn a_plugins_requests_to_a_host_share_its_connection() {
        let (addr, accepted) = http_server::keeping_alive();
        let url = format!("http://{addr}/");
        let due = Instant::now() + Duration::from_secs(10);
        let p = Shared::for_tests(&addr.to_string());
        for _ in 0..3 {
            let response = http_request(&p, due, "GET", &url, Vec::new()).unwrap();
            assert_eq!(response.body, b"ok");
        }
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
        let other = Shared::for_tests(&addr.to_string());
        http_request(&other, due, "GET", &url, Vec::new()).unwrap();
        assert_eq!(accepted.load(Ordering::SeqCst), 2);
    }

    /// Under an HTTPS-only policy a plain-HTTP request to a granted host
    /// is a denied attempt, and nothing is sent.
    #[test]
    fn plain_http_is_refused_under_an_https_only_policy() {
        let (_server, addr) = silent();
        let mut p = Shared::for_tests(&addr);
        p.caps.https_only = true;
        let due = Instant::now() + Duration::from_secs(10);
        let url = format!("http://{addr}/");
        let err = http_request(&p, due, "GET", &url, Vec::new()).unwrap_err();
        assert!(err.contains("the policy allows HTTPS only"), "{err}");
        assert_eq!(p.counters.denied.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn a_url_of_another_scheme_is_refused() {
        let p = Shared::for_tests("localhost:21");
        let due = Instant::now() + Duration::from_secs(10);
        let err = http_request(&p, due, "GET", "ftp://localhost:21/", Vec::new()).unwrap_err();
        assert_eq!(
            err,
            "only http:// and https:// URLs are supported, not \"ftp://localhost:21/\""
        );
    }

    /// The guest's headers are checked before anything is sent: no
    /// second `Host`, no framing or connection headers, nothing a header
    /// cannot hold, and not too many.
    #[test]
    fn headers_the_host_sets_or_cannot_send_are_refused() {
        let refused = |headers: Vec<(&str, &str)>| {
            let headers: Vec<(String, String)> = headers
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect();
            check_headers(&headers).unwrap_err()
        };
        assert_eq!(
            refused(vec![("Host", "evil.example")]),
            "header \"host\" is the host's to set"
        );
        for name in ["transfer-encoding", "Connection", "expect", "te", "upgrade"] {
            assert!(
                refused(vec![(name, "x")]).contains("host's to set"),
                "{name}"
            );
        }
        assert!(refused(vec![("authorization", "Bearer é")]).starts_with("bad value of header"));
        assert!(refused(vec![("x-a", "1\r\nx-b: 2")]).starts_with("bad value of header"));
        assert!(refused(vec![("bad name", "1")]).starts_with("bad header name"));
        assert!(refused(vec![("x", "1"); 65]).starts_with("65 headers"));
        let big = "v".repeat(MAX_HEADER_BYTES);
        assert!(refused(vec![("x", big.as_str())]).contains("bytes of headers"));
        check_headers(&[("Authorization".into(), "Bearer t".into())]).unwrap();
    }

    /// An address granted by name is the operator's choice; one that a
    /// wildcard grant let the manifest name must be public.
    #[test]
    fn a_private_address_granted_only_through_a_wildcard_is_refused() {
        let mut p = Shared::for_tests("127.0.0.1:9");
        // As `*` grants it: the manifest's entry, not the operator's.
        p.caps.net_named.clear();
        let due = Instant::now() + Duration::from_secs(10);
        let err = http_request(&p, due, "GET", "http://127.0.0.1:9/", Vec::new()).unwrap_err();
        assert!(
            err.contains("a non-public address granted only through `*`"),
            "{err}"
        );
        assert_eq!(p.counters.denied.load(Ordering::Relaxed), 1);
        // Named by the grant: allowed (and refused by the port, unused).
        p.caps.net_named = vec!["127.0.0.1".into()];
        let err = http_request(&p, due, "GET", "http://127.0.0.1:9/", Vec::new()).unwrap_err();
        assert!(!err.contains("denied"), "{err}");
    }

    #[test]
    fn public_addresses_are_told_from_the_rest() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:93.184.216.34",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert!(public(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "0.1.2.3",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.0.8",
            "192.0.2.1",
            "198.18.0.1",
            "240.0.0.1",
            "::",
            "::1",
            "fd00::1",
            "fe80::1",
            "ff02::1",
            "2001:db8::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a00:1",
            "::127.0.0.1",
            "2002:7f00:1::1",
            "64:ff9b:1::808:808",
            "100::1",
            "2001:2::1",
            "3fff::1",
            "5f00::1",
            "fec0::1",
        ] {
            assert!(!public(ip.parse().unwrap()), "{ip}");
        }
    }
}
