//! Wire types of Waymark: identifiers, events, commits, commands, replies, subjects and the
//! MessagePack codec. Nothing here does I/O; every service converts these types to its own.
//!
//! The format is described for other languages in `proto/WIRE.md`.

pub mod codec;
pub mod commands;
pub mod commit;
pub mod events;
pub mod ids;
pub mod lifecycle;
pub mod reply;
pub mod rule;
pub mod spec;
pub mod subjects;
pub mod text;

pub use codec::{CodecError, PayloadError, decode, encode};
pub use commands::*;
pub use commit::{Actor, Commit, Event, FORMAT_VERSION, ThingKind, ThingRef};
pub use events::*;
pub use ids::*;
pub use lifecycle::{BlueprintStatus, CommitmentStatus, MilestoneStatus, PledgeStatus};
pub use reply::{Accepted, Rejection, RejectionKind, Reply};
pub use rule::Rule;
pub use spec::{ActionSpec, Actions, Choices, FieldError, FieldSpec, Input, KindSpec};
