//! `waymark-commitments`: the commitments command service.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    service_runtime::runner::run_service_binary("waymark-commitments", commitments::run).await?;
    Ok(())
}
