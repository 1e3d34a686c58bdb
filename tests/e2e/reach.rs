//! Which blueprints a token reaches: an organisation's token only those its organisation leads or
//! partners in; and a draft no one may read answers exactly as a blueprint that does not exist.

use serde_json::json;
use tests::TestApp;

#[tokio::test]
async fn an_organisations_token_reaches_only_blueprints_it_is_part_of() {
    let app = TestApp::spawn().await;
    app.given_blueprint("wm").await;
    let organisation = json!({"id": "wmca", "name": "WMCA", "org_type": "combined_authority"});
    app.record("/api/v1/organisations", organisation).await;
    let plan = json!({"id": "wmca-plan", "title": "WMCA plan", "lead_org": "wmca",
        "start_date": "2026-01-01", "target_end_date": "2027-12-31", "funding_target": 100});
    let drafted = app.record("/api/v1/blueprints", plan).await;
    app.wait_for_checkpoint(drafted).await;
    let gds = Some(app.tokens.gds_partner.as_str());

    // Reads: another organisation's draft is not there for gds's token, nor for nobody.
    let missing = app.get_as(gds, "/api/v1/blueprints/nowhere").await;
    assert_eq!(missing.status, 404);
    for token in [gds, None] {
        let draft = app.get_as(token, "/api/v1/blueprints/wmca-plan").await;
        assert_eq!(draft.status, 404, "{draft:?}");
        assert_eq!(draft.body["code"], missing.body["code"]);
        assert_eq!(
            draft.body["detail"]
                .as_str()
                .unwrap()
                .replace("wmca-plan", "nowhere"),
            missing.body["detail"],
            "a hidden draft answers word for word as a missing blueprint"
        );
        let milestones = app
            .get_as(token, "/api/v1/blueprints/wmca-plan/milestones")
            .await;
        assert_eq!(milestones.status, 404, "{milestones:?}");
    }
    let listed = app.get_as(gds, "/api/v1/blueprints").await;
    let ids: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["wm"], "{listed:?}");
    let page = app
        .http
        .get(format!("{}/blueprints/wmca-plan", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 404, "the page hides it too");

    // Writes: gds may pledge where it partners, not into a blueprint it has no part in.
    let pledge = |bp: &str| {
        let path = format!("/api/v1/blueprints/{bp}/pledges");
        let app = &app;
        async move {
            app.post_as(
                gds,
                &path,
                json!({"id": "gds-fund", "sponsor": "gds", "resource": "money", "amount": 100}),
            )
            .await
        }
    };
    let into_other = pledge("wmca-plan").await;
    assert_eq!(into_other.status, 403, "{into_other:?}");
    assert_eq!(into_other.body["code"], "auth.forbidden");
    assert_eq!(pledge("wm").await.status, 201);

    // Once gds partners in it, its token reaches the draft.
    let joined = app
        .post(
            "/api/v1/blueprints/wmca-plan/add-partner",
            json!({"org": "gds"}),
        )
        .await;
    assert_eq!(joined.status, 200, "{joined:?}");
    let draft = app
        .get_as(
            gds,
            &format!("/api/v1/blueprints/wmca-plan?min_seq={}", joined.seq()),
        )
        .await;
    assert_eq!(draft.status, 200, "{draft:?}");
    assert_eq!(pledge("wmca-plan").await.status, 201);
}
