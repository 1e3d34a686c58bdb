//! A milestone, commitment or pledge with its facts and its latest history.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use projector::views::HistoryEntry;
use proto::{BlueprintId, ThingKind, ThingRef};

use crate::AppState;
use crate::api::{ReadParams, require_readable};

use super::*;
use crate::components::{Tag, rag_tag, status_name, status_tag};
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
    status: Tag,
    rag: Option<Tag>,
    reasons: Vec<String>,
    facts: Vec<(&'static str, String)>,
    /// The latest commits, oldest first.
    history: Vec<HistoryEntry>,
    /// Older commits were left out of `history`.
    history_earlier: bool,
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
        return no_such_page(visitor);
    };
    let result: Result<ThingPage, ApiError> = async {
        let reader = state.reader(params).await?;
        let bpv = require_readable(&reader, &visitor.caller, &bp_id)?;
        let names = OrgNames::read(&reader)?;
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
        let about = match kind {
            ThingKind::Milestone => reader
                .assessed_milestone(bp, id, &window, &state.rules)?
                .map(|m| {
                    let v = &m.milestone;
                    let facts = vec![
                        ("Workstream", workstream(&v.workstream)),
                        ("Owner", names.with_id(&v.owner)),
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
                        ("Completed on", or_dash(v.completed_on, |d| d.to_string())),
                        ("Evidence", or_dash(v.evidence.clone(), |e| e)),
                    ];
                    let title = v.title.clone();
                    About {
                        rag: Some(rag_tag(m.rag)),
                        reasons: m.rag_reasons.clone(),
                        ..About::new(kind, title, v.status, milestones::allows, v.version, facts)
                    }
                }),
            ThingKind::Commitment => reader.assessed_commitment(bp, id, &window)?.map(|c| {
                let v = &c.commitment;
                let facts = vec![
                    ("Partner", names.with_id(&v.partner)),
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
                ];
                let title = v.description.clone();
                About::new(kind, title, v.status, commitments::allows, v.version, facts)
            }),
            _ => reader.pledge_in(bp, id, &window)?.map(|v| {
                let facts = vec![
                    ("Sponsor", names.with_id(&v.sponsor)),
                    ("Pledged", v.resource.format(v.pledged)),
                    ("Confirmed", or_dash(v.confirmed, |c| v.resource.format(c))),
                    ("Disbursed", v.resource.format(v.disbursed)),
                    ("Workstream", or_dash(v.workstream.as_deref(), workstream)),
                    ("Conditions", v.conditions.clone()),
                ];
                let title = format!("Pledge {} from {}", v.id, v.sponsor);
                About::new(kind, title, v.status, pledges::allows, v.version, facts)
            }),
        };
        let Some(about) = about else {
            return Err(ApiError::not_found(
                format!("{}.not_found", kind.token()),
                format!("{} {bp}/{id} does not exist", kind.token()),
            ));
        };
        let (history, history_earlier) =
            reader.latest_history(&thing.subject(), &window, Some(crate::api::HISTORY_SHOWN))?;
        let shown = crate::components::Shown::of(window);
        let nav = Nav::of(visitor);
        let choices = choices(&reader, Some(&bpv))?;
        let forms = forms::action_specs(kind)
            .filter(|_| !shown.past)
            .filter(|sp| {
                about.allowed.contains(&sp.name) || refused_for(refusal, sp.name).is_some()
            })
            .filter(|sp| may_write(visitor, kind, sp.name, Some(bp)))
            .map(|sp| {
                forms::render(
                    sp,
                    format!("/blueprints/{bp}/{things}/{id}/{}", sp.name),
                    &nav.csrf,
                    Some(about.version),
                    &choices,
                    refused_for(refusal, sp.name),
                )
            })
            .collect();
        Ok(ThingPage {
            recorded: params.min_seq.filter(|_| !shown.past),
            live_since: bpv.updated_seq,
            nav,
            kind_label: {
                let k = kind.token();
                format!("{}{}", k[..1].to_uppercase(), &k[1..])
            },
            title: about.title,
            blueprint_href: format!("/blueprints/{}", bpv.id),
            blueprint_title: bpv.title.clone(),
            status: about.status,
            shown,
            rag: about.rag,
            reasons: about.reasons,
            facts: about.facts,
            history,
            history_earlier,
            forms,
        })
    }
    .await;
    show(visitor, status, result)
}

/// What a thing's page says of it, whatever its kind.
struct About {
    title: String,
    status: Tag,
    rag: Option<Tag>,
    reasons: Vec<String>,
    /// Its facts, its version last.
    facts: Vec<(&'static str, String)>,
    version: u64,
    /// The actions its decider allows it now.
    allowed: Vec<&'static str>,
}

impl About {
    /// A thing of `kind` in `status`, with no RAG status; `allows` is its decider's rule of the
    /// actions each status allows.
    fn new<S: serde::Serialize + Copy>(
        kind: ThingKind,
        title: String,
        status: S,
        allows: fn(Option<S>, &str) -> bool,
        version: u64,
        mut facts: Vec<(&'static str, String)>,
    ) -> Self {
        facts.push(("Version", version.to_string()));
        About {
            title,
            status: status_tag(&status_name(&status)),
            rag: None,
            reasons: Vec::new(),
            facts,
            version,
            allowed: forms::action_specs(kind)
                .filter(|a| allows(Some(status), a.name))
                .map(|a| a.name)
                .collect(),
        }
    }
}
