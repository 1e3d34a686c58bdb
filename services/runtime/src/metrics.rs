//! Metrics of the command path, shared by every command service in a process (one set per
//! registry, told apart by the `service` label).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use prometheus::{HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry};

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
    /// Things that take no command because one of their commits cannot be read.
    pub unreadable: UnreadableThings,
}

/// Things a service found it cannot fold because a stored commit cannot be read, until the commit
/// is voided (or a version that reads it is deployed) and the thing folds again. Shown as the
/// gauge `waymark_unreadable_commits{service, subject, seq}` (1 per such commit; the subject names
/// the thing, which is what an operator must repair) and failing readiness while any is known.
#[derive(Clone)]
pub struct UnreadableThings {
    found: Arc<Mutex<BTreeMap<String, (String, u64)>>>,
    /// Whether `found` holds anything, so that the command path, which reports every thing it
    /// folds, takes no lock while nothing is unreadable.
    any: Arc<AtomicBool>,
    gauge: IntGaugeVec,
}

impl UnreadableThings {
    /// `service` could not fold `subject` because of the commit at `seq`.
    pub fn found(&self, service: &str, subject: &str, seq: u64) {
        let mut found = self.found.lock().expect("unreadable lock");
        let seq_label = seq.to_string();
        if let Some((was_service, was_seq)) =
            found.insert(subject.to_owned(), (service.to_owned(), seq))
            && (was_service != service || was_seq != seq)
        {
            // Replaced: drop the series of the commit it used to name.
            let _ = self
                .gauge
                .remove_label_values(&[&was_service, subject, &was_seq.to_string()]);
        }
        self.gauge
            .with_label_values(&[service, subject, &seq_label])
            .set(1);
        self.any.store(true, Ordering::Release);
    }

    /// `subject` folded: whatever was unreadable on it is repaired.
    pub fn folded(&self, subject: &str) {
        if !self.any.load(Ordering::Acquire) {
            return;
        }
        let mut found = self.found.lock().expect("unreadable lock");
        if let Some((service, seq)) = found.remove(subject) {
            let _ = self
                .gauge
                .remove_label_values(&[&service, subject, &seq.to_string()]);
        }
        self.any.store(!found.is_empty(), Ordering::Release);
    }

    /// The unreadable commits known now: subject and sequence.
    pub fn known(&self) -> Vec<(String, u64)> {
        let found = self.found.lock().expect("unreadable lock");
        found
            .iter()
            .map(|(s, (_, seq))| (s.clone(), *seq))
            .collect()
    }
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
        let unreadable = IntGaugeVec::new(
            Opts::new(
                "waymark_unreadable_commits",
                "Stored commits this version cannot read, on things that take no command until \
                 they are voided",
            ),
            &["service", "subject", "seq"],
        )?;
        registry.register(Box::new(unreadable.clone()))?;
        Ok(Self {
            unreadable: UnreadableThings {
                found: Arc::default(),
                any: Arc::default(),
                gauge: unreadable,
            },
            commands,
            rejections,
            commits_appended,
            sequence_conflicts,
            append_seconds,
        })
    }
}
