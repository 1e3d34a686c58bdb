//! Metrics of the projector.

use prometheus::{Histogram, HistogramOpts, IntCounter, IntGauge, Registry};

#[derive(Clone)]
pub struct ProjectorMetrics {
    /// Stream sequence of the last commit applied.
    pub checkpoint: IntGauge,
    /// Stream sequence of the last commit the read models hold on disk: what a crash keeps.
    pub durable_checkpoint: IntGauge,
    /// Commits in the stream not yet applied (after each batch, and sampled every second).
    pub lag_commits: IntGauge,
    /// Age of the oldest commit not yet applied, in seconds (0 when caught up).
    pub lag_seconds: IntGauge,
    pub commits_applied: IntCounter,
    pub quarantined: IntCounter,
    pub batch_size: Histogram,
    pub batch_seconds: Histogram,
    /// Quarantined commits not voided, as the read models hold them (so it survives restarts).
    pub quarantine_open: IntGauge,
    /// Quarantined commits an operator voided.
    pub quarantine_voided: IntGauge,
    /// The stream's last sequence, as the projector last saw it.
    pub stream_last_seq: IntGauge,
    /// 1 while commits wait and the checkpoint has not moved for the stall time.
    pub stalled: IntGauge,
}

impl ProjectorMetrics {
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let m = Self {
            checkpoint: IntGauge::new(
                "waymark_projector_checkpoint",
                "Stream sequence of the last commit applied",
            )?,
            durable_checkpoint: IntGauge::new(
                "waymark_projector_durable_checkpoint",
                "Stream sequence of the last commit the read models hold on disk; a crash of the machine keeps everything up to it",
            )?,
            lag_commits: IntGauge::new(
                "waymark_projector_lag_commits",
                "Commits in the stream not yet applied",
            )?,
            lag_seconds: IntGauge::new(
                "waymark_projector_lag_seconds",
                "Age of the oldest commit not yet applied, sampled every second; 0 when caught up",
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
                .buckets(
                    [
                        1,
                        2,
                        5,
                        10,
                        25,
                        50,
                        100,
                        250,
                        500,
                        1000,
                        2500,
                        crate::MAX_BATCH,
                    ]
                    .map(|n| n as f64)
                    .to_vec(),
                ),
            )?,
            batch_seconds: Histogram::with_opts(
                HistogramOpts::new("waymark_projector_batch_seconds", "Time to apply one batch")
                    .buckets(vec![
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
                    ]),
            )?,
            quarantine_open: IntGauge::new(
                "waymark_projector_quarantine_open",
                "Quarantined commits not voided, as stored in the read models",
            )?,
            quarantine_voided: IntGauge::new(
                "waymark_projector_quarantine_voided",
                "Quarantined commits an operator voided",
            )?,
            stream_last_seq: IntGauge::new(
                "waymark_projector_stream_last_seq",
                "The event stream's last sequence, as the projector last saw it",
            )?,
            stalled: IntGauge::new(
                "waymark_projector_stalled",
                "1 while commits wait and the projector has applied none for the stall time",
            )?,
        };
        registry.register(Box::new(m.quarantine_open.clone()))?;
        registry.register(Box::new(m.quarantine_voided.clone()))?;
        registry.register(Box::new(m.stream_last_seq.clone()))?;
        registry.register(Box::new(m.stalled.clone()))?;
        registry.register(Box::new(m.checkpoint.clone()))?;
        registry.register(Box::new(m.durable_checkpoint.clone()))?;
        registry.register(Box::new(m.lag_commits.clone()))?;
        registry.register(Box::new(m.lag_seconds.clone()))?;
        registry.register(Box::new(m.commits_applied.clone()))?;
        registry.register(Box::new(m.quarantined.clone()))?;
        registry.register(Box::new(m.batch_size.clone()))?;
        registry.register(Box::new(m.batch_seconds.clone()))?;
        Ok(m)
    }
}
