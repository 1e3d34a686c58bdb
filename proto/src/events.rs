//! Every event of the domain, at its current schema version. Each type has a stable name
//! (`milestone.replanned`) and a version; a change of meaning is a new version, and older versions
//! are upcast through [`UPCASTS`] by [`EventBody::from_wire`] so that stored events stay readable
//! forever.

use chrono::NaiveDate;
use proto_derive::Choices;
use serde::{Deserialize, Serialize};

use crate::codec::{CodecError, PayloadError, from_value, to_value};
use crate::ids::{MilestoneId, OrgId, TargetId, WorkstreamId};

/// The kinds of organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Choices)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum OrgType {
    /// A central government department or agency (GDS, HMCTS, MHCLG).
    CentralGovernment,
    /// A council.
    LocalGovernment,
    /// A combined authority (West Midlands Combined Authority).
    CombinedAuthority,
    /// Police, fire or ambulance.
    EmergencyService,
    /// An NHS body.
    #[choice(label = "NHS")]
    Nhs,
    /// A college or university.
    EducationProvider,
    /// A company supplying the public sector.
    Supplier,
    /// Any other organisation.
    Other,
}

/// What a partner commits to contribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Choices)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum CommitmentKind {
    /// People seconded to the programme.
    Secondment,
    /// Hosting an event (a hack day, a OneTeamGov meet-up).
    EventHosting,
    /// Sharing code or components.
    #[choice(label = "sharing code or components")]
    SharingCode,
    /// Training places, apprenticeships or work placements.
    TrainingOrPlacements,
    /// Any other contribution.
    Other,
}

/// What a pledge offers: money in pence, or staff time in hundredths of a person-day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Choices)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Resource {
    /// Money, in pounds.
    Money,
    /// Staff time, in person-days.
    StaffTime,
}

impl Resource {
    /// Formats an amount of this resource for people: `£1,250.00` or `12.50 person-days`.
    pub fn format(self, amount: u64) -> String {
        let whole = group_thousands(amount / 100);
        let cents = amount % 100;
        match self {
            Resource::Money => format!("£{whole}.{cents:02}"),
            Resource::StaffTime => format!("{whole}.{cents:02} person-days"),
        }
    }
}

/// A whole number with thousands separators, for people: `0`, `950`, `12,345`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---- organisations ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationRegistered {
    pub name: String,
    pub org_type: OrgType,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationRenamed {
    pub name: String,
}

