//! The blueprint page's tables as CSV, for spreadsheets: `GET /blueprints/{bp}/tables/{name}.csv`
//! with the page's window (`as_of`, `known_at`). Cells are the figures themselves (pence,
//! hundredths of a person-day, ISO dates), not the page's formatted text, so a spreadsheet can
//! add them up; the JSON twin of the page (`/api/v1/blueprints/{bp}/dashboard`) carries the same.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use projector::figures::{BlueprintFigures, Progression};

use crate::AppState;
use crate::api::{BlueprintRead, Read, ReadParams, not_in_window};
use crate::components::status_name;
use crate::problem::{ApiError, Query};
use crate::session::Visitor;

/// Every table a blueprint page offers as CSV, with its columns.
pub const TABLES: &[(&str, &[&str])] = &[
    (
        "milestones",
        &[
            "id",
            "title",
            "workstream",
            "owner",
            "status",
            "rag",
            "rag_reasons",
            "baseline",
            "forecast",
            "slippage_days",
            "percent",
            "completed_on",
        ],
    ),
    (
        "workstreams",
        &[
            "id", "title", "lead_org", "retired", "done", "planned", "red", "amber",
        ],
    ),
    (
        "targets",
        &[
            "id",
            "title",
            "unit",
            "target_value",
            "reported_value",
            "reported_on",
        ],
    ),
    (
        "sponsors",
        &[
            "sponsor",
            "pledges",
            "money_pledged_pence",
            "money_confirmed_pence",
            "money_disbursed_pence",
            "staff_pledged_hundredths",
            "staff_confirmed_hundredths",
            "staff_disbursed_hundredths",
        ],
    ),
    (
        "pledges",
        &[
            "id",
            "sponsor",
            "resource",
            "workstream",
            "status",
            "pledged",
            "confirmed",
            "disbursed",
            "conditions",
        ],
    ),
    (
        "partners",
        &[
            "partner",
            "unit",
            "delivered",
            "committed",
            "commitments",
            "fulfilled",
            "overdue",
        ],
    ),
    (
        "commitments",
        &[
            "id",
            "partner",
            "kind",
            "description",
            "quantity",
            "unit",
            "delivered",
            "due",
            "status",
            "overdue",
        ],
    ),
    (
        "progression",
        &[
            "date",
            "scope",
            "done",
            "money_pledged_pence",
            "money_confirmed_pence",
            "money_disbursed_pence",
        ],
    ),
];

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// One CSV row: each cell as `to_string` writes it (an `Option` goes through [`opt`] first).
macro_rules! row {
    ($($cell:expr),* $(,)?) => {
        vec![$($cell.to_string()),*]
    };
}
pub(crate) use row;

/// A row for each of `items`.
fn each<T>(items: &[T], row: impl Fn(&T) -> Vec<String>) -> Vec<Vec<String>> {
    items.iter().map(row).collect()
}

/// The header row of `columns`.
fn header(columns: &[&str]) -> Vec<String> {
    columns.iter().map(|c| (*c).to_owned()).collect()
}

/// The rows of table `name`, in the order of its columns in [`TABLES`].
fn rows(name: &str, f: &BlueprintFigures, p: &Progression) -> Vec<Vec<String>> {
    match name {
        "milestones" => each(&f.milestones, |m| {
            let v = &m.milestone;
            row![
                v.id,
                v.title,
                v.workstream,
                v.owner,
                status_name(&v.status),
                m.rag.label(),
                m.rag_reasons.join("; "),
                v.baseline,
                v.forecast,
                m.slippage_days,
                v.percent,
                opt(v.completed_on),
            ]
        }),
        "workstreams" => each(&f.workstreams, |w| {
            row![
                w.id, w.title, w.lead_org, w.retired, w.done, w.total, w.red, w.amber
            ]
        }),
        "targets" => each(&f.summary.blueprint.targets, |t| {
            row![
                t.id,
                t.title,
                t.unit,
                t.target_value,
                opt(t.reported_value),
                opt(t.reported_on),
            ]
        }),
        "sponsors" => each(&f.funding_by_sponsor, |s| {
            row![
                s.sponsor,
                s.pledges,
                s.money.pledged,
                s.money.confirmed,
                s.money.disbursed,
                s.staff_time.pledged,
                s.staff_time.confirmed,
                s.staff_time.disbursed,
            ]
        }),
        "pledges" => each(&f.pledges, |p| {
            row![
                p.id,
                p.sponsor,
                status_name(&p.resource),
                opt(p.workstream.as_ref()),
                status_name(&p.status),
                p.pledged,
                opt(p.confirmed),
                p.disbursed,
                p.conditions,
            ]
        }),
        "partners" => f
            .commitments_by_partner
            .iter()
            .flat_map(|p| {
                p.units.iter().map(move |u| {
                    row![
                        p.partner,
                        u.unit,
                        u.delivered,
                        u.committed,
                        p.commitments,
                        p.fulfilled,
                        p.overdue,
                    ]
                })
            })
            .collect(),
        "commitments" => each(&f.commitments, |c| {
            let v = &c.commitment;
            row![
                v.id,
                v.partner,
                status_name(&v.kind),
                v.description,
                v.quantity,
                v.unit,
                v.delivered,
                v.due,
                status_name(&v.status),
                c.overdue,
            ]
        }),
        _ => each(&p.points, |x| {
            row![x.date, x.scope, x.done, x.pledged, x.confirmed, x.disbursed]
        }),
    }
}

