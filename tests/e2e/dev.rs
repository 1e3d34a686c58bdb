//! `waymark dev`: a private nats-server, everything in one process, the demo recorded once.

use cli::dev::{Dev, DevConfig, start};
use eventstore::StreamReader;

fn args(dir: &std::path::Path) -> DevConfig {
    DevConfig {
        data_dir: dir.to_path_buf(),
        listen: "127.0.0.1:0".parse().unwrap(),
        nats_server: None,
        nats_port: 0,
        no_demo: false,
    }
}

/// The answer to a GET of `url`, which must succeed.
async fn read(url: String) -> reqwest::Response {
    let response = reqwest::get(&url).await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response
}

/// The sequence of the last commit in `dev`'s stream, read on a connection of the test's own.
async fn last_seq(dev: &Dev) -> u64 {
    StreamReader::open(&dev.server.client_config(), "test-reader")
        .await
        .unwrap()
        .stream_last_seq()
        .await
        .unwrap()
}

#[tokio::test]
async fn dev_records_the_demo_once_and_keeps_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let dev = start(&args(dir.path())).await.expect("dev starts");
    let commits = last_seq(&dev).await;
    let summary = format!("{}/api/v1/blueprints/wm-digital?min_seq={commits}", dev.url);
    let summary: serde_json::Value = read(summary).await.json().await.unwrap();
    assert_eq!(
        summary["title"],
        "West Midlands public sector digital blueprint"
    );
    assert!(
        summary["progress"]["total"].as_u64().unwrap() >= 10,
        "{summary}"
    );
    assert!(summary["funding"]["money"]["confirmed"].as_u64().unwrap() > 0);
    assert_eq!(
        summary["rag"]["red"].as_u64(),
        Some(1),
        "the overdue secondment scheme is red: {summary}"
    );
    let page = read(format!("{}/blueprints/wm-digital", dev.url)).await;
    let page = page.text().await.unwrap();
    assert!(page.contains("HMCTS digital hub opens in Birmingham"));
    dev.shutdown().await;

    let again = start(&args(dir.path())).await.expect("dev starts again");
    assert_eq!(
        last_seq(&again).await,
        commits,
        "the demo is not recorded twice"
    );
    let summary = read(format!("{}/api/v1/blueprints/wm-digital", again.url)).await;
    let summary: serde_json::Value = summary.json().await.unwrap();
    assert_eq!(
        summary["checkpoint"].as_u64(),
        Some(commits),
        "read models kept"
    );
    again.shutdown().await;
}
