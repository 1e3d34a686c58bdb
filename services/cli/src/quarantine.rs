//! `waymark quarantine`: the commits the projector could not read, and voiding one so that its
//! thing takes commands again. Needs an admin token with no organisation or blueprint limit.

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::csvio::Connection;
use crate::record::{Output, render};

#[derive(Debug, Subcommand)]
pub enum QuarantineCmd {
    /// List quarantined commits, oldest first, with the reason and any void.
    List(ListArgs),
    /// Try every quarantined commit again (after an upgrade that reads them): each that now
    /// applies where it stands leaves the quarantine; the others stay, saying why.
    Replay(ListArgs),
    /// Void a commit this version cannot read: its thing's service records that the commit is
    /// passed over, and the thing takes commands again. Nothing is deleted; a readable commit
    /// cannot be voided.
    Void(VoidArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub connection: Connection,
    /// Print the JSON as the API answered.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct VoidArgs {
    /// Stream sequence of the commit (from `waymark quarantine list`, or the readiness answer).
    pub seq: u64,
    /// Why it is passed over; kept in the thing's history.
    #[arg(long)]
    pub reason: String,
    #[command(flatten)]
    pub connection: Connection,
    /// Print the JSON as the API answered.
    #[arg(long)]
    pub json: bool,
}

pub async fn run(cmd: QuarantineCmd) -> Output {
    match cmd {
        QuarantineCmd::List(args) => {
            let answer = args
                .connection
                .client()
                .get("/api/v1/admin/quarantine")
                .await;
            told(answer, args.json, |list| (0, describe(list)))
        }
        QuarantineCmd::Replay(args) => {
            let answer = args
                .connection
                .operate("/api/v1/admin/quarantine/replay")
                .await;
            told(answer, args.json, |list| (0, describe_replay(list)))
        }
        QuarantineCmd::Void(args) => {
            let path = format!("/api/v1/admin/quarantine/{}/void", args.seq);
            let key = format!("void-{}", args.seq);
            let answer = args
                .connection
                .client()
                .post(&path, &json!({ "reason": args.reason }), &key)
                .await;
            render(answer, args.json)
        }
    }
}

/// An operator command's answer: as the API gave it with `json`, else in `words` (an exit code
/// and the text); a refusal as `render` prints it.
pub fn told(
    answer: Result<Value, crate::client::ClientError>,
    json: bool,
    words: impl FnOnce(&Value) -> (i32, String),
) -> Output {
    match answer {
        Ok(value) => {
            let (code, text) = words(&value);
            Output {
                code,
                stdout: if json { format!("{value}\n") } else { text },
                stderr: String::new(),
            }
        }
        Err(e) => render(Err(e), json),
    }
}

/// One line per entry of a list the API answered with, or `none` when it is empty.
fn lines(list: &Value, none: &str, line: impl Fn(&Value, &str) -> String) -> String {
    let entries = list.as_array().map(Vec::as_slice).unwrap_or_default();
    if entries.is_empty() {
        return format!("{none}\n");
    }
    entries
        .iter()
        .map(|e| {
            let said = line(e, e["subject"].as_str().unwrap_or(""));
            format!("{} {said}\n", e["seq"])
        })
        .collect()
}

fn text(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

/// One line per quarantined commit.
fn describe(list: &Value) -> String {
    lines(list, "no commit is quarantined", |e, subject| {
        let void = match &e["voided"] {
            Value::Null => String::new(),
            v => format!(
                " — voided at commit {} by {}: {}",
                v["by_seq"],
                text(&v["actor"]),
                text(&v["reason"])
            ),
        };
        format!("{subject}: {}{void}", text(&e["reason"]))
    })
}

/// One line per commit a replay tried.
fn describe_replay(list: &Value) -> String {
    lines(
        list,
        "no quarantined commit to replay",
        |e, subject| match e["reason"].as_str() {
            None => format!("{subject}: applied"),
            Some(reason) => format!("{subject}: still quarantined: {reason}"),
        },
    )
}
