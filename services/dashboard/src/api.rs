//! The JSON read endpoints. Every read accepts `?min_seq=N` and then waits (bounded) until the
//! projector has applied commit N, so a client reads its own writes without sticky sessions.

use std::sync::Arc;

use axum::Json;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, Utc};
use projector::fold::Window;
use projector::read::Reader;
use projector::read::{AssessedCommitment, AssessedMilestone, BlueprintSummary};
use projector::status::RagRules;
use projector::views::{
    BlueprintStatus, BlueprintView, HistoryEntry, OrganisationView, PledgeView,
};
use proto::{BlueprintId, CommitmentId, MilestoneId, OrgId, PledgeId, ThingRef};
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::auth::Caller;
use crate::openapi::examples;
use crate::problem::{ApiError, Path, Query};

/// Query parameters every read accepts.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadParams {
    /// Wait (a few seconds at most) until the read models include this stream sequence: the
    /// `seq` a write answered with, to read your own write.
    #[param(example = 42)]
    pub min_seq: Option<u64>,
    /// Show the blueprint as it stood at the end of this day: only facts that had happened by
    /// then (each event's `occurred_on`) count, and RAG, overdue and delivery confidence are
    /// computed for this date. Today when absent (or the date of `known_at`, when that is
    /// given). Not in the future.
    #[param(example = "2026-06-30")]
    pub as_of: Option<NaiveDate>,
    /// Count only what had been recorded by this instant (RFC 3339, each commit's
    /// `recorded_at`), to reproduce what was shown then, even after back-dated corrections.
    /// Everything recorded so far when absent.
    #[param(value_type = Option<String>, format = DateTime, example = "2026-09-30T09:00:00Z")]
    pub known_at: Option<DateTime<Utc>>,
    /// The former name of `as_of`, still accepted.
    #[param(example = "2026-06-30")]
    pub on: Option<NaiveDate>,
}

/// A read of the read models as its query string asks: the window, and a read transaction that
/// includes its `min_seq`.
pub struct Read {
    pub window: Window,
    pub reader: Reader,
}

impl FromRequestParts<AppState> for Read {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Query(params) = Query::<ReadParams>::from_request_parts(parts, state).await?;
        let (window, reader) = state.read(&params).await?;
        Ok(Read { window, reader })
    }
}

/// A query string taken apart: the window every read takes ([`ReadParams`], by the names its
/// parameters are documented under) and what one read takes besides (`Q`). Each part refuses a
/// parameter it does not know.
#[derive(Debug, Default)]
pub struct Windowed<Q> {
    pub window: ReadParams,
    pub rest: Q,
}

/// `pairs` read as `T`. They are written back as a query string and read again, so that `T`'s
/// numbers and dates are parsed from text as in any query string.
fn query_part<T: serde::de::DeserializeOwned>(
    pairs: Vec<(String, String)>,
) -> Result<T, serde_urlencoded::de::Error> {
    let text = serde_urlencoded::to_string(pairs).map_err(serde::de::Error::custom)?;
    serde_urlencoded::from_str(&text)
}

impl<'de, Q: serde::de::DeserializeOwned> Deserialize<'de> for Windowed<Q> {
    fn deserialize<D: serde::Deserializer<'de>>(query: D) -> Result<Self, D::Error> {
        static WINDOW: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
            use utoipa::IntoParams;
            ReadParams::into_params(|| None)
                .into_iter()
                .map(|p| p.name)
                .collect()
        });
        let pairs = Vec::<(String, String)>::deserialize(query)?;
        let (window, rest): (Vec<_>, Vec<_>) = pairs
            .into_iter()
            .partition(|(name, _)| WINDOW.contains(name));
        Ok(Windowed {
            window: query_part(window).map_err(serde::de::Error::custom)?,
            rest: query_part(rest).map_err(serde::de::Error::custom)?,
        })
    }
}

