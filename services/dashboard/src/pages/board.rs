//! "Since the last board": what changed in a blueprint between two dates, as a page that prints
//! on A4, and the same rows as CSV. The report itself is `projector::figures::board_report`.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use projector::figures::{BoardReport, MilestoneChange};
use proto::Resource;

use super::*;
use crate::AppState;
use crate::api::{BoardParams, board_report};
use crate::components::{Shown, Tag, long_date, money, rag_tag, status_name, status_tag};
use crate::problem::{ApiError, Query};
use crate::session::Visitor;
use crate::tables::{self, row};

/// One line of the report, as the page and the CSV both show it.
pub struct Line {
    pub section: &'static str,
    pub id: String,
    pub href: String,
    pub what: String,
    pub before: String,
    pub after: String,
    pub detail: String,
}

pub struct Section {
    pub id: &'static str,
    pub heading: &'static str,
    pub lines: Vec<Line>,
}

#[derive(Template)]
#[template(path = "board.html")]
struct BoardPage {
    nav: Nav,
    shown: Shown,
    r: BoardReport,
    from_text: String,
    to_text: String,
    before: Option<Tag>,
    after: Tag,
    sections: Vec<Section>,
    csv_href: String,
    json_href: String,
    back_href: String,
    /// Money confirmed and paid at each date.
    money: Vec<(&'static str, String, String)>,
}

fn date_or_dash(d: Option<chrono::NaiveDate>) -> String {
    or_dash(d, |d| d.to_string())
}

fn status_text<T: serde::Serialize>(s: Option<&T>) -> String {
    or_dash(s, |s| status_tag(&status_name(s)).text.into_owned())
}

/// The report as sections of lines: the one layout the page and the CSV share.
fn sections(r: &BoardReport, names: &OrgNames, shown: &Shown) -> Vec<Section> {
    let href =
        |things: &str, id: &str| shown.link(&format!("/blueprints/{}/{things}/{id}", r.blueprint));
    let milestone = |section: &'static str, c: &MilestoneChange, detail: String| Line {
        section,
        id: c.id.clone(),
        href: href("milestones", &c.id),
        what: c.title.clone(),
        before: format!(
            "{} · {}",
            status_text(c.status_before.as_ref()),
            date_or_dash(c.forecast_before)
        ),
        after: format!(
            "{} · {}",
            status_text(Some(&c.status_after)),
            c.forecast_after
        ),
        detail,
    };
    let slip = |c: &MilestoneChange| {
        let days = c
            .forecast_before
            .map_or(0, |f| (c.forecast_after - f).num_days());
        format!(
            "forecast moved {} days {}; {} days from the baseline {}",
            days.abs(),
            if days > 0 { "later" } else { "earlier" },
            (c.forecast_after - c.baseline).num_days(),
            c.baseline
        )
    };
    let m = |section: &'static str,
             list: &[MilestoneChange],
             detail: &dyn Fn(&MilestoneChange) -> String| {
        list.iter()
            .map(|c| milestone(section, c, detail(c)))
            .collect::<Vec<_>>()
    };
    vec![
        Section {
            id: "done",
            heading: "Milestones done",
            lines: m("done", &r.done, &|c| {
                format!("completed on {}", date_or_dash(c.completed_on))
            }),
        },
        Section {
            id: "slipped",
            heading: "Milestones that slipped",
            lines: m("slipped", &r.slipped, &slip),
        },
        Section {
            id: "brought-forward",
            heading: "Milestones brought forward",
            lines: m("brought forward", &r.brought_forward, &slip),
        },
        Section {
            id: "added",
            heading: "Milestones added",
            lines: m("added", &r.added, &|c| {
                format!(
                    "owned by {}, baseline {}",
                    names.name(c.owner.as_str()),
                    c.baseline
                )
            }),
        },
        Section {
            id: "cancelled",
            heading: "Milestones cancelled",
            lines: m("cancelled", &r.cancelled, &|_| String::new()),
        },
        Section {
            id: "reopened",
            heading: "Milestones reopened",
            lines: m("reopened", &r.reopened, &|_| String::new()),
        },
        Section {
            id: "deliveries",
            heading: "Commitments delivered",
            lines: r
                .deliveries
                .iter()
                .map(|d| Line {
                    section: "delivered",
                    id: d.id.clone(),
                    href: href("commitments", &d.id),
                    what: format!("{}: {}", names.name(d.partner.as_str()), d.description),
                    before: format!("{} of {} {}", d.delivered_before, d.quantity, d.unit),
                    after: format!("{} of {} {}", d.delivered_after, d.quantity, d.unit),
                    detail: if d.fulfilled {
                        "fulfilled".to_owned()
                    } else {
                        String::new()
                    },
                })
                .collect(),
        },
        Section {
            id: "money",
            heading: "Funding confirmed and paid",
            lines: r
                .pledges
                .iter()
                .map(|p| {
                    let f = |v: u64| p.resource.format(v);
                    Line {
                        section: "funding",
                        id: p.id.clone(),
                        href: href("pledges", &p.id),
                        what: format!(
                            "{} ({})",
                            names.name(p.sponsor.as_str()),
                            match p.resource {
                                Resource::Money => "money",
                                Resource::StaffTime => "staff time",
                            }
                        ),
                        before: format!(
                            "pledged {}, confirmed {}, paid {}",
                            f(p.pledged_before),
                            f(p.confirmed_before),
                            f(p.disbursed_before)
                        ),
                        after: format!(
                            "pledged {}, confirmed {}, paid {}",
                            f(p.pledged_after),
                            f(p.confirmed_after),
                            f(p.disbursed_after)
                        ),
                        detail: status_tag(&status_name(&p.status_after)).text.into_owned(),
                    }
                })
                .collect(),
        },
    ]
}

