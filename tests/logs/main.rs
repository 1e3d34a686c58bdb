//! The log as operators collect it: one JSON object a line, carrying the blueprint, the thing,
//! the command and the stream sequence of what it is about, from the dashboard's write path and
//! the command service alike.

use serde_json::Value;
use tests::TestApp;

fn json_lines(captured: &telemetry::logs::Captured) -> Vec<Value> {
    captured
        .lines()
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn find<'a>(lines: &'a [Value], message: &str, matches: impl Fn(&Value) -> bool) -> &'a Value {
    lines
        .iter()
        .find(|l| l["message"] == message && matches(l))
        .unwrap_or_else(|| panic!("no {message:?} line in {lines:#?}"))
}

// One thread, so that the services and the dashboard, spawned on this runtime, log into the
// capture.
#[tokio::test(flavor = "current_thread")]
async fn writes_are_logged_with_their_blueprint_thing_command_and_sequence() {
    let (captured, _guard) = telemetry::logs::capture(&telemetry::LogConfig {
        format: telemetry::LogFormat::Json,
        ..telemetry::LogConfig::default()
    });
    let app = TestApp::spawn().await;
    app.given_blueprint("wm").await;
    let planned = app.plan_milestone("wm", "launch", "2027-06-30").await;
    assert_eq!(planned.status, 201, "{planned:?}");
    let seq = planned.seq();
    let again = app
        .post(
            "/api/v1/blueprints/wm/milestones",
            serde_json::json!({"id": "launch", "workstream": "skills", "title": "Another",
                "owner": "gds", "due": "2027-06-30"}),
        )
        .await;
    assert_eq!(again.status, 409, "{again:?}");

    let lines = json_lines(&captured);
    let appended = find(&lines, "commit appended", |l| l["seq"] == seq);
    assert_eq!(appended["service"], "waymark-milestones");
    assert_eq!(appended["command"], "plan");
    assert_eq!(appended["blueprint"], "wm");
    assert_eq!(appended["thing"], "wm/launch");
    assert_eq!(appended["level"], "INFO");
    assert!(appended["timestamp"].is_string());

    let stored = find(&lines, "write stored", |l| l["seq"] == seq);
    assert_eq!(stored["command"], "plan");
    assert_eq!(stored["kind"], "milestone");
    assert_eq!(stored["blueprint"], "wm");
    assert_eq!(stored["thing"], "wm/launch");

    let rejected = find(&lines, "command rejected", |l| l["command"] == "plan");
    assert_eq!(rejected["blueprint"], "wm");
    assert_eq!(rejected["thing"], "wm/launch");
    assert!(rejected["code"].is_string());
    assert!(
        rejected["detail"].is_string(),
        "the rule's sentence, not the line's message"
    );
    let refused = find(&lines, "write not stored", |l| l["thing"] == "wm/launch");
    assert_eq!(refused["status"], 409);
    assert_eq!(refused["code"], rejected["code"]);

    // An organisation belongs to no blueprint: the field is left out rather than empty.
    let organisation = find(&lines, "commit appended", |l| l["thing"] == "gds");
    assert!(organisation.get("blueprint").is_none(), "{organisation}");
}
