//! The blueprints service: the rules for organisations and blueprints (with their workstreams,
//! partners and targets). Its folded states are also the context other services check their
//! rules against, through [`Directory`].

pub mod blueprint;
pub mod directory;
pub mod organisation;

pub use blueprint::{BlueprintHandler, BlueprintState, BlueprintStatus};
pub use directory::Directory;
pub use organisation::{OrganisationHandler, OrganisationState};

use eventstore::service::{ServiceConfig, serve};
use eventstore::{CommandMetrics, EventStore, StoreError};

/// Serves organisation and blueprint commands until `shutdown` resolves.
pub async fn run(
    store: EventStore,
    metrics: CommandMetrics,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), StoreError> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    let organisations = serve(
        store.clone(),
        OrganisationHandler,
        ServiceConfig::named("waymark-organisations"),
        metrics.clone(),
        stopped(stop_rx.clone()),
    );
    let blueprints = serve(
        store,
        BlueprintHandler::default(),
        ServiceConfig::named("waymark-blueprints"),
        metrics,
        stopped(stop_rx),
    );
    let signal = async move {
        shutdown.await;
        let _ = stop_tx.send(true);
        Ok(())
    };
    tokio::try_join!(organisations, blueprints, signal)?;
    Ok(())
}
