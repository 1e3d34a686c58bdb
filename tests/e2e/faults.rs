//! Faults a live system meets: many writers on one thing, and a stored commit no version can read.

use futures::future::join_all;
use serde_json::json;
use tests::TestApp;

/// Within one service instance, commands on one thing queue: none is refused for contention.
#[tokio::test]
async fn thirty_two_writers_on_one_milestone_through_one_instance_are_all_accepted() {
    let app = TestApp::spawn().await;
    app.given_blueprint("wm").await;
    app.plan_milestone("wm", "academy", "2027-03-31").await;
    let writes = (0..32u32).map(|i| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/blueprints/wm/milestones/academy/replan",
                json!({"to": format!("2027-04-{:02}", i % 28 + 1), "reason": format!("replan {i}")}),
            )
            .await
        }
    });
    let answers = join_all(writes).await;
    for a in &answers {
        assert_eq!(a.status, 200, "every writer is accepted: {a:?}");
    }
    let mut seqs: Vec<u64> = answers.iter().map(|a| a.seq()).collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), 32, "each has its own commit");
    let (_, metrics) = app.get_text("/metrics").await;
    let conflicts = metrics.lines().find(|l| {
        l.starts_with("waymark_sequence_conflicts_total{service=\"waymark-milestones\"}")
    });
    assert!(
        conflicts.is_none_or(|l| l.ends_with(" 0")),
        "no append raced another in one instance: {conflicts:?}"
    );
}

