//! A programme manager records; the JSON API shows it back, read-your-writes through min_seq.

use serde_json::json;
use tests::TestApp;

#[tokio::test]
async fn record_a_blueprint_and_read_it_back() {
    let app = TestApp::with_blueprint("wm").await;
    let planned = app.plan_milestone("wm", "academy", "2027-03-31").await;
    assert_eq!(planned.status, 201, "{planned:?}");
    assert_eq!(
        planned.header("location"),
        Some("/api/v1/blueprints/wm/milestones/academy")
    );
    // A write that makes a thing answers 201, one that changes it 200.
    let steps = [
        (
            "milestones",
            json!({"id": "hub", "workstream": "skills", "title": "Hub opens", "owner": "gds", "due": "2027-06-30", "depends_on": ["academy"]}),
            201,
        ),
        ("milestones/academy/start", json!({}), 200),
        (
            "milestones/academy/replan",
            json!({"to": "2027-05-31", "reason": "venue moved"}),
            200,
        ),
        (
            "commitments",
            json!({"id": "secondees", "partner": "gds", "kind": "secondment", "description": "Two secondees", "quantity": 2, "unit": "people", "due": "2027-01-31"}),
            201,
        ),
        (
            "pledges",
            json!({"id": "academy-fund", "sponsor": "gds", "resource": "money", "amount": 25_000_000u64, "conditions": "illustrative"}),
            201,
        ),
        (
            "pledges/academy-fund/confirm",
            json!({"amount": 20_000_000u64}),
            200,
        ),
    ];
    let mut seqs = Vec::new();
    for (path, body, status) in steps {
        let answer = app
            .post(&format!("/api/v1/blueprints/wm/{path}"), body)
            .await;
        assert_eq!(answer.status, status, "{path}: {answer:?}");
        seqs.push(answer.seq());
    }
    // The replan's commit, and the last: the confirmation's.
    let (replanned, last) = (seqs[2], seqs[5]);

    let summary = app.get_after(last, "/api/v1/blueprints/wm").await;
    assert_eq!(summary.status, 200, "{summary:?}");
    let s = &summary.body;
    assert_eq!(s["milestones"]["in_progress"], 1);
    assert_eq!(s["milestones"]["planned"], 1);
    assert_eq!(s["funding"]["money"]["pledged"], 25_000_000u64);
    assert_eq!(s["funding"]["money"]["confirmed"], 20_000_000u64);
    assert_eq!(s["commitments"]["open"], 1);
    assert_eq!(s["status"], "published");
    assert!(s["checkpoint"].as_u64().unwrap() >= last);

    let milestones = app
        .get_after(last, "/api/v1/blueprints/wm/milestones")
        .await;
    let list = milestones.body.as_array().expect("a list");
    assert_eq!(list.len(), 2);
    let academy = list.iter().find(|m| m["id"] == "academy").unwrap();
    assert_eq!(academy["baseline"], "2027-03-31");
    assert_eq!(academy["forecast"], "2027-05-31");
    assert_eq!(academy["slippage_days"], 61);

    let one = app
        .get_after(last, "/api/v1/blueprints/wm/milestones/academy")
        .await;
    assert_eq!(one.status, 200);
    let history = one.history();
    assert_eq!(history.len(), 3);
    assert_eq!(history[2]["events"][0]["type"], "milestone.replanned");
    assert!(
        history[2]["events"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("venue moved")
    );
    assert_eq!(
        one.header("etag"),
        Some(format!("\"{replanned}\"").as_str())
    );
    // A read of one thing lists its latest commits, as many as `history` asks for.
    assert_eq!(one.body["history_earlier"], false);
    let academy = "/api/v1/blueprints/wm/milestones/academy";
    let latest = app.get_after(last, &format!("{academy}?history=2")).await;
    assert_eq!(latest.history(), &history[1..]);
    assert_eq!(latest.body["history_earlier"], true);
    let every = app.get_after(last, &format!("{academy}?history=all")).await;
    assert_eq!(every.history(), history);
    for bad in ["0", "10001", "some"] {
        let refused = app.get(&format!("{academy}?history={bad}")).await;
        assert_eq!(refused.status, 400, "{refused:?}");
        assert_eq!(refused.body["code"], "read.invalid_history");
    }

    let commitments = app
        .get_after(last, "/api/v1/blueprints/wm/commitments")
        .await;
    assert_eq!(commitments.body[0]["id"], "secondees");
    let pledges = app.get_after(last, "/api/v1/blueprints/wm/pledges").await;
    assert_eq!(pledges.body[0]["status"], "confirmed");
    let listed = app.get("/api/v1/blueprints").await;
    assert_eq!(listed.body[0]["id"], "wm");
}

#[tokio::test]
async fn a_rule_broken_is_a_named_rejection_and_nothing_is_written() {
    let app = TestApp::with_blueprint("wm").await;
    app.plan_milestone("wm", "academy", "2026-03-31").await;
    let academy = "/api/v1/blueprints/wm/milestones/academy";
    let done = app
        .post(&format!("{academy}/complete"), json!({"on": "2026-01-15"}))
        .await;
    assert_eq!(done.status, 200, "{done:?}");
    let before = app.last_seq().await;
    let late = json!({"to": "2026-09-30", "reason": "late"});
    let replan = app.post(&format!("{academy}/replan"), late).await;
    assert_eq!(replan.status, 409, "{replan:?}");
    assert_eq!(replan.body["code"], "milestone.closed");
    assert_eq!(
        replan.body["detail"],
        "milestone wm/academy is done; it cannot be replanned"
    );
    assert_eq!(
        replan.header("content-type"),
        Some("application/problem+json")
    );
    assert_eq!(app.last_seq().await, before);
}

#[tokio::test]
async fn stale_if_match_is_refused() {
    let app = TestApp::with_blueprint("wm").await;
    let planned = app.plan_milestone("wm", "academy", "2027-03-31").await;
    let version = planned.header("etag").unwrap().to_owned();
    let first = app
        .post_with(
            "/api/v1/blueprints/wm/milestones/academy/start",
            json!({}),
            &[("if-match", &version)],
        )
        .await;
    assert_eq!(first.status, 200, "{first:?}");
    let second = app
        .post_with(
            "/api/v1/blueprints/wm/milestones/academy/replan",
            json!({"to": "2027-04-30", "reason": "x"}),
            &[("if-match", &version)],
        )
        .await;
    assert_eq!(second.status, 412, "{second:?}");
    assert_eq!(second.body["code"], "command.stale_version");
}

#[tokio::test]
async fn a_write_with_no_service_running_is_a_503() {
    let nats = tests::TestNats::start().await;
    let stream = eventstore::StreamReader::open(&nats.config(), "dashboard-only")
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut file = dashboard::auth::TokenFile::default();
    let token = file
        .create("admin", dashboard::auth::Role::Admin, None, vec![])
        .unwrap();
    file.write(&dir.path().join("tokens.json")).unwrap();
    let mut config = dashboard::DashboardConfig::with_db(dir.path().join("r.redb"));
    config.tokens_file = Some(dir.path().join("tokens.json"));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = dashboard::start(
        &config,
        listener,
        stream,
        prometheus::Registry::new(),
        Vec::new(),
        async {
            let _ = stopped.await;
        },
    )
    .await
    .unwrap();
    let answer = reqwest::Client::new()
        .post(format!("http://{}/api/v1/organisations", running.addr))
        .bearer_auth(&token)
        .json(&json!({"id": "gds", "name": "GDS", "org_type": "central_government"}))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status().as_u16(), 503);
    assert_eq!(answer.headers().get("retry-after").unwrap(), "1");
    let body: serde_json::Value = answer.json().await.unwrap();
    assert_eq!(body["code"], "service.unavailable");
    let _ = stop.send(());
    running.task.await.unwrap();
}

