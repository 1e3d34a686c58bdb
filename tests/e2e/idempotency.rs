//! The same command sent twice with one idempotency key is stored once and answered the same.

use serde_json::json;
use tests::{Answer, TestApp};

/// Reports progress on milestone wm/academy, always with the same key and fields.
async fn report_progress(app: &TestApp) -> Answer {
    app.post_with(
        "/api/v1/blueprints/wm/milestones/academy/report-progress",
        json!({"percent": 30, "note": "venue booked"}),
        &[("idempotency-key", "progress-2026-11-25-a")],
    )
    .await
}

#[tokio::test]
async fn a_repeated_command_is_stored_once_and_answered_the_same() {
    let mut app = TestApp::with_blueprint("wm").await;
    app.plan_milestone("wm", "academy", "2027-03-31").await;
    let first = report_progress(&app).await;
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.body["duplicate"], false);
    let last = app.last_seq().await;

    let second = report_progress(&app).await;
    assert_eq!(second.status, 200, "{second:?}");
    assert_eq!(second.body["seq"], first.body["seq"]);
    assert_eq!(second.body["events"], first.body["events"]);
    assert_eq!(second.body["duplicate"], true);
    assert_eq!(app.last_seq().await, last, "nothing new stored");

    // A service restart empties every cache; the key is still remembered from the stream.
    app.stop_stack().await;
    app.start_stack().await;
    let third = report_progress(&app).await;
    assert_eq!(third.body["seq"], first.body["seq"]);
    assert_eq!(third.body["duplicate"], true);
    assert_eq!(app.last_seq().await, last);

    let history = app
        .history_after(last, "/api/v1/blueprints/wm/milestones/academy")
        .await;
    let progress = history
        .iter()
        .filter(|h| {
            h["events"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["type"] == "milestone.progress_reported")
        })
        .count();
    assert_eq!(progress, 1);
}

#[tokio::test]
async fn a_create_repeated_with_its_key_is_not_a_conflict() {
    let app = TestApp::with_blueprint("wm").await;
    let key = [("idempotency-key", "plan-academy")];
    let body = json!({"id": "academy", "workstream": "skills", "title": "Academy", "owner": "gds", "due": "2027-03-31"});
    let ms = "/api/v1/blueprints/wm/milestones";
    let first = app.post_with(ms, body.clone(), &key).await;
    let second = app.post_with(ms, body, &key).await;
    assert_eq!(first.status, 201);
    assert_eq!(
        second.status, 200,
        "a repeat answers the original result: {second:?}"
    );
    assert_eq!(second.body["seq"], first.body["seq"]);
}
