//! The read side at scale: a stream of commits shaped like real use, projected into fresh read
//! models, against a drain of the same stream that only decodes; and what the read models, the
//! stream and the dashboard process hold.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use eventstore::{EventStore, StreamReader};
use futures::StreamExt;
use tests::TestNats;
use tests::workload::{Workload, Written, write};

/// A nats-server of its own, filled with a realistic workload.
pub struct Filled {
    pub nats: TestNats,
    pub store: EventStore,
    pub written: Written,
    dir: tempfile::TempDir,
}

impl Filled {
    pub async fn start() -> Self {
        let nats = TestNats::start().await;
        let store = EventStore::open(&nats.config(), "bench-workload")
            .await
            .expect("workload connects");
        Self {
            nats,
            store,
            written: Written::default(),
            dir: tempfile::tempdir().expect("temporary folder"),
        }
    }

    /// Writes commits until the stream holds `total` of the workload's: 20 blueprints, writers
    /// each taking their own milestones, commitments and pledges through their life cycles.
    pub async fn fill_to(&mut self, total: u64) {
        let more = total.saturating_sub(self.written.commits);
        if more == 0 {
            return;
        }
        let workload = Workload {
            // Each fill has things of its own; the organisations are shared.
            name: format!("f{}-", self.written.commits),
            blueprints: 20,
            writers: 64,
            commits: more,
            unreadable_every: 0,
        };
        let (progress, _) = tokio::sync::watch::channel(0);
        let w = write(&self.store, &workload, &progress).await;
        self.written.commits += w.commits;
        self.written.last_seq = self.written.last_seq.max(w.last_seq);
    }

    pub fn reader(&self) -> &StreamReader {
        self.store.reader()
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Bytes the stream keeps on disk for its messages.
    pub async fn stream_bytes(&self) -> u64 {
        let js = async_nats::jetstream::new(self.store.client().clone());
        let mut stream = js
            .get_stream(proto::subjects::STREAM)
            .await
            .expect("the stream");
        stream.info().await.expect("stream info").state.bytes
    }
}

/// Reads the whole stream and decodes every commit, doing nothing else: the ceiling of
/// projection. Returns commits per second.
pub async fn drain(reader: &StreamReader, last: u64) -> f64 {
    let start = Instant::now();
    let mut following = reader.follow(1).await.expect("follows");
    let mut n = 0u64;
    while let Some(received) = following.next().await {
        let received = received.expect("received");
        let commit = proto::Commit::decode(&received.payload).expect("decodes");
        std::hint::black_box(commit.bodies().expect("bodies decode"));
        n += 1;
        if received.seq >= last {
            break;
        }
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Projects the whole stream into a new read-model file and compacts it, as a rebuild does. Returns the seconds
/// it took.
pub async fn rebuild(reader: &StreamReader, last: u64, path: &Path) -> f64 {
    let start = Instant::now();
    let reached = projector::offline::build(path, reader, last)
        .await
        .expect("projects");
    assert_eq!(reached, last, "the rebuild reached the end of the stream");
    start.elapsed().as_secs_f64()
}

/// The dashboard binary as operators run it, projecting the stream into a new file; its peak
/// resident memory once it has caught up.
pub struct DashboardProcess {
    child: std::process::Child,
    port: u16,
}

impl DashboardProcess {
    pub fn start(nats: &TestNats, db: &Path, log: &Path) -> Self {
        let binary = std::env::var_os("WAYMARK_DASHBOARD_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                std::env::current_exe()
                    .expect("own path")
                    .with_file_name("waymark-dashboard")
            });
        let port = tests::free_port();
        let config = nats.config();
        let log = std::fs::File::create(log).expect("log file");
        let child = std::process::Command::new(&binary)
            .env_clear()
            .env("WAYMARK_NATS_URL", &config.url)
            .env("WAYMARK_NATS_USER", config.user.clone().unwrap_or_default())
            .env(
                "WAYMARK_NATS_PASSWORD",
                config.password.as_ref().map(|p| p.expose().to_owned()).unwrap_or_default(),
            )
            .env("WAYMARK_DB", db)
            .env("WAYMARK_LISTEN", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "failed to start {} (make bench builds it; WAYMARK_DASHBOARD_BIN names another): {e}",
                    binary.display()
                )
            });
        Self { child, port }
    }

    /// The address of `path` on this dashboard.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Waits until the dashboard's checkpoint reaches `seq`; the seconds it took since `since`.
    /// It asks what a client that just recorded `seq` asks, a read with `min_seq`, which the
    /// dashboard answers once it has projected that far (or refuses after its wait, and is asked
    /// again). Scraping `/metrics` instead, as often, would measure the scrapes: each computes
    /// every blueprint's business figures, which change with every batch while catching up.
    pub async fn wait_for(&mut self, seq: u64, since: Instant) -> f64 {
        let http = reqwest::Client::new();
        let url = format!(
            "http://127.0.0.1:{}/api/v1/organisations?min_seq={seq}",
            self.port
        );
        loop {
            assert!(
                self.child.try_wait().expect("child").is_none(),
                "the dashboard exited while projecting"
            );
            if let Ok(r) = http.get(&url).send().await
                && r.status().is_success()
            {
                return since.elapsed().as_secs_f64();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Peak resident memory of the process so far, in bytes (`VmHWM`).
    pub fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the process's status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .map_or(0, |kb| kb * 1024)
    }
}

impl Drop for DashboardProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
