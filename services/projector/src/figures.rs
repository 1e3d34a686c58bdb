//! What the dashboards show, computed from a [`BlueprintModel`] for a date: headline figures,
//! RAG and delivery confidence with their reasons, due and overdue items, funding by sponsor,
//! commitments by partner, progress by workstream, and the direction of travel against an earlier
//! date. Pages and JSON reads render these; they compute nothing themselves.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use proto::{OrgId, Resource};
use serde::{Deserialize, Serialize};

use crate::fold::{BlueprintModel, Window};
use crate::read::{AssessedCommitment, AssessedMilestone, BlueprintSummary, Progress};
use crate::status::{Assessed, Rag, RagRules, assess_milestones, confidence};
use crate::views::*;

/// How many days back the direction of travel looks.
pub const TREND_DAYS: u64 = 30;

/// Everything the blueprint page shows, as of one window.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlueprintFigures {
    pub summary: BlueprintSummary,
    /// Milestones in id order, each with its RAG and the reasons for it.
    pub milestones: Vec<AssessedMilestone>,
    pub commitments: Vec<AssessedCommitment>,
    pub pledges: Vec<PledgeView>,
    /// Open milestones red or amber, worst first: what made the confidence what it is.
    pub at_risk: Vec<String>,
    /// Open milestones due within 30 days of the date, soonest first.
    pub due_30: Vec<String>,
    /// Open milestones due from 31 to 90 days after the date, soonest first.
    pub due_90: Vec<String>,
    /// Open milestones whose forecast date has passed, most overdue first.
    pub overdue_milestones: Vec<String>,
    /// Open commitments past their due date and short of their promise.
    pub overdue_commitments: Vec<String>,
    pub workstreams: Vec<WorkstreamProgress>,
    pub funding_by_sponsor: Vec<SponsorFunding>,
    pub commitments_by_partner: Vec<PartnerDelivery>,
}

/// Milestones done out of those not cancelled in one workstream, with its red and amber ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkstreamProgress {
    pub id: String,
    pub title: String,
    pub lead_org: OrgId,
    pub retired: bool,
    pub done: u64,
    pub total: u64,
    pub red: u64,
    pub amber: u64,
}

/// What one sponsor pledged, confirmed and disbursed to a blueprint, money and staff time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SponsorFunding {
    pub sponsor: OrgId,
    pub money: FundingTotals,
    pub staff_time: FundingTotals,
    pub pledges: u64,
}

/// What one partner delivered against what it committed, by unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartnerDelivery {
    pub partner: OrgId,
    pub commitments: u64,
    pub fulfilled: u64,
    pub overdue: u64,
    pub units: Vec<UnitDelivery>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitDelivery {
    pub unit: String,
    pub delivered: u64,
    pub committed: u64,
}

/// Better, the same or worse than before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Better,
    Same,
    Worse,
}

impl Direction {
    pub fn label(self) -> &'static str {
        match self {
            Direction::Better => "better",
            Direction::Same => "same",
            Direction::Worse => "worse",
        }
    }

    /// The direction of a figure where more is better.
    fn more_is_better(now: u64, before: u64) -> Self {
        match now.cmp(&before) {
            std::cmp::Ordering::Greater => Direction::Better,
            std::cmp::Ordering::Equal => Direction::Same,
            std::cmp::Ordering::Less => Direction::Worse,
        }
    }

    fn fewer_is_better(now: u64, before: u64) -> Self {
        Self::more_is_better(before, now)
    }
}

/// One headline figure now and at the earlier date, and which way it moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Moved {
    pub now: u64,
    /// `None` when the blueprint had not been drafted at the earlier date.
    pub before: Option<u64>,
    pub direction: Direction,
}

impl Moved {
    fn of(now: u64, before: Option<u64>, direction: fn(u64, u64) -> Direction) -> Self {
        Self {
            now,
            before,
            direction: before.map_or(Direction::Same, |b| direction(now, b)),
        }
    }
}

