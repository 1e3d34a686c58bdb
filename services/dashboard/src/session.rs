//! Browser sessions: a person signs in with a token and gets a session cookie (HttpOnly,
//! SameSite=Strict, Secure over TLS, a new id at every sign-in, cleared at sign-out) and a CSRF
//! token that every form carries. Sessions hold the token's hash, not the token, and are checked
//! against the tokens file on every request, so revoking a token ends its sessions. A session
//! ends after 8 hours unused or 24 hours in all, and one token holds at most 20 at once (its
//! oldest goes first), so nobody can push other people's sessions out by signing in again and
//! again. Failed sign-ins are logged and limited per client address (a bounded table).
//!
//! Sessions live in this dashboard replica's memory: a restart signs people out, and a load
//! balancer in front of several replicas needs sticky sessions for browsers (the JSON API uses
//! bearer tokens and needs none).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};

use crate::AppState;
use crate::auth::{Caller, NoRandomness, Principal, new_token};
use crate::problem::ApiError;

/// Name of the session cookie over plain HTTP (a laptop's `waymark dev`).
pub const COOKIE: &str = "waymark_session";
/// Name of the session cookie over TLS: the `__Host-` prefix makes the browser refuse it unless it
/// is Secure, for the whole host (`Path=/`) and set by this host itself (no `Domain`), so a sibling
/// subdomain cannot plant a session.
pub const HOST_COOKIE: &str = "__Host-waymark_session";

/// The session cookie's name for a request over TLS or not.
pub fn cookie_name(tls: bool) -> &'static str {
    if tls { HOST_COOKIE } else { COOKIE }
}
/// How long a session lasts without being used.
const IDLE: Duration = Duration::from_secs(8 * 60 * 60);
/// How long a session lasts at most, used or not: then its holder signs in again.
const MAX_AGE: Duration = Duration::from_secs(24 * 60 * 60);
/// Sessions one token may hold at once; its oldest goes first, so signing in again and again
/// with one token never pushes out anybody else's session.
const MAX_PER_TOKEN: usize = 20;
/// Addresses whose failed sign-ins are remembered at most.
const MAX_FAILING_ADDRESSES: usize = 10_000;
/// Failed sign-ins allowed per address per window.
const MAX_FAILURES: u32 = 5;
const FAILURE_WINDOW: Duration = Duration::from_secs(60);
/// Sessions kept at most; the least recently used go first.
const MAX_SESSIONS: usize = 10_000;

#[derive(Debug, Clone)]
struct Session {
    token_sha256: String,
    csrf: String,
    created: Instant,
    last_used: Instant,
}

impl Session {
    fn expired(&self, now: Instant) -> bool {
        now.duration_since(self.last_used) >= IDLE || now.duration_since(self.created) >= MAX_AGE
    }
}

/// The sessions of this replica.
#[derive(Default)]
pub struct Sessions {
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

/// Why a session could not be started; the sign-in page asks to try again.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// No random bytes for the session id or its CSRF token.
    #[error(transparent)]
    Random(#[from] NoRandomness),
    /// The session table is unusable because a thread panicked while changing it: a bug; the
    /// replica needs a restart.
    #[error("poisoned lock: another task failed inside")]
    Poisoned,
}

/// A signed-in browser.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub id: String,
    pub csrf: String,
    pub principal: Principal,
}

impl Sessions {
    /// Starts a session for a token's hash; returns its id and CSRF token.
    pub fn create(&self, token_sha256: String) -> Result<(String, String), SessionError> {
        self.create_at(token_sha256, Instant::now())
    }

