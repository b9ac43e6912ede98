//! Capabilities: what a plugin asks for (its manifest's `[permissions]`),
//! what the application grants (a [`Policy`]), and what it gets: exactly
//! the intersection.

use std::collections::HashMap;
use std::path::PathBuf;

use plinth_extensions::Permissions;

use crate::error::WasmError;

/// What the application grants one plugin (or every plugin, as the
/// policy's default). Directory names are those the manifests use; each
/// plugin's directories live under the policy's data root, in a folder of
/// its own.
///
/// ```
/// use plinth_wasm::Grant;
/// let grant = Grant::new().write("data").env("TZ").clocks();
/// assert!(grant.allows_write("data"));
/// assert!(!grant.allows_write("logs"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grant {
    read: Vec<String>,
    write: Vec<String>,
    net: Vec<String>,
    env: Vec<String>,
    clocks: bool,
    random: bool,
}

impl Grant {
    /// Nothing granted.
    ///
    /// ```
    /// assert_eq!(plinth_wasm::Grant::new(), plinth_wasm::Grant::default());
    /// ```
    pub fn new() -> Self {
        Grant::default()
    }

    /// Everything the plugin asks for (for plugins the operator trusts).
    /// HTTP still reaches public addresses only, unless the policy allows
    /// private networks ([`Policy::private_networks`]): `*` names no
    /// address of the operator's.
    ///
    /// ```
    /// use plinth_wasm::Grant;
    /// assert!(Grant::everything().allows_write("anything"));
    /// ```
    pub fn everything() -> Self {
        Grant {
            read: vec!["*".into()],
            write: vec!["*".into()],
            net: vec!["*".into()],
            env: vec!["*".into()],
            clocks: true,
            random: true,
        }
    }

    /// Grants reading the directory `dir` (`*`: any).
    ///
    /// ```
    /// assert!(plinth_wasm::Grant::new().read("assets").allows_read("assets"));
    /// ```
    pub fn read(mut self, dir: impl Into<String>) -> Self {
        self.read.push(dir.into());
        self
    }

    /// Grants reading and writing the directory `dir` (`*`: any).
    ///
    /// ```
    /// assert!(plinth_wasm::Grant::new().write("data").allows_read("data"));
    /// ```
    pub fn write(mut self, dir: impl Into<String>) -> Self {
        self.write.push(dir.into());
        self
    }

    /// Grants HTTP to `host` or `host:port` (`*`: any). A name, or an
    /// address reached through `*`, leads to public addresses only unless
    /// the policy allows private networks; an address named here is
    /// allowed as it is.
    ///
    /// ```
    /// let g = plinth_wasm::Grant::new().net("127.0.0.1:8080");
    /// assert!(g.allows_net("127.0.0.1:8080"));
    /// assert!(!g.allows_net("example.com:80"));
    /// ```
    pub fn net(mut self, host: impl Into<String>) -> Self {
        self.net.push(host.into());
        self
    }

    /// Grants reading the environment variable `name` (`*`: any).
    ///
    /// ```
    /// assert!(plinth_wasm::Grant::new().env("TZ").allows_env("TZ"));
    /// ```
    pub fn env(mut self, name: impl Into<String>) -> Self {
        self.env.push(name.into());
        self
    }

    /// Grants the clocks.
    ///
    /// ```
    /// let _ = plinth_wasm::Grant::new().clocks();
    /// ```
    pub fn clocks(mut self) -> Self {
        self.clocks = true;
        self
    }

    /// Grants random bytes.
    ///
    /// ```
    /// let _ = plinth_wasm::Grant::new().random();
    /// ```
    pub fn random(mut self) -> Self {
        self.random = true;
        self
    }

    /// Whether reading `dir` is granted.
    ///
    /// ```
    /// assert!(!plinth_wasm::Grant::new().allows_read("data"));
    /// ```
    pub fn allows_read(&self, dir: &str) -> bool {
        listed(&self.read, dir) || self.allows_write(dir)
    }

    /// Whether writing `dir` is granted.
    ///
    /// ```
    /// assert!(!plinth_wasm::Grant::new().allows_write("data"));
    /// ```
    pub fn allows_write(&self, dir: &str) -> bool {
        listed(&self.write, dir)
    }

    /// Whether HTTP to `host` (`host` or `host:port`) is granted: a grant
    /// of a bare host covers every port.
    ///
    /// ```
    /// assert!(plinth_wasm::Grant::new().net("localhost").allows_net("localhost:3000"));
    /// ```
    pub fn allows_net(&self, host: &str) -> bool {
        listed(&self.net, host) || listed(&self.net, bare_host(host))
    }

