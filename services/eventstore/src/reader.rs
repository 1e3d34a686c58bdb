//! Reading the event stream without the right to append: one thing's commits, last sequences,
//! and following the whole stream in order.
//!
//! [`StreamReader`] is all the dashboard and its projector hold of the store. It has no `append`
//! and hands out neither the NATS client nor the JetStream context, so code holding only a
//! reader cannot write an event, whatever it is changed to do.

use std::time::Duration;

use async_nats::jetstream::{consumer, stream};
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use proto::{Commit, ThingRef};

use crate::config::NatsConfig;
use crate::store::{OrJetStream, StoreError};

/// A commit read back with its stream sequence, or why this version cannot read it.
#[derive(Debug)]
pub struct StoredCommit {
    pub seq: u64,
    pub commit: Result<Commit, proto::CodecError>,
}

/// A message of the stream found by its sequence, still encoded.
#[derive(Debug, Clone)]
pub struct StoredMessage {
    pub subject: String,
    pub payload: Bytes,
    /// When the server stored it (Unix seconds).
    pub published_unix: i64,
}

/// A commit as received from the stream by a follower, still encoded.
#[derive(Debug, Clone)]
pub struct Received {
    pub seq: u64,
    pub subject: String,
    pub payload: Bytes,
    /// Commits still pending after this one when it was delivered.
    pub pending: u64,
    /// When the server stored it (Unix seconds).
    pub published_unix: i64,
}

/// Every commit of the stream from some sequence on, in stream order, as they arrive.
pub type Following = BoxStream<'static, Result<Received, StoreError>>;

