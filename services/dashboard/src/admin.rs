//! Operator work over the JSON API, for admin tokens that no organisation or blueprint limits:
//! the commits the projector quarantined, and voiding one that this version cannot read so that
//! its thing takes commands again. A void is a commit like any other, appended by the thing's own
//! service; nothing is deleted.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use proto::Actor;
use proto::commands::VoidRequest;
use serde_json::Value;

use crate::AppState;
use crate::auth::Caller;
use crate::commands::{AcceptedBody, Written, accepted_response, parse_body, require_json};
use crate::problem::ApiError;

/// The body of a void request.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoidBody {
    /// Why the commit is passed over, in the operator's words; kept in the thing's history.
    #[schema(
        min_length = 1,
        max_length = 4000,
        example = "written by an importer bug; the rows were recorded again"
    )]
    pub reason: String,
}

/// The body of a replay request.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplayBody {
    /// Only these quarantined commits (stream sequences); every open one when absent.
    #[schema(max_items = 10000, example = json!([412]))]
    pub seqs: Option<Vec<u64>>,
}

/// Quarantined commits, oldest first.
///
/// Every commit the projector could not decode or apply, with the reason, and once an operator
/// voided it, the void. Needs an admin token with no organisation or blueprint limit.
#[utoipa::path(
    get,
    path = "/api/v1/admin/quarantine",
    tag = "operators",
    responses((status = 200, description = "The quarantined commits.", body = Vec<projector::views::QuarantineEntry>))
)]
pub async fn quarantine(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Response, ApiError> {
    caller.require_operator()?;
    let entries = projector::quarantined(&state.db.current())
        .map_err(|e| ApiError::internal("read the quarantine", e))?;
    Ok(Json(entries).into_response())
}

/// Replay quarantined commits.
///
/// Tries again every quarantined commit that is not voided, oldest first: one that this version
/// now reads and applies, where no later commit on its thing has been applied since, leaves the
/// quarantine; the others stay, with the reason brought up to date (including "rebuild needed").
/// Needs an admin token with no organisation or blueprint limit.
#[utoipa::path(
    post,
    path = "/api/v1/admin/quarantine/replay",
    tag = "operators",
    request_body(content = ReplayBody, content_type = "application/json",
        examples(("replay" = (summary = "Replay one quarantined commit", value = json!({"seqs": [412]}))))),
    responses((status = 200, description = "What became of each commit tried.", body = Vec<projector::replay::Replayed>))
)]
pub async fn replay(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    caller.require_operator()?;
    let mut body = fields(&headers, &bytes, "a replay", &["seqs"])?;
    let only: Option<Vec<u64>> = match body.remove("seqs") {
        None | Some(Value::Null) => None,
        Some(Value::Array(seqs)) => Some(
            seqs.iter()
                .map(Value::as_u64)
                .collect::<Option<Vec<u64>>>()
                .ok_or_else(|| {
                    ApiError::invalid(Some("seqs".into()), "seqs must be stream sequences")
                })?,
        ),
        Some(_) => {
            return Err(ApiError::invalid(
                Some("seqs".into()),
                "seqs must be a list of stream sequences",
            ));
        }
    };
    let entries = projector::replay::open_entries(&state.db.current())
        .map_err(|e| ApiError::internal("read the quarantine", e))?
        .into_iter()
        .filter(|e| only.as_ref().is_none_or(|seqs| seqs.contains(&e.seq)));
    let mut commits = Vec::new();
    for entry in entries {
        let message = state
            .stream
            .message_at(entry.seq)
            .await
            .map_err(stream_unavailable)?;
        if let Some(message) = message {
            commits.push(projector::Received {
                seq: entry.seq,
                subject: message.subject,
                payload: message.payload,
                pending: 0,
                published_unix: message.published_unix,
            });
        }
    }
    let db = state.db.current();
    let replayed = blocking("replay the quarantine", move || {
        projector::replay::replay(&db, &commits)
    })
    .await?;
    Ok(Json(replayed).into_response())
}

