//! HTML pages for people: blueprints, each milestone, commitment and pledge with its full history,
//! organisations, and sign-in. Signed-in recorders get a form for every command; forms post to
//! the same `execute` path as the JSON API. Every value users typed is escaped by the templates.

use std::collections::HashMap;
use std::net::SocketAddr;

use askama::Template;
use axum::extract::{ConnectInfo, Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use projector::read::{AssessedCommitment, AssessedMilestone, BlueprintSummary, Reader};
use projector::views::{BlueprintView, HistoryEntry, PledgeView};
use proto::{BlueprintId, Resource, ThingKind, ThingRef};

use crate::AppState;
use crate::api::{ReadParams, is_public, require_readable, view_date};

use crate::commands::{Write, WriteMeta, create_action, execute, plural};
use crate::forms::{self, Choices, FormView, Refused};
use crate::problem::ApiError;
use crate::session::{self, Visitor, csrf_matches};

/// What every page shows at the top: who is signed in.
pub struct Nav {
    pub user: Option<String>,
    pub role: Option<&'static str>,
    pub csrf: String,
}

impl Nav {
    pub fn of(visitor: &Visitor) -> Self {
        match &visitor.session {
            Some(s) => Nav {
                user: Some(s.principal.name.clone()),
                role: Some(s.principal.role.label()),
                csrf: s.csrf.clone(),
            },
            None => Nav {
                user: visitor.caller.0.as_ref().map(|p| p.name.clone()),
                role: visitor.caller.0.as_ref().map(|p| p.role.label()),
                csrf: String::new(),
            },
        }
    }
}

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    nav: Nav,
    blueprints: Vec<BlueprintView>,
    forms: Vec<FormView>,
}

#[derive(Template)]
#[template(path = "blueprint.html")]
struct BlueprintPage {
    nav: Nav,
    s: BlueprintSummary,
    milestones: Vec<AssessedMilestone>,
    commitments: Vec<AssessedCommitment>,
    pledges: Vec<PledgeRow>,
    money: FundingRow,
    staff: FundingRow,
    forms: Vec<FormView>,
    /// The CSRF token for the upload form, when the visitor may import.
    import_csrf: Option<String>,
}

#[derive(Template)]
#[template(path = "thing.html")]
struct ThingPage {
    nav: Nav,
    kind: &'static str,
    title: String,
    blueprint_id: String,
    blueprint_title: String,
    status: String,
    rag: Option<String>,
    reasons: Vec<String>,
    facts: Vec<(&'static str, String)>,
    history: Vec<HistoryEntry>,
    forms: Vec<FormView>,
}

#[derive(Template)]
#[template(path = "organisations.html")]
struct OrganisationsPage {
    nav: Nav,
    organisations: Vec<(projector::views::OrganisationView, Option<FormView>)>,
    register: Option<FormView>,
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    nav: Nav,
    error: Option<String>,
    next: String,
}

struct FundingRow {
    target: String,
    pledged: String,
    confirmed: String,
    disbursed: String,
}

struct PledgeRow {
    view: PledgeView,
    pledged: String,
    confirmed: String,
    disbursed: String,
}

fn render(status: StatusCode, template: impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => ApiError::internal("render the page", e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: Nav,
    heading: String,
    message: String,
}

fn page_error(visitor: Option<&Visitor>, status: StatusCode, message: &str) -> Response {
    let nav = visitor.map_or(
        Nav {
            user: None,
            role: None,
            csrf: String::new(),
        },
        Nav::of,
    );
    let heading = status.canonical_reason().unwrap_or("Error").to_owned();
    render(
        status,
        ErrorPage {
            nav,
            heading,
            message: message.to_owned(),
        },
    )
}

/// A status as people read it: `in progress`, `fulfilled`.
fn status_label<T: serde::Serialize>(status: &T) -> String {
    serde_json::to_value(status)
        .ok()
        .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
        .unwrap_or_default()
}

/// An error page for a visitor.
pub fn error_page(visitor: &Visitor, status: StatusCode, message: &str) -> Response {
    page_error(Some(visitor), status, message)
}

fn from_api(visitor: &Visitor, e: ApiError) -> Response {
    page_error(Some(visitor), e.status, &e.detail)
}

/// Whether the visitor may use forms for `kind`/`action` (signed in, with a role that may).
fn may_write(visitor: &Visitor, kind: ThingKind, action: &str, blueprint: Option<&str>) -> bool {
    visitor.session.is_some()
        && visitor
            .caller
            .authorise_write(kind, action, blueprint)
            .is_ok()
}

fn choices(reader: &Reader, bp: Option<&BlueprintView>) -> Result<Choices, ApiError> {
    let organisations = reader
        .organisations()?
        .into_iter()
        .map(|o| (o.id.clone(), format!("{} ({})", o.name, o.id)))
        .collect();
    let workstreams = bp
        .map(|b| {
            b.workstreams
                .iter()
                .filter(|w| !w.retired)
                .map(|w| (w.id.clone(), w.title.clone()))
                .collect()
        })
        .unwrap_or_default();
    Ok(Choices {
        workstreams,
        organisations,
    })
}

/// Which submitted form was refused, and how.
type Refusal<'a> = Option<(&'a str, &'a Refused)>;

fn refused_for<'a>(refusal: Refusal<'a>, action: &str) -> Option<&'a Refused> {
    refusal.and_then(|(a, r)| (a == action).then_some(r))
}