/// An ordered consumer of the commits on `filter` from sequence `start` on.
///
/// It is always named, so that the server is asked on `$JS.API.CONSUMER.CREATE.<stream>.<name>.
/// <filter>`: NATS permissions can then let each user create consumers over the subjects it may
/// read and no others (`deploy/nats/accounts.conf`). The name is unique to this process (its
/// start time) and to this consumer.
fn ordered(filter: String, start: u64) -> consumer::pull::OrderedConfig {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static STARTED: OnceLock<u128> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let started = STARTED.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    });
    consumer::pull::OrderedConfig {
        name: Some(format!(
            "waymark-{started:x}-{}-{:x}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        )),
        filter_subject: filter,
        deliver_policy: consumer::DeliverPolicy::ByStartSequence {
            start_sequence: start,
        },
        ..Default::default()
    }
}

/// Reads of the event stream: a connection that can read but never append.
#[derive(Clone)]
pub struct StreamReader {
    pub(crate) client: async_nats::Client,
    pub(crate) stream: stream::Stream,
    pub(crate) request_timeout: Duration,
    /// Counts reconnections to NATS, so that long-lived readers can resume at once.
    pub(crate) reconnects: tokio::sync::watch::Receiver<u64>,
}

impl StreamReader {
    /// Connects and creates (or verifies) the event stream, as [`crate::EventStore::open`] does.
    pub async fn open(config: &NatsConfig, name: &str) -> Result<Self, StoreError> {
        Ok(crate::store::open_stream(config, name).await?.0)
    }

    /// Changes each time the connection to NATS is made again.
    pub fn reconnects(&self) -> tokio::sync::watch::Receiver<u64> {
        self.reconnects.clone()
    }

    /// Whether the connection to NATS is up now.
    pub fn connected(&self) -> bool {
        self.client.connection_state() == async_nats::connection::State::Connected
    }

    /// Sequence of the last commit on `thing`'s subject, 0 when it has none.
    pub async fn last_seq(&self, thing: &ThingRef) -> Result<u64, StoreError> {
        match self
            .stream
            .get_last_raw_message_by_subject(&thing.subject())
            .await
        {
            Ok(msg) => Ok(msg.sequence),
            Err(e) if e.kind() == stream::LastRawMessageErrorKind::NoMessageFound => Ok(0),
            Err(e) => Err(StoreError::js("read the last commit", e)),
        }
    }

    /// Reads the commits of `thing` with a sequence above `after`, oldest first.
    ///
    /// The subject's last sequence comes first (one request; nothing newer, nothing more). The
    /// commits are then read through an ordered consumer filtered to the subject, which is what
    /// NATS permissions can narrow to the subjects a user may read (`deploy/nats/accounts.conf`),
    /// and the consumer is deleted once read: left to expire, a consumer per read piles up on the
    /// server under load until it refuses new ones (JetStream error 10026).
    pub async fn read_since(
        &self,
        thing: &ThingRef,
        after: u64,
    ) -> Result<Vec<StoredCommit>, StoreError> {
        let subject = thing.subject();
        let last = self.last_seq(thing).await?;
        if last <= after {
            return Ok(Vec::new());
        }
        self.read_through_consumer(&subject, after + 1, last).await
    }

    /// The commits on `subject` from `from` to `last`, through an ordered consumer.
    async fn read_through_consumer(
        &self,
        subject: &str,
        from: u64,
        last: u64,
    ) -> Result<Vec<StoredCommit>, StoreError> {
        let config = ordered(subject.to_owned(), from);
        let name = config.name.clone().unwrap_or_default();
        let consumer = self
            .stream
            .create_consumer(config)
            .await
            .or_js("open a reader")?;
        let read = Self::read_to(consumer, last, self.request_timeout).await;
        // Whatever the read gave, the consumer is no longer needed; should the delete fail, the
        // server still drops it once it has been idle for a while.
        if let Err(e) = self.stream.delete_consumer(&name).await {
            tracing::debug!(consumer = %name, error = %e, "a finished reader was not deleted");
        }
        read
    }

    async fn read_to(
        consumer: consumer::Consumer<consumer::pull::OrderedConfig>,
        last: u64,
        request_timeout: Duration,
    ) -> Result<Vec<StoredCommit>, StoreError> {
        let mut messages = consumer.messages().await.or_js("read commits")?;
        let mut out = Vec::new();
        loop {
            let next = tokio::time::timeout(request_timeout, messages.next())
                .await
                .map_err(|_| StoreError::js("read commits", "timed out"))?;
            let Some(msg) = next else {
                return Err(StoreError::js("read commits", "the reader ended early"));
            };
            let msg = msg.or_js("read commits")?;
            let seq = msg.info().or_js("read commit metadata")?.stream_sequence;
            let commit = Commit::decode(&msg.payload);
            out.push(StoredCommit { seq, commit });
            if seq >= last {
                return Ok(out);
            }
        }
    }

    /// The message stored at `seq`, or None when there is none (never stored, or past the end).
    pub async fn message_at(&self, seq: u64) -> Result<Option<StoredMessage>, StoreError> {
        match self.stream.get_raw_message(seq).await {
            Ok(msg) => Ok(Some(StoredMessage {
                subject: msg.subject.to_string(),
                payload: msg.payload,
                published_unix: msg.time.unix_timestamp(),
            })),
            Err(e) if e.kind() == stream::RawMessageErrorKind::NoMessageFound => Ok(None),
            Err(e) => Err(StoreError::js("read a commit by its sequence", e)),
        }
    }

    /// Sequence of the last message in the whole stream.
    pub async fn stream_last_seq(&self) -> Result<u64, StoreError> {
        let mut stream = self.stream.clone();
        let info = stream.info().await.or_js("read stream info")?;
        Ok(info.state.last_sequence)
    }

    /// Follows every commit of the stream from sequence `start` on, in stream order: what has
    /// been stored first, then each new commit as it arrives. The follower does not end by
    /// itself; it fails when the connection does, and a new one starts where the old one was.
    pub async fn follow(&self, start: u64) -> Result<Following, StoreError> {
        Ok(self
            .follow_subjects(proto::subjects::EVENTS_WILDCARD, start)
            .await?
            .0)
    }

    /// Follows the commits on `filter` from sequence `start` on, as [`StreamReader::follow`]
    /// does the whole stream; with how many of them were stored when it started.
    pub async fn follow_subjects(
        &self,
        filter: &str,
        start: u64,
    ) -> Result<(Following, u64), StoreError> {
        let consumer = self
            .stream
            .create_consumer(ordered(filter.to_owned(), start))
            .await
            .or_js("follow the stream")?;
        let stored = consumer.cached_info().num_pending;
        let messages = consumer.messages().await.or_js("follow the stream")?;
        let following = messages
            .map(|message| {
                let message = message.or_js("read the stream")?;
                let info = message.info().or_js("read message metadata")?;
                Ok(Received {
                    seq: info.stream_sequence,
                    subject: message.subject.to_string(),
                    payload: message.payload.clone(),
                    pending: info.pending,
                    published_unix: info.published.unix_timestamp(),
                })
            })
            .boxed();
        Ok((following, stored))
    }
}
