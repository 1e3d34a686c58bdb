//! What operators see: metrics that say how the programme is doing, clean under `promtool check
//! metrics`, and every series an alert or a Grafana panel uses, with its labels, exposed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::json;
use tests::TestApp;

/// The series of a scrape: name to the label names each sample carries, and every sample line.
fn series(text: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let (name, labels) = match line.split_once('{') {
            Some((name, rest)) => (name, rest.rsplit_once('}').map_or("", |(l, _)| l)),
            None => (line.split_whitespace().next().unwrap_or(""), ""),
        };
        let entry = out.entry(name.to_owned()).or_default();
        for pair in labels.split("\",").filter(|p| !p.is_empty()) {
            if let Some((label, _)) = pair.split_once('=') {
                entry.insert(label.trim_start_matches(',').to_owned());
            }
        }
    }
    out
}

fn sample(text: &str, line_start: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(line_start)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or_else(|| panic!("no {line_start} in {text}"))
}

fn promtool() -> std::process::Command {
    std::process::Command::new(std::env::var("WAYMARK_PROMTOOL").unwrap_or("promtool".into()))
}

/// A blueprint with an overdue milestone, a confirmed pledge and a commitment.
async fn programme() -> TestApp {
    let app = TestApp::spawn().await;
    app.given_blueprint("wm").await;
    app.plan_milestone("wm", "late", "2026-01-15").await;
    app.plan_milestone("wm", "later", "2031-01-15").await;
    let pledge = app
        .post(
            "/api/v1/blueprints/wm/pledges",
            json!({"id": "fund", "sponsor": "gds", "resource": "money", "amount": 125_000}),
        )
        .await;
    assert_eq!(pledge.status, 201, "{pledge:?}");
    app.post(
        "/api/v1/blueprints/wm/pledges/fund/confirm",
        json!({"amount": 100_000}),
    )
    .await;
    let made = app
        .post(
            "/api/v1/blueprints/wm/commitments",
            json!({"id": "roles", "partner": "gds", "kind": "secondment", "description": "Roles",
                   "quantity": 10, "unit": "roles", "due": "2031-01-01"}),
        )
        .await;
    assert_eq!(made.status, 201, "{made:?}");
    app.get(&format!("/api/v1/blueprints/wm?min_seq={}", made.seq()))
        .await;
    app
}

#[tokio::test]
async fn metrics_say_how_each_blueprint_is_doing() {
    let app = programme().await;
    let (status, text) = app.get_text("/metrics").await;
    assert_eq!(status, 200);
    let bp = "blueprint=\"wm\"";
    assert_eq!(
        sample(
            &text,
            &format!("waymark_blueprint_milestones{{{bp},rag=\"red\",status=\"planned\"}}")
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            &format!("waymark_blueprint_overdue{{{bp},kind=\"milestone\"}}")
        ),
        1.0
    );
    assert_eq!(
        sample(
            &text,
            &format!("waymark_blueprint_funding{{{bp},resource=\"money\",stage=\"pledged\"}}")
        ),
        125_000.0
    );
    assert_eq!(
        sample(
            &text,
            &format!("waymark_blueprint_funding{{{bp},resource=\"money\",stage=\"confirmed\"}}")
        ),
        100_000.0
    );
    assert_eq!(
        sample(
            &text,
            &format!("waymark_blueprint_commitments{{{bp},state=\"committed\"}}")
        ),
        1.0
    );
    let rags: f64 = ["red", "amber", "green"]
        .iter()
        .map(|rag| {
            sample(
                &text,
                &format!("waymark_blueprint_confidence{{{bp},rag=\"{rag}\"}}"),
            )
        })
        .sum();
    assert_eq!(rags, 1.0, "one RAG at a time");
    assert!(sample(&text, "waymark_read_model_bytes") > 0.0);
    assert!(text.contains("waymark_build_info{commit="), "{text}");
    assert!(sample(&text, "process_resident_memory_bytes") > 0.0);
    assert!(
        !text.contains("milestone=\"") && !text.contains("id=\""),
        "no thing ids as labels"
    );

    let mut check = promtool()
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool runs (make test installs it)");
    use std::io::Write;
    check
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let checked = check.wait_with_output().unwrap();
    assert!(
        checked.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&checked.stdout),
        String::from_utf8_lossy(&checked.stderr)
    );
}

