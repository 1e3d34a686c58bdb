//! `waymark-milestones`: the milestones command service.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    service_runtime::runner::run_service::<milestones::MilestoneHandler>().await?;
    Ok(())
}