impl ReadParams {
    /// The window of time the read shows. A date or instant in the future is refused: a view
    /// shows what has happened and been recorded, not a forecast.
    pub fn window(&self) -> Result<Window, ApiError> {
        let now = Utc::now();
        if let Some(k) = self.known_at
            && k > now
        {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "read.known_at_in_future",
                format!(
                    "known_at {} is in the future; pass an instant up to now",
                    k.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            ));
        }
        let as_of = match (self.as_of, self.on) {
            (Some(a), Some(o)) if a != o => {
                return Err(ApiError::malformed(
                    "as_of and its old name on disagree; pass as_of only",
                ));
            }
            (a, o) => a.or(o),
        };
        let as_of = as_of.unwrap_or_else(|| self.known_at.unwrap_or(now).date_naive());
        if as_of > now.date_naive() {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "read.as_of_in_future",
                format!(
                    "as_of {as_of} is in the future; a view shows what had happened by a date up to today (UTC)"
                ),
            ));
        }
        Ok(Window {
            as_of,
            known_at: self.known_at,
        })
    }
}

impl AppState {
    /// The window a read asks for, and a read transaction that includes its `min_seq`.
    pub async fn read(&self, params: &ReadParams) -> Result<(Window, Reader), ApiError> {
        let window = params.window()?;
        Ok((window, self.reader(params).await?))
    }

    /// Waits until the projector reached `min_seq`, then opens a read transaction. A `min_seq`
    /// past the end of the stream names no commit: it is refused at once rather than waited for.
    pub async fn reader(&self, params: &ReadParams) -> Result<Reader, ApiError> {
        if let Some(min_seq) = params.min_seq.filter(|s| *s > *self.checkpoint.borrow()) {
            // The commit nearly always exists and is being projected: the projector reaching it
            // answers, without asking the stream; the check of the stream's end (spaced, shared
            // by concurrent reads) answers a min_seq that names no commit.
            let mut projected = self.checkpoint.clone();
            let last = tokio::select! {
                reached = async { projected.wait_for(|cp| *cp >= min_seq).await.is_ok() } => {
                    match reached {
                        true => min_seq,
                        false => self.stream_end.at_least(min_seq).await.map_err(stream_unchecked)?,
                    }
                }
                last = self.stream_end.at_least(min_seq) => last.map_err(stream_unchecked)?,
            };
            if min_seq > last {
                return Err(ApiError::new(
                    axum::http::StatusCode::BAD_REQUEST,
                    "read.min_seq_ahead",
                    format!(
                        "min_seq {min_seq} is past the last commit stored ({last}); pass the seq \
                         a write answered with"
                    ),
                ));
            }
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
        Ok(self.db.reader()?)
    }
}

fn stream_unchecked(e: eventstore::StoreError) -> ApiError {
    ApiError::unavailable_logged(
        "read.stream_unavailable",
        "the event store cannot be reached to check min_seq; retry shortly",
        e,
    )
}

/// One blueprint's read: the read transaction, the blueprint and the window, once the caller
/// may read it.
pub struct BlueprintRead {
    pub reader: Reader,
    pub id: BlueprintId,
    pub view: Arc<BlueprintView>,
    pub window: Window,
}

impl AppState {
    /// Opens a read of blueprint `bp` for `caller` over the window of `params`: a bad id is
    /// 404, a bad window 400, an unreadable blueprint 401 or 403.
    pub async fn read_blueprint(
        &self,
        caller: &Caller,
        bp: &str,
        params: &ReadParams,
    ) -> Result<BlueprintRead, ApiError> {
        let id: BlueprintId = parse_id(bp)?;
        let (window, reader) = self.read(params).await?;
        let view = require_readable(&reader, caller, &id)?;
        Ok(BlueprintRead {
            reader,
            id,
            view,
            window,
        })
    }
}

/// The read a request of a blueprint's path (`…/blueprints/{bp}…`) asks for: the blueprint opened
/// for its caller over the window of its query.
impl FromRequestParts<AppState> for BlueprintRead {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Path(InBlueprint { bp }) = Path::from_request_parts(parts, state).await?;
        let caller = Caller::from_request_parts(parts, state).await?;
        BlueprintRead::of_query(parts, state, &caller, &bp).await
    }
}

