//! `waymark import` and `waymark export`: registers in bulk from and to CSV files.

use std::path::{Path, PathBuf};

use clap::Parser;
use cli::csvio::import::{self, CheckError, SendOptions};
use cli::csvio::{Register, export};
use proto::BlueprintId;
use serde_json::json;
use tests::TestApp;

async fn waymark(app: &TestApp, args: &[&str]) -> i32 {
    let mut argv = vec!["waymark"];
    argv.extend_from_slice(args);
    argv.extend_from_slice(&["--url", &app.base, "--token", &app.admin_token]);
    cli::main_with(cli::Cli::try_parse_from(argv).expect("valid arguments")).await
}

fn client(app: &TestApp) -> cli::client::ApiClient {
    cli::client::ApiClient::new(&app.base).with_token(Some(app.admin_token.clone()))
}

fn bp(id: &str) -> BlueprintId {
    BlueprintId::new(id).unwrap()
}

/// Sends a checked file through the library, to look at the totals.
async fn import_report(
    app: &TestApp,
    register: Register,
    blueprint: &str,
    path: &Path,
) -> import::Report {
    let checked = import::check_file(register, path).expect("a valid file");
    import::send(
        &client(app),
        &bp(blueprint),
        &checked,
        path,
        &SendOptions::default(),
    )
    .await
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// The stack with blueprint wm, and a file `name` holding `content`.
async fn given_file(name: &str, content: &str) -> (TestApp, PathBuf) {
    let app = TestApp::with_blueprint("wm").await;
    let file = app.write_file(name, content);
    (app, file)
}

#[tokio::test]
async fn a_file_with_bad_rows_records_nothing_and_names_every_problem() {
    let (app, file) = given_file(
        "milestones.csv",
        "id,workstream,title,owner,due,depends_on\n\
         academy,skills,GDS academy,gds,2027-03-31,\n\
         Hub.Roles,skills,Hub roles,gds,2027-04-30,academy\n\
         hack,skills,,gds,30/04/2027,\n\
         academy,skills,Again,gds,2027-03-31,\n\
         event,skills,OneTeamGov Midlands,gds,2027-05-31,academy;event\n\
         fine,skills,Fine,gds,2027-06-30,academy\n",
    )
    .await;
    let before = app.last_seq().await;

    let Err(CheckError::Invalid(problems)) = import::check_file(Register::Milestones, &file) else {
        panic!("the file should be refused");
    };
    let problems: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 5, "{problems:#?}");
    assert!(problems[0].starts_with("row 3, column id: invalid milestone id \"Hub.Roles\""));
    assert_eq!(problems[1], "row 4, column title: Title is required");
    assert_eq!(
        problems[2],
        "row 4, column due: Due date must be a date like 2027-03-31, not \"30/04/2027\""
    );
    assert_eq!(
        problems[3],
        "row 5, column id: academy is already on row 2; each id may appear once"
    );
    assert_eq!(
        problems[4],
        "row 6, column depends_on: Depends on (milestone ids): milestone event cannot name itself"
    );

    let code = waymark(
        &app,
        &["import", "milestones", "--blueprint", "wm", path_str(&file)],
    )
    .await;
    assert_eq!(code, cli::EXIT_REJECTED);
    assert_eq!(app.last_seq().await, before, "nothing was sent");

    // Unknown columns are named too.
    let file = app.write_file("pledges.csv", "id,sponsor,resource,amount,colour\n");
    let Err(CheckError::Invalid(problems)) = import::check_file(Register::Pledges, &file) else {
        panic!("the header should be refused");
    };
    assert_eq!(problems[0].column.as_deref(), Some("colour"));
    assert!(problems[0].message.starts_with("unknown column"));
}

fn fifty_milestones() -> String {
    let mut csv = String::from("id,workstream,title,owner,due,depends_on\n");
    for i in 0..50 {
        // Each milestone after the first depends on the one before it, listed later in the file.
        let dep = if i == 49 {
            String::new()
        } else {
            format!("m{:02}", i + 1)
        };
        csv.push_str(&format!(
            "m{i:02},skills,\"Milestone {i}, with a comma\",gds,2027-{:02}-15,{dep}\n",
            i % 12 + 1
        ));
    }
    csv
}

#[tokio::test]
async fn fifty_milestones_are_recorded_once_however_often_the_file_is_imported() {
    let (app, file) = given_file("milestones.csv", &fifty_milestones()).await;
    let args = ["import", "milestones", "--blueprint", "wm", path_str(&file)];
    assert_eq!(waymark(&app, &args).await, 0);
    let after_first = app.last_seq().await;
    app.settle().await;
    let listed = app.get("/api/v1/blueprints/wm/milestones").await;
    let listed = listed.body.as_array().expect("a list");
    assert_eq!(listed.len(), 50);
    let m07 = listed.iter().find(|m| m["id"] == "m07").unwrap();
    assert_eq!(m07["title"], "Milestone 7, with a comma");
    assert_eq!(m07["baseline"], "2027-08-15");
    assert_eq!(m07["depends_on"], json!(["m08"]));
    let summary = app.get("/api/v1/blueprints/wm").await;
    assert_eq!(summary.body["milestones"]["planned"], 50);

    // Again: every row is answered as already recorded and nothing is stored.
    assert_eq!(waymark(&app, &args).await, 0);
    let report = import_report(&app, Register::Milestones, "wm", &file).await;
    assert_eq!(
        (
            report.recorded,
            report.already_recorded,
            report.rejected.len(),
            report.not_sent
        ),
        (0, 50, 0, 0)
    );
    assert_eq!(app.last_seq().await, after_first, "nothing new stored");
}

