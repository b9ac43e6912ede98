//! Loopback HTTP servers for the tests of a guest's outgoing HTTP. Shared
//! by the integration tests (through `common`) and by `net.rs`'s unit
//! tests (included by path).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::thread::JoinHandle;

/// A server on loopback that takes one request and answers
/// `HTTP/1.1 {status}` (a status line's rest, and any headers after it)
/// with the request's head, in lower case, as the body: a test reads in
/// the answer what the server was sent. Its port, and its thread, which
/// panics if the request ends before its head does.
pub fn echoing_head(status: &str) -> (u16, JoinHandle<()>) {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let status = status.to_owned();
    let answered = std::thread::spawn(move || {
        let (mut s, _) = server.accept().unwrap();
        echo_head(&mut s, &status);
    });
    (port, answered)
}

/// A certificate authority made for one test, and the certificate it
/// signed for `localhost` (only), with its key: no key material kept in
/// the repository, nothing to expire.
pub struct Authority {
    /// The authority's certificate, for `TlsRoots::from_pem`.
    pub pem: String,
    server: std::sync::Arc<rustls::ServerConfig>,
}

impl Authority {
    pub fn new() -> Authority {
        use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["localhost".to_owned()])
            .unwrap()
            .signed_by(&key, &ca)
            .unwrap();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into());
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_no_client_auth()
            .with_single_cert(vec![cert.der().clone()], key)
            .unwrap();
        Authority {
            pem: ca.pem(),
            server: std::sync::Arc::new(server),
        }
    }
}

/// [`echoing_head`] over TLS, as `localhost` with a certificate that
/// `authority` signed. Its thread hands back the server name the client
/// asked for, or why the connection ended before a request came (the
/// TLS error, or no client within 10 seconds).
pub fn echoing_head_tls(
    status: &str,
    authority: &Authority,
) -> (u16, JoinHandle<Result<Option<String>, String>>) {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = server.local_addr().unwrap().port();
    let status = status.to_owned();
    let config = authority.server.clone();
    let answered = std::thread::spawn(move || {
        let tcp = accept_within(&server, std::time::Duration::from_secs(10))?;
        let conn = rustls::ServerConnection::new(config).unwrap();
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        while tls.conn.is_handshaking() {
            tls.conn
                .complete_io(&mut tls.sock)
                .map_err(|e| e.to_string())?;
        }
        let name = tls.conn.server_name().map(str::to_owned);
        echo_head(&mut tls, &status);
        tls.conn.send_close_notify();
        let _ = tls.conn.complete_io(&mut tls.sock);
        Ok(name)
    });
    (port, answered)
}

/// The first connection to `server` within `wait`, set to give up on a
/// read or write after `wait` too: a client that never comes, or stops
/// half way, fails the test rather than hanging it.
fn accept_within(
    server: &TcpListener,
    wait: std::time::Duration,
) -> Result<std::net::TcpStream, String> {
    server.set_nonblocking(true).unwrap();
    let until = std::time::Instant::now() + wait;
    loop {
        match server.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(wait)).unwrap();
                s.set_write_timeout(Some(wait)).unwrap();
                return Ok(s);
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                if std::time::Instant::now() > until {
                    return Err("no client came".into());
                }
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Reads a request's head from `s` and answers it as [`echoing_head`]
/// says.
fn echo_head(s: &mut (impl Read + Write), status: &str) {
    let mut head = Vec::new();
    let mut buf = [0; 1024];
    // The head may come with the body in one read.
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "the request ended early");
        head.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8(head).unwrap().to_lowercase();
    let reply = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{head}",
        head.len()
    );
    s.write_all(reply.as_bytes()).unwrap();
    s.flush().unwrap();
}

/// A server on loopback answering every request `200 ok`, on a thread
/// of its own.
pub fn answering_ok() -> SocketAddr {
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in server.incoming() {
            let Ok(mut s) = stream else { break };
            let mut buf = [0; 1024];
            let _ = s.read(&mut buf);
            let _ =
                s.write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
        }
    });
    addr
}

/// A server on loopback answering `200 ok` to every request, keeping each
/// connection open for the next: its address, and the connections it
/// accepted so far.
pub fn keeping_alive() -> (SocketAddr, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let server = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = server.local_addr().unwrap();
    let accepted = std::sync::Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in server.incoming() {
            let Ok(mut s) = stream else { break };
            count.fetch_add(1, Ordering::SeqCst);
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut buf = [0; 1024];
                loop {
                    // Requests without a body: each ends with its head.
                    while let Some(end) = head.windows(4).position(|w| w == b"\r\n\r\n") {
                        head.drain(..end + 4);
                        let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if s.write_all(reply).is_err() {
                            return;
                        }
                    }
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
            });
        }
    });
    (addr, accepted)
}
