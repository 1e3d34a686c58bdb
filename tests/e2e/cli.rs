//! The `waymark` command records through the HTTP API and answers with reliable exit codes.

use clap::Parser;
use serde_json::{Value, json};
use tests::TestApp;

/// Splits a command line into words; 'single quotes' keep spaces inside one word.
fn words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    for (i, part) in line.split('\'').enumerate() {
        if i % 2 == 1 {
            words.push(part.to_owned());
        } else {
            words.extend(part.split_whitespace().map(str::to_owned));
        }
    }
    words
}

/// Parses `line` as typed after `waymark`, against `app`, with the admin token.
fn parse(app: &TestApp, line: &str) -> cli::Cli {
    let mut argv = vec!["waymark".to_owned()];
    argv.extend(words(line));
    argv.extend(words(&format!(
        "--url {} --token {}",
        app.base, app.admin_token
    )));
    cli::Cli::try_parse_from(argv).unwrap_or_else(|e| panic!("waymark {line}: {e}"))
}

async fn waymark(app: &TestApp, line: &str) -> i32 {
    cli::main_with(parse(app, line)).await
}

/// Runs a recording command and returns what it would print.
async fn waymark_output(app: &TestApp, line: &str) -> cli::record::Output {
    let cli::Commands::Record(recording) = parse(app, line).command else {
        panic!("waymark {line} is not a recording command");
    };
    cli::record::run(recording).await
}

/// Runs every line and insists each one is accepted.
async fn record_all(app: &TestApp, lines: &[&str]) {
    for line in lines {
        assert_eq!(waymark(app, line).await, 0, "waymark {line}");
    }
}

/// Reads `path` once every command recorded so far is visible.
async fn read(app: &TestApp, path: &str) -> Value {
    let last = app.last_seq().await;
    let answer = app.get(&format!("{path}?min_seq={last}")).await;
    assert_eq!(answer.status, 200, "{path}: {answer:?}");
    answer.body
}