/// The headline figures and how each moved since an earlier date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Trend {
    /// The date compared against.
    pub since: NaiveDate,
    pub confidence_before: Option<Rag>,
    pub confidence: Direction,
    pub milestones_done: Moved,
    /// Pence.
    pub money_confirmed: Moved,
    /// Pence.
    pub money_disbursed: Moved,
    pub overdue: Moved,
}

/// A blueprint on the portfolio page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PortfolioEntry {
    pub id: String,
    pub title: String,
    pub lead_org: OrgId,
    pub status: BlueprintStatus,
    pub confidence: Assessed,
    pub progress: Progress,
    /// Pence.
    pub money_confirmed: u64,
    /// Pence.
    pub funding_target: u64,
    pub overdue: u64,
    pub trend: Trend,
}

fn rank(rag: Rag) -> u8 {
    match rag {
        Rag::Red => 0,
        Rag::Amber => 1,
        _ => 2,
    }
}

fn is_open(status: MilestoneStatus) -> bool {
    matches!(
        status,
        MilestoneStatus::Planned | MilestoneStatus::InProgress
    )
}

/// Milestones of a model with their RAG for `today`, in id order.
pub fn assessed_milestones(
    model: &BlueprintModel,
    today: NaiveDate,
    rules: &RagRules,
) -> Vec<AssessedMilestone> {
    assess(model.milestones.values().cloned().collect(), today, rules)
}

/// `milestones` with their RAG for `today`, in the order given. A milestone's RAG depends on its
/// own state and on whether those it depends on directly are red by theirs, so the list need
/// hold only the milestones asked about and those they depend on.
pub fn assess(
    milestones: Vec<MilestoneView>,
    today: NaiveDate,
    rules: &RagRules,
) -> Vec<AssessedMilestone> {
    let mut assessed = assess_milestones(&milestones, today, rules);
    milestones
        .into_iter()
        .map(|m| {
            let a = assessed.remove(&m.id).unwrap_or(Assessed {
                rag: Rag::Green,
                reasons: vec![],
            });
            let slippage_days = m.slippage_days();
            AssessedMilestone {
                milestone: m,
                rag: a.rag,
                rag_reasons: a.reasons,
                slippage_days,
            }
        })
        .collect()
}

/// Commitments of a model with whether each is overdue on `today`, in id order.
pub fn assessed_commitments(model: &BlueprintModel, today: NaiveDate) -> Vec<AssessedCommitment> {
    model
        .commitments
        .values()
        .map(|c| assessed_commitment(c.clone(), today))
        .collect()
}

/// A commitment with whether it is overdue on `today`: made, past its due date and short of
/// its promise.
pub fn assessed_commitment(commitment: CommitmentView, today: NaiveDate) -> AssessedCommitment {
    AssessedCommitment {
        overdue: commitment.status == CommitmentStatus::Made
            && commitment.due < today
            && commitment.delivered < commitment.quantity,
        commitment,
    }
}

/// The summary of a model: totals, RAG counts, confidence and progress for the window's date.
pub fn summary(
    model: &BlueprintModel,
    window: &Window,
    rules: &RagRules,
    checkpoint: u64,
) -> BlueprintSummary {
    let milestones: Vec<MilestoneView> = model.milestones.values().cloned().collect();
    let assessed = assess_milestones(&milestones, window.as_of, rules);
    let mut rag = BTreeMap::new();
    for a in assessed.values() {
        *rag.entry(a.rag.label().to_owned()).or_insert(0) += 1;
    }
    let confidence = confidence(&model.blueprint, &assessed, window.as_of, rules);
    let total_slippage_days = milestones
        .iter()
        .filter(|m| m.status != MilestoneStatus::Cancelled)
        .map(MilestoneView::slippage_days)
        .sum();
    let counts = model.blueprint.milestones;
    BlueprintSummary {
        blueprint: model.blueprint.clone(),
        as_of: window.as_of,
        known_at: window.known_at,
        rag,
        confidence,
        total_slippage_days,
        progress: Progress {
            done: counts.done,
            total: counts.planned + counts.in_progress + counts.done,
        },
        checkpoint,
    }
}

