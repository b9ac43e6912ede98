//! Dashboard sessions: the browser logs in once with the admin token and
//! then holds only a random session id in an `HttpOnly; SameSite=Strict`
//! cookie; each session has its own CSRF token for state-changing requests.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "plinth_session";

/// The header carrying the CSRF token.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// How long a session lives after its login.
pub(crate) const LIFETIME: Duration = Duration::from_secs(12 * 60 * 60);

/// At most this many live sessions; logging in past it drops the oldest,
/// so that repeated logins cannot grow the table without bound.
const MAX_SESSIONS: usize = 64;

struct Session {
    csrf: String,
    expires: Instant,
}

/// The live sessions, keyed by the SHA-256 of their id: a lookup's timing
/// then tells nothing about the ids themselves.
#[derive(Default)]
pub(crate) struct Sessions {
    by_digest: Mutex<HashMap<[u8; 32], Session>>,
}

impl std::fmt::Debug for Sessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sessions").finish_non_exhaustive()
    }
}

fn digest(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

fn random_hex() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(crate::request::hex(&bytes))
}

impl Sessions {
    /// A new session: its id (for the cookie) and its CSRF token.
    pub(crate) fn create(&self) -> std::io::Result<(String, String)> {
        let id = random_hex()?;
        let csrf = random_hex()?;
        let now = Instant::now();
        let mut sessions = self
            .by_digest
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        sessions.retain(|_, s| s.expires > now);
        if sessions.len() >= MAX_SESSIONS
            && let Some(oldest) = sessions
                .iter()
                .min_by_key(|(_, s)| s.expires)
                .map(|(k, _)| *k)
        {
            sessions.remove(&oldest);
        }
        sessions.insert(
            digest(&id),
            Session {
                csrf: csrf.clone(),
                expires: now + LIFETIME,
            },
        );
        Ok((id, csrf))
    }

    /// The CSRF token of the live session `id`, if there is one.
    pub(crate) fn csrf(&self, id: &str) -> Option<String> {
        let sessions = self
            .by_digest
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        sessions
            .get(&digest(id))
            .filter(|s| s.expires > Instant::now())
            .map(|s| s.csrf.clone())
    }

    /// Ends the session `id`.
    pub(crate) fn remove(&self, id: &str) {
        self.by_digest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&digest(id));
    }
}

/// Whether the presented CSRF token is the session's, in constant time.
pub(crate) fn csrf_matches(expected: &str, presented: &str) -> bool {
    // Equal lengths by construction (hex of 32 bytes); hashing both makes
    // the comparison length-independent anyway.
    Sha256::digest(expected.as_bytes())
        .ct_eq(&Sha256::digest(presented.as_bytes()))
        .into()
}

/// The session id from a request's `Cookie` headers.
pub(crate) fn cookie_session(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_has_its_csrf_token_until_removed() {
        let sessions = Sessions::default();
        let (id, csrf) = sessions.create().unwrap();
        assert_eq!(sessions.csrf(&id).as_deref(), Some(csrf.as_str()));
        assert!(sessions.csrf("other").is_none());
        assert!(csrf_matches(&csrf, &csrf));
        assert!(!csrf_matches(&csrf, &csrf[1..]));
        sessions.remove(&id);
        assert!(sessions.csrf(&id).is_none());
    }

    #[test]
    fn the_table_is_bounded() {
        let sessions = Sessions::default();
        for _ in 0..MAX_SESSIONS + 10 {
            sessions.create().unwrap();
        }
        assert_eq!(sessions.by_digest.lock().unwrap().len(), MAX_SESSIONS);
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let mut headers = axum::http::HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            "a=1; plinth_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(cookie_session(&headers).as_deref(), Some("abc"));
    }
}
