//! The JSON read endpoints. Every read accepts `?min_seq=N` and then waits (bounded) until the
//! projector has applied commit N, so a client reads its own writes without sticky sessions.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{NaiveDate, Utc};
use projector::read::Reader;
use projector::views::{BlueprintStatus, BlueprintView, HistoryEntry};
use proto::{BlueprintId, CommitmentId, MilestoneId, OrgId, PledgeId, ThingRef};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Caller;
use crate::problem::ApiError;

/// Query parameters every read accepts.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadParams {
    /// Wait until the projector has applied this stream sequence.
    pub min_seq: Option<u64>,
    /// The date time-dependent status is computed for (default today).
    pub on: Option<NaiveDate>,
}

impl AppState {
    /// Waits until the projector reached `min_seq`, then opens a read transaction.
    pub async fn reader(&self, params: &ReadParams) -> Result<Reader, ApiError> {
        if let Some(min_seq) = params.min_seq {
            let mut rx = self.checkpoint.clone();
            let reached =
                tokio::time::timeout(self.min_seq_wait, rx.wait_for(|cp| *cp >= min_seq)).await;
            if !matches!(reached, Ok(Ok(_))) {
                let now = *self.checkpoint.borrow();
                return Err(ApiError::unavailable(
                    "read.not_yet_projected",
                    format!(
                        "the read models have reached commit {now}, not {min_seq}, yet; retry shortly"
                    ),
                ));
            }
        }
        Ok(Reader::new(&self.db)?)
    }
}

/// The date a view is computed for.
pub fn view_date(params: &ReadParams) -> NaiveDate {
    params.on.unwrap_or_else(|| Utc::now().date_naive())
}

fn parse_id<T: std::str::FromStr<Err = proto::IdError>>(value: &str) -> Result<T, ApiError> {
    value
        .parse::<T>()
        .map_err(|e| ApiError::not_found("read.invalid_id", e.to_string()))
}

fn json_with_version<T: Serialize>(value: &T, version: u64) -> Response {
    let mut response = Json(value).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

type Params = Result<Query<ReadParams>, axum::extract::rejection::QueryRejection>;

fn params(p: Params) -> Result<ReadParams, ApiError> {
    p.map(|Query(p)| p).map_err(|e| {
        ApiError::malformed(format!("the query string is not valid: {}", e.body_text()))
    })
}

pub async fn organisations(State(state): State<AppState>, p: Params) -> Result<Response, ApiError> {
    let reader = state.reader(&params(p)?).await?;
    Ok(Json(reader.organisations()?).into_response())
}

pub async fn organisation(
    State(state): State<AppState>,
    Path(id): Path<String>,
    p: Params,
) -> Result<Response, ApiError> {
    let org: OrgId = parse_id(&id)?;
    let reader = state.reader(&params(p)?).await?;
    let view = reader.organisation(org.as_str())?.ok_or_else(|| {
        ApiError::not_found(
            "organisation.not_found",
            format!("organisation {org} is not registered"),
        )
    })?;
    let history = reader.history(&ThingRef::organisation(&org).subject())?;
    Ok(json_with_version(
        &WithHistory {
            thing: &view,
            history,
        },
        view.version,
    ))
}

pub async fn blueprints(
    State(state): State<AppState>,
    caller: Caller,
    p: Params,
) -> Result<Response, ApiError> {
    let reader = state.reader(&params(p)?).await?;
    let visible: Vec<BlueprintView> = reader
        .blueprints()?
        .into_iter()
        .filter(|b| caller.may_read(&b.id, is_public(b)))
        .collect();
    Ok(Json(visible).into_response())
}

pub async fn blueprint(
    State(state): State<AppState>,
    Path(bp): Path<String>,
    caller: Caller,
    p: Params,
) -> Result<Response, ApiError> {
    let id: BlueprintId = parse_id(&bp)?;
    let params = params(p)?;
    let reader = state.reader(&params).await?;
    require_readable(&reader, &caller, &id)?;
    let summary = reader
        .summary(id.as_str(), view_date(&params), &state.rules)?
        .ok_or_else(|| blueprint_not_found(&id))?;
    let version = summary.blueprint.version;
    Ok(json_with_version(&summary, version))
}

fn blueprint_not_found(id: &BlueprintId) -> ApiError {
    ApiError::not_found(
        "blueprint.not_found",
        format!("blueprint {id} does not exist"),
    )
}

/// Whether a blueprint is public: published or closed blueprints can be read without a token.
pub fn is_public(view: &BlueprintView) -> bool {
    view.status != BlueprintStatus::Draft
}

/// The blueprint, if it exists and the caller may read it.
pub fn require_readable(
    reader: &Reader,
    caller: &Caller,
    id: &BlueprintId,
) -> Result<BlueprintView, ApiError> {
    let view = reader
        .blueprint(id.as_str())?
        .ok_or_else(|| blueprint_not_found(id))?;
    if caller.may_read(id.as_str(), is_public(&view)) {
        return Ok(view);
    }
    match caller.0 {
        None => Err(ApiError::new(
            axum::http::StatusCode::UNAUTHORIZED,
            "auth.unauthenticated",
            format!("blueprint {id} is not published; reading it needs a viewer token"),
        )),
        Some(_) => Err(ApiError::new(
            axum::http::StatusCode::FORBIDDEN,
            "auth.forbidden",
            format!("this token does not reach blueprint {id}"),
        )),
    }
}

pub async fn milestones(
    State(state): State<AppState>,
    Path(bp): Path<String>,
    caller: Caller,
    p: Params,
) -> Result<Response, ApiError> {
    let id: BlueprintId = parse_id(&bp)?;
    let params = params(p)?;
    let reader = state.reader(&params).await?;
    require_readable(&reader, &caller, &id)?;
    Ok(
        Json(reader.assessed_milestones(id.as_str(), view_date(&params), &state.rules)?)
            .into_response(),
    )
}

pub async fn commitments(
    State(state): State<AppState>,
    Path(bp): Path<String>,
    caller: Caller,
    p: Params,
) -> Result<Response, ApiError> {
    let id: BlueprintId = parse_id(&bp)?;
    let params = params(p)?;
    let reader = state.reader(&params).await?;
    require_readable(&reader, &caller, &id)?;
    Ok(Json(reader.assessed_commitments(id.as_str(), view_date(&params))?).into_response())
}

pub async fn pledges(
    State(state): State<AppState>,
    Path(bp): Path<String>,
    caller: Caller,
    p: Params,
) -> Result<Response, ApiError> {
    let id: BlueprintId = parse_id(&bp)?;
    let reader = state.reader(&params(p)?).await?;
    require_readable(&reader, &caller, &id)?;
    Ok(Json(reader.pledges(id.as_str())?).into_response())
}

/// One thing with its full history.
#[derive(Serialize)]
struct WithHistory<'a, T: Serialize> {
    #[serde(flatten)]
    thing: &'a T,
    history: Vec<HistoryEntry>,
}

