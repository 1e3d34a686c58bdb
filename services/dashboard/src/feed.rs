//! An Atom feed of each blueprint's milestone changes, newest first, for feed readers and for
//! programme offices that follow a blueprint without visiting it. Published and closed
//! blueprints' feeds are public; a draft's needs a viewer token that reaches it.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use proto::{BlueprintId, ThingKind};

use crate::AppState;
use crate::api::require_readable;
use crate::charts::escape;
use crate::problem::ApiError;
use crate::session::Visitor;

/// Entries in a feed.
pub const ENTRIES: usize = 50;

/// `GET /blueprints/{bp}/feed.atom`.
pub async fn milestones(
    State(state): State<AppState>,
    Path(bp): Path<String>,
    visitor: Visitor,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let id: BlueprintId = bp
        .parse()
        .map_err(|e: proto::IdError| ApiError::not_found("read.invalid_id", e.to_string()))?;
    let reader = projector::read::Reader::new(&state.db.current())?;
    let view = require_readable(&reader, &visitor.caller, &id)?;
    let base = match &state.public_url {
        Some(url) => url.clone(),
        None => {
            // Without a configured address, the Host the request named (a cache in front of
            // the dashboard must then key on Host); a host with anything but name characters
            // is not trusted.
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .filter(|h| {
                    !h.is_empty()
                        && h.chars()
                            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
                })
                .unwrap_or("localhost");
            let scheme = if crate::session::is_tls(&headers, state.secure_cookies) {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://{host}")
        }
    };
    let window = projector::fold::Window::today();
    let changes =
        reader.recent_activity(id.as_str(), &window, ENTRIES, Some(ThingKind::Milestone))?;
    let updated = changes
        .first()
        .map_or(view.last_recorded_at.unwrap_or_default(), |(_, h)| {
            h.recorded_at
        });
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\">\n");
    xml.push_str(&format!(
        "<title>{}: milestones</title>\n<id>urn:waymark:{id}:milestones</id>\n<updated>{}</updated>\n\
         <link rel=\"alternate\" type=\"text/html\" href=\"{base}/blueprints/{id}\"/>\n\
         <link rel=\"self\" type=\"application/atom+xml\" href=\"{base}/blueprints/{id}/feed.atom\"/>\n\
         <author><name>Waymark</name></author>\n",
        escape(&view.title),
        updated.to_rfc3339(),
    ));
    for (thing, h) in changes {
        let title = reader
            .milestone(id.as_str(), &thing.id)?
            .map_or_else(|| thing.id.clone(), |m| m.title);
        let summary: Vec<String> = h
            .events
            .iter()
            .map(|e| format!("{} (happened on {})", e.summary, e.occurred_on))
            .collect();
        xml.push_str(&format!(
            "<entry>\n<title>{}: {}</title>\n<id>urn:waymark:{id}:commit:{}</id>\n<updated>{}</updated>\n\
             <link rel=\"alternate\" type=\"text/html\" href=\"{base}/blueprints/{id}/milestones/{}\"/>\n\
             <author><name>{}</name></author>\n<summary>{}</summary>\n</entry>\n",
            escape(&title),
            escape(h.events.first().map_or("", |e| e.summary.as_str())),
            h.seq,
            h.recorded_at.to_rfc3339(),
            thing.id,
            escape(&h.actor),
            escape(&summary.join("; ")),
        ));
    }
    xml.push_str("</feed>\n");
    let mut response = xml.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/atom+xml; charset=utf-8"),
    );
    Ok(response)
}
