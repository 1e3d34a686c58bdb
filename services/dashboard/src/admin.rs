//! Operator work over the JSON API, for admin tokens that no organisation or blueprint limits:
//! the commits the projector quarantined, and voiding one that this version cannot read so that
//! its thing takes commands again. A void is a commit like any other, appended by the thing's own
//! service; nothing is deleted.

use axum::Json;
use axum::extract::{FromRequest, FromRequestParts, Path, Request, State};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use proto::Actor;
use proto::commands::VoidRequest;
use serde::de::DeserializeOwned;
use serde_json::Value;
use utoipa::ToSchema;
use utoipa::openapi::{RefOr, Schema};

use crate::AppState;
use crate::auth::{Caller, Principal};
use crate::commands::{
    AcceptedBody, Written, accepted_response, parse_body, refuse_unknown, require_json,
};
use crate::problem::{ApiError, Body};

/// An operator: the caller holds an admin token that no organisation or blueprint limits, since
/// operator work spans every blueprint.
pub struct Operator(pub Principal);

impl FromRequestParts<AppState> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        Ok(Operator(caller.require_operator()?.clone()))
    }
}

/// An operator's request with its JSON body read as `B`, whose schema names the fields it takes
/// and those it needs (an empty body reads as `{}`).
pub struct OperatorBody<B> {
    pub principal: Principal,
    pub body: B,
}

impl<B: DeserializeOwned + ToSchema> FromRequest<AppState> for OperatorBody<B> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let (mut parts, body) = request.into_parts();
        let Operator(principal) = Operator::from_request_parts(&mut parts, state).await?;
        let headers = parts.headers.clone();
        let Body(bytes) = Body::from_request(Request::from_parts(parts, body), state).await?;
        require_json(&headers, &bytes)?;
        let fields = parse_body(&bytes)?;
        if let RefOr::T(Schema::Object(schema)) = B::schema() {
            let names: Vec<&str> = schema.properties.keys().map(String::as_str).collect();
            refuse_unknown(&fields, &names, "this request")?;
            if let Some(missing) = schema.required.iter().find(|r| !fields.contains_key(*r)) {
                return Err(ApiError::invalid(
                    Some(missing.clone()),
                    format!("{missing} is required"),
                ));
            }
        }
        let body = serde_path_to_error::deserialize(Value::Object(fields)).map_err(|e| {
            let field = e.path().to_string();
            ApiError::invalid(Some(field.clone()), format!("{field}: {}", e.into_inner()))
        })?;
        Ok(OperatorBody { principal, body })
    }
}

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
pub async fn quarantine(State(state): State<AppState>, _: Operator) -> Result<Response, ApiError> {
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
    OperatorBody { body, .. }: OperatorBody<ReplayBody>,
) -> Result<Response, ApiError> {
    let only = body.seqs;
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
    Path(seq): Path<String>,
    OperatorBody { principal, body }: OperatorBody<VoidBody>,
) -> Result<Response, ApiError> {
    let seq: u64 = seq.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
        ApiError::invalid(
            Some("seq".into()),
            format!("seq must be a stream sequence (a whole number from 1), not {seq:?}"),
        )
    })?;
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
        reason: body.reason,
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
pub async fn snapshot(State(state): State<AppState>, _: Operator) -> Result<Response, ApiError> {
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
        projector::offline::OfflineError::RebuildRunning => ApiError::new(
            axum::http::StatusCode::CONFLICT,
            "admin.rebuild_running",
            "a rebuild of these read models is already under way; wait for it to finish",
        ),
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
    _: OperatorBody<EmptyBody>,
) -> Result<Response, ApiError> {
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
    _: OperatorBody<EmptyBody>,
) -> Result<Response, ApiError> {
    let checkpoint = projector::offline::rebuild_live(&state.db, &state.stream)
        .await
        .map_err(|e| offline_failed("rebuild the read models", e))?;
    Ok(Json(Rebuilt { checkpoint }).into_response())
}
