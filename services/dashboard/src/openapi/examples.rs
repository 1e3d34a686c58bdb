//! Examples of the document, built as typed values so that they cannot drift from the types: one
//! story, the West Midlands blueprint `wm-digital`.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use projector::read::{AssessedCommitment, AssessedMilestone, BlueprintSummary, Progress};
use projector::status::{Assessed, Rag};
use projector::views::*;
use proto::{Accepted, CommitmentKind, OrgType, Resource, ThingKind};

use crate::api::WithHistory;
use crate::commands::{AcceptedBody, plural};

fn id<T: FromStr>(s: &str) -> T
where
    T::Err: std::fmt::Debug,
{
    s.parse().expect("an example id is a slug")
}

fn day(s: &str) -> NaiveDate {
    s.parse().expect("an example date")
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().expect("an example timestamp")
}

/// The id a create example names.
pub fn new_id(kind: ThingKind) -> &'static str {
    match kind {
        ThingKind::Organisation => "hmcts",
        ThingKind::Blueprint => "wm-digital",
        ThingKind::Milestone => "academy",
        ThingKind::Commitment => "secondees",
        ThingKind::Pledge => "academy-fund",
    }
}

/// The answer to a write on a thing of `kind`.
pub fn accepted(kind: ThingKind) -> AcceptedBody {
    let location = match kind {
        ThingKind::Organisation | ThingKind::Blueprint => {
            format!("/api/v1/{}/{}", plural(kind), new_id(kind))
        }
        _ => format!(
            "/api/v1/blueprints/wm-digital/{}/{}",
            plural(kind),
            new_id(kind)
        ),
    };
    AcceptedBody {
        accepted: Accepted {
            seq: 42,
            version: 42,
            events: vec![
                match kind {
                    ThingKind::Organisation => "organisation.registered",
                    ThingKind::Blueprint => "blueprint.drafted",
                    ThingKind::Milestone => "milestone.planned",
                    ThingKind::Commitment => "commitment.made",
                    ThingKind::Pledge => "pledge.made",
                }
                .to_owned(),
            ],
            duplicate: false,
        },
        location,
    }
}

pub fn organisation() -> OrganisationView {
    OrganisationView {
        id: "gds".into(),
        name: "Government Digital Service".into(),
        org_type: OrgType::CentralGovernment,
        version: 3,
    }
}

pub fn blueprint() -> BlueprintView {
    BlueprintView {
        id: "wm-digital".into(),
        title: "West Midlands public sector digital blueprint".into(),
        summary: "Digital skills, jobs and collaboration across the region.".into(),
        lead_org: id("gds"),
        start_date: day("2026-01-01"),
        target_end_date: day("2027-12-31"),
        funding_target: 150_000_000,
        staff_time_target: Some(50_000),
        status: BlueprintStatus::Published,
        workstreams: vec![WorkstreamView {
            id: "skills".into(),
            title: "Skills pipeline".into(),
            lead_org: id("gds"),
            retired: false,
        }],
        partners: vec![id("gds"), id("hmcts")],
        targets: vec![TargetView {
            id: "tech-roles".into(),
            title: "Tech roles created in Birmingham".into(),
            unit: "roles".into(),
            target_value: 100,
            reported_value: Some(40),
            reported_on: Some(day("2026-05-01")),
        }],
        milestones: MilestoneCounts {
            planned: 3,
            in_progress: 2,
            done: 1,
            cancelled: 0,
        },
        funding: Funding {
            money: FundingTotals {
                pledged: 25_000_000,
                confirmed: 20_000_000,
                disbursed: 5_000_000,
            },
            staff_time: FundingTotals::default(),
        },
        commitments: CommitmentCounts {
            open: 2,
            fulfilled: 1,
            withdrawn: 0,
        },
        version: 12,
        updated_seq: 57,
        last_occurred_on: Some(day("2026-05-28")),
        last_recorded_at: Some(
            chrono::DateTime::parse_from_rfc3339("2026-05-28T10:15:00Z")
                .map(|t| t.to_utc())
                .unwrap_or_default(),
        ),
    }
}

pub fn summary() -> BlueprintSummary {
    BlueprintSummary {
        blueprint: blueprint(),
        as_of: day("2026-06-01"),
        known_at: None,
        rag: [("amber", 1), ("done", 1), ("green", 4)]
            .map(|(k, v)| (k.to_owned(), v))
            .into(),
        confidence: Assessed {
            rag: Rag::Amber,
            reasons: vec!["confirmed funding is below the target".into()],
        },
        total_slippage_days: 61,
        progress: Progress { done: 1, total: 6 },
        checkpoint: 57,
    }
}

pub fn milestone() -> AssessedMilestone {
    AssessedMilestone {
        milestone: MilestoneView {
            blueprint: "wm-digital".into(),
            id: "academy".into(),
            workstream: "skills".into(),
            title: "GDS pop-up academy runs in Birmingham".into(),
            owner: id("gds"),
            depends_on: vec![],
            baseline: day("2027-03-31"),
            forecast: day("2027-05-31"),
            status: MilestoneStatus::InProgress,
            percent: 40,
            started: true,
            progress_note: "Venue booked, first cohort selected.".into(),
            progress_on: None,
            forecast_on: None,
            completed_on: None,
            evidence: None,
            version: 41,
            updated_at: at("2026-05-12T09:30:00Z"),
        },
        rag: Rag::Amber,
        rag_reasons: vec!["forecast has slipped 61 days past the baseline".into()],
        slippage_days: 61,
    }
}

pub fn commitment() -> AssessedCommitment {
    AssessedCommitment {
        commitment: CommitmentView {
            blueprint: "wm-digital".into(),
            id: "secondees".into(),
            partner: id("gds"),
            kind: CommitmentKind::Secondment,
            description: "Two secondees to the digital hub.".into(),
            quantity: 2,
            unit: "people".into(),
            due: day("2027-01-31"),
            delivered: 1,
            quantity_on: None,
            due_on: None,
            status: CommitmentStatus::Made,
            version: 35,
            updated_at: at("2026-04-02T14:00:00Z"),
        },
        overdue: false,
    }
}

pub fn pledge() -> PledgeView {
    PledgeView {
        blueprint: "wm-digital".into(),
        id: "academy-fund".into(),
        sponsor: id("gds"),
        resource: Resource::Money,
        workstream: Some("skills".into()),
        conditions: "Illustrative amount.".into(),
        pledged: 25_000_000,
        confirmed: Some(20_000_000),
        disbursed: 5_000_000,
        status: PledgeStatus::Confirmed,
        title: Some("GDS academy fund".into()),
        version: 50,
        updated_at: at("2026-05-20T11:00:00Z"),
    }
}

/// A thing with a history of one commit.
pub fn with_history<T>(thing: T, event_type: &str, summary: &str) -> WithHistory<T> {
    WithHistory {
        thing,
        history: vec![HistoryEntry {
            seq: 41,
            recorded_at: at("2026-05-12T09:30:00Z"),
            actor: "programme-office".into(),
            actor_org: None,
            events: vec![HistoryEvent {
                event_type: event_type.into(),
                occurred_on: day("2026-05-12"),
                summary: summary.into(),
            }],
        }],
        history_earlier: false,
    }
}