pub async fn index(State(state): State<AppState>, visitor: Visitor) -> Response {
    index_page(&state, &visitor, None, StatusCode::OK).await
}

async fn index_page(
    state: &AppState,
    visitor: &Visitor,
    refusal: Refusal<'_>,
    status: StatusCode,
) -> Response {
    let result: Result<IndexPage, ApiError> = async {
        let reader = state.reader(&ReadParams::default()).await?;
        let blueprints = reader
            .blueprints()?
            .into_iter()
            .filter(|b| visitor.caller.may_read(&b.id, is_public(b)))
            .collect();
        let mut forms = Vec::new();
        if may_write(visitor, ThingKind::Blueprint, "draft", None) {
            let nav = Nav::of(visitor);
            let choices = choices(&reader, None)?;
            if let Some(spec) = forms::create_spec(ThingKind::Blueprint) {
                forms.push(forms::render(
                    spec,
                    "/blueprints".into(),
                    &nav.csrf,
                    None,
                    &choices,
                    refused_for(refusal, spec.action),
                ));
            }
        }
        Ok(IndexPage {
            nav: Nav::of(visitor),
            blueprints,
            forms,
        })
    }
    .await;
    match result {
        Ok(page) => render(status, page),
        Err(e) => from_api(visitor, e),
    }
}

pub async fn organisations(State(state): State<AppState>, visitor: Visitor) -> Response {
    organisations_page(&state, &visitor, None, StatusCode::OK).await
}

async fn organisations_page(
    state: &AppState,
    visitor: &Visitor,
    refusal: Option<(&str, &str, &Refused)>,
    status: StatusCode,
) -> Response {
    let result: Result<OrganisationsPage, ApiError> = async {
        let reader = state.reader(&ReadParams::default()).await?;
        let nav = Nav::of(visitor);
        let admin = may_write(visitor, ThingKind::Organisation, "register", None);
        let empty = Choices::default();
        let rename = forms::spec(ThingKind::Organisation, "rename");
        let organisations = reader
            .organisations()?
            .into_iter()
            .map(|o| {
                let form = rename.filter(|_| admin).map(|spec| {
                    let refused =
                        refusal.and_then(|(id, a, r)| (id == o.id && a == "rename").then_some(r));
                    forms::render(
                        spec,
                        format!("/organisations/{}/rename", o.id),
                        &nav.csrf,
                        Some(o.version),
                        &empty,
                        refused,
                    )
                });
                (o, form)
            })
            .collect();
        let register = forms::create_spec(ThingKind::Organisation)
            .filter(|_| admin)
            .map(|spec| {
                let refused =
                    refusal.and_then(|(id, a, r)| (id.is_empty() && a == "register").then_some(r));
                forms::render(
                    spec,
                    "/organisations".into(),
                    &nav.csrf,
                    None,
                    &empty,
                    refused,
                )
            });
        Ok(OrganisationsPage {
            nav,
            organisations,
            register,
        })
    }
    .await;
    match result {
        Ok(page) => render(status, page),
        Err(e) => from_api(visitor, e),
    }
}

