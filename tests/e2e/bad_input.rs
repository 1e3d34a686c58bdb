//! Bad input gets a 4xx naming the problem and writes nothing.

use serde_json::json;
use tests::TestApp;

async fn assert_nothing_written<F: std::future::Future<Output = tests::Answer>>(
    app: &TestApp,
    send: F,
) -> tests::Answer {
    let before = app.stream().stream_last_seq().await.unwrap();
    let answer = send.await;
    assert_eq!(
        app.stream().stream_last_seq().await.unwrap(),
        before,
        "nothing written for {answer:?}"
    );
    assert!((400..500).contains(&answer.status), "{answer:?}");
    assert_eq!(
        answer.header("content-type"),
        Some("application/problem+json"),
        "{answer:?}"
    );
    answer
}

#[tokio::test]
async fn bad_input_is_named_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    app.given_blueprint("wm").await;

    let unknown =
        assert_nothing_written(&app, app.plan_milestone("nope", "academy", "2027-03-31")).await;
    assert_eq!(unknown.status, 404);
    assert_eq!(unknown.body["code"], "blueprint.not_found");
    assert!(
        unknown.body["detail"]
            .as_str()
            .unwrap()
            .contains("blueprint nope")
    );

    let dotted =
        assert_nothing_written(&app, app.plan_milestone("wm", "hub.roles", "2027-03-31")).await;
    assert_eq!(dotted.status, 422);
    assert_eq!(dotted.body["field"], "milestone");
    let detail = dotted.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("\"hub.roles\"") && detail.contains("a dot"),
        "{detail}"
    );

    let negative = assert_nothing_written(
        &app,
        app.post(
            "/api/v1/blueprints/wm/pledges",
            json!({"id": "p", "sponsor": "gds", "resource": "money", "amount": -500}),
        ),
    )
    .await;
    assert_eq!(negative.status, 422);
    assert_eq!(negative.body["field"], "amount");
    assert!(
        negative.body["detail"].as_str().unwrap().contains("-500"),
        "{negative:?}"
    );

    let zero = assert_nothing_written(
        &app,
        app.post(
            "/api/v1/blueprints/wm/pledges",
            json!({"id": "p", "sponsor": "gds", "resource": "money", "amount": 0}),
        ),
    )
    .await;
    assert_eq!(zero.status, 422);
    assert_eq!(zero.body["code"], "input.not_positive");

    let malformed = assert_nothing_written(
        &app,
        app.post_raw(
            "/api/v1/blueprints/wm/milestones",
            "application/json",
            "{\"id\": \"x\",",
        ),
    )
    .await;
    assert_eq!(malformed.status, 400);
    assert_eq!(malformed.body["code"], "request.malformed");

    let missing = assert_nothing_written(
        &app,
        app.post(
            "/api/v1/blueprints/wm/milestones",
            json!({"id": "x", "workstream": "skills", "owner": "gds", "due": "2027-03-31"}),
        ),
    )
    .await;
    assert_eq!(missing.status, 422);
    assert!(
        missing.body["detail"].as_str().unwrap().contains("title"),
        "{missing:?}"
    );

    let bad_date = assert_nothing_written(
        &app,
        app.post("/api/v1/blueprints/wm/milestones", json!({"id": "x", "workstream": "skills", "title": "T", "owner": "gds", "due": "31/03/2027"})),
    )
    .await;
    assert_eq!(bad_date.status, 422);
    assert_eq!(bad_date.body["field"], "due");

    let wrong_type = assert_nothing_written(
        &app,
        app.post_raw("/api/v1/blueprints/wm/publish", "text/plain", "{}"),
    )
    .await;
    assert_eq!(wrong_type.status, 415);

    let big: &'static str = Box::leak(
        format!("{{\"id\": \"x\", \"title\": \"{}\"}}", "a".repeat(100_000)).into_boxed_str(),
    );
    let too_big = app
        .post_raw("/api/v1/blueprints/wm/milestones", "application/json", big)
        .await;
    assert_eq!(too_big.status, 413, "{:?}", too_big.status);
    assert_eq!(too_big.body["code"], "request.too_large", "{too_big:?}");

    let unknown_action = assert_nothing_written(
        &app,
        app.post("/api/v1/blueprints/wm/milestones/x/teleport", json!({})),
    )
    .await;
    assert_eq!(unknown_action.status, 404);
    assert!(
        unknown_action.body["detail"]
            .as_str()
            .unwrap()
            .contains("teleport")
    );

    let unknown_milestone = assert_nothing_written(
        &app,
        app.post("/api/v1/blueprints/wm/milestones/ghost/start", json!({})),
    )
    .await;
    assert_eq!(unknown_milestone.status, 404);
    assert_eq!(unknown_milestone.body["code"], "milestone.not_found");

    let percent = {
        app.plan_milestone("wm", "real", "2027-03-31").await;
        assert_nothing_written(
            &app,
            app.post(
                "/api/v1/blueprints/wm/milestones/real/report-progress",
                json!({"percent": 140}),
            ),
        )
        .await
    };
    assert_eq!(percent.status, 422);
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
    let not_yet = app
        .get(&format!("/api/v1/organisations?min_seq={}", written.seq()))
        .await;
    drop(hold);
    assert_eq!(
        not_yet.status, 503,
        "a bounded wait that runs out says so: {not_yet:?}"
    );
    assert_eq!(not_yet.body["code"], "read.not_yet_projected");
}

#[tokio::test]
async fn the_largest_amounts_are_read_back() {
    let app = TestApp::spawn().await;
    app.given_blueprint("wm").await;
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
        .get(&format!(
            "/api/v1/blueprints/wm?min_seq={}",
            confirmed.seq()
        ))
        .await;
    assert_eq!(summary.status, 200, "{summary:?}");
    assert_eq!(summary.body["funding"]["money"]["confirmed"], u64::MAX);
    assert_eq!(summary.body["confidence"]["rag"], "green", "{summary:?}");
}
