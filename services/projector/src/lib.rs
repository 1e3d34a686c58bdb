//! The projector: consumes the event stream from its checkpoint and keeps the read models in redb.
//!
//! Each batch of commits is applied in one redb write transaction that also moves the checkpoint,
//! so after a crash the read models are exactly at some checkpoint and projection resumes right
//! after it: nothing is applied twice or skipped. A commit that cannot be decoded or applied is
//! quarantined with its reason; projection goes on.

pub mod apply;
pub mod cache;
pub mod config;
pub mod db;
pub mod describe;
pub mod figures;
pub mod fold;
pub mod health;
pub mod metrics;
pub mod models;
pub mod offline;
pub mod pacing;
pub mod read;
pub mod replay;
mod stamps;
pub mod status;
pub mod views;

#[cfg(test)]
mod apply_tests;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use eventstore::StreamReader;
use futures::StreamExt;
use redb::{Database, ReadableTable};
use tokio::sync::watch;

pub use db::DbError;
pub use eventstore::Received;
pub use metrics::ProjectorMetrics;

use crate::apply::ApplyError;
use crate::db::{CHECKPOINT_KEY, META, QUARANTINE};
use crate::views::QuarantineEntry;

/// Largest number of commits applied in one write transaction. A batch writes each view it
/// changed once (a blueprint's totals change with every commit on its things), and each leaf of
/// history it adds to once, so catching up in large batches writes far fewer pages than in small
/// ones. At 1,000,000 commits over 50,000 things, 16,384 caught up in 14.5 s where 4,096 took
/// 15.3 to 16.4 s, with a peak RSS of 159 MB against 142 to 150 (BENCHMARKS.md).
pub const MAX_BATCH: usize = 16_384;

/// The next batch of commits from `commits`: the first to arrive, then, up to [`MAX_BATCH`],
/// those already received and those the stream still holds (they follow at once); a follower
/// that is caught up applies each commit as soon as it arrives. `None` when the stream ended.
pub async fn next_batch<E>(
    commits: &mut (impl futures::Stream<Item = Result<Received, E>> + Unpin),
) -> Option<Result<Vec<Received>, E>> {
    use futures::FutureExt;
    let mut batch = match commits.next().await? {
        Ok(first) => vec![first],
        Err(e) => return Some(Err(e)),
    };
    while batch.len() < MAX_BATCH {
        let stored_behind = batch.last().is_some_and(|r| r.pending > 0);
        let next = if stored_behind {
            commits.next().await
        } else {
            match commits.next().now_or_never() {
                Some(next) => next,
                None => break,
            }
        };
        match next {
            Some(Ok(received)) => batch.push(received),
            Some(Err(e)) => return Some(Err(e)),
            None => break,
        }
    }
    Some(Ok(batch))
}

/// Adds to `batch` the commits already received, up to [`MAX_BATCH`], without waiting.
fn gather_ready<E>(
    commits: &mut (impl futures::Stream<Item = Result<Received, E>> + Unpin),
    batch: &mut Vec<Received>,
) -> Result<(), E> {
    use futures::FutureExt;
    while batch.len() < MAX_BATCH {
        match commits.next().now_or_never() {
            Some(Some(received)) => batch.push(received?),
            _ => break,
        }
    }
    Ok(())
}

/// Resolves once `stop` turns true.
async fn stopping(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Sleeps until `at`, or forever.
async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Free space the read models' disk must have before a batch is written. After a write fails
/// (a full disk), redb refuses every later read and write until the database is reopened, which
/// a serving replica cannot do; so a full disk is met before writing instead: projection pauses,
/// readiness fails once the pause outlasts the stall limit, and it resumes when space returns. A
/// batch of [`MAX_BATCH`] commits writes some MiB of pages.
pub const DISK_RESERVE_BYTES: u64 = 64 * 1024 * 1024;

/// The outcome of applying a batch.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchOutcome {
    pub checkpoint: u64,
    pub applied: usize,
    pub quarantined: usize,
    pub skipped: usize,
}

/// Applies a batch in one durable write transaction, moving the checkpoint to the last
/// sequence. Commits at or below the checkpoint are skipped, so a redelivered batch changes
/// nothing.
pub fn apply_batch(db: &Database, batch: &[Received]) -> Result<BatchOutcome, DbError> {
    apply_batch_as(db, batch, redb::Durability::Immediate)
}

