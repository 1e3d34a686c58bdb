//! Waymark under load: commands over NATS to the milestones service and over HTTP through the
//! dashboard, and the raw JetStream publishing they are measured against.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use eventstore::{CommandSender, EventStore};
use futures::StreamExt;
use futures::stream::FuturesUnordered;
use proto::{MilestoneAction, MilestoneCommand, Reply, ThingKind};
use serde_json::json;
use tests::TestApp;

use crate::load::{Outcome, Step, closed_loop};

/// What [`Waymark::nats`] gives for a command its service did not answer in time.
pub const UNANSWERED: &str = "unanswered";

/// The blueprint every command figure records into.
pub const BLUEPRINT: &str = "bench";

fn due() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 6, 30).expect("date")
}

/// The action of `step` on a milestone; `n` varies what is recorded.
pub fn action(step: Step, n: u64) -> MilestoneAction {
    match step {
        Step::Create => MilestoneAction::Plan {
            workstream: "skills".parse().expect("slug"),
            title: "Apprenticeship scheme launched".into(),
            owner: "gds".parse().expect("slug"),
            depends_on: Vec::new(),
            due: due(),
        },
        Step::Progress => MilestoneAction::ReportProgress {
            percent: (n % 100) as u32,
            note: "Fortnightly report".into(),
        },
        Step::Replan => MilestoneAction::Replan {
            to: due()
                .checked_add_days(Days::new(1 + n % 300))
                .expect("date"),
            reason: "Supplier delay".into(),
        },
    }
}

/// The same action as the JSON API takes it: its path below the blueprint and its body.
pub fn http_action(step: Step, milestone: &str, n: u64) -> (String, serde_json::Value) {
    let at = format!("/api/v1/blueprints/{BLUEPRINT}/milestones");
    match action(step, n) {
        MilestoneAction::Plan { title, due, .. } => (
            at,
            json!({"id": milestone, "workstream": "skills", "title": title, "owner": "gds", "due": due}),
        ),
        MilestoneAction::ReportProgress { percent, note } => (
            format!("{at}/{milestone}/report-progress"),
            json!({"percent": percent, "note": note}),
        ),
        MilestoneAction::Replan { to, reason } => (
            format!("{at}/{milestone}/replan"),
            json!({"to": to, "reason": reason}),
        ),
        other => unreachable!("not a benchmark step: {other:?}"),
    }
}

/// Waymark running in this process against its own nats-server, with the demo and the blueprint
/// the command figures record into, and clients of its NATS and HTTP faces.
pub struct Waymark {
    pub app: TestApp,
    senders: Vec<CommandSender>,
    keys: AtomicU64,
}

impl Waymark {
    pub async fn start() -> Arc<Self> {
        // The demo first (it registers the organisations), then the blueprint of the commands.
        let app = TestApp::with_demo().await;
        app.given_blueprint(BLUEPRINT).await;
        let mut senders = Vec::new();
        // A few connections, as many clients would have: one socket does not carry them all.
        for i in 0..4 {
            let store = EventStore::open(&app.nats.config(), &format!("bench-client-{i}"))
                .await
                .expect("client connects");
            senders.push(CommandSender::new(store.reader(), Duration::from_secs(30)));
        }
        Arc::new(Self {
            app,
            senders,
            keys: AtomicU64::new(0),
        })
    }

    /// Sends one command on milestone `id` over NATS, from client `client`; its refusal code if it
    /// was refused.
    pub async fn nats(
        &self,
        client: usize,
        id: &str,
        action: MilestoneAction,
    ) -> Result<u64, String> {
        self.nats_in(client, BLUEPRINT, id, action).await
    }

    /// [`Waymark::nats`] on a milestone of blueprint `bp`.
    pub async fn nats_in(
        &self,
        client: usize,
        bp: &str,
        id: &str,
        action: MilestoneAction,
    ) -> Result<u64, String> {
        let key = format!("bench-{}", self.keys.fetch_add(1, Ordering::Relaxed));
        let mut envelope = tests::envelope(
            key,
            MilestoneCommand {
                blueprint: bp.parse().expect("slug"),
                milestone: id.parse().expect("slug"),
                action,
            },
        );
        let sender = &self.senders[client % self.senders.len()];
        match sender.send(ThingKind::Milestone, &mut envelope).await {
            Ok(Reply::Accepted(a)) => Ok(a.seq),
            Ok(Reply::Rejected(r)) => Err(r.code),
            // Counted where a figure paces its load, instead of stopping the run.
            Err(eventstore::SendError::TimedOut) => Err(UNANSWERED.to_owned()),
            Err(e) => panic!("a command could not be sent: {e}"),
        }
    }

