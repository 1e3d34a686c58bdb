//! Applying commits to the read models inside a write transaction. Every view is computed in
//! memory first and kept only once the whole commit applied, so a commit that cannot be applied
//! changes nothing and is quarantined.
//!
//! A [`Batch`] holds the views its commits changed and the history and log rows they added, and
//! writes them when it ends: a blueprint's totals change with every commit on its things, and
//! were decoded, encoded and written again for each; now once a batch. Rows are written in key
//! order, each thing's (or blueprint's) new rows as one run through a cursor, which redb packs
//! into full leaves where one insert at a time leaves every leaf it splits half empty.

use std::collections::HashMap;
use std::ops::Bound;

use chrono::{DateTime, NaiveDate, Utc};
use proto::{Commit, EventBody, ThingKind};
use redb::{CursorError, TableDefinition, WriteTransaction};
use serde::{Serialize, de::DeserializeOwned};

use crate::Received;
use crate::db::{self, BLUEPRINT_LOG, BLUEPRINTS, DbError, HISTORY, ORGANISATIONS, QUARANTINE};
use crate::describe::{Before, Described, describe};
use crate::fold::{
    BlueprintThing, Logged, StepError, settle_thing, step_blueprint, step_organisation, step_thing,
    touch,
};
use crate::views::*;

/// Why a commit was not applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The commit cannot be applied to the read models; it is quarantined and projection goes on.
    #[error("{0}")]
    Unusable(String),
    /// Storage failed; the batch is abandoned and retried.
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A table of views keyed by id.
type Table = TableDefinition<'static, &'static str, &'static [u8]>;

fn unusable(msg: impl Into<String>) -> ApplyError {
    ApplyError::Unusable(msg.into())
}

/// The key of a row that goes after the last row of its run: a thing's history in an era, a
/// blueprint's log.
trait RunKey: Ord {
    type Key: redb::Key + 'static;
    fn same_run(&self, other: &Self) -> bool;
    fn key(&self) -> <Self::Key as redb::Value>::SelfType<'_>;
    /// The greatest key of the row's run.
    fn run_end(&self) -> <Self::Key as redb::Value>::SelfType<'_>;
}

/// A history row: (era, subject, sequence).
impl RunKey for (u64, String, u64) {
    type Key = (u64, &'static str, u64);
    fn same_run(&self, other: &Self) -> bool {
        (self.0, &self.1) == (other.0, &other.1)
    }
    fn key(&self) -> (u64, &str, u64) {
        (self.0, &self.1, self.2)
    }
    fn run_end(&self) -> (u64, &str, u64) {
        (self.0, &self.1, u64::MAX)
    }
}

/// A log row: (blueprint, sequence).
impl RunKey for (String, u64) {
    type Key = (&'static str, u64);
    fn same_run(&self, other: &Self) -> bool {
        self.0 == other.0
    }
    fn key(&self) -> (&str, u64) {
        (&self.0, self.1)
    }
    fn run_end(&self) -> (&str, u64) {
        (&self.0, u64::MAX)
    }
}

/// The views held by a batch, one kind: each as read (or found absent) and whether the batch
/// changed it.
pub(crate) struct Held<V> {
    table: Table,
    views: HashMap<String, (Option<V>, bool)>,
}

impl<V: Clone + Serialize + DeserializeOwned> Held<V> {
    fn new(table: Table) -> Self {
        Self {
            table,
            views: HashMap::new(),
        }
    }

    fn get(&mut self, txn: &WriteTransaction, key: &str) -> Result<Option<&V>, ApplyError> {
        if !self.views.contains_key(key) {
            let stored = db::get(&txn.open_table(self.table)?, key)?;
            self.views.insert(key.to_owned(), (stored, false));
        }
        Ok(self.views[key].0.as_ref())
    }

    fn get_mut(&mut self, txn: &WriteTransaction, key: &str) -> Result<Option<&mut V>, ApplyError> {
        self.get(txn, key)?;
        let (view, changed) = self.views.get_mut(key).expect("just held");
        *changed = true;
        Ok(view.as_mut())
    }

    fn put(&mut self, key: &str, view: V) {
        self.views.insert(key.to_owned(), (Some(view), true));
    }

