//! `waymark-commitments`: the commitments command service.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    eventstore::runner::run_service_binary("waymark-commitments", commitments::run).await
}
