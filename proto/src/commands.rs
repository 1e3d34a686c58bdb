//! Commands: what a caller asks a service to do. Each kind of thing has one command type, a target
//! plus an `action`, sent on `waymark.cmd.<kind>` inside a [`CommandEnvelope`]. The action is
//! externally tagged: `{"replan": {"to": "2027-03-31", "reason": "…"}}`.
//!
//! Each action enum is the one declaration of its actions: `#[derive(Actions)]` builds the
//! catalogue in [`crate::spec`] from the variants, their fields and these doc comments, and the
//! API, the forms, the command line and the CSV registers are built from the catalogue.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use proto_derive::Actions;

use crate::commit::{Actor, ThingKind, ThingRef};
use crate::events::{CommitmentKind, OrgType, Resource};
use crate::ids::{BlueprintId, CommitmentId, MilestoneId, OrgId, PledgeId, TargetId, WorkstreamId};
use crate::spec::Actions;

/// The rules every command service applies to a command envelope before its own, declared once.
pub mod rules {
    crate::rules! {
        /// A command is a readable envelope of a known action on a thing of its service.
        MALFORMED: Invalid "command.malformed";
        /// An idempotency key is printable ASCII without spaces, of bounded length.
        IDEMPOTENCY_KEY: Invalid "command.idempotency_key";
        /// An idempotency key names one command: sent again with other content, it is refused.
        IDEMPOTENCY_KEY_REUSED: Invalid "command.idempotency_key_reused";
        /// A fact cannot be dated in the future.
        OCCURRED_IN_FUTURE: Invalid "command.occurred_in_future";
        /// With an expected version (`If-Match`), the thing must still be at that version.
        STALE_VERSION: Stale "command.stale_version";
        /// A command's events fit in one stored message.
        TOO_LARGE: Invalid "command.too_large";
        /// When other writers keep changing a thing, a command gives up after a few attempts;
        /// retrying later with the same idempotency key is safe.
        CONTENDED: Conflict "command.contended";
        /// When the event store cannot complete a command, nothing is stored; retrying with the
        /// same idempotency key is safe.
        UNAVAILABLE: Unavailable "store.unavailable";
        /// A thing with a stored commit this version cannot read takes no command until an
        /// operator voids that commit (`waymark quarantine void`) or a version that reads it is
        /// deployed; retrying does not help.
        UNREADABLE: Conflict "thing.unreadable";
        /// Only a commit that exists can be voided.
        VOID_NO_SUCH_COMMIT: NotFound "void.no_such_commit";
        /// Only a commit on a thing of the service's kind can be voided by it.
        VOID_OTHER_KIND: Invalid "void.other_kind";
        /// Only a commit this version cannot read may be voided: a readable commit is history.
        VOID_READABLE: Conflict "void.commit_readable";
    }
}

/// Longest idempotency key accepted.
pub const IDEMPOTENCY_KEY_MAX: usize = 128;

/// What travels on a command subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandEnvelope<C> {
    /// Chosen by the caller; the same key on the same thing is stored once.
    pub idempotency_key: String,
    pub actor: Actor,
    /// When set, the command is refused (stale) unless the thing is still at this version.
    #[serde(default)]
    pub expected_version: Option<u64>,
    /// The date the fact happened; today when absent.
    #[serde(default)]
    pub occurred_on: Option<NaiveDate>,
    /// The newest changes to organisations and blueprints the sender had seen acknowledged: the
    /// service checks the command against those or later ones. [`crate::commands::Seen::default`]
    /// (nothing seen) when absent.
    #[serde(default)]
    pub seen: Seen,
    pub command: C,
}

/// Stream sequences of the newest organisation and of the newest blueprint change a sender had
/// seen acknowledged; 0 for none. A command's rules look at organisations and blueprints (the
/// blueprint is open, the owner is registered), so a command sent after such a change was
/// acknowledged is decided on that change or a later one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    #[serde(default)]
    pub organisations: u64,
    #[serde(default)]
    pub blueprints: u64,
}

