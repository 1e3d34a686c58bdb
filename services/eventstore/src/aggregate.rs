//! Folding one thing's commits into its state, and a bounded cache of folded states.

use std::collections::HashMap;
use std::sync::Arc;

use proto::{Accepted, Commit, EventBody, ThingRef};

use crate::reader::{StoredCommit, StreamReader};
use crate::store::StoreError;

/// The state of one thing, built by folding its events. `evolve` holds no rules and never fails:
/// every rule lives in the service's `decide`, which runs before an event is stored.
pub trait Aggregate: Default + Clone + Send + Sync + 'static {
    fn evolve(&mut self, event: &EventBody);
}

/// A thing's state with the stream sequence it reflects and the results of its past commands.
#[derive(Debug, Clone, Default)]
pub struct Folded<A> {
    pub state: A,
    /// Stream sequence of the thing's last commit; 0 when it has none.
    pub version: u64,
    /// The result of every command stored on this thing, by idempotency key, so that a retry long
    /// after the server's duplicate window is still answered with the original result.
    pub results: HashMap<String, PastResult>,
}

/// What a past command on a thing produced, and a digest of that command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastResult {
    pub accepted: Accepted,
    /// None for commits stored before digests were recorded.
    pub request_hash: Option<String>,
}

impl<A: Aggregate> Folded<A> {
    /// Applies `thing`'s stored commits, oldest first. A commit this version cannot read stops the
    /// fold ([`StoreError::Undecodable`]) unless a later commit among them voids it
    /// ([`proto::CommitVoided`]); a voided commit is passed over.
    pub fn apply(&mut self, thing: &ThingRef, commits: &[StoredCommit]) -> Result<(), StoreError> {
        let read: Vec<Option<(&Commit, Vec<EventBody>)>> = commits
            .iter()
            .map(|stored| {
                let commit = stored.commit.as_ref().ok()?;
                Some((commit, commit.bodies().ok()?))
            })
            .collect();
        let voided: std::collections::HashSet<u64> = read
            .iter()
            .flatten()
            .flat_map(|(_, bodies)| bodies)
            .filter_map(|body| match body {
                EventBody::CommitVoided(v) => Some(v.seq),
                _ => None,
            })
            .collect();
        for (stored, read) in commits.iter().zip(read) {
            match read {
                Some((commit, bodies)) => self.record(
                    stored.seq,
                    &commit.idempotency_key,
                    commit.request_hash.clone(),
                    &bodies,
                ),
                None if voided.contains(&stored.seq) => self.version = stored.seq,
                None => {
                    let reason = match &stored.commit {
                        Err(e) => e.to_string(),
                        Ok(commit) => commit
                            .bodies()
                            .err()
                            .map(|e| e.to_string())
                            .unwrap_or_default(),
                    };
                    return Err(StoreError::Undecodable {
                        subject: thing.subject(),
                        seq: stored.seq,
                        reason,
                    });
                }
            }
        }
        Ok(())
    }

    /// Whether the commit at `seq` is voided by one of this thing's commits.
    pub fn is_voided(&self, seq: u64) -> bool {
        self.results.contains_key(&void_key(seq))
    }

    /// Applies the events of one commit stored at `seq` under `key`.
    pub fn record(
        &mut self,
        seq: u64,
        key: &str,
        request_hash: Option<String>,
        bodies: &[EventBody],
    ) {
        for body in bodies {
            self.state.evolve(body);
        }
        self.version = seq;
        let accepted = Accepted {
            seq,
            version: seq,
            events: bodies.iter().map(|b| b.type_name().to_owned()).collect(),
            duplicate: true,
        };
        self.results.insert(
            key.to_owned(),
            PastResult {
                accepted,
                request_hash,
            },
        );
    }

    /// Whether the thing has any commits.
    pub fn exists(&self) -> bool {
        self.version > 0
    }
}

