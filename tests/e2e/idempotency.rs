//! The same command sent twice with one idempotency key is stored once and answered the same.

use serde_json::json;
use tests::TestApp;

#[tokio::test]
async fn a_repeated_command_is_stored_once_and_answered_the_same() {
    let app = TestApp::spawn().await;
    app.given_blueprint("wm").await;
    app.plan_milestone("wm", "academy", "2027-03-31").await;
    let key = [("idempotency-key", "progress-2026-11-25-a")];
    let body = json!({"percent": 30, "note": "venue booked"});
    let first = app
        .post_with(
            "/api/v1/blueprints/wm/milestones/academy/report-progress",
            body.clone(),
            &key,
        )
        .await;
    assert_eq!(first.status, 200, "{first:?}");
    assert_eq!(first.body["duplicate"], false);
    let last = app.stream().stream_last_seq().await.unwrap();

    let second = app
        .post_with(
            "/api/v1/blueprints/wm/milestones/academy/report-progress",
            body.clone(),
            &key,
        )
        .await;
    assert_eq!(second.status, 200, "{second:?}");
    assert_eq!(second.body["seq"], first.body["seq"]);
    assert_eq!(second.body["events"], first.body["events"]);
    assert_eq!(second.body["duplicate"], true);
    assert_eq!(
        app.stream().stream_last_seq().await.unwrap(),
        last,
        "nothing new stored"
    );

    // A service restart empties every cache; the key is still remembered from the stream.
    let mut app = app;
    app.stop_stack().await;
    app.start_stack().await;
    let third = app
        .post_with(
            "/api/v1/blueprints/wm/milestones/academy/report-progress",
            body,
            &key,
        )
        .await;
    assert_eq!(third.body["seq"], first.body["seq"]);
    assert_eq!(third.body["duplicate"], true);
    assert_eq!(app.stream().stream_last_seq().await.unwrap(), last);

    let history = app
        .get(&format!(
            "/api/v1/blueprints/wm/milestones/academy?min_seq={last}"
        ))
        .await;
    let progress = history.body["history"]
        .as_array()
        .unwrap()
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
    let app = TestApp::spawn().await;
    app.given_blueprint("wm").await;
    let key = [("idempotency-key", "plan-academy")];
    let body = json!({"id": "academy", "workstream": "skills", "title": "Academy", "owner": "gds", "due": "2027-03-31"});
    let first = app
        .post_with("/api/v1/blueprints/wm/milestones", body.clone(), &key)
        .await;
    let second = app
        .post_with("/api/v1/blueprints/wm/milestones", body, &key)
        .await;
    assert_eq!(first.status, 201);
    assert_eq!(
        second.status, 200,
        "a repeat answers the original result: {second:?}"
    );
    assert_eq!(second.body["seq"], first.body["seq"]);
}
