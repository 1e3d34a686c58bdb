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
mod errors;
mod forms;
mod idempotency;
mod import;
mod metrics;
mod openapi;
mod projector;
mod recording;
mod rules;
mod security;
