//! `waymark-commitments`: the commitments command service.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    service_runtime::runner::run_service::<commitments::CommitmentHandler>().await?;
    Ok(())
}
