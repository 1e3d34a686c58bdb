//! The read models: what the dashboard shows, one value per thing, stored in redb as MessagePack.
//! They are rebuilt from events at will, so they carry no compatibility promise.

use chrono::{DateTime, NaiveDate, Utc};
pub use proto::lifecycle::{BlueprintStatus, CommitmentStatus, MilestoneStatus, PledgeStatus};
use proto::{
    Actions, CommitmentAction, CommitmentKind, IdError, MilestoneAction, MilestoneId, OrgId,
    OrgType, PledgeAction, Resource, WorkstreamId,
};
use serde::{Deserialize, Serialize};

/// A thing of a blueprint as the action that creates it: what recording it afresh, as it stands
/// now, would send. A register export writes this, so that importing an export records nothing
/// new; and a field added to a creating action does not compile until every view says what it
/// holds for it.
pub trait AsCreated {
    /// The actions on this kind of thing; [`AsCreated::as_created`] returns the creating one.
    type Action: Actions + Serialize;
    /// The thing's id within its blueprint.
    fn thing_id(&self) -> &str;
    /// The creating action that would record the thing as it stands. Fails only when an id the
    /// view holds is not a valid id.
    fn as_created(&self) -> Result<Self::Action, IdError>;
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganisationView {
    pub id: String,
    pub name: String,
    pub org_type: OrgType,
    pub version: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkstreamView {
    pub id: String,
    pub title: String,
    pub lead_org: OrgId,
    pub retired: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TargetView {
    pub id: String,
    pub title: String,
    pub unit: String,
    pub target_value: u64,
    pub reported_value: Option<u64>,
    #[serde(with = "crate::stamps::date_opt")]
    pub reported_on: Option<NaiveDate>,
}

/// Milestones by life-cycle status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MilestoneCounts {
    pub planned: u64,
    pub in_progress: u64,
    pub done: u64,
    pub cancelled: u64,
}

/// Pledged, confirmed and disbursed totals of one resource.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FundingTotals {
    pub pledged: u64,
    pub confirmed: u64,
    pub disbursed: u64,
}

impl FundingTotals {
    /// Adds `share` to these totals, or takes it away.
    pub(crate) fn adjust(&mut self, share: FundingTotals, add: bool) {
        adjust(&mut self.pledged, share.pledged, add);
        adjust(&mut self.confirmed, share.confirmed, add);
        adjust(&mut self.disbursed, share.disbursed, add);
    }
}

/// Adds `amount` to `total`, or takes it away, within the range of a `u64`.
pub(crate) fn adjust(total: &mut u64, amount: u64, add: bool) {
    *total = if add {
        total.saturating_add(amount)
    } else {
        total.saturating_sub(amount)
    };
}

/// Money (pence) and staff time (hundredths of a person-day).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Funding {
    pub money: FundingTotals,
    pub staff_time: FundingTotals,
}

/// Commitments by status, with quantities.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommitmentCounts {
    pub open: u64,
    pub fulfilled: u64,
    pub withdrawn: u64,
}

/// A blueprint with the totals the projector keeps up to date as its things change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlueprintView {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub lead_org: OrgId,
    #[serde(with = "crate::stamps::date")]
    pub start_date: NaiveDate,
    #[serde(with = "crate::stamps::date")]
    pub target_end_date: NaiveDate,
    /// Pence.
    pub funding_target: u64,
    /// Hundredths of a person-day.
    pub staff_time_target: Option<u64>,
    pub status: BlueprintStatus,
    pub workstreams: Vec<WorkstreamView>,
    pub partners: Vec<OrgId>,
    pub targets: Vec<TargetView>,
    pub milestones: MilestoneCounts,
    pub funding: Funding,
    pub commitments: CommitmentCounts,
    /// Stream sequence of the blueprint's own last commit.
    pub version: u64,
    /// Stream sequence of the last commit that changed this view or any of its things.
    pub updated_seq: u64,
    /// The latest date any fact of the blueprint or its things happened on.
    #[serde(with = "crate::stamps::date_opt")]
    pub last_occurred_on: Option<NaiveDate>,
    /// When the last commit on the blueprint or its things was recorded.
    #[serde(with = "crate::stamps::time_opt")]
    pub last_recorded_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MilestoneView {
    pub blueprint: String,
    pub id: String,
    pub workstream: String,
    pub title: String,
    pub owner: OrgId,
    pub depends_on: Vec<String>,
    #[serde(with = "crate::stamps::date")]
    pub baseline: NaiveDate,
    #[serde(with = "crate::stamps::date")]
    pub forecast: NaiveDate,
    pub status: MilestoneStatus,
    pub percent: u8,
    /// Whether work ever started, so a reopened milestone returns to in progress.
    pub started: bool,
    pub progress_note: String,
    /// The date of the progress report shown.
    #[serde(with = "crate::stamps::date_opt")]
    pub progress_on: Option<NaiveDate>,
    /// The date of the replan that set the forecast (none while it is the baseline).
    #[serde(with = "crate::stamps::date_opt")]
    pub forecast_on: Option<NaiveDate>,
    #[serde(with = "crate::stamps::date_opt")]
    pub completed_on: Option<NaiveDate>,
    pub evidence: Option<String>,
    pub version: u64,
    #[serde(with = "crate::stamps::time")]
    pub updated_at: DateTime<Utc>,
}