    fn create_at(
        &self,
        token_sha256: String,
        now: Instant,
    ) -> Result<(String, String), SessionError> {
        let id = new_token()?;
        let csrf = new_token()?;
        let mut sessions = self.sessions.lock().map_err(|_| SessionError::Poisoned)?;
        sessions.retain(|_, s| !s.expired(now));
        let oldest = |sessions: &HashMap<String, Session>, of: Option<&str>| {
            sessions
                .iter()
                .filter(|(_, s)| of.is_none_or(|t| s.token_sha256 == t))
                .min_by_key(|(_, s)| s.last_used)
                .map(|(k, _)| k.clone())
        };
        let mine = sessions
            .values()
            .filter(|s| s.token_sha256 == token_sha256)
            .count();
        if mine >= MAX_PER_TOKEN
            && let Some(k) = oldest(&sessions, Some(&token_sha256))
        {
            sessions.remove(&k);
        }
        if sessions.len() >= MAX_SESSIONS
            && let Some(k) = oldest(&sessions, None)
        {
            sessions.remove(&k);
        }
        sessions.insert(
            id.clone(),
            Session {
                token_sha256,
                csrf: csrf.clone(),
                created: now,
                last_used: now,
            },
        );
        Ok((id, csrf))
    }

    fn touch(&self, id: &str) -> Option<Session> {
        self.touch_at(id, Instant::now())
    }

    fn touch_at(&self, id: &str, now: Instant) -> Option<Session> {
        let mut sessions = self.sessions.lock().ok()?;
        let session = sessions.get_mut(id)?;
        if session.expired(now) {
            sessions.remove(id);
            return None;
        }
        session.last_used = now;
        Some(session.clone())
    }

    pub fn remove(&self, id: &str) {
        if let Ok(mut sessions) = self.sessions.lock() {
            sessions.remove(id);
        }
    }

    /// How long `ip` must wait before trying again, if it failed too often.
    pub fn blocked(&self, ip: IpAddr) -> Option<Duration> {
        let failures = self.failures.lock().ok()?;
        let (count, since) = failures.get(&ip)?;
        let elapsed = since.elapsed();
        (*count >= MAX_FAILURES && elapsed < FAILURE_WINDOW).then(|| FAILURE_WINDOW - elapsed)
    }

    pub fn note_failure(&self, ip: IpAddr) {
        if let Ok(mut failures) = self.failures.lock() {
            if failures.len() >= MAX_FAILING_ADDRESSES && !failures.contains_key(&ip) {
                failures.retain(|_, (_, since)| since.elapsed() < FAILURE_WINDOW);
                if failures.len() >= MAX_FAILING_ADDRESSES
                    && let Some(oldest) = failures
                        .iter()
                        .min_by_key(|(_, (_, t))| *t)
                        .map(|(k, _)| *k)
                {
                    failures.remove(&oldest);
                }
            }
            let entry = failures.entry(ip).or_insert((0, Instant::now()));
            if entry.1.elapsed() >= FAILURE_WINDOW {
                *entry = (0, Instant::now());
            }
            entry.0 += 1;
        }
    }

    pub fn note_success(&self, ip: IpAddr) {
        if let Ok(mut failures) = self.failures.lock() {
            failures.remove(&ip);
        }
    }
}

/// The session id in a request's cookies: over TLS only the `__Host-` cookie counts.
pub fn session_id(headers: &HeaderMap, tls: bool) -> Option<String> {
    let wanted = cookie_name(tls);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (name, value) = pair.trim().split_once('=')?;
            (name == wanted && !value.is_empty()).then(|| value.to_owned())
        })
}

/// A `Set-Cookie` value for a new session, or one that clears it.
pub fn cookie(value: Option<&str>, secure: bool) -> String {
    let name = cookie_name(secure);
    let secure = if secure { "; Secure" } else { "" };
    match value {
        Some(v) => format!("{name}={v}; Path=/; HttpOnly; SameSite=Strict{secure}"),
        None => format!("{name}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}"),
    }
}

