//! What every Waymark process shows its operators, and how it is told to stop.
//!
//! - [`logs`]: one tracing setup for every binary (lines for people, or JSON), and its settings;
//! - [`ops`]: the operator endpoints `/metrics`, `/healthz` and `/readyz`, and the Prometheus
//!   text format the dashboard's own `/metrics` uses too;
//! - [`shutdown`]: the signal (Ctrl-C or SIGTERM) every binary stops on;
//! - the memory allocator of every binary (each links this crate): mimalloc.
//!
//! The metrics themselves belong to the code they measure: commands in `service-runtime`, the
//! projector's in `projector`, HTTP in `dashboard`; each registers them in the process's registry.

pub mod logs;
pub mod ops;
pub mod shutdown;

pub use logs::{LogConfig, LogFormat, init};
pub use shutdown::shutdown_signal;

/// Every Waymark binary allocates through mimalloc: requests, commands and commits are many
/// small short-lived allocations, and the system allocator's `malloc` and `free` were the
/// largest items of the write path's profile (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
