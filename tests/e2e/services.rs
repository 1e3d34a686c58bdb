//! The command services as they run in production, one binary each: their own `/metrics`,
//! `/healthz` and `/readyz`, tested like the dashboard's.

use std::path::PathBuf;
use std::time::Duration;

use eventstore::CommandSender;
use proto::Reply;
use proto::commands::{MilestoneAction, MilestoneCommand};
use tests::{TestNats, free_port};

/// The binary operators run for `name`, built in this package as `service-<kind>`.
fn binary(name: &str) -> PathBuf {
    PathBuf::from(match name {
        "waymark-blueprints" => env!("CARGO_BIN_EXE_service-blueprints"),
        "waymark-milestones" => env!("CARGO_BIN_EXE_service-milestones"),
        "waymark-commitments" => env!("CARGO_BIN_EXE_service-commitments"),
        "waymark-pledges" => env!("CARGO_BIN_EXE_service-pledges"),
        other => panic!("no service binary {other}"),
    })
}

/// A service binary running against `nats`, its operator endpoints on `ops`.
struct Running {
    child: tokio::process::Child,
    ops: String,
}

async fn start(name: &str, nats: &TestNats) -> Running {
    let config = nats.config();
    let port = free_port();
    let child = tokio::process::Command::new(binary(name))
        .env("WAYMARK_NATS_URL", &config.url)
        .env("WAYMARK_NATS_USER", config.user.as_deref().unwrap())
        .env(
            "WAYMARK_NATS_PASSWORD",
            config.password.as_ref().unwrap().expose(),
        )
        .env("WAYMARK_OPS_ADDR", format!("127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("the service starts");
    let ops = format!("http://127.0.0.1:{port}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while reqwest::get(format!("{ops}/healthz")).await.is_err() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{name} never served /healthz"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Running { child, ops }
}

async fn get(url: String) -> (u16, String) {
    let r = reqwest::get(url).await.expect("answered");
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn every_service_binary_serves_its_operator_endpoints() {
    let nats = TestNats::start().await;
    for name in [
        "waymark-blueprints",
        "waymark-milestones",
        "waymark-commitments",
        "waymark-pledges",
    ] {
        let mut service = start(name, &nats).await;
        assert_eq!(
            get(format!("{}/healthz", service.ops)).await.0,
            200,
            "{name}"
        );
        let (status, ready) = get(format!("{}/readyz", service.ops)).await;
        assert_eq!(status, 200, "{name}: {ready}");
        let (status, metrics) = get(format!("{}/metrics", service.ops)).await;
        assert_eq!(status, 200, "{name}");
        for series in ["waymark_build_info{", "process_resident_memory_bytes "] {
            assert!(metrics.contains(series), "{name} shows {series}: {metrics}");
        }
        service.child.kill().await.unwrap();
    }
}

/// A milestones service that meets a commit it cannot read says so on its own readiness and
/// metrics, naming the thing, and answers the command with a permanent refusal.
#[tokio::test]
async fn a_service_names_the_thing_it_cannot_read() {
    let nats = TestNats::start().await;
    let service = start("waymark-milestones", &nats).await;
    let reader = eventstore::StreamReader::open(&nats.config(), "test-sender")
        .await
        .unwrap();
    let subject = "waymark.evt.wm.milestone.academy";
    let client = async_nats::ConnectOptions::with_user_and_password(
        nats.config().user.unwrap(),
        nats.config().password.unwrap().expose().to_owned(),
    )
    .connect(nats.url())
    .await
    .unwrap();
    let garbage = tests::publish_raw(
        &async_nats::jetstream::new(client),
        subject,
        b"\xc1 not a commit",
    )
    .await;
    let mut command = tests::envelope(
        "start-1",
        MilestoneCommand {
            blueprint: "wm".parse().unwrap(),
            milestone: "academy".parse().unwrap(),
            action: MilestoneAction::Start {},
        },
    );
    let reply = CommandSender::new(&reader, Duration::from_secs(10))
        .send(proto::ThingKind::Milestone, &mut command)
        .await
        .unwrap();
    let Reply::Rejected(refusal) = reply else {
        panic!("an unreadable thing takes no command: {reply:?}")
    };
    assert_eq!(refusal.code, "thing.unreadable");

    let (status, ready) = get(format!("{}/readyz", service.ops)).await;
    assert_eq!(status, 503, "{ready}");
    assert!(
        ready.contains(&format!("commit {garbage} on {subject}")),
        "{ready}"
    );
    let (_, metrics) = get(format!("{}/metrics", service.ops)).await;
    assert!(
        metrics.contains(&format!(
            "waymark_unreadable_commits{{seq=\"{garbage}\",service=\"waymark-milestones\",subject=\"{subject}\"}} 1"
        )),
        "{metrics}"
    );
    assert!(
        metrics.contains("waymark_command_rejections_total{code=\"thing.unreadable\",service=\"waymark-milestones\"} 1"),
        "{metrics}"
    );
}
