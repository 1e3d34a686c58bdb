//! The read side crashes again and again: a dashboard replica (the binary operators run, with its
//! projector) on its own redb file is killed without warning (SIGKILL) at moments picked at random
//! while a realistic stream of commits comes in, and started again each time on the same file.
//! Once it has caught up, its read models must equal a fresh projection of the stream
//! (`projector::offline::verify`, what `waymark-projector verify` runs), every commit must be in
//! them once, and exactly the unreadable commits must be quarantined.

use std::collections::HashSet;
use std::time::Duration;

use futures::StreamExt;
use redb::{ReadableDatabase, ReadableTable};
use tests::cluster::{TestCluster, open_store};
use tests::evidence::{Run, random_below, size};
use tests::workload::{self, Workload};
use tests::{Deadline, servers};
use tokio::sync::watch;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_side_killed_again_and_again_ends_equal_to_a_fresh_rebuild() {
    let binary = servers::current();
    let cluster = TestCluster::start(&binary, 1).await;
    let store = open_store(&cluster.config(), "test-writer").await;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("read-models.redb");
    let mut replica = crate::start_replica(&cluster, db.clone(), dir.path(), 30_000);
    let plan = Workload {
        name: String::new(),
        blueprints: size(3, 8),
        writers: 4,
        commits: size(5_000, 100_000),
        unreadable_every: size(1_000, 10_000),
    };
    let kills: u64 = size(5, 20);
    let mut run = Run::new("read side killed", cluster.describe(), &binary.version);

    let (progress, mut written_so_far) = watch::channel(0u64);
    let writing = {
        let (store, plan) = (store.clone(), plan.clone());
        tokio::spawn(async move { workload::write(&store, &plan, &progress).await })
    };
    let mut moments: Vec<u64> = (0..kills)
        .map(|_| plan.commits / 20 + random_below(plan.commits * 18 / 20))
        .collect();
    moments.sort_unstable();
    let (mut while_writing, mut mid_projection) = (0, 0);
    let mut checkpoint_at_last_kill = 0i64;
    for (i, moment) in moments.into_iter().enumerate() {
        tokio::time::timeout(
            Duration::from_secs(600),
            written_so_far.wait_for(|n| *n >= moment),
        )
        .await
        .expect("the workload keeps writing")
        .ok();
        // Two kills in three wait until the replica is projecting again (its checkpoint moved
        // past the last kill's) and land a random moment into it; the third lands wherever the
        // replica is, often while it opens and repairs its file.
        if i % 3 != 2 {
            replica
                .wait_for_checkpoint_where(
                    |cp| cp > checkpoint_at_last_kill,
                    Deadline::after(Duration::from_secs(300), Duration::from_millis(20)),
                    || "the replica made no progress after a restart".to_owned(),
                )
                .await;
            tokio::time::sleep(Duration::from_millis(random_below(250))).await;
            mid_projection += 1;
        }
        if let Some(cp) = replica.metric("waymark_projector_checkpoint").await {
            checkpoint_at_last_kill = cp;
        }
        if !writing.is_finished() {
            while_writing += 1;
        }
        replica.kill().await;
        run.faults += 1;
        replica.restart();
    }
    let written = writing.await.expect("the workload finished");
    replica
        .wait_for_checkpoint(written.last_seq, Duration::from_secs(size(300, 1_800)))
        .await;
    let log = replica.log();
    assert!(!log.contains("panicked"), "the replica panicked:\n{log}");
    // redb lets one process open a file: the replica is stopped (killed once more) to compare,
    // once what it projected is on disk.
    replica.wait_until_durable(written.last_seq).await;
    replica.kill().await;

    let reader = store.reader();
    let (ours, fresh) = projector::offline::verify(&db, reader)
        .await
        .expect("verify runs");
    if ours != fresh {
        run.note.push_str(&format!(
            "read models {ours} differ from a fresh projection {fresh}; "
        ));
        run.unexpected += 1;
    }

    // Every commit in the stream is in the read models once: a history entry for each readable
    // one, a quarantine entry for each unreadable one, and nothing else.
    let database = projector::db::open(&db).expect("read models open");
    let checkpoint = projector::db::checkpoint(&database).unwrap();
    let (history, quarantined) = {
        let txn = database.begin_read().unwrap();
        let history = keys(&txn, projector::db::HISTORY, |(_, subject, seq)| {
            (subject.to_owned(), seq)
        });
        let quarantined = keys(&txn, projector::db::QUARANTINE, |seq| seq);
        (history, quarantined)
    };
    let mut follow = reader.follow(1).await.expect("follow the stream");
    let mut readable = 0u64;
    let mut unreadable_seen = 0u64;
    while let Some(received) = tokio::time::timeout(Duration::from_secs(30), follow.next())
        .await
        .expect("the stream is read back in time")
    {
        let received = received.expect("a commit");
        run.checked += 1;
        if received.subject.contains(".ghost-") {
            unreadable_seen += 1;
            if !quarantined.contains(&received.seq) {
                run.lost += 1;
            }
        } else {
            readable += 1;
            if !history.contains(&(received.subject.clone(), received.seq)) {
                run.lost += 1;
            }
            if quarantined.contains(&received.seq) {
                run.unexpected += 1;
            }
        }
        if received.seq >= written.last_seq {
            break;
        }
    }
    run.doubled = (history.len() as u64).saturating_sub(readable);
    run.quarantined_expected = unreadable_seen;
    run.quarantined_found = quarantined.len() as u64;
    if checkpoint != written.last_seq || written.unreadable != unreadable_seen {
        run.unexpected += 1;
        run.note.push_str(&format!(
            "checkpoint {checkpoint} for a stream ending at {}, {} unreadable commits written, {unreadable_seen} read back; ",
            written.last_seq, written.unreadable
        ));
    }
    run.note.push_str(&format!(
        "{} commits over {} blueprints from {} writers; {kills} kills, {while_writing} while \
         commits were still being written, {mid_projection} a random moment into projection, the \
         rest wherever the replica was (often opening its file); final digest equals a fresh \
         rebuild: {}",
        written.commits,
        plan.blueprints,
        plan.writers,
        ours == fresh
    ));
    run.finish();
}

/// Every key of `table`, each made owned by `owned`.
fn keys<K: redb::Key + 'static, T: Eq + std::hash::Hash>(
    txn: &redb::ReadTransaction,
    table: redb::TableDefinition<K, &[u8]>,
    owned: impl for<'a> Fn(K::SelfType<'a>) -> T,
) -> HashSet<T> {
    txn.open_table(table)
        .unwrap()
        .iter()
        .unwrap()
        .map(|entry| owned(entry.unwrap().0.value()))
        .collect()
}