impl BlueprintRead {
    async fn of_query(
        parts: &mut Parts,
        state: &AppState,
        caller: &Caller,
        bp: &str,
    ) -> Result<Self, ApiError> {
        let Query(params) = Query::from_request_parts(parts, state).await?;
        state.read_blueprint(caller, bp, &params).await
    }
}

/// The read a request of one thing in a blueprint (`…/blueprints/{bp}/{kind}/{id}`) asks for: the
/// thing's id, checked before the blueprint is opened.
pub struct ThingRead<I> {
    pub id: I,
    pub read: BlueprintRead,
    pub history: HistoryShown,
}

/// How much of a thing's history a read of it lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryShown {
    Latest(usize),
    All,
}

/// Commits a read of one thing lists when `history` does not say: enough for any page, and a
/// read whose cost does not grow with a long-lived thing's history.
pub const HISTORY_SHOWN: usize = 100;

/// The most `history` may ask for by number (`all` asks for every one).
pub const HISTORY_MOST: usize = 10_000;

/// The query parameter that reads of one thing take besides [`ReadParams`].
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryParam {
    /// How many of the thing's latest commits `history` lists: a number from 1 to 10000, or
    /// `all`. 100 when absent; `history_earlier` says whether older commits were left out.
    #[param(example = "all")]
    pub history: Option<String>,
}

impl HistoryShown {
    fn parse(value: &str) -> Result<Self, ApiError> {
        if value == "all" {
            return Ok(Self::All);
        }
        match value.parse::<usize>() {
            Ok(n) if (1..=HISTORY_MOST).contains(&n) => Ok(Self::Latest(n)),
            _ => Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "read.invalid_history",
                format!(
                    "history must be a number from 1 to {HISTORY_MOST} or \"all\", not {value:?}"
                ),
            )),
        }
    }

    /// What `history` asks for, or the default when it is absent.
    fn asked(param: HistoryParam) -> Result<Self, ApiError> {
        param
            .history
            .as_deref()
            .map_or(Ok(Self::Latest(HISTORY_SHOWN)), Self::parse)
    }

    fn limit(self) -> Option<usize> {
        match self {
            Self::Latest(n) => Some(n),
            Self::All => None,
        }
    }
}

impl<I: std::str::FromStr<Err = proto::IdError> + Send> FromRequestParts<AppState>
    for ThingRead<I>
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Path((bp, id)) = Path::<(String, String)>::from_request_parts(parts, state).await?;
        let caller = Caller::from_request_parts(parts, state).await?;
        let id = parse_id(&id)?;
        let Query(Windowed { window, rest }) =
            Query::<Windowed<HistoryParam>>::from_request_parts(parts, state).await?;
        let history = HistoryShown::asked(rest)?;
        let read = state.read_blueprint(&caller, &bp, &window).await?;
        Ok(ThingRead { id, read, history })
    }
}

/// What a blueprint holds that the API lists (`…/milestones`) and shows one at a time with its
/// history (`…/milestones/{id}`).
trait Held: Serialize + Sized {
    /// The id of one, as the path names it.
    type Id: std::str::FromStr<Err = proto::IdError>;
    /// Every one in the blueprint, as of the read's window.
    fn all(read: &BlueprintRead, rules: &RagRules) -> Result<Vec<Self>, ApiError>;
    /// The one with this id, as of the read's window.
    fn one(read: &BlueprintRead, id: &str, rules: &RagRules) -> Result<Option<Self>, ApiError>;
    /// What its history is recorded under.
    fn thing(bp: &BlueprintId, id: &Self::Id) -> ThingRef;
    fn version(&self) -> u64;
}