    /// Whether HTTP to `host` is granted by name, not through `*`.
    fn names_net(&self, host: &str) -> bool {
        named(&self.net, host)
    }

    /// Whether the environment variable `name` is granted.
    ///
    /// ```
    /// assert!(!plinth_wasm::Grant::new().allows_env("HOME"));
    /// ```
    pub fn allows_env(&self, name: &str) -> bool {
        listed(&self.env, name)
    }

    fn union(&self, other: &Grant) -> Grant {
        let join = |a: &[String], b: &[String]| a.iter().chain(b).cloned().collect();
        Grant {
            read: join(&self.read, &other.read),
            write: join(&self.write, &other.write),
            net: join(&self.net, &other.net),
            env: join(&self.env, &other.env),
            clocks: self.clocks || other.clocks,
            random: self.random || other.random,
        }
    }
}

fn listed(list: &[String], item: &str) -> bool {
    list.iter().any(|g| g == "*" || g == item)
}

/// Whether `list` names `host` (or its bare host) itself.
fn named(list: &[String], host: &str) -> bool {
    let bare = bare_host(host);
    list.iter().any(|g| g == host || g == bare)
}

/// `host` of `host:port` (a grant of a bare host covers every port).
fn bare_host(host: &str) -> &str {
    host.rsplit_once(':').map_or(host, |(h, _)| h)
}

/// Certificate authorities that HTTPS servers' certificates are checked
/// against, in place of Mozilla's (see [`Policy::tls_roots`]).
#[derive(Debug, Clone)]
pub struct TlsRoots(pub(crate) ureq::tls::RootCerts);

impl TlsRoots {
    /// The certificates of `pem` (one or more `CERTIFICATE` sections;
    /// anything else in it is ignored).
    ///
    /// ```
    /// use plinth_wasm::{Policy, TlsRoots};
    /// # use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
    /// # let mut params = CertificateParams::new(Vec::<String>::new())?;
    /// # params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    /// # let ca = CertifiedIssuer::self_signed(params, KeyPair::generate()?)?;
    /// // A company's certificate authority, as PEM (made here by rcgen).
    /// let pem = ca.pem();
    /// let policy = Policy::new("var/plugins").tls_roots(TlsRoots::from_pem(pem.as_bytes())?);
    ///
    /// // Anything else is refused, naming what is wrong.
    /// let err = TlsRoots::from_pem(b"not PEM").unwrap_err();
    /// assert_eq!(err.to_string(), "TLS roots: no certificate in the PEM");
    /// let bad = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    /// let err = TlsRoots::from_pem(format!("{pem}{bad}").as_bytes()).unwrap_err();
    /// assert!(err.to_string().starts_with("TLS roots: certificate 2: "), "{err}");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn from_pem(pem: &[u8]) -> Result<TlsRoots, WasmError> {
        let mut certs = Vec::new();
        // The client drops a certificate it cannot use as a root without
        // a word; here each is tried, and one that fails is an error.
        let mut store = rustls::RootCertStore::empty();
        for item in ureq::tls::parse_pem(pem) {
            match item {
                Ok(ureq::tls::PemItem::Certificate(cert)) => {
                    let der = rustls::pki_types::CertificateDer::from(cert.der());
                    store.add(der).map_err(|e| {
                        WasmError::TlsRoots(format!("certificate {}: {e}", certs.len() + 1))
                    })?;
                    certs.push(cert);
                }
                Ok(_) => {}
                Err(e) => return Err(WasmError::TlsRoots(e.to_string())),
            }
        }
        if certs.is_empty() {
            return Err(WasmError::TlsRoots("no certificate in the PEM".into()));
        }
        Ok(TlsRoots(ureq::tls::RootCerts::new_with_certs(&certs)))
    }
}

/// The application's policy: what it grants each plugin, where granted
/// directories live, whether asking for more than granted fails the
/// plugin's start, whether HTTP may reach private networks or be plain,
/// and which certificate authorities HTTPS trusts.
///
/// ```
/// use plinth_wasm::{Grant, Policy};
/// let policy = Policy::new("var/plugins")
///     .grant_all(Grant::new().clocks())
///     .grant("audit-logger", Grant::new().write("data"))
///     .strict(true);
/// assert!(policy.grant_for("audit-logger").allows_write("data"));
/// assert!(!policy.grant_for("other").allows_write("data"));
/// ```
#[derive(Debug, Clone)]
pub struct Policy {
    data_root: PathBuf,
    default: Grant,
    per_plugin: HashMap<String, Grant>,
    strict: bool,
    private_networks: bool,
    https_only: bool,
    tls_roots: Option<TlsRoots>,
}

