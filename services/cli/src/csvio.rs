//! `waymark import` and `waymark export`: registers of milestones, commitments and pledges in
//! bulk, as CSV files with a header row.
//!
//! An import checks every row before it sends anything and reports every problem as
//! `row N, column C: message` (the header is row 1). Each row then goes to the API with an
//! idempotency key made from its content, so running the same file again records nothing new.
//! An export writes the same columns, so an export imports back without recording anything.

pub mod export;
pub mod import;

use std::io::Write;
use std::path::PathBuf;

use clap::Args;
use proto::BlueprintId;

pub use dashboard::registers::rows::{Register, Row, RowError};

use crate::client::ApiClient;
use crate::{EXIT_REJECTED, EXIT_UNAVAILABLE};

/// Where the dashboard is, and the token that records (its name is the actor of every change).
#[derive(Debug, Clone, Args)]
pub struct Connection {
    /// The dashboard's base URL.
    #[arg(long, env = "WAYMARK_URL", default_value = "http://127.0.0.1:8080")]
    pub url: String,
    /// API token (printed by `waymark dev`, or made with `waymark token create`).
    #[arg(long, env = "WAYMARK_TOKEN", hide_env_values = true)]
    pub token: Option<settings::Secret>,
}

impl Connection {
    pub fn client(&self) -> ApiClient {
        ApiClient::new(&self.url).with_token(self.token.as_ref().map(|t| t.expose().to_owned()))
    }

    /// Asks for operator work that takes no fields (`POST path` with `{}`).
    pub async fn operate(
        &self,
        path: &str,
    ) -> Result<serde_json::Value, crate::client::ClientError> {
        self.client().post(path, &serde_json::json!({}), path).await
    }
}

/// The columns of each register, for `waymark import --help`: `id` and the fields of the action
/// that creates its things, with the choices a cell takes and whether it may be left out.
fn columns_help() -> String {
    use proto::spec::Input;
    const WIDTH: usize = 96;
    let mut help = String::from("Columns (header row required, in any order):\n");
    let indent = Register::ALL
        .iter()
        .map(|r| r.name().len())
        .max()
        .unwrap_or(0)
        + 4;
    for register in Register::ALL {
        let columns = register.columns().iter().map(|c| {
            let mut notes = Vec::new();
            match c.field.map(|f| f.input) {
                Some(Input::Date) => notes.push("YYYY-MM-DD".to_owned()),
                Some(Input::Choice(choices)) => notes.push(
                    choices
                        .iter()
                        .map(|choice| choice.value)
                        .collect::<Vec<_>>()
                        .join(" | "),
                ),
                _ => {}
            }
            if !c.required {
                notes.push("optional".to_owned());
            }
            if notes.is_empty() {
                c.name.to_owned()
            } else {
                format!("{} ({})", c.name, notes.join(", "))
            }
        });
        let mut line = format!(
            "  {:<width$}",
            format!("{}:", register.name()),
            width = indent - 2
        );
        let mut first = true;
        for column in columns {
            let piece = if first { column } else { format!(", {column}") };
            if !first && line.len() + piece.len() > WIDTH {
                help.push_str(line.trim_end());
                help.push_str(",\n");
                line = format!("{:indent$}{}", "", piece.trim_start_matches(", "));
            } else {
                line.push_str(&piece);
            }
            first = false;
        }
        help.push_str(&line);
        help.push('\n');
    }
    help.push_str(
        "Amounts are in pounds, or person-days for staff time (1,250.50); milestone ids in a list\n\
         are separated by spaces, commas or ';'. Every row is checked before anything is sent;\n\
         problems are listed as `row N, column C: message`. Running the same file again records\n\
         nothing new.",
    );
    help
}

/// `waymark import <register> --blueprint <bp> FILE.csv`.
#[derive(Debug, Clone, Args)]
#[command(after_help = columns_help())]
pub struct ImportArgs {
    /// What the file holds.
    pub register: Register,
    /// The blueprint to record into.
    #[arg(long)]
    pub blueprint: BlueprintId,
    /// The CSV file.
    pub file: PathBuf,
    /// Check the file and list what would be recorded, sending nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Rows sent at once.
    #[arg(long, default_value_t = import::DEFAULT_CONCURRENCY, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    #[command(flatten)]
    pub connection: Connection,
}

