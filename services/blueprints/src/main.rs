//! `waymark-blueprints`: the organisations and blueprints command service.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    eventstore::runner::run_service_binary("waymark-blueprints", blueprints::run).await
}
