//! The event stream: connecting, creating or verifying `WAYMARK_EVENTS`, and appending a commit
//! with `Nats-Msg-Id` and `Nats-Expected-Last-Subject-Sequence`. Reading is [`crate::reader`]'s.

use std::time::Duration;

use async_nats::jetstream::{self, stream};
use proto::Commit;
use proto::subjects::{EVENTS_WILDCARD, STREAM};

use crate::config::NatsConfig;
use crate::reader::StreamReader;

/// Oldest server on which the per-subject sequence check is safe on a replicated stream.
const MIN_VERSION_FOR_REPLICATED: (u64, u64, u64) = (2, 9, 21);

/// Failures of the store that are not about one append.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// NATS could not be reached: check the URL and that the server runs.
    #[error("failed to connect to NATS at {url}: {reason}")]
    Connect { url: String, reason: String },
    /// The stream exists with settings Waymark cannot work with; an operator must fix it.
    #[error("stream {STREAM} is misconfigured: {0}")]
    Misconfigured(String),
    /// The server cannot guard the stream as configured.
    #[error("nats-server {version} cannot be used: {reason}")]
    UnsupportedServer { version: String, reason: String },
    /// A JetStream request failed or timed out; retrying may help.
    #[error("failed to {action}: {reason}")]
    JetStream {
        action: &'static str,
        reason: String,
    },
    /// A stored commit could not be read by this version of Waymark.
    #[error("failed to read commit {seq} on {subject}: {reason}")]
    Undecodable {
        subject: String,
        seq: u64,
        reason: String,
    },
}

impl StoreError {
    pub(crate) fn js(action: &'static str, err: impl std::fmt::Display) -> Self {
        StoreError::JetStream {
            action,
            reason: err.to_string(),
        }
    }
}

