//! Every thing of one kind folded as its commits arrive, so that the other things a command's
//! rules look at (its blueprint, an organisation) are read from memory instead of asking the
//! stream for each command.
//!
//! [`Followed`] keeps one ordered consumer on the kind's subjects and folds each commit into the
//! state of its thing. It knows the sequence of the last commit it folded and whether it has
//! caught up with what the stream held when it started; until it has (at start, after an error,
//! after a reconnection) it answers nothing and the caller reads the stream instead. How stale
//! an answer can be, and why a command may rest on it, is in [`Freshness`].

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt;
use proto::commands::Seen;
use proto::{Commit, ThingKind};
use tokio::sync::watch;

use crate::aggregate::{Aggregate, Folded};
use crate::reader::{Received, StoredCommit, StreamReader};

/// How fresh the other things a command's rules look at must be.
///
/// A command is first decided on the followed states, once they hold at least the changes the
/// sender had seen acknowledged ([`Seen`]): a command sent after a blueprint was closed, through
/// the sender that closed it, sees it closed. What a followed state can miss is a change that
/// another sender recorded while the follower had not yet received it: the follower receives a
/// commit when the stream stores it, so this is a command racing that change, decided as if it
/// had come just before it. Such a race could land before as well (the rules across things are
/// not transactional), so nothing is accepted that a command sent a moment earlier could not
/// have been. A refusal is never given on a followed state: the command is decided again on
/// [`Freshness::Latest`] first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// As followed, with at least what the sender had seen.
    Followed(Seen),
    /// As of the last commit now in the stream: one request per thing looked up.
    Latest,
}

/// Where a command's context is read from, and how fresh it must be.
#[derive(Clone, Copy)]
pub struct Reads<'a> {
    pub reader: &'a StreamReader,
    pub freshness: Freshness,
}

/// How long a lookup waits for the follower to receive a change the sender has seen before it
/// reads the stream instead. The follower normally has it already: the stream hands it the
/// commit when it acknowledges it.
pub const FOLLOW_WAIT: Duration = Duration::from_millis(100);

/// Every thing of one kind, folded as its commits arrive.
pub struct Followed<A> {
    shared: Arc<Shared<A>>,
    task: tokio::task::JoinHandle<()>,
}

struct Shared<A> {
    states: Mutex<HashMap<String, Arc<Folded<A>>>>,
    /// Things with a commit this version cannot read: looked up on the stream, which says why.
    unreadable: Mutex<HashSet<String>>,
    position: watch::Sender<Position>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Position {
    /// Sequence of the last commit folded.
    through: u64,
    /// Whether every commit stored when the follower last started has been folded.
    caught_up: bool,
}

impl<A: Aggregate> Followed<A> {
    /// Starts following every thing of `kind` through `reader`.
    pub fn start(reader: StreamReader, kind: ThingKind) -> Self {
        let shared = Arc::new(Shared {
            states: Mutex::default(),
            unreadable: Mutex::default(),
            position: watch::Sender::new(Position::default()),
        });
        let task = tokio::spawn(follow(
            shared.clone(),
            reader,
            proto::subjects::kind_wildcard(kind),
        ));
        Self { shared, task }
    }

    /// The state of the thing on `subject` with every commit up to at least `seen` folded, or
    /// None when the follower cannot say within `wait` (it has not caught up, it is behind
    /// `seen`, or the thing has a commit it cannot read): the caller then reads the stream.
    pub async fn get(&self, subject: &str, seen: u64, wait: Duration) -> Option<Arc<Folded<A>>> {
        let mut position = self.shared.position.subscribe();
        let now = *position.borrow_and_update();
        if !now.caught_up {
            return None;
        }
        if now.through < seen {
            let reached = position.wait_for(|p| !p.caught_up || p.through >= seen);
            match tokio::time::timeout(wait, reached).await {
                Ok(Ok(p)) if p.caught_up => {}
                _ => return None,
            }
        }
        if self
            .shared
            .unreadable
            .lock()
            .expect("followed lock")
            .contains(subject)
        {
            return None;
        }
        let states = self.shared.states.lock().expect("followed lock");
        Some(states.get(subject).cloned().unwrap_or_default())
    }

    /// Whether every commit stored when the follower last started has been folded.
    pub fn caught_up(&self) -> bool {
        self.shared.position.borrow().caught_up
    }
}

impl<A> Drop for Followed<A> {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Follows `filter` for as long as the [`Followed`] lives: a consumer from the commit after the
/// last one folded, started again after an error or a reconnection.
async fn follow<A: Aggregate>(shared: Arc<Shared<A>>, reader: StreamReader, filter: String) {
    let mut reconnects = reader.reconnects();
    loop {
        reconnects.borrow_and_update();
        let start = shared.position.borrow().through + 1;
        match reader.follow_subjects(&filter, start).await {
            Ok((mut commits, stored)) => {
                if stored == 0 {
                    shared.position.send_modify(|p| p.caught_up = true);
                }
                loop {
                    tokio::select! {
                        changed = reconnects.changed() => {
                            if changed.is_err() {
                                return;
                            }
                            break;
                        }
                        next = commits.next() => match next {
                            Some(Ok(received)) => shared.fold(received),
                            Some(Err(e)) => {
                                tracing::debug!(%filter, error = %e, "following stopped; starting again");
                                break;
                            }
                            None => break,
                        },
                    }
                }
            }
            Err(e) => tracing::debug!(%filter, error = %e, "following could not start"),
        }
        shared.position.send_modify(|p| p.caught_up = false);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

impl<A: Aggregate> Shared<A> {
    fn fold(&self, received: Received) {
        let Received {
            seq,
            subject,
            payload,
            pending,
            ..
        } = received;
        let thing = proto::subjects::thing_of_subject(&subject);
        let unreadable = self
            .unreadable
            .lock()
            .expect("followed lock")
            .contains(&subject);
        if let Some(thing) = thing
            && !unreadable
        {
            let stored = StoredCommit {
                seq,
                commit: Commit::decode(&payload),
            };
            let mut states = self.states.lock().expect("followed lock");
            let entry = states.entry(subject.clone()).or_default();
            if Arc::make_mut(entry).apply(&thing, &[stored]).is_err() {
                states.remove(&subject);
                drop(states);
                self.unreadable
                    .lock()
                    .expect("followed lock")
                    .insert(subject);
            }
        }
        self.position.send_modify(|p| {
            p.through = seq;
            if pending == 0 {
                p.caught_up = true;
            }
        });
    }
}
