//! What sponsors read beyond the blueprint page: the board report, organisation pages, CSV of
//! every table, the Atom feed, and live pages over Server-Sent Events.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use chrono::{Days, Utc};
use serde_json::{Value, json};
use tests::TestApp;

/// Drafts blueprint `draft-plan` and waits until the read models show it.
async fn draft_plan(app: &TestApp) {
    let seq = app
        .record(
            "/api/v1/blueprints",
            json!({"id": "draft-plan", "title": "Draft", "summary": "s", "lead_org": "gds",
                   "start_date": "2026-01-01", "target_end_date": "2027-12-31", "funding_target": 100}),
        )
        .await;
    app.wait_for_checkpoint(seq).await;
}

fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn the_board_report_is_the_difference_between_two_dates() {
    let app = TestApp::with_demo().await;
    let today = Utc::now().date_naive();
    let from = today.checked_sub_days(Days::new(90)).unwrap();
    let report = app
        .get(&format!(
            "/api/v1/blueprints/wm-digital/board?from={from}&to={today}"
        ))
        .await;
    assert_eq!(report.status, 200, "{}", report.body);
    let r = &report.body;
    let then = app
        .get(&format!(
            "/api/v1/blueprints/wm-digital/dashboard?as_of={from}"
        ))
        .await
        .body;
    let now = app
        .get("/api/v1/blueprints/wm-digital/dashboard")
        .await
        .body;
    assert_eq!(
        r["money_before"],
        then["figures"]["summary"]["funding"]["money"]
    );
    assert_eq!(
        r["money_after"],
        now["figures"]["summary"]["funding"]["money"]
    );
    assert_eq!(
        r["confidence_before"],
        then["figures"]["summary"]["confidence"]
    );
    assert_eq!(
        r["confidence_after"],
        now["figures"]["summary"]["confidence"]
    );
    // Every milestone listed as done was not done at the earlier date and is done now.
    let status_then = |id: &str| {
        then["figures"]["milestones"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["id"] == json!(id))
            .map(|m| m["status"].clone())
    };
    let done = ids(&r["done"]);
    assert!(
        !done.is_empty(),
        "the demo completed milestones in the last three months: {r}"
    );
    for id in &done {
        assert_ne!(status_then(id), Some(json!("done")), "{id}");
    }
    assert!(
        ids(&r["slipped"]).contains(&"gds-academy".to_owned()),
        "{}",
        r["slipped"]
    );
    assert!(
        ids(&r["deliveries"]).contains(&"gds-secondees".to_owned()),
        "the back-dated delivery happened in the period"
    );
    // The page and the CSV show the same lines.
    let (status, page) = app
        .get_text(&format!(
            "/blueprints/wm-digital/board?from={from}&to={today}"
        ))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains("Since the last board"));
    let (status, csv) = app
        .get_text(&format!(
            "/blueprints/wm-digital/board.csv?from={from}&to={today}"
        ))
        .await;
    assert_eq!(status, 200);
    let lines = [
        "done",
        "slipped",
        "brought_forward",
        "added",
        "cancelled",
        "reopened",
        "deliveries",
        "pledges",
    ]
    .iter()
    .map(|k| r[*k].as_array().unwrap().len())
    .sum::<usize>();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), lines);
    // The earlier date must come first.
    let wrong = app
        .get(&format!(
            "/api/v1/blueprints/wm-digital/board?from={today}&to={from}"
        ))
        .await;
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.body["code"], json!("read.from_after_to"));
}

#[tokio::test]
async fn an_organisation_page_shows_what_it_does_across_blueprints() {
    let app = TestApp::with_demo().await;
    let gds = app.get("/api/v1/organisations/gds/involvement").await;
    assert_eq!(gds.status, 200, "{}", gds.body);
    let part = &gds.body["blueprints"][0];
    assert_eq!(part["blueprint"], json!("wm-digital"));
    assert!(ids(&part["commitments"]).contains(&"gds-secondees".to_owned()));
    assert!(ids(&part["pledges"]).contains(&"gds-academy".to_owned()));
    assert!(ids(&part["milestones"]).contains(&"gds-academy".to_owned()));
    let (status, page) = app.get_text("/organisations/gds").await;
    assert_eq!(status, 200);
    assert!(page.contains("Government Digital Service"));
    assert!(page.contains("What it committed and delivered"));
    let missing = app.get("/api/v1/organisations/nobody/involvement").await;
    assert_eq!(missing.status, 404);
}

