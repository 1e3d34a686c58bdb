//! All activity on a blueprint, newest first, a page at a time: who recorded what, when it
//! happened and when it was recorded, for every milestone, commitment, pledge and the blueprint.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use projector::views::HistoryEntry;
use proto::{BlueprintId, OrgId, ThingKind, ThingRef};
use serde::Deserialize;

use super::pagination::Pagination;
use super::*;
use crate::AppState;
use crate::api::{Windowed, require_readable};
use crate::commands::plural;
use crate::components::{Shown, long_date, long_instant};

/// Entries on one page.
pub const PAGE_SIZE: usize = 25;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActivityQuery {
    page: Option<usize>,
}

impl Accepts for ActivityQuery {
    fn accepts() -> String {
        "page=<number>".to_owned()
    }
}

/// One event of a commit: what happened to which thing, and when and by whom it was recorded.
pub struct Entry {
    pub href: String,
    pub thing: String,
    pub summary: String,
    pub happened: String,
    pub when: String,
    pub who: String,
}

#[derive(Template)]
#[template(path = "activity.html")]
struct ActivityPage {
    nav: Nav,
    shown: Shown,
    title: String,
    back_href: String,
    entries: Vec<Entry>,
    pagination: Pagination,
}

pub async fn activity(
    State(state): State<AppState>,
    Path(bp): Path<String>,
    PageQuery { visitor, query }: PageQuery<Windowed<ActivityQuery>>,
) -> Response {
    let Windowed {
        window: params,
        rest: q,
    } = query;
    let result = async {
        let Ok(id) = bp.parse::<BlueprintId>() else {
            return Err(crate::problem::ApiError::not_found(
                "blueprint.not_found",
                format!("there is no blueprint {bp:?}"),
            ));
        };
        let (window, reader) = state.read(&params).await?;
        let view = require_readable(&reader, &visitor.caller, &id)?;
        let all = reader.activity(id.as_str(), &window, None, None)?;
        let shown = Shown::of(window);
        let base = format!("/blueprints/{id}");
        let link = |n: usize| shown.link_with(&format!("{base}/activity"), &format!("page={n}"));
        let pagination = Pagination::new("activity", all.len(), PAGE_SIZE, q.page, link);
        let commits = pagination.slice(&all).iter().cloned();
        let entries = entries(commits, &shown, &base, OrgId::to_string);
        Ok(ActivityPage {
            nav: Nav::of(&visitor),
            title: view.title.clone(),
            back_href: shown.link(&base),
            pagination,
            entries,
            shown,
        })
    }
    .await;
    show(&visitor, StatusCode::OK, result)
}

/// The entries of `commits`, in their order, each linking to its thing's page (below `base`, the
/// blueprint's) in `shown`'s window; `org` names the organisation of whoever recorded it.
pub(super) fn entries(
    commits: impl IntoIterator<Item = (ThingRef, HistoryEntry)>,
    shown: &Shown,
    base: &str,
    org: impl Fn(&OrgId) -> String,
) -> Vec<Entry> {
    commits
        .into_iter()
        .flat_map(|(thing, h)| {
            let href = match thing.kind {
                ThingKind::Blueprint => shown.link(base),
                k => shown.link(&format!("{base}/{}/{}", plural(k), thing.id)),
            };
            let who = match &h.actor_org {
                Some(o) => format!("{} ({})", h.actor, org(o)),
                None => h.actor.clone(),
            };
            let when = long_instant(h.recorded_at);
            h.events
                .into_iter()
                .map(|e| Entry {
                    href: href.clone(),
                    thing: format!("{} {}", thing.kind.token(), thing.id),
                    summary: e.summary,
                    happened: long_date(e.occurred_on),
                    when: when.clone(),
                    who: who.clone(),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}