#[tokio::test]
async fn history_says_what_changed_from_what_to_what_and_why() {
    let app = TestApp::with_blueprint("wm").await;
    let secondees = "/api/v1/blueprints/wm/commitments/secondees";
    app.record(
        "/api/v1/blueprints/wm/commitments",
        json!({"id": "secondees", "partner": "gds", "kind": "secondment", "description": "Two secondees", "quantity": 2, "unit": "people", "due": "2027-01-31"}),
    )
    .await;
    app.record(
        &format!("{secondees}/record-delivery"),
        json!({"quantity": 1}),
    )
    .await;
    let amended = app
        .record(
            &format!("{secondees}/amend"),
            json!({"quantity": 3, "due": "2027-02-28", "reason": "A third secondee offered"}),
        )
        .await;
    let renamed = app
        .record("/api/v1/organisations/gds/rename", json!({"name": "GDS"}))
        .await;
    let c = app.get_after(renamed.max(amended), secondees).await;
    let summaries: Vec<&str> = c
        .history()
        .iter()
        .map(|h| h["events"][0]["summary"].as_str().unwrap())
        .collect();
    assert_eq!(summaries[1], "Delivered 1, bringing people to 1 of 2");
    assert_eq!(
        summaries[2],
        "Amended quantity from 2 to 3 people and due date from 2027-01-31 to 2027-02-28: A third secondee offered"
    );
    let org = app.get("/api/v1/organisations/gds").await;
    let last = org.history().last().unwrap().clone();
    assert_eq!(
        last["events"][0]["summary"],
        "Renamed from Government Digital Service to GDS"
    );
    assert_eq!(last["actor"], "test-admin");
}