type PageQuery = Result<Query<ReadParams>, axum::extract::rejection::QueryRejection>;

pub async fn blueprint(
    State(state): State<AppState>,
    Path(bp): Path<String>,
    visitor: Visitor,
    q: PageQuery,
) -> Response {
    let Ok(Query(params)) = q else {
        return page_error(
            Some(&visitor),
            StatusCode::BAD_REQUEST,
            "the query string is not valid: use min_seq=<number> and on=<YYYY-MM-DD>",
        );
    };
    blueprint_page(&state, &visitor, &bp, &params, None, StatusCode::OK).await
}

async fn blueprint_page(
    state: &AppState,
    visitor: &Visitor,
    bp: &str,
    params: &ReadParams,
    refusal: Refusal<'_>,
    status: StatusCode,
) -> Response {
    let Ok(id) = bp.parse::<BlueprintId>() else {
        return page_error(
            Some(visitor),
            StatusCode::NOT_FOUND,
            &format!("there is no blueprint {bp:?}"),
        );
    };
    let result: Result<BlueprintPage, ApiError> = async {
        let reader = state.reader(params).await?;
        let view = require_readable(&reader, &visitor.caller, &id)?;
        let today = view_date(params);
        let s = reader
            .summary(id.as_str(), today, &state.rules)?
            .ok_or_else(|| {
                ApiError::not_found(
                    "blueprint.not_found",
                    format!("blueprint {id} does not exist"),
                )
            })?;
        let milestones = reader.assessed_milestones(id.as_str(), today, &state.rules)?;
        let commitments = reader.assessed_commitments(id.as_str(), today)?;
        let pledges = reader
            .pledges(id.as_str())?
            .into_iter()
            .map(|p| PledgeRow {
                pledged: p.resource.format(p.pledged),
                confirmed: p
                    .confirmed
                    .map_or_else(|| "—".to_owned(), |c| p.resource.format(c)),
                disbursed: p.resource.format(p.disbursed),
                view: p,
            })
            .collect();
        let f = s.blueprint.funding;
        let money = FundingRow {
            target: Resource::Money.format(s.blueprint.funding_target),
            pledged: Resource::Money.format(f.money.pledged),
            confirmed: Resource::Money.format(f.money.confirmed),
            disbursed: Resource::Money.format(f.money.disbursed),
        };
        let staff = FundingRow {
            target: s
                .blueprint
                .staff_time_target
                .map_or_else(|| "—".to_owned(), |t| Resource::StaffTime.format(t)),
            pledged: Resource::StaffTime.format(f.staff_time.pledged),
            confirmed: Resource::StaffTime.format(f.staff_time.confirmed),
            disbursed: Resource::StaffTime.format(f.staff_time.disbursed),
        };
        let nav = Nav::of(visitor);
        let choices = choices(&reader, Some(&view))?;
        let mut forms = Vec::new();
        for kind in [
            ThingKind::Milestone,
            ThingKind::Commitment,
            ThingKind::Pledge,
        ] {
            if let Some(spec) = forms::create_spec(kind)
                .filter(|sp| may_write(visitor, kind, sp.action, Some(id.as_str())))
            {
                let url = format!("/blueprints/{id}/{}", plural(kind));
                forms.push(forms::render(
                    spec,
                    url,
                    &nav.csrf,
                    None,
                    &choices,
                    refused_for(refusal, &format!("{}:{}", plural(kind), spec.action)),
                ));
            }
        }
        for spec in forms::action_specs(ThingKind::Blueprint)
            .filter(|sp| may_write(visitor, ThingKind::Blueprint, sp.action, Some(id.as_str())))
        {
            let url = format!("/blueprints/{id}/{}", spec.action);
            forms.push(forms::render(
                spec,
                url,
                &nav.csrf,
                Some(view.version),
                &choices,
                refused_for(refusal, spec.action),
            ));
        }
        let import_csrf = may_write(visitor, ThingKind::Milestone, "plan", Some(id.as_str()))
            .then(|| nav.csrf.clone());
        Ok(BlueprintPage {
            nav,
            s,
            milestones,
            commitments,
            pledges,
            money,
            staff,
            forms,
            import_csrf,
        })
    }
    .await;
    match result {
        Ok(page) => render(status, page),
        Err(e) => from_api(visitor, e),
    }
}

