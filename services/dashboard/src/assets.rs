//! The styles, scripts and icon the pages load, built from the `govuk-frontend` package into
//! `assets/dist` (see `build.rs`) and embedded in the binary, so a dashboard needs no files
//! beside it. Cached for an hour, so a new release reaches browsers soon after it is deployed.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// One embedded file: its name under `/assets/`, its type and its bytes.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    bytes: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:literal) => {
        Asset {
            name: $name,
            content_type: $type,
            bytes: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/dist/", $name)),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("waymark.css", "text/css; charset=utf-8"),
    asset!("govuk-frontend.min.js", "text/javascript; charset=utf-8"),
    asset!("init.mjs", "text/javascript; charset=utf-8"),
    asset!("live.mjs", "text/javascript; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
];

/// `GET /assets/{name}`.
pub async fn serve(Path(name): Path<String>) -> Response {
    let Some(asset) = ASSETS.iter().find(|a| a.name == name) else {
        return (StatusCode::NOT_FOUND, "no such asset\n").into_response();
    };
    let mut response = asset.bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}