impl Seen {
    /// The sequence seen of things of `kind`; 0 for kinds other than organisations and blueprints.
    pub fn of(&self, kind: ThingKind) -> u64 {
        match kind {
            ThingKind::Organisation => self.organisations,
            ThingKind::Blueprint => self.blueprints,
            _ => 0,
        }
    }

    /// Notes that a change to a thing of `kind` was acknowledged at `seq`.
    pub fn saw(&mut self, kind: ThingKind, seq: u64) {
        match kind {
            ThingKind::Organisation => self.organisations = self.organisations.max(seq),
            ThingKind::Blueprint => self.blueprints = self.blueprints.max(seq),
            _ => {}
        }
    }

    /// What either has seen.
    pub fn max(self, other: Seen) -> Seen {
        Seen {
            organisations: self.organisations.max(other.organisations),
            blueprints: self.blueprints.max(other.blueprints),
        }
    }
}

/// What travels on a void subject ([`crate::subjects::void_subject`]): an operator asks the
/// owning service to record that the commit at `seq` cannot be read and is to be passed over.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoidRequest {
    /// Stream sequence of the unreadable commit.
    pub seq: u64,
    /// Why, in the operator's words; kept in the thing's history.
    pub reason: String,
    pub actor: Actor,
}

/// Ties a command type to the thing it targets and the subject it is sent on.
pub trait Command {
    /// The kind of thing this command type acts on.
    const KIND: ThingKind;
    /// The thing this command acts on.
    fn target(&self) -> ThingRef;
    /// The action's name, for metrics and logs (`replan`).
    fn action_name(&self) -> &'static str;
}

// ---- organisations ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationCommand {
    pub organisation: OrgId,
    pub action: OrganisationAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Actions)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[actions(kind = Organisation)]
pub enum OrganisationAction {
    /// Register an organisation once, for use in every blueprint. Refused if the id is already
    /// registered.
    #[action(create, title = "Register an organisation")]
    Register {
        #[field(example = "HM Courts & Tribunals Service")]
        name: String,
        /// The kind of organisation.
        #[field(label = "Type")]
        org_type: OrgType,
    },
    /// Rename a registered organisation; its id stays and history keeps the old name. Refused if
    /// it is not registered or already has that name.
    #[action(title = "Rename")]
    Rename {
        #[field(label = "New name", example = "HMCTS")]
        name: String,
    },
}

impl Command for OrganisationCommand {
    const KIND: ThingKind = ThingKind::Organisation;
    fn target(&self) -> ThingRef {
        ThingRef::organisation(&self.organisation)
    }
    fn action_name(&self) -> &'static str {
        Actions::name(&self.action)
    }
}

// ---- blueprints ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlueprintCommand {
    pub blueprint: BlueprintId,
    pub action: BlueprintAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Actions)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[actions(kind = Blueprint)]