impl Held for AssessedMilestone {
    type Id = MilestoneId;
    fn all(read: &BlueprintRead, rules: &RagRules) -> Result<Vec<Self>, ApiError> {
        Ok(read
            .reader
            .assessed_milestones(read.id.as_str(), &read.window, rules)?)
    }
    fn one(read: &BlueprintRead, id: &str, rules: &RagRules) -> Result<Option<Self>, ApiError> {
        Ok(read
            .reader
            .assessed_milestone(read.id.as_str(), id, &read.window, rules)?)
    }
    fn thing(bp: &BlueprintId, id: &MilestoneId) -> ThingRef {
        ThingRef::milestone(bp, id)
    }
    fn version(&self) -> u64 {
        self.milestone.version
    }
}

impl Held for AssessedCommitment {
    type Id = CommitmentId;
    fn all(read: &BlueprintRead, _: &RagRules) -> Result<Vec<Self>, ApiError> {
        Ok(read
            .reader
            .assessed_commitments(read.id.as_str(), &read.window)?)
    }
    fn one(read: &BlueprintRead, id: &str, _: &RagRules) -> Result<Option<Self>, ApiError> {
        Ok(read
            .reader
            .assessed_commitment(read.id.as_str(), id, &read.window)?)
    }
    fn thing(bp: &BlueprintId, id: &CommitmentId) -> ThingRef {
        ThingRef::commitment(bp, id)
    }
    fn version(&self) -> u64 {
        self.commitment.version
    }
}

impl Held for PledgeView {
    type Id = PledgeId;
    fn all(read: &BlueprintRead, _: &RagRules) -> Result<Vec<Self>, ApiError> {
        Ok(read.reader.pledges_in(read.id.as_str(), &read.window)?)
    }
    fn one(read: &BlueprintRead, id: &str, _: &RagRules) -> Result<Option<Self>, ApiError> {
        Ok(read.reader.pledge_in(read.id.as_str(), id, &read.window)?)
    }
    fn thing(bp: &BlueprintId, id: &PledgeId) -> ThingRef {
        ThingRef::pledge(bp, id)
    }
    fn version(&self) -> u64 {
        self.version
    }
}

/// Answers with every `T` in the blueprint.
fn all<T: Held>(state: &AppState, read: &BlueprintRead) -> Result<Response, ApiError> {
    Ok(Json(T::all(read, &state.rules)?).into_response())
}

/// Answers with one `T` and its history, or 404 naming it.
fn one<T: Held>(
    state: &AppState,
    ThingRead { id, read, history }: ThingRead<T::Id>,
) -> Result<Response, ApiError> {
    let thing = T::thing(&read.id, &id);
    let found = T::one(&read, &thing.id, &state.rules)?;
    one_with_history(
        &read.reader,
        &read.window,
        thing,
        found,
        T::version,
        history,
    )
}

/// The path of a blueprint, and of everything in it.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Path)]
pub struct InBlueprint {
    /// The blueprint's id.
    #[param(value_type = BlueprintId, example = "wm-digital")]
    pub bp: String,
}

fn parse_id<T: std::str::FromStr<Err = proto::IdError>>(value: &str) -> Result<T, ApiError> {
    value
        .parse::<T>()
        .map_err(|e| ApiError::not_found("read.invalid_id", e.to_string()))
}

fn json_with_version<T: Serialize>(version: u64, value: &T) -> Response {
    with_etag(version, Json(value).into_response())
}

/// `response` with the version it shows as its ETag.
fn with_etag(version: u64, mut response: Response) -> Response {
    if let Ok(v) = HeaderValue::from_str(&format!("\"{version}\"")) {
        response.headers_mut().insert(header::ETAG, v);
    }
    response
}

/// Every organisation registered.
#[utoipa::path(
    get,
    path = "/api/v1/organisations",
    tag = "organisations",
    params(ReadParams),
    responses((status = 200, description = "The organisations.", body = Vec<OrganisationView>,
        example = json!([examples::organisation()])))
)]
pub async fn organisations(
    State(state): State<AppState>,
    Query(params): Query<ReadParams>,
) -> Result<Response, ApiError> {
    // Organisations are shown as they are now in every window; the window is still checked.
    params.window()?;
    let reader = state.reader(&params).await?;
    Ok(Json(reader.organisations()?).into_response())
}

