//! Benchmarks of the write path and the projector, each reported as a ratio against a raw
//! baseline measured in the same run on the same machine (medians of several rounds, since the
//! machine is shared and noisy):
//!
//! - command path: a progress report sent as a NATS request to the milestones service, decided
//!   and appended, against a bare JetStream publish-and-ack of a message of the same size;
//! - HTTP path: the same command through the dashboard's JSON API;
//! - projection: applying commits to the read models in batches, against inserting the same
//!   number of same-sized values into a bare redb table in batches of the same size.

use std::time::{Duration, Instant};

use proto::{Commit, MilestoneAction, MilestoneCommand, MilestoneProgressReported, ThingRef};
use serde_json::json;
use tests::TestApp;

const ROUNDS: usize = 5;
const OPS: usize = 300;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn per_op(total: Duration, ops: usize) -> Duration {
    total / ops as u32
}

fn report(name: &str, subject: Duration, baseline: Duration) {
    println!(
        "{name:<28} {:>10.1} µs/op  baseline {:>8.1} µs/op  ratio {:>6.2}x",
        subject.as_secs_f64() * 1e6,
        baseline.as_secs_f64() * 1e6,
        subject.as_secs_f64() / baseline.as_secs_f64()
    );
}

fn progress_commit(key: &str) -> Commit {
    let progress = MilestoneProgressReported {
        percent: 50,
        note: "bench".into(),
    };
    tests::commit(tests::milestone("bench", "m"), key, &[progress.into()])
}

#[tokio::main]
async fn main() {
    let app = TestApp::with_blueprint("bench").await;
    app.plan_milestone("bench", "m", "2030-01-01").await;
    app.start_milestone("bench", "m").await;
    let client = app.store().client().clone();
    let js = app.jetstream();
    let payload_len = progress_commit("k-000000").encode().unwrap().len();
    let payload = bytes::Bytes::from(vec![0x90u8; payload_len]);

    let (mut raw, mut command, mut http) = (Vec::new(), Vec::new(), Vec::new());
    let mut n = 0usize;
    for round in 0..ROUNDS {
        let start = Instant::now();
        for _ in 0..OPS {
            js.publish(
                format!("waymark.evt.bench-raw.milestone.r{round}"),
                payload.clone(),
            )
            .await
            .unwrap()
            .await
            .unwrap();
        }
        raw.push(per_op(start.elapsed(), OPS));

        let start = Instant::now();
        for _ in 0..OPS {
            n += 1;
            let envelope = tests::envelope(
                format!("bench-{n}"),
                MilestoneCommand {
                    blueprint: "bench".parse().unwrap(),
                    milestone: "m".parse().unwrap(),
                    action: MilestoneAction::ReportProgress {
                        percent: (n % 100) as u32,
                        note: "bench".into(),
                    },
                },
            );
            let reply = client
                .request(
                    "waymark.cmd.milestone",
                    proto::encode(&envelope).unwrap().into(),
                )
                .await
                .unwrap();
            assert!(matches!(
                proto::decode::<proto::Reply>(&reply.payload).unwrap(),
                proto::Reply::Accepted(_)
            ));
        }
        command.push(per_op(start.elapsed(), OPS));

        let start = Instant::now();
        for i in 0..OPS {
            let a = app
                .post(
                    "/api/v1/blueprints/bench/milestones/m/report-progress",
                    json!({"percent": i % 100, "note": "bench"}),
                )
                .await;
            assert_eq!(a.status, 200);
        }
        http.push(per_op(start.elapsed(), OPS));
    }
    let raw = median(raw);
    println!(
        "Waymark benchmarks: medians of {ROUNDS} rounds of {OPS} sequential operations; commit size {payload_len} bytes"
    );
    report("command via NATS", median(command), raw);
    report("command via HTTP", median(http), raw);

    // Projection against bare redb inserts, both in batches of projector::MAX_BATCH.
    let dir = tempfile::tempdir().unwrap();
    let (mut projected, mut inserted) = (Vec::new(), Vec::new());
    let commits = 5_000usize;
    let table: redb::TableDefinition<u64, &[u8]> = redb::TableDefinition::new("raw");
    for round in 0..ROUNDS {
        let db = projector::db::open(&dir.path().join(format!("p{round}.redb"))).unwrap();
        // A blueprint and a milestone first, so progress reports apply.
        let setup = app
            .stream()
            .read_since(&ThingRef::blueprint(&"bench".parse().unwrap()), 0)
            .await
            .unwrap();
        let registered = proto::OrganisationRegistered {
            name: "GDS".into(),
            org_type: proto::OrgType::CentralGovernment,
        };
        let org = tests::commit(tests::organisation("gds"), "org", &[registered.into()]);
        let milestone = tests::milestone("bench", "m");
        let planned = app.stream().read_since(&milestone, 0).await.unwrap();
        let first: Vec<&Commit> = std::iter::once(&org)
            .chain(setup.iter().map(|s| s.commit.as_ref().unwrap()))
            .chain([planned[0].commit.as_ref().unwrap()])
            .collect();
        let batch: Vec<projector::Received> = (1..)
            .zip(&first)
            .map(|(seq, commit)| tests::received(seq, commit))
            .collect();
        projector::apply_batch(&db, &batch).unwrap();
        let seq = batch.len() as u64;
        let work: Vec<projector::Received> = (0..commits)
            .map(|i| tests::received(seq + 1 + i as u64, &progress_commit(&format!("k-{i:06}"))))
            .collect();
        let start = Instant::now();
        for chunk in work.chunks(projector::MAX_BATCH) {
            projector::apply_batch(&db, chunk).unwrap();
        }
        projected.push(per_op(start.elapsed(), commits));

        let raw_db = redb::Database::create(dir.path().join(format!("raw{round}.redb"))).unwrap();
        let start = Instant::now();
        for chunk in work.chunks(projector::MAX_BATCH) {
            let txn = raw_db.begin_write().unwrap();
            {
                let mut t = txn.open_table(table).unwrap();
                for r in chunk {
                    t.insert(r.seq, r.payload.as_ref()).unwrap();
                }
            }
            txn.commit().unwrap();
        }
        inserted.push(per_op(start.elapsed(), commits));
    }
    report(
        "projection (per commit)",
        median(projected),
        median(inserted),
    );
}
