//! Live pages: a Server-Sent Events stream per blueprint that says "changed" whenever a commit on
//! the blueprint or one of its things is projected, so an open page can fetch itself again.
//! Progressive enhancement: without JavaScript a page is simply static.
//!
//! A stream is opened only by a visitor who may read the blueprint, and lives at most
//! [`STREAM_LIFETIME`]: the browser then reconnects, which checks the token or session again, so
//! a revoked token stops receiving changes within that time. Open streams are bounded by
//! `WAYMARK_LIVE_STREAMS`; past that, a stream is refused with 503 and a retry hint, and the page
//! still works.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream};
use proto::BlueprintId;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, watch};

use crate::AppState;
use crate::api::require_readable;
use crate::problem::ApiError;
use crate::session::Visitor;

/// How long one stream lives before the browser must reconnect (and be checked again).
pub const STREAM_LIFETIME: Duration = Duration::from_secs(300);

/// The open live streams, bounded.
#[derive(Debug, Clone)]
pub struct LiveStreams {
    permits: Arc<Semaphore>,
}

impl LiveStreams {
    pub fn new(limit: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(limit)),
        }
    }
}

/// What a stream keeps between events.
struct Follow {
    state: AppState,
    blueprint: String,
    checkpoint: watch::Receiver<u64>,
    last: u64,
    deadline: tokio::time::Instant,
    _permit: OwnedSemaphorePermit,
}

/// The stream sequence of the last change to a blueprint or its things, as projected.
fn version(state: &AppState, bp: &str) -> Result<u64, ApiError> {
    let reader = projector::read::Reader::new(&state.db.current())?;
    Ok(reader.blueprint(bp)?.map_or(0, |b| b.updated_seq))
}

/// Where a stream starts from.
#[derive(Debug, Default, serde::Deserialize)]
pub struct LiveQuery {
    /// The blueprint's `updated_seq` the page was rendered at: a change since then is announced
    /// at once, so nothing recorded between rendering and connecting is missed.
    since: Option<u64>,
}

/// `GET /blueprints/{bp}/live?since=<seq>`: `event: change` with the new sequence, each time the
/// blueprint changes. A reconnecting browser's `Last-Event-ID` takes the place of `since`.
pub async fn blueprint(
    State(state): State<AppState>,
    Path(bp): Path<String>,
    visitor: Visitor,
    headers: axum::http::HeaderMap,
    query: Result<crate::problem::Query<LiveQuery>, crate::problem::ApiError>,
) -> Response {
    let since = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .or_else(|| query.ok().and_then(|q| q.0.since));
    match open(state, &bp, &visitor, since) {
        Ok(sse) => sse.into_response(),
        Err(e) => {
            let mut response = e.into_response();
            if response.status() == StatusCode::SERVICE_UNAVAILABLE {
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
            }
            response
        }
    }
}

fn open(
    state: AppState,
    bp: &str,
    visitor: &Visitor,
    since: Option<u64>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>> + use<>>, ApiError> {
    let id: BlueprintId = bp
        .parse()
        .map_err(|e: proto::IdError| ApiError::not_found("read.invalid_id", e.to_string()))?;
    {
        let reader = projector::read::Reader::new(&state.db.current())?;
        require_readable(&reader, &visitor.caller, &id)?;
    }
    let Ok(permit) = state.live.permits.clone().try_acquire_owned() else {
        return Err(ApiError::unavailable(
            "live.too_many_streams",
            "too many live pages are open; the page still works, reload it for new figures",
        ));
    };
    let last = match since {
        Some(seq) => seq,
        None => version(&state, id.as_str())?,
    };
    let follow = Follow {
        checkpoint: state.checkpoint.clone(),
        blueprint: id.to_string(),
        last,
        deadline: tokio::time::Instant::now() + STREAM_LIFETIME,
        state,
        _permit: permit,
    };
    let events = stream::unfold(follow, |mut f| async move {
        loop {
            let Ok(now) = version(&f.state, &f.blueprint) else {
                return None;
            };
            if now != f.last {
                f.last = now;
                let event = Event::default()
                    .event("change")
                    .id(now.to_string())
                    .data(format!("{{\"seq\":{now}}}"));
                return Some((Ok(event), f));
            }
            let changed = tokio::time::timeout_at(f.deadline, f.checkpoint.changed()).await;
            if !matches!(changed, Ok(Ok(()))) {
                return None;
            }
        }
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
