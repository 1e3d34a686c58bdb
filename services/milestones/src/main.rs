//! `waymark-milestones`: the milestones command service.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    service_runtime::runner::run_service_binary("waymark-milestones", milestones::run).await?;
    Ok(())
}
