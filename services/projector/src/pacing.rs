//! When the live projector writes a batch, and when it waits for the disk.
//!
//! A redb write transaction costs about the same whether it carries one commit or a dozen (it
//! rewrites the path from every touched table's root and the table tree), and a durable one adds
//! a flush of every page it wrote. A projector at the end of the stream would otherwise write one
//! durable transaction per command. So, once caught up, it starts at most one transaction per
//! [`GATHER`] (commits arriving meanwhile go in the same batch) and commits without waiting for
//! the disk, making everything durable at most [`DURABLE_WITHIN`] after the first commit that is
//! not. Far behind the stream, every [`DURABLE_EVERY`]th batch is durable as well.

use std::time::{Duration, Instant};

/// Once caught up, the shortest time from the start of one transaction to the start of the next.
/// Commits that arrive meanwhile wait and go in one batch; a commit arriving after a quiet spell
/// is written at once.
pub const GATHER: Duration = Duration::from_millis(1);

/// The longest a commit stays projected but not yet on disk: after it, the next batch is durable,
/// or, if none comes, a durable commit of nothing ([`crate::db::persist`]) is made.
pub const DURABLE_WITHIN: Duration = Duration::from_millis(200);

/// Batches in a row the projector may commit without waiting for the disk while it catches up;
/// the next is durable. The checkpoint is in the same transaction as the views, so commits lost
/// to a crash are projected again from the durable checkpoint: nothing is lost or applied twice.
pub const DURABLE_EVERY: usize = 32;

/// The live projector's record of its last transactions.
#[derive(Debug, Default)]
pub struct Pacing {
    /// When the last transaction started.
    last_start: Option<Instant>,
    /// Batches committed without waiting for the disk since the last durable commit.
    undurable: usize,
    /// When the first of them was committed.
    undurable_since: Option<Instant>,
}

impl Pacing {
    /// Until when a batch that leaves the projector `caught_up` waits for more commits.
    pub fn gather_until(&self, caught_up: bool, now: Instant) -> Option<Instant> {
        let at = self.last_start? + GATHER;
        (caught_up && at > now).then_some(at)
    }

    /// Records that a batch starts at `now`; whether it must be committed durably.
    pub fn start(&mut self, caught_up: bool, now: Instant) -> bool {
        self.last_start = Some(now);
        let overdue = self
            .undurable_since
            .is_some_and(|since| now.duration_since(since) >= DURABLE_WITHIN);
        let durable = overdue || (!caught_up && self.undurable + 1 >= DURABLE_EVERY);
        if durable {
            self.persisted();
        } else {
            self.undurable += 1;
            self.undurable_since.get_or_insert(now);
        }
        durable
    }

    /// When a durable commit of nothing is due, if no batch comes before it.
    pub fn persist_at(&self) -> Option<Instant> {
        self.undurable_since.map(|since| since + DURABLE_WITHIN)
    }

    /// Records a durable commit: nothing is waiting for the disk.
    pub fn persisted(&mut self) {
        self.undurable = 0;
        self.undurable_since = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caught_up_batches_wait_for_the_disk_only_once_the_first_undurable_one_is_old() {
        let t0 = Instant::now();
        let mut p = Pacing::default();
        assert!(!p.start(true, t0));
        assert_eq!(p.persist_at(), Some(t0 + DURABLE_WITHIN));
        // However many caught-up batches come, none waits for the disk before the deadline...
        for i in 1..100 {
            assert!(!p.start(true, t0 + DURABLE_WITHIN * i / 100));
        }
        assert_eq!(p.persist_at(), Some(t0 + DURABLE_WITHIN));
        // ...and the first at or after it does, and clears the deadline.
        assert!(p.start(true, t0 + DURABLE_WITHIN));
        assert_eq!(p.persist_at(), None);
    }

    #[test]
    fn a_durable_commit_of_nothing_clears_the_deadline() {
        let t0 = Instant::now();
        let mut p = Pacing::default();
        p.start(true, t0);
        p.persisted();
        assert_eq!(p.persist_at(), None);
        // The next batch starts a new deadline from its own time.
        let later = t0 + DURABLE_WITHIN * 2;
        assert!(!p.start(true, later));
        assert_eq!(p.persist_at(), Some(later + DURABLE_WITHIN));
    }

    #[test]
    fn far_behind_every_durable_every_th_batch_is_durable() {
        let t0 = Instant::now();
        let mut p = Pacing::default();
        let durable: Vec<usize> = (0..3 * DURABLE_EVERY)
            .filter(|_| p.start(false, t0))
            .collect();
        assert_eq!(
            durable,
            vec![
                DURABLE_EVERY - 1,
                2 * DURABLE_EVERY - 1,
                3 * DURABLE_EVERY - 1
            ]
        );
    }

    #[test]
    fn only_a_caught_up_batch_soon_after_the_last_waits_for_more() {
        let t0 = Instant::now();
        let mut p = Pacing::default();
        assert_eq!(
            p.gather_until(true, t0),
            None,
            "the first batch goes at once"
        );
        p.start(true, t0);
        let soon = t0 + GATHER / 4;
        assert_eq!(p.gather_until(true, soon), Some(t0 + GATHER));
        assert_eq!(p.gather_until(false, soon), None, "behind, it never waits");
        assert_eq!(
            p.gather_until(true, t0 + GATHER),
            None,
            "after a quiet spell"
        );
    }
}