#[tokio::test]
async fn a_dry_run_lists_the_rows_and_sends_nothing() {
    let (app, file) = given_file(
        "pledges.csv",
        "id,sponsor,resource,amount,workstream,conditions\n\
         fund,gds,money,\"250,000\",,Illustrative\n\
         time,gds,staff_time,12.5,skills,\n",
    )
    .await;
    let before = app.last_seq().await;
    let args = [
        "import",
        "pledges",
        "--blueprint",
        "wm",
        path_str(&file),
        "--dry-run",
    ];
    assert_eq!(waymark(&app, &args).await, 0);
    assert_eq!(app.last_seq().await, before, "a dry run sends nothing");

    let checked = import::check_file(Register::Pledges, &file).unwrap();
    let mut out = Vec::new();
    assert_eq!(
        import::dry_run(&checked, &bp("wm"), &file, &mut out).unwrap(),
        2
    );
    let out = String::from_utf8(out).unwrap();
    assert_eq!(
        out,
        "would record 2 pledges in blueprint wm (dry run: nothing sent)\n\
         row 2: make pledge wm/fund: sponsor gds, resource money, amount 250000.00, \
         conditions \"Illustrative\"\n\
         row 3: make pledge wm/time: sponsor gds, resource staff_time, amount 12.50, \
         workstream skills\n"
    );
    assert_eq!(app.last_seq().await, before);
}

#[tokio::test]
async fn rules_only_the_server_knows_are_reported_by_row_and_the_rest_is_recorded() {
    let app = TestApp::with_blueprint("wm").await;
    let taken = app.plan_milestone("wm", "taken", "2027-01-31").await;
    assert_eq!(taken.status, 201, "{taken:?}");
    app.settle().await;
    let file = app.write_file(
        "milestones.csv",
        "id,workstream,title,owner,due\n\
         good,skills,Good,gds,2027-03-31\n\
         lost,nowhere,Lost,gds,2027-03-31\n\
         stranger,skills,Stranger,nobody,2027-03-31\n\
         taken,skills,Something else,gds,2027-02-28\n",
    );
    let report = import_report(&app, Register::Milestones, "wm", &file).await;
    assert_eq!((report.recorded, report.already_recorded), (1, 0));
    let rejected: Vec<String> = report.rejected.iter().map(ToString::to_string).collect();
    assert_eq!(rejected.len(), 3, "{rejected:#?}");
    assert!(
        rejected[0].starts_with("row 3, column workstream: "),
        "{rejected:#?}"
    );
    assert!(
        rejected[1].starts_with("row 4, column owner: organisation nobody is not registered"),
        "{rejected:#?}"
    );
    assert!(
        rejected[2].starts_with(
            "row 5, column id: milestone wm/taken is already planned (milestone.already_planned); the recorded one differs in title, due"
        ),
        "{rejected:#?}"
    );
    // The CLI exits 3 when any row was refused; the recorded row is not recorded twice.
    let before = app.last_seq().await;
    let code = waymark(
        &app,
        &["import", "milestones", "--blueprint", "wm", path_str(&file)],
    )
    .await;
    assert_eq!(code, cli::EXIT_REJECTED);
    assert_eq!(app.last_seq().await, before);

    // Whether an amount may be zero is the service's rule: the file passes the checks, and the
    // service's refusal names the row and the column.
    let pledges = app.write_file(
        "pledges.csv",
        "id,sponsor,resource,amount\n\
         nothing,gds,money,0\n\
         something,gds,money,10\n",
    );
    let report = import_report(&app, Register::Pledges, "wm", &pledges).await;
    assert_eq!(report.recorded, 1, "{report:?}");
    let rejected: Vec<String> = report.rejected.iter().map(ToString::to_string).collect();
    assert_eq!(
        rejected,
        ["row 2, column amount: amount must be greater than zero (input.not_positive)"]
    );

    // A blueprint that does not exist stops the import at once.
    let report = import_report(&app, Register::Milestones, "nowhere", &file).await;
    assert!(
        matches!(&report.stopped, Some(import::Stopped::Refused(why)) if why.contains("blueprint.not_found")),
        "{report:?}"
    );
    assert_eq!(report.recorded, 0);
}

