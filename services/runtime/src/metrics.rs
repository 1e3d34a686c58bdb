//! Metrics of the command path, shared by every command service in a process (one set per
//! registry, told apart by the `service` label).

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, Opts, Registry};

/// Counters and histograms of command handling.
#[derive(Clone)]
pub struct CommandMetrics {
    /// Commands handled, by service, action and outcome (accepted, duplicate, rejected, failed).
    pub commands: IntCounterVec,
    /// Rejections by service and rule code.
    pub rejections: IntCounterVec,
    /// Commits appended to the stream, by service.
    pub commits_appended: IntCounterVec,
    /// Sequence conflicts met while appending (each one causes a reload and a new decision).
    pub sequence_conflicts: IntCounterVec,
    /// Time to append one commit and receive the stream's acknowledgement.
    pub append_seconds: HistogramVec,
}

impl CommandMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let commands = IntCounterVec::new(
            Opts::new("waymark_commands_total", "Commands handled, by outcome"),
            &["service", "action", "outcome"],
        )?;
        let rejections = IntCounterVec::new(
            Opts::new(
                "waymark_command_rejections_total",
                "Commands rejected, by rule code",
            ),
            &["service", "code"],
        )?;
        let commits_appended = IntCounterVec::new(
            Opts::new(
                "waymark_commits_appended_total",
                "Commits appended to the event stream",
            ),
            &["service"],
        )?;
        let sequence_conflicts = IntCounterVec::new(
            Opts::new(
                "waymark_sequence_conflicts_total",
                "Appends refused because the thing changed meanwhile",
            ),
            &["service"],
        )?;
        let append_seconds = HistogramVec::new(
            HistogramOpts::new("waymark_append_seconds", "Time to append a commit").buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0,
            ]),
            &["service"],
        )?;
        registry.register(Box::new(commands.clone()))?;
        registry.register(Box::new(rejections.clone()))?;
        registry.register(Box::new(commits_appended.clone()))?;
        registry.register(Box::new(sequence_conflicts.clone()))?;
        registry.register(Box::new(append_seconds.clone()))?;
        Ok(Self {
            commands,
            rejections,
            commits_appended,
            sequence_conflicts,
            append_seconds,
        })
    }
}
