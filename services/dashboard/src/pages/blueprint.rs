//! The blueprint page: how a blueprint is doing, why, and how that changed. Every figure comes
//! from `projector::figures`; this module only picks, filters, sorts and formats them.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use projector::figures::{BlueprintFigures, Point, Progression, Trend, WorkstreamProgress};
use projector::read::AssessedMilestone;
use projector::views::MilestoneStatus;
use proto::{BlueprintId, Resource, ThingKind};
use serde::Deserialize;

use super::activity::{Entry, entries};
use super::board::board_query;
use super::pagination::Pagination;
use super::*;
use crate::AppState;
use crate::api::{Windowed, require_readable};
use crate::charts;
use crate::commands::plural;
use crate::components::{
    Choice, Shown, Tag, long_date, money, money_short, rag_tag, status_name, status_tag, trend,
};
use crate::forms::{self, FormView};
use crate::problem::ApiError;
use crate::session::Visitor;

/// How the blueprint page's milestone table is filtered and sorted, besides the window.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlueprintQuery {
    workstream: Option<String>,
    status: Option<String>,
    owner: Option<String>,
    sort: Option<String>,
    /// The page of the milestone table, from 1.
    page: Option<usize>,
}

impl BlueprintQuery {
    /// The table's filters and sort, as a key of what is derived from them.
    fn table_key(&self) -> String {
        format!(
            "{:?} {:?} {:?} {:?}",
            self.workstream, self.status, self.owner, self.sort
        )
    }
}

impl Accepts for BlueprintQuery {
    fn accepts() -> String {
        "workstream, status, owner, sort, page".to_owned()
    }
}

/// How the milestone table can be sorted: the query value, the column heading and the order.
/// Milestones a page of the milestone table shows.
pub const MILESTONES_PER_PAGE: usize = 50;

/// Milestones each of the lists above the table (at risk, overdue, due soon) names at most; the
/// table, filtered, has the rest.
pub const LISTED: usize = 20;

const SORTS: &[(&str, &str, &str)] = &[
    ("forecast", "Forecast", "ascending"),
    ("title", "Milestone", "ascending"),
    ("status", "Status", "ascending"),
    ("slippage", "Slippage", "descending"),
];

pub struct Headline {
    pub id: &'static str,
    pub label: &'static str,
    pub value: String,
    pub detail: String,
    pub trend: Tag,
    pub before: String,
}

#[derive(Clone)]
pub struct MilestoneRow {
    pub m: AssessedMilestone,
    pub tag: Tag,
    pub owner: String,
    pub workstream: String,
}

/// The first [`LISTED`] milestones of a list, and how many more it has.
pub struct Listed {
    pub rows: Vec<MilestoneRow>,
    pub more: usize,
}

pub struct SortLink {
    pub label: &'static str,
    /// `ascending` or `descending`, for `aria-sort`.
    pub direction: &'static str,
    pub href: String,
    pub current: bool,
}

pub struct TargetRow {
    pub id: String,
    pub title: String,
    pub text: String,
    pub reported_on: String,
    /// The reported value over time, when it was ever reported.
    pub chart: Option<ChartBlock>,
}

pub struct FundingRow {
    pub label: String,
    pub pledged: String,
    pub confirmed: String,
    pub disbursed: String,
}

pub struct PartnerRow {
    pub partner: String,
    pub delivered: String,
    pub commitments: u64,
    pub fulfilled: u64,
    pub overdue: u64,
}

pub struct CommitmentRow {
    pub id: String,
    pub partner: String,
    pub description: String,
    pub delivered: String,
    pub due: String,
    pub overdue: bool,
    pub status: Tag,
}

pub struct PledgeRow {
    pub id: String,
    pub sponsor: String,
    pub resource: &'static str,
    pub pledged: String,
    pub confirmed: String,
    pub disbursed: String,
    pub status: Tag,
    pub conditions: String,
}