/// One organisation, with its history.
#[utoipa::path(
    get,
    path = "/api/v1/organisations/{id}",
    tag = "organisations",
    params(("id" = OrgId, Path, description = "The organisation's id.", example = "gds"), ReadParams),
    responses((status = 200, description = "The organisation and its history.",
        body = WithHistory<OrganisationView>,
        example = json!(examples::with_history(examples::organisation(), "organisation.registered",
            "Registered Government Digital Service (central government)"))))
)]
pub async fn organisation(
    Path(id): Path<String>,
    Read { window, reader }: Read,
) -> Result<Response, ApiError> {
    let org: OrgId = parse_id(&id)?;
    let view = reader.organisation(org.as_str())?.ok_or_else(|| {
        ApiError::not_found(
            "organisation.not_found",
            format!("organisation {org} is not registered"),
        )
    })?;
    let (history, history_earlier) =
        reader.latest_history(&ThingRef::organisation(&org).subject(), &window, None)?;
    Ok(json_with_version(
        view.version,
        &WithHistory {
            thing: view,
            history,
            history_earlier,
        },
    ))
}

/// An organisation and what it does across the blueprints the caller may read.
#[derive(Serialize, utoipa::ToSchema)]
pub struct OrganisationInvolvement {
    pub organisation: OrganisationView,
    /// One entry per blueprint it leads, partners, owns milestones in, committed or pledged to.
    pub blueprints: Vec<projector::figures::Involvement>,
}

/// The organisation page's figures: what one organisation leads, owns, committed, pledged and
/// delivered across blueprints, as of the window.
#[utoipa::path(
    get,
    path = "/api/v1/organisations/{id}/involvement",
    tag = "organisations",
    params(("id" = OrgId, Path, description = "The organisation's id.", example = "gds"), ReadParams),
    responses((status = 200, description = "What the organisation does, by blueprint.", body = OrganisationInvolvement))
)]
pub async fn involvement(
    State(state): State<AppState>,
    Path(id): Path<String>,
    caller: Caller,
    Query(params): Query<ReadParams>,
) -> Result<Response, ApiError> {
    Ok(Json(organisation_involvement(&state, &caller, &id, &params).await?).into_response())
}

/// What an organisation does across the blueprints `caller` may read.
pub async fn organisation_involvement(
    state: &AppState,
    caller: &Caller,
    id: &str,
    params: &ReadParams,
) -> Result<OrganisationInvolvement, ApiError> {
    let org: OrgId = parse_id(id)?;
    let (window, reader) = state.read(params).await?;
    let organisation = reader.organisation(org.as_str())?.ok_or_else(|| {
        ApiError::not_found(
            "organisation.not_found",
            format!("organisation {org} is not registered"),
        )
    })?;
    let blueprints =
        reader.involvement(org.as_str(), &window, &state.rules, |b| caller.may_read(b))?;
    Ok(OrganisationInvolvement {
        organisation,
        blueprints,
    })
}

/// The blueprints the caller may read (published and closed ones, and drafts its token
/// reaches), as they stood in the window; those not yet drafted then are left out.
#[utoipa::path(
    get,
    path = "/api/v1/blueprints",
    tag = "blueprints",
    params(ReadParams),
    responses((status = 200, description = "The blueprints.", body = Vec<BlueprintView>,
        example = json!([examples::blueprint()])))
)]
pub async fn blueprints(
    caller: Caller,
    Read { window, reader }: Read,
) -> Result<Response, ApiError> {
    let mut visible = Vec::new();
    for b in reader.blueprints()? {
        if caller.may_read(&b)
            && let Some(model) = reader.model(&b.id, &window)?
        {
            visible.push(model.blueprint);
        }
    }
    Ok(Json(visible).into_response())
}

