//! Applying one commit to the read models inside a write transaction. Every view is computed in
//! memory first and written only once the whole commit applied, so a commit that cannot be applied
//! changes nothing and is quarantined.

use chrono::{DateTime, NaiveDate, Utc};
use proto::{Commit, EventBody, ThingKind};
use redb::WriteTransaction;

use crate::db::{self, BLUEPRINT_LOG, BLUEPRINTS, DbError, HISTORY, ORGANISATIONS};
use crate::describe::{Before, describe};
use crate::fold::{BlueprintThing, settle_thing, step_blueprint, step_thing, touch};
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

fn unusable(msg: impl Into<String>) -> ApplyError {
    ApplyError::Unusable(msg.into())
}

/// Applies `commit`, stored at `seq` on `subject` as `payload`. Commits on a blueprint and its
/// things are also kept, as stored, in the blueprint's log, which "as of" views fold.
pub fn apply_commit(
    txn: &WriteTransaction,
    seq: u64,
    subject: &str,
    commit: &Commit,
    payload: &[u8],
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
    let summaries = match commit.thing.kind {
        ThingKind::Organisation => apply_organisation(txn, seq, commit, &bodies)?,
        ThingKind::Blueprint => apply_blueprint(txn, seq, commit, &bodies)?,
        ThingKind::Milestone => apply_thing::<MilestoneView>(txn, seq, commit, &bodies, at)?,
        ThingKind::Commitment => apply_thing::<CommitmentView>(txn, seq, commit, &bodies, at)?,
        ThingKind::Pledge => apply_thing::<PledgeView>(txn, seq, commit, &bodies, at)?,
    };
    let entry = HistoryEntry {
        seq,
        recorded_at: at,
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
    if let Some(bp) = &commit.thing.blueprint {
        txn.open_table(BLUEPRINT_LOG)?
            .insert((bp.as_str(), seq), payload)?;
    }
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

fn load_blueprint(txn: &WriteTransaction, bp: &str) -> Result<BlueprintView, ApplyError> {
    let table = txn.open_table(BLUEPRINTS)?;
    db::get::<BlueprintView>(&table, bp)?
        .ok_or_else(|| unusable(format!("blueprint {bp} is not in the read models")))
}

fn save_blueprint(txn: &WriteTransaction, view: &BlueprintView) -> Result<(), ApplyError> {
    txn.open_table(BLUEPRINTS)?
        .insert(view.id.as_str(), db::encode(view)?.as_slice())?;
    Ok(())
}

fn apply_organisation(
    txn: &WriteTransaction,
    seq: u64,
    commit: &Commit,
    bodies: &[EventBody],
) -> Result<Vec<String>, ApplyError> {
    let id = commit.thing.id.as_str();
    let mut view = {
        let table = txn.open_table(ORGANISATIONS)?;
        db::get::<OrganisationView>(&table, id)?
    };
    let mut summaries = Vec::with_capacity(bodies.len());
    for (event, body) in commit.events.iter().zip(bodies) {
        summaries.push(describe(
            body,
            view.as_ref().map_or(Before::Nothing, Before::Organisation),
            event.occurred_on,
        ));
        match (body, &mut view) {
            (EventBody::OrganisationRegistered(e), None) => {
                view = Some(OrganisationView {
                    id: id.to_owned(),
                    name: e.name.clone(),
                    org_type: e.org_type,
                    version: seq,
                });
            }
            (EventBody::OrganisationRenamed(e), Some(v)) => v.name = e.name.clone(),
            (other, _) => {
                return Err(unusable(format!(
                    "{} does not apply to organisation {id}",
                    other.type_name()
                )));
            }
        }
    }
    let mut view = view.ok_or_else(|| unusable("no organisation"))?;
    view.version = seq;
    txn.open_table(ORGANISATIONS)?
        .insert(id, db::encode(&view)?.as_slice())?;
    Ok(summaries)
}

fn apply_blueprint(
    txn: &WriteTransaction,
    seq: u64,
    commit: &Commit,
    bodies: &[EventBody],
) -> Result<Vec<String>, ApplyError> {
    let id = commit.thing.id.as_str();
    let mut view = {
        let table = txn.open_table(BLUEPRINTS)?;
        db::get::<BlueprintView>(&table, id)?
    };
    let mut summaries = Vec::with_capacity(bodies.len());
    for (event, body) in commit.events.iter().zip(bodies) {
        summaries.push(describe(
            body,
            view.as_ref().map_or(Before::Nothing, Before::Blueprint),
            event.occurred_on,
        ));
        step_blueprint(&mut view, id, seq, event.occurred_on, body)
            .map_err(ApplyError::Unusable)?;
    }
    let mut view = view.ok_or_else(|| unusable("no blueprint"))?;
    view.version = seq;
    view.updated_seq = seq;
    touch(&mut view, &occurred(commit), commit.recorded_at);
    save_blueprint(txn, &view)?;
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
    let old = {
        let table = txn.open_table(V::TABLE)?;
        db::get::<V>(&table, &key)?
    };
    let mut blueprint = load_blueprint(txn, &bp)?;
    let mut view = old.clone();
    let mut summaries = Vec::with_capacity(bodies.len());
    for (event, body) in commit.events.iter().zip(bodies) {
        summaries.push(describe(
            body,
            view.as_ref().map_or(Before::Nothing, V::before),
            event.occurred_on,
        ));
        step_thing(&mut view, &bp, &commit.thing.id, event.occurred_on, body)
            .map_err(ApplyError::Unusable)?;
    }
    let mut view = view.ok_or_else(|| unusable(format!("no {}", V::WHAT)))?;
    settle_thing(old.as_ref(), &mut view, &mut blueprint, seq, at);
    touch(&mut blueprint, &occurred(commit), at);
    txn.open_table(V::TABLE)?
        .insert(key.as_str(), db::encode(&view)?.as_slice())?;
    save_blueprint(txn, &blueprint)?;
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
