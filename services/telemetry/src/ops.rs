//! The operator endpoints every service process serves: `/metrics`, `/healthz`, `/readyz`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use prometheus::{Encoder, Registry, TextEncoder};

/// Tells `/readyz` whether the process can do its work.
pub type ReadinessCheck = Arc<dyn Fn() -> Result<(), NotReady> + Send + Sync>;

/// Why the process cannot do its work yet, in words for operators: `/readyz` answers 503 with
/// `not ready: <why>`. Nothing to tell apart: an orchestrator only waits or routes elsewhere.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct NotReady(pub String);

/// Renders a registry in the Prometheus text format.
pub fn render_metrics(registry: &Registry) -> String {
    let mut buffer = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&registry.gather(), &mut buffer) {
        tracing::error!(error = %e, "failed to encode metrics");
    }
    String::from_utf8(buffer).unwrap_or_default()
}

/// Registers `waymark_build_info{version, commit}` and, on Linux, the process's own metrics
/// (`process_cpu_seconds_total`, `process_resident_memory_bytes`, `process_open_fds`, ...).
pub fn register_process_metrics(registry: &Registry) -> prometheus::Result<()> {
    let info = prometheus::IntGaugeVec::new(
        prometheus::Opts::new(
            "waymark_build_info",
            "The version and commit this process was built from; always 1",
        ),
        &["version", "commit"],
    )?;
    // Set by release builds (`make run`, the Containerfile); a plain `cargo build` says unknown,
    // so that a commit does not rebuild every crate.
    let commit = option_env!("WAYMARK_COMMIT").unwrap_or("unknown");
    info.with_label_values(&[env!("CARGO_PKG_VERSION"), commit])
        .set(1);
    registry.register(Box::new(info))?;
    #[cfg(target_os = "linux")]
    registry.register(Box::new(
        prometheus::process_collector::ProcessCollector::for_self(),
    ))?;
    Ok(())
}

/// The text-format content type Prometheus expects.
pub const METRICS_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

#[derive(Clone)]
struct OpsState {
    registry: Registry,
    ready: ReadinessCheck,
}

/// A router with `/metrics`, `/healthz` and `/readyz`.
pub fn router(registry: Registry, ready: ReadinessCheck) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .with_state(OpsState { registry, ready })
}

async fn metrics(State(state): State<OpsState>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, METRICS_CONTENT_TYPE)],
        render_metrics(&state.registry),
    )
}

async fn readyz(State(state): State<OpsState>) -> impl IntoResponse {
    match (state.ready)() {
        Ok(()) => (StatusCode::OK, "ready\n".to_owned()),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {why}\n"),
        ),
    }
}
