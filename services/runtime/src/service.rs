//! The command-service runtime shared by every small service: a NATS service endpoint in a queue
//! group that decodes a command, loads the thing's state, asks the pure `decide`, appends the
//! resulting commit with concurrency control and replies.

use proto::commands::rules;
use std::future::Future;
use std::sync::Arc;

use async_nats::service::ServiceExt;
use chrono::{NaiveDate, Utc};
use eventstore::{
    Aggregate, AppendError, EventStore, Folded, Freshness, PastResult, Reads, StateCache,
    StoreError,
};
use futures::StreamExt;
use proto::commands::{Command, CommandEnvelope, IDEMPOTENCY_KEY_MAX, VoidRequest};
use proto::{
    Accepted, Actor, Commit, CommitVoided, Event, EventBody, FORMAT_VERSION, Rejection,
    RejectionKind, Reply,
};
use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

use crate::metrics::CommandMetrics;

/// How many times a command is decided again after losing a race on its thing.
const MAX_ATTEMPTS: usize = 5;

/// The rules of one kind of thing, plugged into the runtime.
pub trait Handler: Send + Sync + 'static {
    /// The command type; its `KIND` names the subject the service listens on.
    type Command: Command + DeserializeOwned + serde::Serialize + Send + Sync + 'static;
    /// The folded state of one thing.
    type State: Aggregate;
    /// Other things the rules look at (the blueprint, organisations, ...), loaded before deciding.
    type Context: Send + Sync;

    /// Loads the context `decide` needs for `command`, as fresh as `reads` asks. It only reads:
    /// the runtime appends.
    fn context(
        &self,
        reads: Reads<'_>,
        command: &Self::Command,
    ) -> impl Future<Output = Result<Self::Context, StoreError>> + Send;

    /// Whether `actor` may make this change; the default lets anyone the dashboard let through.
    fn authorise(
        &self,
        _actor: &Actor,
        _command: &Self::Command,
        _state: &Self::State,
    ) -> Result<(), Rejection> {
        Ok(())
    }

    /// The pure rules: the events `command` produces on `state`, or the rule it breaks.
    fn decide(
        &self,
        command: &Self::Command,
        state: &Self::State,
        context: &Self::Context,
        today: NaiveDate,
    ) -> Result<Vec<EventBody>, Rejection>;
}

/// Settings of a command service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// Service name in the NATS service API (`waymark-milestones`), also its queue group.
    pub name: String,
    /// Commands handled at once.
    pub concurrency: usize,
    /// Things whose folded state is kept in memory.
    pub cache_capacity: usize,
}

settings::section! {
    /// How much one instance of a command service takes on.
    pub struct ServiceLimits {
        /// Commands handled at once by one instance; more wait for a turn.
        #[setting(env = "WAYMARK_SERVICE_CONCURRENCY", flag = "service-concurrency")]
        pub concurrency: usize = 64,
        /// Things whose folded state one instance keeps in memory; past it, one is dropped and
        /// read again when next needed.
        #[setting(env = "WAYMARK_SERVICE_CACHE", flag = "service-cache")]
        pub cache: usize = 10_000,
    }
}

impl ServiceConfig {
    pub fn named(name: impl Into<String>, limits: &ServiceLimits) -> Self {
        Self {
            name: name.into(),
            concurrency: limits.concurrency,
            cache_capacity: limits.cache,
        }
    }
}

/// A handler that is a command service of its own, served with the default settings under its
/// name.
pub trait Service: Handler + Default {
    /// Its name in the NATS service API (`waymark-milestones`), also its queue group.
    const NAME: &'static str;
}

/// Serves `S`'s commands under its name until `shutdown` resolves: what each command service runs.
pub async fn run<S: Service>(
    store: EventStore,
    metrics: CommandMetrics,
    limits: ServiceLimits,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), StoreError> {
    serve(
        store,
        S::default(),
        ServiceConfig::named(S::NAME, &limits),
        metrics,
        shutdown,
    )
    .await
}

struct Runtime<H: Handler> {
    store: EventStore,
    handler: H,
    cache: StateCache<H::State>,
    metrics: CommandMetrics,
    name: String,
    queues: ThingQueues,
}

