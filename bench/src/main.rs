//! `waymark-bench`: runs every figure of `make bench` and writes `BENCHMARKS.md` (its results
//! section) and `BENCHMARKS.json`.

use std::path::PathBuf;

use bench::report::{self, RunInfo};
use bench::suites::{self, Plan};
use clap::Parser;

#[derive(Parser)]
#[command(about = "Measures Waymark beside its raw ceilings and the peer; writes BENCHMARKS.md")]
struct Args {
    /// Shorter runs and a smaller projection (`make bench-quick`): a few minutes.
    #[arg(long)]
    quick: bool,
    /// The Markdown file whose results section is written.
    #[arg(long, default_value = "BENCHMARKS.md")]
    markdown: PathBuf,
    /// The machine-readable results.
    #[arg(long, default_value = "BENCHMARKS.json")]
    json: PathBuf,
    /// Only the groups named (commands, history, reads, freshness, scale, projection); all by default.
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // Waymark's own warnings (refusals for store failures, say) go to stderr beside the progress.
    telemetry::logs::init(&telemetry::logs::LogConfig {
        format: telemetry::logs::LogFormat::Text,
        filter: std::env::var("RUST_LOG").unwrap_or_else(|_| "warn".to_owned()),
    });
    let plan = if args.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    let wanted = |g: &str| args.only.is_empty() || args.only.iter().any(|o| o == g);
    let nats_server = tests::servers::current().version;
    let mut rows = Vec::new();
    if ["commands", "history", "reads", "freshness", "scale"]
        .iter()
        .any(|g| wanted(g))
    {
        let w = bench::waymark::Waymark::start().await;
        if wanted("commands") {
            let raw = bench::waymark::Raw::start().await;
            rows.extend(suites::commands(&plan, &w, &raw).await);
        }
        if wanted("history") {
            rows.extend(suites::history(&plan, &w).await);
        }
        if wanted("freshness") {
            rows.extend(suites::freshness(&plan, &w).await);
        }
        if wanted("reads") {
            rows.extend(suites::reads(&plan, &w).await);
        }
        if wanted("scale") {
            rows.extend(suites::scale(&plan, &w).await);
        }
    }
    if wanted("projection") {
        rows.extend(suites::projection(&plan).await);
    }
    let info = RunInfo {
        date: chrono::Utc::now().format("%Y-%m-%d %H:%M UTC").to_string(),
        commit: std::env::var("WAYMARK_COMMIT").unwrap_or_else(|_| "unknown".into()),
        quick: plan.quick,
        nats_server,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        rounds: plan.rounds,
    };
    let section = report::markdown(&info, &rows);
    println!("{section}");
    report::write_markdown(&args.markdown, &section)?;
    report::write_json(&args.json, &info, &rows)?;
    Ok(())
}
