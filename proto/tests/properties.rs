//! Properties of the wire format: reading never panics on any bytes, and what is written reads
//! back as it was.

use std::path::Path;

use proptest::prelude::*;
use proto::commands::{CommandEnvelope, MilestoneCommand};
use proto::{Commit, Reply};

/// Every committed golden commit, as stored.
fn golden_commits() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/v1");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .expect("golden vectors")
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    out.sort();
    assert!(out.len() > 30, "every event type has a golden commit");
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2_000))]

    /// Arbitrary bytes are refused with an error, never a panic, whatever they are read as.
    #[test]
    fn reading_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(commit) = Commit::decode(&bytes) {
            let _ = commit.bodies();
        }
        let _ = proto::decode::<Reply>(&bytes);
        let _ = proto::decode::<CommandEnvelope<MilestoneCommand>>(&bytes);
    }

    /// A stored commit with bytes changed, cut short or extended is read or refused, never a panic.
    #[test]
    fn damaged_commits_never_panic(
        which in any::<prop::sample::Index>(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..8),
        cut in any::<prop::sample::Index>(),
        tail in proptest::collection::vec(any::<u8>(), 0..16),
    ) {
        let commits = golden_commits();
        let mut bytes = commits[which.index(commits.len())].clone();
        for (at, value) in flips {
            let i = at.index(bytes.len());
            bytes[i] = value;
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        bytes.extend(tail);
        if let Ok(commit) = Commit::decode(&bytes) {
            let _ = commit.bodies();
        }
    }
}

/// Every golden commit decodes, and encoding what was read gives the same commit back.
#[test]
fn commits_round_trip() {
    for bytes in golden_commits() {
        let commit = Commit::decode(&bytes).expect("a golden commit reads");
        let bodies = commit.bodies().expect("its events read");
        let again = Commit::decode(&commit.encode().unwrap()).unwrap();
        assert_eq!(again, commit);
        assert_eq!(again.bodies().unwrap(), bodies);
        for (event, body) in commit.events.iter().zip(&bodies) {
            let rebuilt = proto::Event::new(body, event.occurred_on).unwrap();
            assert_eq!(rebuilt.body().unwrap(), *body, "{}", event.event_type);
        }
    }
}