/// Records a little of everything through the API (not through an import), with replans and
/// deliveries on top, so that the export reflects things an import never saw.
async fn given_registers(app: &TestApp) {
    for (id, due, deps) in [
        ("academy", "2027-03-31", json!([])),
        ("hub", "2027-04-30", json!(["academy"])),
        ("pipeline", "2027-06-30", json!(["academy", "hub"])),
    ] {
        app.record(
            "/api/v1/blueprints/wm/milestones",
            json!({"id": id, "workstream": "skills", "title": format!("The {id}, \"quoted\"\nand on two lines"),
                   "owner": "gds", "due": due, "depends_on": deps}),
        )
        .await;
    }
    let wm = |path: &str| format!("/api/v1/blueprints/wm/{path}");
    for (path, body) in [
        (
            "milestones/hub/replan",
            json!({"to": "2027-07-31", "reason": "building works"}),
        ),
        (
            "commitments",
            json!({"id": "secondees", "partner": "gds", "kind": "secondment", "description": "Two secondees",
                               "quantity": 2, "unit": "people", "due": "2027-01-31"}),
        ),
        (
            "commitments",
            json!({"id": "hack", "partner": "gds", "kind": "event_hosting", "description": "A hack day, with lunch",
                               "quantity": 1, "unit": "event", "due": "2027-02-28"}),
        ),
        (
            "commitments/secondees/record-delivery",
            json!({"quantity": 1}),
        ),
        (
            "pledges",
            json!({"id": "fund", "sponsor": "gds", "resource": "money", "amount": 25_000_050u64,
                           "conditions": "Illustrative; subject to approval"}),
        ),
        (
            "pledges",
            json!({"id": "time", "sponsor": "gds", "resource": "staff_time", "amount": 1250u64,
                           "workstream": "skills"}),
        ),
        ("pledges/fund/confirm", json!({"amount": 20_000_000u64})),
    ] {
        app.record(&wm(path), body).await;
    }
}

/// The `register` of blueprint `blueprint` as `waymark export` writes it, with its number of rows.
async fn export_of(app: &TestApp, register: Register, blueprint: &str) -> (u64, String) {
    let mut out = Vec::new();
    let rows = export::export(&client(app), register, &bp(blueprint), &mut out)
        .await
        .unwrap();
    (rows, String::from_utf8(out).unwrap())
}

#[tokio::test]
async fn an_export_imports_back_without_recording_anything() {
    let app = TestApp::with_blueprint("wm").await;
    // The second blueprint reuses organisation gds once the read models show it.
    app.settle().await;
    app.given_blueprint("copy").await;
    given_registers(&app).await;
    app.settle().await;

    for register in ["milestones", "commitments", "pledges"] {
        let exported = app.file_path(&format!("{register}.csv"));
        let code = waymark(
            &app,
            &[
                "export",
                register,
                "--blueprint",
                "wm",
                "-o",
                path_str(&exported),
            ],
        )
        .await;
        assert_eq!(code, 0, "export {register}");
        let text = std::fs::read_to_string(&exported).unwrap();
        let reg = match register {
            "milestones" => Register::Milestones,
            "commitments" => Register::Commitments,
            _ => Register::Pledges,
        };
        assert!(
            text.starts_with(&format!("{}\n", reg.column_list().replace(", ", ","))),
            "{text}"
        );

        // Into the same blueprint: everything is already there.
        let before = app.last_seq().await;
        let report = import_report(&app, reg, "wm", &exported).await;
        assert_eq!(report.rejected, vec![], "{register}");
        assert_eq!(report.recorded, 0, "{register}");
        assert!(report.already_recorded >= 2, "{register}: {report:?}");
        assert_eq!(report.already_recorded, report.rows);
        assert_eq!(app.last_seq().await, before, "{register}: nothing new");
        // Importing the same file twice is still nothing new.
        let code = waymark(
            &app,
            &["import", register, "--blueprint", "wm", path_str(&exported)],
        )
        .await;
        assert_eq!(code, 0);
        assert_eq!(app.last_seq().await, before, "{register}: nothing new");

        // Into another blueprint: everything is recorded, and exports the same.
        let report = import_report(&app, reg, "copy", &exported).await;
        assert_eq!(report.rejected, vec![], "{register}");
        assert_eq!(report.recorded, report.rows, "{register}");
        app.settle().await;
        let (rows, copied) = export_of(&app, reg, "copy").await;
        assert_eq!(rows, report.rows);
        assert_eq!(copied, text, "{register}");
    }

    // Amounts come back in pounds and person-days; a milestone's due date is its baseline.
    let (_, out) = export_of(&app, Register::Pledges, "wm").await;
    assert!(
        out.contains("fund,gds,money,250000.50,,Illustrative; subject to approval\n"),
        "{out}"
    );
    assert!(out.contains("time,gds,staff_time,12.50,skills,\n"), "{out}");
    let (_, out) = export_of(&app, Register::Milestones, "wm").await;
    assert!(
        out.contains(
            "hub,skills,\"The hub, \"\"quoted\"\"\nand on two lines\",gds,academy,2027-04-30\n"
        ),
        "{out}"
    );
    assert!(out.contains(",academy hub,2027-06-30\n"), "{out}");

    // An unknown blueprint is a rejection.
    let code = waymark(&app, &["export", "pledges", "--blueprint", "nowhere"]).await;
    assert_eq!(code, cli::EXIT_REJECTED);
}
