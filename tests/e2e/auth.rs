//! Who may do what: 401 without credentials, 403 across each role and limit, public reads of
//! published blueprints only, and an idempotency key reused for another command.

use serde_json::json;
use tests::TestApp;

#[tokio::test]
async fn every_role_boundary_is_enforced() {
    let app = TestApp::spawn().await;
    app.given_blueprint("wm").await;
    app.post(
        "/api/v1/organisations",
        json!({"id": "wmca", "name": "WMCA", "org_type": "combined_authority"}),
    )
    .await;
    app.post("/api/v1/blueprints/wm/add-partner", json!({"org": "wmca"}))
        .await;
    let plan = json!({"id": "academy", "workstream": "skills", "title": "Academy", "owner": "gds", "due": "2027-03-31"});
    let t = &app.tokens;

    let nobody = app
        .post_as(None, "/api/v1/blueprints/wm/milestones", plan.clone(), &[])
        .await;
    assert_eq!(nobody.status, 401, "{nobody:?}");
    assert_eq!(nobody.body["code"], "auth.unauthenticated");
    let forged = app
        .post_as(
            Some("wm_forged"),
            "/api/v1/blueprints/wm/milestones",
            plan.clone(),
            &[],
        )
        .await;
    assert_eq!(forged.status, 401);

    let viewer = app
        .post_as(
            Some(&t.viewer),
            "/api/v1/blueprints/wm/milestones",
            plan.clone(),
            &[],
        )
        .await;
    assert_eq!(viewer.status, 403, "a viewer cannot record: {viewer:?}");
    assert!(
        viewer.body["detail"]
            .as_str()
            .unwrap()
            .contains("viewer role")
    );

    let recorder_drafts = app
        .post_as(
            Some(&t.recorder),
            "/api/v1/blueprints",
            json!({"id": "other", "title": "Other", "lead_org": "gds", "start_date": "2026-01-01", "target_end_date": "2026-12-31", "funding_target": 1}),
            &[],
        )
        .await;
    assert_eq!(
        recorder_drafts.status, 403,
        "drafting a blueprint needs the admin role"
    );
    let recorder_registers = app
        .post_as(
            Some(&t.recorder),
            "/api/v1/organisations",
            json!({"id": "x", "name": "X", "org_type": "other"}),
            &[],
        )
        .await;
    assert_eq!(recorder_registers.status, 403);

    let recorded = app
        .post_as(
            Some(&t.recorder),
            "/api/v1/blueprints/wm/milestones",
            plan.clone(),
            &[],
        )
        .await;
    assert_eq!(recorded.status, 201, "{recorded:?}");
    let m = app
        .get(&format!(
            "/api/v1/blueprints/wm/milestones/academy?min_seq={}",
            recorded.seq()
        ))
        .await;
    assert_eq!(
        m.body["history"][0]["actor"], "test-recorder",
        "the token's name is the actor"
    );

    // A partner's token records only its own organisation's commitments and pledges.
    let partner_milestone = app
        .post_as(
            Some(&t.gds_partner),
            "/api/v1/blueprints/wm/milestones/academy/start",
            json!({}),
            &[],
        )
        .await;
    assert_eq!(partner_milestone.status, 403);
    let own = json!({"id": "gds-fund", "sponsor": "gds", "resource": "money", "amount": 100});
    let own = app
        .post_as(
            Some(&t.gds_partner),
            "/api/v1/blueprints/wm/pledges",
            own,
            &[],
        )
        .await;
    assert_eq!(own.status, 201, "{own:?}");
    let theirs = json!({"id": "wmca-fund", "sponsor": "wmca", "resource": "money", "amount": 100});
    let theirs = app
        .post_as(
            Some(&t.gds_partner),
            "/api/v1/blueprints/wm/pledges",
            theirs,
            &[],
        )
        .await;
    assert_eq!(theirs.status, 403, "{theirs:?}");
    assert_eq!(theirs.body["code"], "actor.other_organisation");
    app.post(
        "/api/v1/blueprints/wm/commitments",
        json!({"id": "wmca-hosting", "partner": "wmca", "kind": "event_hosting", "description": "Host", "quantity": 1, "unit": "event", "due": "2027-01-01"}),
    )
    .await;
    let deliver = app
        .post_as(
            Some(&t.gds_partner),
            "/api/v1/blueprints/wm/commitments/wmca-hosting/record-delivery",
            json!({"quantity": 1}),
            &[],
        )
        .await;
    assert_eq!(
        deliver.status, 403,
        "another organisation's commitment: {deliver:?}"
    );

    // A token limited to blueprints reaches only those.
    app.given_blueprint("elsewhere").await;
    let scoped = app
        .post_as(
            Some(&t.wm_only),
            "/api/v1/blueprints/elsewhere/milestones",
            json!({"id": "a", "workstream": "skills", "title": "A", "owner": "gds", "due": "2027-03-31"}),
            &[],
        )
        .await;
    assert_eq!(scoped.status, 403);
    let in_scope = app
        .post_as(
            Some(&t.wm_only),
            "/api/v1/blueprints/wm/milestones",
            json!({"id": "b", "workstream": "skills", "title": "B", "owner": "gds", "due": "2027-03-31"}),
            &[],
        )
        .await;
    assert_eq!(in_scope.status, 201);
}