/// A JetStream result whose error becomes a [`StoreError::JetStream`] naming what was being done.
pub(crate) trait OrJetStream<T> {
    fn or_js(self, action: &'static str) -> Result<T, StoreError>;
}

impl<T, E: std::fmt::Display> OrJetStream<T> for Result<T, E> {
    fn or_js(self, action: &'static str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::js(action, e))
    }
}

/// Why an append did not store the commit.
#[derive(Debug, thiserror::Error)]
pub enum AppendError {
    /// Another commit landed on the subject since `expected`: reload, decide again.
    #[error("the thing changed since version {expected}")]
    Conflict { expected: u64 },
    /// The commit is larger than the server accepts: the command carried too much text.
    #[error("the commit is too large for the server")]
    TooLarge,
    /// Encoding failed: a bug, never a user error.
    #[error("failed to encode the commit: {0}")]
    Encode(#[from] proto::CodecError),
    /// The server did not acknowledge; the commit may or may not be stored, so retry with the same
    /// message id (the server drops the repeat).
    #[error("failed to append: {0}")]
    Failed(String),
}

/// A commit that was stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    pub seq: u64,
    /// The server had already stored a commit with this message id.
    pub duplicate: bool,
}

/// Connects to NATS as `config` says, counting every (re)connection in `connections`.
async fn connect(
    config: &NatsConfig,
    name: &str,
    connections: tokio::sync::watch::Sender<u64>,
) -> Result<async_nats::Client, StoreError> {
    let fail = |reason: String| StoreError::Connect {
        url: config.url.clone(),
        reason,
    };
    let mut options = async_nats::ConnectOptions::new()
        .name(name)
        .connection_timeout(config.connect_timeout())
        .request_timeout(Some(config.request_timeout()))
        .retry_on_initial_connect()
        .event_callback(move |event| {
            let connections = connections.clone();
            async move {
                match event {
                    async_nats::Event::Connected => {
                        connections.send_modify(|n| *n += 1);
                        tracing::info!("connected to NATS");
                    }
                    async_nats::Event::Disconnected => tracing::warn!("disconnected from NATS"),
                    other => tracing::debug!(event = %other, "NATS event"),
                }
            }
        })
        .max_reconnects(None);
    if let Some(path) = &config.credentials_file {
        options = options.credentials_file(path).await.map_err(|e| {
            fail(format!(
                "failed to read credentials file {}: {e}",
                path.display()
            ))
        })?;
    }
    match (&config.user, &config.password) {
        (Some(user), Some(password)) => {
            options = options.user_and_password(user.clone(), password.expose().to_owned());
        }
        (Some(user), None) => {
            return Err(fail(format!(
                "NATS user {user} has no password: set WAYMARK_NATS_PASSWORD (or nats.password)"
            )));
        }
        _ => {}
    }
    let addrs = crate::config::server_urls(&config.url)
        .iter()
        .map(|u| u.parse::<async_nats::ServerAddr>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(format!("invalid server URL: {e}")))?;
    // With retry_on_initial_connect the future returns at once; wait for the first connection
    // within the configured time so that a wrong URL is an error, not a silent hang.
    let client = options
        .connect(addrs)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let deadline = tokio::time::Instant::now() + config.connect_timeout();
    while client.connection_state() != async_nats::connection::State::Connected {
        if tokio::time::Instant::now() >= deadline {
            return Err(fail(format!(
                "no connection within {} ms",
                config.connect_timeout_ms
            )));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(client)
}

fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let core = v.trim_start_matches('v').split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    Some((
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    ))
}

/// The event store with the right to append: what a command service holds. Readers that must
/// never append (the dashboard, its projector) hold a [`StreamReader`] instead, which
/// [`EventStore::reader`] hands out on the same connection.
#[derive(Clone)]
pub struct EventStore {
    reader: StreamReader,
    /// What appends publish with; only the store has it.
    js: jetstream::Context,
}

impl EventStore {
    /// Connects and creates (or verifies) the event stream.
    pub async fn open(config: &NatsConfig, name: &str) -> Result<Self, StoreError> {
        let (reader, js) = open_stream(config, name).await?;
        Ok(Self { reader, js })
    }

    /// Reads of the stream, on this store's connection.
    pub fn reader(&self) -> &StreamReader {
        &self.reader
    }

    /// The NATS connection, for the command services' own endpoints.
    pub fn client(&self) -> &async_nats::Client {
        &self.reader.client
    }

    /// Appends `commit` as one message on its thing's subject, only if the last commit on that
    /// subject is still `expected` (0: the thing has no commits yet).
    pub async fn append(&self, commit: &Commit, expected: u64) -> Result<Appended, AppendError> {
        let subject = commit.thing.subject();
        let payload = commit.encode()?;
        let headers = append_headers(&subject, &commit.idempotency_key, expected);
        let ack = self
            .js
            .publish_with_headers(subject, headers, payload.into())
            .await
            .map_err(|e| classify_publish(e, expected))?
            .await
            .map_err(|e| classify_publish(e, expected))?;
        Ok(Appended {
            seq: ack.sequence,
            duplicate: ack.duplicate,
        })
    }
}

/// Connects, checks that the server can guard the stream as configured, and creates (or
/// verifies) the event stream; returns its reader and the JetStream context appends publish with.
pub(crate) async fn open_stream(
    config: &NatsConfig,
    name: &str,
) -> Result<(StreamReader, jetstream::Context), StoreError> {
    let (connections, reconnects) = tokio::sync::watch::channel(0);
    let client = connect(config, name, connections).await?;
    let version = client.server_info().version;
    if config.replicas > 1 {
        let ok = parse_version(&version).is_some_and(|v| v >= MIN_VERSION_FOR_REPLICATED);
        if !ok {
            return Err(StoreError::UnsupportedServer {
                version,
                reason: "a replicated stream needs nats-server 2.9.21 or later, where racing \
                         writers cannot both pass the per-subject sequence check"
                    .into(),
            });
        }
    }
    let js = jetstream::ContextBuilder::new()
        .timeout(config.request_timeout())
        .build(client.clone());
    let stream = ensure_stream(&js, config).await?;
    let reader = StreamReader {
        client,
        stream,
        request_timeout: config.request_timeout(),
        reconnects,
    };
    Ok((reader, js))
}

/// The headers an append publishes with: the dedup id of the command on its thing, and the
/// sequence the thing's subject must still be at.
pub fn append_headers(subject: &str, key: &str, expected: u64) -> async_nats::HeaderMap {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert(
        async_nats::header::NATS_MESSAGE_ID,
        message_id(subject, key).as_str(),
    );
    headers.insert(
        async_nats::header::NATS_EXPECTED_LAST_SUBJECT_SEQUENCE,
        expected.to_string().as_str(),
    );
    headers
}

/// The dedup id of a command on a thing: the same key on another thing is another command.
fn message_id(subject: &str, key: &str) -> String {
    format!("{subject}#{key}")
}

fn classify_publish(err: jetstream::context::PublishError, expected: u64) -> AppendError {
    use jetstream::context::PublishErrorKind as K;
    // A clustered stream on a current server answers a lost race with the constant form of the
    // error (10164, "wrong last sequence"), which the client reports as `Other`.
    let code = std::error::Error::source(&err)
        .and_then(|s| s.downcast_ref::<jetstream::Error>())
        .map(jetstream::Error::error_code);
    match err.kind() {
        K::WrongLastSequence => AppendError::Conflict { expected },
        K::Other if code == Some(jetstream::ErrorCode::STREAM_WRONG_LAST_SEQUENCE_CONSTANT) => {
            AppendError::Conflict { expected }
        }
        K::MaxPayloadExceeded => AppendError::TooLarge,
        _ => AppendError::Failed(err.to_string()),
    }
}

fn wanted_config(config: &NatsConfig) -> stream::Config {
    stream::Config {
        name: STREAM.to_owned(),
        description: Some("Waymark events: every fact ever recorded, kept forever".to_owned()),
        subjects: vec![EVENTS_WILDCARD.to_owned()],
        storage: stream::StorageType::File,
        retention: stream::RetentionPolicy::Limits,
        // No limits are set, so nothing is ever discarded; should an operator add one, new
        // writes fail loudly instead of old events vanishing.
        discard: stream::DiscardPolicy::New,
        max_age: Duration::ZERO,
        max_messages: -1,
        max_bytes: -1,
        num_replicas: config.replicas,
        duplicate_window: config.duplicate_window(),
        deny_delete: true,
        deny_purge: true,
        allow_direct: true,
        ..Default::default()
    }
}

async fn ensure_stream(
    js: &jetstream::Context,
    config: &NatsConfig,
) -> Result<stream::Stream, StoreError> {
    let wanted = wanted_config(config);
    let mut stream = js
        .get_or_create_stream(wanted.clone())
        .await
        .or_js("create or open the event stream")?;
    let info = stream.info().await.or_js("read stream info")?;
    let have = &info.config;
    let problems = stream_problems(have, &wanted);
    if !problems.is_empty() {
        return Err(StoreError::Misconfigured(problems.join("; ")));
    }
    if have.duplicate_window != wanted.duplicate_window {
        let mut updated = have.clone();
        updated.duplicate_window = wanted.duplicate_window;
        js.update_stream(updated)
            .await
            .or_js("update the duplicate window")?;
    }
    Ok(stream)
}

/// What in an existing stream's settings could lose events or route them wrongly, compared with
/// the settings Waymark creates it with. Any problem refuses the start: nothing is changed behind
/// an operator's back.
fn stream_problems(have: &stream::Config, wanted: &stream::Config) -> Vec<String> {
    let mut problems = Vec::new();
    if have.subjects != wanted.subjects {
        problems.push(format!(
            "subjects are {:?}, expected {:?}",
            have.subjects, wanted.subjects
        ));
    }
    if have.storage != stream::StorageType::File {
        problems.push("storage is not file".to_owned());
    }
    if have.retention != stream::RetentionPolicy::Limits {
        problems.push("retention is not limits (events would be removed once consumed)".to_owned());
    }
    if have.max_age != Duration::ZERO
        || have.max_messages > 0
        || have.max_bytes > 0
        || have.max_messages_per_subject > 0
    {
        problems.push(
            "an age, size or count limit is set, so old events could be discarded".to_owned(),
        );
    }
    if have.discard != stream::DiscardPolicy::New {
        problems.push(
            "discard is not new, so a limit added later would drop old events instead of \
             refusing new ones"
                .to_owned(),
        );
    }
    if !have.deny_delete {
        problems.push("deny_delete is off, so single events could be deleted".to_owned());
    }
    if !have.deny_purge {
        problems.push("deny_purge is off, so the stream could be purged".to_owned());
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_that_could_lose_events_is_refused() {
        let wanted = wanted_config(&NatsConfig::for_url("nats://127.0.0.1:4222"));
        assert!(stream_problems(&wanted, &wanted).is_empty());
        let changed = |change: fn(&mut stream::Config)| {
            let mut have = wanted.clone();
            change(&mut have);
            stream_problems(&have, &wanted)
        };
        assert!(changed(|c| c.deny_delete = false)[0].contains("deny_delete"));
        assert!(changed(|c| c.deny_purge = false)[0].contains("deny_purge"));
        assert!(changed(|c| c.discard = stream::DiscardPolicy::Old)[0].contains("discard"));
        assert!(changed(|c| c.max_age = Duration::from_secs(60))[0].contains("limit"));
        assert_eq!(
            changed(|c| c.storage = stream::StorageType::Memory).len(),
            1
        );
    }

    #[test]
    fn a_lost_race_is_a_conflict_in_either_form_the_server_answers() {
        use jetstream::context::{PublishError, PublishErrorKind};
        let answer = |err_code: u64| -> jetstream::Error {
            serde_json::from_value(serde_json::json!(
                {"code": 400, "err_code": err_code, "description": "wrong last sequence"}
            ))
            .unwrap()
        };
        let single = PublishError::new(PublishErrorKind::WrongLastSequence);
        assert!(matches!(
            classify_publish(single, 7),
            AppendError::Conflict { expected: 7 }
        ));
        let clustered = PublishError::with_source(PublishErrorKind::Other, answer(10164));
        assert!(matches!(
            classify_publish(clustered, 7),
            AppendError::Conflict { expected: 7 }
        ));
        let other = PublishError::with_source(PublishErrorKind::Other, answer(10077));
        assert!(matches!(classify_publish(other, 7), AppendError::Failed(_)));
    }

    #[test]
    fn versions_parse() {
        assert_eq!(parse_version("2.9.10"), Some((2, 9, 10)));
        assert_eq!(parse_version("v2.10.22-beta.1"), Some((2, 10, 22)));
        assert!(parse_version("2.9.10").unwrap() < MIN_VERSION_FOR_REPLICATED);
        assert!(parse_version("2.10.1").unwrap() >= MIN_VERSION_FOR_REPLICATED);
    }
}
