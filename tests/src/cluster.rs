//! A JetStream cluster of real nats-server processes on free ports, each node with its own
//! configuration file and data folder, killed without warning and restarted on demand; and the
//! whole Waymark stack (one or more copies) against it. A cluster of one node is a single server
//! with JetStream, started the same way, so that a scenario runs unchanged on either.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use async_nats::jetstream;
use cli::stack::Stack;
use eventstore::{EventStore, NatsConfig};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio::process::{Child, Command};

use crate::servers::ServerBinary;
use crate::{Answer, Deadline, free_port};

/// How long a node has to accept connections, and the cluster to offer JetStream.
const START_WITHIN: Duration = Duration::from_secs(30);

/// One nats-server of a cluster.
pub struct Node {
    pub name: String,
    pub client_port: u16,
    config: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

impl Node {
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.client_port)
    }

    pub fn running(&self) -> bool {
        self.child.is_some()
    }

    /// The last lines of the node's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(8)..].join("\n")
    }
}

/// `nodes` nats-servers with JetStream; three or more form a cluster with routes between them.
pub struct TestCluster {
    pub binary: ServerBinary,
    pub nodes: Vec<Node>,
    /// The harness's own connection, to every node: stream info, leaders.
    client: async_nats::Client,
    _dir: TempDir,
}

