//! `waymark-projector`: offline tools over a dashboard replica's read models.
//! `rebuild` projects from sequence 1 into a fresh file and swaps it in; `verify` compares the
//! file's digest with a fresh projection to the same checkpoint; `digest` prints it.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use eventstore::{NatsConfig, StreamReader};

#[derive(Parser)]
#[command(
    name = "waymark-projector",
    version,
    about = "Rebuild and verify Waymark read models"
)]
struct Args {
    #[command(flatten)]
    nats: NatsConfig,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Project every event into a fresh file and swap it in (stop the dashboard first).
    Rebuild {
        #[arg(long, env = "WAYMARK_DB")]
        db: PathBuf,
    },
    /// Compare the read models with a fresh projection to the same checkpoint; exit 1 on a mismatch.
    Verify {
        #[arg(long, env = "WAYMARK_DB")]
        db: PathBuf,
    },
    /// Print the checkpoint and digest of the read models.
    Digest {
        #[arg(long, env = "WAYMARK_DB")]
        db: PathBuf,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    telemetry::init();
    let args = Args::parse();
    match args.command {
        Command::Digest { db } => {
            let database = projector::db::open(&db)?;
            println!(
                "checkpoint {} digest {}",
                projector::db::checkpoint(&database)?,
                projector::offline::digest(&database)?
            );
        }
        Command::Rebuild { db } => {
            let stream = StreamReader::open(&args.nats, "waymark-projector").await?;
            let checkpoint = projector::offline::rebuild(&db, &stream).await?;
            println!("rebuilt {} up to commit {checkpoint}", db.display());
        }
        Command::Verify { db } => {
            let stream = StreamReader::open(&args.nats, "waymark-projector").await?;
            let (ours, fresh) = projector::offline::verify(&db, &stream).await?;
            if ours == fresh {
                println!("ok: digest {ours}");
            } else {
                println!("mismatch: file {ours}, fresh projection {fresh}");
                std::process::exit(1);
            }
        }
    }
    Ok(())
}