/// Everything the blueprint page shows for `window`.
pub fn blueprint_figures(
    model: &BlueprintModel,
    window: &Window,
    rules: &RagRules,
    checkpoint: u64,
) -> BlueprintFigures {
    let today = window.as_of;
    let summary = summary(model, window, rules, checkpoint);
    let milestones = assessed_milestones(model, today, rules);
    let commitments = assessed_commitments(model, today);

    let mut at_risk: Vec<&AssessedMilestone> = milestones
        .iter()
        .filter(|m| matches!(m.rag, Rag::Red | Rag::Amber))
        .collect();
    at_risk.sort_by_key(|m| (rank(m.rag), m.milestone.forecast));
    let open: Vec<&AssessedMilestone> = milestones
        .iter()
        .filter(|m| is_open(m.milestone.status))
        .collect();
    let due_within = |from: i64, to: i64| {
        let mut due: Vec<&AssessedMilestone> = open
            .iter()
            .copied()
            .filter(|m| {
                let days = (m.milestone.forecast - today).num_days();
                days >= from && days <= to
            })
            .collect();
        due.sort_by_key(|m| m.milestone.forecast);
        due.iter()
            .map(|m| m.milestone.id.clone())
            .collect::<Vec<_>>()
    };
    let mut overdue: Vec<&AssessedMilestone> = open
        .iter()
        .copied()
        .filter(|m| m.milestone.forecast < today)
        .collect();
    overdue.sort_by_key(|m| m.milestone.forecast);

    let workstreams = model
        .blueprint
        .workstreams
        .iter()
        .map(|w| {
            let mine = milestones
                .iter()
                .filter(|m| m.milestone.workstream == w.id)
                .filter(|m| m.milestone.status != MilestoneStatus::Cancelled);
            let (mut done, mut total, mut red, mut amber) = (0, 0, 0, 0);
            for m in mine {
                total += 1;
                match m.rag {
                    Rag::Done => done += 1,
                    Rag::Red => red += 1,
                    Rag::Amber => amber += 1,
                    _ => {}
                }
            }
            WorkstreamProgress {
                id: w.id.clone(),
                title: w.title.clone(),
                lead_org: w.lead_org.clone(),
                retired: w.retired,
                done,
                total,
                red,
                amber,
            }
        })
        .collect();

    let mut sponsors: BTreeMap<OrgId, SponsorFunding> = BTreeMap::new();
    for p in model.pledges.values() {
        let entry = sponsors
            .entry(p.sponsor.clone())
            .or_insert_with(|| SponsorFunding {
                sponsor: p.sponsor.clone(),
                money: FundingTotals::default(),
                staff_time: FundingTotals::default(),
                pledges: 0,
            });
        entry.pledges += 1;
        let totals = match p.resource {
            Resource::Money => &mut entry.money,
            Resource::StaffTime => &mut entry.staff_time,
        };
        totals.adjust(p.contribution(), true);
    }

    let mut partners: BTreeMap<OrgId, PartnerDelivery> = BTreeMap::new();
    for c in &commitments {
        let v = &c.commitment;
        let entry = partners
            .entry(v.partner.clone())
            .or_insert_with(|| PartnerDelivery {
                partner: v.partner.clone(),
                commitments: 0,
                fulfilled: 0,
                overdue: 0,
                units: Vec::new(),
            });
        if v.status == CommitmentStatus::Withdrawn {
            continue;
        }
        entry.commitments += 1;
        entry.fulfilled += u64::from(v.status == CommitmentStatus::Fulfilled);
        entry.overdue += u64::from(c.overdue);
        match entry.units.iter_mut().find(|u| u.unit == v.unit) {
            Some(u) => {
                u.delivered = u.delivered.saturating_add(v.delivered);
                u.committed = u.committed.saturating_add(v.quantity);
            }
            None => entry.units.push(UnitDelivery {
                unit: v.unit.clone(),
                delivered: v.delivered,
                committed: v.quantity,
            }),
        }
    }

    BlueprintFigures {
        at_risk: at_risk.iter().map(|m| m.milestone.id.clone()).collect(),
        due_30: due_within(0, 30),
        due_90: due_within(31, 90),
        overdue_milestones: overdue.iter().map(|m| m.milestone.id.clone()).collect(),
        overdue_commitments: commitments
            .iter()
            .filter(|c| c.overdue)
            .map(|c| c.commitment.id.clone())
            .collect(),
        workstreams,
        funding_by_sponsor: sponsors.into_values().collect(),
        commitments_by_partner: partners.into_values().collect(),
        summary,
        milestones,
        commitments,
        pledges: model.pledges.values().cloned().collect(),
    }
}

