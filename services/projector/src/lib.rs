//! The projector: consumes the event stream from its checkpoint and keeps the read models in redb.
//!
//! Each batch of commits is applied in one redb write transaction that also moves the checkpoint,
//! so after a crash the read models are exactly at some checkpoint and projection resumes right
//! after it: nothing is applied twice or skipped. A commit that cannot be decoded or applied is
//! quarantined with its reason; projection goes on.

pub mod apply;
pub mod db;
pub mod describe;
pub mod figures;
pub mod fold;
pub mod health;
pub mod metrics;
pub mod offline;
pub mod read;
pub mod status;
pub mod views;

#[cfg(test)]
mod apply_tests;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use eventstore::StreamReader;
use futures::StreamExt;
use proto::Commit;
use redb::{Database, ReadableTable};
use tokio::sync::watch;

pub use db::DbError;
pub use eventstore::Received;
pub use metrics::ProjectorMetrics;

use crate::apply::{ApplyError, apply_commit};
use crate::db::{CHECKPOINT_KEY, META, QUARANTINE};
use crate::views::QuarantineEntry;

/// Largest number of commits applied in one write transaction.
pub const MAX_BATCH: usize = 512;

/// Free space the read models' disk must have before a batch is written. After a write fails
/// (a full disk), redb refuses every later read and write until the database is reopened, which
/// a serving replica cannot do; so a full disk is met before writing instead: projection pauses,
/// readiness fails once the pause outlasts the stall limit, and it resumes when space returns. A
/// batch of [`MAX_BATCH`] commits writes a few MiB of pages.
pub const DISK_RESERVE_BYTES: u64 = 64 * 1024 * 1024;

/// The outcome of applying a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub checkpoint: u64,
    pub applied: usize,
    pub quarantined: usize,
    pub skipped: usize,
}

/// Applies a batch in one write transaction, moving the checkpoint to the last sequence.
/// Commits at or below the checkpoint are skipped, so a redelivered batch changes nothing.
pub fn apply_batch(db: &Database, batch: &[Received]) -> Result<BatchOutcome, DbError> {
    let txn = db.begin_write()?;
    let mut outcome = BatchOutcome::default();
    {
        let mut checkpoint = txn
            .open_table(META)?
            .get(CHECKPOINT_KEY)?
            .map(|v| v.value())
            .unwrap_or(0);
        for received in batch {
            if received.seq <= checkpoint {
                outcome.skipped += 1;
                continue;
            }
            let result = Commit::decode(&received.payload)
                .map_err(|e| ApplyError::Unusable(e.to_string()))
                .and_then(|commit| {
                    apply_commit(
                        &txn,
                        received.seq,
                        &received.subject,
                        &commit,
                        &received.payload,
                    )
                });
            match result {
                Ok(()) => outcome.applied += 1,
                Err(ApplyError::Unusable(reason)) => {
                    tracing::warn!(seq = received.seq, subject = %received.subject, %reason, "commit quarantined");
                    let entry = QuarantineEntry {
                        seq: received.seq,
                        subject: received.subject.clone(),
                        reason,
                        quarantined_at: Utc::now(),
                        voided: None,
                    };
                    txn.open_table(QUARANTINE)?
                        .insert(received.seq, db::encode(&entry)?.as_slice())?;
                    outcome.quarantined += 1;
                }
                Err(ApplyError::Db(e)) => return Err(e),
            }
            checkpoint = received.seq;
        }
        txn.open_table(META)?.insert(CHECKPOINT_KEY, checkpoint)?;
        outcome.checkpoint = checkpoint;
    }
    txn.commit()?;
    Ok(outcome)
}

/// Runs projection for one database. It reads the stream through a [`StreamReader`], which
/// cannot append.
pub struct Projector {
    db: Arc<Database>,
    stream: StreamReader,
    metrics: ProjectorMetrics,
    checkpoint: watch::Sender<u64>,
    health: health::Health,
    stall_after: Duration,
    /// A path on the read models' disk, whose free space is checked before each batch.
    disk: Option<std::path::PathBuf>,
}

impl Projector {
    /// Creates a projector; `checkpoint()` receivers see each new checkpoint.
    pub fn new(
        db: Arc<Database>,
        stream: StreamReader,
        metrics: ProjectorMetrics,
    ) -> Result<Self, DbError> {
        let start = db::checkpoint(&db)?;
        metrics.checkpoint.set(start as i64);
        let (checkpoint, _) = watch::channel(start);
        Ok(Self {
            db,
            stream,
            metrics,
            checkpoint,
            health: health::Health::default(),
            stall_after: health::DEFAULT_STALL_AFTER,
            disk: None,
        })
    }

    /// Pauses projection while the disk holding `db_path` has less than [`DISK_RESERVE_BYTES`]
    /// free.
    pub fn with_disk_of(mut self, db_path: &std::path::Path) -> Self {
        self.disk = Some(db_path.to_path_buf());
        self
    }

    /// Whether the read models' disk has room for a batch; if not, why not.
    fn room(&self) -> Result<(), String> {
        let Some(path) = &self.disk else {
            return Ok(());
        };
        let dir = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        match free_bytes(dir) {
            Ok(free) if free < DISK_RESERVE_BYTES => Err(format!(
                "the read-model disk is full: {} MiB free at {}, {} MiB needed before commits \
                 are applied; projection resumes once there is room",
                free / (1024 * 1024),
                dir.display(),
                DISK_RESERVE_BYTES / (1024 * 1024)
            )),
            Ok(_) => Ok(()),
            Err(e) => {
                tracing::debug!(error = %e, dir = %dir.display(), "cannot read the free space of the read-model disk");
                Ok(())
            }
        }
    }

