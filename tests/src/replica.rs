//! A dashboard replica as a process of its own: the binary operators run (the dashboard with its
//! projector), on its own redb file, so that a test can kill it without warning (SIGKILL) at any
//! moment, start it again on the same file, and watch it through its HTTP endpoints.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

use crate::{Deadline, free_port};

/// How a replica is started.
#[derive(Debug, Clone)]
pub struct ReplicaConfig {
    /// The dashboard binary.
    pub binary: PathBuf,
    pub nats_url: String,
    pub db: PathBuf,
    /// Where its log goes; each start appends.
    pub log: PathBuf,
    /// `WAYMARK_STALL_AFTER_MS`.
    pub stall_after_ms: u64,
}

/// A running (or killed) dashboard process.
pub struct Replica {
    config: ReplicaConfig,
    port: u16,
    child: Option<Child>,
    http: reqwest::Client,
}

impl Replica {
    /// Starts the replica; it serves on a free port once its read models are open.
    pub fn start(config: ReplicaConfig) -> Self {
        let mut replica = Self {
            config,
            port: free_port(),
            child: None,
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .expect("HTTP client"),
        };
        replica.spawn();
        replica
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.config.log)
            .expect("replica log");
        let child = Command::new(&self.config.binary)
            .env_clear()
            .env("WAYMARK_NATS_URL", &self.config.nats_url)
            .env("WAYMARK_DB", &self.config.db)
            .env("WAYMARK_LISTEN", format!("127.0.0.1:{}", self.port))
            .env(
                "WAYMARK_STALL_AFTER_MS",
                self.config.stall_after_ms.to_string(),
            )
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("replica log"))
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("failed to start {}: {e}", self.config.binary.display()));
        self.child = Some(child);
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn db(&self) -> &Path {
        &self.config.db
    }

    /// Kills the process without warning (SIGKILL) and waits until it is gone.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            child.kill().await.expect("replica killed");
        }
    }

    /// Starts the process again on the same file (and a new port).
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "kill the replica first");
        self.port = free_port();
        self.spawn();
    }

    /// Fails the test, with the log's last lines, if the process has exited by itself.
    pub fn assert_running(&mut self) {
        let exited = self
            .child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten());
        assert!(
            exited.is_none(),
            "the replica exited by itself ({exited:?}):\n{}",
            self.log_tail(30)
        );
    }

    /// The last `lines` lines of the replica's log.
    pub fn log_tail(&self, lines: usize) -> String {
        let log = std::fs::read_to_string(&self.config.log).unwrap_or_default();
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// The whole log of every start so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.config.log).unwrap_or_default()
    }

    /// A status and body from the replica, or None while it does not answer.
    pub async fn get(&self, path: &str) -> Option<(u16, String)> {
        let response = self
            .http
            .get(format!("{}{path}", self.base()))
            .send()
            .await
            .ok()?;
        let status = response.status().as_u16();
        Some((status, response.text().await.ok()?))
    }

    /// The value of an unlabelled gauge or counter on `/metrics`, while the replica answers.
    pub async fn metric(&self, name: &str) -> Option<i64> {
        let (_, text) = self.get("/metrics").await?;
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
    }

    /// Waits until the projector's checkpoint reaches `seq`, failing after `within`.
    pub async fn wait_for_checkpoint(&mut self, seq: u64, within: Duration) {
        let deadline = Deadline::after(within, Duration::from_millis(100));
        self.wait_for_checkpoint_where(
            |cp| cp >= seq as i64,
            deadline,
            || format!("the replica did not reach commit {seq} in {within:?}"),
        )
        .await;
    }

    /// Waits until the projector's checkpoint is one `reached` accepts, failing with `failure`
    /// and the log's last lines at `deadline`.
    pub async fn wait_for_checkpoint_where(
        &mut self,
        reached: impl Fn(i64) -> bool,
        deadline: Deadline,
        failure: impl Fn() -> String,
    ) {
        self.wait_for_metric_where("waymark_projector_checkpoint", reached, deadline, failure)
            .await;
    }

    /// Waits until the read models hold commit `seq` on disk, not only in the projector's last
    /// transaction: a replica killed then keeps it. The projector makes its commits durable
    /// within `projector::pacing::DURABLE_WITHIN` of applying them.
    pub async fn wait_until_durable(&mut self, seq: u64) {
        let within = Duration::from_secs(30);
        self.wait_for_metric_where(
            "waymark_projector_durable_checkpoint",
            |cp| cp >= seq as i64,
            Deadline::after(within, Duration::from_millis(20)),
            || format!("the replica's read models did not hold commit {seq} on disk in {within:?}"),
        )
        .await;
    }

    async fn wait_for_metric_where(
        &mut self,
        metric: &str,
        reached: impl Fn(i64) -> bool,
        deadline: Deadline,
        failure: impl Fn() -> String,
    ) {
        loop {
            self.assert_running();
            if self.metric(metric).await.is_some_and(&reached) {
                return;
            }
            deadline
                .retry(|| format!("{}:\n{}", failure(), self.log_tail(30)))
                .await;
        }
    }

    /// Waits until the projector has reached commit `seq` and `/readyz` answers 200 again.
    pub async fn wait_until_caught_up(&mut self, seq: u64) {
        self.wait_for_checkpoint(seq, Duration::from_secs(120))
            .await;
        self.wait_for_readiness(200, "", Duration::from_secs(30))
            .await;
    }

    /// Waits until `/readyz` answers `status` with a text containing `saying` (`""` for any);
    /// returns its text.
    pub async fn wait_for_readiness(
        &mut self,
        status: u16,
        saying: &str,
        within: Duration,
    ) -> String {
        let deadline = Deadline::after(within, Duration::from_millis(100));
        loop {
            self.assert_running();
            if let Some((now, text)) = self.get("/readyz").await
                && now == status
                && text.contains(saying)
            {
                return text;
            }
            deadline
                .retry(|| {
                    format!(
                        "/readyz did not answer {status} saying {saying:?} in {within:?}:\n{}",
                        self.log_tail(30)
                    )
                })
                .await;
        }
    }
}
