//! Faults injected into a running Waymark, each run checked end to end and its figures recorded
//! (`tests::evidence`): the broker crashing and a cluster's stream leader killed under a stream of
//! commands, writers racing on every supported server, the read side killed again and again, and
//! its disk filling up. `WAYMARK_RELIABILITY=long` (as `make reliability` sets) runs the long
//! versions.

mod broker;
mod commands;
mod disk;
mod races;
mod read_side;

use std::path::{Path, PathBuf};

use tests::cluster::{ClusterApp, TestCluster};
use tests::evidence::Run;
use tests::replica::{Replica, ReplicaConfig};
use tests::servers::ServerBinary;

/// Runs `fault` once on a fresh Waymark against `nodes` nats-servers of `binary`, and records the
/// run under the name `fault_name`.
async fn recorded(
    fault_name: &str,
    binary: &ServerBinary,
    nodes: usize,
    fault: impl AsyncFnOnce(&mut ClusterApp, &mut Run),
) {
    let mut app = ClusterApp::spawn(binary, nodes).await;
    let mut run = Run::new(fault_name, app.cluster.describe(), &binary.version);
    fault(&mut app, &mut run).await;
    run.finish();
}

/// Starts the dashboard replica this package builds, following `cluster`, on the read models at
/// `db`, with its log in `dir`.
fn start_replica(cluster: &TestCluster, db: PathBuf, dir: &Path, stall_after_ms: u64) -> Replica {
    Replica::start(ReplicaConfig {
        binary: env!("CARGO_BIN_EXE_dashboard-replica").into(),
        nats_url: cluster.urls(),
        db,
        log: dir.join("replica.log"),
        stall_after_ms,
    })
}