pub enum BlueprintAction {
    /// Draft a new blueprint, visible to signed-in viewers until it is published. The lead
    /// organisation must be registered, the end cannot be before the start, and the funding
    /// target must be above zero.
    #[action(create, title = "Draft a blueprint")]
    Draft {
        #[field(example = "West Midlands public sector digital blueprint")]
        title: String,
        /// What the blueprint is for, in a paragraph.
        #[serde(default)]
        #[field(input = NOTE, example = "Digital skills, jobs and collaboration across the region.")]
        summary: String,
        /// The organisation leading the blueprint.
        #[field(label = "Lead organisation")]
        lead_org: OrgId,
        #[field(example = "2026-01-01")]
        start_date: NaiveDate,
        #[field(example = "2027-12-31")]
        target_end_date: NaiveDate,
        /// Money sought, in pounds.
        #[field(label = "Funding target (pounds)", input = HUNDREDTHS, example = "1,500,000")]
        funding_target: u64,
        /// Staff time sought, in person-days.
        #[serde(default)]
        #[field(label = "Staff-time target (person-days)", input = HUNDREDTHS, example = "400")]
        staff_time_target: Option<u64>,
    },
    /// Publish a draft blueprint: anyone can then read it. Refused if it is already published.
    #[action(title = "Publish")]
    Publish {},
    /// Close a blueprint, with a reason. A closed blueprint takes no new records of any kind, so
    /// this comes last.
    #[action(title = "Close")]
    Close {
        #[field(input = NOTE, example = "Every milestone is done.")]
        reason: String,
    },
    /// Add a workstream. Refused if the id is taken (also by a retired workstream) or the lead
    /// organisation is not registered.
    #[action(title = "Add a workstream")]
    AddWorkstream {
        /// Unique within the blueprint: lower-case letters, digits and `-`.
        #[field(label = "Id", input = SLUG)]
        workstream: WorkstreamId,
        #[field(example = "Skills pipeline")]
        title: String,
        /// The organisation leading the workstream.
        #[field(label = "Lead organisation")]
        lead_org: OrgId,
    },
    /// Rename a workstream. Refused if it does not exist or was retired.
    #[action(title = "Rename a workstream")]
    RenameWorkstream {
        workstream: WorkstreamId,
        #[field(label = "New title", example = "Skills and apprenticeships")]
        title: String,
    },
    /// Retire a workstream, with a reason; it takes no new milestones or pledges. Refused if it
    /// does not exist or is already retired.
    #[action(title = "Retire a workstream")]
    RetireWorkstream {
        workstream: WorkstreamId,
        #[field(input = NOTE, example = "Merged into the skills workstream.")]
        reason: String,
    },
    /// Record that a registered organisation joined the blueprint; only partners can make
    /// commitments. Refused if it is already a partner.
    #[action(title = "Add a partner")]
    AddPartner {
        #[field(label = "Organisation", example = "hmcts")]
        org: OrgId,
    },
    /// Record that a partner left, with a reason. Refused if it is not a partner.
    #[action(title = "Remove a partner")]
    RemovePartner {
        #[field(label = "Organisation", example = "hmcts")]
        org: OrgId,
        #[field(input = NOTE, example = "The partnership ended.")]
        reason: String,
    },
    /// Set a measurable target, or change an existing one: what is counted, its unit and the value
    /// aimed for (above zero).
    #[action(title = "Set a target")]
    SetTarget {
        /// Unique within the blueprint: lower-case letters, digits and `-`.
        #[field(label = "Id", example = "tech-roles")]
        target: TargetId,
        #[field(example = "Tech roles created in Birmingham")]
        title: String,
        /// What the value counts: roles, people, events.
        #[field(input = UNIT, example = "roles")]
        unit: String,
        /// The value aimed for.
        #[field(example = "100")]
        target_value: u64,
    },
    /// Report a target's current value; every report is kept in its history. Refused if the
    /// target was never set.
    #[action(title = "Report a target's value")]
    ReportTarget {
        #[field(label = "Target id", example = "tech-roles")]
        target: TargetId,
        /// The value reached so far.
        #[field(example = "40")]
        value: u64,
        #[serde(default)]
        #[field(input = NOTE, example = "HMCTS hub, first two cohorts.")]
        note: String,
    },
}

impl Command for BlueprintCommand {
    const KIND: ThingKind = ThingKind::Blueprint;
    fn target(&self) -> ThingRef {
        ThingRef::blueprint(&self.blueprint)
    }
    fn action_name(&self) -> &'static str {
        Actions::name(&self.action)
    }
}

// ---- milestones ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneCommand {
    pub blueprint: BlueprintId,
    pub milestone: MilestoneId,
    pub action: MilestoneAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Actions)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[actions(kind = Milestone)]
