//! HTTP request metrics, labelled by route template (never by raw path, which would let callers
//! create unbounded label values).

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

#[derive(Clone)]
pub struct HttpMetrics {
    requests: IntCounterVec,
    seconds: HistogramVec,
}

impl HttpMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let m = Self::unregistered();
        registry.register(Box::new(m.requests.clone()))?;
        registry.register(Box::new(m.seconds.clone()))?;
        Ok(m)
    }

    /// Metrics that count but are exported nowhere (when a router is built twice on a registry).
    pub fn unregistered() -> Self {
        let requests = IntCounterVec::new(
            Opts::new(
                "waymark_http_requests_total",
                "HTTP requests by route, method and status",
            ),
            &["route", "method", "status"],
        )
        .expect("static metric definition");
        let seconds = HistogramVec::new(
            HistogramOpts::new(
                "waymark_http_request_seconds",
                "HTTP request latency by route",
            )
            .buckets(vec![
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
            ]),
            &["route"],
        )
        .expect("static metric definition");
        Self { requests, seconds }
    }
}

/// Middleware that counts every request by route template and status.
pub async fn track(State(metrics): State<HttpMetrics>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    // Methods are a closed set of labels, so a client cannot mint new series.
    let method = match request.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m,
        _ => "other",
    }
    .to_owned();
    let timer = metrics.seconds.with_label_values(&[&route]).start_timer();
    let response = next.run(request).await;
    timer.observe_duration();
    metrics
        .requests
        .with_label_values(&[&route, &method, response.status().as_str()])
        .inc();
    response
}
