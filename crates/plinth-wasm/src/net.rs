//! A guest's outgoing HTTP: to granted hosts only, without redirects,
//! within what is left of the call, and, for a host granted by name, to
//! public addresses only unless the policy allows private networks.
//!
//! A name is resolved here, not by the HTTP client: the addresses it
//! resolves to are checked, and the request is sent to one of those very
//! addresses. A name that resolved to a public address when checked cannot
//! resolve to `127.0.0.1` when connected (DNS rebinding).

use std::net::{IpAddr, Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use wasmtime::component::{ComponentType, Lower};

use crate::error::shown;
use crate::host::Shared;

/// The most of an HTTP response's body a guest gets.
const MAX_BODY: u64 = 16 << 20;

/// Name lookups of one plugin in progress at once. A lookup that outlasts
/// its call keeps its thread until the system's resolver gives up; the
/// bound keeps a guest from piling up such threads.
pub(crate) const MAX_LOOKUPS: usize = 4;

#[derive(ComponentType, Lower, Clone, Debug)]
#[component(record)]
pub(crate) struct HttpResponse {
    status: u16,
    body: Vec<u8>,
}

/// Whether `ip` is a public address: not loopback, private, link-local
/// (where cloud metadata services answer), shared, unspecified,
/// broadcast, multicast, or reserved for documentation, benchmarks or
/// the future. An IPv4 address inside IPv6 (mapped, or NAT64) is judged as
/// IPv4.
pub(crate) fn public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return public_v4(v4);
            }
            let s = v6.segments();
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0; 4] {
                let [a, b] = s[6].to_be_bytes();
                let [c, d] = s[7].to_be_bytes();
                return public_v4(Ipv4Addr::new(a, b, c, d));
            }
            !(v6.is_unspecified()
                || v6.is_loopback()
                || v6.is_multicast()
                // Unique local (fc00::/7), link-local (fe80::/10).
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                // Documentation (2001:db8::/32); IPv4-compatible (::/96).
                || (s[0] == 0x2001 && s[1] == 0xdb8)
                || s[0..6] == [0; 6])
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

/// Sends the guest's request: `method` to `url`, with `body`, answering
/// by `due`.
pub(crate) fn http_request(
    plugin: &Shared,
    due: Instant,
    method: &str,
    url: &str,
    body: Vec<u8>,
) -> Result<HttpResponse, String> {
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|e| format!("bad URL {}: {e}", shown(url)))?;
    if uri.scheme_str() != Some("http") {
        return Err(format!(
            "only http:// URLs are supported, not {}",
            shown(url)
        ));
    }
    let host = uri
        .host()
        .ok_or_else(|| format!("URL {} has no host", shown(url)))?;
    let port = uri.port_u16().unwrap_or(80);
    let authority = format!("{host}:{port}");
    if !plugin.caps.may_connect(&authority) {
        return Err(plugin.deny(format!("net {}", shown(&authority))));
    }
    let wait = left(plugin, due)?;
    // An address in the URL is granted as itself; a name is resolved, and
    // what it resolves to checked.
    let literal = host.trim_start_matches('[').trim_end_matches(']');
    let addresses = match literal.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
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
    // The request goes to the address checked; the name goes in `Host`,
    // as the client would have put it, and the URL's user and password
    // stay for its basic authentication.
    let host_header = match uri.port_u16() {
        Some(port) if port != 80 => format!("{host}:{port}"),
        _ => host.to_owned(),
    };
    let userinfo = uri
        .authority()
        .and_then(|a| a.as_str().rsplit_once('@'))
        .map(|(user, _)| format!("{user}@"))
        .unwrap_or_default();
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let mut last = String::new();
    for address in addresses {
        let left = left(plugin, due)?;
        let target = format!("http://{userinfo}{address}{path}");
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(&target)
            .header("host", &host_header)
            .body(body.clone())
            .map_err(|e| e.to_string())?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(left))
            .http_status_as_error(false)
            // A redirect is the guest's to follow: followed here, it would
            // reach a host the grant was never checked against.
            .max_redirects(0)
            .build()
            .into();
        match agent.run(request) {
            Ok(mut response) => {
                let status = response.status().as_u16();
                let body = response
                    .body_mut()
                    .with_config()
                    .limit(MAX_BODY)
                    .read_to_vec()
                    .map_err(|e| e.to_string())?;
                return Ok(HttpResponse { status, body });
            }
            // Refused before anything was sent: the next address, if any,
            // may answer.
            Err(e) if unreachable(&e) => last = format!("{address}: {e}"),
            Err(e) => return Err(e.to_string()),
        }
    }
    Err(last)
}

/// Whether `e` says the address could not be reached, so that nothing was
/// sent to it.
fn unreachable(e: &ureq::Error) -> bool {
    use std::io::ErrorKind::{ConnectionRefused, HostUnreachable, NetworkUnreachable};
    match e {
        ureq::Error::ConnectionFailed => true,
        ureq::Error::Io(io) => matches!(
            io.kind(),
            ConnectionRefused | HostUnreachable | NetworkUnreachable
        ),
        _ => false,
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

    #[test]
    fn public_addresses_are_told_from_the_rest() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:93.184.216.34",
            "64:ff9b::808:808",
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
        ] {
            assert!(!public(ip.parse().unwrap()), "{ip}");
        }
    }
}
