//! Sending a command to the service that owns its kind of thing, and waiting for the reply.
//!
//! [`CommandSender`] is how the dashboard writes: it can send a command envelope as a NATS
//! request on `waymark.cmd.<kind>` (and an operator's void request on `waymark.cmd.<kind>.void`)
//! and nothing else. The owning service decides and appends;
//! the sender has no way to append or publish anything itself.

use std::time::Duration;

use proto::commands::CommandEnvelope;
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
#[derive(Clone)]
pub struct CommandSender {
    client: async_nats::Client,
    timeout: Duration,
}

impl CommandSender {
    /// A sender on `reader`'s connection that waits up to `timeout` for each reply.
    pub fn new(reader: &StreamReader, timeout: Duration) -> Self {
        Self {
            client: reader.client.clone(),
            timeout,
        }
    }

    /// Sends `envelope` to the service owning `kind` and waits for its reply: the command's
    /// result when it was decided, accepted or rejected.
    pub async fn send<C: Serialize>(
        &self,
        kind: ThingKind,
        envelope: &CommandEnvelope<C>,
    ) -> Result<Reply, SendError> {
        self.request(proto::subjects::command_subject(kind), envelope)
            .await
    }

    /// Sends an operator's request to void an unreadable commit on a thing of `kind` to that
    /// kind's service, and waits for its reply.
    pub async fn send_void(
        &self,
        kind: ThingKind,
        request: &proto::commands::VoidRequest,
    ) -> Result<Reply, SendError> {
        self.request(proto::subjects::void_subject(kind), request)
            .await
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
