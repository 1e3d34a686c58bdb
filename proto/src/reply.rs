//! What a command service answers: accepted with the stream sequence of the stored commit, or
//! rejected with a stable rule code and a sentence a programme manager understands.

use serde::{Deserialize, Serialize};

/// The answer to one command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Reply {
    Accepted(Accepted),
    Rejected(Rejection),
}

/// A command that was stored (or had been stored before under the same idempotency key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Accepted {
    /// Stream sequence of the commit; pass it back as `min_seq` to read your own write.
    pub seq: u64,
    /// The thing's version after the command: the stream sequence of its last commit.
    pub version: u64,
    /// Types of the events stored, in order.
    pub events: Vec<String>,
    /// True when this answer repeats the result of an earlier command with the same key.
    pub duplicate: bool,
}

/// How a caller should treat a rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionKind {
    /// The input is malformed or out of range: fix the named field and send again.
    Invalid,
    /// Something the command names does not exist: check the id.
    NotFound,
    /// A rule forbids the change in the thing's current state: the message names the rule.
    Conflict,
    /// The thing changed since the version the caller read: read again, then decide.
    Stale,
    /// The caller may not make this change (for example a partner recording for another
    /// organisation): use a token that may.
    Forbidden,
    /// The service could not complete the command (storage failed): it is safe to retry with the
    /// same idempotency key.
    Unavailable,
}

/// A command that was not stored, with the rule that stopped it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct Rejection {
    /// Stable, dotted rule code such as `milestone.closed`; clients match on it.
    pub code: String,
    pub kind: RejectionKind,
    /// One sentence naming the thing and the rule.
    pub message: String,
    /// The input field the rejection concerns, when there is one.
    #[serde(default)]
    pub field: Option<String>,
}

impl Rejection {
    pub fn new(kind: RejectionKind, code: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            kind,
            message: message.into(),
            field: None,
        }
    }

    /// Malformed or out-of-range input in `field`.
    pub fn invalid(code: impl Into<String>, field: &str, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.to_owned()),
            ..Self::new(RejectionKind::Invalid, code, message)
        }
    }

    pub fn not_found(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(RejectionKind::NotFound, code, message)
    }

    pub fn conflict(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(RejectionKind::Conflict, code, message)
    }

    /// Names the input field the rejection concerns.
    pub fn on_field(mut self, field: &str) -> Self {
        self.field = Some(field.to_owned());
        self
    }
}
