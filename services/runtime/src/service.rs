//! The command-service runtime shared by every small service: a NATS service endpoint in a queue
//! group that decodes a command, loads the thing's state, asks the pure `decide`, appends the
//! resulting commit with concurrency control and replies.

use proto::commands::rules;
use std::future::Future;
use std::sync::Arc;

use async_nats::service::ServiceExt;
use chrono::{NaiveDate, Utc};
use eventstore::{
    Aggregate, AppendError, EventStore, Folded, PastResult, StateCache, StoreError, StreamReader,
};
use futures::StreamExt;
use proto::commands::{Command, CommandEnvelope, IDEMPOTENCY_KEY_MAX};
use proto::{
    Accepted, Actor, Commit, Event, EventBody, FORMAT_VERSION, Rejection, RejectionKind, Reply,
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

    /// Loads the context `decide` needs for `command`. It only reads: the runtime appends.
    fn context(
        &self,
        reader: &StreamReader,
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

impl ServiceConfig {
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            concurrency: 64,
            cache_capacity: 10_000,
        }
    }
}

struct Runtime<H: Handler> {
    store: EventStore,
    handler: H,
    cache: StateCache<H::State>,
    metrics: CommandMetrics,
    name: String,
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
    let mut endpoint = service.endpoint(&subject).await.map_err(fail)?;
    tracing::info!(service = %config.name, %subject, "command service started");

    let runtime = Arc::new(Runtime {
        store,
        handler,
        cache: StateCache::new(config.cache_capacity),
        metrics,
        name: config.name.clone(),
    });
    let permits = Arc::new(Semaphore::new(config.concurrency.max(1)));
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            request = endpoint.next() => {
                let Some(request) = request else { break };
                let Ok(permit) = permits.clone().acquire_owned().await else { break };
                let runtime = runtime.clone();
                tokio::spawn(async move {
                    let reply = runtime.handle(&request.message.payload).await;
                    let bytes = proto::encode(&reply).unwrap_or_default();
                    if let Err(e) = request.respond(Ok(bytes.into())).await {
                        tracing::warn!(error = %e, "failed to send a reply");
                    }
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
                self.count("unknown", &Reply::Rejected(rejection.clone()));
                return Reply::Rejected(rejection);
            }
        };
        let action = envelope.command.action_name();
        let reply = match self.execute(&envelope).await {
            Ok(accepted) => Reply::Accepted(accepted),
            Err(rejection) => Reply::Rejected(rejection),
        };
        self.count(action, &reply);
        reply
    }

    fn count(&self, action: &str, reply: &Reply) {
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
            tracing::info!(service = %self.name, action, code = %r.code, message = %r.message, "command rejected");
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
        let mut use_cache = true;
        for _ in 0..MAX_ATTEMPTS {
            let (folded, from_cache) = if use_cache {
                self.cache
                    .load(self.store.reader(), &thing)
                    .await
                    .map_err(unavailable)?
            } else {
                (
                    self.cache
                        .load_fresh(self.store.reader(), &thing)
                        .await
                        .map_err(unavailable)?,
                    false,
                )
            };
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
            let context = self
                .handler
                .context(self.store.reader(), &envelope.command)
                .await
                .map_err(unavailable)?;
            let bodies =
                match self
                    .handler
                    .decide(&envelope.command, &folded.state, &context, today)
                {
                    Ok(bodies) => bodies,
                    // A rejection must rest on the thing's current state, not on a stale cache entry.
                    Err(_)
                        if from_cache
                            && self
                                .store
                                .reader()
                                .last_seq(&thing)
                                .await
                                .map_err(unavailable)?
                                != folded.version =>
                    {
                        use_cache = false;
                        continue;
                    }
                    Err(rejection) => return Err(rejection),
                };
            let occurred_on = envelope.occurred_on.unwrap_or(today);
            let events = bodies
                .iter()
                .map(|b| Event::new(b, occurred_on))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| {
                    unavailable(StoreError::JetStream {
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
                        .map_err(unavailable)?;
                    let done = fresh
                        .results
                        .get(&envelope.idempotency_key)
                        .ok_or_else(|| {
                            unavailable(StoreError::JetStream {
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
                    let mut next: Folded<H::State> = (*folded).clone();
                    next.record(
                        appended.seq,
                        &envelope.idempotency_key,
                        Some(request_hash.clone()),
                        &bodies,
                    );
                    self.cache.put(subject.clone(), Arc::new(next));
                    tracing::info!(service = %self.name, thing = %thing.display_name(), seq = appended.seq, events = bodies.len(), "commit appended");
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
                    self.cache.invalidate(&subject);
                    use_cache = false;
                }
                Err(AppendError::TooLarge) => {
                    return Err(rules::TOO_LARGE
                        .refuse("the command carries more text than can be stored; shorten it"));
                }
                Err(e) => {
                    self.cache.invalidate(&subject);
                    return Err(unavailable(StoreError::JetStream {
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

fn unavailable(err: StoreError) -> Rejection {
    tracing::warn!(error = %err, "command could not be completed");
    rules::UNAVAILABLE.refuse(
        "the event store could not complete the command; retry with the same idempotency key",
    )
}
