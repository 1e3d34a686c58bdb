//! The stream's last sequence as a shared, coalesced read.
//!
//! A reader that passes `min_seq` past the checkpoint must learn whether that commit exists, which
//! costs a JetStream request. Asked directly, a flood of such reads (anonymous ones included) would
//! compete with appends for the server. [`StreamEnd`] answers from what it already knows when that
//! is enough (the last sequence seen, raised by every acknowledged write and every read), and
//! otherwise makes callers share one request: every caller waiting when a request starts is answered
//! by it, and requests start at least `gap` apart. A caller is always answered with a value read
//! after it asked, or one already at least what it asked for, so a commit acknowledged before the
//! call is never reported missing.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use eventstore::{StoreError, StreamReader};

pub struct StreamEnd {
    reader: StreamReader,
    known: AtomicU64,
    /// When the last successful request started.
    last_start: Mutex<Option<Instant>>,
    gap: Duration,
    requests: prometheus::IntCounter,
}

impl StreamEnd {
    /// A coalescing reader of `reader`'s stream end, its requests at least `gap` apart and counted
    /// in `requests`.
    pub fn new(reader: StreamReader, gap: Duration, requests: prometheus::IntCounter) -> Self {
        Self {
            reader,
            known: AtomicU64::new(0),
            last_start: Mutex::new(None),
            gap,
            requests,
        }
    }

    /// A commit at `seq` is known to exist (a write was acknowledged with it, or it was applied).
    pub fn saw(&self, seq: u64) {
        self.known.fetch_max(seq, Ordering::Relaxed);
    }

    /// The stream's last sequence, when that is at least `seq`; otherwise the last sequence read
    /// from the server after this call began (smaller than `seq`: no such commit yet).
    pub async fn at_least(&self, seq: u64) -> Result<u64, StoreError> {
        let known = self.known.load(Ordering::Relaxed);
        if known >= seq {
            return Ok(known);
        }
        let asked = Instant::now();
        let mut last_start = self.last_start.lock().await;
        if let Some(start) = *last_start {
            if start >= asked {
                // A request that began after this call has answered meanwhile.
                return Ok(self.known.load(Ordering::Relaxed));
            }
            tokio::time::sleep_until(start + self.gap).await;
        }
        let start = Instant::now();
        self.requests.inc();
        let last = self.reader.stream_last_seq().await?;
        *last_start = Some(start);
        self.known.fetch_max(last, Ordering::Relaxed);
        Ok(self.known.load(Ordering::Relaxed))
    }
}