async fn report_for(
    state: &AppState,
    visitor: &Visitor,
    bp: &str,
    q: &BoardParams,
) -> Result<(BoardReport, Vec<Section>, Shown), ApiError> {
    let r = board_report(state, &visitor.caller, bp, q).await?;
    let reader = state.reader(&Default::default()).await?;
    let shown = Shown::of(projector::fold::Window {
        as_of: r.to,
        known_at: r.known_at,
    });
    let sections = sections(&r, &OrgNames::read(&reader)?, &shown);
    Ok((r, sections, shown))
}

impl Accepts for BoardParams {
    fn accepts() -> String {
        "from=<YYYY-MM-DD>, to=<YYYY-MM-DD> and known_at=<RFC 3339 instant>".to_owned()
    }
}

/// The query string of a board report: from (when it is given) and to, and the instant it is
/// known at, if any.
pub(super) fn board_query(
    from: Option<chrono::NaiveDate>,
    to: chrono::NaiveDate,
    known_at: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    let mut q: Vec<String> = from.map(|f| format!("from={f}")).into_iter().collect();
    q.push(format!("to={to}"));
    if let Some(k) = known_at {
        q.push(format!(
            "known_at={}",
            k.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        ));
    }
    q.join("&")
}

/// `GET /blueprints/{bp}/board`.
pub async fn board(
    State(state): State<AppState>,
    Path(bp): Path<String>,
    PageQuery { visitor, query: q }: PageQuery<BoardParams>,
) -> Response {
    let page = report_for(&state, &visitor, &bp, &q).await;
    let page = page.map(|(r, sections, shown)| {
        let query = board_query(Some(r.from), r.to, r.known_at);
        BoardPage {
            nav: Nav::of(&visitor),
            from_text: long_date(r.from),
            to_text: long_date(r.to),
            before: r.confidence_before.as_ref().map(|c| rag_tag(c.rag)),
            after: rag_tag(r.confidence_after.rag),
            csv_href: format!("/blueprints/{}/board.csv?{query}", r.blueprint),
            back_href: shown.link(&format!("/blueprints/{}", r.blueprint)),
            money: vec![
                (
                    "Money confirmed",
                    money(r.money_before.confirmed),
                    money(r.money_after.confirmed),
                ),
                (
                    "Money paid",
                    money(r.money_before.disbursed),
                    money(r.money_after.disbursed),
                ),
            ],
            json_href: format!("/api/v1/blueprints/{}/board?{query}", r.blueprint),
            sections,
            shown,
            r,
        }
    });
    show(&visitor, StatusCode::OK, page)
}

/// `GET /blueprints/{bp}/board.csv`: one row per change, the lines of the page.
pub async fn board_csv(
    State(state): State<AppState>,
    Path(bp): Path<String>,
    visitor: Visitor,
    Query(q): Query<BoardParams>,
) -> Result<Response, ApiError> {
    let (r, sections, _) = report_for(&state, &visitor, &bp, &q).await?;
    let header = row![
        "section",
        "id",
        "what",
        format!("as of {}", r.from),
        format!("as of {}", r.to),
        "detail",
    ];
    let lines = sections.iter().flat_map(|s| &s.lines);
    let rows = lines.map(|l| row![l.section, l.id, l.what, l.before, l.after, l.detail]);
    let filename = format!("{}-board-{}-to-{}.csv", r.blueprint, r.from, r.to);
    tables::csv_response(&filename, std::iter::once(header).chain(rows))
}