fn collection_kind(things: &str) -> Option<ThingKind> {
    match things {
        "milestones" => Some(ThingKind::Milestone),
        "commitments" => Some(ThingKind::Commitment),
        "pledges" => Some(ThingKind::Pledge),
        _ => None,
    }
}

pub async fn thing(
    State(state): State<AppState>,
    Path((bp, things, id)): Path<(String, String, String)>,
    visitor: Visitor,
    q: PageQuery,
) -> Response {
    let Ok(Query(params)) = q else {
        return page_error(
            Some(&visitor),
            StatusCode::BAD_REQUEST,
            "the query string is not valid: use min_seq=<number> and on=<YYYY-MM-DD>",
        );
    };
    thing_page(
        &state,
        &visitor,
        (&bp, &things, &id),
        &params,
        None,
        StatusCode::OK,
    )
    .await
}

async fn thing_page(
    state: &AppState,
    visitor: &Visitor,
    (bp, things, id): (&str, &str, &str),
    params: &ReadParams,
    refusal: Refusal<'_>,
    status: StatusCode,
) -> Response {
    let (Some(kind), Ok(bp_id)) = (collection_kind(things), bp.parse::<BlueprintId>()) else {
        return page_error(
            Some(visitor),
            StatusCode::NOT_FOUND,
            "there is no such page",
        );
    };
    let result: Result<Option<ThingPage>, ApiError> = async {
        let reader = state.reader(params).await?;
        let bpv = require_readable(&reader, &visitor.caller, &bp_id)?;
        let today = view_date(params);
        let thing = ThingRef {
            kind,
            blueprint: Some(bp_id.clone()),
            id: id.to_owned(),
        };
        let (title, status, rag, reasons, facts, version) = match kind {
            ThingKind::Milestone => {
                let Some(m) = reader
                    .assessed_milestones(bp, today, &state.rules)?
                    .into_iter()
                    .find(|m| m.milestone.id == id)
                else {
                    return Ok(None);
                };
                let v = &m.milestone;
                let facts = vec![
                    ("Workstream", v.workstream.clone()),
                    ("Owner", v.owner.to_string()),
                    ("Baseline date", v.baseline.to_string()),
                    ("Forecast date", v.forecast.to_string()),
                    ("Slippage", format!("{} days", m.slippage_days)),
                    ("Progress", format!("{}% {}", v.percent, v.progress_note)),
                    (
                        "Depends on",
                        if v.depends_on.is_empty() {
                            "—".to_owned()
                        } else {
                            v.depends_on.join(", ")
                        },
                    ),
                    (
                        "Completed on",
                        v.completed_on
                            .map_or_else(|| "—".to_owned(), |d| d.to_string()),
                    ),
                    (
                        "Evidence",
                        v.evidence.clone().unwrap_or_else(|| "—".to_owned()),
                    ),
                    ("Version", v.version.to_string()),
                ];
                (
                    v.title.clone(),
                    status_label(&v.status),
                    Some(m.rag.label().to_owned()),
                    m.rag_reasons.clone(),
                    facts,
                    v.version,
                )
            }
            ThingKind::Commitment => {
                let Some(c) = reader
                    .assessed_commitments(bp, today)?
                    .into_iter()
                    .find(|c| c.commitment.id == id)
                else {
                    return Ok(None);
                };
                let v = &c.commitment;
                let facts = vec![
                    ("Partner", v.partner.to_string()),
                    ("Kind", v.kind.label().to_owned()),
                    ("Promised", format!("{} {}", v.quantity, v.unit)),
                    ("Delivered", format!("{} {}", v.delivered, v.unit)),
                    (
                        "Due",
                        format!("{}{}", v.due, if c.overdue { " (overdue)" } else { "" }),
                    ),
                    ("Version", v.version.to_string()),
                ];
                (
                    v.description.clone(),
                    status_label(&v.status),
                    None,
                    vec![],
                    facts,
                    v.version,
                )
            }
            _ => {
                let Some(v) = reader.pledge(bp, id)? else {
                    return Ok(None);
                };
                let facts = vec![
                    ("Sponsor", v.sponsor.to_string()),
                    ("Pledged", v.resource.format(v.pledged)),
                    (
                        "Confirmed",
                        v.confirmed
                            .map_or_else(|| "—".to_owned(), |c| v.resource.format(c)),
                    ),
                    ("Disbursed", v.resource.format(v.disbursed)),
                    (
                        "Workstream",
                        v.workstream.clone().unwrap_or_else(|| "—".to_owned()),
                    ),
                    ("Conditions", v.conditions.clone()),
                    ("Version", v.version.to_string()),
                ];
                (
                    format!("Pledge {} from {}", v.id, v.sponsor),
                    status_label(&v.status),
                    None,
                    vec![],
                    facts,
                    v.version,
                )
            }
        };
        let history = reader.history(&thing.subject())?;
        let nav = Nav::of(visitor);
        let choices = choices(&reader, Some(&bpv))?;
        let forms = forms::action_specs(kind)
            .filter(|sp| {
                forms::offered(kind, &status, sp.action)
                    || refused_for(refusal, sp.action).is_some()
            })
            .filter(|sp| may_write(visitor, kind, sp.action, Some(bp)))
            .map(|sp| {
                forms::render(
                    sp,
                    format!("/blueprints/{bp}/{things}/{id}/{}", sp.action),
                    &nav.csrf,
                    Some(version),
                    &choices,
                    refused_for(refusal, sp.action),
                )
            })
            .collect();
        Ok(Some(ThingPage {
            nav,
            kind: kind.token(),
            title,
            blueprint_id: bpv.id.clone(),
            blueprint_title: bpv.title.clone(),
            status,
            rag,
            reasons,
            facts,
            history,
            forms,
        }))
    }
    .await;
    match result {
        Ok(Some(page)) => render(status, page),
        Ok(None) => page_error(
            Some(visitor),
            StatusCode::NOT_FOUND,
            &format!("{} {bp}/{id} does not exist", kind.token()),
        ),
        Err(e) => from_api(visitor, e),
    }
}

