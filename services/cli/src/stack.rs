//! Every service and the dashboard in one process, each on a connection to NATS of its own: what
//! `waymark dev` runs. The dashboard gets only a reader.

use eventstore::{EventStore, NatsConfig, StoreError};
use prometheus::Registry;
use service_runtime::{CommandMetrics, ServiceLimits, run};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// A running stack.
pub struct Stack {
    pub dashboard: dashboard::Running,
    stop: watch::Sender<bool>,
    services: Vec<JoinHandle<()>>,
}

fn stopped(rx: &watch::Receiver<bool>) -> impl std::future::Future<Output = ()> + Send + 'static {
    let mut rx = rx.clone();
    async move {
        let _ = rx.wait_for(|s| *s).await;
    }
}

/// Why the stack did not start; the message says which part failed.
#[derive(Debug, thiserror::Error)]
pub enum StackError {
    /// The event store could not be opened: NATS unreachable or the stream misconfigured.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The command metrics could not be registered: a bug (two metrics of one name).
    #[error(transparent)]
    Metrics(#[from] prometheus::Error),
    /// A command service did not answer its ping in time (its error is in the log).
    #[error("service {name} did not start")]
    ServiceDidNotStart { name: &'static str },
    /// The dashboard did not start; the source says why.
    #[error(transparent)]
    Dashboard(#[from] dashboard::StartError),
}

/// Starts the four command services (with the default limits) and the dashboard (with its
/// projector).
pub async fn start(
    nats: &NatsConfig,
    config: &dashboard::DashboardConfig,
    listener: tokio::net::TcpListener,
) -> Result<Stack, StackError> {
    let store = EventStore::open(nats, "waymark-dashboard").await?;
    let registry = Registry::new();
    let metrics = CommandMetrics::register(&registry)?;
    let (stop, rx) = watch::channel(false);
    let mut services = Vec::new();
    // Each service on a connection of its own, as its binary has: one connection carrying every
    // service's commands, replies and appends would be one queue for all of them.
    macro_rules! spawn_service {
        ($run:path, $name:literal) => {{
            let store = EventStore::open(nats, concat!("waymark-", $name)).await?;
            let (metrics, shutdown) = (metrics.clone(), stopped(&rx));
            services.push(tokio::spawn(async move {
                if let Err(e) = $run(store, metrics, ServiceLimits::default(), shutdown).await {
                    tracing::error!(error = %e, service = $name, "service stopped with an error");
                }
            }));
        }};
    }
    spawn_service!(blueprints::run, "blueprints");
    spawn_service!(run::<milestones::MilestoneHandler>, "milestones");
    spawn_service!(run::<commitments::CommitmentHandler>, "commitments");
    spawn_service!(run::<pledges::PledgeHandler>, "pledges");
    // Every service answers before the dashboard takes requests.
    wait_for_services(store.client(), &SERVICES).await?;
    let dashboard = dashboard::start(
        config,
        listener,
        store.reader().clone(),
        registry,
        vec![service_runtime::runner::unreadable_check(
            metrics.unreadable.clone(),
        )],
        stopped(&rx),
    )
    .await?;
    Ok(Stack {
        dashboard,
        stop,
        services,
    })
}

impl Stack {
    /// Stops everything and waits for in-flight work to finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for s in self.services {
            let _ = s.await;
        }
        let _ = self.dashboard.task.await;
    }
}

/// The NATS service names of the command services.
const SERVICES: [&str; 5] = [
    "waymark-organisations",
    "waymark-blueprints",
    "waymark-milestones",
    "waymark-commitments",
    "waymark-pledges",
];

/// Waits until each named service answers `$SRV.PING.<name>`.
async fn wait_for_services(
    client: &async_nats::Client,
    names: &[&'static str],
) -> Result<(), StackError> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    for &name in names {
        loop {
            let ping = client
                .request(format!("$SRV.PING.{name}"), Vec::new().into())
                .await;
            if ping.is_ok() {
                break;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(StackError::ServiceDidNotStart { name });
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }
    Ok(())
}