#[tokio::test]
async fn the_cli_records_a_milestone_a_commitment_and_a_pledge() {
    let app = TestApp::with_blueprint("wm").await;
    record_all(
        &app,
        &[
            "milestone plan wm/academy --workstream skills --title 'GDS academy' --owner gds \
             --due 2027-03-31",
            "milestone replan wm/academy --to 2027-04-30 --reason venue",
            "commitment make wm/secondees --partner gds --kind secondment \
             --description 'Two secondees' --quantity 2 --unit people --due 2027-01-31",
            "commitment record-delivery wm/secondees --quantity 1",
            "pledge make wm/fund --sponsor gds --resource money --amount 250,000 \
             --conditions illustrative",
            "pledge confirm wm/fund --amount 200000.50",
        ],
    )
    .await;

    let summary = read(&app, "/api/v1/blueprints/wm").await;
    assert_eq!(summary["funding"]["money"]["confirmed"], 20_000_050u64);
    let m = read(&app, "/api/v1/blueprints/wm/milestones/academy").await;
    assert_eq!(m["forecast"], "2027-04-30");
    assert_eq!(
        m["history"][1]["actor"], "test-admin",
        "the token names the actor"
    );
    let c = read(&app, "/api/v1/blueprints/wm/commitments/secondees").await;
    assert_eq!(c["delivered"], 1);

    // A broken rule exits 3; an unreachable dashboard exits 4.
    assert_eq!(
        waymark(&app, "milestone reopen wm/academy --reason x").await,
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

/// A programme's whole life through the CLI: every command of every kind, the blueprint closed
/// last, then the results read back through the API.
#[tokio::test]
async fn every_command_can_be_recorded_from_the_command_line() {
    let app = TestApp::spawn().await;
    record_all(
        &app,
        &[
            // Organisations.
            "organisation register gds --name GDS --org-type central_government",
            "organisation register wmca --name WMCA --org-type combined-authority",
            "organisation register solihull-college --name 'Solihull College' \
             --org-type education_provider",
            "organisation rename gds --name 'Government Digital Service'",
            // The blueprint, its workstreams, partners and targets.
            "blueprint draft wm --title 'West Midlands digital' \
             --summary 'Join up public sector digital teams' --lead-org wmca \
             --start-date 2026-01-01 --target-end-date 2027-12-31 --funding-target 1,500,000 \
             --staff-time-target 400.5",
            "blueprint add-workstream wm --workstream skills --title Skills --lead-org gds",
            "blueprint rename-workstream wm --workstream skills --title 'Skills pipeline'",
            "blueprint add-workstream wm --workstream pilots --title Pilots --lead-org wmca",
            "blueprint retire-workstream wm --workstream pilots --reason 'Folded into skills'",
            "blueprint add-partner wm --org gds",
            "blueprint add-partner wm --org solihull-college",
            "blueprint remove-partner wm --org solihull-college \
             --reason 'Joined the regional programme instead'",
            "blueprint set-target wm --target tech-roles \
             --title 'Tech roles created in Birmingham' --unit roles --target-value 100",
            "blueprint report-target wm --target tech-roles --value 40 --note 'First two cohorts'",
            "blueprint publish wm",
            // Milestones: every action.
            "milestone plan wm/academy --workstream skills --title 'GDS academy' --owner gds \
             --due 2026-03-31",
            "milestone plan wm/hub --workstream skills --title 'Digital hub' --owner gds \
             --due 2027-03-31 --depends-on academy",
            "milestone start wm/academy",
            "milestone report-progress wm/academy --percent 60 --note 'Two cohorts'",
            "milestone replan wm/academy --to 2026-04-30 --reason Venue",
            "milestone complete wm/academy --on 2026-04-20 \
             --evidence https://example.org/academy",
            "milestone reopen wm/academy --reason 'Third cohort added'",
            "milestone complete wm/academy --on 2026-05-15 --occurred-on 2026-05-15",
            "milestone cancel wm/hub --reason 'No building'",
            // Commitments: make, record deliveries, amend, fulfil; and one withdrawn.
            "commitment make wm/secondees --partner gds --kind secondment \
             --description 'Two secondees' --quantity 2 --unit people --due 2027-01-31",
            "commitment record-delivery wm/secondees --quantity 1",
            "commitment amend wm/secondees --quantity 3 --due 2027-02-28 \
             --reason 'A third secondee agreed'",
            "commitment record-delivery wm/secondees --quantity 2 --note 'Both started'",
            "commitment fulfil wm/secondees",
            "commitment make wm/hack-day --partner gds --kind event-hosting \
             --description 'A hack day' --quantity 1 --unit events --due 2027-06-30",
            "commitment withdraw wm/hack-day --reason 'No venue'",
            // Pledges: make, confirm, disburse, close; and one withdrawn after a payment.
            "pledge make wm/fund --sponsor wmca --resource money --amount 250,000 \
             --conditions 'Match funding'",
            "pledge confirm wm/fund --amount 200,000",
            "pledge disburse wm/fund --amount 200,000 --note 'One payment'",
            "pledge close wm/fund",
            "pledge make wm/time --sponsor gds --resource staff-time --amount 40 \
             --workstream skills",
            "pledge confirm wm/time --amount 30",
            "pledge disburse wm/time --amount 12.5",
            "pledge withdraw wm/time --reason 'Team moved to another programme'",
            // Last, the blueprint closes.
            "blueprint close wm --reason 'Delivered and handed over'",
        ],
    )
    .await;

    // A closed blueprint takes no new records.
    assert_eq!(
        waymark(
            &app,
            "blueprint report-target wm --target tech-roles --value 41"
        )
        .await,
        cli::EXIT_REJECTED
    );

    let gds = read(&app, "/api/v1/organisations/gds").await;
    assert_eq!(gds["name"], "Government Digital Service");
    assert_eq!(gds["org_type"], "central_government");
    let wmca = read(&app, "/api/v1/organisations/wmca").await;
    assert_eq!(wmca["org_type"], "combined_authority");

    let bp = read(&app, "/api/v1/blueprints/wm").await;
    assert_eq!(bp["status"], "closed", "{bp}");
    assert_eq!(bp["lead_org"], "wmca");
    assert_eq!(bp["summary"], "Join up public sector digital teams");
    assert_eq!(bp["funding_target"], 150_000_000u64);
    assert_eq!(bp["staff_time_target"], 40_050);
    assert_eq!(bp["partners"], json!(["gds"]));
    let workstreams = bp["workstreams"].as_array().unwrap();
    let ws = |id: &str| {
        workstreams
            .iter()
            .find(|w| w["id"] == id)
            .unwrap_or_else(|| panic!("workstream {id} in {bp}"))
    };
    assert_eq!(ws("skills")["title"], "Skills pipeline");
    assert_eq!(ws("pilots")["retired"], true);
    assert_eq!(bp["targets"][0]["id"], "tech-roles");
    assert_eq!(bp["targets"][0]["target_value"], 100);
    assert_eq!(bp["targets"][0]["reported_value"], 40);
    assert_eq!(bp["funding"]["money"]["disbursed"], 20_000_000u64);
    assert_eq!(bp["funding"]["staff_time"]["disbursed"], 1_250);
    assert_eq!(bp["commitments"]["fulfilled"], 1);
    assert_eq!(bp["commitments"]["withdrawn"], 1);

    let academy = read(&app, "/api/v1/blueprints/wm/milestones/academy").await;
    assert_eq!(academy["status"], "done");
    assert_eq!(academy["baseline"], "2026-03-31");
    assert_eq!(academy["forecast"], "2026-04-30");
    assert_eq!(academy["completed_on"], "2026-05-15");
    assert_eq!(academy["progress_note"], "Two cohorts");
    assert_eq!(academy["history"][0]["actor"], "test-admin");
    let hub = read(&app, "/api/v1/blueprints/wm/milestones/hub").await;
    assert_eq!(hub["status"], "cancelled");
    assert_eq!(hub["depends_on"], json!(["academy"]));

    let secondees = read(&app, "/api/v1/blueprints/wm/commitments/secondees").await;
    assert_eq!(secondees["status"], "fulfilled");
    assert_eq!(secondees["quantity"], 3);
    assert_eq!(secondees["delivered"], 3);
    assert_eq!(secondees["due"], "2027-02-28");
    let hack_day = read(&app, "/api/v1/blueprints/wm/commitments/hack-day").await;
    assert_eq!(hack_day["kind"], "event_hosting");
    assert_eq!(hack_day["status"], "withdrawn");

    let fund = read(&app, "/api/v1/blueprints/wm/pledges/fund").await;
    assert_eq!(fund["status"], "closed");
    assert_eq!(fund["pledged"], 25_000_000u64);
    assert_eq!(fund["confirmed"], 20_000_000u64);
    assert_eq!(fund["conditions"], "Match funding");
    let time = read(&app, "/api/v1/blueprints/wm/pledges/time").await;
    assert_eq!(time["status"], "withdrawn");
    assert_eq!(time["resource"], "staff_time");
    assert_eq!(time["workstream"], "skills");
    assert_eq!(time["disbursed"], 1_250);
}

#[tokio::test]
async fn json_output_is_the_api_answer_or_its_problem() {
    let app = TestApp::with_blueprint("wm").await;

    let out = waymark_output(
        &app,
        "milestone plan wm/academy --workstream skills --title 'GDS academy' --owner gds \
         --due 2027-03-31 --json",
    )
    .await;
    assert_eq!(out.code, 0, "{out:?}");
    let answer: Value = serde_json::from_str(&out.stdout).expect("stdout is JSON");
    assert!(answer["seq"].as_u64().is_some(), "{answer}");
    assert_eq!(answer["events"], json!(["milestone.planned"]));
    assert_eq!(
        answer["location"],
        "/api/v1/blueprints/wm/milestones/academy"
    );

    let out = waymark_output(&app, "milestone reopen wm/academy --reason x --json").await;
    assert_eq!(out.code, cli::EXIT_REJECTED, "{out:?}");
    let problem: Value = serde_json::from_str(&out.stdout).expect("stdout is JSON");
    assert_eq!(problem["code"], "milestone.not_closed", "{problem}");
    assert_eq!(problem["status"], 409);
    assert!(
        out.stderr.contains("only a done or cancelled milestone"),
        "{out:?}"
    );

    // Without --json, people get a sentence.
    let out = waymark_output(&app, "milestone start wm/academy").await;
    assert!(
        out.stdout
            .starts_with("recorded milestone.started at commit "),
        "{out:?}"
    );
}

#[test]
fn the_cli_refuses_a_bad_thing_path_before_sending() {
    let err =
        cli::Cli::try_parse_from(["waymark", "milestone", "start", "wm/Hub.Roles"]).unwrap_err();
    assert!(err.to_string().contains("invalid id"), "{err}");
}