/// Void a commit this version cannot read.
///
/// The thing's own service records that the commit at `seq` is passed over; the thing then takes
/// commands again, and the projector marks the quarantine entry voided. Only a commit that cannot
/// be read may be voided. Voiding the same commit again answers with the first record.
#[utoipa::path(
    post,
    path = "/api/v1/admin/quarantine/{seq}/void",
    tag = "operators",
    params(("seq" = u64, Path, description = "Stream sequence of the unreadable commit.", example = 412)),
    request_body(content = VoidBody, content_type = "application/json",
        examples(("void" = (summary = "Pass over a commit no version reads",
            value = json!({"reason": "written by an importer bug; the rows were recorded again"}))))),
    responses((status = 200, description = "The void is recorded.", body = AcceptedBody))
)]
pub async fn void(
    State(state): State<AppState>,
    caller: Caller,
    Path(seq): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    let principal = caller.require_operator()?;
    let seq: u64 = seq.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
        ApiError::invalid(
            Some("seq".into()),
            format!("seq must be a stream sequence (a whole number from 1), not {seq:?}"),
        )
    })?;
    let mut body = fields(&headers, &bytes, "a void", &["reason"])?;
    let reason = match body.remove("reason") {
        Some(Value::String(reason)) => reason,
        Some(_) => {
            return Err(ApiError::invalid(
                Some("reason".into()),
                "reason must be text",
            ));
        }
        None => {
            return Err(ApiError::invalid(
                Some("reason".into()),
                "say why the commit is voided: reason is required",
            ));
        }
    };
    let message = state
        .stream
        .message_at(seq)
        .await
        .map_err(stream_unavailable)?
        .ok_or_else(|| {
            ApiError::not_found(
                proto::commands::rules::VOID_NO_SUCH_COMMIT.code,
                format!("the stream holds no commit at sequence {seq}"),
            )
        })?;
    let thing = proto::subjects::thing_of_subject(&message.subject).ok_or_else(|| {
        ApiError::invalid(
            Some("seq".into()),
            format!("the message at sequence {seq} is not a thing's commit"),
        )
    })?;
    let request = VoidRequest {
        seq,
        reason,
        actor: Actor {
            name: principal.name.clone(),
            org: None,
        },
    };
    let accepted = state.answer(
        thing.kind,
        state.commands.send_void(thing.kind, &request).await,
    )?;
    let location = crate::commands::location(&thing);
    Ok(accepted_response(Written { accepted, location }, false))
}

/// A consistent copy of the read models.
///
/// The read models this replica serves as one redb file, copied from one read transaction and so
/// standing at one checkpoint (in the `Waymark-Checkpoint` header). A replica started on the file
/// catches up from there instead of replaying the stream. Needs an admin token with no limits.
#[utoipa::path(
    get,
    path = "/api/v1/admin/snapshot",
    tag = "operators",
    responses((status = 200, description = "The read models as a redb file.",
        content_type = "application/octet-stream", body = Vec<u8>))
)]
pub async fn snapshot(State(state): State<AppState>, caller: Caller) -> Result<Response, ApiError> {
    caller.require_operator()?;
    let db = state.db.current();
    // Beside the live file: the same disk, which has room for a copy of it.
    let file = parent_of(state.db.path()).join(format!(
        ".waymark-snapshot-{}.redb",
        uuid::Uuid::new_v4().simple()
    ));
    let (checkpoint, bytes) = blocking("take a snapshot", move || {
        let taken = projector::offline::snapshot(&db, &file)
            .map_err(projector::offline::OfflineError::from)
            .and_then(|checkpoint| Ok((checkpoint, std::fs::read(&file)?)));
        let _ = std::fs::remove_file(&file);
        taken
    })
    .await?;
    let mut response = (
        [(axum::http::header::CONTENT_TYPE, "application/octet-stream")],
        bytes,
    )
        .into_response();
    if let Ok(value) = axum::http::HeaderValue::from_str(&checkpoint.to_string()) {
        response.headers_mut().insert("waymark-checkpoint", value);
    }
    Ok(response)
}