/// As [`apply_batch`], committed with `durability`: with `Durability::None` redb does not wait
/// for the disk, and the next durable commit makes the batch durable ([`pacing`] says when).
pub fn apply_batch_as(
    db: &Database,
    batch: &[Received],
    durability: redb::Durability,
) -> Result<BatchOutcome, DbError> {
    let mut txn = db.begin_write()?;
    txn.set_durability(durability)?;
    let mut outcome = BatchOutcome::default();
    {
        let mut checkpoint = txn
            .open_table(META)?
            .get(CHECKPOINT_KEY)?
            .map(|v| v.value())
            .unwrap_or(0);
        let mut changes = apply::Batch::new(&txn);
        for received in batch {
            if received.seq <= checkpoint {
                outcome.skipped += 1;
                continue;
            }
            match changes.apply_received(received) {
                Ok(()) => outcome.applied += 1,
                Err(ApplyError::Unusable(reason)) => {
                    let thing = proto::subjects::thing_of_subject(&received.subject);
                    tracing::warn!(seq = received.seq, subject = %received.subject,
                        blueprint = thing.as_ref().and_then(|t| t.blueprint.as_ref()).map(tracing::field::display),
                        thing = thing.as_ref().map(|t| tracing::field::display(t.display_name())),
                        %reason, "commit quarantined");
                    let entry = QuarantineEntry {
                        seq: received.seq,
                        subject: received.subject.clone(),
                        reason,
                        quarantined_at: Utc::now(),
                        voided: None,
                    };
                    apply::put_quarantine(&txn, &entry)?;
                    outcome.quarantined += 1;
                }
                Err(ApplyError::Db(e)) => return Err(e),
            }
            checkpoint = received.seq;
        }
        changes.finish()?;
        txn.open_table(META)?.insert(CHECKPOINT_KEY, checkpoint)?;
        outcome.checkpoint = checkpoint;
    }
    txn.commit()?;
    Ok(outcome)
}

/// Why following the stream stopped; the projector logs it and follows again from the
/// checkpoint after a back-off, so no case loses or repeats a commit.
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// The read models failed (reading the checkpoint, or writing a batch).
    #[error(transparent)]
    ReadModels(#[from] DbError),
    /// The stream could not be subscribed to or read: NATS is unreachable or the consumer failed.
    #[error(transparent)]
    Stream(#[from] eventstore::StoreError),
    /// The connection to NATS was re-established; a fresh consumer starts from the checkpoint.
    #[error("reconnected to NATS")]
    Reconnected,
    /// The consumer's messages ended.
    #[error("the stream consumer ended")]
    ConsumerEnded,
    /// The task applying a batch panicked: a bug; the batch was not committed.
    #[error(transparent)]
    Panicked(#[from] tokio::task::JoinError),
    /// The read models' disk is short of [`DISK_RESERVE_BYTES`]: nothing is written, and
    /// projection resumes by itself once there is room.
    #[error(
        "the read-model disk is full: {free_mib} MiB free at {dir}, {needed_mib} MiB needed before \
         commits are applied; projection resumes once there is room"
    )]
    DiskFull {
        free_mib: u64,
        dir: String,
        needed_mib: u64,
    },
}

/// Runs projection for one database. It reads the stream through a [`StreamReader`], which
/// cannot append.
pub struct Projector {
    models: Arc<models::ReadModels>,
    stream: StreamReader,
    metrics: ProjectorMetrics,
    checkpoint: watch::Sender<u64>,
    health: health::Health,
    stall_after: Duration,
}

impl Projector {
    /// Creates a projector; `checkpoint()` receivers see each new checkpoint.
    pub fn new(
        models: Arc<models::ReadModels>,
        stream: StreamReader,
        metrics: ProjectorMetrics,
    ) -> Result<Self, DbError> {
        let start = db::checkpoint(&models.current())?;
        metrics.checkpoint.set(start as i64);
        metrics.durable_checkpoint.set(start as i64);
        let (checkpoint, _) = watch::channel(start);
        Ok(Self {
            models,
            stream,
            metrics,
            checkpoint,
            health: health::Health::default(),
            stall_after: health::DEFAULT_STALL_AFTER,
        })
    }

