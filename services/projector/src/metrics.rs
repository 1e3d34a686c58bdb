//! Metrics of the projector.

use prometheus::{Histogram, HistogramOpts, IntCounter, IntGauge, Registry};

#[derive(Clone)]
pub struct ProjectorMetrics {
    /// Stream sequence of the last commit applied.
    pub checkpoint: IntGauge,
    /// Commits in the stream not yet applied, as of the last batch.
    pub lag_commits: IntGauge,
    /// Age of the oldest commit not yet applied, in seconds (0 when caught up).
    pub lag_seconds: IntGauge,
    pub commits_applied: IntCounter,
    pub quarantined: IntCounter,
    pub batch_size: Histogram,
    pub batch_seconds: Histogram,
}

impl ProjectorMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let m = Self {
            checkpoint: IntGauge::new(
                "waymark_projector_checkpoint",
                "Stream sequence of the last commit applied",
            )?,
            lag_commits: IntGauge::new(
                "waymark_projector_lag_commits",
                "Commits in the stream not yet applied",
            )?,
            lag_seconds: IntGauge::new(
                "waymark_projector_lag_seconds",
                "While commits remain unapplied, the age of the last one applied, measured after each batch; 0 when caught up",
            )?,
            commits_applied: IntCounter::new(
                "waymark_projector_commits_applied_total",
                "Commits applied to the read models",
            )?,
            quarantined: IntCounter::new(
                "waymark_projector_quarantined_total",
                "Commits that could not be decoded or applied",
            )?,
            batch_size: Histogram::with_opts(
                HistogramOpts::new(
                    "waymark_projector_batch_size",
                    "Commits per write transaction",
                )
                .buckets(vec![1.0, 2.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 512.0]),
            )?,
            batch_seconds: Histogram::with_opts(
                HistogramOpts::new("waymark_projector_batch_seconds", "Time to apply one batch")
                    .buckets(vec![
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
                    ]),
            )?,
        };
        registry.register(Box::new(m.checkpoint.clone()))?;
        registry.register(Box::new(m.lag_commits.clone()))?;
        registry.register(Box::new(m.lag_seconds.clone()))?;
        registry.register(Box::new(m.commits_applied.clone()))?;
        registry.register(Box::new(m.quarantined.clone()))?;
        registry.register(Box::new(m.batch_size.clone()))?;
        registry.register(Box::new(m.batch_seconds.clone()))?;
        Ok(m)
    }
}