fn parent_of(path: &std::path::Path) -> &std::path::Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."))
}

fn offline_failed(context: &str, e: projector::offline::OfflineError) -> ApiError {
    match e {
        projector::offline::OfflineError::Stream(e) => stream_unavailable(e),
        other => ApiError::internal(context, other),
    }
}

/// Verify the read models while they serve.
///
/// Projects the stream afresh, beside the live file, to the checkpoint the live read models stand
/// at, and compares the two digests. Needs an admin token with no limits.
#[utoipa::path(
    post,
    path = "/api/v1/admin/verify",
    tag = "operators",
    request_body(content = EmptyBody, content_type = "application/json",
        examples(("verify" = (summary = "Verify this replica", value = json!({}))))),
    responses((status = 200, description = "Both digests, and whether they agree.", body = projector::offline::Verified))
)]
pub async fn verify(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    caller.require_operator()?;
    fields(&headers, &bytes, "a verification", &[])?;
    let verified = projector::offline::verify_live(&state.db, &state.stream)
        .await
        .map_err(|e| offline_failed("verify the read models", e))?;
    if !verified.ok {
        tracing::error!(checkpoint = verified.checkpoint, live = %verified.digest,
            fresh = %verified.fresh_digest, "the read models differ from a fresh projection");
    }
    Ok(Json(verified).into_response())
}

/// The answer to a rebuild.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Rebuilt {
    /// The checkpoint of the file swapped in.
    pub checkpoint: u64,
}

/// An operator request with no fields.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmptyBody {}

/// The JSON object of a request's body, refused when it has a field not in `known`.
fn fields(
    headers: &HeaderMap,
    bytes: &Bytes,
    what: &str,
    known: &[&str],
) -> Result<serde_json::Map<String, Value>, ApiError> {
    require_json(headers, bytes)?;
    let body = parse_body(bytes)?;
    if let Some(unknown) = body.keys().find(|k| !known.contains(&k.as_str())) {
        let takes = match known {
            [] => "it takes no fields".to_owned(),
            _ => format!("its fields are {}", known.join(", ")),
        };
        return Err(ApiError::invalid(
            Some(unknown.clone()),
            format!("{what} has no field `{unknown}`; {takes}"),
        ));
    }
    Ok(body)
}

/// Runs storage work off the async threads; its failure is an internal error logged under an id.
async fn blocking<T: Send + 'static, E: std::fmt::Display + Send + 'static>(
    context: &str,
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ApiError::internal(context, e))?
        .map_err(|e| ApiError::internal(context, e))
}

fn stream_unavailable(e: eventstore::StoreError) -> ApiError {
    ApiError::unavailable_logged(
        "read.stream_unavailable",
        "the event store cannot be reached to read the stream; retry shortly",
        e,
    )
}

/// Rebuild the read models while they serve.
///
/// Projects the whole stream into a file beside the live one, brings it to the live checkpoint
/// with projection paused for that moment, and swaps it in; reads go on throughout. Needs an admin
/// token with no limits.
#[utoipa::path(
    post,
    path = "/api/v1/admin/rebuild",
    tag = "operators",
    request_body(content = EmptyBody, content_type = "application/json",
        examples(("rebuild" = (summary = "Rebuild this replica", value = json!({}))))),
    responses((status = 200, description = "The new file is serving.", body = Rebuilt))
)]
pub async fn rebuild(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    caller.require_operator()?;
    fields(&headers, &bytes, "a rebuild", &[])?;
    let checkpoint = projector::offline::rebuild_live(&state.db, &state.stream)
        .await
        .map_err(|e| offline_failed("rebuild the read models", e))?;
    Ok(Json(Rebuilt { checkpoint }).into_response())
}
