//! The `waymark` command: `waymark dev` runs everything on a laptop; the recording commands talk
//! to a dashboard's HTTP API like any other client.

pub mod client;
pub mod csvio;
pub mod demo;
pub mod dev;
pub mod natsserver;
pub mod quarantine;
pub mod record;
pub mod reference;
pub mod replica;
pub mod stack;
pub mod token;

use clap::{Parser, Subcommand};

/// Exit code when the API rejected the request (a rule or invalid input).
pub const EXIT_REJECTED: i32 = 3;
/// Exit code when the dashboard or a service could not be reached; retrying may help.
pub const EXIT_UNAVAILABLE: i32 = 4;

/// Waymark: an event-sourced progress tracker for public sector blueprints.
#[derive(Debug, Parser)]
#[command(name = "waymark", version, about, long_about = None, after_help = "\
Ids are slugs (a-z, 0-9 and '-'); a thing inside a blueprint is named <blueprint>/<id>, like
wm-digital/hub-100-roles. Money is given in pounds, staff time in person-days.
Start with `waymark organisation register --help`, then blueprint, milestone, commitment, pledge.

Exit codes: 0 done, 2 bad usage, 3 rejected by a rule or invalid input, 4 Waymark unreachable (retry).")]
pub struct Cli {
    #[command(subcommand)]
    pub command: Commands,
}

#[derive(Debug, Subcommand)]
pub enum Commands {
    /// Record organisations, blueprints, milestones, commitments and pledges through the API.
    #[command(flatten)]
    Record(record::Recording),
    /// Run a private nats-server, every service and the dashboard in one process, with demo data.
    Dev(dev::DevArgs),
    /// Make, list and revoke API tokens.
    #[command(subcommand)]
    Token(token::TokenCmd),
    /// Import a register (milestones, commitments or pledges) from a CSV file.
    Import(csvio::ImportArgs),
    /// Export a register (milestones, commitments or pledges) as CSV.
    Export(csvio::ExportArgs),
    /// Commits the read models could not take in, and voiding one no version can read.
    #[command(subcommand)]
    Quarantine(quarantine::QuarantineCmd),
    /// A serving replica's read models: snapshot, verify, rebuild, without stopping it.
    #[command(subcommand)]
    Projector(replica::ProjectorCmd),
}

/// Runs the command line; returns the process exit code.
pub async fn main_with(cli: Cli) -> i32 {
    match cli.command {
        Commands::Dev(args) => match dev::run(args).await {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("waymark dev: {e}");
                1
            }
        },
        Commands::Record(recording) => record::run(recording).await.emit(),
        Commands::Token(cmd) => token::run(cmd),
        Commands::Import(args) => csvio::run_import(args).await,
        Commands::Export(args) => csvio::run_export(args).await,
        Commands::Quarantine(cmd) => quarantine::run(cmd).await.emit(),
        Commands::Projector(cmd) => replica::run(cmd).await.emit(),
    }
}
