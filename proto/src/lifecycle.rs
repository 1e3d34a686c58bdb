//! Where each kind of thing is in its life cycle. The deciders fold these from events and say
//! which actions each status allows; the read models store them and the pages show them.

use proto_derive::Choices;
use serde::{Deserialize, Serialize};

/// Where a blueprint is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Choices)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum BlueprintStatus {
    /// Being prepared: visible to signed-in viewers only.
    Draft,
    /// Readable by anyone; records are being made.
    Published,
    /// Finished: takes no new records.
    Closed,
}

/// Where a milestone is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Choices)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum MilestoneStatus {
    /// Planned; work has not started.
    Planned,
    /// Work has started.
    InProgress,
    /// Done.
    Done,
    /// Cancelled; it leaves the progress count.
    Cancelled,
}

impl MilestoneStatus {
    /// Whether work on it can still be recorded (planned or in progress).
    pub fn is_open(self) -> bool {
        matches!(self, MilestoneStatus::Planned | MilestoneStatus::InProgress)
    }
}

/// Where a partner's commitment is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Choices)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CommitmentStatus {
    /// Open: deliveries can be recorded and it can be amended.
    Made,
    /// Delivered in full and marked fulfilled.
    Fulfilled,
    /// Withdrawn by the partner; what was delivered stays recorded.
    Withdrawn,
}

/// Where a sponsor's pledge is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Choices)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PledgeStatus {
    /// Offered by the sponsor.
    Pledged,
    /// Formally committed; disbursements may be recorded.
    Confirmed,
    /// Withdrawn before it was fully disbursed.
    Withdrawn,
    /// Fully disbursed and closed.
    Closed,
}
