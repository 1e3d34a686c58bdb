//! "As of" and "known at" through the JSON API, checked against a fold of the stream's commits
//! written here, independently of the projector: for several dates, the figures the API shows
//! are the figures the events up to that date give.

use std::collections::BTreeMap;

use chrono::{DateTime, Days, NaiveDate, Utc};
use proto::{Commit, EventBody, ThingKind};
use serde_json::{Value, json};
use tests::TestApp;

/// What the test folds for itself: per blueprint, milestones by status and money by pledge.
#[derive(Debug, Default, PartialEq)]
struct Figures {
    milestones_done: u64,
    milestones_open: u64,
    pledged: u64,
    confirmed: u64,
    disbursed: u64,
    delivered: BTreeMap<String, u64>,
}

#[derive(Clone, Copy, PartialEq)]
enum Status {
    Open,
    Done,
    Cancelled,
}

#[derive(Clone, Copy)]
struct Pledge {
    money: bool,
    pledged: u64,
    confirmed: Option<u64>,
    disbursed: u64,
    withdrawn: bool,
}

/// Every commit in the stream, in order.
async fn commits(app: &TestApp) -> Vec<Commit> {
    let stream = app
        .jetstream()
        .get_stream(proto::subjects::STREAM)
        .await
        .unwrap();
    let last = app.last_seq().await;
    let mut out = Vec::new();
    for seq in 1..=last {
        let message = stream.get_raw_message(seq).await.unwrap();
        out.push(Commit::decode(&message.payload).unwrap());
    }
    out
}

/// The test's own fold: events that happened by the end of `as_of`, in commits recorded by
/// `known_at`.
fn fold(
    commits: &[Commit],
    bp: &str,
    as_of: NaiveDate,
    known_at: Option<DateTime<Utc>>,
) -> Figures {
    let mut milestones: BTreeMap<String, Status> = BTreeMap::new();
    let mut pledges: BTreeMap<String, Pledge> = BTreeMap::new();
    let mut delivered: BTreeMap<String, u64> = BTreeMap::new();
    for c in commits {
        if c.thing.blueprint.as_ref().map(|b| b.as_str()) != Some(bp) {
            continue;
        }
        if known_at.is_some_and(|k| c.recorded_at > k) {
            continue;
        }
        for e in &c.events {
            if e.occurred_on > as_of {
                continue;
            }
            let id = c.thing.id.clone();
            match (c.thing.kind, e.body().unwrap()) {
                (ThingKind::Milestone, EventBody::MilestonePlanned(_)) => {
                    milestones.insert(id, Status::Open);
                }
                (ThingKind::Milestone, EventBody::MilestoneCompleted(_)) => {
                    milestones.entry(id).and_modify(|s| *s = Status::Done);
                }
                (ThingKind::Milestone, EventBody::MilestoneCancelled(_)) => {
                    milestones.entry(id).and_modify(|s| *s = Status::Cancelled);
                }
                (ThingKind::Milestone, EventBody::MilestoneReopened(_)) => {
                    milestones.entry(id).and_modify(|s| *s = Status::Open);
                }
                (ThingKind::Commitment, EventBody::CommitmentDeliveryRecorded(d)) => {
                    *delivered.entry(id).or_default() += d.quantity;
                }
                (ThingKind::Pledge, EventBody::PledgeMade(p)) => {
                    pledges.insert(
                        id,
                        Pledge {
                            money: p.resource == proto::Resource::Money,
                            pledged: p.amount,
                            confirmed: None,
                            disbursed: 0,
                            withdrawn: false,
                        },
                    );
                }
                (ThingKind::Pledge, EventBody::PledgeConfirmed(p)) => {
                    pledges
                        .entry(id)
                        .and_modify(|x| x.confirmed = Some(p.amount));
                }
                (ThingKind::Pledge, EventBody::PledgeDisbursed(p)) => {
                    pledges.entry(id).and_modify(|x| x.disbursed += p.amount);
                }
                (ThingKind::Pledge, EventBody::PledgeWithdrawn(_)) => {
                    pledges.entry(id).and_modify(|x| x.withdrawn = true);
                }
                _ => {}
            }
        }
    }
    let mut f = Figures {
        delivered,
        ..Figures::default()
    };
    for s in milestones.values() {
        match s {
            Status::Done => f.milestones_done += 1,
            Status::Open => f.milestones_open += 1,
            Status::Cancelled => {}
        }
    }
    for p in pledges.values().filter(|p| p.money) {
        if p.withdrawn {
            // What was paid before a withdrawal still counts, and nothing else does.
            f.pledged += p.disbursed;
            f.confirmed += p.disbursed;
        } else {
            f.pledged += p.pledged;
            f.confirmed += p.confirmed.unwrap_or(0);
        }
        f.disbursed += p.disbursed;
    }
    f
}

/// The same figures as the API shows them.
async fn shown(app: &TestApp, bp: &str, query: &str) -> Figures {
    let dashboard = app
        .get(&format!("/api/v1/blueprints/{bp}/dashboard?{query}"))
        .await;
    assert_eq!(dashboard.status, 200, "{}", dashboard.body);
    let f = &dashboard.body["figures"];
    let s = &f["summary"];
    let money = &s["funding"]["money"];
    let count = |k: &str| s["milestones"][k].as_u64().unwrap();
    let delivered = f["commitments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["delivered"].as_u64().unwrap() > 0)
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_owned(),
                c["delivered"].as_u64().unwrap(),
            )
        })
        .collect();
    Figures {
        milestones_done: count("done"),
        milestones_open: count("planned") + count("in_progress"),
        pledged: money["pledged"].as_u64().unwrap(),
        confirmed: money["confirmed"].as_u64().unwrap(),
        disbursed: money["disbursed"].as_u64().unwrap(),
        delivered,
    }
}