    /// Counts projection as stalled once the checkpoint stood still this long while commits wait.
    pub fn with_stall_after(mut self, stall_after: Duration) -> Self {
        self.stall_after = stall_after;
        self
    }

    /// What readiness asks: whether projection is stalled, and why.
    pub fn health(&self) -> health::Health {
        self.health.clone()
    }

    /// A receiver of checkpoint updates.
    pub fn checkpoint(&self) -> watch::Receiver<u64> {
        self.checkpoint.subscribe()
    }

    /// Projects until `shutdown` resolves. Connection trouble is retried with a back-off; it
    /// never ends the loop. A batch being applied when `shutdown` resolves is finished first, so
    /// nothing keeps the database open once this returns.
    pub async fn run(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) {
        let (stop_tx, mut stop) = watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop_tx.send(true);
        });
        let watcher = tokio::spawn(health::watch(
            self.db.clone(),
            self.stream.clone(),
            self.metrics.clone(),
            self.checkpoint.subscribe(),
            self.health.clone(),
            self.stall_after,
            stop.clone(),
        ));
        let mut backoff = Duration::from_millis(100);
        let mut checkpoint_before = *self.checkpoint.borrow();
        loop {
            let result = self.follow(&mut stop).await;
            if *stop.borrow() {
                break;
            }
            if let Err(e) = result {
                tracing::warn!(error = %e, "projection interrupted; resuming from the checkpoint");
                self.health.failed(&e);
            }
            if *self.checkpoint.borrow() > checkpoint_before {
                backoff = Duration::from_millis(100);
            }
            checkpoint_before = *self.checkpoint.borrow();
            tokio::select! {
                _ = stop.wait_for(|s| *s) => break,
                () = tokio::time::sleep(backoff) => {},
            }
            backoff = (backoff * 2).min(Duration::from_secs(5));
        }
        let _ = watcher.await;
        tracing::info!(checkpoint = *self.checkpoint.borrow(), "projector stopped");
    }

    /// Follows the stream from the checkpoint until an error, or until `stop` turns true
    /// between batches.
    async fn follow(&self, stop: &mut watch::Receiver<bool>) -> Result<(), String> {
        let from = db::checkpoint(&self.db).map_err(|e| e.to_string())? + 1;
        let subscribe = async { self.stream.follow(from).await.map_err(|e| e.to_string()) };
        let messages = tokio::select! {
            messages = subscribe => messages?,
            _ = stop.wait_for(|s| *s) => return Ok(()),
        };
        tracing::info!(from, "projector following the event stream");
        let mut chunks = messages.ready_chunks(MAX_BATCH);
        // A reconnection may leave the consumer waiting on heartbeats for many seconds; start a
        // fresh one from the checkpoint instead.
        let mut reconnects = self.stream.reconnects();
        reconnects.borrow_and_update();
        loop {
            let chunk = tokio::select! {
                chunk = chunks.next() => chunk,
                _ = reconnects.changed() => return Err("reconnected to NATS".to_owned()),
                _ = stop.wait_for(|s| *s) => return Ok(()),
            };
            let Some(chunk) = chunk else { break };
            let batch = chunk
                .into_iter()
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| e.to_string())?;
            self.apply(batch).await?;
        }
        Err("the stream consumer ended".to_owned())
    }

    async fn apply(&self, batch: Vec<Received>) -> Result<(), String> {
        let Some(last) = batch.last() else {
            return Ok(());
        };
        let pending = last.pending;
        self.room()?;
        let db = self.db.clone();
        let size = batch.len();
        let timer = self.metrics.batch_seconds.start_timer();
        let outcome = tokio::task::spawn_blocking(move || apply_batch(&db, &batch))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        timer.observe_duration();
        self.metrics.batch_size.observe(size as f64);
        self.metrics.commits_applied.inc_by(outcome.applied as u64);
        self.metrics.quarantined.inc_by(outcome.quarantined as u64);
        self.metrics.checkpoint.set(outcome.checkpoint as i64);
        self.metrics.lag_commits.set(pending as i64);
        // The age of the oldest commit still waiting is sampled by `health::watch`.
        if pending == 0 {
            self.metrics.lag_seconds.set(0);
        }
        self.health.advanced();
        tracing::debug!(
            checkpoint = outcome.checkpoint,
            applied = outcome.applied,
            quarantined = outcome.quarantined,
            "batch applied"
        );
        self.checkpoint.send_replace(outcome.checkpoint);
        Ok(())
    }
}

/// Bytes free to unprivileged writers on the file system holding `dir`.
#[cfg(unix)]
fn free_bytes(dir: &std::path::Path) -> std::io::Result<u64> {
    let stat = rustix::fs::statvfs(dir)?;
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(not(unix))]
fn free_bytes(_dir: &std::path::Path) -> std::io::Result<u64> {
    Ok(u64::MAX)
}

/// How many quarantined commits are open and how many an operator voided.
pub fn quarantine_counts(db: &Database) -> Result<(usize, usize), DbError> {
    let entries = quarantined(db)?;
    let voided = entries.iter().filter(|e| e.voided.is_some()).count();
    Ok((entries.len() - voided, voided))
}

/// Quarantined commits, oldest first.
pub fn quarantined(db: &Database) -> Result<Vec<QuarantineEntry>, DbError> {
    use redb::ReadableDatabase;
    let txn = db.begin_read()?;
    let table = txn.open_table(QUARANTINE)?;
    let mut out = Vec::new();
    for entry in table.iter()? {
        let (_, v) = entry?;
        out.push(db::decode(v.value())?);
    }
    Ok(out)
}