/// Metric names and the labels each expression relies on (`{label=...}` and `by (...)`).
fn used_series(expr: &str) -> Vec<(String, BTreeSet<String>)> {
    let mut out = Vec::new();
    let bytes = expr.as_bytes();
    let mut i = 0;
    while let Some(at) = expr[i..].find("waymark_") {
        let start = i + at;
        let end = expr[start..]
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .map_or(expr.len(), |e| start + e);
        let name = expr[start..end].to_owned();
        let mut labels = BTreeSet::new();
        if bytes.get(end) == Some(&b'{') {
            let close = expr[end..].find('}').map_or(expr.len(), |c| end + c);
            for matcher in expr[end + 1..close].split(',') {
                let label: String = matcher
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                if !label.is_empty() {
                    labels.insert(label);
                }
            }
        }
        out.push((name, labels));
        i = end;
    }
    // Labels aggregated by, in the same expression, must exist on its series too.
    let mut by = BTreeSet::new();
    let mut rest = expr;
    while let Some(at) = rest.find("by (") {
        let inner = &rest[at + 4..];
        let close = inner.find(')').unwrap_or(inner.len());
        by.extend(
            inner[..close]
                .split(',')
                .map(|l| l.trim().to_owned())
                .filter(|l| !l.is_empty() && !["le", "instance", "job"].contains(&l.as_str())),
        );
        rest = &inner[close..];
    }
    for (_, labels) in &mut out {
        labels.extend(by.iter().cloned());
    }
    out
}

/// Every expression of the alert rules and the Grafana dashboard.
fn deploy_expressions() -> Vec<(String, String)> {
    let deploy = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy");
    let mut out = Vec::new();
    let alerts = std::fs::read_to_string(deploy.join("prometheus/alerts.yml")).unwrap();
    let mut in_expr = false;
    let mut alert = String::new();
    for line in alerts.lines() {
        let trimmed = line.trim();
        if let Some(name) = trimmed.strip_prefix("- alert: ") {
            alert = name.to_owned();
        }
        if let Some(expr) = trimmed.strip_prefix("expr:") {
            in_expr = expr.trim() == ">-";
            out.push((alert.clone(), expr.trim().to_owned()));
        } else if in_expr {
            if trimmed.is_empty() || trimmed.ends_with(':') || trimmed.starts_with("for:") {
                in_expr = false;
            } else if let Some(last) = out.last_mut() {
                last.1.push(' ');
                last.1.push_str(trimmed);
            }
        }
    }
    let grafana: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(deploy.join("grafana/waymark.json")).unwrap(),
    )
    .unwrap();
    for panel in grafana["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().into_iter().flatten() {
            out.push((
                format!("panel {}", panel["title"]),
                target["expr"].as_str().unwrap_or("").to_owned(),
            ));
        }
    }
    out
}

#[tokio::test]
async fn every_series_an_alert_or_a_panel_uses_is_exposed_with_its_labels() {
    let app = programme().await;
    // A rejection, and a thing with a commit no one reads, so those series exist too.
    app.post("/api/v1/blueprints/wm/milestones/nowhere/start", json!({}))
        .await;
    app.publish_raw("waymark.evt.wm.milestone.later", b"\xc1")
        .await;
    let refused = app
        .post("/api/v1/blueprints/wm/milestones/later/start", json!({}))
        .await;
    assert_eq!(refused.body["code"], "thing.unreadable", "{refused:?}");
    let (_, text) = app.get_text("/metrics").await;
    let exposed = series(&text);
    let expressions = deploy_expressions();
    assert!(expressions.len() >= 15, "{expressions:?}");
    let mut checked = 0;
    for (source, expr) in &expressions {
        for (name, labels) in used_series(expr) {
            let Some(has) = exposed.get(&name) else {
                panic!("{source} uses {name}, which no Waymark process exposes: {expr}");
            };
            for label in &labels {
                assert!(
                    has.contains(label),
                    "{source} uses {name} by {label}, which it does not carry ({has:?}): {expr}"
                );
            }
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked} series checked");
}

#[test]
fn the_alert_rules_pass_their_own_tests() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/prometheus");
    for args in [
        &["check", "rules", "alerts.yml"][..],
        &["test", "rules", "alerts_test.yml"][..],
    ] {
        let out = promtool()
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("promtool runs (make test installs it)");
        assert!(
            out.status.success(),
            "promtool {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
