//! `waymark-pledges`: the investment pledges command service.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    eventstore::runner::run_service_binary("waymark-pledges", pledges::run).await
}
