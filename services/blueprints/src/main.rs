//! `waymark-blueprints`: the organisations and blueprints command service.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    service_runtime::runner::run_service_binary("waymark-blueprints", blueprints::run).await?;
    Ok(())
}