impl TestCluster {
    /// Starts `nodes` servers of `binary` and waits until JetStream answers.
    pub async fn start(binary: &ServerBinary, nodes: usize) -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let ports: Vec<(u16, u16)> = (0..nodes).map(|_| (free_port(), free_port())).collect();
        let routes: Vec<String> = ports
            .iter()
            .map(|(_, route)| format!("nats://127.0.0.1:{route}"))
            .collect();
        let mut all = Vec::new();
        for (i, (client_port, route_port)) in ports.iter().enumerate() {
            let name = format!("n{}", i + 1);
            let home = dir.path().join(&name);
            std::fs::create_dir_all(&home).expect("node folder");
            let config = home.join("nats-server.conf");
            let log = home.join("nats-server.log");
            // Acknowledged messages are on disk before the acknowledgement, as in deploy/nats/
            // (`sync_interval` exists from 2.10 on; older servers sync on their own schedule).
            let sync = if binary.at_least((2, 10, 0)) {
                "sync_interval: always"
            } else {
                ""
            };
            let cluster = if nodes > 1 {
                format!(
                    "cluster {{\n  name: waymark-test\n  listen: 127.0.0.1:{route_port}\n  routes: [{}]\n}}\n",
                    routes.join(", ")
                )
            } else {
                String::new()
            };
            let text = format!(
                "server_name: {name}\nlisten: 127.0.0.1:{client_port}\nlog_file: {log:?}\n\
                 jetstream {{\n  store_dir: {store:?}\n  {sync}\n}}\n{cluster}",
                store = home.join("jetstream"),
            );
            std::fs::write(&config, text).expect("node configuration written");
            all.push(Node {
                name,
                client_port: *client_port,
                config,
                log,
                child: None,
            });
        }
        for node in &mut all {
            spawn(&binary.path, node).await;
        }
        let addrs: Vec<async_nats::ServerAddr> = all
            .iter()
            .map(|n| n.url().parse().expect("server address"))
            .collect();
        let client = async_nats::ConnectOptions::new()
            .name("test-cluster")
            .request_timeout(Some(Duration::from_secs(2)))
            .max_reconnects(None)
            .connect(addrs)
            .await
            .expect("the harness connects to the cluster");
        let cluster = Self {
            binary: binary.clone(),
            nodes: all,
            client,
            _dir: dir,
        };
        cluster.wait_for_jetstream().await;
        cluster
    }

    /// What this is, for reports: `nats-server 2.15.1, 3-node cluster, R3 stream`.
    pub fn describe(&self) -> String {
        match self.nodes.len() {
            1 => format!("nats-server {}, single node", self.binary.version),
            n => format!(
                "nats-server {}, {n}-node cluster, R{} stream",
                self.binary.version,
                n.min(3)
            ),
        }
    }

    /// Every node's URL, comma separated, as `WAYMARK_NATS_URL` takes them.
    pub fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(Node::url)
            .collect::<Vec<_>>()
            .join(",")
    }

    /// How Waymark connects: every node, and as many stream replicas as there are nodes (at most 3).
    pub fn config(&self) -> NatsConfig {
        let mut config = NatsConfig::for_url(self.urls());
        config.replicas = self.nodes.len().min(3);
        config
    }

    /// Waits until `$JS.API.INFO` answers without an error: in a cluster, once the JetStream
    /// meta group has a leader. (Read as plain JSON, which every server version answers alike.)
    async fn wait_for_jetstream(&self) {
        let deadline = tokio::time::Instant::now() + START_WITHIN;
        loop {
            let answer = self
                .client
                .request("$JS.API.INFO", bytes::Bytes::new())
                .await
                .map_err(|e| e.to_string())
                .and_then(|m| {
                    serde_json::from_slice::<Value>(&m.payload).map_err(|e| e.to_string())
                });
            match answer {
                Ok(info) if info.get("error").is_none() => return,
                other => assert!(
                    tokio::time::Instant::now() < deadline,
                    "JetStream did not become available: {other:?}; logs:\n{}",
                    self.logs()
                ),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn logs(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("--- {} ---\n{}", n.name, n.log_tail()))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The stream's cluster information as its leader reports it, once it has one; None while
    /// an election is under way or the stream does not exist yet.
    pub async fn stream_cluster(&self) -> Option<jetstream::stream::ClusterInfo> {
        let js = jetstream::new(self.client.clone());
        let mut stream = js.get_stream(proto::subjects::STREAM).await.ok()?;
        let info = stream.info().await.ok()?;
        info.cluster.clone().filter(|c| c.leader.is_some())
    }

    /// The index of the node leading the event stream (the only node of a single server).
    pub async fn leader(&self) -> usize {
        if self.nodes.len() == 1 {
            return 0;
        }
        let deadline = Deadline::after(START_WITHIN, Duration::from_millis(100));
        loop {
            if let Some(leader) = self.stream_cluster().await.and_then(|c| c.leader)
                && let Some(i) = self.nodes.iter().position(|n| n.name == leader)
            {
                return i;
            }
            deadline
                .retry(|| format!("the stream has no leader; logs:\n{}", self.logs()))
                .await;
        }
    }

    /// Kills node `i` without warning (SIGKILL, as a crash would) and waits until it is gone.
    pub async fn kill(&mut self, i: usize) {
        if let Some(mut child) = self.nodes[i].child.take() {
            child.kill().await.expect("nats-server killed");
        }
    }

    /// Starts node `i` again on its ports, configuration and data.
    pub async fn restart(&mut self, i: usize) {
        let binary = self.binary.path.clone();
        spawn(&binary, &mut self.nodes[i]).await;
    }

    /// Waits until the stream has a leader other than `not` and, when every node runs, until every
    /// replica has caught up, so that the next crash leaves a majority with every acknowledged
    /// message. Returns the leader's index.
    pub async fn wait_until_settled(&self, not: Option<usize>) -> usize {
        let deadline = Deadline::after(Duration::from_secs(60), Duration::from_millis(100));
        loop {
            if self.nodes.len() == 1 {
                let js = jetstream::new(self.client.clone());
                if js.get_stream(proto::subjects::STREAM).await.is_ok() {
                    return 0;
                }
            } else if let Some(info) = self.stream_cluster().await {
                let leader = info
                    .leader
                    .as_deref()
                    .and_then(|l| self.nodes.iter().position(|n| n.name == l));
                let all_up = self.nodes.iter().all(Node::running);
                let replicas_current = info.replicas.iter().all(|p| p.current && !p.offline);
                if let Some(leader) = leader
                    && Some(leader) != not
                    && (!all_up
                        || (replicas_current && info.replicas.len() + 1 == self.nodes.len()))
                {
                    return leader;
                }
            }
            deadline
                .retry(|| format!("the stream did not settle; logs:\n{}", self.logs()))
                .await;
        }
    }
}

async fn spawn(binary: &std::path::Path, node: &mut Node) {
    let child = Command::new(binary)
        .arg("-c")
        .arg(&node.config)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("failed to start {}: {e}", binary.display()));
    node.child = Some(child);
    let deadline = tokio::time::Instant::now() + START_WITHIN;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", node.client_port))
            .await
            .is_ok()
        {
            return;
        }
        let exited = node
            .child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten());
        assert!(
            exited.is_none() && tokio::time::Instant::now() < deadline,
            "nats-server {} did not accept connections ({exited:?}): {}",
            node.name,
            node.log_tail()
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// Waymark against a [`TestCluster`]: one or more copies of the stack `waymark dev` runs (the
/// four command services and a dashboard with its own read models), reached over HTTP.
pub struct ClusterApp {
    pub cluster: TestCluster,
    /// The harness's own event store on the cluster, for reading the stream back and for writers
    /// racing behind the services' backs.
    pub store: EventStore,
    pub stacks: Vec<Stack>,
    /// The base URL of each stack's dashboard.
    pub bases: Vec<String>,
    pub admin_token: String,
    pub http: reqwest::Client,
    dir: TempDir,
}

impl ClusterApp {
    /// A cluster of `nodes` servers of `binary` with one stack on it.
    pub async fn spawn(binary: &ServerBinary, nodes: usize) -> Self {
        let cluster = TestCluster::start(binary, nodes).await;
        let store = open_store(&cluster.config(), "test-harness").await;
        let dir = tempfile::tempdir().expect("temporary folder");
        let mut file = dashboard::auth::TokenFile::default();
        let admin_token = file
            .create("test-admin", dashboard::auth::Role::Admin, None, vec![])
            .expect("token");
        file.write(&dir.path().join("tokens.json"))
            .expect("tokens file written");
        let mut app = Self {
            cluster,
            store,
            stacks: Vec::new(),
            bases: Vec::new(),
            admin_token,
            http: reqwest::Client::new(),
            dir,
        };
        app.add_stack().await;
        app
    }

    /// Starts one more copy of the services and a dashboard (on read models of its own): a second
    /// instance of every service, which takes its share of the commands through the queue groups.
    pub async fn add_stack(&mut self) -> usize {
        let n = self.stacks.len();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let mut config =
            dashboard::DashboardConfig::with_db(self.dir.path().join(format!("read-{n}.redb")));
        config.tokens_file = Some(self.dir.path().join("tokens.json"));
        let stack = cli::stack::start(&self.cluster.config(), &config, listener)
            .await
            .expect("stack starts");
        self.bases.push(format!("http://{}", stack.dashboard.addr));
        self.stacks.push(stack);
        n
    }

    /// Posts `body` to stack `stack` with the admin token and `key` as the idempotency key.
    pub async fn post(&self, stack: usize, path: &str, body: &Value, key: &str) -> Answer {
        let response = self
            .http
            .post(format!("{}{path}", self.bases[stack]))
            .bearer_auth(&self.admin_token)
            .header("idempotency-key", key)
            .json(body)
            .send()
            .await
            .expect("request sent");
        Answer::read(response).await
    }

    /// Registers organisation `gds` (once) and a published blueprint `bp` with the workstream
    /// `skills` and `gds` as partner, through stack 0.
    pub async fn given_blueprint(&self, bp: &str) {
        let steps = [
            (
                "/api/v1/organisations".to_owned(),
                json!({"id": "gds", "name": "Government Digital Service", "org_type": "central_government"}),
            ),
            (
                "/api/v1/blueprints".to_owned(),
                json!({"id": bp, "title": "West Midlands digital", "summary": "Join up teams",
                       "lead_org": "gds", "start_date": "2026-01-01",
                       "target_end_date": "2027-12-31", "funding_target": 100_000_000u64}),
            ),
            (
                format!("/api/v1/blueprints/{bp}/add-workstream"),
                json!({"workstream": "skills", "title": "Skills pipeline", "lead_org": "gds"}),
            ),
            (
                format!("/api/v1/blueprints/{bp}/add-partner"),
                json!({"org": "gds"}),
            ),
            (format!("/api/v1/blueprints/{bp}/publish"), json!({})),
        ];
        for (i, (path, body)) in steps.iter().enumerate() {
            let answer = self.post(0, path, body, &format!("setup-{bp}-{i}")).await;
            assert!(answer.status < 300, "setup step {path} failed: {answer:?}");
        }
    }

    /// Stops every stack, as a deploy would.
    pub async fn stop(&mut self) {
        for stack in self.stacks.drain(..) {
            stack.shutdown().await;
        }
    }
}

/// Opens an event store on `config`, retrying while the cluster elects the leaders it needs.
pub async fn open_store(config: &NatsConfig, name: &str) -> EventStore {
    let deadline = tokio::time::Instant::now() + START_WITHIN;
    loop {
        match EventStore::open(config, name).await {
            Ok(store) => return store,
            Err(e) => assert!(
                tokio::time::Instant::now() < deadline,
                "the event store did not open: {e}"
            ),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
