//! Pages in a real headless Chromium: every page of the demo loads, shows its key figures with
//! and without JavaScript, and has no serious or critical accessibility violation (axe-core);
//! screenshots go to `target/screenshots/`. `tests/browser/check.mjs` drives the browser.

use std::path::PathBuf;
use std::process::Command;

use chrono::{Days, Utc};
use serde_json::{Value, json};
use tests::TestApp;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

/// Runs the browser over `pages` ({name, url, expect, expect_selectors}); returns its report.
fn check_pages(pages: Vec<Value>) -> Value {
    let root = repo_root();
    let screenshots = root.join("target/screenshots");
    std::fs::create_dir_all(&screenshots).unwrap();
    let plan = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(
        plan.path(),
        serde_json::to_vec(&json!({"screenshots": screenshots, "pages": pages})).unwrap(),
    )
    .unwrap();
    let output = Command::new("node")
        .arg(root.join("tests/browser/check.mjs"))
        .arg(plan.path())
        .current_dir(&root)
        .output()
        .expect("node runs (Node.js 20 or later; make test installs the browser packages)");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "the browser check printed no report ({e}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    report
}

fn assert_all_pass(report: &Value) {
    let failures: Vec<&Value> = report["pages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            p["status"].as_u64().is_none_or(|s| s >= 400)
                || [
                    "missing_text",
                    "missing_selectors",
                    "violations",
                    "duplicate_ids",
                    "no_js_missing_text",
                ]
                .iter()
                .any(|k| p[*k].as_array().is_some_and(|a| !a.is_empty()))
                || p.get("error").is_some_and(|e| !e.is_null())
        })
        .collect();
    assert!(
        failures.is_empty() && report["ok"] == json!(true),
        "pages failed in the browser: {}",
        serde_json::to_string_pretty(&failures).unwrap()
    );
}

fn page(name: &str, url: String, expect: &[&str], selectors: &[&str]) -> Value {
    json!({"name": name, "url": url, "expect": expect, "expect_selectors": selectors})
}

#[tokio::test]
async fn every_demo_page_shows_its_figures_and_passes_axe() {
    let app = TestApp::with_demo().await;
    let today = Utc::now().date_naive();
    let b = &app.base;
    let two_months = today.checked_sub_days(Days::new(60)).unwrap();
    let summary = app.get("/api/v1/blueprints/wm-digital").await.body;
    let past = app
        .get(&format!("/api/v1/blueprints/wm-digital?as_of={two_months}"))
        .await
        .body;
    let done = |s: &Value| {
        format!(
            "{} of {}",
            s["progress"]["done"].as_u64().unwrap(),
            s["progress"]["total"].as_u64().unwrap()
        )
    };
    let disbursed = |s: &Value| {
        proto::Resource::Money.format(s["funding"]["money"]["disbursed"].as_u64().unwrap())
    };
    let (done_now, done_then) = (done(&summary), done(&past));
    let (paid_now, paid_then) = (disbursed(&summary), disbursed(&past));
    assert_ne!(
        paid_now, paid_then,
        "the demo paid money in the last two months"
    );
    let chart = [
        "svg[role=img] title",
        "svg[role=img] desc",
        "circle[data-value]",
    ];
    let pages = vec![
        page(
            "portfolio",
            format!("{b}/"),
            &[
                "Portfolio",
                "West Midlands public sector digital blueprint",
                &done_now,
            ],
            &["#portfolio"],
        ),
        page(
            "blueprint",
            format!("{b}/blueprints/wm-digital"),
            &[
                "Delivery confidence",
                "Milestones that are red or amber",
                &done_now,
                &paid_now,
                "Tech roles created in Birmingham",
            ],
            &[
                "#confidence",
                "#burn-up-chart svg[role=img]",
                "#funding-chart svg[role=img]",
                "#milestone-timeline-chart svg[role=img]",
                chart[0],
                chart[1],
                chart[2],
                ".govuk-skip-link",
                ".govuk-phase-banner",
            ],
        ),
        page(
            "blueprint-two-months-ago",
            format!("{b}/blueprints/wm-digital?as_of={two_months}"),
            &[
                "You are looking at the past",
                "Go to today's figures",
                &done_then,
                &paid_then,
            ],
            &["#past-view", "#burn-up-chart svg[role=img]"],
        ),
        page(
            "blueprint-filtered",
            format!("{b}/blueprints/wm-digital?workstream=digital-hubs&sort=slippage"),
            &["milestones match"],
            &["#milestone-table"],
        ),
        page(
            "milestone",
            format!("{b}/blueprints/wm-digital/milestones/gds-academy"),
            &["History", "Baseline date", "recorded late"],
            &["#history .wm-timeline__item", "#facts"],
        ),
        page(
            "commitment",
            format!("{b}/blueprints/wm-digital/commitments/gds-secondees"),
            &["History", "2 of 2 people"],
            &["#history .wm-timeline__item"],
        ),
        page(
            "pledge",
            format!("{b}/blueprints/wm-digital/pledges/gds-academy"),
            &["History", "Disbursed"],
            &["#history .wm-timeline__item"],
        ),
        page(
            "organisations",
            format!("{b}/organisations"),
            &["Organisations", "Government Digital Service"],
            &["#organisations"],
        ),
        page(
            "organisation",
            format!("{b}/organisations/gds"),
            &[
                "Government Digital Service",
                "Milestones it owns",
                "What it pledged",
            ],
            &[".wm-part"],
        ),
        page(
            "activity",
            format!("{b}/blueprints/wm-digital/activity?page=2"),
            &["All activity", "Commits 26 to 50"],
            &[".govuk-pagination", "#activity .wm-timeline__item"],
        ),
        page(
            "board",
            format!(
                "{b}/blueprints/wm-digital/board?from={}",
                today.checked_sub_days(Days::new(90)).unwrap()
            ),
            &[
                "Since the last board",
                "Milestones that slipped",
                "Commitments delivered",
                "GDS pop-up academy opens in the region",
            ],
            &["#confidence-change", "#slipped"],
        ),
        page(
            "sign-in",
            format!("{b}/sign-in"),
            &["Sign in", "Token"],
            &["#token"],
        ),
    ];
    let report = tokio::task::spawn_blocking(move || check_pages(pages))
        .await
        .unwrap();
    assert_all_pass(&report);

    // Charts draw exactly the figures of the tables beside them, and end at the page's figures.
    for query in [String::new(), format!("?as_of={two_months}")] {
        let (_, html) = app
            .get_text(&format!("/blueprints/wm-digital{query}"))
            .await;
        let plotted = plotted(section(&html, "id=\"burn-up-chart\"", "</figure>"));
        let table = table_cells(section(&html, "id=\"burn-up-table\"", "</table>"));
        assert!(!plotted.is_empty(), "the burn-up draws points");
        for (date, values) in &table {
            for (series, value) in values.iter().enumerate() {
                assert!(
                    plotted.contains(&(series, date.clone(), value.clone())),
                    "{date}: series {series} = {value} in the table, not in the chart: {plotted:?}"
                );
            }
        }
        assert_eq!(
            plotted.len(),
            table.len() * 2,
            "the chart draws the table's points only"
        );
    }
    let dashboard = app
        .get("/api/v1/blueprints/wm-digital/dashboard")
        .await
        .body;
    let last = dashboard["progression"]["points"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["done"], summary["progress"]["done"]);
    assert_eq!(last["disbursed"], summary["funding"]["money"]["disbursed"]);
}

