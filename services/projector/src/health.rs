//! Whether projection keeps up, measured from outside the batch loop: a watcher samples the stream
//! and the checkpoint every second, so lag is true while the projector is idle or stuck, and a
//! projector that applies nothing while commits wait is reported as stalled (readiness fails, the
//! `waymark_projector_stalled` gauge turns 1) with the last error it met.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use eventstore::StreamReader;
use redb::Database;
use tokio::sync::watch;

use crate::metrics::ProjectorMetrics;

/// How long the checkpoint may stand still while commits wait before projection counts as stalled.
pub const DEFAULT_STALL_AFTER: Duration = Duration::from_secs(30);

/// How often the watcher samples.
const SAMPLE_EVERY: Duration = Duration::from_secs(1);

/// What the watcher last found, shared with readiness.
#[derive(Clone, Default)]
pub struct Health {
    state: Arc<Mutex<State>>,
}

#[derive(Default)]
struct State {
    last_error: Option<String>,
    stalled: Option<String>,
}

impl Health {
    /// Why projection is stalled, when it is.
    pub fn stalled(&self) -> Option<String> {
        self.state.lock().expect("health lock").stalled.clone()
    }

    /// The projector met `error` and will try again from its checkpoint.
    pub fn failed(&self, error: impl std::fmt::Display) {
        self.state.lock().expect("health lock").last_error = Some(error.to_string());
    }

    /// A batch landed: the last error no longer describes the projector.
    pub fn advanced(&self) {
        self.state.lock().expect("health lock").last_error = None;
    }

    fn set_stalled(&self, stalled: Option<String>) {
        let mut state = self.state.lock().expect("health lock");
        state.stalled = stalled.map(|why| match &state.last_error {
            Some(error) => format!("{why}; last error: {error}"),
            None => why,
        });
    }
}

/// Samples lag, stalls and the quarantine every second until `stop` turns true.
pub async fn watch(
    models: Arc<crate::models::ReadModels>,
    stream: StreamReader,
    metrics: ProjectorMetrics,
    checkpoint: watch::Receiver<u64>,
    health: Health,
    stall_after: Duration,
    mut stop: watch::Receiver<bool>,
) {
    let mut seen = (*checkpoint.borrow(), Instant::now());
    loop {
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tokio::time::sleep(SAMPLE_EVERY) => {},
        }
        let now = *checkpoint.borrow();
        if now != seen.0 {
            seen = (now, Instant::now());
        }
        if let Err(e) = sample(
            &models.current(),
            &stream,
            &metrics,
            now,
            seen.1,
            &health,
            stall_after,
        )
        .await
        {
            tracing::warn!(error = %e, "failed to measure projection lag");
            health.failed(format!("cannot measure lag: {e}"));
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum SampleError {
    #[error(transparent)]
    Store(#[from] eventstore::StoreError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

async fn sample(
    db: &Database,
    stream: &StreamReader,
    metrics: &ProjectorMetrics,
    checkpoint: u64,
    still_since: Instant,
    health: &Health,
    stall_after: Duration,
) -> Result<(), SampleError> {
    let (open, voided) = crate::quarantine_counts(db)?;
    metrics.quarantine_open.set(open as i64);
    metrics.quarantine_voided.set(voided as i64);
    let last = stream.stream_last_seq().await?;
    metrics.stream_last_seq.set(last as i64);
    let waiting = last.saturating_sub(checkpoint);
    metrics.lag_commits.set(waiting as i64);
    if waiting == 0 {
        metrics.lag_seconds.set(0);
        metrics.stalled.set(0);
        health.set_stalled(None);
        return Ok(());
    }
    // The oldest commit not yet applied is the one after the checkpoint (the stream deletes none).
    if let Some(oldest) = stream.message_at(checkpoint + 1).await? {
        metrics
            .lag_seconds
            .set((Utc::now().timestamp() - oldest.published_unix).max(0));
    }
    let still = still_since.elapsed();
    if still >= stall_after {
        metrics.stalled.set(1);
        health.set_stalled(Some(format!(
            "the projector has applied nothing for {}s while {waiting} commits wait (checkpoint \
             {checkpoint}, stream at {last})",
            still.as_secs()
        )));
    } else {
        metrics.stalled.set(0);
        health.set_stalled(None);
    }
    Ok(())
}
