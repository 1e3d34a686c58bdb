//! `make bench`: every path of Waymark measured beside its raw ceiling and, for commands, the
//! usual event-sourcing stack (cqrs-es on postgres-es), all in one run on one machine; the
//! results table of `BENCHMARKS.md` and `BENCHMARKS.json` are written from it.
//!
//! - [`load`]: closed-loop clients and the command shape every write figure uses;
//! - [`waymark`]: commands over NATS and HTTP, and raw JetStream publishing;
//! - [`peer`] (feature `peer`): cqrs-es with the same shape;
//! - [`projection`]: a realistic stream projected, against a decode-only drain; sizes and memory;
//! - [`wrk`]: reads, with wrk;
//! - [`report`]: figures, targets, the two files.

pub mod load;
#[cfg(feature = "peer")]
pub mod peer;
pub mod projection;
pub mod report;
pub mod suites;
pub mod waymark;
pub mod wrk;
