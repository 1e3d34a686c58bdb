//! Closed-loop load: clients that each send one operation, wait for its answer and send the
//! next, for a fixed time; and the shapes every command figure uses.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// What a run of clients did.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// Operations answered as wanted.
    pub done: u64,
    /// Operations refused, by the code they were refused with.
    pub refused: Vec<(String, u64)>,
    pub elapsed: Duration,
    /// Latency of each operation, in microseconds (every one, for percentiles).
    pub latencies_us: Vec<u64>,
}

impl Outcome {
    pub fn rate(&self) -> f64 {
        self.done as f64 / self.elapsed.as_secs_f64()
    }

    pub fn refused(&self, code: &str) -> u64 {
        self.refused
            .iter()
            .filter(|(c, _)| c == code)
            .map(|(_, n)| n)
            .sum()
    }

    /// The `p`-th percentile latency in milliseconds (0 when nothing was measured).
    pub fn percentile_ms(&self, p: f64) -> f64 {
        percentile_us(&self.latencies_us, p) / 1000.0
    }
}

/// The `p`-th percentile (0 to 100) of `values`.
pub fn percentile_us(values: &[u64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    v.sort_unstable();
    let i = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
    v[i.min(v.len() - 1)] as f64
}

/// Runs `clients` loops for `duration`; client `c`'s `n`-th operation is `op(c, n)`, which says
/// whether it was done or the code it was refused with. Panics (the benchmark is wrong) on an
/// error the operation itself reports by panicking.
pub async fn closed_loop<F, Fut>(clients: usize, duration: Duration, op: F) -> Outcome
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send,
{
    let op = Arc::new(op);
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let deadline = start + duration;
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let (op, done) = (op.clone(), done.clone());
            tokio::spawn(async move {
                let mut refused: Vec<(String, u64)> = Vec::new();
                let mut latencies = Vec::new();
                let mut n = 0u64;
                while Instant::now() < deadline {
                    let t = Instant::now();
                    match op(c, n).await {
                        Ok(()) => {
                            done.fetch_add(1, Ordering::Relaxed);
                            latencies.push(t.elapsed().as_micros() as u64);
                        }
                        Err(code) => match refused.iter_mut().find(|(k, _)| *k == code) {
                            Some((_, count)) => *count += 1,
                            None => refused.push((code, 1)),
                        },
                    }
                    n += 1;
                }
                (refused, latencies)
            })
        })
        .collect();
    let mut outcome = Outcome::default();
    for task in tasks {
        let (refused, latencies) = task.await.expect("a client panicked");
        outcome.latencies_us.extend(latencies);
        for (code, n) in refused {
            match outcome.refused.iter_mut().find(|(k, _)| *k == code) {
                Some((_, count)) => *count += n,
                None => outcome.refused.push((code, n)),
            }
        }
    }
    outcome.elapsed = start.elapsed();
    outcome.done = done.load(Ordering::Relaxed);
    outcome
}

/// The command shape every write figure uses, Waymark's and the peer's alike: each thing is
/// created, then changed twice (a milestone is planned, given progress, replanned), and the next
/// operation goes to a new thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Create,
    Progress,
    Replan,
}

impl Step {
    /// The `n`-th operation of a client: which thing (its index among the client's things) and
    /// which step.
    pub fn of(n: u64) -> (u64, Step) {
        let step = match n % 3 {
            0 => Step::Create,
            1 => Step::Progress,
            _ => Step::Replan,
        };
        (n / 3, step)
    }
}