/// The page's charts of the blueprint's progression, with the tables of their figures.
pub struct Drawn {
    pub targets: Vec<TargetRow>,
    pub burn_up: ChartBlock,
    pub money_chart: ChartBlock,
}

impl Drawn {
    fn of(b: &BlueprintView, progression: &Progression) -> Self {
        let targets = b
            .targets
            .iter()
            .enumerate()
            .map(|(i, t)| {
                let series = vec![charts::Series {
                    label: t.title.clone(),
                    points: progression
                        .points
                        .iter()
                        .filter_map(|p| p.targets.get(i).copied().flatten().map(|v| (p.date, v)))
                        .collect(),
                }];
                TargetRow {
                    id: t.id.clone(),
                    title: t.title.clone(),
                    text: match t.reported_value {
                        Some(v) => format!("{v} of {} {}", t.target_value, t.unit),
                        None => format!("not reported yet, of {} {}", t.target_value, t.unit),
                    },
                    reported_on: t.reported_on.map(long_date).unwrap_or_default(),
                    chart: (!series[0].points.is_empty()).then(|| {
                        chart_block(
                            &format!("target-{}", t.id),
                            &format!("{}: reported value over time", t.title),
                            series,
                            charts::plain_number,
                            charts::plain_number,
                        )
                    }),
                }
            })
            .collect();
        Self {
            targets,
            burn_up: burn_up(progression, "burn-up"),
            money_chart: money_chart(progression, "funding-over-time"),
        }
    }
}

/// A chart and the accessible table of the same figures.
pub struct ChartBlock {
    pub svg: String,
    /// The accessible table of the same figures, as HTML.
    pub table: String,
}

/// The table of a chart's figures, a row a date and a column a line.
#[derive(Template)]
#[template(path = "chart_table.html")]
struct ChartTable<'a> {
    table_id: &'a str,
    columns: Vec<String>,
    rows: Vec<(String, Vec<String>)>,
}

/// The blueprint page: what every visitor sees alike ([`BlueprintBody`], rendered once), in the
/// frame of what only this visitor sees (the navigation and the forms they may use).
#[derive(Template)]
#[template(path = "blueprint.html")]
struct BlueprintPage {
    nav: Nav,
    /// The commit a form post just recorded, shown in a success banner.
    recorded: Option<u64>,
    id: BlueprintId,
    body: std::sync::Arc<RenderedBody>,
    forms: Vec<FormView>,
    /// The CSRF token for the upload form, when the visitor may import.
    import_csrf: Option<String>,
}

/// The body of the page as rendered, with the title the frame needs.
struct RenderedBody {
    title: String,
    html: String,
}

/// The figures, charts, lists and tables of the page. They follow from the state of the
/// blueprint, the window, the table's query and the organisations' names alone, not from the
/// visitor, so they are rendered once per such state and served to every visitor from the cache.
#[derive(Template)]
#[template(path = "blueprint_body.html")]
struct BlueprintBody {
    shown: Shown,
    f: std::sync::Arc<BlueprintFigures>,
    status: Tag,
    confidence: Tag,
    since: String,
    headlines: Vec<Headline>,
    lead: String,
    at_risk: Listed,
    /// The current page of the filtered and sorted table.
    milestones: Vec<MilestoneRow>,
    pagination: Pagination,
    milestone_count: usize,
    filters: Vec<(&'static str, &'static str, Vec<Choice>)>,
    filtered: bool,
    sorts: Vec<SortLink>,
    due_30: Listed,
    due_90: Listed,
    overdue: Listed,
    workstreams: Vec<(WorkstreamProgress, String)>,
    drawn: std::sync::Arc<Drawn>,
    funding: Vec<FundingRow>,
    sponsors: Vec<(String, FundingRow, FundingRow)>,
    partners: Vec<PartnerRow>,
    commitments: Vec<CommitmentRow>,
    pledges: Vec<PledgeRow>,
    activity: Vec<Entry>,
    timeline: String,
    /// The board report for the month up to the page's date.
    board_href: String,
    activity_href: String,
}