/// Overdue milestones and commitments of a figures set.
fn overdue_count(f: &BlueprintFigures) -> u64 {
    (f.overdue_milestones.len() + f.overdue_commitments.len()) as u64
}

/// The window `days` before `window`: its date moved back, and its `known_at` (when given)
/// moved back as much; without one, the earlier view too counts everything recorded so far.
pub fn earlier(window: &Window, days: u64) -> Window {
    let as_of = window
        .as_of
        .checked_sub_days(Days::new(days))
        .unwrap_or(window.as_of);
    Window {
        as_of,
        known_at: window.known_at.map(|k| {
            k.checked_sub_days(Days::new(days))
                .unwrap_or(DateTime::<Utc>::MIN_UTC)
        }),
    }
}

/// Which way each headline figure moved from `before` (None: not yet drafted then) to `now`.
pub fn trend(now: &BlueprintFigures, before: Option<&BlueprintFigures>, since: NaiveDate) -> Trend {
    let s = &now.summary;
    let confidence_before = before.map(|f| f.summary.confidence.rag);
    let moved = |figure: fn(&BlueprintFigures) -> u64, direction| {
        Moved::of(figure(now), before.map(figure), direction)
    };
    Trend {
        since,
        confidence_before,
        confidence: confidence_before.map_or(Direction::Same, |r| {
            Direction::more_is_better(u64::from(rank(s.confidence.rag)), u64::from(rank(r)))
        }),
        milestones_done: moved(|f| f.summary.progress.done, Direction::more_is_better),
        money_confirmed: moved(
            |f| f.summary.blueprint.funding.money.confirmed,
            Direction::more_is_better,
        ),
        money_disbursed: moved(
            |f| f.summary.blueprint.funding.money.disbursed,
            Direction::more_is_better,
        ),
        overdue: moved(overdue_count, Direction::fewer_is_better),
    }
}

/// A portfolio row from a blueprint's figures and its trend.
pub fn portfolio_entry(f: &BlueprintFigures, trend: Trend) -> PortfolioEntry {
    let b = &f.summary.blueprint;
    PortfolioEntry {
        id: b.id.clone(),
        title: b.title.clone(),
        lead_org: b.lead_org.clone(),
        status: b.status,
        confidence: f.summary.confidence.clone(),
        progress: f.summary.progress,
        money_confirmed: b.funding.money.confirmed,
        funding_target: b.funding_target,
        overdue: overdue_count(f),
        trend,
    }
}

/// The most dates a progression samples; more dates with facts are thinned evenly, keeping the
/// first and the last.
pub const MAX_POINTS: usize = 60;

/// A blueprint's headline figures at the end of one day, for charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Point {
    pub date: NaiveDate,
    /// Milestones planned and not cancelled.
    pub scope: u64,
    pub done: u64,
    /// Money, pence.
    pub pledged: u64,
    pub confirmed: u64,
    pub disbursed: u64,
    /// Each target's reported value on that day, in the blueprint's target order.
    pub targets: Vec<Option<u64>>,
}

