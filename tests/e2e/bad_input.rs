//! Bad input gets a 4xx naming the problem and writes nothing.

use serde_json::json;
use tests::{Answer, TestApp};

/// Sends `send` and checks that it was refused with `status` as a problem and wrote nothing.
async fn refused<F: std::future::Future<Output = Answer>>(
    app: &TestApp,
    status: u16,
    send: F,
) -> Answer {
    let before = app.last_seq().await;
    let answer = send.await;
    assert_eq!(
        app.last_seq().await,
        before,
        "nothing written for {answer:?}"
    );
    assert_eq!(answer.status, status, "{answer:?}");
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json"),
        "{answer:?}"
    );
    answer
}

#[tokio::test]
async fn bad_input_is_named_and_nothing_is_written() {
    let app = TestApp::with_blueprint("wm").await;
    let ms = "/api/v1/blueprints/wm/milestones";
    let ps = "/api/v1/blueprints/wm/pledges";
    let detail = |a: &Answer| a.body["detail"].as_str().unwrap().to_owned();

    let unknown = app.plan_milestone("nope", "academy", "2027-03-31");
    let unknown = refused(&app, 404, unknown).await;
    assert_eq!(unknown.body["code"], "blueprint.not_found");
    assert!(detail(&unknown).contains("blueprint nope"), "{unknown:?}");

    let dotted = refused(
        &app,
        422,
        app.plan_milestone("wm", "hub.roles", "2027-03-31"),
    )
    .await;
    assert_eq!(dotted.body["field"], "milestone");
    let why = detail(&dotted);
    assert!(
        why.contains("\"hub.roles\"") && why.contains("a dot"),
        "{why}"
    );

    let pledge =
        |amount: i64| json!({"id": "p", "sponsor": "gds", "resource": "money", "amount": amount});
    let negative = refused(&app, 422, app.post(ps, pledge(-500))).await;
    assert_eq!(negative.body["field"], "amount");
    assert!(detail(&negative).contains("-500"), "{negative:?}");
    let zero = refused(&app, 422, app.post(ps, pledge(0))).await;
    assert_eq!(zero.body["code"], "input.not_positive");

    let cut_short = app.post_raw(ms, "application/json", "{\"id\": \"x\",");
    let malformed = refused(&app, 400, cut_short).await;
    assert_eq!(malformed.body["code"], "request.malformed");

    let untitled = json!({"id": "x", "workstream": "skills", "owner": "gds", "due": "2027-03-31"});
    let missing = refused(&app, 422, app.post(ms, untitled)).await;
    assert!(detail(&missing).contains("title"), "{missing:?}");

    let due = json!({"id": "x", "workstream": "skills", "title": "T", "owner": "gds", "due": "31/03/2027"});
    let bad_date = refused(&app, 422, app.post(ms, due)).await;
    assert_eq!(bad_date.body["field"], "due");

    let publish = app.post_raw("/api/v1/blueprints/wm/publish", "text/plain", "{}");
    refused(&app, 415, publish).await;

    let big: &'static str = Box::leak(
        format!("{{\"id\": \"x\", \"title\": \"{}\"}}", "a".repeat(100_000)).into_boxed_str(),
    );
    let too_big = app.post_raw(ms, "application/json", big).await;
    assert_eq!(too_big.status, 413, "{:?}", too_big.status);
    assert_eq!(too_big.body["code"], "request.too_large", "{too_big:?}");

    let teleport = format!("{ms}/x/teleport");
    let unknown_action = refused(&app, 404, app.post(&teleport, json!({}))).await;
    assert!(
        detail(&unknown_action).contains("teleport"),
        "{unknown_action:?}"
    );

    let ghost = format!("{ms}/ghost/start");
    let unknown_milestone = refused(&app, 404, app.post(&ghost, json!({}))).await;
    assert_eq!(unknown_milestone.body["code"], "milestone.not_found");

    app.plan_milestone("wm", "real", "2027-03-31").await;
    let progress = format!("{ms}/real/report-progress");
    let percent = refused(&app, 422, app.post(&progress, json!({"percent": 140}))).await;
    assert_eq!(percent.body["field"], "percent");
}

#[tokio::test]
async fn bad_reads_are_named() {
    let app = TestApp::spawn().await;
    let missing = app.get("/api/v1/blueprints/nope").await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["code"], "blueprint.not_found");
    let dotted = app.get("/api/v1/blueprints/wm.digital").await;
    assert_eq!(dotted.status, 404);
    assert!(dotted.body["detail"].as_str().unwrap().contains("a dot"));
    let bad_query = app.get("/api/v1/blueprints/wm?min_seq=soon").await;
    assert_eq!(bad_query.status, 400);
    let nowhere = app.get("/api/v1/nothing-here").await;
    assert_eq!(nowhere.status, 404);
    let ahead = app.get("/api/v1/blueprints?min_seq=999999").await;
    assert_eq!(
        ahead.status, 400,
        "a min_seq past the end of the stream names no commit: {ahead:?}"
    );
    assert_eq!(ahead.body["code"], "read.min_seq_ahead");

    // A commit stored but not projected yet (the projector waits for this write lock).
    let db = app.stack.as_ref().unwrap().dashboard.db.current();
    let hold = db.begin_write().unwrap();
    let written = app
        .post(
            "/api/v1/organisations",
            json!({"id": "gds", "name": "GDS", "org_type": "central_government"}),
        )
        .await;
    let not_yet = app.get_after(written.seq(), "/api/v1/organisations").await;
    drop(hold);
    assert_eq!(
        not_yet.status, 503,
        "a bounded wait that runs out says so: {not_yet:?}"
    );
    assert_eq!(not_yet.body["code"], "read.not_yet_projected");
}

#[tokio::test]
async fn the_largest_amounts_are_read_back() {
    let app = TestApp::with_blueprint("wm").await;
    let made = app
        .post(
            "/api/v1/blueprints/wm/pledges",
            json!({"id": "p", "sponsor": "gds", "resource": "money", "amount": u64::MAX}),
        )
        .await;
    assert_eq!(made.status, 201, "{made:?}");
    let confirmed = app
        .post(
            "/api/v1/blueprints/wm/pledges/p/confirm",
            json!({"amount": u64::MAX}),
        )
        .await;
    assert_eq!(confirmed.status, 200, "{confirmed:?}");
    let summary = app
        .get_after(confirmed.seq(), "/api/v1/blueprints/wm")
        .await;
    assert_eq!(summary.status, 200, "{summary:?}");
    assert_eq!(summary.body["funding"]["money"]["confirmed"], u64::MAX);
    assert_eq!(summary.body["confidence"]["rag"], "green", "{summary:?}");
}