/// A commit on a live thing's subject that no version can read: the thing refuses commands with
/// a permanent, named answer; readiness and a metric name it; an operator voids it and the thing
/// takes commands again, with the void in its history and in the quarantine list.
#[tokio::test]
async fn an_unreadable_commit_is_named_and_an_operator_voids_it() {
    let app = TestApp::spawn().await;
    app.given_blueprint("wm").await;
    app.plan_milestone("wm", "academy", "2027-03-31").await;
    let subject = "waymark.evt.wm.milestone.academy";
    let garbage = app.publish_raw(subject, b"\xc1\xc1 not msgpack").await;
    let replan = || {
        app.post(
            "/api/v1/blueprints/wm/milestones/academy/replan",
            json!({"to": "2027-06-30", "reason": "the hub opens later"}),
        )
    };

    let refused = replan().await;
    assert_eq!(
        refused.status, 409,
        "a permanent refusal, not a retry: {refused:?}"
    );
    assert_eq!(refused.body["code"], "thing.unreadable");
    let detail = refused.body["detail"].as_str().unwrap();
    assert!(detail.contains("milestone wm/academy"), "{detail}");
    assert!(
        !detail.contains("waymark.evt") && !detail.contains(&garbage.to_string()),
        "no internal subject or sequence reaches the client: {detail}"
    );
    assert!(refused.header("retry-after").is_none(), "{refused:?}");

    let (status, ready) = app.get_text("/readyz").await;
    assert_eq!(status, 503, "{ready}");
    assert!(
        ready.contains(&format!("commit {garbage} on {subject}")),
        "{ready}"
    );
    let gauge = format!(
        "waymark_unreadable_commits{{seq=\"{garbage}\",service=\"waymark-milestones\",subject=\"{subject}\"}} 1"
    );
    let (_, metrics) = app.get_text("/metrics").await;
    assert!(metrics.lines().any(|l| l == gauge), "{metrics}");

    // The operator's view: the projector quarantined it too.
    app.wait_for_checkpoint(garbage).await;
    let listed = app.get("/api/v1/admin/quarantine").await;
    assert_eq!(listed.status, 200, "{listed:?}");
    assert_eq!(listed.body[0]["seq"], garbage);
    assert_eq!(listed.body[0]["subject"], subject);
    assert!(listed.body[0]["voided"].is_null());
    gauge_turns(&app, "waymark_projector_quarantine_open", 1).await;
    let not_operator = app
        .get_as(Some(&app.tokens.recorder), "/api/v1/admin/quarantine")
        .await;
    assert_eq!(not_operator.status, 403, "{not_operator:?}");

    // Only an unreadable commit that exists may be voided.
    let void = |seq: u64, body: serde_json::Value| {
        let app = &app;
        async move {
            app.post(&format!("/api/v1/admin/quarantine/{seq}/void"), body)
                .await
        }
    };
    let readable = void(garbage - 1, json!({"reason": "mistake"})).await;
    assert_eq!(readable.status, 409, "{readable:?}");
    assert_eq!(readable.body["code"], "void.commit_readable");
    let missing = void(garbage + 1000, json!({"reason": "mistake"})).await;
    assert_eq!(missing.status, 404, "{missing:?}");
    let no_reason = void(garbage, json!({})).await;
    assert_eq!(no_reason.status, 422, "{no_reason:?}");
    assert_eq!(no_reason.body["field"], "reason", "{no_reason:?}");
    let recorder = app
        .post_as(
            Some(&app.tokens.recorder),
            &format!("/api/v1/admin/quarantine/{garbage}/void"),
            json!({"reason": "not mine to do"}),
        )
        .await;
    assert_eq!(recorder.status, 403, "{recorder:?}");

    let voided = void(garbage, json!({"reason": "bytes from a broken publisher"})).await;
    assert_eq!(voided.status, 200, "{voided:?}");
    assert_eq!(voided.body["events"], json!(["commit.voided"]));
    let again = void(garbage, json!({"reason": "bytes from a broken publisher"})).await;
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(
        again.seq(),
        voided.seq(),
        "a second void answers with the first"
    );

    let accepted = replan().await;
    assert_eq!(
        accepted.status, 200,
        "the thing takes commands again: {accepted:?}"
    );
    let (status, ready) = app.get_text("/readyz").await;
    assert_eq!(status, 200, "{ready}");
    let (_, metrics) = app.get_text("/metrics").await;
    assert!(
        !metrics.contains("waymark_unreadable_commits{"),
        "{metrics}"
    );

    let m = app
        .get(&format!(
            "/api/v1/blueprints/wm/milestones/academy?min_seq={}",
            accepted.seq()
        ))
        .await;
    assert_eq!(m.body["forecast"], "2027-06-30", "{m:?}");
    let summaries: Vec<&str> = m.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["events"].as_array().unwrap())
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert!(
        summaries.contains(&&*format!(
            "Passed over change #{garbage}, which cannot be read: bytes from a broken publisher"
        )),
        "{summaries:?}"
    );
    let listed = app.get("/api/v1/admin/quarantine").await;
    assert_eq!(
        listed.body[0]["voided"]["by_seq"],
        voided.seq(),
        "{listed:?}"
    );
    assert_eq!(listed.body[0]["voided"]["actor"], "test-admin");
    gauge_turns(&app, "waymark_projector_quarantine_open", 0).await;
    gauge_turns(&app, "waymark_projector_quarantine_voided", 1).await;
}