    /// Writes the changed views, in key order.
    fn write(self, txn: &WriteTransaction) -> Result<(), DbError> {
        let mut changed: Vec<_> = self
            .views
            .into_iter()
            .filter_map(|(key, (view, changed))| Some((key, view.filter(|_| changed)?)))
            .collect();
        if changed.is_empty() {
            return Ok(());
        }
        changed.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let mut table = txn.open_table(self.table)?;
        for (key, view) in changed {
            table.insert(key.as_str(), db::encode(&view)?.as_slice())?;
        }
        Ok(())
    }
}

/// Commits applied in one write transaction: what they changed, held until [`Batch::finish`]
/// writes it. Dropped unfinished, it writes nothing.
pub(crate) struct Batch<'t> {
    txn: &'t WriteTransaction,
    organisations: Held<OrganisationView>,
    blueprints: Held<BlueprintView>,
    milestones: Held<MilestoneView>,
    commitments: Held<CommitmentView>,
    pledges: Held<PledgeView>,
    history: Vec<((u64, String, u64), Vec<u8>)>,
    log: Vec<((String, u64), Vec<u8>)>,
    /// The last commit the batch applied to an organisation.
    organisations_seq: Option<u64>,
}

/// The views of one kind a batch holds.
pub(crate) trait HeldBy: Sized {
    fn held<'b>(batch: &'b mut Batch<'_>) -> &'b mut Held<Self>;
}

macro_rules! held_by {
    ($($view:ty => $field:ident),*) => {$(
        impl HeldBy for $view {
            fn held<'b>(batch: &'b mut Batch<'_>) -> &'b mut Held<Self> {
                &mut batch.$field
            }
        }
    )*};
}
held_by!(OrganisationView => organisations, BlueprintView => blueprints,
    MilestoneView => milestones, CommitmentView => commitments, PledgeView => pledges);

impl<'t> Batch<'t> {
    pub(crate) fn new(txn: &'t WriteTransaction) -> Self {
        Self {
            txn,
            organisations: Held::new(ORGANISATIONS),
            blueprints: Held::new(BLUEPRINTS),
            milestones: Held::new(MilestoneView::TABLE),
            commitments: Held::new(CommitmentView::TABLE),
            pledges: Held::new(PledgeView::TABLE),
            history: Vec::new(),
            log: Vec::new(),
            organisations_seq: None,
        }
    }

    fn load<V: HeldBy + Clone + Serialize + DeserializeOwned>(
        &mut self,
        key: &str,
    ) -> Result<Option<V>, ApplyError> {
        let txn = self.txn;
        Ok(V::held(self).get(txn, key)?.cloned())
    }

    fn save<V: HeldBy + Clone + Serialize + DeserializeOwned>(&mut self, key: &str, view: V) {
        V::held(self).put(key, view);
    }

    /// Writes everything the batch's commits changed.
    pub(crate) fn finish(self) -> Result<(), DbError> {
        let txn = self.txn;
        self.organisations.write(txn)?;
        self.blueprints.write(txn)?;
        self.milestones.write(txn)?;
        self.commitments.write(txn)?;
        self.pledges.write(txn)?;
        append_runs(txn, HISTORY, self.history)?;
        append_runs(txn, BLUEPRINT_LOG, self.log)?;
        if let Some(seq) = self.organisations_seq {
            use redb::ReadableTable;
            let mut meta = txn.open_table(db::META)?;
            // A quarantined commit replayed in place is older; the revision marks that change.
            let before = meta.get(db::ORGANISATIONS_KEY)?.map_or(0, |v| v.value());
            meta.insert(db::ORGANISATIONS_KEY, seq.max(before))?;
        }
        Ok(())
    }

    /// Decodes and applies a commit as received from the stream; an undecodable one is unusable.
    pub(crate) fn apply_received(&mut self, received: &Received) -> Result<(), ApplyError> {
        let commit = Commit::decode(&received.payload).map_err(|e| unusable(e.to_string()))?;
        self.apply(received.seq, &received.subject, &commit)
    }

    /// Applies `commit`, stored at `seq` on `subject`. Commits on a blueprint and its things are
    /// also kept in the blueprint's log ([`Logged::encode`]), which "as of" views fold.
    pub(crate) fn apply(
        &mut self,
        seq: u64,
        subject: &str,
        commit: &Commit,
    ) -> Result<(), ApplyError> {
        if commit.thing.subject() != subject {
            return Err(unusable(format!(
                "the commit names {} but was stored on {subject}",
                commit.thing.subject()
            )));
        }
        let bodies = commit.bodies().map_err(|e| unusable(e.to_string()))?;
        if bodies.is_empty() {
            return Err(unusable("the commit has no events"));
        }
        let at = commit.recorded_at;
        let id = commit.thing.id.as_str();
        if let [EventBody::CommitVoided(void)] = bodies.as_slice() {
            record_void(self.txn, seq, commit, void)?;
            let summary = describe(&bodies[0], Before::Nothing, commit.events[0].occurred_on);
            return self.add_history(seq, subject, commit, vec![summary]);
        }
        let summaries = match commit.thing.kind {
            ThingKind::Organisation => self.apply_own(
                commit,
                &bodies,
                |view, _, body| step_organisation(view, id, seq, body),
                |view: &mut OrganisationView| view.version = seq,
            )?,
            ThingKind::Blueprint => self.apply_own(
                commit,
                &bodies,
                |view, on, body| step_blueprint(view, id, seq, on, body),
                |view: &mut BlueprintView| {
                    view.version = seq;
                    view.updated_seq = view.updated_seq.max(seq);
                    touch(view, &occurred(commit), at);
                },
            )?,
            ThingKind::Milestone => self.apply_thing::<MilestoneView>(seq, commit, &bodies, at)?,
            ThingKind::Commitment => {
                self.apply_thing::<CommitmentView>(seq, commit, &bodies, at)?
            }
            ThingKind::Pledge => self.apply_thing::<PledgeView>(seq, commit, &bodies, at)?,
        };
        // Encoded before anything is kept, so a commit that fails here changes nothing.
        let logged = match &commit.thing.blueprint {
            Some(bp) => Some(((bp.to_string(), seq), Logged::encode(commit)?)),
            None => None,
        };
        self.add_history(seq, subject, commit, summaries)?;
        self.log.extend(logged);
        if commit.thing.kind == ThingKind::Organisation {
            self.organisations_seq = Some(seq);
        }
        Ok(())
    }