/// A blueprint's summary as of a date: totals, RAG counts, delivery confidence and progress.
#[utoipa::path(
    get,
    path = "/api/v1/blueprints/{bp}",
    tag = "blueprints",
    params(InBlueprint, ReadParams),
    responses((status = 200, description = "The blueprint's summary.", body = BlueprintSummary, example = json!(examples::summary())))
)]
pub async fn blueprint(
    State(state): State<AppState>,
    BlueprintRead {
        reader, id, window, ..
    }: BlueprintRead,
) -> Result<Response, ApiError> {
    // The answer is the same bytes until the blueprint or the checkpoint moves: written once.
    let checkpoint = reader.checkpoint()?.to_string();
    let written = reader.derived(id.as_str(), &window, ("summary JSON", &checkpoint), || {
        let summary = reader
            .summary(id.as_str(), &window, &state.rules)?
            .ok_or_else(|| not_in_window(&id, &window))?;
        let body =
            serde_json::to_vec(&summary).map_err(|e| ApiError::internal("write the summary", e))?;
        Ok::<_, ApiError>((summary.blueprint.version, axum::body::Bytes::from(body)))
    })?;
    let (version, body) = &*written;
    let json = [(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    )];
    Ok(with_etag(*version, (json, body.clone()).into_response()))
}

/// A blueprint that exists now but had not been drafted in the window asked for.
pub fn not_in_window(id: &BlueprintId, window: &Window) -> ApiError {
    ApiError::not_found(
        "blueprint.not_yet_drafted",
        format!(
            "blueprint {id} had not been drafted by {}{}",
            window.as_of,
            window
                .known_at
                .map(|k| format!(
                    " as recorded by {}",
                    k.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ))
                .unwrap_or_default()
        ),
    )
}

fn blueprint_not_found(id: &BlueprintId) -> ApiError {
    ApiError::not_found(
        "blueprint.not_found",
        format!("blueprint {id} does not exist, or it is a draft that needs a token reaching it"),
    )
}

/// The portfolio page's figures: every blueprint the caller may read, with its delivery
/// confidence, progress, confirmed funding, overdue items and direction of travel against 30
/// days earlier, as of the window.
#[utoipa::path(
    get,
    path = "/api/v1/portfolio",
    tag = "blueprints",
    params(ReadParams),
    responses((status = 200, description = "Every readable blueprint, as of the window.",
        body = Vec<projector::figures::PortfolioEntry>))
)]
pub async fn portfolio(
    State(state): State<AppState>,
    caller: Caller,
    Read { window, reader }: Read,
) -> Result<Response, ApiError> {
    let entries = reader.portfolio(&window, &state.rules, |b| caller.may_read(b))?;
    Ok(Json(entries).into_response())
}

/// Everything the blueprint page shows.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    /// Figures as of the window.
    #[schema(value_type = projector::figures::BlueprintFigures)]
    pub figures: std::sync::Arc<projector::figures::BlueprintFigures>,
    /// Which way the headline figures moved since 30 days before the window's date.
    pub trend: projector::figures::Trend,
    /// The figures day by day up to the window's date: what the charts draw.
    #[schema(value_type = projector::figures::Progression)]
    pub progression: std::sync::Arc<projector::figures::Progression>,
}

/// The blueprint page's figures: headline figures with their direction of travel, delivery
/// confidence with its reasons, milestones with their RAG, due and overdue items, workstreams,
/// funding by sponsor, commitments by partner, and the figures the charts draw.
#[utoipa::path(
    get,
    path = "/api/v1/blueprints/{bp}/dashboard",
    tag = "blueprints",
    params(InBlueprint, ReadParams),
    responses((status = 200, description = "The blueprint page's figures, as of the window.", body = Dashboard))
)]
pub async fn dashboard(
    State(state): State<AppState>,
    BlueprintRead {
        reader, id, window, ..
    }: BlueprintRead,
) -> Result<Response, ApiError> {
    let (figures, trend) = reader
        .figures_with_trend(id.as_str(), &window, &state.rules)?
        .ok_or_else(|| not_in_window(&id, &window))?;
    let progression = reader.progression(id.as_str(), &window)?;
    Ok(Json(Dashboard {
        figures,
        trend,
        progression,
    })
    .into_response())
}