/// Waits up to 20 s for `/readyz` to answer `status`; returns its text.
async fn readiness_turns(app: &TestApp, status: u16) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (now, text) = app.get_text("/readyz").await;
        if now == status {
            return text;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "readiness stayed {now}: {text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Waits up to 5 s for the gauge `name` to read `value`.
async fn gauge_turns(app: &TestApp, name: &str, value: i64) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let (_, metrics) = app.get_text("/metrics").await;
        if metric(&metrics, name) == value {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{name} is not {value}: {metrics}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

fn metric(metrics: &str, name: &str) -> i64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {metrics}"))
}

/// A read model that cannot be decoded stops every batch that touches it. Readiness fails and says
/// why, and lag keeps being measured while nothing lands; once the row is repaired projection
/// resumes where it stopped, without losing the waiting commit.
#[tokio::test]
async fn a_stalled_projector_fails_readiness_and_lag_keeps_growing() {
    use redb::ReadableTable;
    let app = TestApp::spawn_with(|c| c.stall_after_ms = 300).await;
    app.given_blueprint("wm").await;
    let db = app.stack.as_ref().unwrap().dashboard.db.current();
    let good: Vec<u8> = {
        let txn = db.begin_write().unwrap();
        let good = {
            let mut table = txn.open_table(projector::db::BLUEPRINTS).unwrap();
            let good = table.get("wm").unwrap().unwrap().value().to_vec();
            table.insert("wm", b"\xc1 not a view".as_slice()).unwrap();
            good
        };
        txn.commit().unwrap();
        good
    };

    let planned = app.plan_milestone("wm", "academy", "2027-03-31").await;
    assert_eq!(
        planned.status, 201,
        "commands do not wait for the read side: {planned:?}"
    );
    let why = readiness_turns(&app, 503).await;
    assert!(why.contains("applied nothing"), "{why}");
    assert!(why.contains("last error"), "the reason is given: {why}");
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let (_, metrics) = app.get_text("/metrics").await;
    for (name, stuck) in [
        ("waymark_projector_stalled", 1),
        ("waymark_projector_lag_commits", 1),
    ] {
        assert_eq!(metric(&metrics, name), stuck, "{name}: {metrics}");
    }
    assert!(
        metric(&metrics, "waymark_projector_lag_seconds") >= 2,
        "lag is the age of the waiting commit, measured while stalled: {metrics}"
    );
    assert_eq!(
        metric(&metrics, "waymark_projector_stream_last_seq"),
        planned.seq() as i64
    );

    {
        let txn = db.begin_write().unwrap();
        txn.open_table(projector::db::BLUEPRINTS)
            .unwrap()
            .insert("wm", good.as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    app.wait_for_checkpoint(planned.seq()).await;
    readiness_turns(&app, 200).await;
    let m = app
        .get(&format!(
            "/api/v1/blueprints/wm/milestones/academy?min_seq={}",
            planned.seq()
        ))
        .await;
    assert_eq!(m.status, 200, "the waiting commit was applied: {m:?}");
    let (_, metrics) = app.get_text("/metrics").await;
    for name in ["waymark_projector_stalled", "waymark_projector_lag_seconds"] {
        assert_eq!(metric(&metrics, name), 0, "{name}: {metrics}");
    }
}

/// Reads asking for a commit past the end of the stream share their checks of the stream's end:
/// a flood of them, anonymous and concurrent, makes far fewer requests to NATS than reads.
#[tokio::test]
async fn a_flood_of_reads_past_the_end_shares_its_checks() {
    use futures::StreamExt;
    let app = TestApp::spawn().await;
    app.given_blueprint("wm").await;
    let requests = || async {
        let (_, metrics) = app.get_text("/metrics").await;
        metric(&metrics, "waymark_stream_end_requests_total")
    };
    let before = requests().await;
    let reads = 400;
    let answers: Vec<_> = futures::stream::iter(0..reads)
        .map(|i| {
            let app = &app;
            async move {
                app.get_as(
                    None,
                    &format!("/api/v1/blueprints/wm?min_seq={}", 1_000_000 + i),
                )
                .await
            }
        })
        .buffer_unordered(50)
        .collect()
        .await;
    for a in &answers {
        assert_eq!(a.status, 400, "{a:?}");
        assert_eq!(a.body["code"], "read.min_seq_ahead");
    }
    let made = requests().await - before;
    assert!(
        made <= reads / 5,
        "{made} requests to NATS for {reads} reads: concurrent reads share one"
    );
    // A write is seen at once by a read that names it, with no wait for the shared check.
    let planned = app.plan_milestone("wm", "academy", "2027-03-31").await;
    let read = app
        .get_as(
            None,
            &format!(
                "/api/v1/blueprints/wm/milestones/academy?min_seq={}",
                planned.seq()
            ),
        )
        .await;
    assert_eq!(read.status, 200, "{read:?}");
}

/// A commit the projector could not apply when it came (here: a milestone of a blueprint the read
/// models did not have yet; after an upgrade, usually one it could not read) is applied by a
/// replay once it can be, without a rebuild. One with later commits on its thing stays, saying a
/// rebuild is needed.
#[tokio::test]
async fn a_replay_applies_quarantined_commits_that_now_apply() {
    use proto::{EventBody, MilestonePlanned, MilestoneStarted};
    let app = TestApp::spawn().await;
    app.given_blueprint("wm").await;
    let plan = || -> EventBody {
        MilestonePlanned {
            workstream: "skills".parse().unwrap(),
            title: "Arrived before its blueprint".into(),
            owner: "gds".parse().unwrap(),
            depends_on: vec![],
            due: "2027-03-31".parse().unwrap(),
        }
        .into()
    };
    let early = |id: &str, key: &str| tests::commit(tests::milestone("late", id), key, &[plan()]);
    let early_seq = app.append(&early("early", "e-1"), 0).await;
    let next_seq = app.append(&early("next", "n-1"), 0).await;
    // On a live milestone: bytes no version reads, then a commit that applies after them.
    let planned = app
        .plan_milestone("wm", "academy", "2027-03-31")
        .await
        .seq();
    let blocked_seq = app
        .publish_raw("waymark.evt.wm.milestone.academy", b"\xc1")
        .await;
    let later = tests::commit(
        tests::milestone("wm", "academy"),
        "a-2",
        &[MilestoneStarted {}.into()],
    );
    let later_seq = app.append(&later, blocked_seq).await;
    assert!(planned < blocked_seq);
    app.wait_for_checkpoint(later_seq).await;
    let listed = app.get("/api/v1/admin/quarantine").await;
    assert_eq!(listed.body.as_array().unwrap().len(), 3, "{listed:?}");

    // The blueprint arrives.
    app.given_blueprint("late").await;

    // Only what is asked for is tried.
    let one = app
        .post(
            "/api/v1/admin/quarantine/replay",
            json!({"seqs": [next_seq]}),
        )
        .await;
    assert_eq!(one.status, 200, "{one:?}");
    assert_eq!(one.body.as_array().unwrap().len(), 1, "{one:?}");
    assert_eq!(one.body[0]["applied"], true, "{one:?}");
    let unknown = app
        .post("/api/v1/admin/quarantine/replay", json!({"seq": 1}))
        .await;
    assert_eq!(unknown.status, 422, "{unknown:?}");

    let replayed = app.post("/api/v1/admin/quarantine/replay", json!({})).await;
    assert_eq!(replayed.status, 200, "{replayed:?}");
    let by_seq = |seq: u64| {
        replayed
            .body
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["seq"] == seq)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_seq(early_seq)["applied"], true, "{replayed:?}");
    assert_eq!(by_seq(blocked_seq)["applied"], false, "{replayed:?}");
    assert!(
        by_seq(blocked_seq)["reason"]
            .as_str()
            .unwrap()
            .contains("rebuild"),
        "{replayed:?}"
    );
    let m = app.get("/api/v1/blueprints/late/milestones/early").await;
    assert_eq!(m.status, 200, "the replayed milestone is there: {m:?}");
    let listed = app.get("/api/v1/admin/quarantine").await;
    let left: Vec<u64> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(left, [blocked_seq], "{listed:?}");
    gauge_turns(&app, "waymark_projector_quarantine_open", 1).await;
}

/// A request that does not finish in time is answered 408 and its connection freed: here a body
/// that stops arriving half way.
#[tokio::test]
async fn a_request_that_takes_too_long_is_cut_off() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::spawn_with(|c| c.request_timeout_ms = 300).await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/v1/blueprints HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"id\": ",
        app.admin_token
    );
    socket.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(20),
        socket.read_to_end(&mut answer),
    )
    .await;
    assert!(
        read.is_ok(),
        "the server answered and closed the connection"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}
