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
            match answer {
                Ok(list) if !args.json => Output {
                    code: 0,
                    stdout: describe(&list),
                    stderr: String::new(),
                },
                other => render_read(other, args.json),
            }
        }
        QuarantineCmd::Replay(args) => {
            let answer = args
                .connection
                .client()
                .post("/api/v1/admin/quarantine/replay", &json!({}), "replay")
                .await;
            match answer {
                Ok(list) if !args.json => Output {
                    code: 0,
                    stdout: describe_replay(&list),
                    stderr: String::new(),
                },
                other => render_read(other, args.json),
            }
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

/// A read's answer as JSON, or the error as `render` prints it.
fn render_read(answer: Result<Value, crate::client::ClientError>, json: bool) -> Output {
    match answer {
        Ok(value) => Output {
            code: 0,
            stdout: format!("{value}\n"),
            stderr: String::new(),
        },
        Err(e) => render(Err(e), json),
    }
}

/// One line per quarantined commit.
fn describe(list: &Value) -> String {
    let entries = list.as_array().map(Vec::as_slice).unwrap_or_default();
    if entries.is_empty() {
        return "no commit is quarantined\n".to_owned();
    }
    entries
        .iter()
        .map(|e| {
            let void = match &e["voided"] {
                Value::Null => String::new(),
                v => format!(
                    " — voided at commit {} by {}: {}",
                    v["by_seq"],
                    v["actor"].as_str().unwrap_or(""),
                    v["reason"].as_str().unwrap_or("")
                ),
            };
            format!(
                "{} {}: {}{void}\n",
                e["seq"],
                e["subject"].as_str().unwrap_or(""),
                e["reason"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// One line per commit a replay tried.
fn describe_replay(list: &Value) -> String {
    let entries = list.as_array().map(Vec::as_slice).unwrap_or_default();
    if entries.is_empty() {
        return "no quarantined commit to replay\n".to_owned();
    }
    entries
        .iter()
        .map(|e| {
            let subject = e["subject"].as_str().unwrap_or("");
            match e["reason"].as_str() {
                None => format!("{} {subject}: applied\n", e["seq"]),
                Some(reason) => format!("{} {subject}: still quarantined: {reason}\n", e["seq"]),
            }
        })
        .collect()
}
