//! One organisation: what it leads, owns, committed, pledged and delivered across the blueprints
//! the visitor may read.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use projector::views::OrganisationView;

use super::*;
use crate::AppState;
use crate::api::organisation_involvement;
use crate::components::{Shown, Tag, long_date, rag_tag, status_name, status_tag};

pub struct Part {
    pub title: String,
    pub href: String,
    pub status: Tag,
    pub roles: String,
    pub milestones: Vec<(String, String, Tag, String)>,
    pub commitments: Vec<(String, String, String, Tag)>,
    pub funding: Vec<(&'static str, String, String, String)>,
}

#[derive(Template)]
#[template(path = "organisation.html")]
struct OrganisationPage {
    nav: Nav,
    shown: Shown,
    o: OrganisationView,
    parts: Vec<Part>,
}

pub async fn organisation(
    State(state): State<AppState>,
    Path(id): Path<String>,
    PageQuery { visitor, query }: PageQuery,
) -> Response {
    let found = organisation_involvement(&state, &visitor.caller, &id, &query).await;
    let window = query.window();
    let (found, window) = match (found, window) {
        (Ok(f), Ok(w)) => (f, w),
        (Err(e), _) | (_, Err(e)) => return from_api(&visitor, e),
    };
    let shown = Shown::of(window);
    let parts = found
        .blueprints
        .into_iter()
        .map(|i| {
            let base = format!("/blueprints/{}", i.blueprint);
            let mut roles = Vec::new();
            if i.leads {
                roles.push("leads the blueprint".to_owned());
            }
            if i.partner {
                roles.push("partner".to_owned());
            }
            if !i.workstreams.is_empty() {
                roles.push(format!("leads {}", i.workstreams.join(", ")));
            }
            let funding = [
                ("Money", proto::Resource::Money, i.money),
                ("Staff time", proto::Resource::StaffTime, i.staff_time),
            ]
            .into_iter()
            .filter(|(_, _, t)| t.pledged > 0 || t.disbursed > 0)
            .map(|(label, r, t)| {
                (
                    label,
                    r.format(t.pledged),
                    r.format(t.confirmed),
                    r.format(t.disbursed),
                )
            })
            .collect();
            Part {
                href: shown.link(&base),
                status: status_tag(&status_name(&i.status)),
                roles: roles.join("; "),
                milestones: i
                    .milestones
                    .iter()
                    .map(|m| {
                        (
                            shown.link(&format!("{base}/milestones/{}", m.milestone.id)),
                            m.milestone.title.clone(),
                            rag_tag(m.rag),
                            long_date(m.milestone.forecast),
                        )
                    })
                    .collect(),
                commitments: i
                    .commitments
                    .iter()
                    .map(|c| {
                        let v = &c.commitment;
                        (
                            shown.link(&format!("{base}/commitments/{}", v.id)),
                            v.description.clone(),
                            format!("{} of {} {}", v.delivered, v.quantity, v.unit),
                            if c.overdue {
                                Tag::of("govuk-tag--red", "Overdue")
                            } else {
                                status_tag(&status_name(&v.status))
                            },
                        )
                    })
                    .collect(),
                funding,
                title: i.title,
            }
        })
        .collect();
    render(
        StatusCode::OK,
        OrganisationPage {
            nav: Nav::of(&visitor),
            shown,
            o: found.organisation,
            parts,
        },
    )
}