    /// Starts another copy of the milestones service in the queue group, on a connection of its
    /// own as a second process would have; it serves until the copy is dropped.
    pub async fn milestones_copy(&self) -> ServiceCopy {
        let store = EventStore::open(&self.app.nats.config(), "bench-milestones-copy")
            .await
            .expect("the copy connects");
        let metrics = service_runtime::CommandMetrics::register(&prometheus::Registry::new())
            .expect("metrics");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let shutdown = async {
                let _ = stopped.await;
            };
            service_runtime::run::<milestones::MilestoneHandler>(
                store,
                metrics,
                service_runtime::ServiceLimits::default(),
                shutdown,
            )
            .await
            .expect("the copy serves");
        });
        // The copy takes commands once it answers pings beside the first.
        let client = self.app.store.client();
        for _ in 0..100 {
            if copies_answering(client, "waymark-milestones").await >= 2 {
                return ServiceCopy { stop, task };
            }
        }
        panic!("the second copy of the milestones service never answered a ping")
    }

    /// Sends one command on milestone `id` through the JSON API.
    pub async fn http(&self, id: &str, step: Step, n: u64) -> Result<u64, String> {
        let (path, body) = http_action(step, id, n);
        let answer = self.app.post(&path, body).await;
        if answer.status == 200 || answer.status == 201 {
            Ok(answer.seq())
        } else {
            Err(answer.body["code"].as_str().unwrap_or("unknown").to_owned())
        }
    }

    /// Plans milestone `id` and gives it `commits - 1` progress reports, as fast as one client
    /// can.
    pub async fn milestone_with_history(&self, id: &str, commits: u64) {
        self.nats(0, id, action(Step::Create, 0))
            .await
            .expect("planned");
        let mut pending = FuturesUnordered::new();
        let mut sent = 1;
        // Commands on one thing are taken one at a time by its service; a few in flight keep it busy.
        while sent < commits || !pending.is_empty() {
            while sent < commits && pending.len() < 8 {
                pending.push(self.nats(0, id, action(Step::Progress, sent)));
                sent += 1;
            }
            if let Some(r) = pending.next().await {
                r.expect("progress accepted");
            }
        }
    }
}

/// Which face of Waymark a command goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Door {
    /// A NATS request to the service that owns the command.
    Nats,
    /// The dashboard's JSON API.
    Http,
}

impl Waymark {
    /// Sends the `n`-th operation `step` on milestone `id` through `door`, from client `client`.
    pub async fn send(
        &self,
        door: Door,
        client: usize,
        id: &str,
        step: Step,
        n: u64,
    ) -> Result<(), String> {
        match door {
            Door::Nats => self.nats(client, id, action(step, n)).await.map(|_| ()),
            Door::Http => self.http(id, step, n).await.map(|_| ()),
        }
    }
}

/// Each client creates a new milestone, changes it twice and goes on to the next.
pub async fn shape(
    w: &Arc<Waymark>,
    door: Door,
    run: &str,
    clients: usize,
    d: Duration,
) -> Outcome {
    let (w, run) = (w.clone(), run.to_owned());
    closed_loop(clients, d, move |c, n| {
        let (w, run) = (w.clone(), run.clone());
        async move {
            let (thing, step) = Step::of(n);
            w.send(door, c, &format!("{run}-c{c}-{thing}"), step, n)
                .await
        }
    })
    .await
}

/// Client `c` reports progress on milestone `ids[c % ids.len()]`: one thing for all of them, or
/// one each, the same things run after run, so that their histories grow.
pub async fn on_things(
    w: &Arc<Waymark>,
    door: Door,
    ids: Arc<Vec<String>>,
    clients: usize,
    d: Duration,
) -> Outcome {
    let w = w.clone();
    closed_loop(clients, d, move |c, n| {
        let (w, ids) = (w.clone(), ids.clone());
        async move {
            w.send(
                door,
                c,
                &ids[c % ids.len()],
                Step::Progress,
                n * 64 + c as u64,
            )
            .await
        }
    })
    .await
}

/// Raw JetStream publishing of Waymark's commit bytes with the headers an append carries, on a
/// nats-server of its own with the same stream: the ceiling of the command path. Beside it, the
/// same publish behind a bare NATS service: the path of a command with nothing of Waymark's in it.
pub struct Raw {
    _nats: tests::TestNats,
    js: async_nats::jetstream::Context,
    payload: bytes::Bytes,
    next: AtomicU64,
    /// The connection the bare service's clients share.
    bare_client: async_nats::Client,
    _bare_service: tokio::task::JoinHandle<()>,
}

/// The subject the bare service answers on.
const BARE: &str = "bench.bare";

impl Raw {
    pub async fn start() -> Arc<Self> {
        let nats = tests::TestNats::start().await;
        let store = EventStore::open(&nats.config(), "bench-raw")
            .await
            .expect("raw connects");
        let js = async_nats::jetstream::new(store.client().clone());
        let progress = proto::MilestoneProgressReported {
            percent: 50,
            note: "Fortnightly report".into(),
        };
        let commit = tests::commit(
            tests::milestone(BLUEPRINT, "raw"),
            "bench-000000",
            &[progress.into()],
        );
        let payload = commit.encode().expect("encodes").into();
        let service = EventStore::open(&nats.config(), "bench-bare")
            .await
            .expect("the bare service connects");
        Arc::new(Self {
            _nats: nats,
            js,
            payload,
            next: AtomicU64::new(0),
            bare_client: store.client().clone(),
            _bare_service: tokio::spawn(bare_service(service)),
        })
    }