/// Commands on one thing, taken one at a time within this instance.
///
/// Two commands on the same thing decided at once would both start from the same version and one
/// would lose the append race, reload and decide again, and after a few rounds be refused as
/// contended although no rule refused it. Queued per thing, each command decides on the state its
/// predecessor left, so a sequence conflict can only come from another instance of the service.
/// Commands on different things still run at once. An entry lives while someone holds or waits
/// for it.
#[derive(Default)]
struct ThingQueues {
    turns: std::sync::Mutex<std::collections::HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

/// A command's turn on its thing; the next one waiting goes when this is dropped.
struct Turn<'a> {
    queues: &'a ThingQueues,
    subject: String,
    turn: Option<tokio::sync::OwnedMutexGuard<()>>,
    queue: Arc<tokio::sync::Mutex<()>>,
}

impl ThingQueues {
    async fn wait_turn(&self, subject: &str) -> Turn<'_> {
        let queue = self
            .turns
            .lock()
            .expect("thing queues lock")
            .entry(subject.to_owned())
            .or_default()
            .clone();
        let turn = queue.clone().lock_owned().await;
        Turn {
            queues: self,
            subject: subject.to_owned(),
            turn: Some(turn),
            queue,
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.turns.lock().expect("thing queues lock").len()
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        drop(self.turn.take());
        let mut turns = self.queues.turns.lock().expect("thing queues lock");
        // Two references: the map's and ours. Anyone else waiting holds a third.
        if Arc::strong_count(&self.queue) == 2 {
            turns.remove(&self.subject);
        }
    }
}

/// Serves `handler`'s commands until `shutdown` resolves. In-flight commands finish first.
pub async fn serve<H: Handler>(
    store: EventStore,
    handler: H,
    config: ServiceConfig,
    metrics: CommandMetrics,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), StoreError> {
    let subject = proto::subjects::command_subject(H::Command::KIND);
    let fail = |e: async_nats::Error| StoreError::JetStream {
        action: "start the command service",
        reason: e.to_string(),
    };
    let service = store
        .client()
        .service_builder()
        .description(format!("Waymark {} commands", H::Command::KIND.token()))
        .queue_group(&config.name)
        .start(&config.name, env!("CARGO_PKG_VERSION"))
        .await
        .map_err(fail)?;
    let endpoint = service.endpoint(&subject).await.map_err(fail)?;
    let voids = service
        .endpoint(proto::subjects::void_subject(H::Command::KIND))
        .await
        .map_err(fail)?;
    tracing::info!(service = %config.name, %subject, "command service started");

    let runtime = Arc::new(Runtime {
        store,
        handler,
        cache: StateCache::new(config.cache_capacity),
        metrics,
        name: config.name.clone(),
        queues: ThingQueues::default(),
    });
    let permits = Arc::new(Semaphore::new(config.concurrency.max(1)));
    // Commands and operators' void requests share the permits, each answered in its own task.
    let mut requests =
        futures::stream::select(endpoint.map(|r| (false, r)), voids.map(|r| (true, r)));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            request = requests.next() => {
                let Some((void, request)) = request else { break };
                let Ok(permit) = permits.clone().acquire_owned().await else { break };
                let runtime = runtime.clone();
                tokio::spawn(async move {
                    let payload = &request.message.payload;
                    let reply = if void {
                        runtime.void(payload).await
                    } else {
                        runtime.handle(payload).await
                    };
                    respond(request, &reply).await;
                    drop(permit);
                });
            }
        }
    }
    // Wait for the commands in flight.
    let _ = permits.acquire_many(config.concurrency.max(1) as u32).await;
    let _ = service.stop().await;
    tracing::info!(service = %config.name, "command service stopped");
    Ok(())
}

async fn respond(request: async_nats::service::Request, reply: &Reply) {
    let bytes = proto::encode(reply).unwrap_or_default();
    if let Err(e) = request.respond(Ok(bytes.into())).await {
        tracing::warn!(error = %e, "failed to send a reply");
    }
}