impl BlueprintBody {
    /// The CSV of one of the page's tables, in the same window.
    fn csv_href(&self, table: &str) -> String {
        self.shown.link(&format!(
            "/blueprints/{}/tables/{table}.csv",
            self.f.summary.blueprint.id
        ))
    }

    /// The page of one thing of this blueprint, in the same window.
    fn href(&self, things: &str, id: &str) -> String {
        self.shown.link(&format!(
            "/blueprints/{}/{things}/{id}",
            self.f.summary.blueprint.id
        ))
    }
}

pub async fn blueprint(
    State(state): State<AppState>,
    Path(bp): Path<String>,
    PageQuery { visitor, query }: PageQuery<Windowed<BlueprintQuery>>,
) -> Response {
    blueprint_page(&state, &visitor, &bp, &query, None, StatusCode::OK).await
}

fn milestone_row(
    m: &AssessedMilestone,
    names: &OrgNames,
    ws: &BTreeMap<String, String>,
) -> MilestoneRow {
    MilestoneRow {
        tag: rag_tag(m.rag),
        owner: names.name(m.milestone.owner.as_str()),
        workstream: ws
            .get(&m.milestone.workstream)
            .cloned()
            .unwrap_or_else(|| m.milestone.workstream.clone()),
        m: m.clone(),
    }
}

fn headlines(f: &BlueprintFigures, t: &Trend) -> Vec<Headline> {
    let s = &f.summary;
    let b = &s.blueprint;
    let before = |v: Option<u64>, fmt: fn(u64) -> String| {
        v.map_or_else(|| "not yet drafted".to_owned(), fmt)
    };
    vec![
        Headline {
            id: "milestones-done",
            label: "Milestones done",
            value: format!("{} of {}", s.progress.done, s.progress.total),
            detail: format!("{} days of slippage in all", s.total_slippage_days),
            trend: trend(t.milestones_done.direction),
            before: before(t.milestones_done.before, |v| v.to_string()),
        },
        Headline {
            id: "funding-confirmed",
            label: "Funding confirmed",
            value: money_short(b.funding.money.confirmed),
            detail: format!("of a {} target", money_short(b.funding_target)),
            trend: trend(t.money_confirmed.direction),
            before: before(t.money_confirmed.before, money_short),
        },
        Headline {
            id: "funding-disbursed",
            label: "Funding disbursed",
            value: money_short(b.funding.money.disbursed),
            detail: format!("{} pledged", money_short(b.funding.money.pledged)),
            trend: trend(t.money_disbursed.direction),
            before: before(t.money_disbursed.before, money_short),
        },
        Headline {
            id: "overdue-items",
            label: "Overdue items",
            value: t.overdue.now.to_string(),
            detail: format!(
                "{} milestones, {} commitments",
                f.overdue_milestones.len(),
                f.overdue_commitments.len()
            ),
            trend: trend(t.overdue.direction),
            before: before(t.overdue.before, |v| v.to_string()),
        },
    ]
}

/// The milestone table after the visitor's filters and sort.
/// The positions in `all` of the milestones the table's filters keep, in the order it sorts.
fn filter_and_sort(all: &[AssessedMilestone], q: &BlueprintQuery) -> Vec<usize> {
    let keep = |want: &Option<String>, have: &str| {
        want.as_deref().is_none_or(|w| w.is_empty() || w == have)
    };
    let mut out: Vec<usize> = all
        .iter()
        .enumerate()
        .filter(|(_, m)| keep(&q.workstream, &m.milestone.workstream))
        .filter(|(_, m)| keep(&q.owner, m.milestone.owner.as_str()))
        .filter(|(_, m)| {
            q.status.as_deref().is_none_or(|s| {
                s.is_empty() || s == status_name(&m.milestone.status) || s == m.rag.label()
            })
        })
        .map(|(i, _)| i)
        .collect();
    let m = |i: &usize| &all[*i];
    match q.sort.as_deref() {
        Some("title") => out.sort_by(|a, b| m(a).milestone.title.cmp(&m(b).milestone.title)),
        Some("status") => out.sort_by_key(|i| (m(i).rag as u8, m(i).milestone.forecast)),
        Some("slippage") => out.sort_by_key(|i| std::cmp::Reverse(m(i).slippage_days)),
        _ => out.sort_by_key(|i| (m(i).milestone.forecast, m(i).milestone.id.as_str())),
    }
    out
}

