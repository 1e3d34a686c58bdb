//! `waymark-dashboard`: the dashboard (pages, JSON API, metrics) and its projector, one replica.

use clap::Parser;
use dashboard::DashboardSettings;
use eventstore::StreamReader;

/// Serve Waymark's pages, JSON API and metrics.
#[derive(Parser)]
#[command(name = "waymark-dashboard", version)]
struct Args {
    #[command(flatten)]
    settings: settings::Flags<DashboardSettings>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let settings = Args::parse().settings.load()?;
    telemetry::init(&settings.log);
    let stream = StreamReader::open(&settings.nats, "waymark-dashboard").await?;
    let listener = tokio::net::TcpListener::bind(settings.dashboard.listen).await?;
    let running = dashboard::start(
        &settings.dashboard,
        listener,
        stream,
        prometheus::Registry::new(),
        Vec::new(),
        telemetry::shutdown_signal(),
    )
    .await?;
    running.task.await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Two settings with one name make the binary refuse to start: clap checks them here.
    #[test]
    fn the_settings_have_distinct_names() {
        super::Args::command().debug_assert();
    }
}