/// How a blueprint's figures moved day by day up to the window's date: every point is a fold of
/// the log for that date (within the window's `known_at`), so each equals what the blueprint page
/// shows "as of" that date.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Progression {
    /// Ids of the targets the points' `targets` follow.
    pub targets: Vec<String>,
    pub points: Vec<Point>,
}

/// The progression of a blueprint from its log, sampled at the dates facts happened on (at most
/// [`MAX_POINTS`]) and at the window's date.
pub fn progression(log: &[crate::fold::Logged], window: &Window) -> Progression {
    let mut dates: Vec<NaiveDate> = log
        .iter()
        .filter(|l| window.known_at.is_none_or(|k| l.commit.recorded_at <= k))
        .flat_map(|l| l.commit.events.iter().map(|e| e.occurred_on))
        .filter(|d| *d <= window.as_of)
        .collect();
    dates.push(window.as_of);
    dates.sort_unstable();
    dates.dedup();
    if dates.len() > MAX_POINTS {
        let last = dates.len() - 1;
        dates = (0..MAX_POINTS)
            .map(|i| dates[i * last / (MAX_POINTS - 1)])
            .collect();
        dates.dedup();
    }
    let target_ids: Vec<String> = crate::fold::fold(log, window)
        .map(|m| m.blueprint.targets.iter().map(|t| t.id.clone()).collect())
        .unwrap_or_default();
    let points = dates
        .into_iter()
        .filter_map(|date| {
            let at = Window {
                as_of: date,
                known_at: window.known_at,
            };
            let model = crate::fold::fold(log, &at)?;
            let b = &model.blueprint;
            let m = b.milestones;
            Some(Point {
                date,
                scope: m.planned + m.in_progress + m.done,
                done: m.done,
                pledged: b.funding.money.pledged,
                confirmed: b.funding.money.confirmed,
                disbursed: b.funding.money.disbursed,
                targets: target_ids
                    .iter()
                    .map(|id| {
                        b.targets
                            .iter()
                            .find(|t| &t.id == id)
                            .and_then(|t| t.reported_value)
                    })
                    .collect(),
            })
        })
        .collect();
    Progression {
        targets: target_ids,
        points,
    }
}

/// A milestone that changed between two dates, as it stood at each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MilestoneChange {
    pub id: String,
    pub title: String,
    pub workstream: String,
    pub owner: OrgId,
    pub baseline: NaiveDate,
    /// `None` when the milestone did not exist at the earlier date.
    pub forecast_before: Option<NaiveDate>,
    pub forecast_after: NaiveDate,
    pub status_before: Option<MilestoneStatus>,
    pub status_after: MilestoneStatus,
    pub completed_on: Option<NaiveDate>,
}

/// A commitment whose delivered quantity moved between two dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryChange {
    pub id: String,
    pub partner: OrgId,
    pub description: String,
    pub unit: String,
    pub quantity: u64,
    pub delivered_before: u64,
    pub delivered_after: u64,
    /// Whether it was marked fulfilled between the dates.
    pub fulfilled: bool,
}

/// A pledge whose confirmed or disbursed amount moved between two dates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PledgeChange {
    pub id: String,
    pub sponsor: OrgId,
    pub resource: Resource,
    pub pledged_before: u64,
    pub pledged_after: u64,
    pub confirmed_before: u64,
    pub confirmed_after: u64,
    pub disbursed_before: u64,
    pub disbursed_after: u64,
    pub status_after: PledgeStatus,
}

