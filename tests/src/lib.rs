//! The test harness: real nats-server processes on free ports with their own temporary folders,
//! and the whole Waymark stack in-process against them (the one `waymark dev` runs), reached over
//! HTTP. Only the tests need what is here: crashing and restarting a server, and writing to the
//! stream behind the services' backs.
//!
//! For the fault runs: [`servers`] (which nats-server releases to run on), [`cluster`] (a JetStream
//! cluster of real servers and the stack on it), [`replica`] (a dashboard as a process of its own),
//! [`workload`] (a realistic stream of commits) and [`evidence`] (what each run found).

pub mod cluster;
pub mod evidence;
pub mod replica;
pub mod servers;
pub mod workload;

use std::path::PathBuf;
use std::time::Duration;

use cli::natsserver::{self, NatsServer, NatsServerError};
use cli::stack::Stack;
use eventstore::{EventStore, NatsConfig, StreamReader};
use serde_json::Value;
use tempfile::TempDir;

/// A nats-server with JetStream in a temporary folder, killed on drop.
pub struct TestNats {
    server: NatsServer,
    binary: PathBuf,
    port: u16,
    dir: TempDir,
}

impl TestNats {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().expect("temporary folder");
        let binary = natsserver::locate(None).expect("a nats-server binary (see README)");
        let port = free_port();
        let server = NatsServer::start(&binary, dir.path(), port)
            .await
            .expect("nats-server starts");
        Self {
            server,
            binary,
            port,
            dir,
        }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn config(&self) -> NatsConfig {
        NatsConfig::for_url(self.url())
    }

    /// Kills the server without warning (as a crash would), waits for it to exit, and starts it
    /// again on the same port and data folder.
    pub async fn restart(&mut self) -> Result<(), NatsServerError> {
        self.server.stop().await;
        self.server = NatsServer::start(&self.binary, self.dir.path(), self.port).await?;
        Ok(())
    }
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A status and a JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The stream sequence of an accepted command.
    pub fn seq(&self) -> u64 {
        self.body["seq"]
            .as_u64()
            .unwrap_or_else(|| panic!("no seq in {self:?}"))
    }
}

/// Waymark running in-process against its own nats-server, with its own read-model file.
pub struct TestApp {
    /// A token with the admin role, sent with every request of the helpers below.
    pub admin_token: String,
    /// Tokens with other roles and limits.
    pub tokens: TestTokens,
    pub nats: TestNats,
    /// The harness's own connection with the right to append, for tests that write to the
    /// stream behind the services' backs or read its last sequence.
    pub store: EventStore,
    pub stack: Option<Stack>,
    pub base: String,
    pub http: reqwest::Client,
    /// Changes to the dashboard's defaults, applied at every start.
    configure: fn(&mut dashboard::DashboardConfig),
    db_dir: TempDir,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Like [`TestApp::spawn`], with the dashboard's settings changed by `configure`.
    pub async fn spawn_with(configure: fn(&mut dashboard::DashboardConfig)) -> Self {
        let nats = TestNats::start().await;
        let store = EventStore::open(&nats.config(), "test-harness")
            .await
            .expect("the harness connects");
        let db_dir = tempfile::tempdir().expect("temporary folder");
        let (admin_token, tokens) = TestTokens::write(&db_dir.path().join("tokens.json"));
        let mut app = Self {
            admin_token,
            tokens,
            nats,
            store,
            stack: None,
            base: String::new(),
            http: reqwest::Client::new(),
            configure,
            db_dir,
        };
        app.start_stack().await;
        app
    }

    pub fn db_path(&self) -> PathBuf {
        self.db_dir.path().join("read-models.redb")
    }