// ---- blueprints ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlueprintDrafted {
    pub title: String,
    pub summary: String,
    pub lead_org: OrgId,
    pub start_date: NaiveDate,
    pub target_end_date: NaiveDate,
    /// Funding target in pence.
    pub funding_target: u64,
    /// Staff-time target in hundredths of a person-day.
    #[serde(default)]
    pub staff_time_target: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlueprintPublished {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlueprintClosed {
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkstreamAdded {
    pub workstream: WorkstreamId,
    pub title: String,
    pub lead_org: OrgId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkstreamRenamed {
    pub workstream: WorkstreamId,
    pub title: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkstreamRetired {
    pub workstream: WorkstreamId,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerJoined {
    pub org: OrgId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartnerLeft {
    pub org: OrgId,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetSet {
    pub target: TargetId,
    pub title: String,
    pub unit: String,
    pub target_value: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetReported {
    pub target: TargetId,
    pub value: u64,
    pub note: String,
}

// ---- milestones ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestonePlanned {
    pub workstream: WorkstreamId,
    pub title: String,
    pub owner: OrgId,
    pub depends_on: Vec<MilestoneId>,
    /// The first due date: the baseline, and the first forecast.
    pub due: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneStarted {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneProgressReported {
    /// 0 to 100.
    pub percent: u8,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneReplanned {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneCompleted {
    pub on: NaiveDate,
    #[serde(default)]
    pub evidence: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneCancelled {
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneReopened {
    pub reason: String,
}

// ---- commitments ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentMade {
    pub partner: OrgId,
    pub kind: CommitmentKind,
    pub description: String,
    pub quantity: u64,
    pub unit: String,
    pub due: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentDeliveryRecorded {
    pub quantity: u64,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentAmended {
    #[serde(default)]
    pub quantity: Option<u64>,
    #[serde(default)]
    pub due: Option<NaiveDate>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentFulfilled {}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentWithdrawn {
    pub reason: String,
}

// ---- pledges ----

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeMade {
    pub sponsor: OrgId,
    pub resource: Resource,
    /// Pence for money, hundredths of a person-day for staff time.
    pub amount: u64,
    #[serde(default)]
    pub workstream: Option<WorkstreamId>,
    pub conditions: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeConfirmed {
    pub amount: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeDisbursed {
    pub amount: u64,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeWithdrawn {
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeClosed {}

/// A milestone's title, corrected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MilestoneRetitled {
    pub title: String,
}

/// The description of what a partner promised, corrected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitmentRetitled {
    pub description: String,
}

/// A pledge's title, given or corrected (a pledge is known by its sponsor until it has one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PledgeRetitled {
    pub title: String,
}

/// An operator's record that the commit at stream sequence `seq`, on the same thing's subject,
/// cannot be read and is passed over: the command services fold the thing without it and the
/// projector leaves it quarantined as resolved. The log stays append-only; nothing is deleted. Only
/// a commit this version cannot read may be voided, and a voided commit stays void even if a later
/// version could read it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitVoided {
    pub seq: u64,
    pub reason: String,
}

/// How the payloads of an older version of an event type become the next version's.
#[derive(Debug, Clone, Copy)]
pub struct Upcast {
    pub event_type: &'static str,
    /// The version this reads; it writes version `from + 1`.
    pub from: u16,
    pub upcast: fn(rmpv::Value) -> Result<rmpv::Value, UpcastError>,
}

/// Why an upcaster cannot read an old payload, in a sentence; the event is then reported as
/// [`CodecError::Event`] at the version it was stored at (readers quarantine its commit).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UpcastError(pub String);

impl From<&str> for UpcastError {
    fn from(why: &str) -> Self {
        UpcastError(why.to_owned())
    }
}

/// Every upcaster. Every event type is still at version 1, so there are none yet. When the meaning
/// of a type changes, its new version is declared in `event_bodies!` below and an entry here reads
/// the old payloads, which stay in the stream (and in `proto/golden/`) forever.
pub const UPCASTS: &[Upcast] = &[];

macro_rules! event_bodies {
    ($($variant:ident($payload:ident) = $name:literal v $version:literal,)*) => {
        /// A typed event at its current schema version.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum EventBody {
            $($variant($payload),)*
        }

        /// Every event type with its current version, in declaration order.
        pub const EVENT_TYPES: &[(&str, u16)] = &[$(($name, $version),)*];

        impl EventBody {
            /// The stable type name, such as `milestone.replanned`.
            pub fn type_name(&self) -> &'static str {
                match self {
                    $(EventBody::$variant(_) => $name,)*
                }
            }

            /// Type name, current version and payload map, as stored.
            pub fn to_wire(&self) -> Result<(&'static str, u16, rmpv::Value), CodecError> {
                match self {
                    $(EventBody::$variant(p) => Ok(($name, $version, to_value(p)?)),)*
                }
            }

            /// Reads a stored payload of any known version: an older version is upcast through
            /// [`UPCASTS`], one version at a time, to the current one.
            pub fn from_wire(event_type: &str, version: u16, data: &rmpv::Value) -> Result<Self, CodecError> {
                Self::from_wire_with(UPCASTS, event_type, version, data)
            }

            /// [`EventBody::from_wire`] with the given upcasters.
            pub fn from_wire_with(
                upcasts: &[Upcast],
                event_type: &str,
                stored_version: u16,
                data: &rmpv::Value,
            ) -> Result<Self, CodecError> {
                let fail = |version: u16, source: PayloadError| CodecError::Event {
                    event_type: event_type.to_owned(),
                    version,
                    source,
                };
                let mut version = stored_version;
                let mut upcast: Option<rmpv::Value> = None;
                while let Some(up) = upcasts
                    .iter()
                    .find(|u| u.event_type == event_type && u.from == version)
                {
                    let old = upcast.take().unwrap_or_else(|| data.clone());
                    upcast = Some((up.upcast)(old).map_err(|e| fail(version, e.into()))?);
                    version += 1;
                }
                let data = upcast.as_ref().unwrap_or(data);
                let fail = |source: PayloadError| fail(stored_version, source);
                match (event_type, version) {
                    $(($name, $version) => Ok(EventBody::$variant(
                        from_value(data).map_err(fail)?,
                    )),)*
                    _ => Err(CodecError::UnknownEvent { event_type: event_type.to_owned(), version }),
                }
            }
        }

        $(impl From<$payload> for EventBody {
            fn from(p: $payload) -> Self {
                EventBody::$variant(p)
            }
        })*
    };
}

event_bodies! {
    OrganisationRegistered(OrganisationRegistered) = "organisation.registered" v 1,
    OrganisationRenamed(OrganisationRenamed) = "organisation.renamed" v 1,
    BlueprintDrafted(BlueprintDrafted) = "blueprint.drafted" v 1,
    BlueprintPublished(BlueprintPublished) = "blueprint.published" v 1,
    BlueprintClosed(BlueprintClosed) = "blueprint.closed" v 1,
    WorkstreamAdded(WorkstreamAdded) = "workstream.added" v 1,
    WorkstreamRenamed(WorkstreamRenamed) = "workstream.renamed" v 1,
    WorkstreamRetired(WorkstreamRetired) = "workstream.retired" v 1,
    PartnerJoined(PartnerJoined) = "partner.joined" v 1,
    PartnerLeft(PartnerLeft) = "partner.left" v 1,
    TargetSet(TargetSet) = "target.set" v 1,
    TargetReported(TargetReported) = "target.reported" v 1,
    MilestonePlanned(MilestonePlanned) = "milestone.planned" v 1,
    MilestoneStarted(MilestoneStarted) = "milestone.started" v 1,
    MilestoneProgressReported(MilestoneProgressReported) = "milestone.progress_reported" v 1,
    MilestoneReplanned(MilestoneReplanned) = "milestone.replanned" v 1,
    MilestoneCompleted(MilestoneCompleted) = "milestone.completed" v 1,
    MilestoneCancelled(MilestoneCancelled) = "milestone.cancelled" v 1,
    MilestoneReopened(MilestoneReopened) = "milestone.reopened" v 1,
    CommitmentMade(CommitmentMade) = "commitment.made" v 1,
    CommitmentDeliveryRecorded(CommitmentDeliveryRecorded) = "commitment.delivery_recorded" v 1,
    CommitmentAmended(CommitmentAmended) = "commitment.amended" v 1,
    CommitmentFulfilled(CommitmentFulfilled) = "commitment.fulfilled" v 1,
    CommitmentWithdrawn(CommitmentWithdrawn) = "commitment.withdrawn" v 1,
    PledgeMade(PledgeMade) = "pledge.made" v 1,
    PledgeConfirmed(PledgeConfirmed) = "pledge.confirmed" v 1,
    PledgeDisbursed(PledgeDisbursed) = "pledge.disbursed" v 1,
    PledgeWithdrawn(PledgeWithdrawn) = "pledge.withdrawn" v 1,
    PledgeClosed(PledgeClosed) = "pledge.closed" v 1,
    MilestoneRetitled(MilestoneRetitled) = "milestone.retitled" v 1,
    CommitmentRetitled(CommitmentRetitled) = "commitment.retitled" v 1,
    PledgeRetitled(PledgeRetitled) = "pledge.retitled" v 1,
    CommitVoided(CommitVoided) = "commit.voided" v 1,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A payload of an older version is read through its upcaster; one with no upcaster is an
    /// unknown event, and a failing upcaster names the version it could not read.
    #[test]
    fn older_versions_are_upcast_on_reading() {
        let renamed: Upcast = Upcast {
            event_type: "milestone.progress_reported",
            from: 0,
            upcast: |old| {
                let pct = old
                    .as_map()
                    .and_then(|m| m.iter().find(|(k, _)| k.as_str() == Some("pct")))
                    .map(|(_, v)| v.clone())
                    .ok_or("no pct")?;
                Ok(rmpv::Value::Map(vec![
                    ("percent".into(), pct),
                    ("note".into(), "".into()),
                ]))
            },
        };
        let v0 = rmpv::Value::Map(vec![("pct".into(), 40.into())]);
        let read = EventBody::from_wire_with(&[renamed], "milestone.progress_reported", 0, &v0);
        assert_eq!(
            read.unwrap(),
            MilestoneProgressReported {
                percent: 40,
                note: String::new()
            }
            .into()
        );
        assert!(matches!(
            EventBody::from_wire("milestone.progress_reported", 0, &v0),
            Err(CodecError::UnknownEvent { version: 0, .. })
        ));
        let empty = rmpv::Value::Map(vec![]);
        assert!(matches!(
            EventBody::from_wire_with(&[renamed], "milestone.progress_reported", 0, &empty),
            Err(CodecError::Event { version: 0, .. })
        ));
    }

    #[test]
    fn money_is_formatted_for_people() {
        assert_eq!(Resource::Money.format(125_000_050), "£1,250,000.50");
        assert_eq!(Resource::Money.format(5), "£0.05");
        assert_eq!(Resource::StaffTime.format(1250), "12.50 person-days");
    }
}