#[tokio::test]
async fn every_table_downloads_as_csv_with_its_columns() {
    let app = TestApp::with_demo().await;
    for (name, columns) in dashboard::tables::TABLES {
        let (status, body) = app
            .get_text(&format!("/blueprints/wm-digital/tables/{name}.csv"))
            .await;
        assert_eq!(status, 200, "{name}: {body}");
        let mut reader = csv::Reader::from_reader(body.as_bytes());
        let header: Vec<String> = reader
            .headers()
            .unwrap()
            .iter()
            .map(str::to_owned)
            .collect();
        assert_eq!(&header, columns, "{name}");
        let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
        assert!(!rows.is_empty(), "the demo has rows in {name}");
    }
    let (status, _) = app
        .get_text("/blueprints/wm-digital/tables/nothing.csv")
        .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn the_feed_is_public_for_published_blueprints_only() {
    let app = TestApp::with_demo().await;
    let feed = app.get_as(None, "/blueprints/wm-digital/feed.atom").await;
    assert_eq!(feed.status, 200);
    let content_type = feed.header("content-type").unwrap();
    assert!(
        content_type.starts_with("application/atom+xml"),
        "{content_type}"
    );
    let xml = feed.body.as_str().expect("the feed as text");
    assert!(xml.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">"));
    assert!(xml.matches("<entry>").count() >= 10, "{xml}");
    assert!(xml.contains("GDS pop-up academy"));
    // A draft's feed needs a token.
    draft_plan(&app).await;
    let (status, _) = app.get_text("/blueprints/draft-plan/feed.atom").await;
    assert_eq!(status, 200, "a token that reaches the draft reads its feed");
    let anonymous = app.get_as(None, "/blueprints/draft-plan/feed.atom").await;
    assert_eq!(anonymous.status, 404, "a draft is not there for nobody");
}

/// Reads a live stream until an event arrives or `deadline` passes.
async fn next_event(response: &mut reqwest::Response, deadline: Duration) -> Option<String> {
    let mut text = String::new();
    let read = async {
        while let Ok(Some(chunk)) = response.chunk().await {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if text.contains("event: change") {
                return;
            }
        }
    };
    tokio::time::timeout(deadline, read).await.ok()?;
    Some(text)
}

#[tokio::test]
async fn a_live_stream_says_when_its_blueprint_changes_and_streams_are_bounded() {
    let app = TestApp::spawn_with(|c| c.live_streams = 2).await;
    app.given_blueprint("wm").await;
    app.plan_milestone("wm", "academy", "2027-03-31").await;
    let url = format!("{}/blueprints/wm/live", app.base);
    let mut first = app.http.get(&url).send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert!(
        first.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let second = app.http.get(&url).send().await.unwrap();
    assert_eq!(second.status(), 200);
    let third = app.http.get(&url).send().await.unwrap();
    assert_eq!(third.status(), 503, "only two streams may be open");
    assert_eq!(third.headers()["retry-after"], "30");
    drop(second);
    app.record("/api/v1/blueprints/wm/milestones/academy/start", json!({}))
        .await;
    let event = next_event(&mut first, Duration::from_secs(10)).await;
    assert!(
        event.is_some_and(|e| e.contains("event: change")),
        "a change arrives"
    );
    drop(first);
    // A page rendered before a change hears of it at once, even if it connects after it.
    let mut late = app.http.get(format!("{url}?since=1")).send().await.unwrap();
    assert_eq!(late.status(), 200);
    let event = next_event(&mut late, Duration::from_secs(2)).await;
    assert!(
        event.is_some_and(|e| e.contains("event: change")),
        "a change since the page was rendered is announced without waiting for another"
    );
    drop(late);
    // A draft's stream needs a token that reaches it.
    draft_plan(&app).await;
    let anonymous = reqwest::get(format!("{}/blueprints/draft-plan/live", app.base))
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 404, "a draft is not there for nobody");
}