pub enum MilestoneAction {
    /// Plan a new milestone in an active workstream; its due date becomes the baseline, which
    /// never moves. The owner must be registered; dependencies must be milestones of the same
    /// blueprint.
    #[action(create, title = "Plan a milestone")]
    Plan {
        workstream: WorkstreamId,
        #[field(example = "100 tech roles in the Birmingham hub")]
        title: String,
        /// The organisation that owns the milestone.
        #[field(example = "hmcts")]
        owner: OrgId,
        /// Milestones of the same blueprint that must be done first.
        #[serde(default)]
        #[field(label = "Depends on (milestone ids)", example = "hub-lease")]
        depends_on: Vec<MilestoneId>,
        #[field(label = "Due date")]
        due: NaiveDate,
    },
    /// Record that work on a planned milestone started. Refused if it is already in progress,
    /// done or cancelled.
    #[action(title = "Start")]
    Start {},
    /// Report progress as a percentage (0 to 100), with a note; above 0 on a planned milestone
    /// also starts it. Refused on a done or cancelled milestone.
    #[action(title = "Report progress")]
    ReportProgress {
        #[field(input = PERCENT)]
        percent: u32,
        #[serde(default)]
        #[field(input = NOTE, example = "40 of 100 roles filled.")]
        note: String,
    },
    /// Move the forecast date, with a reason. The baseline never moves; a done or cancelled
    /// milestone cannot be replanned.
    #[action(title = "Replan")]
    Replan {
        /// The new forecast date.
        #[field(label = "New forecast date")]
        to: NaiveDate,
        #[field(input = NOTE, example = "Fit-out of the hub was delayed.")]
        reason: String,
    },
    /// Record the milestone as done, on a date not in the future; completing a planned milestone
    /// also starts it. A done or cancelled milestone cannot be completed.
    #[action(title = "Complete")]
    Complete {
        /// The date it was done.
        #[field(label = "Done on", example = "2026-06-30")]
        on: NaiveDate,
        /// A link to evidence that it is done.
        #[serde(default)]
        #[field(label = "Evidence (link)", input = LINK)]
        evidence: Option<String>,
    },
    /// Cancel a planned or in-progress milestone, with a reason; it then leaves the progress
    /// count. A done or cancelled milestone cannot be cancelled.
    #[action(title = "Cancel")]
    Cancel {
        #[field(input = NOTE, example = "No longer needed: the hub opened early.")]
        reason: String,
    },
    /// Reopen a done or cancelled milestone, with a reason. Refused on an open milestone.
    #[action(title = "Reopen")]
    Reopen {
        #[field(input = NOTE, example = "The first cohort was postponed.")]
        reason: String,
    },
    /// Correct the milestone's title, in any status; its history keeps the old one. Refused if
    /// it already has that title.
    #[action(title = "Correct the title")]
    Retitle {
        #[field(
            label = "New title",
            example = "100 digital roles in the Birmingham hub"
        )]
        title: String,
    },
}

impl Command for MilestoneCommand {
    const KIND: ThingKind = ThingKind::Milestone;
    fn target(&self) -> ThingRef {
        ThingRef::milestone(&self.blueprint, &self.milestone)
    }
    fn action_name(&self) -> &'static str {
        Actions::name(&self.action)
    }
}

// ---- commitments ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentCommand {
    pub blueprint: BlueprintId,
    pub commitment: CommitmentId,
    pub action: CommitmentAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Actions)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[actions(kind = Commitment)]
pub enum CommitmentAction {
    /// Record what a partner promised: a kind, a description, a quantity with its unit and a due
    /// date. The organisation must already be a partner of the blueprint.
    #[action(create, title = "Record a commitment")]
    Make {
        /// The partner organisation.
        partner: OrgId,
        kind: CommitmentKind,
        #[field(input = NOTE, example = "Two secondees to the hub.")]
        description: String,
        #[field(example = "2")]
        quantity: u64,
        /// What the quantity counts: people, events, placements.
        #[field(input = UNIT, example = "people")]
        unit: String,
        #[field(label = "Due date")]
        due: NaiveDate,
    },
    /// Record a delivered quantity (over-delivery is allowed and shown). Refused once the
    /// commitment is fulfilled or withdrawn.
    #[action(title = "Record a delivery")]
    RecordDelivery {
        #[field(label = "Quantity delivered", example = "1")]
        quantity: u64,
        #[serde(default)]
        #[field(input = NOTE, example = "The first secondee started.")]
        note: String,
    },
    /// Change the promised quantity or due date of an open commitment, with a reason. Refused if
    /// nothing would change.
    #[action(title = "Amend")]
    Amend {
        /// The new promised quantity.
        #[serde(default)]
        #[field(label = "New quantity", example = "3")]
        quantity: Option<u64>,
        /// The new due date.
        #[serde(default)]
        #[field(label = "New due date")]
        due: Option<NaiveDate>,
        #[field(input = NOTE, example = "A third secondee was agreed.")]
        reason: String,
    },
    /// Mark an open commitment fulfilled. Refused until the delivered quantity reaches the
    /// promise: record the rest, or amend the quantity.
    #[action(title = "Mark fulfilled")]
    Fulfil {},
    /// Withdraw an open commitment, with a reason; what was delivered stays recorded.
    #[action(title = "Withdraw")]
    Withdraw {
        #[field(input = NOTE, example = "The secondment was cancelled.")]
        reason: String,
    },
    /// Correct the description of what the partner promised, in any status; its history keeps
    /// the old one. Refused if it already has that description.
    #[action(title = "Correct the description")]
    Retitle {
        #[field(label = "New description", input = NOTE, example = "Two secondees to the Birmingham hub.")]
        description: String,
    },
}

