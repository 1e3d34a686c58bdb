//! Who may do what: 401 without credentials, 403 across each role and limit, public reads of
//! published blueprints only, and an idempotency key reused for another command.

use serde_json::json;
use tests::TestApp;

#[tokio::test]
async fn every_role_boundary_is_enforced() {
    let app = TestApp::with_blueprint("wm").await;
    let wmca = json!({"id": "wmca", "name": "WMCA", "org_type": "combined_authority"});
    app.record("/api/v1/organisations", wmca).await;
    app.record("/api/v1/blueprints/wm/add-partner", json!({"org": "wmca"}))
        .await;
    let ms = "/api/v1/blueprints/wm/milestones";
    let plan = json!({"id": "academy", "workstream": "skills", "title": "Academy", "owner": "gds", "due": "2027-03-31"});
    let t = &app.tokens;

    let nobody = app.post_as(None, ms, plan.clone()).await;
    assert_eq!(nobody.status, 401, "{nobody:?}");
    assert_eq!(nobody.body["code"], "auth.unauthenticated");
    let forged = app.post_as(Some("wm_forged"), ms, plan.clone()).await;
    assert_eq!(forged.status, 401);

    let viewer = app.post_as(Some(&t.viewer), ms, plan.clone()).await;
    assert_eq!(viewer.status, 403, "a viewer cannot record: {viewer:?}");
    let detail = viewer.body["detail"].as_str().unwrap();
    assert!(detail.contains("viewer role"), "{detail}");

    let other = json!({"id": "other", "title": "Other", "lead_org": "gds", "start_date": "2026-01-01", "target_end_date": "2026-12-31", "funding_target": 1});
    let recorder_drafts = app
        .post_as(Some(&t.recorder), "/api/v1/blueprints", other)
        .await;
    assert_eq!(
        recorder_drafts.status, 403,
        "drafting a blueprint needs the admin role"
    );
    let register = json!({"id": "x", "name": "X", "org_type": "other"});
    let recorder_registers = app
        .post_as(Some(&t.recorder), "/api/v1/organisations", register)
        .await;
    assert_eq!(recorder_registers.status, 403);

    let recorded = app.post_as(Some(&t.recorder), ms, plan).await;
    assert_eq!(recorded.status, 201, "{recorded:?}");
    let m = app
        .get_after(recorded.seq(), "/api/v1/blueprints/wm/milestones/academy")
        .await;
    assert_eq!(
        m.history()[0]["actor"],
        "test-recorder",
        "the token's name is the actor"
    );

    // A partner's token records only its own organisation's commitments and pledges.
    let partner = Some(t.gds_partner.as_str());
    let start = app
        .post_as(partner, &format!("{ms}/academy/start"), json!({}))
        .await;
    assert_eq!(start.status, 403);
    let ps = "/api/v1/blueprints/wm/pledges";
    let own = json!({"id": "gds-fund", "sponsor": "gds", "resource": "money", "amount": 100});
    let own = app.post_as(partner, ps, own).await;
    assert_eq!(own.status, 201, "{own:?}");
    let theirs = json!({"id": "wmca-fund", "sponsor": "wmca", "resource": "money", "amount": 100});
    let theirs = app.post_as(partner, ps, theirs).await;
    assert_eq!(theirs.status, 403, "{theirs:?}");
    assert_eq!(theirs.body["code"], "actor.other_organisation");
    app.record(
        "/api/v1/blueprints/wm/commitments",
        json!({"id": "wmca-hosting", "partner": "wmca", "kind": "event_hosting", "description": "Host", "quantity": 1, "unit": "event", "due": "2027-01-01"}),
    )
    .await;
    let delivery = "/api/v1/blueprints/wm/commitments/wmca-hosting/record-delivery";
    let deliver = app.post_as(partner, delivery, json!({"quantity": 1})).await;
    assert_eq!(
        deliver.status, 403,
        "another organisation's commitment: {deliver:?}"
    );

    // A token limited to blueprints reaches only those.
    app.given_blueprint("elsewhere").await;
    let plan = |id: &str| json!({"id": id, "workstream": "skills", "title": id, "owner": "gds", "due": "2027-03-31"});
    let wm_only = Some(t.wm_only.as_str());
    let elsewhere = "/api/v1/blueprints/elsewhere/milestones";
    assert_eq!(app.post_as(wm_only, elsewhere, plan("a")).await.status, 403);
    assert_eq!(app.post_as(wm_only, ms, plan("b")).await.status, 201);
}

#[tokio::test]
async fn drafts_need_a_viewer_token_and_published_blueprints_are_public() {
    let app = TestApp::spawn().await;
    app.record(
        "/api/v1/organisations",
        json!({"id": "gds", "name": "GDS", "org_type": "central_government"}),
    )
    .await;
    let drafted = app
        .record(
            "/api/v1/blueprints",
            json!({"id": "draft", "title": "Draft", "lead_org": "gds", "start_date": "2026-01-01", "target_end_date": "2026-12-31", "funding_target": 1}),
        )
        .await;
    let draft = "/api/v1/blueprints/draft";
    app.get_after(drafted, draft).await;
    let t = &app.tokens;
    for (token, path, status) in [
        (None, draft.to_owned(), 404),
        (None, format!("{draft}/milestones"), 404),
        (Some(t.viewer.as_str()), draft.to_owned(), 200),
        (Some(t.wm_only.as_str()), draft.to_owned(), 404),
    ] {
        let read = app.get_as(token, &path).await;
        assert_eq!(read.status, status, "{path} with {token:?}: {read:?}");
    }
    let listed = app.get_as(None, "/api/v1/blueprints").await;
    assert_eq!(
        listed.body.as_array().unwrap().len(),
        0,
        "drafts are not listed publicly"
    );

    let published = app.record(&format!("{draft}/publish"), json!({})).await;
    let public = app
        .get_as(None, &format!("{draft}?min_seq={published}"))
        .await;
    assert_eq!(public.status, 200);
    let listed = app.get_as(None, "/api/v1/blueprints").await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn an_idempotency_key_reused_for_another_command_is_refused() {
    let app = TestApp::with_blueprint("wm").await;
    app.plan_milestone("wm", "academy", "2027-03-31").await;
    let replan = |to: &str| json!({"to": to, "reason": "venue"});
    let path = "/api/v1/blueprints/wm/milestones/academy/replan";
    let key = [("idempotency-key", "replan-1")];
    let first = app.post_with(path, replan("2027-04-30"), &key).await;
    assert_eq!(first.status, 200);
    let before = app.last_seq().await;
    let other = app.post_with(path, replan("2027-05-31"), &key).await;
    assert_eq!(other.status, 422, "{other:?}");
    assert_eq!(other.body["code"], "command.idempotency_key_reused");
    assert_eq!(app.last_seq().await, before);
    let same = app.post_with(path, replan("2027-04-30"), &key).await;
    assert_eq!(same.status, 200);
    assert_eq!(same.body["duplicate"], true);
}