    /// A publish on a new subject, expecting it empty, as the first commit of a thing is.
    async fn publish(&self) -> async_nats::jetstream::context::PublishAckFuture {
        let (subject, headers) = first_commit("raw", self.next.fetch_add(1, Ordering::Relaxed));
        self.js
            .publish_with_headers(subject, headers, self.payload.clone())
            .await
            .expect("published")
    }

    /// `clients` publishers, each awaiting every acknowledgement.
    pub async fn awaited(self: &Arc<Self>, clients: usize, d: Duration) -> Outcome {
        let raw = self.clone();
        closed_loop(clients, d, move |_, _| {
            let raw = raw.clone();
            async move {
                raw.publish().await.await.expect("acknowledged");
                Ok(())
            }
        })
        .await
    }

    /// `clients` clients of the bare service, each awaiting every answer.
    pub async fn bare(self: &Arc<Self>, clients: usize, d: Duration) -> Outcome {
        let raw = self.clone();
        closed_loop(clients, d, move |_, _| {
            let raw = raw.clone();
            async move {
                let answer = raw
                    .bare_client
                    .request(BARE, raw.payload.clone())
                    .await
                    .map_err(|e| e.to_string())?;
                match &answer.payload[..] {
                    b"stored" => Ok(()),
                    _ => Err("not stored".to_owned()),
                }
            }
        })
        .await
    }

    /// One publisher keeping `window` acknowledgements outstanding.
    pub async fn pipelined(&self, window: usize, d: Duration) -> Outcome {
        let start = Instant::now();
        let mut pending = FuturesUnordered::new();
        let mut done = 0u64;
        while start.elapsed() < d {
            while pending.len() < window {
                pending.push(std::future::IntoFuture::into_future(self.publish().await));
            }
            if let Some(ack) = pending.next().await {
                ack.expect("acknowledged");
                done += 1;
            }
        }
        while let Some(ack) = pending.next().await {
            ack.expect("acknowledged");
        }
        Outcome {
            done,
            elapsed: start.elapsed(),
            ..Outcome::default()
        }
    }
}

/// The subject of the `n`th new thing named after `prefix`, and the headers of the append of its
/// first commit.
fn first_commit(prefix: &str, n: u64) -> (String, async_nats::HeaderMap) {
    let subject = format!("waymark.evt.{BLUEPRINT}.milestone.{prefix}-{n}");
    let headers = eventstore::store::append_headers(&subject, &format!("{prefix}-{n}"), 0);
    (subject, headers)
}

/// A NATS service in a queue group that, for each request, publishes its payload as a new
/// thing's first commit with an append's headers, awaits the acknowledgement in a task of its own
/// and replies: no decoding, state, rules or metrics.
async fn bare_service(store: EventStore) {
    let client = store.client().clone();
    let js = async_nats::jetstream::new(client.clone());
    let mut requests = client
        .queue_subscribe(BARE, BARE.to_owned())
        .await
        .expect("the bare service subscribes");
    let mut n = 0u64;
    while let Some(request) = requests.next().await {
        n += 1;
        let (client, js) = (client.clone(), js.clone());
        tokio::spawn(async move {
            let (subject, headers) = first_commit("bare", n);
            let stored = match js
                .publish_with_headers(subject, headers, request.payload)
                .await
            {
                Ok(ack) => ack.await.is_ok(),
                Err(_) => false,
            };
            if let Some(reply) = request.reply {
                let answer = if stored { "stored" } else { "failed" };
                let _ = client.publish(reply, answer.into()).await;
            }
        });
    }
}

/// How many copies of service `name` answer one ping within 100 ms.
async fn copies_answering(client: &async_nats::Client, name: &str) -> usize {
    let inbox = client.new_inbox();
    let mut replies = client.subscribe(inbox.clone()).await.expect("subscribes");
    client
        .publish_with_reply(format!("$SRV.PING.{name}"), inbox, bytes::Bytes::new())
        .await
        .expect("pings");
    let mut ids = std::collections::HashSet::new();
    let until = tokio::time::Instant::now() + Duration::from_millis(100);
    while let Ok(Some(reply)) = tokio::time::timeout_at(until, replies.next()).await {
        if let Ok(ping) = serde_json::from_slice::<serde_json::Value>(&reply.payload) {
            ids.insert(ping["id"].to_string());
        }
    }
    ids.len()
}

/// A copy of a command service started by [`Waymark::milestones_copy`].
pub struct ServiceCopy {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl ServiceCopy {
    /// Stops the copy once the commands it holds are answered.
    pub async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}