/// The two dates a board report compares.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BoardParams {
    /// Wait until the read models include this stream sequence, as for every read.
    #[param(example = 42)]
    pub min_seq: Option<u64>,
    /// The earlier date (end of day): the last board. 30 days before `to` when absent.
    #[param(example = "2026-10-31")]
    pub from: Option<NaiveDate>,
    /// The later date (end of day). Today when absent; not in the future.
    #[param(example = "2026-11-30")]
    pub to: Option<NaiveDate>,
    /// Count only what had been recorded by this instant, at both dates.
    #[param(value_type = Option<String>, format = DateTime, example = "2026-11-30T09:00:00Z")]
    pub known_at: Option<DateTime<Utc>>,
}

impl BoardParams {
    /// The earlier date and the window of the later one.
    pub fn dates(&self) -> Result<(NaiveDate, Window), ApiError> {
        let window = self.read_params().window()?;
        let from = match self.from {
            Some(f) => f,
            None => window
                .as_of
                .checked_sub_days(chrono::Days::new(projector::figures::TREND_DAYS))
                .unwrap_or(window.as_of),
        };
        if from > window.as_of {
            return Err(ApiError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "read.from_after_to",
                format!(
                    "from {from} is after to {}; pass the earlier date as from",
                    window.as_of
                ),
            ));
        }
        Ok((from, window))
    }

    pub fn read_params(&self) -> ReadParams {
        ReadParams {
            min_seq: self.min_seq,
            as_of: self.to,
            known_at: self.known_at,
            on: None,
        }
    }
}

/// The board report between two dates, for a caller that may read the blueprint.
pub async fn board_report(
    state: &AppState,
    caller: &Caller,
    bp: &str,
    q: &BoardParams,
) -> Result<projector::figures::BoardReport, ApiError> {
    let id: BlueprintId = parse_id(bp)?;
    let (from, window) = q.dates()?;
    let reader = state.reader(&q.read_params()).await?;
    require_readable(&reader, caller, &id)?;
    reader
        .board_report(id.as_str(), from, &window, &state.rules)?
        .ok_or_else(|| not_in_window(&id, &window))
}

/// What changed between two dates (the last board and now, by default): milestones done,
/// slipped, brought forward, added, cancelled and reopened; deliveries; money confirmed and
/// paid; delivery confidence before and after, with its reasons.
#[utoipa::path(
    get,
    path = "/api/v1/blueprints/{bp}/board",
    tag = "blueprints",
    params(InBlueprint, BoardParams),
    responses((status = 200, description = "The changes between the two dates.", body = projector::figures::BoardReport))
)]
pub async fn board(
    State(state): State<AppState>,
    Path(InBlueprint { bp }): Path<InBlueprint>,
    caller: Caller,
    Query(q): Query<BoardParams>,
) -> Result<Response, ApiError> {
    Ok(Json(board_report(&state, &caller, &bp, &q).await?).into_response())
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
) -> Result<Arc<BlueprintView>, ApiError> {
    let view = reader
        .blueprint_shared(id.as_str())?
        .ok_or_else(|| blueprint_not_found(id))?;
    if caller.may_read(&view) {
        return Ok(view);
    }
    // A draft the caller cannot read answers as a blueprint that does not exist, so that no one
    // learns which drafts exist by asking.
    Err(blueprint_not_found(id))
}

