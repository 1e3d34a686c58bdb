//! The projector resumes at its checkpoint after a restart, and quarantines what it cannot read.

use proto::{Commit, MilestoneProgressReported};
use serde_json::json;
use tests::TestApp;

fn progress_commit(bp: &str, id: &str, key: &str, percent: u8) -> Commit {
    let note = key.to_owned();
    let progress = MilestoneProgressReported { percent, note };
    tests::commit(tests::milestone(bp, id), key, &[progress.into()])
}

#[tokio::test]
async fn a_restarted_projector_resumes_at_its_checkpoint() {
    let mut app = TestApp::with_blueprint("wm").await;
    app.plan_milestone("wm", "a", "2027-03-31").await;
    let b = app.plan_milestone("wm", "b", "2027-03-31").await;
    app.wait_for_checkpoint(b.seq()).await;
    let before = app.checkpoint();
    app.stop_stack().await;

    // Commits land while no projector runs.
    let store = eventstore::EventStore::open(&app.nats.config(), "test-writer")
        .await
        .unwrap();
    let one = store
        .append(&progress_commit("wm", "a", "offline-1", 10), 0)
        .await;
    assert!(
        matches!(one, Err(eventstore::AppendError::Conflict { .. })),
        "the sequence check guards offline writers too"
    );
    let a = tests::milestone("wm", "a");
    let last_a = store.reader().read_since(&a, 0).await.unwrap();
    let mut version = last_a.last().unwrap().seq;
    for (i, percent) in [10u8, 20, 30].into_iter().enumerate() {
        version = store
            .append(
                &progress_commit("wm", "a", &format!("offline-{i}"), percent),
                version,
            )
            .await
            .unwrap()
            .seq;
    }

    app.start_stack().await;
    assert!(
        app.checkpoint() >= before,
        "resumes from the stored checkpoint, not from zero"
    );
    app.wait_for_checkpoint(version).await;
    let summary = app.get_after(version, "/api/v1/blueprints/wm").await;
    assert_eq!(
        summary.body["milestones"]["planned"], 2,
        "counted once each: {:?}",
        summary.body["milestones"]
    );
    let a = app.get("/api/v1/blueprints/wm/milestones/a").await;
    assert_eq!(a.body["percent"], 30);
    assert_eq!(
        a.history().len(),
        4,
        "planned + three reports, nothing twice or skipped"
    );

    // And once more, with new writes through the API after the restart.
    let c = app.plan_milestone("wm", "c", "2027-03-31").await;
    let summary = app.get_after(c.seq(), "/api/v1/blueprints/wm").await;
    assert_eq!(summary.body["milestones"]["planned"], 3);
}

#[tokio::test]
async fn unreadable_commits_are_quarantined_and_projection_goes_on() {
    let app = TestApp::with_blueprint("wm").await;
    let garbage = app
        .publish_raw("waymark.evt.wm.milestone.garbage", b"\xc1\xc1 not msgpack")
        .await;
    // A well-formed commit whose event type no reader knows.
    let mut unknown = progress_commit("wm", "ghost", "ghost-1", 5);
    unknown.events[0].event_type = "milestone.teleported".to_owned();
    let unknown_seq = app.store().append(&unknown, 0).await.unwrap().seq;

    let later = app.plan_milestone("wm", "after", "2027-03-31").await;
    assert_eq!(later.status, 201, "{later:?}");
    let after = app
        .get_after(later.seq(), "/api/v1/blueprints/wm/milestones/after")
        .await;
    assert_eq!(after.status, 200, "later commits still project: {after:?}");

    let quarantined =
        projector::quarantined(&app.stack.as_ref().unwrap().dashboard.db.current()).unwrap();
    let seqs: Vec<u64> = quarantined.iter().map(|q| q.seq).collect();
    assert_eq!(seqs, vec![garbage, unknown_seq]);
    assert!(
        quarantined[1].reason.contains("milestone.teleported"),
        "{:?}",
        quarantined[1]
    );
    let (_, metrics) = app.get_text("/metrics").await;
    assert!(
        metrics
            .lines()
            .any(|l| l == "waymark_projector_quarantined_total 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn reapplying_a_batch_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = projector::db::open(&dir.path().join("r.redb")).unwrap();
    let registered = proto::OrganisationRegistered {
        name: "GDS".into(),
        org_type: proto::OrgType::CentralGovernment,
    };
    let org = tests::commit(tests::organisation("gds"), "k", &[registered.into()]);
    let received = tests::received(1, &org);
    let first = projector::apply_batch(&db, std::slice::from_ref(&received)).unwrap();
    let again = projector::apply_batch(&db, &[received]).unwrap();
    assert_eq!((first.applied, again.applied, again.skipped), (1, 0, 1));
    let reader = projector::read::Reader::new(&db).unwrap();
    assert_eq!(
        reader
            .history("waymark.evt._org.organisation.gds")
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn rebuild_and_verify_agree_with_the_live_read_models() {
    let mut app = TestApp::with_blueprint("wm").await;
    app.plan_milestone("wm", "a", "2027-03-31").await;
    let last = app
        .record("/api/v1/blueprints/wm/milestones/a/start", json!({}))
        .await;
    app.wait_for_checkpoint(last).await;
    let live =
        projector::offline::digest(&app.stack.as_ref().unwrap().dashboard.db.current()).unwrap();
    app.stop_stack().await;

    let stream = eventstore::StreamReader::open(&app.nats.config(), "test-offline")
        .await
        .unwrap();
    let (ours, fresh) = projector::offline::verify(&app.db_path(), &stream)
        .await
        .unwrap();
    assert_eq!(ours, live);
    assert_eq!(
        ours, fresh,
        "a fresh projection to the same checkpoint has the same digest"
    );

    let checkpoint = projector::offline::rebuild(&app.db_path(), &stream)
        .await
        .unwrap();
    assert_eq!(checkpoint, last);
    let rebuilt = projector::db::open(&app.db_path()).unwrap();
    assert_eq!(projector::offline::digest(&rebuilt).unwrap(), live);
}

#[tokio::test]
async fn acknowledged_commits_survive_a_nats_server_crash() {
    let mut app = TestApp::with_blueprint("wm").await;
    let before = app.plan_milestone("wm", "a", "2027-03-31").await.seq();

    // The server dies without warning and comes back on the same port and data folder.
    app.nats.restart().await.expect("nats-server restarts");

    // Clients reconnect by themselves; a command may need a retry while they do.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    let after = loop {
        let a = app.plan_milestone("wm", "b", "2027-03-31").await;
        if a.status == 201 || a.status == 200 {
            break a.seq();
        }
        assert_eq!(
            a.status, 503,
            "only unavailability while reconnecting: {a:?}"
        );
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reconnection in time"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(after > before);
    // The projector starts a fresh consumer as soon as its connection is back.
    app.wait_for_checkpoint(after).await;
    let summary = app.get_after(after, "/api/v1/blueprints/wm").await;
    assert_eq!(summary.status, 200, "{summary:?}");
    assert_eq!(
        summary.body["milestones"]["planned"], 2,
        "the commit acknowledged before the crash is still there"
    );
    app.stop_stack().await;
}
