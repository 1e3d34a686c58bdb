//! The blueprints service: the rules for organisations and blueprints (with their workstreams,
//! partners and targets). The states these rules change are folded in the `directory` crate,
//! which every other service checks its own rules against too.

pub mod blueprint;
pub mod organisation;

pub use blueprint::BlueprintHandler;
pub use organisation::OrganisationHandler;

use eventstore::{EventStore, StoreError};
use service_runtime::{CommandMetrics, Service, ServiceLimits};

/// Serves organisation and blueprint commands until `shutdown` resolves.
pub async fn run(
    store: EventStore,
    metrics: CommandMetrics,
    limits: ServiceLimits,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), StoreError> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let organisations = service_runtime::run::<OrganisationHandler>(
        store.clone(),
        metrics.clone(),
        limits.clone(),
        stopped(stop_rx.clone()),
    );
    let blueprints =
        service_runtime::run::<BlueprintHandler>(store, metrics, limits, stopped(stop_rx));
    let signal = async move {
        shutdown.await;
        let _ = stop_tx.send(true);
        Ok(())
    };
    tokio::try_join!(organisations, blueprints, signal)?;
    Ok(())
}

impl Service for OrganisationHandler {
    const NAME: &'static str = "waymark-organisations";
}

impl Service for BlueprintHandler {
    const NAME: &'static str = "waymark-blueprints";
}
