//! A commit is one stored message: the events of one command on one thing, all or nothing.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::codec::{self, CodecError};
use crate::events::EventBody;
use crate::ids::{BlueprintId, CommitmentId, MilestoneId, OrgId, PledgeId};

/// Version of the commit envelope. Readers refuse a format they do not know.
pub const FORMAT_VERSION: u16 = 1;

/// The kinds of things that have their own event subjects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ThingKind {
    Organisation,
    Blueprint,
    Milestone,
    Commitment,
    Pledge,
}

impl ThingKind {
    pub const ALL: [ThingKind; 5] = [
        ThingKind::Organisation,
        ThingKind::Blueprint,
        ThingKind::Milestone,
        ThingKind::Commitment,
        ThingKind::Pledge,
    ];

    /// The subject token and the word used in messages.
    pub fn token(self) -> &'static str {
        match self {
            ThingKind::Organisation => "organisation",
            ThingKind::Blueprint => "blueprint",
            ThingKind::Milestone => "milestone",
            ThingKind::Commitment => "commitment",
            ThingKind::Pledge => "pledge",
        }
    }

    pub fn from_token(token: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.token() == token)
    }
}

/// Names one thing: its kind, its blueprint (none for organisations) and its id.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ThingRef {
    pub kind: ThingKind,
    pub blueprint: Option<BlueprintId>,
    /// The thing's slug (for a blueprint, the blueprint id again).
    pub id: String,
}

impl ThingRef {
    pub fn organisation(org: &OrgId) -> Self {
        Self {
            kind: ThingKind::Organisation,
            blueprint: None,
            id: org.to_string(),
        }
    }
    pub fn blueprint(bp: &BlueprintId) -> Self {
        Self::in_blueprint(ThingKind::Blueprint, bp, bp)
    }
    pub fn milestone(bp: &BlueprintId, m: &MilestoneId) -> Self {
        Self::in_blueprint(ThingKind::Milestone, bp, m)
    }
    pub fn commitment(bp: &BlueprintId, c: &CommitmentId) -> Self {
        Self::in_blueprint(ThingKind::Commitment, bp, c)
    }
    pub fn pledge(bp: &BlueprintId, p: &PledgeId) -> Self {
        Self::in_blueprint(ThingKind::Pledge, bp, p)
    }
    /// The thing of `kind` called `id` in blueprint `bp` (a blueprint is in itself).
    fn in_blueprint(kind: ThingKind, bp: &BlueprintId, id: &impl std::fmt::Display) -> Self {
        Self {
            kind,
            blueprint: Some(bp.clone()),
            id: id.to_string(),
        }
    }

    /// `blueprint/id`, or the id alone for organisations and blueprints; used in messages.
    pub fn display_name(&self) -> String {
        match (&self.blueprint, self.kind) {
            (Some(bp), k) if k != ThingKind::Blueprint => format!("{bp}/{}", self.id),
            _ => self.id.clone(),
        }
    }

    /// The event subject of this thing.
    pub fn subject(&self) -> String {
        crate::subjects::event_subject(self)
    }
}

/// Who recorded a commit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The token's or person's name.
    pub name: String,
    /// The organisation the actor records for, when known.
    #[serde(default)]
    pub org: Option<OrgId>,
}

impl Actor {
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            org: None,
        }
    }
}

/// One stored event, as it is on the wire: the payload stays a MessagePack map until the reader
/// asks for it by type and version, so an unknown type never breaks reading the commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Unique id of this event (a UUID in text form).
    pub id: String,
    /// Event type, such as `milestone.replanned`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// Schema version of the payload for this type.
    pub version: u16,
    /// The civil date the fact happened (may be before the commit was recorded).
    pub occurred_on: NaiveDate,
    /// The payload: a map with named fields.
    pub data: rmpv::Value,
}

impl Event {
    /// Wraps a typed event for storage.
    pub fn new(body: &EventBody, occurred_on: NaiveDate) -> Result<Self, CodecError> {
        let (event_type, version, data) = body.to_wire()?;
        Ok(Self {
            id: uuid::Uuid::new_v4().to_string(),
            event_type: event_type.to_owned(),
            version,
            occurred_on,
            data,
        })
    }

    /// The typed event, upcast to the current version.
    pub fn body(&self) -> Result<EventBody, CodecError> {
        EventBody::from_wire(&self.event_type, self.version, &self.data)
    }
}

/// The stored message: the events of one command on one thing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Commit {
    /// Envelope version, [`FORMAT_VERSION`].
    pub format: u16,
    pub thing: ThingRef,
    /// The caller's idempotency key of the command that made this commit.
    pub idempotency_key: String,
    /// A digest of the command (hex), so that a key reused for a different command is told
    /// apart from a retry. Absent on commits written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_hash: Option<String>,
    pub actor: Actor,
    /// When the commit was recorded (UTC).
    pub recorded_at: DateTime<Utc>,
    pub events: Vec<Event>,
}

impl Commit {
    pub fn encode(&self) -> Result<Vec<u8>, CodecError> {
        codec::encode(self)
    }

    /// Decodes a stored commit, refusing envelope formats this reader does not know.
    pub fn decode(bytes: &[u8]) -> Result<Self, CodecError> {
        let commit: Commit = codec::decode(bytes)?;
        if commit.format != FORMAT_VERSION {
            return Err(CodecError::Format(commit.format));
        }
        Ok(commit)
    }

    /// Typed events of the commit, in order.
    pub fn bodies(&self) -> Result<Vec<EventBody>, CodecError> {
        self.events.iter().map(Event::body).collect()
    }
}