    fn add_history(
        &mut self,
        seq: u64,
        subject: &str,
        commit: &Commit,
        summaries: Vec<String>,
    ) -> Result<(), ApplyError> {
        let entry = HistoryEntry {
            seq,
            recorded_at: commit.recorded_at,
            actor: commit.actor.name.clone(),
            actor_org: commit.actor.org.clone(),
            events: commit
                .events
                .iter()
                .zip(summaries)
                .map(|(e, summary)| HistoryEvent {
                    event_type: e.event_type.clone(),
                    occurred_on: e.occurred_on,
                    summary,
                })
                .collect(),
        };
        let (era, subject, seq) = db::history_key(subject, seq);
        let key = (era, subject.to_owned(), seq);
        self.history.push((key, db::encode(&entry)?));
        Ok(())
    }

    /// Applies a commit to the view stored under the commit's own id (an organisation or a
    /// blueprint): `step` applies each event, and `finish` completes the view once all applied.
    fn apply_own<V: Described + HeldBy + Clone + Serialize + DeserializeOwned>(
        &mut self,
        commit: &Commit,
        bodies: &[EventBody],
        step: impl FnMut(&mut Option<V>, NaiveDate, &EventBody) -> Result<(), StepError>,
        finish: impl FnOnce(&mut V),
    ) -> Result<Vec<String>, ApplyError> {
        let id = commit.thing.id.as_str();
        let mut view = self.load(id)?;
        let summaries = step_each(&mut view, commit, bodies, step)?;
        let mut view = view.ok_or_else(|| unusable(format!("no {}", commit.thing.kind.token())))?;
        finish(&mut view);
        self.save(id, view);
        Ok(summaries)
    }

