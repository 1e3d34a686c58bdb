//! What a reliability run found, written as one JSON line per run into
//! `$WAYMARK_EVIDENCE_DIR/runs.jsonl` (when that is set: `make reliability` sets it), from which
//! `reliability-report` writes RELIABILITY.md; and how long a run is (`WAYMARK_RELIABILITY=long`
//! for the long versions, short ones otherwise).

use std::io::Write;

use serde::{Deserialize, Serialize};

/// Whether the long versions of the fault runs were asked for.
pub fn long() -> bool {
    std::env::var("WAYMARK_RELIABILITY").is_ok_and(|v| v == "long")
}

/// `short` normally, `long` under `make reliability`.
pub fn size<T>(short: T, long: T) -> T {
    if self::long() { long } else { short }
}

/// The figures of one run of one fault scenario.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Run {
    /// The kind of fault, one row of the report: `read-side crash`, `stream leader killed`.
    pub fault: String,
    /// Where it ran: `nats-server 2.15.1, 3-node cluster, R3`.
    pub setup: String,
    pub nats_version: String,
    /// Faults injected (processes killed, disks filled).
    pub faults: u64,
    /// Commits (or commands) whose fate was checked.
    pub checked: u64,
    /// Acknowledged but missing.
    pub lost: u64,
    /// Stored or applied more than once.
    pub doubled: u64,
    /// Refused, yet stored.
    pub stored_though_refused: u64,
    pub quarantined_expected: u64,
    pub quarantined_found: u64,
    /// Answers that were server failures (5xx other than a retryable 503 with `Retry-After`).
    pub server_errors: u64,
    /// Answers the scenario does not allow: a conflict where nothing raced, a refusal not asked for.
    pub unexpected: u64,
    /// Retryable refusals met on the way (503 with `Retry-After`, conflicts): expected, not errors.
    pub retried: u64,
    /// What else the run shows, in a sentence.
    pub note: String,
    pub passed: bool,
}

impl Run {
    pub fn new(fault: &str, setup: String, nats_version: &str) -> Self {
        Self {
            fault: fault.to_owned(),
            setup,
            nats_version: nats_version.to_owned(),
            ..Self::default()
        }
    }

    /// Whether nothing was lost, doubled, wrongly stored, wrongly quarantined or failed.
    pub fn clean(&self) -> bool {
        self.lost == 0
            && self.doubled == 0
            && self.stored_though_refused == 0
            && self.quarantined_expected == self.quarantined_found
            && self.server_errors == 0
            && self.unexpected == 0
    }

    /// Records the run (when a report is being gathered), then fails the test unless it is clean.
    pub fn finish(mut self) {
        self.passed = self.clean();
        eprintln!("{}", serde_json::to_string(&self).unwrap_or_default());
        if let Some(dir) = std::env::var_os("WAYMARK_EVIDENCE_DIR").filter(|d| !d.is_empty()) {
            std::fs::create_dir_all(&dir).expect("evidence folder");
            let mut file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(std::path::Path::new(&dir).join("runs.jsonl"))
                .expect("evidence file");
            let line = serde_json::to_string(&self).expect("run as JSON");
            writeln!(file, "{line}").expect("evidence written");
        }
        assert!(self.passed, "the run was not clean: {self:#?}");
    }
}

/// A number below `n`, different in every call and every run (for picking moments to inject a
/// fault; nothing depends on it being unpredictable).
pub fn random_below(n: u64) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
    hasher.finish() % n.max(1)
}
