//! The command-service runtime: what turns a command into a commit, shared by every small
//! service.
//!
//! - [`service`]: the [`Handler`] a service implements (its context, who may act, the pure
//!   `decide`) and [`serve`], the NATS service endpoint in a queue group that decodes a command,
//!   loads the thing's state, asks `decide`, appends the commit with concurrency control and
//!   replies;
//! - [`metrics`]: [`CommandMetrics`], counters and timings of the command path;
//! - [`runner`]: what every thin service binary does (flags, logs, connection, operator
//!   endpoints, running until told to stop).
//!
//! The runtime is the only code that appends: it holds the `eventstore::EventStore`, and hands a
//! handler's `context` only a `StreamReader`.

pub mod metrics;
pub mod runner;
pub mod service;

pub use metrics::CommandMetrics;
pub use service::{Handler, Service, ServiceConfig, ServiceLimits, run, serve};
