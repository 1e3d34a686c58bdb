//! Two writers racing on one milestone: no lost update; the loser retries or gets a named rejection.

use futures::future::join_all;
use serde_json::json;
use tests::TestApp;

#[tokio::test]
async fn racing_writers_on_one_milestone_lose_nothing() {
    let app = TestApp::with_blueprint("wm").await;
    app.plan_milestone("wm", "academy", "2027-03-31").await;
    app.start_milestone("wm", "academy").await;

    // Twenty progress reports at once, from many connections: each is a separate command.
    let writes = (0..20u32).map(|i| {
        let app = &app;
        async move {
            app.post(
                "/api/v1/blueprints/wm/milestones/academy/report-progress",
                json!({"percent": i, "note": format!("report {i}")}),
            )
            .await
        }
    });
    let answers = join_all(writes).await;
    let accepted: Vec<u64> = answers
        .iter()
        .filter(|a| a.status == 200)
        .map(|a| a.seq())
        .collect();
    for a in answers.iter().filter(|a| a.status != 200) {
        assert_eq!(a.status, 409, "a loser gets a named rejection: {a:?}");
        assert_eq!(a.body["code"], "command.contended");
    }
    let mut unique = accepted.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        unique.len(),
        accepted.len(),
        "every accepted command has its own commit"
    );

    let last = *unique.last().unwrap();
    let history = app
        .history_after(last, "/api/v1/blueprints/wm/milestones/academy")
        .await;
    let reports = history
        .iter()
        .filter(|h| h["events"][0]["type"] == "milestone.progress_reported")
        .count();
    assert_eq!(
        reports,
        accepted.len(),
        "every accepted write is in the history, none lost"
    );
}

#[tokio::test]
async fn two_racing_creates_of_one_milestone_store_one() {
    let app = TestApp::with_blueprint("wm").await;
    let (a, b) = tokio::join!(
        app.plan_milestone("wm", "academy", "2027-03-31"),
        app.plan_milestone("wm", "academy", "2027-04-30")
    );
    let mut statuses = [a.status, b.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409], "{a:?} {b:?}");
    let loser = if a.status == 409 { &a } else { &b };
    assert_eq!(loser.body["code"], "milestone.already_planned");
}

#[tokio::test]
async fn racing_writers_through_the_store_cannot_both_win() {
    use proto::MilestoneStarted;
    let app = TestApp::with_blueprint("wm").await;
    let planned = app.plan_milestone("wm", "academy", "2027-03-31").await;
    let thing = tests::milestone("wm", "academy");
    let commit = |key: &str| tests::commit(thing.clone(), key, &[MilestoneStarted {}.into()]);
    let version = planned.seq();
    let (a, b) = (commit("a"), commit("b"));
    let (one, two) = tokio::join!(
        app.store().append(&a, version),
        app.store().append(&b, version)
    );
    let wins = [one.is_ok(), two.is_ok()].iter().filter(|w| **w).count();
    assert_eq!(wins, 1, "exactly one writer wins: {one:?} {two:?}");
    let loser = if one.is_err() { one } else { two };
    assert!(
        matches!(loser, Err(eventstore::AppendError::Conflict { .. })),
        "{loser:?}"
    );
}
