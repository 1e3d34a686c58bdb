//! The event store on NATS JetStream: the one place that talks to the stream.
//!
//! - [`config`]: how to reach NATS and how the stream is set up;
//! - [`store`]: connecting, creating or verifying the stream, and [`EventStore`], which appends a
//!   commit with concurrency control and dedup: only command services hold one;
//! - [`reader`]: [`StreamReader`], reads without the right to append: one thing's commits, last
//!   sequences, and following the whole stream (the projector);
//! - [`aggregate`]: folding a thing's commits into state, with a bounded cache;
//! - [`follow`]: every thing of one kind folded as its commits arrive ([`Followed`]), and how
//!   fresh a command's context must be ([`Freshness`]);
//! - [`commands`]: [`CommandSender`], sending a command to its service and waiting for the reply.
//!
//! The dashboard holds a [`StreamReader`] and a [`CommandSender`], never an [`EventStore`]: it
//! can read and send commands, but it has no way to append.

pub mod aggregate;
pub mod commands;
pub mod config;
pub mod follow;
pub mod reader;
pub mod store;

pub use aggregate::{Aggregate, Folded, PastResult, StateCache, void_key};
pub use commands::{CommandSender, SendError};
pub use config::NatsConfig;
pub use follow::{FOLLOW_WAIT, Followed, Freshness, Reads};
pub use reader::{Received, StoredCommit, StoredMessage, StreamReader};
pub use store::{AppendError, Appended, EventStore, StoreError};