/// `waymark export <register> --blueprint <bp> [-o FILE]`.
#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// What to export.
    pub register: Register,
    /// The blueprint to export from.
    #[arg(long)]
    pub blueprint: BlueprintId,
    /// The file to write (default: standard output).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub connection: Connection,
}

/// Runs `waymark import`; returns the exit code.
pub async fn run_import(args: ImportArgs) -> i32 {
    let file = args.file.display().to_string();
    let checked = match import::check_file(args.register, &args.file) {
        Ok(c) => c,
        Err(e) => return report_check_error(&file, e),
    };
    if args.dry_run {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let result = import::dry_run(&checked, &args.blueprint, &args.file, &mut out);
        let _ = out.flush();
        return match result {
            Ok(_) => 0,
            Err(e) => report_check_error(&file, e),
        };
    }
    if checked.rows == 0 {
        println!("{file} has no rows; nothing to record");
        return 0;
    }
    let client = args.connection.client();
    let options = import::SendOptions {
        concurrency: usize::from(args.concurrency),
        progress: true,
    };
    let report = import::send(&client, &args.blueprint, &checked, &args.file, &options).await;
    for problem in &report.rejected {
        eprintln!("{problem}");
    }
    println!(
        "{} {}: {} recorded, {} already recorded, {} rejected{}",
        report.rows,
        args.register,
        report.recorded,
        report.already_recorded,
        report.rejected.len(),
        if report.not_sent > 0 {
            format!(", {} not sent", report.not_sent)
        } else {
            String::new()
        }
    );
    match &report.stopped {
        Some(import::Stopped::Unavailable(why)) => {
            eprintln!(
                "waymark import: stopped: {why}\nRun the same import again to finish; rows already recorded are not recorded twice."
            );
            EXIT_UNAVAILABLE
        }
        Some(import::Stopped::Refused(why)) => {
            eprintln!("waymark import: stopped: {why}");
            EXIT_REJECTED
        }
        Some(import::Stopped::File(why)) => {
            eprintln!(
                "waymark import: stopped: {file}: {why}\nRows already recorded stay recorded; check the file and run the import again."
            );
            2
        }
        None if report.rejected.is_empty() => 0,
        None => EXIT_REJECTED,
    }
}

fn report_check_error(file: &str, e: import::CheckError) -> i32 {
    match e {
        import::CheckError::Unreadable(why) => {
            eprintln!("waymark import: {why}");
            2
        }
        import::CheckError::Invalid(problems) => {
            for p in &problems {
                eprintln!("{p}");
            }
            eprintln!(
                "waymark import: {file}: {} problem{}; nothing was recorded",
                problems.len(),
                if problems.len() == 1 { "" } else { "s" }
            );
            EXIT_REJECTED
        }
    }
}

/// Runs `waymark export`; returns the exit code.
pub async fn run_export(args: ExportArgs) -> i32 {
    let client = args.connection.client();
    let rows = match export::fetch_rows(&client, args.register, &args.blueprint).await {
        Ok(rows) => rows,
        Err(e) => {
            eprintln!("waymark export: {e}");
            return if e.is_unavailable() {
                EXIT_UNAVAILABLE
            } else {
                EXIT_REJECTED
            };
        }
    };
    let written = match &args.output {
        Some(path) => std::fs::File::create(path)
            .map_err(|e| export::ExportError::Write(format!("{}: {e}", path.display())))
            .and_then(|f| export::write_csv(args.register, &rows, std::io::BufWriter::new(f))),
        None => export::write_csv(args.register, &rows, std::io::stdout().lock()),
    };
    match written {
        Ok(n) => {
            if let Some(path) = &args.output {
                eprintln!(
                    "exported {n} {} of blueprint {} to {}",
                    args.register,
                    args.blueprint,
                    path.display()
                );
            }
            0
        }
        Err(e) => {
            eprintln!("waymark export: {e}");
            2
        }
    }
}