/// The part of `html` from `start` to the next `end`.
fn section<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html
        .find(start)
        .unwrap_or_else(|| panic!("{start} is on the page"));
    let rest = &html[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// (series, date, value) of every point a chart draws: the `circle`s after each series class.
fn plotted(svg: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    for group in svg.split("wm-series-").skip(1) {
        let Some(series) = group.get(..1).and_then(|n| n.parse::<usize>().ok()) else {
            continue;
        };
        for circle in group.split("<circle").skip(1) {
            let attr = |name: &str| {
                let at = circle
                    .find(&format!("{name}=\""))
                    .map(|p| p + name.len() + 2)?;
                Some(circle[at..at + circle[at..].find('"')?].to_owned())
            };
            if let (Some(d), Some(v)) = (attr("data-date"), attr("data-value")) {
                out.push((series - 1, d, v));
            }
        }
    }
    out.sort();
    out.dedup();
    out
}

/// Rows of a table body as (first cell, the other cells without thousands separators).
fn table_cells(table: &str) -> Vec<(String, Vec<String>)> {
    let body = section(table, "<tbody", "</tbody>");
    body.split("<tr")
        .skip(1)
        .map(|row| {
            let parts: Vec<&str> = row.split(['<', '>']).collect();
            let cells: Vec<String> = parts
                .windows(2)
                .filter(|w| w[0].starts_with("th ") || w[0].starts_with("td "))
                .map(|w| w[1].replace(',', ""))
                .collect();
            (cells[0].clone(), cells[1..].to_vec())
        })
        .collect()
}

/// The DOM of `url` after Chromium loaded it.
fn dump_dom(url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        // The longest Chromium waits for the page before dumping what it has; a loaded page is
        // dumped at once. Generous, as the whole suite shares two cores with it.
        .args(["--timeout=30000", "--dump-dom", url])
        .output()
        .expect("a headless Chromium (apt-get install chromium); make test installs it");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn pages_escape_what_users_typed_and_show_why_a_milestone_is_red() {
    let app = TestApp::with_blueprint("wm").await;
    app.record(
        "/api/v1/blueprints/wm/milestones",
        json!({"id": "academy", "workstream": "skills", "title": "Academy <opens> & \"runs\"", "owner": "gds", "due": "2020-01-01"}),
    )
    .await;
    let fund =
        json!({"id": "fund", "sponsor": "gds", "resource": "money", "amount": 25_000_000u64});
    let last = app.record("/api/v1/blueprints/wm/pledges", fund).await;
    app.wait_for_checkpoint(last).await;
    let url = format!("{}/blueprints/wm", app.base);
    let dom = tokio::task::spawn_blocking(move || dump_dom(&url))
        .await
        .unwrap();
    assert!(
        dom.contains("<h1 class=\"govuk-heading-xl\">West Midlands digital</h1>"),
        "{dom}"
    );
    assert!(dom.contains("<title>West Midlands digital · Waymark</title>"));
    assert!(
        dom.contains("Academy &lt;opens&gt; &amp; \"runs\""),
        "{dom}"
    );
    assert!(!dom.contains("<opens>"));
    assert!(
        dom.contains("govuk-tag--red\">Red</strong>"),
        "a red tag says Red"
    );
    assert!(dom.contains("forecast date 2020-01-01 has passed"));
    assert!(dom.contains("£250,000.00"));
    assert!(!dom.contains("class=\"wm-forms"), "no forms for a reader");

    let url = format!("{}/blueprints/wm/milestones/academy", app.base);
    let dom = tokio::task::spawn_blocking(move || dump_dom(&url))
        .await
        .unwrap();
    assert!(dom.contains("id=\"history\""), "{dom}");
    assert!(
        dom.contains("Planned \"Academy &lt;opens&gt; &amp; \"runs\"\" for 2020-01-01"),
        "{dom}"
    );
    assert!(
        dom.contains("test-admin"),
        "the history names who recorded it"
    );
    assert!(!dom.contains("action=\"/blueprints/wm/milestones/academy/replan\""));
}
