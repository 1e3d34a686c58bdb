//! Every rejection rule through the JSON API: each answer names the rule with its stable code and
//! the HTTP status of its kind, and nothing is written.

use serde_json::{Value, json};
use tests::TestApp;

#[tokio::test]
async fn every_rule_is_a_named_rejection_through_the_api() {
    let app = TestApp::with_blueprint("wm").await;
    let bp = "/api/v1/blueprints/wm";
    let ms = "/api/v1/blueprints/wm/milestones";
    let cs = "/api/v1/blueprints/wm/commitments";
    let ps = "/api/v1/blueprints/wm/pledges";
    // A milestone of blueprint wm, due 31 March 2027, in `workstream`, after `depends_on`.
    let plan = |id: &str, workstream: &str, depends_on: &[&str]| json!({"id": id, "workstream": workstream, "title": id, "owner": "gds", "due": "2027-03-31", "depends_on": depends_on});
    // A blueprint led by `lead` from `start` to `end`, for `funding_target` pence.
    let draft = |id: &str, lead: &str, (start, end): (&str, &str), funding_target: u64| json!({"id": id, "title": "T", "lead_org": lead, "start_date": start, "target_end_date": end, "funding_target": funding_target});
    let year = ("2026-01-01", "2026-12-31");
    app.record(
        "/api/v1/organisations",
        json!({"id": "wmca", "name": "WMCA", "org_type": "combined_authority"}),
    )
    .await;
    app.record(
        &format!("{bp}/add-workstream"),
        json!({"workstream": "old", "title": "Old", "lead_org": "gds"}),
    )
    .await;
    app.record(
        &format!("{bp}/retire-workstream"),
        json!({"workstream": "old", "reason": "merged"}),
    )
    .await;
    app.record(
        &format!("{bp}/set-target"),
        json!({"target": "roles", "title": "Roles", "unit": "roles", "target_value": 100}),
    )
    .await;
    for id in ["a", "done-m", "started-m"] {
        app.record(ms, plan(id, "skills", &[])).await;
    }
    app.record(
        &format!("{ms}/done-m/complete"),
        json!({"on": "2026-01-01"}),
    )
    .await;
    app.record(&format!("{ms}/started-m/start"), json!({}))
        .await;
    let commitment = |id: &str| json!({"id": id, "partner": "gds", "kind": "secondment", "description": "d", "quantity": 2, "unit": "people", "due": "2027-01-31"});
    app.record(cs, commitment("c1")).await;
    app.record(cs, commitment("c-gone")).await;
    app.record(
        &format!("{cs}/c-gone/withdraw"),
        json!({"reason": "no staff"}),
    )
    .await;
    let pledge = |id: &str| json!({"id": id, "sponsor": "gds", "resource": "money", "amount": 100});
    for id in ["p1", "p-full", "p-gone", "p-closed"] {
        app.record(ps, pledge(id)).await;
    }
    for id in ["p-full", "p-closed"] {
        app.record(&format!("{ps}/{id}/confirm"), json!({"amount": 100}))
            .await;
        app.record(&format!("{ps}/{id}/disburse"), json!({"amount": 100}))
            .await;
    }
    app.record(&format!("{ps}/p-closed/close"), json!({})).await;
    app.record(
        &format!("{ps}/p-gone/withdraw"),
        json!({"reason": "budget cut"}),
    )
    .await;
    app.given_blueprint("shut").await;
    let version = app
        .record(
            "/api/v1/blueprints/shut/close",
            json!({"reason": "delivered"}),
        )
        .await;

    let long = "x".repeat(5000);
    let cases: Vec<(&str, String, Value, u16, &str)> = vec![
        (
            "register twice",
            "/api/v1/organisations".into(),
            json!({"id": "gds", "name": "GDS", "org_type": "other"}),
            409,
            "organisation.already_registered",
        ),
        (
            "rename to the same name",
            "/api/v1/organisations/wmca/rename".into(),
            json!({"name": "WMCA"}),
            409,
            "organisation.same_name",
        ),
        (
            "rename an unknown organisation",
            "/api/v1/organisations/nobody/rename".into(),
            json!({"name": "X"}),
            404,
            "organisation.not_found",
        ),
        (
            "draft twice",
            "/api/v1/blueprints".into(),
            draft("wm", "gds", year, 1),
            409,
            "blueprint.already_exists",
        ),
        (
            "end before start",
            "/api/v1/blueprints".into(),
            draft("new", "gds", ("2026-12-31", "2026-01-01"), 1),
            422,
            "blueprint.end_before_start",
        ),
        (
            "lead not registered",
            "/api/v1/blueprints".into(),
            draft("new", "nobody", year, 1),
            404,
            "organisation.not_found",
        ),
        (
            "zero funding target",
            "/api/v1/blueprints".into(),
            draft("new", "gds", year, 0),
            422,
            "input.not_positive",
        ),
        (
            "publish twice",
            format!("{bp}/publish"),
            json!({}),
            409,
            "blueprint.already_published",
        ),
        (
            "closed blueprint",
            "/api/v1/blueprints/shut/milestones".into(),
            plan("x", "skills", &[]),
            409,
            "blueprint.closed",
        ),
        (
            "unknown blueprint",
            "/api/v1/blueprints/nope/publish".into(),
            json!({}),
            404,
            "blueprint.not_found",
        ),
        (
            "workstream twice",
            format!("{bp}/add-workstream"),
            json!({"workstream": "skills", "title": "S", "lead_org": "gds"}),
            409,
            "workstream.already_exists",
        ),
        (
            "rename an unknown workstream",
            format!("{bp}/rename-workstream"),
            json!({"workstream": "nope", "title": "S"}),
            404,
            "workstream.not_found",
        ),
        (
            "plan in a retired workstream",
            ms.into(),
            plan("x", "old", &[]),
            409,
            "workstream.retired",
        ),
        (
            "partner twice",
            format!("{bp}/add-partner"),
            json!({"org": "gds"}),
            409,
            "partner.already_joined",
        ),
        (
            "remove a non-partner",
            format!("{bp}/remove-partner"),
            json!({"org": "wmca", "reason": "x"}),
            409,
            "partner.not_joined",
        ),
        (
            "report an unknown target",
            format!("{bp}/report-target"),
            json!({"target": "nope", "value": 1}),
            404,
            "target.not_found",
        ),
        (
            "plan twice",
            ms.into(),
            plan("a", "skills", &[]),
            409,
            "milestone.already_planned",
        ),
        (
            "unknown dependency",
            ms.into(),
            plan("x", "skills", &["ghost"]),
            404,
            "milestone.dependency_not_found",
        ),
        (
            "depends on itself",
            ms.into(),
            plan("x", "skills", &["x"]),
            422,
            "milestone.depends_on_itself",
        ),
        (
            "dependency twice",
            ms.into(),
            plan("x", "skills", &["a", "a"]),
            422,
            "milestone.duplicate_dependency",
        ),
        (
            "unknown milestone",
            format!("{ms}/ghost/start"),
            json!({}),
            404,
            "milestone.not_found",
        ),
        (
            "start twice",
            format!("{ms}/started-m/start"),
            json!({}),
            409,
            "milestone.already_started",
        ),
        (
            "replan a done milestone",
            format!("{ms}/done-m/replan"),
            json!({"to": "2027-06-30", "reason": "late"}),
            409,
            "milestone.closed",
        ),
        (
            "progress over 100",
            format!("{ms}/started-m/report-progress"),
            json!({"percent": 101}),
            422,
            "milestone.percent_out_of_range",
        ),
        (
            "replan to the same date",
            format!("{ms}/a/replan"),
            json!({"to": "2027-03-31", "reason": "x"}),
            409,
            "milestone.replan_same_date",
        ),
        (
            "complete in the future",
            format!("{ms}/a/complete"),
            json!({"on": "2999-01-01"}),
            422,
            "milestone.completed_in_future",
        ),
        (
            "evidence that is not a link",
            format!("{ms}/a/complete"),
            json!({"on": "2026-01-01", "evidence": "a file"}),
            422,
            "input.not_a_link",
        ),
        (
            "reopen an open milestone",
            format!("{ms}/a/reopen"),
            json!({"reason": "x"}),
            409,
            "milestone.not_closed",
        ),
        (
            "blank reason",
            format!("{ms}/a/cancel"),
            json!({"reason": "  "}),
            422,
            "input.blank",
        ),
        (
            "reason too long",
            format!("{ms}/a/cancel"),
            json!({"reason": long}),
            422,
            "input.too_long",
        ),
        (
            "control character",
            format!("{ms}/a/cancel"),
            json!({"reason": "a\u{0007}b"}),
            422,
            "input.control_character",
        ),
        (
            "commitment twice",
            cs.into(),
            commitment("c1"),
            409,
            "commitment.already_exists",
        ),
        (
            "partner not joined",
            cs.into(),
            json!({"id": "x", "partner": "wmca", "kind": "secondment", "description": "d", "quantity": 1, "unit": "u", "due": "2027-01-01"}),
            409,
            "commitment.partner_not_joined",
        ),
        (
            "unknown commitment",
            format!("{cs}/ghost/fulfil"),
            json!({}),
            404,
            "commitment.not_found",
        ),
        (
            "deliver to a withdrawn commitment",
            format!("{cs}/c-gone/record-delivery"),
            json!({"quantity": 1}),
            409,
            "commitment.closed",
        ),
        (
            "amend nothing",
            format!("{cs}/c1/amend"),
            json!({"reason": "x"}),
            422,
            "commitment.amend_nothing",
        ),
        (
            "amend to the same",
            format!("{cs}/c1/amend"),
            json!({"quantity": 2, "reason": "x"}),
            409,
            "commitment.amend_no_change",
        ),
        (
            "fulfil before delivery",
            format!("{cs}/c1/fulfil"),
            json!({}),
            409,
            "commitment.not_delivered",
        ),
        (
            "pledge twice",
            ps.into(),
            pledge("p1"),
            409,
            "pledge.already_exists",
        ),
        (
            "unknown pledge",
            format!("{ps}/ghost/confirm"),
            json!({"amount": 1}),
            404,
            "pledge.not_found",
        ),
        (
            "confirm twice",
            format!("{ps}/p-full/confirm"),
            json!({"amount": 1}),
            409,
            "pledge.not_pledged",
        ),
        (
            "disburse before confirmation",
            format!("{ps}/p1/disburse"),
            json!({"amount": 1}),
            409,
            "pledge.not_confirmed",
        ),
        (
            "disburse beyond confirmed",
            format!("{ps}/p-full/disburse"),
            json!({"amount": 1}),
            409,
            "pledge.over_disbursed",
        ),
        (
            "withdraw when fully disbursed",
            format!("{ps}/p-full/withdraw"),
            json!({"reason": "x"}),
            409,
            "pledge.fully_disbursed",
        ),
        (
            "withdraw twice",
            format!("{ps}/p-gone/withdraw"),
            json!({"reason": "x"}),
            409,
            "pledge.already_withdrawn",
        ),
        (
            "withdraw a closed pledge",
            format!("{ps}/p-closed/withdraw"),
            json!({"reason": "x"}),
            409,
            "pledge.closed",
        ),
        (
            "close before full disbursement",
            format!("{ps}/p1/close"),
            json!({}),
            409,
            "pledge.not_confirmed",
        ),
        (
            "zero amount",
            ps.into(),
            json!({"id": "x", "sponsor": "gds", "resource": "money", "amount": 0}),
            422,
            "input.not_positive",
        ),
    ];
    let before = app.last_seq().await;
    let mut failures = Vec::new();
    for (name, path, body, status, code) in &cases {
        let a = app.post(path, body.clone()).await;
        if a.status != *status || a.body["code"] != *code {
            failures.push(format!(
                "{name}: expected {status} {code}, got {} {}",
                a.status, a.body
            ));
        }
        let detail = a.body["detail"].as_str().unwrap_or("");
        if detail.is_empty() {
            failures.push(format!("{name}: no sentence for people"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The guards around every rule.
    let stale = app
        .post_with(
            "/api/v1/blueprints/shut/publish",
            json!({}),
            &[("if-match", &format!("\"{}\"", version - 1))],
        )
        .await;
    assert_eq!(
        (stale.status, stale.body["code"].as_str()),
        (412, Some("command.stale_version"))
    );
    let bad_key = app
        .post_with(
            &format!("{ms}/a/start"),
            json!({}),
            &[("idempotency-key", "has spaces in it")],
        )
        .await;
    assert_eq!(
        (bad_key.status, bad_key.body["code"].as_str()),
        (422, Some("command.idempotency_key"))
    );
    assert_eq!(app.last_seq().await, before, "no rejection wrote anything");
    let not_closed = app.post(&format!("{ps}/p-full/close"), json!({})).await;
    assert_eq!(
        not_closed.status, 200,
        "and the last rule's happy path still works"
    );
}
