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
use eventstore::{EventStore, NatsConfig, Received, StreamReader};
use proto::{Actor, Commit, Event, EventBody, FORMAT_VERSION, ThingRef};
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

    /// The server's data folder (JetStream, its configuration and password).
    pub fn data_dir(&self) -> &std::path::Path {
        self.dir.path()
    }

    pub fn config(&self) -> NatsConfig {
        self.server.client_config()
    }

    /// Kills the server without warning (as a crash would), waits for it to exit, and starts it
    /// again on the same port and data folder.
    pub async fn restart(&mut self) -> Result<(), NatsServerError> {
        self.server.stop().await;
        self.server = NatsServer::start(&self.binary, self.dir.path(), self.port).await?;
        Ok(())
    }
}

/// A command envelope with a fresh idempotency key's worth of defaults: no expected version,
/// dated today, from the actor `test`.
pub fn envelope<C>(key: impl Into<String>, command: C) -> proto::commands::CommandEnvelope<C> {
    proto::commands::CommandEnvelope {
        idempotency_key: key.into(),
        actor: proto::Actor::named("test"),
        expected_version: None,
        occurred_on: None,
        seen: Default::default(),
        command,
    }
}

/// Publishes `payload` on `subject` through `js` and waits for the stream's acknowledgement;
/// returns the stream sequence.
pub async fn publish_raw(
    js: &async_nats::jetstream::Context,
    subject: &str,
    payload: &'static [u8],
) -> u64 {
    js.publish(subject.to_owned(), bytes::Bytes::from_static(payload))
        .await
        .expect("published")
        .await
        .expect("acknowledged")
        .sequence
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// When a wait gives up, and how often it looks again until then.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    at: tokio::time::Instant,
    every: Duration,
}

impl Deadline {
    /// A wait that gives up `within` from now, looking again `every` so often.
    pub fn after(within: Duration, every: Duration) -> Self {
        Self {
            at: tokio::time::Instant::now() + within,
            every,
        }
    }

    /// Fails the test with `failure` once the deadline has passed; until then sleeps until it is
    /// time to look again.
    pub async fn retry(&self, failure: impl FnOnce() -> String) {
        assert!(tokio::time::Instant::now() < self.at, "{}", failure());
        tokio::time::sleep(self.every).await;
    }
}

/// A status and a JSON body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    /// Reads a response: its status, headers and body (JSON, or the text as a JSON string).
    pub async fn read(response: reqwest::Response) -> Answer {
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

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The stream sequence of an accepted command.
    pub fn seq(&self) -> u64 {
        self.body["seq"]
            .as_u64()
            .unwrap_or_else(|| panic!("no seq in {self:?}"))
    }

    /// The history of the thing read, oldest first.
    pub fn history(&self) -> &[Value] {
        self.body["history"]
            .as_array()
            .unwrap_or_else(|| panic!("no history in {self:?}"))
    }
}

/// Organisation `id`, as the stream names it.
pub fn organisation(id: &str) -> ThingRef {
    ThingRef::organisation(&id.parse().expect("an organisation id"))
}

/// Milestone `id` of blueprint `bp`, as the stream names it.
pub fn milestone(bp: &str, id: &str) -> ThingRef {
    ThingRef::milestone(
        &bp.parse().expect("a blueprint id"),
        &id.parse().expect("a milestone id"),
    )
}

/// A commit of `events` on `thing`, as a service would append it: for tests that write to the
/// stream behind the services' backs or feed the projector directly.
pub fn commit(thing: ThingRef, key: &str, events: &[EventBody]) -> Commit {
    let today = chrono::Utc::now().date_naive();
    Commit {
        format: FORMAT_VERSION,
        thing,
        idempotency_key: key.to_owned(),
        request_hash: None,
        actor: Actor::named("test"),
        recorded_at: chrono::Utc::now(),
        events: events
            .iter()
            .map(|e| Event::new(e, today).expect("the event encodes"))
            .collect(),
    }
}

