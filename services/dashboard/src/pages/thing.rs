//! A milestone, commitment or pledge with its facts and its full history.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use projector::views::HistoryEntry;
use proto::{BlueprintId, ThingKind, ThingRef};

use crate::AppState;
use crate::api::{ReadParams, require_readable};

use super::*;
use crate::forms::{self, FormView};
use crate::problem::ApiError;
use crate::session::Visitor;

#[derive(Template)]
#[template(path = "thing.html")]
struct ThingPage {
    nav: Nav,
    /// The commit a form post just recorded, shown in a success banner.
    recorded: Option<u64>,
    /// The blueprint's `updated_seq` this page shows, where its live stream starts.
    live_since: u64,
    shown: crate::components::Shown,
    kind_label: String,
    title: String,
    blueprint_href: String,
    blueprint_title: String,
    status: crate::components::Tag,
    rag: Option<crate::components::Tag>,
    reasons: Vec<String>,
    facts: Vec<(&'static str, String)>,
    history: Vec<HistoryEntry>,
    forms: Vec<FormView>,
}

pub async fn thing(
    State(state): State<AppState>,
    Path((bp, things, id)): Path<(String, String, String)>,
    PageQuery { visitor, query }: PageQuery,
) -> Response {
    thing_page(
        &state,
        &visitor,
        (&bp, &things, &id),
        &query,
        None,
        StatusCode::OK,
    )
    .await
}

pub(super) async fn thing_page(
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
        let names: std::collections::BTreeMap<String, String> = reader
            .organisations()?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect();
        let org = |id: &proto::OrgId| match names.get(id.as_str()) {
            Some(name) => format!("{name} ({id})"),
            None => id.to_string(),
        };
        let workstream = |id: &str| {
            bpv.workstreams
                .iter()
                .find(|w| w.id == id)
                .map_or_else(|| id.to_owned(), |w| w.title.clone())
        };
        let window = params.window()?;
        let thing = ThingRef {
            kind,
            blueprint: Some(bp_id.clone()),
            id: id.to_owned(),
        };
        let (title, status, rag, reasons, facts, version, allowed) = match kind {
            ThingKind::Milestone => {
                let Some(m) = reader
                    .assessed_milestones(bp, &window, &state.rules)?
                    .into_iter()
                    .find(|m| m.milestone.id == id)
                else {
                    return Ok(None);
                };
                let v = &m.milestone;
                let facts = vec![
                    ("Workstream", workstream(&v.workstream)),
                    ("Owner", org(&v.owner)),
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
                    Some(crate::components::rag_tag(m.rag)),
                    m.rag_reasons.clone(),
                    facts,
                    v.version,
                    allowed(kind, |a| milestones::allows(Some(v.status), a)),
                )
            }
            ThingKind::Commitment => {
                let Some(c) = reader
                    .assessed_commitments(bp, &window)?
                    .into_iter()
                    .find(|c| c.commitment.id == id)
                else {
                    return Ok(None);
                };
                let v = &c.commitment;
                let facts = vec![
                    ("Partner", org(&v.partner)),
                    ("Kind", v.kind.label().to_owned()),
                    ("Promised", format!("{} {}", v.quantity, v.unit)),
                    (
                        "Delivered",
                        format!("{} of {} {}", v.delivered, v.quantity, v.unit),
                    ),
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
                    allowed(kind, |a| commitments::allows(Some(v.status), a)),
                )
            }
            _ => {
                let Some(v) = reader
                    .pledges_in(bp, &window)?
                    .into_iter()
                    .find(|p| p.id == id)
                else {
                    return Ok(None);
                };
                let facts = vec![
                    ("Sponsor", org(&v.sponsor)),
                    ("Pledged", v.resource.format(v.pledged)),
                    (
                        "Confirmed",
                        v.confirmed
                            .map_or_else(|| "—".to_owned(), |c| v.resource.format(c)),
                    ),
                    ("Disbursed", v.resource.format(v.disbursed)),
                    (
                        "Workstream",
                        v.workstream
                            .as_deref()
                            .map_or_else(|| "—".to_owned(), workstream),
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
                    allowed(kind, |a| pledges::allows(Some(v.status), a)),
                )
            }
        };
        let history = reader.history_in(&thing.subject(), &window)?;
        let shown = crate::components::Shown::of(window);
        let nav = Nav::of(visitor);
        let choices = choices(&reader, Some(&bpv))?;
        let forms = forms::action_specs(kind)
            .filter(|_| !shown.past)
            .filter(|sp| allowed.contains(&sp.name) || refused_for(refusal, sp.name).is_some())
            .filter(|sp| may_write(visitor, kind, sp.name, Some(bp)))
            .map(|sp| {
                forms::render(
                    sp,
                    format!("/blueprints/{bp}/{things}/{id}/{}", sp.name),
                    &nav.csrf,
                    Some(version),
                    &choices,
                    refused_for(refusal, sp.name),
                )
            })
            .collect();
        Ok(Some(ThingPage {
            recorded: params.min_seq.filter(|_| !shown.past),
            live_since: bpv.updated_seq,
            nav,
            kind_label: {
                let k = kind.token();
                format!("{}{}", k[..1].to_uppercase(), &k[1..])
            },
            title,
            blueprint_href: format!("/blueprints/{}", bpv.id),
            blueprint_title: bpv.title.clone(),
            status: crate::components::status_tag(&status.replace(' ', "_")),
            shown,
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

/// The actions on an existing thing of `kind` that its decider allows.
fn allowed(kind: ThingKind, allows: impl Fn(&str) -> bool) -> Vec<&'static str> {
    forms::action_specs(kind)
        .filter(|a| allows(a.name))
        .map(|a| a.name)
        .collect()
}