// ---- form posts ----

type Fields = Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>;

/// Checks the session and CSRF token of a form post; returns the fields, or the page to show.
fn check_form(
    visitor: &Visitor,
    fields: Fields,
) -> Result<HashMap<String, String>, (StatusCode, &'static str)> {
    let Some(session) = &visitor.session else {
        return Err((StatusCode::UNAUTHORIZED, "sign in to record"));
    };
    let Ok(Form(fields)) = fields else {
        return Err((StatusCode::BAD_REQUEST, "the form could not be read"));
    };
    let given = fields.get("csrf").map(String::as_str).unwrap_or("");
    if !csrf_matches(&session.csrf, given) {
        tracing::warn!(user = %session.principal.name, "form refused: CSRF token missing or wrong");
        return Err((
            StatusCode::FORBIDDEN,
            "the form has expired or did not come from this site; reload the page and try again",
        ));
    }
    Ok(fields)
}

fn meta(fields: &HashMap<String, String>) -> WriteMeta {
    WriteMeta {
        idempotency_key: fields
            .get("idempotency_key")
            .filter(|k| !k.is_empty())
            .cloned(),
        expected_version: fields.get("version").and_then(|v| v.parse().ok()),
    }
}

/// Runs a submitted form: on success, the thing's page; on refusal, `refused` renders it again.
async fn submit(
    state: &AppState,
    visitor: &Visitor,
    fields: HashMap<String, String>,
    kind: ThingKind,
    blueprint: Option<String>,
    id: Option<String>,
    action: &str,
) -> Result<String, (StatusCode, Refused)> {
    let refuse = |status: StatusCode, field: Option<String>, message: String| {
        (
            status,
            Refused {
                values: fields.clone(),
                field,
                message,
                idempotency_key: fields.get("idempotency_key").cloned().unwrap_or_default(),
            },
        )
    };
    let Some(spec) = forms::spec(kind, action) else {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            None,
            format!("there is no form {action:?}"),
        ));
    };
    let mut body = forms::to_body(spec, &fields)
        .map_err(|(f, m)| refuse(StatusCode::UNPROCESSABLE_ENTITY, Some(f), m))?;
    let id = match id {
        Some(id) => id,
        None => match body.remove("id") {
            Some(serde_json::Value::String(s)) => s,
            _ => {
                return Err(refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some("id".into()),
                    "Id is required".into(),
                ));
            }
        },
    };
    let write = Write {
        kind,
        blueprint: blueprint.clone(),
        id: id.clone(),
        action: spec.action.to_owned(),
        body,
    };
    match execute(state, &visitor.caller, write, meta(&fields)).await {
        Ok(written) => Ok(match (kind, blueprint) {
            (ThingKind::Organisation, _) => {
                format!("/organisations?min_seq={}", written.accepted.seq)
            }
            (ThingKind::Blueprint, _) => {
                format!("/blueprints/{id}?min_seq={}", written.accepted.seq)
            }
            (_, Some(bp)) => format!(
                "/blueprints/{bp}/{}/{id}?min_seq={}",
                plural(kind),
                written.accepted.seq
            ),
            (_, None) => "/".to_owned(),
        }),
        Err(e) => Err(refuse(e.status, e.field.clone(), e.detail)),
    }
}

fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

/// `POST /blueprints`: draft a blueprint from the index page.
pub async fn post_draft(
    State(state): State<AppState>,
    visitor: Visitor,
    fields: Fields,
) -> Response {
    let fields = match check_form(&visitor, fields) {
        Ok(f) => f,
        Err((status, message)) => return page_error(Some(&visitor), status, message),
    };
    match submit(
        &state,
        &visitor,
        fields,
        ThingKind::Blueprint,
        None,
        None,
        "draft",
    )
    .await
    {
        Ok(to) => see_other(&to),
        Err((status, refused)) => {
            index_page(&state, &visitor, Some(("draft", &refused)), status).await
        }
    }
}

/// `POST /organisations`: register an organisation.
pub async fn post_register(
    State(state): State<AppState>,
    visitor: Visitor,
    fields: Fields,
) -> Response {
    post_organisation(
        &state,
        &visitor,
        fields,
        None,
        create_action(ThingKind::Organisation).to_owned(),
    )
    .await
}

/// `POST /organisations/{org}/{action}`.
pub async fn post_org_action(
    State(state): State<AppState>,
    Path((id, action)): Path<(String, String)>,
    visitor: Visitor,
    fields: Fields,
) -> Response {
    post_organisation(&state, &visitor, fields, Some(id), action.replace('-', "_")).await
}