pub async fn milestone(
    State(state): State<AppState>,
    Path((bp, id)): Path<(String, String)>,
    caller: Caller,
    p: Params,
) -> Result<Response, ApiError> {
    let (bp, id): (BlueprintId, MilestoneId) = (parse_id(&bp)?, parse_id(&id)?);
    let params = params(p)?;
    let reader = state.reader(&params).await?;
    require_readable(&reader, &caller, &bp)?;
    let all = reader.assessed_milestones(bp.as_str(), view_date(&params), &state.rules)?;
    let m = all
        .into_iter()
        .find(|m| m.milestone.id == id.as_str())
        .ok_or_else(|| {
            ApiError::not_found(
                "milestone.not_found",
                format!("milestone {bp}/{id} does not exist"),
            )
        })?;
    let history = reader.history(&ThingRef::milestone(&bp, &id).subject())?;
    Ok(json_with_version(
        &WithHistory { thing: &m, history },
        m.milestone.version,
    ))
}

pub async fn commitment(
    State(state): State<AppState>,
    Path((bp, id)): Path<(String, String)>,
    caller: Caller,
    p: Params,
) -> Result<Response, ApiError> {
    let (bp, id): (BlueprintId, CommitmentId) = (parse_id(&bp)?, parse_id(&id)?);
    let params = params(p)?;
    let reader = state.reader(&params).await?;
    require_readable(&reader, &caller, &bp)?;
    let c = reader
        .assessed_commitments(bp.as_str(), view_date(&params))?
        .into_iter()
        .find(|c| c.commitment.id == id.as_str())
        .ok_or_else(|| {
            ApiError::not_found(
                "commitment.not_found",
                format!("commitment {bp}/{id} does not exist"),
            )
        })?;
    let history = reader.history(&ThingRef::commitment(&bp, &id).subject())?;
    Ok(json_with_version(
        &WithHistory { thing: &c, history },
        c.commitment.version,
    ))
}

pub async fn pledge(
    State(state): State<AppState>,
    Path((bp, id)): Path<(String, String)>,
    caller: Caller,
    p: Params,
) -> Result<Response, ApiError> {
    let (bp, id): (BlueprintId, PledgeId) = (parse_id(&bp)?, parse_id(&id)?);
    let reader = state.reader(&params(p)?).await?;
    require_readable(&reader, &caller, &bp)?;
    let view = reader.pledge(bp.as_str(), id.as_str())?.ok_or_else(|| {
        ApiError::not_found(
            "pledge.not_found",
            format!("pledge {bp}/{id} does not exist"),
        )
    })?;
    let history = reader.history(&ThingRef::pledge(&bp, &id).subject())?;
    Ok(json_with_version(
        &WithHistory {
            thing: &view,
            history,
        },
        view.version,
    ))
}

/// Any other path.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(
        "route.not_found",
        format!("there is nothing at {}", uri.path()),
    )
}