fn check_key(key: &str) -> Result<(), Rejection> {
    if key.is_empty()
        || key.len() > IDEMPOTENCY_KEY_MAX
        || !key.chars().all(|c| c.is_ascii_graphic())
    {
        return Err(rules::IDEMPOTENCY_KEY.refuse_on("idempotency_key",
            format!(
                "the idempotency key must be 1 to {IDEMPOTENCY_KEY_MAX} printable ASCII characters without spaces"
            ),
        ));
    }
    Ok(())
}

impl<H: Handler> Runtime<H> {
    async fn handle(&self, payload: &[u8]) -> Reply {
        let envelope: CommandEnvelope<H::Command> = match proto::decode(payload) {
            Ok(e) => e,
            Err(e) => {
                let rejection =
                    rules::MALFORMED.refuse(format!("the command could not be read: {e}"));
                self.count("unknown", None, &Reply::Rejected(rejection.clone()));
                return Reply::Rejected(rejection);
            }
        };
        let action = envelope.command.action_name();
        let reply = match self.execute(&envelope).await {
            Ok(accepted) => Reply::Accepted(accepted),
            Err(rejection) => Reply::Rejected(rejection),
        };
        self.count(action, Some(&envelope.command.target()), &reply);
        reply
    }

    /// The refusal for a store failure. A commit that cannot be read is permanent and named as such
    /// (an operator must void it, or deploy a version that reads it); anything else is worth a retry.
    fn failed(&self, err: StoreError) -> Rejection {
        match err {
            StoreError::Undecodable {
                subject,
                seq,
                reason,
            } => {
                tracing::error!(service = %self.name, %subject, seq, %reason,
                    "a stored commit cannot be read: the thing takes no command until an operator \
                     voids the commit (waymark quarantine void) or a version that reads it runs");
                self.metrics.unreadable.found(&self.name, &subject, seq);
                let thing = proto::subjects::thing_of_subject(&subject).map_or_else(
                    || "this thing".to_owned(),
                    |t| format!("{} {}", t.kind.token(), t.display_name()),
                );
                rules::UNREADABLE.refuse(format!(
                    "{thing} has a stored change this version of Waymark cannot read, so it takes \
                     no command until an operator repairs it; retrying will not help"
                ))
            }
            err => {
                tracing::warn!(service = %self.name, error = %err, "command could not be completed");
                rules::UNAVAILABLE.refuse(
                    "the event store could not complete the command; retry with the same idempotency key",
                )
            }
        }
    }

    /// An operator's request to void an unreadable commit on a thing of this kind.
    async fn void(&self, payload: &[u8]) -> Reply {
        let reply = match proto::decode::<VoidRequest>(payload) {
            Err(e) => Reply::Rejected(
                rules::MALFORMED.refuse(format!("the void request could not be read: {e}")),
            ),
            Ok(request) => match self.execute_void(&request).await {
                Ok(accepted) => Reply::Accepted(accepted),
                Err(rejection) => Reply::Rejected(rejection),
            },
        };
        self.count("void", None, &reply);
        reply
    }

