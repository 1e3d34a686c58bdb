//! Sending a command to the service that owns its kind of thing, and waiting for the reply.
//!
//! [`CommandSender`] is how the dashboard writes: it can send a command envelope as a NATS
//! request on `waymark.cmd.<kind>` (and an operator's void request on `waymark.cmd.<kind>.void`)
//! and nothing else. The owning service decides and appends;
//! the sender has no way to append or publish anything itself.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use proto::commands::{CommandEnvelope, Seen};
use proto::{CodecError, Reply, ThingKind};
use serde::Serialize;

use crate::reader::StreamReader;

/// Why a command got no reply from its service.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The command could not be encoded: a bug, never a user error.
    #[error("failed to encode the command: {0}")]
    Encode(CodecError),
    /// No service of this kind is running.
    #[error("no service answers commands on this subject")]
    NoService,
    /// The service did not answer in time; the command may still be stored, so retry with the
    /// same idempotency key.
    #[error("the service did not answer in time")]
    TimedOut,
    /// The request could not be sent or answered for another reason.
    #[error("the service could not be reached: {0}")]
    Unreachable(String),
    /// The service answered with something that is not a reply.
    #[error("failed to read the service's reply: {0}")]
    BadReply(CodecError),
}

/// Sends commands to their services over NATS and waits for the replies: a connection that can
/// write only through the services' rules.
///
/// It remembers the newest organisation and blueprint changes it has had acknowledged and sends
/// them with every command ([`Seen`]): a command sent through it after such a change is decided
/// on that change or a later one, whichever copy of a service takes it. Clones share what they
/// have seen.
#[derive(Clone)]
pub struct CommandSender {
    client: async_nats::Client,
    timeout: Duration,
    seen: Arc<Mutex<Seen>>,
}

impl CommandSender {
    /// A sender on `reader`'s connection that waits up to `timeout` for each reply.
    pub fn new(reader: &StreamReader, timeout: Duration) -> Self {
        Self {
            client: reader.client.clone(),
            timeout,
            seen: Arc::default(),
        }
    }

    /// Sends `envelope` to the service owning `kind` and waits for its reply: the command's
    /// result when it was decided, accepted or rejected. The envelope's `seen` is raised to what
    /// this sender has seen before it goes.
    pub async fn send<C: Serialize>(
        &self,
        kind: ThingKind,
        envelope: &mut CommandEnvelope<C>,
    ) -> Result<Reply, SendError> {
        envelope.seen = envelope.seen.max(*self.seen.lock().expect("seen lock"));
        let reply = self
            .request(proto::subjects::command_subject(kind), envelope)
            .await;
        self.note(kind, &reply);
        reply
    }

    /// Sends an operator's request to void an unreadable commit on a thing of `kind` to that
    /// kind's service, and waits for its reply.
    pub async fn send_void(
        &self,
        kind: ThingKind,
        request: &proto::commands::VoidRequest,
    ) -> Result<Reply, SendError> {
        let reply = self
            .request(proto::subjects::void_subject(kind), request)
            .await;
        self.note(kind, &reply);
        reply
    }

    /// What this sender has seen acknowledged so far.
    pub fn seen(&self) -> Seen {
        *self.seen.lock().expect("seen lock")
    }

    fn note(&self, kind: ThingKind, reply: &Result<Reply, SendError>) {
        if let Ok(Reply::Accepted(accepted)) = reply {
            self.seen.lock().expect("seen lock").saw(kind, accepted.seq);
        }
    }

    async fn request<T: Serialize>(&self, subject: String, body: &T) -> Result<Reply, SendError> {
        let payload = proto::encode(body).map_err(SendError::Encode)?;
        let reply =
            tokio::time::timeout(self.timeout, self.client.request(subject, payload.into()))
                .await
                .map_err(|_| SendError::TimedOut)?
                .map_err(|e| match e.kind() {
                    async_nats::RequestErrorKind::NoResponders => SendError::NoService,
                    async_nats::RequestErrorKind::TimedOut => SendError::TimedOut,
                    _ => SendError::Unreachable(e.to_string()),
                })?;
        proto::decode::<Reply>(&reply.payload).map_err(SendError::BadReply)
    }
}