impl Command for CommitmentCommand {
    const KIND: ThingKind = ThingKind::Commitment;
    fn target(&self) -> ThingRef {
        ThingRef::commitment(&self.blueprint, &self.commitment)
    }
    fn action_name(&self) -> &'static str {
        Actions::name(&self.action)
    }
}

// ---- pledges ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeCommand {
    pub blueprint: BlueprintId,
    pub pledge: PledgeId,
    pub action: PledgeAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Actions)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[actions(kind = Pledge)]
pub enum PledgeAction {
    /// Record what a sponsor offered: money in pounds or staff time in person-days, to the
    /// blueprint or one of its active workstreams, with conditions. The sponsor must be
    /// registered.
    #[action(create, title = "Record a pledge")]
    Make {
        /// The sponsor organisation.
        #[field(example = "wmca")]
        sponsor: OrgId,
        resource: Resource,
        /// In pounds for money, in person-days for staff time.
        #[field(input = HUNDREDTHS, example = "250,000")]
        amount: u64,
        /// The workstream it funds; the whole blueprint when left out.
        #[serde(default)]
        workstream: Option<WorkstreamId>,
        #[serde(default)]
        #[field(input = NOTE, example = "Match funding from the combined authority.")]
        conditions: String,
    },
    /// Record the formally committed amount, which may differ from the pledge. Only a pledge not
    /// yet confirmed (nor withdrawn or closed) can be confirmed.
    #[action(title = "Confirm")]
    Confirm {
        /// In the pledge's resource: pounds or person-days.
        #[field(label = "Confirmed amount", input = HUNDREDTHS, example = "200,000")]
        amount: u64,
    },
    /// Record a payment (or staff time given). Refused before confirmation, and when
    /// disbursements would exceed the confirmed amount.
    #[action(title = "Record a disbursement")]
    Disburse {
        /// In the pledge's resource: pounds or person-days.
        #[field(label = "Amount paid", input = HUNDREDTHS, example = "50,000")]
        amount: u64,
        #[serde(default)]
        #[field(input = NOTE, example = "First quarter.")]
        note: String,
    },
    /// Withdraw a pledge that is not fully disbursed, with a reason; what was disbursed stays
    /// counted. A fully disbursed pledge is closed instead.
    #[action(title = "Withdraw")]
    Withdraw {
        #[field(input = NOTE, example = "The budget was cut.")]
        reason: String,
    },
    /// Close a confirmed pledge once it is fully disbursed. Refused while some remains to disburse.
    #[action(title = "Close")]
    Close {},
    /// Give the pledge a title, or correct it, in any status; until it has one, a pledge is known
    /// by its sponsor. Refused if it already has that title.
    #[action(title = "Correct the title")]
    Retitle {
        #[field(label = "New title", example = "Academy fund")]
        title: String,
    },
}

impl Command for PledgeCommand {
    const KIND: ThingKind = ThingKind::Pledge;
    fn target(&self) -> ThingRef {
        ThingRef::pledge(&self.blueprint, &self.pledge)
    }
    fn action_name(&self) -> &'static str {
        Actions::name(&self.action)
    }
}
