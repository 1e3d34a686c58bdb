//! Applying one commit to the read models inside a write transaction. Every view is computed in
//! memory first and written only once the whole commit applied, so a commit that cannot be applied
//! changes nothing and is quarantined.

use chrono::{DateTime, NaiveDate, Utc};
use proto::{Commit, EventBody, ThingKind};
use redb::{TableDefinition, WriteTransaction};
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

/// Applies `commit`, stored at `seq` on `subject`. Commits on a blueprint and its things are also
/// kept in the blueprint's log ([`Logged::encode`]), which "as of" views fold.
pub fn apply_commit(
    txn: &WriteTransaction,
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
        record_void(txn, seq, commit, void)?;
        let summary = describe(&bodies[0], Before::Nothing, commit.events[0].occurred_on);
        return save_history(txn, seq, subject, commit, vec![summary]);
    }
    let summaries = match commit.thing.kind {
        ThingKind::Organisation => apply_own(
            txn,
            commit,
            &bodies,
            ORGANISATIONS,
            |view, _, body| step_organisation(view, id, seq, body),
            |view: &mut OrganisationView| view.version = seq,
        )?,
        ThingKind::Blueprint => apply_own(
            txn,
            commit,
            &bodies,
            BLUEPRINTS,
            |view, on, body| step_blueprint(view, id, seq, on, body),
            |view: &mut BlueprintView| {
                view.version = seq;
                view.updated_seq = view.updated_seq.max(seq);
                touch(view, &occurred(commit), at);
            },
        )?,
        ThingKind::Milestone => apply_thing::<MilestoneView>(txn, seq, commit, &bodies, at)?,
        ThingKind::Commitment => apply_thing::<CommitmentView>(txn, seq, commit, &bodies, at)?,
        ThingKind::Pledge => apply_thing::<PledgeView>(txn, seq, commit, &bodies, at)?,
    };
    save_history(txn, seq, subject, commit, summaries)?;
    if let Some(bp) = &commit.thing.blueprint {
        txn.open_table(BLUEPRINT_LOG)?
            .insert((bp.as_str(), seq), Logged::encode(commit)?.as_slice())?;
    }
    Ok(())
}

/// Decodes and applies a commit as received from the stream; an undecodable one is unusable.
pub(crate) fn apply_received(
    txn: &WriteTransaction,
    received: &Received,
) -> Result<(), ApplyError> {
    let commit = Commit::decode(&received.payload).map_err(|e| unusable(e.to_string()))?;
    apply_commit(txn, received.seq, &received.subject, &commit)
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

fn save_history(
    txn: &WriteTransaction,
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
    txn.open_table(HISTORY)?
        .insert((subject, seq), db::encode(&entry)?.as_slice())?;
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

fn load<V: DeserializeOwned>(
    txn: &WriteTransaction,
    table: Table,
    key: &str,
) -> Result<Option<V>, ApplyError> {
    Ok(db::get(&txn.open_table(table)?, key)?)
}

fn save<V: Serialize>(
    txn: &WriteTransaction,
    table: Table,
    key: &str,
    view: &V,
) -> Result<(), ApplyError> {
    txn.open_table(table)?
        .insert(key, db::encode(view)?.as_slice())?;
    Ok(())
}

fn load_blueprint(txn: &WriteTransaction, bp: &str) -> Result<BlueprintView, ApplyError> {
    load(txn, BLUEPRINTS, bp)?
        .ok_or_else(|| unusable(format!("blueprint {bp} is not in the read models")))
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

/// Applies a commit to the view stored under the commit's own id in `table` (an organisation or
/// a blueprint): `step` applies each event, and `finish` completes the view once all applied.
fn apply_own<V: Described + Serialize + DeserializeOwned>(
    txn: &WriteTransaction,
    commit: &Commit,
    bodies: &[EventBody],
    table: Table,
    step: impl FnMut(&mut Option<V>, NaiveDate, &EventBody) -> Result<(), StepError>,
    finish: impl FnOnce(&mut V),
) -> Result<Vec<String>, ApplyError> {
    let id = commit.thing.id.as_str();
    let mut view = load(txn, table, id)?;
    let summaries = step_each(&mut view, commit, bodies, step)?;
    let mut view = view.ok_or_else(|| unusable(format!("no {}", commit.thing.kind.token())))?;
    finish(&mut view);
    save(txn, table, id, &view)?;
    Ok(summaries)
}

/// Applies a commit to a thing of a blueprint and moves the blueprint's totals from the thing's
/// old share to its new one.
fn apply_thing<V: BlueprintThing>(
    txn: &WriteTransaction,
    seq: u64,
    commit: &Commit,
    bodies: &[EventBody],
    at: DateTime<Utc>,
) -> Result<Vec<String>, ApplyError> {
    let (bp, key) = thing_key(commit)?;
    let old = load::<V>(txn, V::TABLE, &key)?;
    let mut blueprint = load_blueprint(txn, &bp)?;
    let mut view = old.clone();
    let summaries = step_each(&mut view, commit, bodies, |view, on, body| {
        step_thing(view, &bp, &commit.thing.id, on, body)
    })?;
    let mut view = view.ok_or_else(|| unusable(format!("no {}", V::WHAT)))?;
    settle_thing(old.as_ref(), &mut view, &mut blueprint, seq, at);
    touch(&mut blueprint, &occurred(commit), at);
    save(txn, V::TABLE, &key, &view)?;
    save(txn, BLUEPRINTS, &blueprint.id, &blueprint)?;
    Ok(summaries)
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