fn known_at_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

#[tokio::test]
async fn every_figure_as_of_a_date_is_the_fold_of_the_events_up_to_it() {
    let app = TestApp::spawn().await;
    let client = cli::client::ApiClient::new(&app.base).with_token(Some(app.admin_token.clone()));
    let today = Utc::now().date_naive();
    let recorded = cli::demo::record(&client, today).await.unwrap();
    app.settle().await;
    let commits = commits(&app).await;

    let mut distinct = Vec::new();
    for days in [150, 120, 90, 60, 45, 30, 14, 1, 0] {
        let date = today.checked_sub_days(Days::new(days)).unwrap();
        let expected = fold(&commits, "wm-digital", date, None);
        let got = shown(&app, "wm-digital", &format!("as_of={date}")).await;
        assert_eq!(got, expected, "as of {date}");
        distinct.push(expected);
    }
    distinct.dedup();
    assert!(
        distinct.len() >= 5,
        "the demo's figures move over the months: {distinct:?}"
    );

    // Two months back, the summary the page shows says so, and nothing later leaks in.
    let two_months = today.checked_sub_days(Days::new(60)).unwrap();
    let summary = app
        .get(&format!("/api/v1/blueprints/wm-digital?as_of={two_months}"))
        .await;
    assert_eq!(summary.body["as_of"], json!(two_months.to_string()));
    let now = app.get("/api/v1/blueprints/wm-digital").await;
    assert_ne!(
        summary.body["funding"]["money"]["disbursed"], now.body["funding"]["money"]["disbursed"],
        "money paid in the last two months is not in the view of two months ago"
    );

    // The back-dated corrections: in the view as of their dates, but not in what was known
    // before they were recorded.
    let before = recorded.before_corrections;
    let with = shown(&app, "wm-digital", "").await;
    let without = shown(
        &app,
        "wm-digital",
        &format!("known_at={}", known_at_text(before)),
    )
    .await;
    assert_eq!(without, fold(&commits, "wm-digital", today, Some(before)));
    assert_eq!(with.delivered["gds-secondees"], 2);
    assert_eq!(without.delivered["gds-secondees"], 1);
    let dated = today.checked_sub_days(Days::new(25)).unwrap();
    let as_of_then = shown(&app, "wm-digital", &format!("as_of={dated}")).await;
    assert_eq!(
        as_of_then.delivered["gds-secondees"], 2,
        "as of the day it happened"
    );
    let board = shown(
        &app,
        "wm-digital",
        &format!("as_of={dated}&known_at={}", known_at_text(before)),
    )
    .await;
    assert_eq!(board.delivered["gds-secondees"], 1, "both axes together");

    // A change recorded today never appears as of yesterday.
    let yesterday = today.checked_sub_days(Days::new(1)).unwrap();
    let before_change = shown(&app, "wm-digital", &format!("as_of={yesterday}")).await;
    let seq = app
        .post(
            "/api/v1/blueprints/wm-digital/pledges/mhclg-local-digital/disburse",
            json!({"amount": 1_000_000, "note": "Paid today"}),
        )
        .await
        .seq();
    app.wait_for_checkpoint(seq).await;
    let after_change = shown(&app, "wm-digital", &format!("as_of={yesterday}")).await;
    assert_eq!(after_change, before_change);
    let today_view = shown(&app, "wm-digital", "").await;
    assert_eq!(today_view.disbursed, before_change.disbursed + 1_000_000);
}

#[tokio::test]
async fn a_date_or_instant_in_the_future_is_refused_by_name() {
    let app = TestApp::with_blueprint("wm").await;
    let tomorrow = Utc::now()
        .date_naive()
        .checked_add_days(Days::new(1))
        .unwrap();
    for (query, code) in [
        (format!("as_of={tomorrow}"), "read.as_of_in_future"),
        (
            "known_at=2999-01-01T00:00:00Z".to_owned(),
            "read.known_at_in_future",
        ),
    ] {
        let answer = app.get(&format!("/api/v1/blueprints/wm?{query}")).await;
        assert_eq!(answer.status, 400, "{query}");
        assert_eq!(answer.body["code"], json!(code), "{}", answer.body);
    }
    let answer = app.get("/api/v1/blueprints/wm?as_of=2001-01-01").await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.body["code"], json!("blueprint.not_yet_drafted"));
    let answer = app.get("/api/v1/blueprints/wm?as_of=2026-13-01").await;
    assert_eq!(answer.status, 400);
    let _: Value = answer.body;

    // Nor is a fact recorded before it happened: today's view could not count it.
    app.plan_milestone("wm", "academy", "2027-03-31").await;
    let answer = app
        .post(
            "/api/v1/blueprints/wm/milestones/academy/start",
            json!({"occurred_on": tomorrow.to_string()}),
        )
        .await;
    assert_eq!(answer.status, 422, "{}", answer.body);
    assert_eq!(answer.body["code"], json!("command.occurred_in_future"));
    assert_eq!(answer.body["field"], json!("occurred_on"));
}