    /// Appends [`CommitVoided`] on the thing of the commit at `request.seq`, once it is sure the
    /// commit is there, on a thing of this kind, and unreadable by this version. A second request
    /// for the same commit answers with the first record.
    async fn execute_void(&self, request: &VoidRequest) -> Result<Accepted, Rejection> {
        proto::text::reason("reason", &request.reason)?;
        let reader = self.store.reader();
        let seq = request.seq;
        let message = reader
            .message_at(seq)
            .await
            .map_err(|e| self.failed(e))?
            .ok_or_else(|| {
                rules::VOID_NO_SUCH_COMMIT.refuse_on(
                    "seq",
                    format!("the stream holds no commit at sequence {seq}"),
                )
            })?;
        let kind = H::Command::KIND;
        let thing = proto::subjects::thing_of_subject(&message.subject)
            .filter(|t| t.kind == kind)
            .ok_or_else(|| {
                rules::VOID_OTHER_KIND.refuse_on(
                    "seq",
                    format!("the commit at sequence {seq} is not on a {}", kind.token()),
                )
            })?;
        let readable = Commit::decode(&message.payload)
            .and_then(|c| c.bodies())
            .is_ok();
        let subject = thing.subject();
        let _turn = self.queues.wait_turn(&subject).await;
        // Folding stops at the unreadable commit, so read the thing's commits as they are.
        let commits = reader
            .read_since(&thing, 0)
            .await
            .map_err(|e| self.failed(e))?;
        let key = eventstore::void_key(seq);
        let mut folded = Folded::<H::State>::default();
        if folded.apply(&thing, &commits).is_ok()
            && let Some(done) = folded.results.get(&key)
        {
            return Ok(done.accepted.clone());
        }
        if readable {
            return Err(rules::VOID_READABLE.refuse_on(
                "seq",
                format!(
                    "the commit at sequence {seq} on {} {} can be read; only a commit this version \
                     cannot read may be voided",
                    thing.kind.token(),
                    thing.display_name()
                ),
            ));
        }
        let last = commits.last().map_or(0, |c| c.seq);
        let body = EventBody::from(CommitVoided {
            seq,
            reason: request.reason.trim().to_owned(),
        });
        let today = Utc::now().date_naive();
        let commit = Commit {
            format: FORMAT_VERSION,
            thing: thing.clone(),
            idempotency_key: key,
            request_hash: None,
            actor: request.actor.clone(),
            recorded_at: Utc::now(),
            events: vec![Event::new(&body, today).map_err(|e| {
                self.failed(StoreError::JetStream {
                    action: "encode events",
                    reason: e.to_string(),
                })
            })?],
        };
        let appended = match self.store.append(&commit, last).await {
            Ok(appended) => appended,
            Err(AppendError::Conflict { .. }) => {
                return Err(rules::CONTENDED.refuse(format!(
                    "{} {} changed while its commit was voided; try again",
                    thing.kind.token(),
                    thing.display_name()
                )));
            }
            Err(e) => {
                return Err(self.failed(StoreError::JetStream {
                    action: "append",
                    reason: e.to_string(),
                }));
            }
        };
        self.cache.invalidate(&subject);
        self.metrics.unreadable.folded(&subject);
        tracing::warn!(service = %self.name, command = "void",
            blueprint = thing.blueprint.as_ref().map(tracing::field::display),
            thing = %thing.display_name(), %subject, voided = seq, seq = appended.seq,
            actor = %request.actor.name, reason = %request.reason, "commit voided");
        Ok(Accepted {
            seq: appended.seq,
            version: appended.seq,
            events: vec![body.type_name().to_owned()],
            duplicate: appended.duplicate,
        })
    }

    fn count(&self, action: &str, thing: Option<&proto::ThingRef>, reply: &Reply) {
        let outcome = match reply {
            Reply::Accepted(a) if a.duplicate => "duplicate",
            Reply::Accepted(_) => "accepted",
            Reply::Rejected(r) if r.kind == RejectionKind::Unavailable => "failed",
            Reply::Rejected(_) => "rejected",
        };
        self.metrics
            .commands
            .with_label_values(&[&self.name, action, outcome])
            .inc();
        if let Reply::Rejected(r) = reply {
            self.metrics
                .rejections
                .with_label_values(&[&self.name, &r.code])
                .inc();
            tracing::info!(service = %self.name, command = action,
                blueprint = thing.and_then(|t| t.blueprint.as_ref()).map(tracing::field::display),
                thing = thing.map(|t| tracing::field::display(t.display_name())),
                code = %r.code, detail = %r.message, "command rejected");
        }
    }

