//! What every thin service binary does: read its settings, set up telemetry, connect, serve the
//! operator endpoints, run until SIGTERM or Ctrl-C.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use clap::{Args, FromArgMatches};
use eventstore::{EventStore, NatsConfig, StoreError};
use prometheus::Registry;
use settings::{Flags, SettingsError};
use telemetry::ops::{NotReady, ReadinessCheck};

use crate::metrics::{CommandMetrics, UnreadableThings};
use crate::service::ServiceLimits;

settings::section! {
    /// Where a command service serves its operator endpoints.
    pub struct OpsConfig {
        /// Address of the operator endpoints (`/metrics`, `/healthz`, `/readyz`).
        #[setting(env = "WAYMARK_OPS_ADDR", flag = "ops-addr")]
        pub addr: SocketAddr = ([127, 0, 0, 1], 9100).into(),
    }
}

settings::binary! {
    /// Everything a command service binary reads.
    pub struct ServiceSettings for [
        "waymark-blueprints",
        "waymark-milestones",
        "waymark-commitments",
        "waymark-pledges",
    ] {
        pub nats: NatsConfig,
        pub service: ServiceLimits,
        pub ops: OpsConfig,
        pub log: telemetry::LogConfig,
    }
}

/// A future that resolves when the service should stop.
pub type Shutdown = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Why a service binary stopped with an error. Every case ends the process; the variants say
/// which step failed, so that a supervisor's log names it.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The event store could not be opened, or serving failed on it: NATS unreachable or the
    /// stream misconfigured (the message says which); restarting may help once NATS is back.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A metric could not be registered: a bug (two metrics of one name), not worth a retry.
    #[error(transparent)]
    Metrics(#[from] prometheus::Error),
    /// The operator endpoints' address could not be bound (in use, or not this host's).
    #[error(transparent)]
    Listen(#[from] std::io::Error),
    /// The settings could not be read (the message names the setting and its source).
    #[error(transparent)]
    Settings(#[from] SettingsError),
}

/// Runs a command service binary named `name`: its settings are read from its flags, file and
/// environment, and `serve` is called once the store is open.
pub async fn run_service_binary<F, Fut>(name: &str, serve: F) -> Result<(), RunError>
where
    F: FnOnce(EventStore, CommandMetrics, ServiceLimits, Shutdown) -> Fut,
    Fut: Future<Output = Result<(), StoreError>>,
{
    let command = clap::Command::new(name.to_owned())
        .version(env!("CARGO_PKG_VERSION"))
        .about("Serve one kind of Waymark command");
    let matches = Flags::<ServiceSettings>::augment_args(command).get_matches();
    let flags = Flags::<ServiceSettings>::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let settings = flags.load()?;
    telemetry::init(&settings.log);
    let store = EventStore::open(&settings.nats, name).await?;
    let registry = Registry::new();
    let metrics = CommandMetrics::register(&registry)?;
    telemetry::ops::register_process_metrics(&registry)?;
    let listener = tokio::net::TcpListener::bind(settings.ops.addr).await?;
    tracing::info!(addr = %listener.local_addr()?, "operator endpoints listening");
    let ops = telemetry::ops::router(
        registry,
        readiness(store.client().clone(), metrics.unreadable.clone()),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, ops).await {
            tracing::error!(error = %e, "operator endpoints stopped");
        }
    });
    serve(
        store,
        metrics,
        settings.service,
        Box::pin(telemetry::shutdown_signal()),
    )
    .await?;
    Ok(())
}

/// Runs the binary of the command service `S`.
pub async fn run_service<S: crate::Service>() -> Result<(), RunError> {
    run_service_binary(S::NAME, crate::run::<S>).await
}

/// A command service's readiness: connected to NATS, and no thing known to be unreadable (an
/// operator must void the commit or deploy a version that reads it; the answer names both).
pub fn readiness(client: async_nats::Client, unreadable: UnreadableThings) -> ReadinessCheck {
    let unreadable = unreadable_check(unreadable);
    Arc::new(move || match client.connection_state() {
        async_nats::connection::State::Connected => unreadable(),
        other => Err(NotReady(format!("NATS connection is {other}"))),
    })
}

/// Fails while a service of this process knows of a commit it cannot read.
pub fn unreadable_check(unreadable: UnreadableThings) -> ReadinessCheck {
    Arc::new(move || {
        let known = unreadable.known();
        if known.is_empty() {
            return Ok(());
        }
        let list = known
            .iter()
            .map(|(subject, seq)| format!("commit {seq} on {subject}"))
            .collect::<Vec<_>>()
            .join(", ");
        Err(NotReady(format!(
            "{} thing(s) take no command because a stored commit cannot be read ({list}); \
             void it with `waymark quarantine void <seq>` or deploy a version that reads it",
            known.len()
        )))
    })
}
