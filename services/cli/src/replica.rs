//! `waymark projector`: a serving dashboard replica's read models, without stopping it: a
//! consistent snapshot to start a new replica from, a verification against a fresh projection,
//! and a rebuild swapped in while it serves. Needs an admin token with no organisation or
//! blueprint limit. (`waymark-projector` does the same offline, on a stopped replica's file.)

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::csvio::Connection;
use crate::quarantine::told;
use crate::record::{Output, render};

#[derive(Debug, Subcommand)]
pub enum ProjectorCmd {
    /// Write a consistent copy of the replica's read models (one checkpoint) to a file; start a
    /// new replica with it as its `WAYMARK_DB` and it catches up from there.
    Snapshot(SnapshotArgs),
    /// Compare the replica's read models with a fresh projection to the same checkpoint; exit 1
    /// when they differ.
    Verify(Plain),
    /// Project the whole stream into a file beside the replica's and swap it in while it serves.
    Rebuild(Plain),
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Where to write the copy (a new redb file).
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub connection: Connection,
}

#[derive(Debug, Args)]
pub struct Plain {
    #[command(flatten)]
    pub connection: Connection,
    /// Print the JSON as the API answered.
    #[arg(long)]
    pub json: bool,
}

fn said(code: i32, stdout: String) -> Output {
    Output {
        code,
        stdout,
        stderr: String::new(),
    }
}

pub async fn run(cmd: ProjectorCmd) -> Output {
    match cmd {
        ProjectorCmd::Snapshot(args) => {
            match args
                .connection
                .client()
                .download("/api/v1/admin/snapshot")
                .await
            {
                Ok((headers, bytes)) => {
                    if let Err(e) = std::fs::write(&args.out, &bytes) {
                        return Output {
                            code: 1,
                            stdout: String::new(),
                            stderr: format!("waymark: cannot write {}: {e}\n", args.out.display()),
                        };
                    }
                    let checkpoint = headers
                        .get("waymark-checkpoint")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("?");
                    said(
                        0,
                        format!(
                            "wrote {} ({} bytes) at checkpoint {checkpoint}\n",
                            args.out.display(),
                            bytes.len()
                        ),
                    )
                }
                Err(e) => render(Err(e), false),
            }
        }
        ProjectorCmd::Verify(args) => {
            let answer = args.connection.operate("/api/v1/admin/verify").await;
            told(answer, args.json, |v| match v["ok"] == true {
                true => (
                    0,
                    format!(
                        "ok at checkpoint {}: digest {}\n",
                        v["checkpoint"], v["digest"]
                    ),
                ),
                false => (
                    1,
                    format!(
                        "mismatch at checkpoint {}: read models {}, fresh projection {}\n",
                        v["checkpoint"], v["digest"], v["fresh_digest"]
                    ),
                ),
            })
        }
        ProjectorCmd::Rebuild(args) => {
            let answer = args.connection.operate("/api/v1/admin/rebuild").await;
            told(answer, args.json, |v| {
                (
                    0,
                    format!("rebuilt and swapped in at checkpoint {}\n", v["checkpoint"]),
                )
            })
        }
    }
}