    async fn execute(&self, envelope: &CommandEnvelope<H::Command>) -> Result<Accepted, Rejection> {
        check_key(&envelope.idempotency_key)?;
        let request_hash = request_hash(envelope);
        let thing = envelope.command.target();
        let subject = thing.subject();
        let today = Utc::now().date_naive();
        // A fact is recorded once it has happened: a view as of today must be able to count it.
        if let Some(on) = envelope.occurred_on
            && on > today
        {
            return Err(rules::OCCURRED_IN_FUTURE.refuse_on(
                "occurred_on",
                format!(
                    "occurred_on {on} is after today ({today}); record a fact once it has happened"
                ),
            ));
        }
        let action = envelope.command.action_name();
        let creates = proto::spec::kind(H::Command::KIND)
            .actions
            .iter()
            .any(|a| a.creates && a.name == action);
        let _turn = self.queues.wait_turn(&subject).await;
        let mut use_cache = true;
        let mut freshness = Freshness::Followed(envelope.seen);
        for _ in 0..MAX_ATTEMPTS {
            let (folded, from_cache) = if use_cache {
                match self.cache.get(&subject) {
                    Some(hit) => (hit, true),
                    // A create nearly always finds no thing, so it is decided on the empty state
                    // without asking the stream, like a cache entry that may be stale: the
                    // append's check (expected 0) or the check before a refusal finds a thing
                    // that exists after all, and the loop reads it then.
                    None if creates => (Arc::new(Folded::default()), true),
                    None => self
                        .cache
                        .load(self.store.reader(), &thing)
                        .await
                        .map_err(|e| self.failed(e))?,
                }
            } else {
                (
                    self.cache
                        .load_fresh(self.store.reader(), &thing)
                        .await
                        .map_err(|e| self.failed(e))?,
                    false,
                )
            };
            self.metrics.unreadable.folded(&subject);
            if let Some(done) = folded.results.get(&envelope.idempotency_key) {
                return answer_repeat(done, &request_hash);
            }
            if let Some(expected) = envelope.expected_version
                && expected != folded.version
            {
                if from_cache {
                    use_cache = false;
                    continue;
                }
                return Err(rules::STALE_VERSION.refuse(format!(
                    "{} {} is at version {}, not {expected}: read it again before changing it",
                    thing.kind.token(),
                    thing.display_name(),
                    folded.version
                )));
            }
            self.handler
                .authorise(&envelope.actor, &envelope.command, &folded.state)?;
            let reads = Reads {
                reader: self.store.reader(),
                freshness,
            };
            let context = self
                .handler
                .context(reads, &envelope.command)
                .await
                .map_err(|e| self.failed(e))?;
            let bodies =
                match self
                    .handler
                    .decide(&envelope.command, &folded.state, &context, today)
                {
                    Ok(bodies) => bodies,
                    // A rejection must rest on the thing's current state and on the other things'
                    // as the stream has them now, not on a stale cache entry or a followed state
                    // that has not yet received their last change.
                    Err(rejection) => {
                        let stale_state = from_cache
                            && self
                                .store
                                .reader()
                                .last_seq(&thing)
                                .await
                                .map_err(|e| self.failed(e))?
                                != folded.version;
                        let followed = freshness != Freshness::Latest;
                        if !stale_state && !followed {
                            return Err(rejection);
                        }
                        use_cache &= !stale_state;
                        freshness = Freshness::Latest;
                        continue;
                    }
                };
            let occurred_on = envelope.occurred_on.unwrap_or(today);
            let events = bodies
                .iter()
                .map(|b| Event::new(b, occurred_on))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    self.failed(StoreError::JetStream {
                        action: "encode events",
                        reason: e.to_string(),
                    })
                })?;
            let commit = Commit {
                format: FORMAT_VERSION,
                thing: thing.clone(),
                idempotency_key: envelope.idempotency_key.clone(),
                request_hash: Some(request_hash.clone()),
                actor: envelope.actor.clone(),
                recorded_at: Utc::now(),
                events,
            };
            let timer = self
                .metrics
                .append_seconds
                .with_label_values(&[&self.name])
                .start_timer();
            let appended = self.store.append(&commit, folded.version).await;
            timer.observe_duration();
            match appended {
                Ok(appended) if appended.duplicate => {
                    // Stored earlier by a copy of this service whose result we have not seen.
                    self.cache.invalidate(&subject);
                    let fresh = self
                        .cache
                        .load_fresh(self.store.reader(), &thing)
                        .await
                        .map_err(|e| self.failed(e))?;
                    let done = fresh
                        .results
                        .get(&envelope.idempotency_key)
                        .ok_or_else(|| {
                            self.failed(StoreError::JetStream {
                                action: "find the earlier result",
                                reason: "not on the thing's subject".into(),
                            })
                        })?;
                    return answer_repeat(done, &request_hash);
                }
                Ok(appended) => {
                    self.metrics
                        .commits_appended
                        .with_label_values(&[&self.name])
                        .inc();
                    // Within the thing's turn nobody else holds its state: taken out of the
                    // cache, it is changed in place instead of copied, so the cost of an
                    // accepted command does not grow with the thing's history.
                    self.cache.invalidate(&subject);
                    let mut next: Folded<H::State> =
                        Arc::try_unwrap(folded).unwrap_or_else(|shared| (*shared).clone());
                    next.record(
                        appended.seq,
                        &envelope.idempotency_key,
                        Some(request_hash.clone()),
                        &bodies,
                    );
                    self.cache.put(subject.clone(), Arc::new(next));
                    tracing::info!(service = %self.name, command = envelope.command.action_name(),
                        blueprint = thing.blueprint.as_ref().map(tracing::field::display),
                        thing = %thing.display_name(), seq = appended.seq, events = bodies.len(),
                        "commit appended");
                    return Ok(Accepted {
                        seq: appended.seq,
                        version: appended.seq,
                        events: bodies.iter().map(|b| b.type_name().to_owned()).collect(),
                        duplicate: false,
                    });
                }
                Err(AppendError::Conflict { .. }) => {
                    self.metrics
                        .sequence_conflicts
                        .with_label_values(&[&self.name])
                        .inc();
                    // The cached state is still true up to its version: reading again reads only
                    // the commits after it, never the whole history.
                    use_cache = false;
                }
                Err(AppendError::TooLarge) => {
                    return Err(rules::TOO_LARGE
                        .refuse("the command carries more text than can be stored; shorten it"));
                }
                Err(e) => {
                    self.cache.invalidate(&subject);
                    return Err(self.failed(StoreError::JetStream {
                        action: "append",
                        reason: e.to_string(),
                    }));
                }
            }
        }
        Err(rules::CONTENDED.refuse(format!(
            "{} {} kept changing while this command was decided; try again",
            thing.kind.token(),
            thing.display_name()
        )))
    }
}