#[tokio::test]
async fn drafts_need_a_viewer_token_and_published_blueprints_are_public() {
    let app = TestApp::spawn().await;
    app.post(
        "/api/v1/organisations",
        json!({"id": "gds", "name": "GDS", "org_type": "central_government"}),
    )
    .await;
    let drafted = app
        .post(
            "/api/v1/blueprints",
            json!({"id": "draft", "title": "Draft", "lead_org": "gds", "start_date": "2026-01-01", "target_end_date": "2026-12-31", "funding_target": 1}),
        )
        .await;
    app.get(&format!(
        "/api/v1/blueprints/draft?min_seq={}",
        drafted.seq()
    ))
    .await;
    assert_eq!(
        app.get_as(None, "/api/v1/blueprints/draft").await.status,
        404,
        "a draft is not there for nobody"
    );
    assert_eq!(
        app.get_as(None, "/api/v1/blueprints/draft/milestones")
            .await
            .status,
        404
    );
    assert_eq!(
        app.get_as(Some(&app.tokens.viewer), "/api/v1/blueprints/draft")
            .await
            .status,
        200
    );
    assert_eq!(
        app.get_as(Some(&app.tokens.wm_only), "/api/v1/blueprints/draft")
            .await
            .status,
        404,
        "nor for a token that does not reach it"
    );
    let listed = app.get_as(None, "/api/v1/blueprints").await;
    assert_eq!(
        listed.body.as_array().unwrap().len(),
        0,
        "drafts are not listed publicly"
    );

    let published = app
        .post("/api/v1/blueprints/draft/publish", json!({}))
        .await;
    let public = app
        .get_as(
            None,
            &format!("/api/v1/blueprints/draft?min_seq={}", published.seq()),
        )
        .await;
    assert_eq!(public.status, 200);
    assert_eq!(
        app.get_as(None, "/api/v1/blueprints")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn an_idempotency_key_reused_for_another_command_is_refused() {
    let app = TestApp::spawn().await;
    app.given_blueprint("wm").await;
    app.plan_milestone("wm", "academy", "2027-03-31").await;
    let key = [("idempotency-key", "replan-1")];
    let first = app
        .post_with(
            "/api/v1/blueprints/wm/milestones/academy/replan",
            json!({"to": "2027-04-30", "reason": "venue"}),
            &key,
        )
        .await;
    assert_eq!(first.status, 200);
    let before = app.stream().stream_last_seq().await.unwrap();
    let other = app
        .post_with(
            "/api/v1/blueprints/wm/milestones/academy/replan",
            json!({"to": "2027-05-31", "reason": "venue"}),
            &key,
        )
        .await;
    assert_eq!(other.status, 422, "{other:?}");
    assert_eq!(other.body["code"], "command.idempotency_key_reused");
    assert_eq!(app.stream().stream_last_seq().await.unwrap(), before);
    let same = app
        .post_with(
            "/api/v1/blueprints/wm/milestones/academy/replan",
            json!({"to": "2027-04-30", "reason": "venue"}),
            &key,
        )
        .await;
    assert_eq!(same.status, 200);
    assert_eq!(same.body["duplicate"], true);
}
