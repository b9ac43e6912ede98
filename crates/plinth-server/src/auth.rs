//! The admin token: where it came from, and the constant-time check of a
//! presented one.

use std::fmt;

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::ApiError;
use crate::session::{CSRF_HEADER, Sessions, cookie_session, csrf_matches};

/// Where an [`AdminToken`] came from, for telling the operator.
///
/// ```
/// use plinth_server::TokenSource;
/// assert_eq!(TokenSource::Environment.to_string(), "the PLINTH_ADMIN_TOKEN environment variable");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// `PLINTH_ADMIN_TOKEN`.
    Environment,
    /// The configuration's `server.adminToken`.
    Config,
    /// Generated at start-up.
    Generated,
    /// Given in code.
    Code,
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenSource::Environment => "the PLINTH_ADMIN_TOKEN environment variable",
            TokenSource::Config => "the configuration (server.adminToken)",
            TokenSource::Generated => "generated at start-up",
            TokenSource::Code => "set by the application",
        })
    }
}

/// The token the admin API requires as `Authorization: Bearer <token>`.
///
/// Only its SHA-256 digest is kept; a presented token is hashed and the two
/// digests compared in constant time, so neither the token's bytes nor its
/// length leak through timing. `Debug` never shows it.
///
/// ```
/// use plinth_server::AdminToken;
/// let token = AdminToken::new("s3cret-admin-token")?;
/// assert!(token.verify("s3cret-admin-token"));
/// assert!(!token.verify("s3cret"));
/// assert!(AdminToken::new("").is_err()); // an empty token would open the API
/// # Ok::<(), plinth_server::EmptyToken>(())
/// ```
#[derive(Clone)]
pub struct AdminToken {
    digest: [u8; 32],
    source: TokenSource,
}

/// An admin token may not be empty or blank.
///
/// ```
/// assert_eq!(plinth_server::EmptyToken.to_string(), "the admin token is empty");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the admin token is empty")]
pub struct EmptyToken;

impl AdminToken {
    /// A token given in code.
    ///
    /// # Errors
    /// [`EmptyToken`] for an empty or blank token.
    ///
    /// ```
    /// assert!(plinth_server::AdminToken::new("t0ken").is_ok());
    /// ```
    pub fn new(token: &str) -> Result<Self, EmptyToken> {
        Self::from_source(token, TokenSource::Code)
    }

    /// A token, remembering where it came from.
    ///
    /// # Errors
    /// [`EmptyToken`] for an empty or blank token.
    ///
    /// ```
    /// use plinth_server::{AdminToken, TokenSource};
    /// let t = AdminToken::from_source("abc", TokenSource::Config)?;
    /// assert_eq!(t.source(), TokenSource::Config);
    /// # Ok::<(), plinth_server::EmptyToken>(())
    /// ```
    pub fn from_source(token: &str, source: TokenSource) -> Result<Self, EmptyToken> {
        if token.trim().is_empty() {
            return Err(EmptyToken);
        }
        Ok(AdminToken {
            digest: Sha256::digest(token.as_bytes()).into(),
            source,
        })
    }

    /// A random token (32 bytes, hex), returned with its text so that the
    /// application can show it once.
    ///
    /// # Errors
    /// When the operating system gives no randomness.
    ///
    /// ```
    /// let (token, text) = plinth_server::AdminToken::generate()?;
    /// assert_eq!(text.len(), 64);
    /// assert!(token.verify(&text));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn generate() -> Result<(Self, String), std::io::Error> {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
        let text = crate::request::hex(&bytes);
        let token = AdminToken {
            digest: Sha256::digest(text.as_bytes()).into(),
            source: TokenSource::Generated,
        };
        Ok((token, text))
    }

    /// Where it came from.
    ///
    /// ```
    /// # use plinth_server::{AdminToken, TokenSource};
    /// assert_eq!(AdminToken::new("x")?.source(), TokenSource::Code);
    /// # Ok::<(), plinth_server::EmptyToken>(())
    /// ```
    pub fn source(&self) -> TokenSource {
        self.source
    }

    /// Whether `presented` is the token, in constant time.
    ///
    /// ```
    /// # use plinth_server::AdminToken;
    /// assert!(!AdminToken::new("a")?.verify("b"));
    /// # Ok::<(), plinth_server::EmptyToken>(())
    /// ```
    pub fn verify(&self, presented: &str) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        digest.ct_eq(&self.digest).into()
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminToken")
            .field("source", &self.source)
            .finish_non_exhaustive()
    }
}

/// What the admin gate checks against: the token, and the dashboard's
/// sessions.
#[derive(Clone)]
pub(crate) struct AdminGate {
    pub(crate) token: Option<AdminToken>,
    pub(crate) sessions: std::sync::Arc<Sessions>,
}

/// The admin routes' gate: 403 when no token is configured (the API is
/// off, never open); a valid bearer token passes; so does a dashboard
/// session cookie, but a state-changing request on a cookie also needs the
/// session's CSRF token (a cookie is sent by the browser on its own, the
/// CSRF token only by the page); 401 otherwise.
pub(crate) async fn require_token(
    State(gate): State<AdminGate>,
    request: Request,
    next: Next,
) -> Response {
    let Some(token) = &gate.token else {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "the admin API is off: no admin token is configured",
        )
        .into_response();
    };
    let headers = request.headers();
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if let Some(presented) = bearer {
        if token.verify(presented) {
            return next.run(request).await;
        }
    } else if let Some(csrf) = cookie_session(headers).and_then(|id| gate.sessions.csrf(&id)) {
        let safe = matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        );
        let presented = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
        return match presented {
            _ if safe => next.run(request).await,
            Some(presented) if csrf_matches(&csrf, presented) => next.run(request).await,
            _ => ApiError::new(
                StatusCode::FORBIDDEN,
                "a state-changing request from the dashboard needs its x-csrf-token header",
            )
            .into_response(),
        };
    }
    let mut response = ApiError::new(
        StatusCode::UNAUTHORIZED,
        "admin routes need Authorization: Bearer <admin token>",
    )
    .into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        axum::http::HeaderValue::from_static("Bearer"),
    );
    response
}