    /// Applies a commit to a thing of a blueprint and moves the blueprint's totals from the
    /// thing's old share to its new one.
    fn apply_thing<V: BlueprintThing + HeldBy>(
        &mut self,
        seq: u64,
        commit: &Commit,
        bodies: &[EventBody],
        at: DateTime<Utc>,
    ) -> Result<Vec<String>, ApplyError> {
        let (bp, key) = thing_key(commit)?;
        let old = self.load::<V>(&key)?;
        let txn = self.txn;
        if self.blueprints.get(txn, &bp)?.is_none() {
            return Err(unusable(format!(
                "blueprint {bp} is not in the read models"
            )));
        }
        let mut view = old.clone();
        let summaries = step_each(&mut view, commit, bodies, |view, on, body| {
            step_thing(view, &bp, &commit.thing.id, on, body)
        })?;
        let mut view = view.ok_or_else(|| unusable(format!("no {}", V::WHAT)))?;
        let blueprint = self
            .blueprints
            .get_mut(txn, &bp)?
            .expect("the blueprint was just read");
        settle_thing(old.as_ref(), &mut view, blueprint, seq, at);
        touch(blueprint, &occurred(commit), at);
        self.save(&key, view);
        Ok(summaries)
    }
}

/// Writes `rows` into `table` in key order: the new rows of each run (a thing's history in an
/// era, a blueprint's log) through a cursor placed after the run's last row, so redb packs them
/// into full leaves. A row that does not sort after its run's last (a quarantined commit replayed
/// in place) is inserted on its own.
fn append_runs<R: RunKey>(
    txn: &WriteTransaction,
    table: TableDefinition<'static, R::Key, &'static [u8]>,
    mut rows: Vec<(R, Vec<u8>)>,
) -> Result<(), DbError> {
    if rows.is_empty() {
        return Ok(());
    }
    rows.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let mut table = txn.open_table(table)?;
    let mut rest = rows.as_slice();
    while let Some((first, _)) = rest.first() {
        let len = rest.iter().take_while(|(k, _)| k.same_run(first)).count();
        let (run, tail) = rest.split_at(len);
        rest = tail;
        let mut cursor = table.upper_bound_mut(Bound::Included(first.run_end()))?;
        let mut appended = 0;
        for (key, value) in run {
            match cursor.insert_before(key.key(), value.as_slice()) {
                Ok(()) => appended += 1,
                Err(CursorError::UnorderedKey) => break,
                Err(e) => return Err(redb::Error::from(e).into()),
            }
        }
        cursor.close()?;
        for (key, value) in &run[appended..] {
            table.insert(key.key(), value.as_slice())?;
        }
    }
    Ok(())
}

/// Applies `commit` in a batch of its own, written at once.
pub fn apply_commit(
    txn: &WriteTransaction,
    seq: u64,
    subject: &str,
    commit: &Commit,
) -> Result<(), ApplyError> {
    let mut batch = Batch::new(txn);
    batch.apply(seq, subject, commit)?;
    Ok(batch.finish()?)
}

/// Decodes and applies a commit as received from the stream, in a batch of its own.
pub(crate) fn apply_received(
    txn: &WriteTransaction,
    received: &Received,
) -> Result<(), ApplyError> {
    let mut batch = Batch::new(txn);
    batch.apply_received(received)?;
    Ok(batch.finish()?)
}

/// The quarantine entry of the commit at `seq`, if it has one.
pub(crate) fn quarantine_entry(
    txn: &WriteTransaction,
    seq: u64,
) -> Result<Option<QuarantineEntry>, DbError> {
    use redb::ReadableTable;
    match txn.open_table(QUARANTINE)?.get(seq)? {
        Some(v) => Ok(Some(db::decode(v.value())?)),
        None => Ok(None),
    }
}

/// Stores `entry` as the quarantine entry of its commit.
pub(crate) fn put_quarantine(
    txn: &WriteTransaction,
    entry: &QuarantineEntry,
) -> Result<(), DbError> {
    txn.open_table(QUARANTINE)?
        .insert(entry.seq, db::encode(entry)?.as_slice())?;
    Ok(())
}

/// A void changes no view: the commit it names was quarantined, so nothing of it was applied. Its
/// quarantine entry records the void; the thing's history shows it.
fn record_void(
    txn: &WriteTransaction,
    seq: u64,
    commit: &Commit,
    void: &proto::CommitVoided,
) -> Result<(), ApplyError> {
    let Some(mut entry) = quarantine_entry(txn, void.seq)? else {
        tracing::error!(seq, voided = void.seq, subject = %commit.thing.subject(),
            blueprint = commit.thing.blueprint.as_ref().map(tracing::field::display),
            thing = %commit.thing.display_name(),
            "a void names a commit the read models applied; rebuild them to pass over it");
        return Ok(());
    };
    entry.voided = Some(Voided {
        by_seq: seq,
        reason: void.reason.clone(),
        actor: commit.actor.name.clone(),
        recorded_at: commit.recorded_at,
    });
    put_quarantine(txn, &entry)?;
    Ok(())
}

fn thing_key(commit: &Commit) -> Result<(String, String), ApplyError> {
    let bp = commit
        .thing
        .blueprint
        .as_ref()
        .ok_or_else(|| unusable("the commit names no blueprint"))?;
    Ok((bp.to_string(), format!("{bp}/{}", commit.thing.id)))
}

/// Describes each event of `commit` (with `bodies`, its decoded events) against `view` as it
/// stands just before the event, then applies it with `step`; the history sentences, one an
/// event. Fails, as unusable, at the first event that does not apply.
fn step_each<V: Described>(
    view: &mut Option<V>,
    commit: &Commit,
    bodies: &[EventBody],
    mut step: impl FnMut(&mut Option<V>, NaiveDate, &EventBody) -> Result<(), StepError>,
) -> Result<Vec<String>, ApplyError> {
    commit
        .events
        .iter()
        .zip(bodies)
        .map(|(event, body)| {
            let on = event.occurred_on;
            let summary = describe(body, view.as_ref().map_or(Before::Nothing, V::before), on);
            step(view, on, body).map_err(|e| unusable(e.to_string()))?;
            Ok(summary)
        })
        .collect()
}

fn occurred(commit: &Commit) -> Vec<NaiveDate> {
    commit.events.iter().map(|e| e.occurred_on).collect()
}

macro_rules! storage_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for ApplyError {
            fn from(e: $t) -> Self {
                ApplyError::Db(DbError::from(e))
            }
        }
    )*};
}
storage_errors!(redb::TableError, redb::StorageError);
