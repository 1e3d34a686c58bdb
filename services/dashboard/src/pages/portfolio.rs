//! The portfolio: every blueprint the visitor may read, with how each is doing and which way it
//! is going.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use projector::figures::PortfolioEntry;
use proto::ThingKind;

use super::*;
use crate::AppState;
use crate::api::ReadParams;
use crate::components::{Shown, Tag, long_date, money, rag_tag, status_name, status_tag, trend};
use crate::forms::{self, FormView};
use crate::problem::ApiError;
use crate::session::Visitor;

pub struct PortfolioRow {
    pub e: PortfolioEntry,
    pub href: String,
    pub status: Tag,
    pub confidence: Tag,
    pub confirmed: String,
    pub target: String,
    pub trend: Tag,
    pub trend_detail: String,
}

#[derive(Template)]
#[template(path = "portfolio.html")]
struct PortfolioPage {
    nav: Nav,
    shown: Shown,
    rows: Vec<PortfolioRow>,
    since: String,
    forms: Vec<FormView>,
}

pub async fn index(
    State(state): State<AppState>,
    PageQuery { visitor, query }: PageQuery,
) -> Response {
    index_page(&state, &visitor, &query, None, StatusCode::OK).await
}

pub(super) async fn index_page(
    state: &AppState,
    visitor: &Visitor,
    params: &ReadParams,
    refusal: Refusal<'_>,
    status: StatusCode,
) -> Response {
    let result: Result<PortfolioPage, ApiError> = async {
        let (window, reader) = state.read(params).await?;
        let shown = Shown::of(window);
        let entries = reader.portfolio(&window, &state.rules, |b| visitor.caller.may_read(b))?;
        let since = entries
            .first()
            .map(|e| long_date(e.trend.since))
            .unwrap_or_default();
        let rows = entries
            .into_iter()
            .map(|e| {
                let t = &e.trend;
                let moved =
                    |label: &str, m: &projector::figures::Moved, f: fn(u64) -> String| match m
                        .before
                    {
                        Some(b) if b != m.now => {
                            Some(format!("{label} {} (was {})", f(m.now), f(b)))
                        }
                        _ => None,
                    };
                let details: Vec<String> = [
                    moved("done", &t.milestones_done, |v| v.to_string()),
                    moved("confirmed", &t.money_confirmed, money),
                    moved("overdue", &t.overdue, |v| v.to_string()),
                ]
                .into_iter()
                .flatten()
                .collect();
                PortfolioRow {
                    href: shown.link(&format!("/blueprints/{}", e.id)),
                    status: status_tag(&status_name(&e.status)),
                    confidence: rag_tag(e.confidence.rag),
                    confirmed: money(e.money_confirmed),
                    target: money(e.funding_target),
                    trend: trend(t.confidence),
                    trend_detail: if details.is_empty() {
                        "no change".to_owned()
                    } else {
                        details.join("; ")
                    },
                    e,
                }
            })
            .collect();
        let mut forms = Vec::new();
        if !shown.past && may_write(visitor, ThingKind::Blueprint, "draft", None) {
            let nav = Nav::of(visitor);
            let choices = choices(&reader, None)?;
            let spec = forms::create_spec(ThingKind::Blueprint);
            forms.push(forms::render(
                spec,
                "/blueprints".into(),
                &nav.csrf,
                None,
                &choices,
                refused_for(refusal, spec.name),
            ));
        }
        Ok(PortfolioPage {
            nav: Nav::of(visitor),
            shown,
            rows,
            since,
            forms,
        })
    }
    .await;
    show(visitor, status, result)
}