impl Policy {
    /// Grants nothing; granted directories go under `data_root/<plugin>/`.
    ///
    /// ```
    /// let p = plinth_wasm::Policy::new("/var/lib/app/plugins");
    /// assert!(!p.grant_for("x").allows_read("data"));
    /// ```
    pub fn new(data_root: impl Into<PathBuf>) -> Self {
        Policy {
            data_root: data_root.into(),
            default: Grant::new(),
            per_plugin: HashMap::new(),
            strict: false,
            private_networks: false,
            https_only: false,
            tls_roots: None,
        }
    }

    /// Grants `grant` to every plugin (added to its own).
    ///
    /// ```
    /// let p = plinth_wasm::Policy::new("d").grant_all(plinth_wasm::Grant::new().random());
    /// ```
    pub fn grant_all(mut self, grant: Grant) -> Self {
        self.default = self.default.union(&grant);
        self
    }

    /// Grants `grant` to the plugin `plugin`.
    ///
    /// ```
    /// let p = plinth_wasm::Policy::new("d").grant("a", plinth_wasm::Grant::new().env("TZ"));
    /// assert!(p.grant_for("a").allows_env("TZ"));
    /// ```
    pub fn grant(mut self, plugin: impl Into<String>, grant: Grant) -> Self {
        let entry = self.per_plugin.entry(plugin.into()).or_default();
        *entry = entry.union(&grant);
        self
    }

    /// Whether a plugin asking for more than it is granted fails to start
    /// (`true`), or starts with the intersection and a notice (`false`,
    /// the default).
    ///
    /// ```
    /// assert!(plinth_wasm::Policy::new("d").strict(true).is_strict());
    /// ```
    pub fn strict(mut self, strict: bool) -> Self {
        self.strict = strict;
        self
    }

    /// Whether a host granted by name may lead to a private address
    /// (`true`), or only to public ones (`false`, the default).
    ///
    /// A name is resolved by the host, and the request sent to an address
    /// it resolved to: by default, one that is loopback, private,
    /// link-local (where cloud metadata services answer) or otherwise not
    /// public is refused, as a denied attempt. A plugin granted
    /// `api.example.com` thus cannot reach the application's own
    /// loopback services, or the local network, through that name's DNS.
    /// An address the grant names itself (`127.0.0.1:8080`, not through
    /// `*`) is always allowed; a non-public address the manifest lists
    /// under a `*` grant, and `localhost`, only under `true`.
    ///
    /// ```
    /// let p = plinth_wasm::Policy::new("d");
    /// assert!(!p.allows_private_networks());
    /// assert!(p.private_networks(true).allows_private_networks());
    /// ```
    pub fn private_networks(mut self, allow: bool) -> Self {
        self.private_networks = allow;
        self
    }