/// The idempotency key of the record that voids the commit at `seq`: one void per commit.
pub fn void_key(seq: u64) -> String {
    format!("void-{seq}")
}

/// A bounded cache of folded states keyed by subject. Entries are returned as they were cached;
/// the append's sequence check catches any that went stale, and [`StateCache::load_fresh`]
/// brings one up to date first.
///
/// When full, an entry used rarely or long ago is dropped (`quick_cache`'s S3-FIFO): the things
/// commands are being sent to stay in, whatever number of things were written once and never
/// again. (Dropping an arbitrary
/// entry instead, the first in the map's order, kept evicting the newest ones: under 64 clients
/// each creating things, most commands then read their thing's history again, BENCHMARKS.md.)
pub struct StateCache<A> {
    entries: quick_cache::sync::Cache<String, Arc<Folded<A>>>,
}

impl<A: Aggregate> StateCache<A> {
    pub fn new(capacity: usize) -> Self {
        Self {
            entries: quick_cache::sync::Cache::new(capacity.max(1)),
        }
    }

    /// The cached state of `subject`, if there is one, as it was cached.
    pub fn get(&self, subject: &str) -> Option<Arc<Folded<A>>> {
        self.entries.get(subject)
    }

    /// Stores a folded state; when full, one used rarely or long ago is dropped.
    pub fn put(&self, subject: String, folded: Arc<Folded<A>>) {
        self.entries.insert(subject, folded);
    }

    pub fn invalidate(&self, subject: &str) {
        self.entries.remove(subject);
    }

    /// The cached state if there is one, else the state loaded from the stream.
    pub async fn load(
        &self,
        reader: &StreamReader,
        thing: &ThingRef,
    ) -> Result<(Arc<Folded<A>>, bool), StoreError> {
        match self.get(&thing.subject()) {
            Some(hit) => Ok((hit, true)),
            None => Ok((self.load_fresh(reader, thing).await?, false)),
        }
    }

    /// The state as of the last commit now in the stream. Each call asks the stream for the
    /// subject's last sequence (one request); only commits newer than the cached state are then
    /// read and folded, and the result is cached. A thing with no new commits costs that one
    /// request and no fold.
    pub async fn load_fresh(
        &self,
        reader: &StreamReader,
        thing: &ThingRef,
    ) -> Result<Arc<Folded<A>>, StoreError> {
        let subject = thing.subject();
        let cached = self.get(&subject);
        let after = cached.as_ref().map_or(0, |c| c.version);
        let newer = reader.read_since(thing, after).await?;
        if newer.is_empty() {
            if let Some(c) = cached {
                return Ok(c);
            }
            return Ok(Arc::new(Folded::default()));
        }
        let mut folded = cached.map(|c| (*c).clone()).unwrap_or_default();
        folded.apply(thing, &newer)?;
        let folded = Arc::new(folded);
        self.put(subject, folded.clone());
        Ok(folded)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Clone, Default)]
    struct Count(u32);

    impl Aggregate for Count {
        fn evolve(&mut self, _: &EventBody) {
            self.0 += 1;
        }
    }

    #[test]
    fn things_in_use_stay_cached_however_many_others_are_written_once() {
        let cache = StateCache::<Count>::new(1_000);
        let hot: Vec<String> = (0..64).map(|i| format!("hot-{i}")).collect();
        for (n, subject) in hot.iter().cycle().take(64 * 200).enumerate() {
            // Each command on a thing in use (taken out and put back changed, as the runtime
            // does), then one on a thing written once and never again.
            let entry = cache.get(subject).unwrap_or_default();
            cache.invalidate(subject);
            cache.put(subject.clone(), entry);
            cache.put(format!("once-{n}"), Arc::default());
        }
        for subject in &hot {
            assert!(cache.get(subject).is_some(), "{subject} was dropped");
        }
        assert!(
            cache.entries.len() <= 1_000,
            "the cache stays within its capacity"
        );
    }
}
