//! `waymark-dashboard`: the dashboard (pages, JSON API, metrics) and its projector, one replica.

use clap::Parser;
use eventstore::{EventStore, NatsConfig};

#[derive(Parser)]
#[command(
    name = "waymark-dashboard",
    version,
    about = "Serve Waymark's pages, JSON API and metrics"
)]
struct Args {
    #[command(flatten)]
    nats: NatsConfig,
    #[command(flatten)]
    dashboard: dashboard::DashboardConfig,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    eventstore::telemetry::init();
    let args = Args::parse();
    let store = EventStore::open(&args.nats, "waymark-dashboard").await?;
    let listener = tokio::net::TcpListener::bind(args.dashboard.listen).await?;
    let running = dashboard::start(
        &args.dashboard,
        listener,
        store,
        prometheus::Registry::new(),
        eventstore::telemetry::shutdown_signal(),
    )
    .await?;
    running.task.await?;
    Ok(())
}