/// Whether the request came over TLS (directly, or through a proxy that says so).
pub fn is_tls(headers: &HeaderMap, config_says: bool) -> bool {
    config_says
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// Compares two CSRF tokens in constant time.
pub fn csrf_matches(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// Who is looking at a page: a signed-in browser, a bearer token, or nobody.
#[derive(Debug, Clone)]
pub struct Visitor {
    pub caller: Caller,
    pub session: Option<SignedIn>,
}

impl FromRequestParts<AppState> for Visitor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        if let Some(id) = session_id(&parts.headers, is_tls(&parts.headers, state.secure_cookies))
            && let Some(session) = state.sessions.touch(&id)
        {
            if let Some(principal) = state.tokens.principal_for_hash(&session.token_sha256) {
                let signed_in = SignedIn {
                    id,
                    csrf: session.csrf,
                    principal: principal.clone(),
                };
                return Ok(Visitor {
                    caller: Caller(Some(principal)),
                    session: Some(signed_in),
                });
            }
            state.sessions.remove(&id);
        }
        let caller = Caller::from_request_parts(parts, state).await?;
        Ok(Visitor {
            caller,
            session: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_token_signing_in_again_and_again_keeps_everyone_else_signed_in() {
        let sessions = Sessions::default();
        let now = Instant::now();
        let (other, _) = sessions.create_at("other".into(), now).unwrap();
        let mut mine = Vec::new();
        for _ in 0..(MAX_PER_TOKEN * 3) {
            mine.push(sessions.create_at("mine".into(), now).unwrap().0);
        }
        assert!(
            sessions.touch_at(&other, now).is_some(),
            "the other token's session stays"
        );
        let kept = mine
            .iter()
            .filter(|id| sessions.touch_at(id, now).is_some())
            .count();
        assert_eq!(kept, MAX_PER_TOKEN);
    }

    #[test]
    fn a_session_ends_after_its_idle_time_and_its_absolute_lifetime() {
        let sessions = Sessions::default();
        let start = Instant::now();
        let (id, _) = sessions.create_at("t".into(), start).unwrap();
        // Used every hour, it still ends a day after it began.
        let mut at = start;
        while at.duration_since(start) + Duration::from_secs(3600) < MAX_AGE {
            at += Duration::from_secs(3600);
            assert!(sessions.touch_at(&id, at).is_some());
        }
        assert!(sessions.touch_at(&id, start + MAX_AGE).is_none());
        let (idle, _) = sessions.create_at("t".into(), start).unwrap();
        assert!(sessions.touch_at(&idle, start + IDLE).is_none());
    }

    #[test]
    fn cookies_are_strict_and_http_only() {
        let c = cookie(Some("abc"), true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
        assert!(!cookie(Some("abc"), false).contains("Secure"));
        assert!(cookie(None, false).contains("Max-Age=0"));
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; waymark_session=xyz; b=2".parse().unwrap(),
        );
        assert_eq!(session_id(&headers, false).as_deref(), Some("xyz"));
        // Over TLS only the `__Host-` cookie counts: a plain one may have been planted.
        assert_eq!(session_id(&headers, true), None);
        assert!(c.starts_with("__Host-waymark_session=abc; Path=/;") && !c.contains("Domain"));
        headers.insert(
            header::COOKIE,
            "waymark_session=planted; __Host-waymark_session=mine"
                .parse()
                .unwrap(),
        );
        assert_eq!(session_id(&headers, true).as_deref(), Some("mine"));
    }

    #[test]
    fn failed_sign_ins_are_limited() {
        let s = Sessions::default();
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        for _ in 0..MAX_FAILURES {
            assert!(s.blocked(ip).is_none());
            s.note_failure(ip);
        }
        assert!(s.blocked(ip).is_some());
        s.note_success(ip);
        assert!(s.blocked(ip).is_none());
    }

    #[test]
    fn csrf_comparison() {
        assert!(csrf_matches("abc", "abc"));
        assert!(!csrf_matches("abc", "abd"));
        assert!(!csrf_matches("abc", "ab"));
    }
}