/// A digest of what a command asks for (the command and the date it happened), in hex.
fn request_hash<C: serde::Serialize>(envelope: &CommandEnvelope<C>) -> String {
    use sha2::{Digest, Sha256};
    let bytes = proto::encode(&(&envelope.command, envelope.occurred_on)).unwrap_or_default();
    Sha256::digest(&bytes)
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The answer to a command whose idempotency key was used before: the original result when it is
/// the same command, a rejection when the key was reused for a different one.
fn answer_repeat(done: &PastResult, request_hash: &str) -> Result<Accepted, Rejection> {
    match &done.request_hash {
        Some(stored) if stored != request_hash => Err(rules::IDEMPOTENCY_KEY_REUSED.refuse_on("idempotency_key",
            format!(
                "this idempotency key was used for a different command (stored at commit {}); use a new key for a new command",
                done.accepted.seq
            ),
        )),
        _ => Ok(done.accepted.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::ThingQueues;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn commands_on_one_thing_take_turns_and_the_queue_is_forgotten_after() {
        let queues = Arc::new(ThingQueues::default());
        let inside = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let tasks = (0..16).map(|_| {
            let (queues, inside, most) = (queues.clone(), inside.clone(), most.clone());
            tokio::spawn(async move {
                let _turn = queues.wait_turn("waymark.evt.wm.milestone.academy").await;
                let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(2)).await;
                inside.fetch_sub(1, Ordering::SeqCst);
            })
        });
        for task in tasks.collect::<Vec<_>>() {
            task.await.unwrap();
        }
        assert_eq!(most.load(Ordering::SeqCst), 1, "one command at a time");
        assert_eq!(
            queues.len(),
            0,
            "no queue is kept for a thing nobody waits on"
        );
    }

    #[tokio::test]
    async fn commands_on_different_things_run_at_once() {
        let queues = ThingQueues::default();
        let _a = queues.wait_turn("waymark.evt.wm.milestone.a").await;
        let b = tokio::time::timeout(
            Duration::from_secs(5),
            queues.wait_turn("waymark.evt.wm.milestone.b"),
        )
        .await;
        assert!(b.is_ok(), "another thing's command does not wait");
        assert_eq!(queues.len(), 2);
    }
}