/// Everything that changed in a blueprint between the end of `from` and the end of `to`: the
/// page a programme board reads before it meets. Both dates are seen as known at `known_at`
/// (everything recorded so far when absent), so the report compares the facts as they are known
/// then; a fact recorded after the last board but dated before it shows in neither date's
/// difference (it is in "All activity"), and `known_at` set to the last board's time fixes
/// what that board saw. Waymark never moves a baseline (a replan moves the forecast), so
/// re-planned milestones are listed as slipped or brought forward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoardReport {
    pub blueprint: String,
    pub title: String,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub known_at: Option<DateTime<Utc>>,
    /// `None` when the blueprint had not been drafted at `from`.
    pub confidence_before: Option<Assessed>,
    pub confidence_after: Assessed,
    pub done: Vec<MilestoneChange>,
    pub slipped: Vec<MilestoneChange>,
    pub brought_forward: Vec<MilestoneChange>,
    pub added: Vec<MilestoneChange>,
    pub cancelled: Vec<MilestoneChange>,
    pub reopened: Vec<MilestoneChange>,
    pub deliveries: Vec<DeliveryChange>,
    pub pledges: Vec<PledgeChange>,
    /// Money, pence, at each date.
    pub money_before: FundingTotals,
    pub money_after: FundingTotals,
}

/// The board report from the figures at two dates.
pub fn board_report(before: Option<&BlueprintFigures>, after: &BlueprintFigures) -> BoardReport {
    let b = &after.summary.blueprint;
    let old_milestone =
        |id: &str| before.and_then(|f| f.milestones.iter().find(|m| m.milestone.id == id));
    let change = |m: &AssessedMilestone| {
        let old = old_milestone(&m.milestone.id);
        MilestoneChange {
            id: m.milestone.id.clone(),
            title: m.milestone.title.clone(),
            workstream: m.milestone.workstream.clone(),
            owner: m.milestone.owner.clone(),
            baseline: m.milestone.baseline,
            forecast_before: old.map(|o| o.milestone.forecast),
            forecast_after: m.milestone.forecast,
            status_before: old.map(|o| o.milestone.status),
            status_after: m.milestone.status,
            completed_on: m.milestone.completed_on,
        }
    };
    let changes: Vec<MilestoneChange> = after.milestones.iter().map(change).collect();
    let pick = |keep: &dyn Fn(&MilestoneChange) -> bool| -> Vec<MilestoneChange> {
        changes.iter().filter(|c| keep(c)).cloned().collect()
    };
    let became = |c: &MilestoneChange, s: MilestoneStatus| {
        c.status_after == s && c.status_before.is_some_and(|b| b != s)
    };
    let mut slipped = pick(&|c| {
        c.status_after != MilestoneStatus::Cancelled
            && c.forecast_before.is_some_and(|f| f < c.forecast_after)
    });
    slipped.sort_by_key(|c| {
        std::cmp::Reverse(
            c.forecast_before
                .map_or(0, |f| (c.forecast_after - f).num_days()),
        )
    });
    let deliveries = after
        .commitments
        .iter()
        .filter_map(|c| {
            let v = &c.commitment;
            let old = before.and_then(|f| f.commitments.iter().find(|o| o.commitment.id == v.id));
            let delivered_before = old.map_or(0, |o| o.commitment.delivered);
            let fulfilled = v.status == CommitmentStatus::Fulfilled
                && old.is_none_or(|o| o.commitment.status != CommitmentStatus::Fulfilled);
            (v.delivered != delivered_before || fulfilled).then(|| DeliveryChange {
                id: v.id.clone(),
                partner: v.partner.clone(),
                description: v.description.clone(),
                unit: v.unit.clone(),
                quantity: v.quantity,
                delivered_before,
                delivered_after: v.delivered,
                fulfilled,
            })
        })
        .collect();
    let pledges = after
        .pledges
        .iter()
        .filter_map(|p| {
            let old = before
                .and_then(|f| f.pledges.iter().find(|o| o.id == p.id))
                .map(PledgeView::contribution)
                .unwrap_or_default();
            let new = p.contribution();
            (old != new).then(|| PledgeChange {
                id: p.id.clone(),
                sponsor: p.sponsor.clone(),
                resource: p.resource,
                pledged_before: old.pledged,
                pledged_after: new.pledged,
                confirmed_before: old.confirmed,
                confirmed_after: new.confirmed,
                disbursed_before: old.disbursed,
                disbursed_after: new.disbursed,
                status_after: p.status,
            })
        })
        .collect();
    BoardReport {
        blueprint: b.id.clone(),
        title: b.title.clone(),
        from: before.map_or(after.summary.as_of, |f| f.summary.as_of),
        to: after.summary.as_of,
        known_at: after.summary.known_at,
        confidence_before: before.map(|f| f.summary.confidence.clone()),
        confidence_after: after.summary.confidence.clone(),
        done: pick(&|c| {
            c.status_after == MilestoneStatus::Done
                && c.status_before != Some(MilestoneStatus::Done)
        }),
        slipped,
        brought_forward: pick(&|c| {
            c.status_after != MilestoneStatus::Cancelled
                && c.forecast_before.is_some_and(|f| f > c.forecast_after)
        }),
        added: pick(&|c| c.status_before.is_none()),
        cancelled: pick(&|c| became(c, MilestoneStatus::Cancelled)),
        reopened: pick(&|c| {
            c.status_before
                .is_some_and(|s| matches!(s, MilestoneStatus::Done | MilestoneStatus::Cancelled))
                && is_open(c.status_after)
        }),
        deliveries,
        pledges,
        money_before: before.map_or_else(FundingTotals::default, |f| {
            f.summary.blueprint.funding.money
        }),
        money_after: b.funding.money,
    }
}