#[tokio::test]
async fn an_open_page_shows_a_milestone_done_without_a_reload() {
    let app = TestApp::with_demo().await;
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned();
    let url = format!("{}/blueprints/wm-digital/milestones/gds-academy", app.base);
    let today = Utc::now().date_naive().to_string();
    let expected = format!("Completed on {today}");
    let mut watcher = Command::new("node")
        .arg(root.join("tests/browser/live.mjs"))
        .args([url.as_str(), expected.as_str(), "15"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("node runs");
    let stdout = watcher.stdout.take().unwrap();
    let ready = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        line
    })
    .await
    .unwrap();
    assert_eq!(ready.trim(), "ready", "the page opened its live stream");
    let done = app
        .post(
            "/api/v1/blueprints/wm-digital/milestones/gds-academy/complete",
            json!({"on": today}),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let status = tokio::task::spawn_blocking(move || watcher.wait().unwrap())
        .await
        .unwrap();
    assert!(
        status.success(),
        "the page showed the completion without a reload"
    );
}

#[tokio::test]
async fn a_long_milestone_table_is_paged_with_its_filters_kept() {
    let app = TestApp::with_blueprint("wm").await;
    let mut last = 0;
    for i in 0..60 {
        let planned = app
            .plan_milestone(
                "wm",
                &format!("m{i:02}"),
                &format!("2027-03-{:02}", 1 + i % 28),
            )
            .await;
        assert_eq!(planned.status, 201, "{planned:?}");
        last = last.max(planned.body["seq"].as_u64().unwrap());
    }
    app.wait_for_checkpoint(last).await;
    let rows = |html: &str| {
        html.matches("<tr class=\"govuk-table__row\" data-id=\"m")
            .count()
    };
    let (status, first) = app.get_text("/blueprints/wm").await;
    assert_eq!(status, 200);
    assert!(first.contains("60 milestones, 1 to 50 shown"), "{first}");
    assert_eq!(rows(&first), 50);
    assert!(first.contains("aria-label=\"Pages of milestones\""));
    assert!(
        first.contains("href=\"/blueprints/wm?page=2#milestones\""),
        "{first}"
    );
    let (_, second) = app
        .get_text("/blueprints/wm?sort=title&owner=gds&page=2")
        .await;
    assert!(second.contains("60 milestones, 51 to 60 shown"), "{second}");
    assert_eq!(rows(&second), 10);
    assert!(
        second.contains("sort=title&#38;owner=gds&#38;page=1#milestones"),
        "{second}"
    );
    // A page past the end is the last one.
    let (_, past) = app.get_text("/blueprints/wm?page=9").await;
    assert_eq!(rows(&past), 10);
}

/// The blueprint page's figures are rendered once per state of the blueprint and served to every
/// visitor from the cache; the page still follows a renamed organisation, which changes no
/// blueprint, and a new milestone.
#[tokio::test]
async fn the_blueprint_page_follows_every_change_it_shows() {
    let app = TestApp::with_demo().await;
    let (status, before) = app.get_text("/blueprints/wm-digital").await;
    assert_eq!(status, 200);
    assert!(before.contains("Government Digital Service"), "{before}");
    let renamed = app
        .record(
            "/api/v1/organisations/gds/rename",
            json!({"name": "Digital Academy Service"}),
        )
        .await;
    app.wait_for_checkpoint(renamed).await;
    let (_, after) = app.get_text("/blueprints/wm-digital").await;
    assert!(after.contains("Digital Academy Service"));
    assert!(!after.contains("Government Digital Service"));
    let planned = app
        .record(
            "/api/v1/blueprints/wm-digital/milestones",
            json!({"id": "cache-check", "title": "A milestone planned after the page was read",
                   "workstream": "skills-pipeline", "owner": "gds", "due": "2027-03-31"}),
        )
        .await;
    app.wait_for_checkpoint(planned).await;
    let (_, later) = app.get_text("/blueprints/wm-digital?sort=title").await;
    assert!(later.contains("A milestone planned after the page was read"));
    // The past is drawn apart from today, and without the milestone.
    let past = (Utc::now().date_naive() - Days::new(30)).to_string();
    let (_, then) = app
        .get_text(&format!("/blueprints/wm-digital?as_of={past}"))
        .await;
    assert!(then.contains("You are looking at the past"));
    assert!(!then.contains("A milestone planned after the page was read"));
}