/// A line of a progression chart: its label and the figure of each point it plots.
type Line = (&'static str, fn(&Point) -> u64);

/// A series of the progression's points for each line.
fn progression_series(p: &Progression, lines: &[Line]) -> Vec<charts::Series> {
    lines
        .iter()
        .map(|(label, figure)| charts::Series {
            label: (*label).to_owned(),
            points: p.points.iter().map(|x| (x.date, figure(x))).collect(),
        })
        .collect()
}

fn burn_up(p: &Progression, id: &str) -> ChartBlock {
    let series = progression_series(p, &[("Planned scope", |x| x.scope), ("Done", |x| x.done)]);
    chart_block(
        id,
        "Burn-up: milestones planned and done",
        series,
        charts::plain_number,
        charts::plain_number,
    )
}

fn money_chart(p: &Progression, id: &str) -> ChartBlock {
    let series = progression_series(
        p,
        &[
            ("Pledged", |x| x.pledged),
            ("Confirmed", |x| x.confirmed),
            ("Disbursed", |x| x.disbursed),
        ],
    );
    chart_block(
        id,
        "Funding over time: money pledged, confirmed and disbursed",
        series,
        money,
        charts::compact_pounds,
    )
}

/// A step chart of `series` and the table of the same figures: `format` writes the table's
/// cells, `axis` the chart's tick labels.
fn chart_block(
    id: &str,
    title: &str,
    series: Vec<charts::Series>,
    format: fn(u64) -> String,
    axis: fn(u64) -> String,
) -> ChartBlock {
    let columns = series.iter().map(|s| s.label.clone()).collect();
    let (dates, values) = charts::series_table_rows(&series, true);
    let rows = dates
        .iter()
        .zip(values)
        .map(|(d, vs)| {
            (
                d.to_string(),
                vs.into_iter().map(|v| or_dash(v, format)).collect(),
            )
        })
        .collect();
    let chart = charts::LineChart {
        id,
        title: title.to_owned(),
        desc: String::new(),
        series,
        format: axis,
        step: true,
    };
    let table = ChartTable {
        table_id: &format!("{id}-table"),
        columns,
        rows,
    };
    ChartBlock {
        svg: charts::line_chart(&chart),
        table: table.render().unwrap_or_default(),
    }
}

pub(super) async fn blueprint_page(
    state: &AppState,
    visitor: &Visitor,
    bp: &str,
    Windowed {
        window: params,
        rest: query,
    }: &Windowed<BlueprintQuery>,
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
        let (window, reader) = state.read(params).await?;
        let view = require_readable(&reader, &visitor.caller, &id)?;
        let shown = Shown::of(window);
        let past = shown.past;
        // Besides the blueprint's state and the window (the cache's key), the body shows the
        // organisations' names and whether the window is past, which turns with the date.
        let detail = format!(
            "{} {past} {} {:?}",
            reader.organisations_seq()?,
            query.table_key(),
            query.page
        );
        let body = reader.derived_weighing(
            id.as_str(),
            &window,
            ("blueprint page body", &detail),
            |b: &RenderedBody| b.html.len() as u64 / projector::cache::BYTES_PER_WEIGHT,
            || render_body(state, &reader, &id, shown, query),
        )?;
        let nav = Nav::of(visitor);
        let mut forms = Vec::new();
        let mut import_csrf = None;
        // Forms record today's facts, so they are offered on today's view only.
        if !past {
            // The forms the visitor may use: spec, address, version and refusal of each.
            let mut offered = Vec::new();
            for kind in [
                ThingKind::Milestone,
                ThingKind::Commitment,
                ThingKind::Pledge,
            ] {
                let spec = forms::create_spec(kind);
                if may_write(visitor, kind, spec.name, Some(id.as_str())) {
                    let url = format!("/blueprints/{id}/{}", plural(kind));
                    let refused = refused_for(refusal, &format!("{}:{}", plural(kind), spec.name));
                    offered.push((spec, url, None, refused));
                }
            }
            for spec in forms::action_specs(ThingKind::Blueprint)
                .filter(|sp| blueprints::blueprint::allows(Some(view.status), sp.name))
                .filter(|sp| may_write(visitor, ThingKind::Blueprint, sp.name, Some(id.as_str())))
            {
                let url = format!("/blueprints/{id}/{}", spec.name);
                offered.push((
                    spec,
                    url,
                    Some(view.version),
                    refused_for(refusal, spec.name),
                ));
            }
            // The choices are read only for a visitor offered a form.
            if !offered.is_empty() {
                let choices = choices(&reader, Some(&view))?;
                forms = offered
                    .into_iter()
                    .map(|(spec, url, version, refused)| {
                        forms::render(spec, url, &nav.csrf, version, &choices, refused)
                    })
                    .collect();
            }
            import_csrf = may_write(visitor, ThingKind::Milestone, "plan", Some(id.as_str()))
                .then(|| nav.csrf.clone());
        }
        Ok(BlueprintPage {
            recorded: params.min_seq.filter(|_| !past),
            nav,
            id,
            body,
            forms,
            import_csrf,
        })
    }
    .await;
    match result {
        // Sized for the body, so rendering copies it once.
        Ok(page) => render_sized(status, page.body.html.len(), page),
        Err(e) => from_api(visitor, e),
    }
}

