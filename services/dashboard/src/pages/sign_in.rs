//! Signing in with a token, and out.

use std::net::{IpAddr, SocketAddr};

use askama::Template;
use axum::extract::{ConnectInfo, Form, State};

use crate::problem::Query;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use crate::AppState;

use super::posts::{Fields, check_form, see_other};
use super::*;
use crate::session::{self, Visitor};

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    nav: Nav,
    error: Option<String>,
    next: String,
}

#[derive(serde::Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

/// A local path to return to after signing in, never another site: one `/` then no second `/`
/// or a backslash, and no control characters or spaces, which browsers strip
/// (`/\t/evil.example` would become `//evil.example`).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n[1..].starts_with(['/', '\\'])
                && !n.contains('\\')
                && n.chars().all(|c| c.is_ascii_graphic()) =>
        {
            n.to_owned()
        }
        _ => "/".to_owned(),
    }
}

/// The address a request came from: the peer, or, when the peer is a trusted proxy, the last
/// address in `X-Forwarded-For` that is not itself a trusted proxy. A forwarded address from
/// anyone else is ignored, so a client cannot pick the address its failures count against.
fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &[IpAddr]) -> IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .unwrap_or(peer)
}

/// Whether a form post came from this site: browsers say so in `Sec-Fetch-Site`, and older ones
/// in `Origin`, which must then name the host the request was sent to. A client that sends
/// neither (a script, a test) is not a browser another site could drive.
fn same_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return matches!(site.to_str(), Ok("same-origin" | "none"));
    }
    match (headers.get(header::ORIGIN), headers.get(header::HOST)) {
        (Some(origin), Some(host)) => {
            let (Ok(origin), Ok(host)) = (origin.to_str(), host.to_str()) else {
                return false;
            };
            origin
                .split_once("://")
                .is_some_and(|(_, authority)| authority == host)
        }
        (Some(_), None) => false,
        (None, _) => true,
    }
}

pub async fn sign_in_form(visitor: Visitor, Query(q): Query<NextParam>) -> Response {
    render(
        StatusCode::OK,
        SignInPage {
            nav: Nav::of(&visitor),
            error: None,
            next: safe_next(q.next.as_deref()),
        },
    )
}

pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    fields: Fields,
) -> Response {
    let anonymous = Visitor {
        caller: crate::auth::Caller(None),
        session: None,
    };
    let ip = client_address(addr.ip(), &headers, &state.trusted_proxies);
    // Login CSRF: another site must not sign a browser in with a token of its choosing.
    if !same_site(&headers) {
        tracing::warn!(%ip, "sign-in refused: the form was posted from another site");
        return page_error(
            None,
            StatusCode::FORBIDDEN,
            "sign in from this site's own sign-in page",
        );
    }
    let Ok(Form(fields)) = fields else {
        return page_error(None, StatusCode::BAD_REQUEST, "the form could not be read");
    };
    let next = safe_next(fields.get("next").map(String::as_str));
    if let Some(wait) = state.sessions.blocked(ip) {
        tracing::warn!(%ip, "sign-in refused: too many failures");
        let mut r = render(
            StatusCode::TOO_MANY_REQUESTS,
            SignInPage {
                nav: Nav::of(&anonymous),
                error: Some(format!(
                    "Too many failed sign-ins; try again in {} seconds.",
                    wait.as_secs() + 1
                )),
                next,
            },
        );
        if let Ok(v) = HeaderValue::from_str(&(wait.as_secs() + 1).to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let token = fields.get("token").map(|t| t.trim()).unwrap_or("");
    let hash = crate::auth::hash_token(token);
    if token.is_empty() || state.tokens.principal_for_hash(&hash).is_none() {
        state.sessions.note_failure(ip);
        tracing::warn!(%ip, "sign-in failed: unknown token");
        return render(
            StatusCode::UNAUTHORIZED,
            SignInPage {
                nav: Nav::of(&anonymous),
                error: Some("That token is not valid.".into()),
                next,
            },
        );
    }
    state.sessions.note_success(ip);
    if let Some(p) = state.tokens.principal_for_hash(&hash) {
        tracing::info!(%ip, user = %p.name, role = p.role.label(), "signed in");
    }
    if let Some(old) =
        session::session_id(&headers, session::is_tls(&headers, state.secure_cookies))
    {
        state.sessions.remove(&old);
    }
    let (id, _csrf) = match state.sessions.create(hash) {
        Ok(session) => session,
        Err(e) => {
            tracing::error!(error = %e, "session not started");
            return page_error(
                None,
                StatusCode::SERVICE_UNAVAILABLE,
                "could not start a session; try again",
            );
        }
    };
    let mut response = see_other(&next);
    if let Ok(v) = HeaderValue::from_str(&session::cookie(
        Some(&id),
        session::is_tls(&headers, state.secure_cookies),
    )) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}

pub async fn sign_out(
    State(state): State<AppState>,
    visitor: Visitor,
    headers: HeaderMap,
    fields: Fields,
) -> Response {
    if let Err((status, message)) = check_form(&visitor, fields) {
        return page_error(Some(&visitor), status, message);
    }
    if let Some(s) = &visitor.session {
        state.sessions.remove(&s.id);
    }
    let mut response = see_other("/");
    if let Ok(v) = HeaderValue::from_str(&session::cookie(
        None,
        session::is_tls(&headers, state.secure_cookies),
    )) {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    response
}