    /// Checks HTTPS servers' certificates against `roots` instead of
    /// Mozilla's root certificates (the default): a company's certificate
    /// authority, or a test's.
    ///
    /// ```no_run
    /// use plinth_wasm::{Policy, TlsRoots};
    /// let roots = TlsRoots::from_pem(&std::fs::read("/etc/app/company-ca.pem")?)?;
    /// let policy = Policy::new("var/plugins").tls_roots(roots);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn tls_roots(mut self, roots: TlsRoots) -> Self {
        self.tls_roots = Some(roots);
        self
    }

    /// Refuses plain-HTTP requests (`http://` URLs) to every plugin, as
    /// denied attempts, whatever its grants: a grant names a host, not a
    /// scheme, so without this a plugin granted `api.example.com` may send
    /// to it in clear on port 80.
    ///
    /// ```
    /// let p = plinth_wasm::Policy::new("d").https_only(true);
    /// assert!(p.is_https_only());
    /// ```
    pub fn https_only(mut self, only: bool) -> Self {
        self.https_only = only;
        self
    }

    /// See [`https_only`](Self::https_only).
    ///
    /// ```
    /// assert!(!plinth_wasm::Policy::new("d").is_https_only());
    /// ```
    pub fn is_https_only(&self) -> bool {
        self.https_only
    }

    /// See [`private_networks`](Self::private_networks).
    ///
    /// ```
    /// assert!(!plinth_wasm::Policy::new("d").allows_private_networks());
    /// ```
    pub fn allows_private_networks(&self) -> bool {
        self.private_networks
    }

    /// See [`strict`](Self::strict).
    ///
    /// ```
    /// assert!(!plinth_wasm::Policy::new("d").is_strict());
    /// ```
    pub fn is_strict(&self) -> bool {
        self.strict
    }

    /// What `plugin` is granted: the default grant and its own.
    ///
    /// ```
    /// let p = plinth_wasm::Policy::new("d");
    /// assert_eq!(p.grant_for("a"), plinth_wasm::Grant::new());
    /// ```
    pub fn grant_for(&self, plugin: &str) -> Grant {
        match self.per_plugin.get(plugin) {
            Some(own) => self.default.union(own),
            None => self.default.clone(),
        }
    }

    /// Where `plugin`'s granted directories live.
    ///
    /// ```
    /// let p = plinth_wasm::Policy::new("var");
    /// assert_eq!(p.data_dir("a"), std::path::Path::new("var/a"));
    /// ```
    pub fn data_dir(&self, plugin: &str) -> PathBuf {
        // `@scope/name` becomes a nested folder, which is what a reader of
        // the data root expects.
        self.data_root.join(plugin)
    }

    /// What `plugin`, asking for `asked`, gets: the intersection, and each
    /// capability asked for and not granted.
    pub(crate) fn effective(
        &self,
        plugin: &str,
        asked: &Permissions,
    ) -> (Capabilities, Vec<String>) {
        let grant = self.grant_for(plugin);
        let mut denied = Vec::new();
        // What of `asked` the grant allows; the rest is denied, by kind.
        let mut pick = |kind: &str, asked: &[String], allows: &dyn Fn(&str) -> bool| {
            let (kept, refused): (Vec<String>, Vec<String>) =
                asked.iter().cloned().partition(|item| allows(item));
            denied.extend(refused.iter().map(|item| format!("{kind} {item:?}")));
            kept
        };
        let read = pick("read", &asked.read, &|d| grant.allows_read(d));
        let write = pick("write", &asked.write, &|d| grant.allows_write(d));
        let net = pick("net", &asked.net, &|h| grant.allows_net(h));
        let net_named = net.iter().filter(|h| grant.names_net(h)).cloned().collect();
        let env = pick("env", &asked.env, &|v| grant.allows_env(v));
        let mut flag = |kind: &str, asked: bool, granted: bool| {
            if asked && !granted {
                denied.push(kind.to_owned());
            }
            asked && granted
        };
        let clocks = flag("clocks", asked.clocks, grant.clocks);
        let random = flag("random", asked.random, grant.random);
        let caps = Capabilities {
            data_dir: self.data_dir(plugin),
            read,
            write,
            net,
            net_named,
            env,
            clocks,
            random,
            private_networks: self.private_networks,
            https_only: self.https_only,
            tls_roots: self.tls_roots.as_ref().map(|r| r.0.clone()),
        };
        (caps, denied)
    }
}

/// What one plugin may do: asked for and granted.
#[derive(Debug, Clone, Default)]
pub(crate) struct Capabilities {
    pub data_dir: PathBuf,
    pub read: Vec<String>,
    pub write: Vec<String>,
    pub net: Vec<String>,
    /// The hosts of `net` the grant names itself, not through `*`: an
    /// address among them was written by the operator, and is allowed
    /// whatever its class.
    pub net_named: Vec<String>,
    pub env: Vec<String>,
    pub clocks: bool,
    pub random: bool,
    /// Whether hosts may be private addresses (see `net_named`).
    pub private_networks: bool,
    /// Whether plain-HTTP requests are refused.
    pub https_only: bool,
    /// The certificates HTTPS servers are checked against, when not
    /// Mozilla's.
    pub tls_roots: Option<ureq::tls::RootCerts>,
}

impl Capabilities {
    pub fn may_read(&self, dir: &str) -> bool {
        self.read.iter().chain(&self.write).any(|d| d == dir)
    }

    pub fn may_write(&self, dir: &str) -> bool {
        self.write.iter().any(|d| d == dir)
    }

    pub fn may_connect(&self, host: &str) -> bool {
        named(&self.net, host)
    }

    /// Whether the operator's grant names `host` itself.
    pub fn grants_by_name(&self, host: &str) -> bool {
        named(&self.net_named, host)
    }

    pub fn may_env(&self, name: &str) -> bool {
        self.env.iter().any(|v| v == name)
    }
}