/// `commit` as the projector receives it from the stream at `seq`.
pub fn received(seq: u64, commit: &Commit) -> Received {
    Received {
        seq,
        subject: commit.thing.subject(),
        payload: commit.encode().expect("the commit encodes").into(),
        pending: 0,
        published_unix: 0,
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
    /// The app's own temporary folder: its read models, its tokens, files the tests write.
    dir: TempDir,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Like [`TestApp::spawn`], with blueprint `bp` published as [`TestApp::given_blueprint`]
    /// records it.
    pub async fn with_blueprint(bp: &str) -> Self {
        let app = Self::spawn().await;
        app.given_blueprint(bp).await;
        app
    }

    /// Like [`TestApp::spawn`], with the demo `waymark dev` records (as of today) shown by the
    /// read models.
    pub async fn with_demo() -> Self {
        let app = Self::spawn().await;
        let client =
            cli::client::ApiClient::new(&app.base).with_token(Some(app.admin_token.clone()));
        cli::demo::record(&client, chrono::Utc::now().date_naive())
            .await
            .expect("the demo is recorded");
        app.settle().await;
        app
    }

    /// Like [`TestApp::spawn`], with the dashboard's settings changed by `configure`.
    pub async fn spawn_with(configure: fn(&mut dashboard::DashboardConfig)) -> Self {
        let nats = TestNats::start().await;
        let store = EventStore::open(&nats.config(), "test-harness")
            .await
            .expect("the harness connects");
        let dir = tempfile::tempdir().expect("temporary folder");
        let (admin_token, tokens) = TestTokens::write(&dir.path().join("tokens.json"));
        let mut app = Self {
            admin_token,
            tokens,
            nats,
            store,
            stack: None,
            base: String::new(),
            http: reqwest::Client::new(),
            configure,
            dir,
        };
        app.start_stack().await;
        app
    }

    pub fn db_path(&self) -> PathBuf {
        self.file_path("read-models.redb")
    }

    /// The path of a file `name` in the app's own temporary folder.
    pub fn file_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `content` to a file `name` in the app's own temporary folder; returns its path.
    pub fn write_file(&self, name: &str, content: &str) -> PathBuf {
        let path = self.file_path(name);
        std::fs::write(&path, content).expect("the file is written");
        path
    }

    /// Starts (or restarts) the services and the dashboard on a new port, over the same data.
    pub async fn start_stack(&mut self) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let mut config = dashboard::DashboardConfig::with_db(self.db_path());
        config.tokens_file = Some(self.file_path("tokens.json"));
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

    /// The sequence of the last commit in the stream.
    pub async fn last_seq(&self) -> u64 {
        self.stream()
            .stream_last_seq()
            .await
            .expect("the stream's last sequence")
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

    /// Waits until the projector has applied everything stored so far.
    pub async fn settle(&self) {
        self.wait_for_checkpoint(self.last_seq().await).await;
    }

    pub async fn post(&self, path: &str, body: Value) -> Answer {
        self.post_with(path, body, &[]).await
    }

    pub async fn post_with(&self, path: &str, body: Value, headers: &[(&str, &str)]) -> Answer {
        let mut request = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.admin_token)
            .json(&body);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        Self::answer(request.send().await.expect("request sent")).await
    }

    /// Posts with `token` (or none).
    pub async fn post_as(&self, token: Option<&str>, path: &str, body: Value) -> Answer {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        Self::answer(request.send().await.expect("request sent")).await
    }

    /// Posts a step of a test's setup, which must be accepted; returns its sequence.
    pub async fn record(&self, path: &str, body: Value) -> u64 {
        let answer = self.post(path, body).await;
        assert!(answer.status < 300, "setup step {path} failed: {answer:?}");
        answer.seq()
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

    /// Reads `path` once the read models show commit `seq` (read-your-writes through `min_seq`).
    pub async fn get_after(&self, seq: u64, path: &str) -> Answer {
        let join = if path.contains('?') { '&' } else { '?' };
        self.get(&format!("{path}{join}min_seq={seq}")).await
    }

    /// The history of the thing at `path`, oldest first, once the read models show commit `seq`.
    pub async fn history_after(&self, seq: u64, path: &str) -> Vec<Value> {
        let thing = self.get_after(seq, path).await;
        assert_eq!(thing.status, 200, "{thing:?}");
        thing.history().to_vec()
    }

    /// Reads with `token` (or none).
    pub async fn get_as(&self, token: Option<&str>, path: &str) -> Answer {
        let mut request = self.http.get(format!("{}{path}", self.base));
        if let Some(t) = token {
            request = request.bearer_auth(t);
        }
        Self::answer(request.send().await.expect("request sent")).await
    }

    /// A read with the admin token, answered as it came (for bodies that are not JSON).
    pub async fn get_response(&self, path: &str) -> reqwest::Response {
        self.http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.admin_token)
            .send()
            .await
            .expect("request sent")
    }

    /// Appends `commit` behind the services' backs, expecting its subject at `expected`; returns
    /// its stream sequence.
    pub async fn append(&self, commit: &Commit, expected: u64) -> u64 {
        self.store
            .append(commit, expected)
            .await
            .expect("appended")
            .seq
    }

    /// Publishes `payload` on `subject` behind the services' backs; returns its stream sequence.
    pub async fn publish_raw(&self, subject: &str, payload: &'static [u8]) -> u64 {
        publish_raw(&self.jetstream(), subject, payload).await
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.get_response(path).await;
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    }

    async fn answer(response: reqwest::Response) -> Answer {
        Answer::read(response).await
    }

    /// Registers an organisation, drafts and publishes a blueprint with one workstream and the
    /// organisation as partner, and waits until the read models show it; returns the last
    /// sequence.
    pub async fn given_blueprint(&self, bp: &str) -> u64 {
        let org = self.get("/api/v1/organisations/gds").await;
        if org.status == 404 {
            self.record("/api/v1/organisations", serde_json::json!({"id": "gds", "name": "Government Digital Service", "org_type": "central_government"}))
                .await;
        }
        self.record(
            "/api/v1/blueprints",
            serde_json::json!({
                "id": bp, "title": "West Midlands digital", "summary": "Join up teams", "lead_org": "gds",
                "start_date": "2026-01-01", "target_end_date": "2027-12-31", "funding_target": 100_000_000u64
            }),
        )
        .await;
        let at = |action: &str| format!("/api/v1/blueprints/{bp}/{action}");
        self.record(&at("add-workstream"), serde_json::json!({"workstream": "skills", "title": "Skills pipeline", "lead_org": "gds"}))
            .await;
        self.record(&at("add-partner"), serde_json::json!({"org": "gds"}))
            .await;
        let last = self.record(&at("publish"), serde_json::json!({})).await;
        // Pages and reads without min_seq see the blueprint from here on.
        self.wait_for_checkpoint(last).await;
        last
    }

    /// Starts milestone `id` of blueprint `bp`; returns the sequence of its commit.
    pub async fn start_milestone(&self, bp: &str, id: &str) -> u64 {
        let path = format!("/api/v1/blueprints/{bp}/milestones/{id}/start");
        self.record(&path, serde_json::json!({})).await
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
