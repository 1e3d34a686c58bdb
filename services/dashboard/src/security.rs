//! Headers every response carries so that browsers hold the pages to what they are: no script
//! but our own files, no framing, no content sniffing, no referrer sent elsewhere, HTTPS kept
//! once used, and nothing a signed-in visitor saw left in a shared cache.

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// Scripts, styles, fonts, images and connections only from this origin; no inline script
/// (pages load `/assets/*.mjs`), no plugins, no framing, forms post only here.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Adds the security headers; marks responses to signed-in or token-bearing requests
/// `Cache-Control: no-store` (drafts and anything a token reached stay out of shared caches).
pub async fn headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let authenticated = request.headers().contains_key(header::AUTHORIZATION)
        || crate::session::session_id(
            request.headers(),
            crate::session::is_tls(request.headers(), state.secure_cookies),
        )
        .is_some();
    let tls = crate::session::is_tls(request.headers(), state.secure_cookies);
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    if authenticated {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}