    /// Whether the read models' disk has room for a batch (at least [`DISK_RESERVE_BYTES`] free);
    /// if not, why not.
    fn room(&self) -> Result<(), FollowError> {
        let dir = self
            .models
            .path()
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."));
        match free_bytes(dir) {
            Ok(free) if free < DISK_RESERVE_BYTES => Err(FollowError::DiskFull {
                free_mib: free / (1024 * 1024),
                dir: dir.display().to_string(),
                needed_mib: DISK_RESERVE_BYTES / (1024 * 1024),
            }),
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
            self.models.clone(),
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
    async fn follow(&self, stop: &mut watch::Receiver<bool>) -> Result<(), FollowError> {
        let from = db::checkpoint(&self.models.current())? + 1;
        let subscribe = self.stream.follow(from);
        let mut messages = tokio::select! {
            messages = subscribe => messages?,
            () = stopping(stop) => return Ok(()),
        };
        tracing::info!(from, "projector following the event stream");
        let mut pacing = pacing::Pacing::default();
        // A reconnection may leave the consumer waiting on heartbeats for many seconds; start a
        // fresh one from the checkpoint instead.
        let mut reconnects = self.stream.reconnects();
        reconnects.borrow_and_update();
        let result = loop {
            let persist_at = pacing.persist_at().map(tokio::time::Instant::from_std);
            // Dropping a batch part-way is harmless: following starts again from the checkpoint.
            let batch = tokio::select! {
                batch = next_batch(&mut messages) => batch,
                () = sleep_until(persist_at), if persist_at.is_some() => {
                    if let Err(e) = self.persist(&mut pacing).await {
                        break Err(e);
                    }
                    continue;
                }
                _ = reconnects.changed() => break Err(FollowError::Reconnected),
                () = stopping(stop) => break Ok(()),
            };
            let Some(batch) = batch else {
                break Err(FollowError::ConsumerEnded);
            };
            let mut batch = match batch {
                Ok(batch) => batch,
                Err(e) => break Err(e.into()),
            };
            // Within a batch of the end of the stream, a batch that has room waits for more.
            let caught_up =
                |batch: &[Received]| batch.last().is_some_and(|r| r.pending < MAX_BATCH as u64);
            let room = batch.len() < MAX_BATCH;
            if let Some(until) =
                pacing.gather_until(caught_up(&batch) && room, std::time::Instant::now())
            {
                // Tokio's timer counts whole milliseconds; a thread of the blocking pool sleeps
                // to the microsecond.
                let nap = until.saturating_duration_since(std::time::Instant::now());
                tokio::select! {
                    _ = tokio::task::spawn_blocking(move || std::thread::sleep(nap)) => {},
                    () = stopping(stop) => break Ok(()),
                }
                if let Err(e) = gather_ready(&mut messages, &mut batch) {
                    break Err(e.into());
                }
            }
            let durable = pacing.start(caught_up(&batch), std::time::Instant::now());
            if let Err(e) = self.apply(batch, durable).await {
                break Err(e);
            }
        };
        // Whatever ended following, what was applied is made durable before the file is let go.
        if pacing.persist_at().is_some()
            && let Err(e) = self.persist(&mut pacing).await
        {
            tracing::warn!(error = %e, "the last batches could not be made durable; they are projected again on restart");
        }
        result
    }

    /// A durable commit of nothing, so every batch committed without waiting for the disk is on it.
    async fn persist(&self, pacing: &mut pacing::Pacing) -> Result<(), FollowError> {
        // The flush writes every page the batches since the last durable commit left in redb's
        // buffer: a full disk is met before it, as before a batch.
        self.room()?;
        let _applying = self.models.applying().await;
        let db = self.models.current();
        tokio::task::spawn_blocking(move || db::persist(&db)).await??;
        pacing.persisted();
        self.metrics
            .durable_checkpoint
            .set(*self.checkpoint.borrow() as i64);
        Ok(())
    }

    async fn apply(&self, batch: Vec<Received>, durable: bool) -> Result<(), FollowError> {
        let Some(last) = batch.last() else {
            return Ok(());
        };
        let pending = last.pending;
        self.room()?;
        // A swap of the file waits for this batch, and this batch for a swap.
        let _applying = self.models.applying().await;
        let db = self.models.current();
        let size = batch.len();
        let timer = self.metrics.batch_seconds.start_timer();
        let durability = match durable {
            true => redb::Durability::Immediate,
            false => redb::Durability::None,
        };
        let outcome =
            tokio::task::spawn_blocking(move || apply_batch_as(&db, &batch, durability)).await??;
        timer.observe_duration();
        self.metrics.batch_size.observe(size as f64);
        self.metrics.commits_applied.inc_by(outcome.applied as u64);
        self.metrics.quarantined.inc_by(outcome.quarantined as u64);
        self.metrics.checkpoint.set(outcome.checkpoint as i64);
        if durable {
            self.metrics
                .durable_checkpoint
                .set(outcome.checkpoint as i64);
        }
        self.metrics.lag_commits.set(pending as i64);
        // The age of the oldest commit still waiting is sampled by `health::watch`.
        if pending == 0 {
            self.metrics.lag_seconds.set(0);
        }
        self.health.advanced();
        tracing::debug!(
            seq = outcome.checkpoint,
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
