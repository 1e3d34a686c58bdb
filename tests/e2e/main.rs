//! End-to-end tests: real nats-servers, the whole stack, driven over HTTP, NATS and the CLI.

mod as_of;
mod auth;
mod bad_input;
mod browser;
mod catalogue;
mod cli;
mod concurrency;
mod dashboards;
mod dev;
mod directory;
mod errors;
mod faults;
mod forms;
mod idempotency;
mod import;
mod metrics;
mod openapi;
mod ops;
mod projector;
mod reach;
mod recording;
mod replicas;
mod rules;
mod security;
mod services;
mod trust;