    /// Starts (or restarts) the services and the dashboard on a new port, over the same data.
    pub async fn start_stack(&mut self) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let mut config = dashboard::DashboardConfig::with_db(self.db_path());
        config.tokens_file = Some(self.db_dir.path().join("tokens.json"));
        (self.configure)(&mut config);
        let stack = cli::stack::start(&self.nats.config(), &config, listener)
            .await
            .expect("stack starts");
        self.base = format!("http://{}", stack.dashboard.addr);
        self.stack = Some(stack);
    }

    /// Stops the services and the dashboard, as a deploy would.
    pub async fn stop_stack(&mut self) {
        if let Some(stack) = self.stack.take() {
            stack.shutdown().await;
        }
    }

    pub fn store(&self) -> &EventStore {
        &self.store
    }

    /// Reads of the stream, on the harness's connection.
    pub fn stream(&self) -> &StreamReader {
        self.store.reader()
    }

    /// JetStream on the harness's connection, for what no Waymark code does: publishing bytes
    /// that are not a commit, reading raw messages.
    pub fn jetstream(&self) -> async_nats::jetstream::Context {
        async_nats::jetstream::new(self.store.client().clone())
    }

    /// The projector's current checkpoint.
    pub fn checkpoint(&self) -> u64 {
        *self
            .stack
            .as_ref()
            .expect("stack running")
            .dashboard
            .checkpoint
            .borrow()
    }

    /// Waits until the projector has applied `seq`.
    pub async fn wait_for_checkpoint(&self, seq: u64) {
        let mut rx = self
            .stack
            .as_ref()
            .expect("stack running")
            .dashboard
            .checkpoint
            .clone();
        tokio::time::timeout(Duration::from_secs(10), rx.wait_for(|cp| *cp >= seq))
            .await
            .expect("projector reaches the sequence in time")
            .expect("projector alive");
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.post_with(path, body, &[]).await
    }

    pub async fn post_with(&self, path: &str, body: Value, headers: &[(&str, &str)]) -> Answer {
        self.post_as(Some(&self.admin_token), path, body, headers)
            .await
    }

    /// Posts with `token` (or none).
    pub async fn post_as(
        &self,
        token: Option<&str>,
        path: &str,
        body: Value,
        headers: &[(&str, &str)],
    ) -> Answer {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        Self::answer(request.send().await.expect("request sent")).await
    }

    /// Posts raw bytes with a content type.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: &'static str) -> Answer {
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.admin_token)
            .header("content-type", content_type)
            .body(body);
        Self::answer(request.send().await.expect("request sent")).await
    }

    pub async fn get(&self, path: &str) -> Answer {
        self.get_as(Some(&self.admin_token), path).await
    }

    /// Reads with `token` (or none).
    pub async fn get_as(&self, token: Option<&str>, path: &str) -> Answer {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        Self::answer(request.send().await.expect("request sent")).await
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.admin_token)
            .send()
            .await
            .expect("request sent");
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    async fn answer(response: reqwest::Response) -> Answer {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer {
            status,
            headers,
            body,
        }
    }

    /// Registers an organisation, drafts and publishes a blueprint with one workstream and the
    /// organisation as partner, and waits until the read models show it; returns the last
    /// sequence.
    pub async fn given_blueprint(&self, bp: &str) -> u64 {
        let ok = |a: Answer| {
            assert!(a.status < 300, "setup step failed: {a:?}");
            a.seq()
        };
        let org = self.get("/api/v1/organisations/gds").await;
        if org.status == 404 {
            ok(self
                .post("/api/v1/organisations", serde_json::json!({"id": "gds", "name": "Government Digital Service", "org_type": "central_government"}))
                .await);
        }
        ok(self
            .post(
                "/api/v1/blueprints",
                serde_json::json!({
                    "id": bp, "title": "West Midlands digital", "summary": "Join up teams", "lead_org": "gds",
                    "start_date": "2026-01-01", "target_end_date": "2027-12-31", "funding_target": 100_000_000u64
                }),
            )
            .await);
        ok(self
            .post(&format!("/api/v1/blueprints/{bp}/add-workstream"), serde_json::json!({"workstream": "skills", "title": "Skills pipeline", "lead_org": "gds"}))
            .await);
        ok(self
            .post(
                &format!("/api/v1/blueprints/{bp}/add-partner"),
                serde_json::json!({"org": "gds"}),
            )
            .await);
        let last = ok(self
            .post(
                &format!("/api/v1/blueprints/{bp}/publish"),
                serde_json::json!({}),
            )
            .await);
        // Pages and reads without min_seq see the blueprint from here on.
        self.wait_for_checkpoint(last).await;
        last
    }

    /// Plans a milestone in the `skills` workstream; returns the answer.
    pub async fn plan_milestone(&self, bp: &str, id: &str, due: &str) -> Answer {
        self.post(
            &format!("/api/v1/blueprints/{bp}/milestones"),
            serde_json::json!({"id": id, "workstream": "skills", "title": format!("Milestone {id}"), "owner": "gds", "due": due}),
        )
        .await
    }
}

/// API tokens of every role and limit, made before the stack starts.
#[derive(Debug, Clone)]
pub struct TestTokens {
    pub recorder: String,
    pub viewer: String,
    /// A recorder limited to organisation `gds`.
    pub gds_partner: String,
    /// A recorder limited to blueprint `wm`.
    pub wm_only: String,
}

impl TestTokens {
    /// Writes a tokens file; returns the admin token and the others.
    fn write(path: &std::path::Path) -> (String, Self) {
        use dashboard::auth::{Role, TokenFile};
        let mut file = TokenFile::default();
        let admin = file
            .create("test-admin", Role::Admin, None, vec![])
            .expect("token");
        let tokens = Self {
            recorder: file
                .create("test-recorder", Role::Recorder, None, vec![])
                .expect("token"),
            viewer: file
                .create("test-viewer", Role::Viewer, None, vec![])
                .expect("token"),
            gds_partner: file
                .create(
                    "gds-partner",
                    Role::Recorder,
                    Some("gds".parse().expect("slug")),
                    vec![],
                )
                .expect("token"),
            wm_only: file
                .create(
                    "wm-only",
                    Role::Recorder,
                    None,
                    vec!["wm".parse().expect("slug")],
                )
                .expect("token"),
        };
        file.write(path).expect("tokens file written");
        (admin, tokens)
    }
}