async fn post_organisation(
    state: &AppState,
    visitor: &Visitor,
    fields: Fields,
    id: Option<String>,
    action: String,
) -> Response {
    let fields = match check_form(visitor, fields) {
        Ok(f) => f,
        Err((status, message)) => return page_error(Some(visitor), status, message),
    };
    match submit(
        state,
        visitor,
        fields,
        ThingKind::Organisation,
        None,
        id.clone(),
        &action,
    )
    .await
    {
        Ok(to) => see_other(&to),
        Err((status, refused)) => {
            organisations_page(
                state,
                visitor,
                Some((id.as_deref().unwrap_or(""), &action, &refused)),
                status,
            )
            .await
        }
    }
}

/// `POST /blueprints/{bp}/{segment}`: create a milestone, commitment or pledge, or act on the
/// blueprint itself.
pub async fn post_in_blueprint(
    State(state): State<AppState>,
    Path((bp, segment)): Path<(String, String)>,
    visitor: Visitor,
    fields: Fields,
) -> Response {
    let fields = match check_form(&visitor, fields) {
        Ok(f) => f,
        Err((status, message)) => return page_error(Some(&visitor), status, message),
    };
    let (kind, id, action, refusal_key) = match collection_kind(&segment) {
        Some(kind) => (
            kind,
            None,
            create_action(kind).to_owned(),
            format!("{segment}:{}", create_action(kind)),
        ),
        None => (
            ThingKind::Blueprint,
            Some(bp.clone()),
            segment.replace('-', "_"),
            segment.replace('-', "_"),
        ),
    };
    let blueprint = (kind != ThingKind::Blueprint).then(|| bp.clone());
    match submit(&state, &visitor, fields, kind, blueprint, id, &action).await {
        Ok(to) => see_other(&to),
        Err((status, refused)) => {
            blueprint_page(
                &state,
                &visitor,
                &bp,
                &ReadParams::default(),
                Some((&refusal_key, &refused)),
                status,
            )
            .await
        }
    }
}

/// `POST /blueprints/{bp}/{things}/{id}/{action}`.
pub async fn post_thing(
    State(state): State<AppState>,
    Path((bp, things, id, action)): Path<(String, String, String, String)>,
    visitor: Visitor,
    fields: Fields,
) -> Response {
    let fields = match check_form(&visitor, fields) {
        Ok(f) => f,
        Err((status, message)) => return page_error(Some(&visitor), status, message),
    };
    let Some(kind) = collection_kind(&things) else {
        return page_error(
            Some(&visitor),
            StatusCode::NOT_FOUND,
            "there is no such page",
        );
    };
    let action = action.replace('-', "_");
    match submit(
        &state,
        &visitor,
        fields,
        kind,
        Some(bp.clone()),
        Some(id.clone()),
        &action,
    )
    .await
    {
        Ok(to) => see_other(&to),
        Err((status, refused)) => {
            thing_page(
                &state,
                &visitor,
                (&bp, &things, &id),
                &ReadParams::default(),
                Some((&action, &refused)),
                status,
            )
            .await
        }
    }
}

// ---- signing in and out ----

#[derive(serde::Deserialize)]
pub struct NextParam {
    next: Option<String>,
}

/// A local path to return to after signing in (never another site).
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n.to_owned(),
        _ => "/".to_owned(),
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
    let ip = addr.ip();
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
    if let Some(old) = session::session_id(&headers) {
        state.sessions.remove(&old);
    }
    let Ok((id, _csrf)) = state.sessions.create(hash) else {
        return page_error(
            None,
            StatusCode::SERVICE_UNAVAILABLE,
            "could not start a session; try again",
        );
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
