//! The `waymark` command records through the HTTP API and answers with reliable exit codes.

use clap::Parser;
use tests::TestApp;

async fn waymark(app: &TestApp, args: &[&str]) -> i32 {
    let mut argv = vec!["waymark"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--url", &app.base, "--token", &app.tokens.recorder]);
    cli::main_with(cli::Cli::try_parse_from(argv).expect("valid arguments")).await
}

#[tokio::test]
async fn the_cli_records_a_milestone_a_commitment_and_a_pledge() {
    let app = TestApp::spawn().await;
    app.given_blueprint("wm").await;
    let plan = [
        "milestone",
        "plan",
        "wm/academy",
        "--workstream",
        "skills",
        "--title",
        "GDS academy",
        "--owner",
        "gds",
        "--due",
        "2027-03-31",
    ];
    assert_eq!(waymark(&app, &plan).await, 0);
    assert_eq!(
        waymark(
            &app,
            &[
                "milestone",
                "replan",
                "wm/academy",
                "--to",
                "2027-04-30",
                "--reason",
                "venue"
            ]
        )
        .await,
        0
    );
    assert_eq!(
        waymark(
            &app,
            &[
                "commitment",
                "make",
                "wm/secondees",
                "--partner",
                "gds",
                "--kind",
                "secondment",
                "--description",
                "Two secondees",
                "--quantity",
                "2",
                "--unit",
                "people",
                "--due",
                "2027-01-31"
            ]
        )
        .await,
        0
    );
    assert_eq!(
        waymark(
            &app,
            &["commitment", "deliver", "wm/secondees", "--quantity", "1"]
        )
        .await,
        0
    );
    assert_eq!(
        waymark(
            &app,
            &[
                "pledge",
                "make",
                "wm/fund",
                "--sponsor",
                "gds",
                "--money",
                "250,000",
                "--conditions",
                "illustrative"
            ]
        )
        .await,
        0
    );
    assert_eq!(
        waymark(
            &app,
            &["pledge", "confirm", "wm/fund", "--money", "200000.50"]
        )
        .await,
        0
    );

    let last = app.store().stream_last_seq().await.unwrap();
    let summary = app
        .get(&format!("/api/v1/blueprints/wm?min_seq={last}"))
        .await;
    assert_eq!(summary.body["funding"]["money"]["confirmed"], 20_000_050u64);
    let m = app.get("/api/v1/blueprints/wm/milestones/academy").await;
    assert_eq!(m.body["forecast"], "2027-04-30");
    assert_eq!(m.body["history"][1]["actor"], "test-recorder");
    let c = app.get("/api/v1/blueprints/wm/commitments/secondees").await;
    assert_eq!(c.body["delivered"], 1);

    // A broken rule exits 3; an unreachable dashboard exits 4.
    assert_eq!(
        waymark(
            &app,
            &["milestone", "reopen", "wm/academy", "--reason", "x"]
        )
        .await,
        cli::EXIT_REJECTED
    );
    let argv = [
        "waymark",
        "milestone",
        "start",
        "wm/academy",
        "--url",
        "http://127.0.0.1:9",
    ];
    assert_eq!(
        cli::main_with(cli::Cli::try_parse_from(argv).unwrap()).await,
        cli::EXIT_UNAVAILABLE
    );
}

#[test]
fn the_cli_refuses_a_bad_thing_path_before_sending() {
    let err =
        cli::Cli::try_parse_from(["waymark", "milestone", "start", "wm/Hub.Roles"]).unwrap_err();
    assert!(err.to_string().contains("invalid id"), "{err}");
}