/// What one organisation does in one blueprint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Involvement {
    pub blueprint: String,
    pub title: String,
    pub status: BlueprintStatus,
    /// Whether it leads the blueprint.
    pub leads: bool,
    /// Whether it is a partner of the blueprint.
    pub partner: bool,
    /// Workstreams it leads, by title.
    pub workstreams: Vec<String>,
    /// Milestones it owns, with their RAG.
    pub milestones: Vec<AssessedMilestone>,
    /// What it committed, with what it delivered.
    pub commitments: Vec<AssessedCommitment>,
    /// What it pledged.
    pub pledges: Vec<PledgeView>,
    /// Its share of the blueprint's money, pence.
    pub money: FundingTotals,
    /// Its share of the blueprint's staff time, hundredths of a person-day.
    pub staff_time: FundingTotals,
}

/// The items of `items` that `by` says are `org`'s.
fn of_org<T: Clone>(items: &[T], org: &str, by: impl Fn(&T) -> &OrgId) -> Vec<T> {
    items
        .iter()
        .filter(|i| by(i).as_str() == org)
        .cloned()
        .collect()
}

/// What `org` leads, owns, committed, pledged and delivered in a blueprint; `None` when it has
/// no part in it.
pub fn involvement(f: &BlueprintFigures, org: &str) -> Option<Involvement> {
    let b = &f.summary.blueprint;
    let milestones = of_org(&f.milestones, org, |m| &m.milestone.owner);
    let commitments = of_org(&f.commitments, org, |c| &c.commitment.partner);
    let pledges = of_org(&f.pledges, org, |p| &p.sponsor);
    let workstreams: Vec<String> = b
        .workstreams
        .iter()
        .filter(|w| w.lead_org.as_str() == org)
        .map(|w| w.title.clone())
        .collect();
    let leads = b.lead_org.as_str() == org;
    let partner = b.partners.iter().any(|p| p.as_str() == org);
    if !leads
        && !partner
        && workstreams.is_empty()
        && milestones.is_empty()
        && commitments.is_empty()
        && pledges.is_empty()
    {
        return None;
    }
    let share = f
        .funding_by_sponsor
        .iter()
        .find(|s| s.sponsor.as_str() == org);
    Some(Involvement {
        blueprint: b.id.clone(),
        title: b.title.clone(),
        status: b.status,
        leads,
        partner,
        workstreams,
        milestones,
        commitments,
        pledges,
        money: share.map(|s| s.money).unwrap_or_default(),
        staff_time: share.map(|s| s.staff_time).unwrap_or_default(),
    })
}
