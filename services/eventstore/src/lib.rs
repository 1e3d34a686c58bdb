//! The event store on NATS JetStream and the runtime that turns commands into events.
//!
//! - [`config`]: how to reach NATS and how the stream is set up;
//! - [`store`]: the stream, appending a commit with concurrency control and dedup, and reading
//!   one thing's commits;
//! - [`aggregate`]: folding a thing's commits into state, with a bounded cache;
//! - [`service`]: the command-service runtime shared by every small service;
//! - [`metrics`], [`telemetry`], [`ops`]: what every service exposes to operators.

pub mod aggregate;
pub mod config;
pub mod metrics;
pub mod ops;
pub mod runner;
pub mod service;
pub mod store;
pub mod telemetry;

pub use aggregate::{Aggregate, Folded, StateCache};
pub use config::NatsConfig;
pub use metrics::CommandMetrics;
pub use service::{Handler, ServiceConfig};
pub use store::{AppendError, Appended, EventStore, StoreError, StoredCommit};