/// `GET /blueprints/{bp}/tables/{name}.csv`.
pub async fn csv(
    State(state): State<AppState>,
    Path((bp, file)): Path<(String, String)>,
    visitor: Visitor,
    Query(params): Query<ReadParams>,
) -> Result<Response, ApiError> {
    let Some((name, columns)) = file
        .strip_suffix(".csv")
        .and_then(|n| TABLES.iter().find(|(t, _)| *t == n))
        .copied()
    else {
        let names: Vec<&str> = TABLES.iter().map(|(t, _)| *t).collect();
        return Err(ApiError::not_found(
            "read.no_such_table",
            format!(
                "there is no table {file:?}; tables: {}.csv",
                names.join(".csv, ")
            ),
        ));
    };
    let BlueprintRead {
        reader, id, window, ..
    } = state.read_blueprint(&visitor.caller, &bp, &params).await?;
    let figures = reader
        .figures(id.as_str(), &window, &state.rules)?
        .ok_or_else(|| not_in_window(&id, &window))?;
    let progression = if name == "progression" {
        reader.progression(id.as_str(), &window)?
    } else {
        std::sync::Arc::new(Progression {
            targets: vec![],
            points: vec![],
        })
    };
    csv_response(
        &format!("{id}-{name}-{}.csv", window.as_of),
        std::iter::once(header(columns)).chain(rows(name, &figures, &progression)),
    )
}

/// The portfolio's columns.
pub const PORTFOLIO: &[&str] = &[
    "id",
    "title",
    "status",
    "confidence",
    "confidence_reasons",
    "milestones_done",
    "milestones_planned",
    "money_confirmed_pence",
    "funding_target_pence",
    "overdue",
    "direction",
    "since",
];

/// `GET /portfolio.csv`: the portfolio table, in the window of the query.
pub async fn portfolio(
    State(state): State<AppState>,
    visitor: Visitor,
    Read { window, reader }: Read,
) -> Result<Response, ApiError> {
    let entries = reader.portfolio(&window, &state.rules, |b| visitor.caller.may_read(b))?;
    let rows = entries.iter().map(|e| {
        row![
            e.id,
            e.title,
            status_name(&e.status),
            e.confidence.rag.label(),
            e.confidence.reasons.join("; "),
            e.progress.done,
            e.progress.total,
            e.money_confirmed,
            e.funding_target,
            e.overdue,
            e.trend.confidence.label(),
            e.trend.since,
        ]
    });
    csv_response(
        &format!("portfolio-{}.csv", window.as_of),
        std::iter::once(header(PORTFOLIO)).chain(rows),
    )
}

/// A cell as a spreadsheet will read it safely: text that a spreadsheet would take for a formula
/// (starting `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, which
/// spreadsheets show as text; numbers (a negative slippage) stay numbers.
fn inert(cell: String) -> String {
    let formula = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if formula && cell.parse::<i64>().is_err() {
        format!("'{cell}")
    } else {
        cell
    }
}

/// A CSV download of `rows` (the first is the header) named `filename`; every cell goes
/// through [`inert`], since users typed many of them.
pub fn csv_response(
    filename: &str,
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<Response, ApiError> {
    let failed = |e: ::csv::Error| ApiError::internal("write a table as CSV", e);
    let mut out = ::csv::Writer::from_writer(Vec::new());
    for row in rows {
        out.write_record(row.into_iter().map(inert))
            .map_err(failed)?;
    }
    let body = out
        .into_inner()
        .map_err(|e| ApiError::internal("write a table as CSV", e))?;
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_are_made_text() {
        assert_eq!(inert("=HYPERLINK(\"x\")".into()), "'=HYPERLINK(\"x\")");
        assert_eq!(inert("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(inert("+44 121".into()), "'+44 121");
        assert_eq!(inert("-12".into()), "-12");
        assert_eq!(inert("Academy".into()), "Academy");
    }

    #[test]
    fn every_row_has_a_cell_per_column() {
        let empty = projector::fold::BlueprintModel {
            blueprint: serde_json::from_value(serde_json::json!({
                "id": "wm", "title": "t", "summary": "s", "lead_org": "gds",
                "start_date": "2026-01-01", "target_end_date": "2027-01-01",
                "funding_target": 100, "staff_time_target": null, "status": "draft",
                "workstreams": [{"id": "w", "title": "W", "lead_org": "gds", "retired": false}],
                "partners": [], "targets": [{"id": "t", "title": "T", "unit": "roles", "target_value": 3, "reported_value": 1, "reported_on": "2026-02-01"}],
                "milestones": {"planned": 0, "in_progress": 0, "done": 0, "cancelled": 0},
                "funding": {"money": {"pledged": 0, "confirmed": 0, "disbursed": 0}, "staff_time": {"pledged": 0, "confirmed": 0, "disbursed": 0}},
                "commitments": {"open": 0, "fulfilled": 0, "withdrawn": 0},
                "version": 1, "updated_seq": 1, "last_occurred_on": null, "last_recorded_at": null
            }))
            .unwrap(),
            milestones: Default::default(),
            commitments: Default::default(),
            pledges: Default::default(),
        };
        let window = projector::fold::Window::today();
        let f = projector::figures::blueprint_figures(&empty, &window, &Default::default(), 1);
        let p = Progression {
            targets: vec![],
            points: vec![projector::figures::Point {
                date: window.as_of,
                scope: 1,
                done: 0,
                pledged: 0,
                confirmed: 0,
                disbursed: 0,
                targets: vec![],
            }],
        };
        for (name, columns) in TABLES {
            for row in rows(name, &f, &p) {
                assert_eq!(row.len(), columns.len(), "table {name}");
            }
        }
    }
}
