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
    let red: Vec<String> = out
        .iter()
        .filter(|(_, a)| a.rag == Rag::Red)
        .map(|(id, _)| id.clone())
        .collect();
    for m in milestones {
        let red_deps: Vec<&String> = m.depends_on.iter().filter(|d| red.contains(d)).collect();
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

    fn rag_of(view: MilestoneView) -> Rag {
        assess_milestones(&[view], d(TODAY), &RagRules::default())
            .into_values()
            .next()
            .unwrap()
            .rag
    }

    #[test]
    fn milestone_rules() {
        assert_eq!(
            rag_of(m(
                "a",
                MilestoneStatus::InProgress,
                "2026-05-01",
                "2026-05-31",
                90
            )),
            Rag::Red
        );
        assert_eq!(
            rag_of(m(
                "a",
                MilestoneStatus::Planned,
                "2026-06-10",
                "2026-06-10",
                0
            )),
            Rag::Amber
        );
        assert_eq!(
            rag_of(m(
                "a",
                MilestoneStatus::InProgress,
                "2026-06-10",
                "2026-06-10",
                40
            )),
            Rag::Amber
        );
        assert_eq!(
            rag_of(m(
                "a",
                MilestoneStatus::InProgress,
                "2026-06-10",
                "2026-06-10",
                50
            )),
            Rag::Green
        );
        assert_eq!(
            rag_of(m(
                "a",
                MilestoneStatus::Planned,
                "2026-06-01",
                "2026-08-01",
                0
            )),
            Rag::Amber
        );
        assert_eq!(
            rag_of(m(
                "a",
                MilestoneStatus::Planned,
                "2026-07-20",
                "2026-08-01",
                0
            )),
            Rag::Green
        );
        assert_eq!(
            rag_of(m(
                "a",
                MilestoneStatus::Done,
                "2026-01-01",
                "2026-01-01",
                100
            )),
            Rag::Done
        );
        assert_eq!(
            rag_of(m(
                "a",
                MilestoneStatus::Cancelled,
                "2026-01-01",
                "2026-01-01",
                0
            )),
            Rag::Cancelled
        );
    }

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
}
