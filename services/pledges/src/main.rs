//! `waymark-pledges`: the investment pledges command service.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    service_runtime::runner::run_service::<pledges::PledgeHandler>().await?;
    Ok(())
}