/// Renders what every visitor sees of the blueprint page in `shown`'s window with the table as
/// `query` asks.
fn render_body(
    state: &AppState,
    reader: &Reader,
    id: &BlueprintId,
    shown: Shown,
    query: &BlueprintQuery,
) -> Result<RenderedBody, ApiError> {
    let window = shown.window;
    let (f, t) = reader
        .figures_with_trend(id.as_str(), &window, &state.rules)?
        .ok_or_else(|| crate::api::not_in_window(id, &window))?;
    let names = OrgNames::read(reader)?;
    let b = &f.summary.blueprint;
    let ws: BTreeMap<String, String> = b
        .workstreams
        .iter()
        .map(|w| (w.id.clone(), w.title.clone()))
        .collect();
    let row = |m: &AssessedMilestone| milestone_row(m, &names, &ws);
    // The figures list milestones in id order.
    let by_id = |id: &str| {
        f.milestones
            .binary_search_by(|m| m.milestone.id.as_str().cmp(id))
            .ok()
            .map(|i| &f.milestones[i])
    };
    let listed = |ids: &[String]| Listed {
        rows: ids
            .iter()
            .filter_map(|id| by_id(id).map(row))
            .take(LISTED)
            .collect(),
        more: ids.len().saturating_sub(LISTED),
    };
    let at_risk = listed(&f.at_risk);
    let due_30 = listed(&f.due_30);
    let due_90 = listed(&f.due_90);
    let overdue = listed(&f.overdue_milestones);
    // The table's order for its filters and sort, worked out once per state of the blueprint.
    let order = reader.derived(
        id.as_str(),
        &window,
        ("milestone table", &query.table_key()),
        || Ok::<_, ApiError>(filter_and_sort(&f.milestones, query)),
    )?;
    let matching: Vec<&AssessedMilestone> = order.iter().map(|&i| &f.milestones[i]).collect();
    let filtered = matching.len() != f.milestones.len();
    let choice = |value: String, label: String, current: &Option<String>| Choice {
        selected: current.as_deref() == Some(value.as_str()),
        value,
        label,
    };
    let owners = reader.derived(id.as_str(), &window, ("milestone owners", ""), || {
        let mut owners: Vec<String> = f
            .milestones
            .iter()
            .map(|m| m.milestone.owner.to_string())
            .collect();
        owners.sort();
        owners.dedup();
        Ok::<_, ApiError>(owners)
    })?;
    let any = |label: &str| Choice {
        value: String::new(),
        label: label.to_owned(),
        selected: false,
    };
    let filters = vec![
        (
            "workstream",
            "Workstream",
            std::iter::once(any("All workstreams"))
                .chain(
                    b.workstreams
                        .iter()
                        .map(|w| choice(w.id.clone(), w.title.clone(), &query.workstream)),
                )
                .collect(),
        ),
        (
            "status",
            "Status",
            std::iter::once(any("Any status"))
                .chain(
                    [
                        "red",
                        "amber",
                        "green",
                        "planned",
                        "in_progress",
                        "done",
                        "cancelled",
                    ]
                    .into_iter()
                    .map(|s| {
                        let label = match s {
                            "red" | "amber" | "green" => rag_label(s),
                            other => status_tag(other).text.into_owned(),
                        };
                        choice(s.to_owned(), label, &query.status)
                    }),
                )
                .collect(),
        ),
        (
            "owner",
            "Owner",
            std::iter::once(any("Any owner"))
                .chain(
                    owners
                        .iter()
                        .map(|o| choice(o.clone(), names.name(o), &query.owner)),
                )
                .collect(),
        ),
    ];
    let base = format!("/blueprints/{id}");
    // The table's address with its filters, sorted by `sort`, at `page`.
    let table_link = |sort: Option<&str>, page: Option<usize>| {
        let mut q: Vec<String> = sort.map(|s| format!("sort={s}")).into_iter().collect();
        for (k, v) in [
            ("workstream", &query.workstream),
            ("status", &query.status),
            ("owner", &query.owner),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                q.push(format!("{k}={v}"));
            }
        }
        q.extend(page.map(|n| format!("page={n}")));
        format!("{}#milestones", shown.link_with(&base, &q.join("&")))
    };
    let sorts = SORTS
        .iter()
        .map(|(key, label, direction)| SortLink {
            label,
            direction,
            href: table_link(Some(key), None),
            current: query.sort.as_deref().unwrap_or("forecast") == *key,
        })
        .collect();
    let pagination = Pagination::new(
        "milestones",
        matching.len(),
        MILESTONES_PER_PAGE,
        query.page,
        |n| table_link(query.sort.as_deref(), Some(n)),
    );
    let milestones: Vec<MilestoneRow> =
        pagination.slice(&matching).iter().map(|m| row(m)).collect();
    let workstreams = f
        .workstreams
        .iter()
        .map(|w| (w.clone(), names.name(w.lead_org.as_str())))
        .collect();
    // The charts follow from the blueprint's progression alone: drawn once per state of it.
    let drawn = reader.derived(id.as_str(), &window, ("blueprint page charts", ""), || {
        let progression = reader.progression(id.as_str(), &window)?;
        Ok::<_, ApiError>(Drawn::of(b, &progression))
    })?;
    let fm = b.funding.money;
    let fs = b.funding.staff_time;
    let funding = vec![
        FundingRow {
            label: format!("Money (target {})", money(b.funding_target)),
            pledged: money(fm.pledged),
            confirmed: money(fm.confirmed),
            disbursed: money(fm.disbursed),
        },
        FundingRow {
            label: match b.staff_time_target {
                Some(t) => format!("Staff time (target {})", Resource::StaffTime.format(t)),
                None => "Staff time".to_owned(),
            },
            pledged: Resource::StaffTime.format(fs.pledged),
            confirmed: Resource::StaffTime.format(fs.confirmed),
            disbursed: Resource::StaffTime.format(fs.disbursed),
        },
    ];
    let sponsors = f
        .funding_by_sponsor
        .iter()
        .map(|s| {
            let row = |r: Resource, t: projector::views::FundingTotals| FundingRow {
                label: String::new(),
                pledged: r.format(t.pledged),
                confirmed: r.format(t.confirmed),
                disbursed: r.format(t.disbursed),
            };
            (
                names.name(s.sponsor.as_str()),
                row(Resource::Money, s.money),
                row(Resource::StaffTime, s.staff_time),
            )
        })
        .collect();
    let partners = f
        .commitments_by_partner
        .iter()
        .map(|p| PartnerRow {
            partner: names.name(p.partner.as_str()),
            delivered: p
                .units
                .iter()
                .map(|u| format!("{} of {} {}", u.delivered, u.committed, u.unit))
                .collect::<Vec<_>>()
                .join("; "),
            commitments: p.commitments,
            fulfilled: p.fulfilled,
            overdue: p.overdue,
        })
        .collect();
    let commitments = f
        .commitments
        .iter()
        .map(|c| {
            let v = &c.commitment;
            CommitmentRow {
                id: v.id.clone(),
                partner: names.name(v.partner.as_str()),
                description: v.description.clone(),
                delivered: format!("{} of {} {}", v.delivered, v.quantity, v.unit),
                due: long_date(v.due),
                overdue: c.overdue,
                status: status_tag(&status_name(&v.status)),
            }
        })
        .collect();
    let pledges = f
        .pledges
        .iter()
        .map(|p| PledgeRow {
            id: p.id.clone(),
            sponsor: names.name(p.sponsor.as_str()),
            resource: match p.resource {
                Resource::Money => "Money",
                Resource::StaffTime => "Staff time",
            },
            pledged: p.resource.format(p.pledged),
            confirmed: or_dash(p.confirmed, |c| p.resource.format(c)),
            disbursed: p.resource.format(p.disbursed),
            status: status_tag(&status_name(&p.status)),
            conditions: p.conditions.clone(),
        })
        .collect();
    let recent = reader.derived(id.as_str(), &window, ("recent activity", ""), || {
        reader.recent_activity(id.as_str(), &window, 10, None)
    })?;
    let activity = entries(
        recent.iter().cloned().collect::<Vec<_>>(),
        &shown,
        &base,
        |o| names.name(o.as_str()),
    );
    // The timeline draws the table's page.
    let timeline = charts::timeline_chart(&charts::TimelineChart {
        id: "milestone-timeline",
        title: "Milestones: baseline against forecast".into(),
        desc: String::new(),
        today: window.as_of,
        bars: milestones
            .iter()
            .map(|r| &r.m)
            .filter(|m| m.milestone.status != MilestoneStatus::Cancelled)
            .map(|m| charts::Bar {
                label: m.milestone.title.clone(),
                baseline: m.milestone.baseline,
                forecast: m.milestone.forecast,
                done_on: m.milestone.completed_on,
            })
            .collect(),
    });

    let board_href = format!(
        "{base}/board?{}",
        board_query(None, window.as_of, window.known_at)
    );
    let page = BlueprintBody {
        activity_href: shown.link(&format!("{base}/activity")),
        board_href,
        status: status_tag(&status_name(&b.status)),
        confidence: rag_tag(f.summary.confidence.rag),
        since: long_date(t.since),
        headlines: headlines(&f, &t),
        lead: names.name(b.lead_org.as_str()),
        at_risk,
        milestone_count: f.milestones.len(),
        milestones,
        pagination,
        filters,
        filtered,
        sorts,
        due_30,
        due_90,
        overdue,
        workstreams,
        drawn,
        funding,
        sponsors,
        partners,
        commitments,
        pledges,
        activity,
        timeline,
        shown,
        f,
    };
    let html = page
        .render()
        .map_err(|e| ApiError::internal("render the page", e))?;
    Ok(RenderedBody {
        title: page.f.summary.blueprint.title.clone(),
        html,
    })
}

fn rag_label(s: &str) -> String {
    match s {
        "red" => "Red",
        "amber" => "Amber",
        _ => "Green",
    }
    .to_owned()
}