/// Declares the two reads of a kind of thing a blueprint holds ([`Held`]): `$all`, every one of
/// the blueprint at `/api/v1/blueprints/{bp}/$things`, and `$one`, one with its history at
/// `…/{id}` (a `$id`, like `$example_id`).
macro_rules! held_reads {
    ($all:ident: $all_doc:literal, $one:ident: $one_doc:literal, $t:ty,
     $things:literal / $what:literal: $id:ty = $example_id:literal,
     examples($example:expr, $with_history:expr)) => {
        #[doc = $all_doc]
        #[utoipa::path(
            get,
            path = concat!("/api/v1/blueprints/{bp}/", $things),
            tag = $things,
            params(InBlueprint, ReadParams),
            responses((status = 200, description = concat!("The ", $things, "."), body = Vec<$t>,
                example = json!([$example])))
        )]
        pub async fn $all(
            State(state): State<AppState>,
            read: BlueprintRead,
        ) -> Result<Response, ApiError> {
            all::<$t>(&state, &read)
        }

        #[doc = $one_doc]
        #[utoipa::path(
            get,
            path = concat!("/api/v1/blueprints/{bp}/", $things, "/{id}"),
            tag = $things,
            params(InBlueprint, ("id" = $id, Path, description = concat!("The ", $what, "'s id."),
                example = $example_id), ReadParams, HistoryParam),
            responses((status = 200, description = concat!("The ", $what, " and its history."),
                body = WithHistory<$t>, example = json!($with_history)))
        )]
        pub async fn $one(
            State(state): State<AppState>,
            read: ThingRead<$id>,
        ) -> Result<Response, ApiError> {
            one::<$t>(&state, read)
        }
    };
}

held_reads!(
    milestones: "A blueprint's milestones, with their RAG status as of a date.",
    milestone: "One milestone with its RAG status as of a date and its history.",
    AssessedMilestone,
    "milestones" / "milestone": MilestoneId = "academy",
    examples(
        examples::milestone(),
        examples::with_history(
            examples::milestone(),
            "milestone.replanned",
            "Forecast moved from 2027-03-31 to 2027-05-31: The venue moved."
        )
    )
);
held_reads!(
    commitments: "A blueprint's commitments, with whether each is overdue as of a date.",
    commitment: "One commitment with its history.",
    AssessedCommitment,
    "commitments" / "commitment": CommitmentId = "secondees",
    examples(
        examples::commitment(),
        examples::with_history(
            examples::commitment(),
            "commitment.delivery_recorded",
            "Delivered 1 people: First secondee started."
        )
    )
);
held_reads!(
    pledges: "A blueprint's pledges.",
    pledge: "One pledge with its history.",
    PledgeView,
    "pledges" / "pledge": PledgeId = "academy-fund",
    examples(
        examples::pledge(),
        examples::with_history(examples::pledge(), "pledge.confirmed", "Confirmed £200,000.00")
    )
);

/// Answers with one thing of a blueprint and its history, or 404 naming it.
fn one_with_history<T: Serialize>(
    reader: &Reader,
    window: &Window,
    thing: ThingRef,
    found: Option<T>,
    version: impl Fn(&T) -> u64,
    shown: HistoryShown,
) -> Result<Response, ApiError> {
    let found = found.ok_or_else(|| {
        ApiError::not_found(
            format!("{}.not_found", thing.kind.token()),
            format!(
                "{} {} does not exist",
                thing.kind.token(),
                thing.display_name()
            ),
        )
    })?;
    let (history, history_earlier) =
        reader.latest_history(&thing.subject(), window, shown.limit())?;
    Ok(json_with_version(
        version(&found),
        &WithHistory {
            thing: found,
            history,
            history_earlier,
        },
    ))
}

/// One thing with its history.
#[derive(Serialize, utoipa::ToSchema)]
pub struct WithHistory<T> {
    #[serde(flatten)]
    pub thing: T,
    /// The latest commits on the thing (as many as `history` asked for; every one for an
    /// organisation), oldest first: who recorded what, when.
    pub history: Vec<HistoryEntry>,
    /// Older commits were left out of `history`; `history=all` lists every one.
    pub history_earlier: bool,
}

/// Any other path.
pub async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(
        "route.not_found",
        format!("there is nothing at {}", uri.path()),
    )
}

/// A path served, with another method.
pub async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "route.method_not_allowed",
        format!("{} does not answer {method}", uri.path()),
    )
}
