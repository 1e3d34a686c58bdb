//! `waymark-projector`: offline tools over a dashboard replica's read models.
//! `rebuild` projects from sequence 1 into a fresh file and swaps it in; `verify` compares the
//! file's digest with a fresh projection to the same checkpoint; `digest` prints it.

use clap::{Parser, Subcommand};
use eventstore::StreamReader;
use projector::config::ProjectorSettings;

/// Rebuild and verify Waymark read models.
#[derive(Parser)]
#[command(name = "waymark-projector", version)]
struct Args {
    #[command(flatten)]
    settings: settings::Flags<ProjectorSettings>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Project every event into a fresh file and swap it in (stop the dashboard first).
    Rebuild,
    /// Compare the read models with a fresh projection to the same checkpoint; exit 1 on a mismatch.
    Verify,
    /// Print the checkpoint and digest of the read models.
    Digest,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let settings = args.settings.load()?;
    telemetry::init(&settings.log);
    let Some(db) = settings.projector.db else {
        anyhow::bail!("no read models named: set --db, WAYMARK_DB or projector.db in the file");
    };
    match args.command {
        Command::Digest => {
            let database = projector::db::open(&db)?;
            println!(
                "checkpoint {} digest {}",
                projector::db::checkpoint(&database)?,
                projector::offline::digest(&database)?
            );
        }
        Command::Rebuild => {
            let stream = StreamReader::open(&settings.nats, "waymark-projector").await?;
            let checkpoint = projector::offline::rebuild(&db, &stream).await?;
            println!("rebuilt {} up to commit {checkpoint}", db.display());
        }
        Command::Verify => {
            let stream = StreamReader::open(&settings.nats, "waymark-projector").await?;
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
