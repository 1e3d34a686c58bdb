//! HTML pages for people. Every value users typed is escaped by the templates.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use projector::read::{AssessedCommitment, AssessedMilestone, BlueprintSummary};
use projector::views::{BlueprintView, PledgeView};
use proto::{BlueprintId, Resource};

use crate::AppState;
use crate::api::{ReadParams, is_public, require_readable, view_date};
use crate::auth::Caller;
use crate::problem::ApiError;
use projector::read::Reader;

#[derive(Template)]
#[template(path = "index.html")]
struct IndexPage {
    blueprints: Vec<BlueprintView>,
}

#[derive(Template)]
#[template(path = "blueprint.html")]
struct BlueprintPage {
    s: BlueprintSummary,
    milestones: Vec<AssessedMilestone>,
    commitments: Vec<AssessedCommitment>,
    pledges: Vec<PledgeRow>,
    money: FundingRow,
    staff: FundingRow,
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

fn render(template: impl Template) -> Response {
    match template.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => ApiError::internal("render the page", e).into_response(),
    }
}

fn page_error(status: StatusCode, message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Waymark</title></head>\
         <body><h1>{}</h1><p>{}</p><p><a href=\"/\">All blueprints</a></p></body></html>",
        status.canonical_reason().unwrap_or("Error"),
        askama_escape(message)
    );
    (status, Html(body)).into_response()
}

fn askama_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

pub async fn index(State(state): State<AppState>, caller: Caller) -> Response {
    let visible = |r: Reader| -> Result<Vec<BlueprintView>, ApiError> {
        Ok(r.blueprints()?
            .into_iter()
            .filter(|b| caller.may_read(&b.id, is_public(b)))
            .collect())
    };
    match state.reader(&ReadParams::default()).await.and_then(visible) {
        Ok(blueprints) => render(IndexPage { blueprints }),
        Err(e) => page_error(e.status, &e.detail),
    }
}

pub async fn blueprint(
    State(state): State<AppState>,
    Path(bp): Path<String>,
    caller: Caller,
    q: Result<Query<ReadParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(params)) = q else {
        return page_error(
            StatusCode::BAD_REQUEST,
            "the query string is not valid: use min_seq=<number> and on=<YYYY-MM-DD>",
        );
    };
    let Ok(id) = bp.parse::<BlueprintId>() else {
        return page_error(
            StatusCode::NOT_FOUND,
            &format!("there is no blueprint {bp:?}"),
        );
    };
    let result: Result<Option<BlueprintPage>, ApiError> = async {
        let reader = state.reader(&params).await?;
        if reader.blueprint(id.as_str())?.is_none() {
            return Ok(None);
        }
        require_readable(&reader, &caller, &id)?;
        let today = view_date(&params);
        let Some(s) = reader.summary(id.as_str(), today, &state.rules)? else {
            return Ok(None);
        };
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
        Ok(Some(BlueprintPage {
            s,
            milestones,
            commitments,
            pledges,
            money,
            staff,
        }))
    }
    .await;
    match result {
        Ok(Some(page)) => render(page),
        Ok(None) => page_error(
            StatusCode::NOT_FOUND,
            &format!("blueprint {id} does not exist"),
        ),
        Err(e) => page_error(e.status, &e.detail),
    }
}
