//! Commands: what a caller asks a service to do. Each kind of thing has one command type, a target
//! plus an internally tagged `action`, sent on `waymark.cmd.<kind>` inside a [`CommandEnvelope`].

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::commit::{Actor, ThingKind, ThingRef};
use crate::events::{CommitmentKind, OrgType, Resource};
use crate::ids::{BlueprintId, CommitmentId, MilestoneId, OrgId, PledgeId, TargetId, WorkstreamId};

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
    pub command: C,
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

macro_rules! action_names {
    ($enum:ident { $($variant:ident => $name:literal),* $(,)? }) => {
        impl $enum {
            pub fn name(&self) -> &'static str {
                match self {
                    $($enum::$variant { .. } => $name,)*
                }
            }
        }
    };
}

// ---- organisations ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationCommand {
    pub organisation: OrgId,
    pub action: OrganisationAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OrganisationAction {
    Register { name: String, org_type: OrgType },
    Rename { name: String },
}
action_names!(OrganisationAction { Register => "register", Rename => "rename" });

impl Command for OrganisationCommand {
    const KIND: ThingKind = ThingKind::Organisation;
    fn target(&self) -> ThingRef {
        ThingRef::organisation(&self.organisation)
    }
    fn action_name(&self) -> &'static str {
        self.action.name()
    }
}

// ---- blueprints ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlueprintCommand {
    pub blueprint: BlueprintId,
    pub action: BlueprintAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum BlueprintAction {
    Draft {
        title: String,
        #[serde(default)]
        summary: String,
        lead_org: OrgId,
        start_date: NaiveDate,
        target_end_date: NaiveDate,
        /// Pence.
        funding_target: u64,
        /// Hundredths of a person-day.
        #[serde(default)]
        staff_time_target: Option<u64>,
    },
    Publish {},
    Close {
        reason: String,
    },
    AddWorkstream {
        workstream: WorkstreamId,
        title: String,
        lead_org: OrgId,
    },
    RenameWorkstream {
        workstream: WorkstreamId,
        title: String,
    },
    RetireWorkstream {
        workstream: WorkstreamId,
        reason: String,
    },
    AddPartner {
        org: OrgId,
    },
    RemovePartner {
        org: OrgId,
        reason: String,
    },
    SetTarget {
        target: TargetId,
        title: String,
        unit: String,
        target_value: u64,
    },
    ReportTarget {
        target: TargetId,
        value: u64,
        #[serde(default)]
        note: String,
    },
}
action_names!(BlueprintAction {
    Draft => "draft", Publish => "publish", Close => "close",
    AddWorkstream => "add_workstream", RenameWorkstream => "rename_workstream",
    RetireWorkstream => "retire_workstream", AddPartner => "add_partner",
    RemovePartner => "remove_partner", SetTarget => "set_target", ReportTarget => "report_target",
});

impl Command for BlueprintCommand {
    const KIND: ThingKind = ThingKind::Blueprint;
    fn target(&self) -> ThingRef {
        ThingRef::blueprint(&self.blueprint)
    }
    fn action_name(&self) -> &'static str {
        self.action.name()
    }
}

// ---- milestones ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneCommand {
    pub blueprint: BlueprintId,
    pub milestone: MilestoneId,
    pub action: MilestoneAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MilestoneAction {
    Plan {
        workstream: WorkstreamId,
        title: String,
        owner: OrgId,
        #[serde(default)]
        depends_on: Vec<MilestoneId>,
        due: NaiveDate,
    },
    Start {},
    ReportProgress {
        percent: u32,
        #[serde(default)]
        note: String,
    },
    Replan {
        to: NaiveDate,
        reason: String,
    },
    Complete {
        on: NaiveDate,
        #[serde(default)]
        evidence: Option<String>,
    },
    Cancel {
        reason: String,
    },
    Reopen {
        reason: String,
    },
}
action_names!(MilestoneAction {
    Plan => "plan", Start => "start", ReportProgress => "report_progress", Replan => "replan",
    Complete => "complete", Cancel => "cancel", Reopen => "reopen",
});

impl Command for MilestoneCommand {
    const KIND: ThingKind = ThingKind::Milestone;
    fn target(&self) -> ThingRef {
        ThingRef::milestone(&self.blueprint, &self.milestone)
    }
    fn action_name(&self) -> &'static str {
        self.action.name()
    }
}

// ---- commitments ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentCommand {
    pub blueprint: BlueprintId,
    pub commitment: CommitmentId,
    pub action: CommitmentAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CommitmentAction {
    Make {
        partner: OrgId,
        kind: CommitmentKind,
        description: String,
        quantity: u64,
        unit: String,
        due: NaiveDate,
    },
    RecordDelivery {
        quantity: u64,
        #[serde(default)]
        note: String,
    },
    Amend {
        #[serde(default)]
        quantity: Option<u64>,
        #[serde(default)]
        due: Option<NaiveDate>,
        reason: String,
    },
    Fulfil {},
    Withdraw {
        reason: String,
    },
}
action_names!(CommitmentAction {
    Make => "make", RecordDelivery => "record_delivery", Amend => "amend", Fulfil => "fulfil",
    Withdraw => "withdraw",
});

impl Command for CommitmentCommand {
    const KIND: ThingKind = ThingKind::Commitment;
    fn target(&self) -> ThingRef {
        ThingRef::commitment(&self.blueprint, &self.commitment)
    }
    fn action_name(&self) -> &'static str {
        self.action.name()
    }
}

// ---- pledges ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeCommand {
    pub blueprint: BlueprintId,
    pub pledge: PledgeId,
    pub action: PledgeAction,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PledgeAction {
    Make {
        sponsor: OrgId,
        resource: Resource,
        amount: u64,
        #[serde(default)]
        workstream: Option<WorkstreamId>,
        #[serde(default)]
        conditions: String,
    },
    Confirm {
        amount: u64,
    },
    Disburse {
        amount: u64,
        #[serde(default)]
        note: String,
    },
    Withdraw {
        reason: String,
    },
    Close {},
}
action_names!(PledgeAction {
    Make => "make", Confirm => "confirm", Disburse => "disburse", Withdraw => "withdraw",
    Close => "close",
});

impl Command for PledgeCommand {
    const KIND: ThingKind = ThingKind::Pledge;
    fn target(&self) -> ThingRef {
        ThingRef::pledge(&self.blueprint, &self.pledge)
    }
    fn action_name(&self) -> &'static str {
        self.action.name()
    }
}
