//! Time-dependent status, computed at read time from stored facts and the date of the view, so
//! today's view and an "as of" view share one code path.
//!
//! Milestone RAG: done and cancelled are their own states. Otherwise red when the forecast date has
//! passed; amber when due within 14 days and not started or under 50% progress, when the forecast
//! has slipped more than 30 days past the baseline, or when a milestone it depends on is red; green
//! otherwise.
//!
//! Blueprint delivery confidence: red when a quarter or more of open milestones are red, or when
//! confirmed funding is below half the target with fewer than 90 days left; amber when any open
//! milestone is red, a quarter or more are amber, or confirmed funding is below the target; green
//! otherwise.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::views::{BlueprintView, MilestoneStatus, MilestoneView};

/// The thresholds of the RAG rules; these are the defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RagRules {
    pub due_soon_days: i64,
    pub progress_threshold: u8,
    pub slip_days: i64,
    /// Share of open milestones, in percent, at which red (or amber) milestones turn the blueprint.
    pub share_percent: u64,
    pub funding_days_left: i64,
}

impl Default for RagRules {
    fn default() -> Self {
        Self {
            due_soon_days: 14,
            progress_threshold: 50,
            slip_days: 30,
            share_percent: 25,
            funding_days_left: 90,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Rag {
    Red,
    Amber,
    Green,
    Done,
    Cancelled,
}

impl Rag {
    pub fn label(self) -> &'static str {
        match self {
            Rag::Red => "red",
            Rag::Amber => "amber",
            Rag::Green => "green",
            Rag::Done => "done",
            Rag::Cancelled => "cancelled",
        }
    }
}

/// A status with the reasons for it, so a sponsor can see why something is amber.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assessed {
    pub rag: Rag,
    pub reasons: Vec<String>,
}

/// RAG of every milestone of one blueprint as of `today`.
pub fn assess_milestones(
    milestones: &[MilestoneView],
    today: NaiveDate,
    rules: &RagRules,
) -> HashMap<String, Assessed> {
    // First the milestones' own state, then amber for those whose dependencies are red.
    let mut out: HashMap<String, Assessed> = milestones
        .iter()
        .map(|m| (m.id.clone(), own_rag(m, today, rules)))
        .collect();
    let red: std::collections::HashSet<String> = out
        .iter()
        .filter(|(_, a)| a.rag == Rag::Red)
        .map(|(id, _)| id.clone())
        .collect();
    for m in milestones {
        let red_deps: Vec<&String> = m.depends_on.iter().filter(|d| red.contains(*d)).collect();
        if red_deps.is_empty() {
            continue;
        }
        if let Some(a) = out.get_mut(&m.id)
            && matches!(a.rag, Rag::Green | Rag::Amber)
        {
            a.rag = Rag::Amber;
            for d in red_deps {
                a.reasons.push(format!("depends on {d}, which is red"));
            }
        }
    }
    out
}

fn own_rag(m: &MilestoneView, today: NaiveDate, rules: &RagRules) -> Assessed {
    match m.status {
        MilestoneStatus::Done => {
            return Assessed {
                rag: Rag::Done,
                reasons: vec![],
            };
        }
        MilestoneStatus::Cancelled => {
            return Assessed {
                rag: Rag::Cancelled,
                reasons: vec![],
            };
        }
        _ => {}
    }
    if m.forecast < today {
        return Assessed {
            rag: Rag::Red,
            reasons: vec![format!("forecast date {} has passed", m.forecast)],
        };
    }
    let mut reasons = Vec::new();
    let days_left = (m.forecast - today).num_days();
    if days_left <= rules.due_soon_days {
        if m.status == MilestoneStatus::Planned {
            reasons.push(format!("due in {days_left} days and not started"));
        } else if m.percent < rules.progress_threshold {
            reasons.push(format!(
                "due in {days_left} days at {}% progress",
                m.percent
            ));
        }
    }
    let slip = m.slippage_days();
    if slip > rules.slip_days {
        reasons.push(format!(
            "forecast has slipped {slip} days past the baseline"
        ));
    }
    Assessed {
        rag: if reasons.is_empty() {
            Rag::Green
        } else {
            Rag::Amber
        },
        reasons,
    }
}

/// Delivery confidence of a blueprint as of `today`.
pub fn confidence(
    bp: &BlueprintView,
    assessed: &HashMap<String, Assessed>,
    today: NaiveDate,
    rules: &RagRules,
) -> Assessed {
    let open: Vec<&Assessed> = assessed
        .values()
        .filter(|a| matches!(a.rag, Rag::Red | Rag::Amber | Rag::Green))
        .collect();
    let red = open.iter().filter(|a| a.rag == Rag::Red).count() as u64;
    let amber = open.iter().filter(|a| a.rag == Rag::Amber).count() as u64;
    let n = open.len() as u64;
    let share = |count: u64| n > 0 && count * 100 >= rules.share_percent * n;
    let confirmed = bp.funding.money.confirmed;
    let days_left = (bp.target_end_date - today).num_days();
    let mut red_reasons = Vec::new();
    if share(red) {
        red_reasons.push(format!("{red} of {n} open milestones are red"));
    }
    if confirmed.saturating_mul(2) < bp.funding_target && days_left < rules.funding_days_left {
        red_reasons.push(format!(
            "confirmed funding is below half the target with {days_left} days left"
        ));
    }
    if !red_reasons.is_empty() {
        return Assessed {
            rag: Rag::Red,
            reasons: red_reasons,
        };
    }
    let mut amber_reasons = Vec::new();
    if red > 0 {
        amber_reasons.push(format!("{red} open milestone(s) are red"));
    }
    if share(amber) {
        amber_reasons.push(format!("{amber} of {n} open milestones are amber"));
    }
    if confirmed < bp.funding_target {
        amber_reasons.push("confirmed funding is below the target".to_owned());
    }
    if amber_reasons.is_empty() {
        Assessed {
            rag: Rag::Green,
            reasons: vec![],
        }
    } else {
        Assessed {
            rag: Rag::Amber,
            reasons: amber_reasons,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn m(
        id: &str,
        status: MilestoneStatus,
        baseline: &str,
        forecast: &str,
        percent: u8,
    ) -> MilestoneView {
        MilestoneView {
            blueprint: "wm".into(),
            id: id.into(),
            workstream: "w".into(),
            title: id.into(),
            owner: "gds".parse().unwrap(),
            depends_on: vec![],
            baseline: d(baseline),
            forecast: d(forecast),
            status,
            percent,
            started: status != MilestoneStatus::Planned,
            progress_note: String::new(),
            progress_on: None,
            forecast_on: None,
            completed_on: None,
            evidence: None,
            version: 1,
            updated_at: Utc::now(),
        }
    }

    const TODAY: &str = "2026-06-01";

    #[test]
    fn a_red_dependency_makes_a_green_milestone_amber() {
        let late = m(
            "late",
            MilestoneStatus::InProgress,
            "2026-05-01",
            "2026-05-01",
            10,
        );
        let mut after = m(
            "after",
            MilestoneStatus::Planned,
            "2026-09-01",
            "2026-09-01",
            0,
        );
        after.depends_on = vec!["late".into()];
        let out = assess_milestones(&[late, after], d(TODAY), &RagRules::default());
        assert_eq!(out["after"].rag, Rag::Amber);
        assert!(out["after"].reasons[0].contains("late"));
    }

    /// Each case: a milestone, and the RAG and reasons it is assessed at on `TODAY`.
    #[test]
    fn every_milestone_rule_says_why() {
        use MilestoneStatus::*;
        let cases = [
            (
                m("a", InProgress, "2026-05-01", "2026-05-31", 90),
                Rag::Red,
                vec!["forecast date 2026-05-31 has passed"],
            ),
            (
                m("a", Planned, "2026-06-10", "2026-06-10", 0),
                Rag::Amber,
                vec!["due in 9 days and not started"],
            ),
            (
                m("a", InProgress, "2026-06-10", "2026-06-10", 40),
                Rag::Amber,
                vec!["due in 9 days at 40% progress"],
            ),
            (
                m("a", InProgress, "2026-06-10", "2026-06-10", 50),
                Rag::Green,
                vec![],
            ),
            (
                m("a", Planned, "2026-06-01", "2026-08-01", 0),
                Rag::Amber,
                vec!["forecast has slipped 61 days past the baseline"],
            ),
            (
                m("a", Planned, "2026-07-20", "2026-08-01", 0),
                Rag::Green,
                vec![],
            ),
            (
                m("a", Planned, "2026-05-01", "2026-06-05", 0),
                Rag::Amber,
                vec![
                    "due in 4 days and not started",
                    "forecast has slipped 35 days past the baseline",
                ],
            ),
            (
                m("a", InProgress, "2026-09-01", "2026-09-01", 10),
                Rag::Green,
                vec![],
            ),
            (
                m("a", Done, "2026-01-01", "2026-01-01", 100),
                Rag::Done,
                vec![],
            ),
            (
                m("a", Cancelled, "2026-01-01", "2026-01-01", 0),
                Rag::Cancelled,
                vec![],
            ),
        ];
        for (view, rag, reasons) in cases {
            let a = assess_milestones(&[view], d(TODAY), &RagRules::default())
                .into_values()
                .next()
                .unwrap();
            assert_eq!((a.rag, a.reasons), (rag, strings(&reasons)));
        }
    }

    fn strings(texts: &[&str]) -> Vec<String> {
        texts.iter().map(|t| t.to_string()).collect()
    }

    fn blueprint(target: u64, confirmed: u64, end: &str) -> BlueprintView {
        let mut b: BlueprintView = serde_json::from_value(serde_json::json!({
            "id": "wm", "title": "t", "summary": "s", "lead_org": "gds",
            "start_date": "2026-01-01", "target_end_date": end,
            "funding_target": target, "staff_time_target": null, "status": "published",
            "workstreams": [], "partners": [], "targets": [],
            "milestones": {"planned": 0, "in_progress": 0, "done": 0, "cancelled": 0},
            "funding": {"money": {"pledged": 0, "confirmed": 0, "disbursed": 0},
                        "staff_time": {"pledged": 0, "confirmed": 0, "disbursed": 0}},
            "commitments": {"open": 0, "fulfilled": 0, "withdrawn": 0},
            "version": 1, "updated_seq": 1, "last_occurred_on": null, "last_recorded_at": null
        }))
        .unwrap();
        b.funding.money.confirmed = confirmed;
        b
    }

    /// Each case: a blueprint's funding target, confirmed funding and end date, its milestones,
    /// and the delivery confidence and reasons it is assessed at on `TODAY`.
    #[test]
    fn every_confidence_rule_says_why() {
        use MilestoneStatus::*;
        let green = m("g", InProgress, "2026-09-01", "2026-09-01", 60);
        // Milestones are told apart by id.
        let with = |one: &MilestoneView, n: usize| -> Vec<MilestoneView> {
            let mut all: Vec<MilestoneView> = (0..n)
                .map(|i| MilestoneView {
                    id: format!("g{i}"),
                    ..green.clone()
                })
                .collect();
            all.push(one.clone());
            all
        };
        let red = m("r", InProgress, "2026-05-01", "2026-05-20", 10);
        let amber = m("a", Planned, "2026-06-10", "2026-06-10", 0);
        let done = m("d", Done, "2026-01-01", "2026-01-01", 100);
        let funded = (100, 100, "2027-12-31");
        let cases = [
            (funded, vec![green.clone()], Rag::Green, vec![]),
            (
                funded,
                with(&red, 4),
                Rag::Amber,
                vec!["1 open milestone(s) are red"],
            ),
            (
                funded,
                with(&red, 2),
                Rag::Red,
                vec!["1 of 3 open milestones are red"],
            ),
            (
                funded,
                with(&amber, 2),
                Rag::Amber,
                vec!["1 of 3 open milestones are amber"],
            ),
            (
                (100, 60, "2027-12-31"),
                vec![green.clone()],
                Rag::Amber,
                vec!["confirmed funding is below the target"],
            ),
            (
                (100, 40, "2026-07-01"),
                vec![green.clone()],
                Rag::Red,
                vec!["confirmed funding is below half the target with 30 days left"],
            ),
            // Done and cancelled milestones are not open: they count towards no share.
            (funded, vec![done, green], Rag::Green, vec![]),
        ];
        let rules = RagRules::default();
        for ((target, confirmed, end), milestones, rag, reasons) in cases {
            let assessed = assess_milestones(&milestones, d(TODAY), &rules);
            let a = confidence(
                &blueprint(target, confirmed, end),
                &assessed,
                d(TODAY),
                &rules,
            );
            assert_eq!((a.rag, a.reasons), (rag, strings(&reasons)));
        }
    }
}
