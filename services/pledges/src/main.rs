//! `waymark-pledges`: the investment pledges command service.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    service_runtime::runner::run_service_binary("waymark-pledges", pledges::run).await?;
    Ok(())
}
