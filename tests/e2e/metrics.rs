//! `/metrics` is Prometheus text, and its counters move when commands are handled.

use serde_json::json;
use tests::TestApp;

/// Parses Prometheus text exposition, failing on any line that is not a comment or a sample.
fn parse(text: &str) -> Vec<(String, f64)> {
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(comment) = line.strip_prefix('#') {
            let comment = comment.trim_start();
            assert!(
                comment.starts_with("HELP ") || comment.starts_with("TYPE "),
                "bad comment line {line:?}"
            );
            if let Some(t) = comment.strip_prefix("TYPE ") {
                let kind = t.split_whitespace().nth(1).unwrap_or("");
                assert!(
                    ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                    "bad type in {line:?}"
                );
            }
            continue;
        }
        let (series, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value in {line:?}"));
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value in {line:?}"));
        let name_end = series.find('{').unwrap_or(series.len());
        let name = &series[..name_end];
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "bad name in {line:?}"
        );
        if name_end < series.len() {
            assert!(series.ends_with('}'), "unclosed labels in {line:?}");
        }
        samples.push((series.to_owned(), value));
    }
    samples
}

fn value(samples: &[(String, f64)], series: &str) -> f64 {
    samples
        .iter()
        .find(|(s, _)| s == series)
        .map_or(0.0, |(_, v)| *v)
}

#[tokio::test]
async fn metrics_parse_and_counters_move() {
    let app = TestApp::with_blueprint("wm").await;
    let (status, before) = app.get_text("/metrics").await;
    assert_eq!(status, 200);
    let before = parse(&before);
    let plan =
        r#"waymark_commands_total{action="plan",outcome="accepted",service="waymark-milestones"}"#;
    let rejected = r#"waymark_command_rejections_total{code="milestone.already_planned",service="waymark-milestones"}"#;
    let appended = r#"waymark_commits_appended_total{service="waymark-milestones"}"#;

    let a = app.plan_milestone("wm", "academy", "2027-03-31").await;
    app.plan_milestone("wm", "academy", "2027-03-31").await;
    app.wait_for_checkpoint(a.seq()).await;
    let (_, after) = app.get_text("/metrics").await;
    let after = parse(&after);
    assert_eq!(value(&after, plan) - value(&before, plan), 1.0);
    assert_eq!(value(&after, rejected) - value(&before, rejected), 1.0);
    assert_eq!(value(&after, appended) - value(&before, appended), 1.0);
    assert!(value(&after, "waymark_projector_checkpoint") >= a.seq() as f64);
    assert!(
        after
            .iter()
            .any(|(s, v)| s.starts_with("waymark_http_requests_total{")
                && s.contains(r#"route="/api/v1/blueprints/{bp}/milestones""#)
                && s.contains(r#"status="201""#)
                && *v >= 1.0)
    );
    let _ = json!({});
}

#[tokio::test]
async fn health_and_readiness() {
    let app = TestApp::spawn().await;
    assert_eq!(app.get_text("/healthz").await.0, 200);
    assert_eq!(app.get_text("/readyz").await.0, 200);
}
