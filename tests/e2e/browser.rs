//! The blueprint page, rendered by a real headless Chromium.

use std::process::Command;

use serde_json::json;
use tests::TestApp;

/// The DOM of `url` after Chromium loaded it.
fn dump_dom(url: &str) -> String {
    let binary = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| {
            Command::new(b)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .expect("a headless Chromium (apt-get install chromium); .ci/run installs it");
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(binary)
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
        .args(["--virtual-time-budget=2000", "--dump-dom", url])
        .output()
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[tokio::test]
async fn the_blueprint_page_lists_milestones_commitments_and_pledges() {
    let app = TestApp::spawn().await;
    app.given_blueprint("wm").await;
    app.post(
        "/api/v1/blueprints/wm/milestones",
        json!({"id": "academy", "workstream": "skills", "title": "Academy <opens> & \"runs\"", "owner": "gds", "due": "2020-01-01"}),
    )
    .await;
    app.post(
        "/api/v1/blueprints/wm/commitments",
        json!({"id": "secondees", "partner": "gds", "kind": "secondment", "description": "Two secondees", "quantity": 2, "unit": "people", "due": "2027-01-31"}),
    )
    .await;
    let last = app
        .post(
            "/api/v1/blueprints/wm/pledges",
            json!({"id": "fund", "sponsor": "gds", "resource": "money", "amount": 25_000_000u64}),
        )
        .await
        .seq();
    app.wait_for_checkpoint(last).await;
    let url = format!("{}/blueprints/wm", app.base);
    let dom = tokio::task::spawn_blocking(move || dump_dom(&url))
        .await
        .unwrap();
    assert!(dom.contains("<h1>West Midlands digital</h1>"), "{dom}");
    assert!(
        dom.contains("<title>West Midlands digital · Waymark</title>"),
        "{dom}"
    );
    assert_eq!(
        dom.matches("<h2>").count(),
        4,
        "funding, milestones, commitments, pledges; no forms for a reader"
    );
    // What users typed is escaped, so the browser shows it as text, not markup.
    assert!(
        dom.contains("Academy &lt;opens&gt; &amp; \"runs\""),
        "{dom}"
    );
    assert!(!dom.contains("<opens>"));
    assert!(dom.contains("rag-red"), "an overdue milestone is red");
    assert!(dom.contains("forecast date 2020-01-01 has passed"));
    assert!(dom.contains("Two secondees"));
    assert!(dom.contains("£250,000.00"));
    assert!(dom.contains("Delivery confidence"));

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
    assert!(dom.contains("Baseline date"));
    assert!(
        !dom.contains("action=\"/blueprints/wm/milestones/academy/replan\""),
        "no forms for an anonymous reader"
    );
}