impl MilestoneView {
    /// Forecast minus baseline, in days (positive: late).
    pub fn slippage_days(&self) -> i64 {
        (self.forecast - self.baseline).num_days()
    }
}

/// A milestone is planned with its baseline: a replan moves only the forecast.
impl AsCreated for MilestoneView {
    type Action = MilestoneAction;

    fn thing_id(&self) -> &str {
        &self.id
    }

    fn as_created(&self) -> Result<MilestoneAction, IdError> {
        Ok(MilestoneAction::Plan {
            workstream: WorkstreamId::new(self.workstream.as_str())?,
            title: self.title.clone(),
            owner: self.owner.clone(),
            depends_on: self
                .depends_on
                .iter()
                .map(|d| MilestoneId::new(d.as_str()))
                .collect::<Result<_, _>>()?,
            due: self.baseline,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommitmentView {
    pub blueprint: String,
    pub id: String,
    pub partner: OrgId,
    pub kind: CommitmentKind,
    pub description: String,
    pub quantity: u64,
    pub unit: String,
    #[serde(with = "crate::stamps::date")]
    pub due: NaiveDate,
    pub delivered: u64,
    /// The date of the amendment that set the quantity shown, if any.
    #[serde(with = "crate::stamps::date_opt")]
    pub quantity_on: Option<NaiveDate>,
    /// The date of the amendment that set the due date shown, if any.
    #[serde(with = "crate::stamps::date_opt")]
    pub due_on: Option<NaiveDate>,
    pub status: CommitmentStatus,
    pub version: u64,
    #[serde(with = "crate::stamps::time")]
    pub updated_at: DateTime<Utc>,
}

/// A commitment is made with its current quantity and due date, as last amended.
impl AsCreated for CommitmentView {
    type Action = CommitmentAction;

    fn thing_id(&self) -> &str {
        &self.id
    }

    fn as_created(&self) -> Result<CommitmentAction, IdError> {
        Ok(CommitmentAction::Make {
            partner: self.partner.clone(),
            kind: self.kind,
            description: self.description.clone(),
            quantity: self.quantity,
            unit: self.unit.clone(),
            due: self.due,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PledgeView {
    pub blueprint: String,
    pub id: String,
    pub sponsor: OrgId,
    pub resource: Resource,
    pub workstream: Option<String>,
    pub conditions: String,
    pub pledged: u64,
    pub confirmed: Option<u64>,
    pub disbursed: u64,
    pub status: PledgeStatus,
    /// Given by a retitle; until then the pledge is known by its sponsor.
    #[serde(default)]
    pub title: Option<String>,
    pub version: u64,
    #[serde(with = "crate::stamps::time")]
    pub updated_at: DateTime<Utc>,
}

impl PledgeView {
    /// What this pledge adds to its blueprint's funding totals. A withdrawn pledge still counts
    /// what was disbursed before it was withdrawn, as pledged, confirmed and disbursed.
    pub fn contribution(&self) -> FundingTotals {
        match self.status {
            PledgeStatus::Pledged => FundingTotals {
                pledged: self.pledged,
                confirmed: 0,
                disbursed: 0,
            },
            PledgeStatus::Confirmed | PledgeStatus::Closed => FundingTotals {
                pledged: self.pledged,
                confirmed: self.confirmed.unwrap_or(0),
                disbursed: self.disbursed,
            },
            PledgeStatus::Withdrawn => FundingTotals {
                pledged: self.disbursed,
                confirmed: self.disbursed,
                disbursed: self.disbursed,
            },
        }
    }
}

/// A pledge is made with the amount pledged, whatever was confirmed or disbursed since.
impl AsCreated for PledgeView {
    type Action = PledgeAction;

    fn thing_id(&self) -> &str {
        &self.id
    }

    fn as_created(&self) -> Result<PledgeAction, IdError> {
        Ok(PledgeAction::Make {
            sponsor: self.sponsor.clone(),
            resource: self.resource,
            amount: self.pledged,
            workstream: self
                .workstream
                .as_deref()
                .map(WorkstreamId::new)
                .transpose()?,
            conditions: self.conditions.clone(),
        })
    }
}

/// One commit in the history of a thing: who recorded what, when, and what it changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    pub seq: u64,
    #[serde(with = "crate::stamps::time")]
    pub recorded_at: DateTime<Utc>,
    pub actor: String,
    pub actor_org: Option<OrgId>,
    pub events: Vec<HistoryEvent>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEvent {
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(with = "crate::stamps::date")]
    pub occurred_on: NaiveDate,
    /// A sentence saying what changed, from what to what, and why.
    pub summary: String,
}

/// A stored commit the projector could not decode or apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct QuarantineEntry {
    pub seq: u64,
    pub subject: String,
    pub reason: String,
    #[serde(with = "crate::stamps::time")]
    pub quarantined_at: DateTime<Utc>,
    /// Set once an operator voided the commit: it stays unread, and the entry stays as a record.
    #[serde(default)]
    pub voided: Option<Voided>,
}

/// An operator's record that a quarantined commit is to be passed over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Voided {
    /// Sequence of the commit that records the void.
    pub by_seq: u64,
    pub reason: String,
    pub actor: String,
    #[serde(with = "crate::stamps::time")]
    pub recorded_at: DateTime<Utc>,
}
