//! Applying one commit to the read models inside a write transaction. Every view is computed in
//! memory first and written only once the whole commit applied, so a commit that cannot be applied
//! changes nothing and is quarantined.

use chrono::{DateTime, Utc};
use proto::{Commit, EventBody, ThingKind};
use redb::WriteTransaction;

use crate::db::{
    self, BLUEPRINTS, COMMITMENTS, DbError, HISTORY, MILESTONES, ORGANISATIONS, PLEDGES,
};
use crate::describe::describe;
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

/// Applies `commit`, stored at `seq` on `subject`.
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
    let mut resource = None;
    match commit.thing.kind {
        ThingKind::Organisation => apply_organisation(txn, seq, commit, &bodies)?,
        ThingKind::Blueprint => apply_blueprint(txn, seq, commit, &bodies)?,
        ThingKind::Milestone => apply_milestone(txn, seq, commit, &bodies, at)?,
        ThingKind::Commitment => apply_commitment(txn, seq, commit, &bodies, at)?,
        ThingKind::Pledge => resource = Some(apply_pledge(txn, seq, commit, &bodies, at)?),
    }
    let entry = HistoryEntry {
        seq,
        recorded_at: at,
        actor: commit.actor.name.clone(),
        actor_org: commit.actor.org.clone(),
        events: commit
            .events
            .iter()
            .zip(&bodies)
            .map(|(e, b)| HistoryEvent {
                event_type: e.event_type.clone(),
                occurred_on: e.occurred_on,
                summary: describe(b, resource),
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
) -> Result<(), ApplyError> {
    let id = commit.thing.id.as_str();
    let mut view = {
        let table = txn.open_table(ORGANISATIONS)?;
        db::get::<OrganisationView>(&table, id)?
    };
    for body in bodies {
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
    Ok(())
}

fn apply_blueprint(
    txn: &WriteTransaction,
    seq: u64,
    commit: &Commit,
    bodies: &[EventBody],
) -> Result<(), ApplyError> {
    let id = commit.thing.id.as_str();
    let mut view = {
        let table = txn.open_table(BLUEPRINTS)?;
        db::get::<BlueprintView>(&table, id)?
    };
    let events = commit.events.iter().zip(bodies);
    for (event, body) in events {
        if let (EventBody::BlueprintDrafted(e), None) = (body, &view) {
            view = Some(BlueprintView {
                id: id.to_owned(),
                title: e.title.clone(),
                summary: e.summary.clone(),
                lead_org: e.lead_org.clone(),
                start_date: e.start_date,
                target_end_date: e.target_end_date,
                funding_target: e.funding_target,
                staff_time_target: e.staff_time_target,
                status: BlueprintStatus::Draft,
                workstreams: Vec::new(),
                partners: Vec::new(),
                targets: Vec::new(),
                milestones: MilestoneCounts::default(),
                funding: Funding::default(),
                commitments: CommitmentCounts::default(),
                version: seq,
                updated_seq: seq,
            });
            continue;
        }
        let Some(v) = view.as_mut() else {
            return Err(unusable(format!(
                "{} arrived before blueprint {id} was drafted",
                body.type_name()
            )));
        };
        let missing = |what: &str| {
            unusable(format!(
                "{} names an unknown {what} in blueprint {id}",
                body.type_name()
            ))
        };
        match body {
            EventBody::BlueprintPublished(_) => v.status = BlueprintStatus::Published,
            EventBody::BlueprintClosed(_) => v.status = BlueprintStatus::Closed,
            EventBody::WorkstreamAdded(e) => v.workstreams.push(WorkstreamView {
                id: e.workstream.to_string(),
                title: e.title.clone(),
                lead_org: e.lead_org.clone(),
                retired: false,
            }),
            EventBody::WorkstreamRenamed(e) => {
                let w = v
                    .workstreams
                    .iter_mut()
                    .find(|w| w.id == e.workstream.as_str())
                    .ok_or_else(|| missing("workstream"))?;
                w.title = e.title.clone();
            }
            EventBody::WorkstreamRetired(e) => {
                let w = v
                    .workstreams
                    .iter_mut()
                    .find(|w| w.id == e.workstream.as_str())
                    .ok_or_else(|| missing("workstream"))?;
                w.retired = true;
            }
            EventBody::PartnerJoined(e) => {
                if !v.partners.contains(&e.org) {
                    v.partners.push(e.org.clone());
                }
            }
            EventBody::PartnerLeft(e) => v.partners.retain(|p| p != &e.org),
            EventBody::TargetSet(e) => {
                match v.targets.iter_mut().find(|t| t.id == e.target.as_str()) {
                    Some(t) => {
                        t.title = e.title.clone();
                        t.unit = e.unit.clone();
                        t.target_value = e.target_value;
                    }
                    None => v.targets.push(TargetView {
                        id: e.target.to_string(),
                        title: e.title.clone(),
                        unit: e.unit.clone(),
                        target_value: e.target_value,
                        reported_value: None,
                        reported_on: None,
                    }),
                }
            }
            EventBody::TargetReported(e) => {
                let t = v
                    .targets
                    .iter_mut()
                    .find(|t| t.id == e.target.as_str())
                    .ok_or_else(|| missing("target"))?;
                t.reported_value = Some(e.value);
                t.reported_on = Some(event.occurred_on);
            }
            other => {
                return Err(unusable(format!(
                    "{} does not apply to blueprint {id}",
                    other.type_name()
                )));
            }
        }
    }
    let mut view = view.ok_or_else(|| unusable("no blueprint"))?;
    view.version = seq;
    view.updated_seq = seq;
    save_blueprint(txn, &view)
}

fn milestone_counts(counts: &mut MilestoneCounts, status: MilestoneStatus) -> &mut u64 {
    match status {
        MilestoneStatus::Planned => &mut counts.planned,
        MilestoneStatus::InProgress => &mut counts.in_progress,
        MilestoneStatus::Done => &mut counts.done,
        MilestoneStatus::Cancelled => &mut counts.cancelled,
    }
}

fn apply_milestone(
    txn: &WriteTransaction,
    seq: u64,
    commit: &Commit,
    bodies: &[EventBody],
    at: DateTime<Utc>,
) -> Result<(), ApplyError> {
    let (bp, key) = thing_key(commit)?;
    let old = {
        let table = txn.open_table(MILESTONES)?;
        db::get::<MilestoneView>(&table, &key)?
    };
    let mut blueprint = load_blueprint(txn, &bp)?;
    let mut view = old.clone();
    for body in bodies {
        if let (EventBody::MilestonePlanned(e), None) = (body, &view) {
            view = Some(MilestoneView {
                blueprint: bp.clone(),
                id: commit.thing.id.clone(),
                workstream: e.workstream.to_string(),
                title: e.title.clone(),
                owner: e.owner.clone(),
                depends_on: e.depends_on.iter().map(ToString::to_string).collect(),
                baseline: e.due,
                forecast: e.due,
                status: MilestoneStatus::Planned,
                percent: 0,
                started: false,
                progress_note: String::new(),
                completed_on: None,
                evidence: None,
                version: seq,
                updated_at: at,
            });
            continue;
        }
        let Some(v) = view.as_mut() else {
            return Err(unusable(format!(
                "{} arrived before milestone {key} was planned",
                body.type_name()
            )));
        };
        match body {
            EventBody::MilestoneStarted(_) => {
                v.status = MilestoneStatus::InProgress;
                v.started = true;
            }
            EventBody::MilestoneProgressReported(e) => {
                v.percent = e.percent;
                v.progress_note = e.note.clone();
            }
            EventBody::MilestoneReplanned(e) => v.forecast = e.to,
            EventBody::MilestoneCompleted(e) => {
                v.status = MilestoneStatus::Done;
                v.percent = 100;
                v.completed_on = Some(e.on);
                v.evidence = e.evidence.clone();
            }
            EventBody::MilestoneCancelled(_) => v.status = MilestoneStatus::Cancelled,
            EventBody::MilestoneReopened(_) => {
                v.status = if v.started {
                    MilestoneStatus::InProgress
                } else {
                    MilestoneStatus::Planned
                };
                v.completed_on = None;
                v.evidence = None;
            }
            other => {
                return Err(unusable(format!(
                    "{} does not apply to milestone {key}",
                    other.type_name()
                )));
            }
        }
    }
    let mut view = view.ok_or_else(|| unusable("no milestone"))?;
    view.version = seq;
    view.updated_at = at;
    if let Some(old) = &old {
        let c = milestone_counts(&mut blueprint.milestones, old.status);
        *c = c.saturating_sub(1);
    }
    *milestone_counts(&mut blueprint.milestones, view.status) += 1;
    blueprint.updated_seq = seq;
    txn.open_table(MILESTONES)?
        .insert(key.as_str(), db::encode(&view)?.as_slice())?;
    save_blueprint(txn, &blueprint)
}

fn commitment_counts(counts: &mut CommitmentCounts, status: CommitmentStatus) -> &mut u64 {
    match status {
        CommitmentStatus::Made => &mut counts.open,
        CommitmentStatus::Fulfilled => &mut counts.fulfilled,
        CommitmentStatus::Withdrawn => &mut counts.withdrawn,
    }
}

fn apply_commitment(
    txn: &WriteTransaction,
    seq: u64,
    commit: &Commit,
    bodies: &[EventBody],
    at: DateTime<Utc>,
) -> Result<(), ApplyError> {
    let (bp, key) = thing_key(commit)?;
    let old = {
        let table = txn.open_table(COMMITMENTS)?;
        db::get::<CommitmentView>(&table, &key)?
    };
    let mut blueprint = load_blueprint(txn, &bp)?;
    let mut view = old.clone();
    for body in bodies {
        if let (EventBody::CommitmentMade(e), None) = (body, &view) {
            view = Some(CommitmentView {
                blueprint: bp.clone(),
                id: commit.thing.id.clone(),
                partner: e.partner.clone(),
                kind: e.kind,
                description: e.description.clone(),
                quantity: e.quantity,
                unit: e.unit.clone(),
                due: e.due,
                delivered: 0,
                status: CommitmentStatus::Made,
                version: seq,
                updated_at: at,
            });
            continue;
        }
        let Some(v) = view.as_mut() else {
            return Err(unusable(format!(
                "{} arrived before commitment {key} was made",
                body.type_name()
            )));
        };
        match body {
            EventBody::CommitmentDeliveryRecorded(e) => {
                v.delivered = v.delivered.saturating_add(e.quantity)
            }
            EventBody::CommitmentAmended(e) => {
                if let Some(q) = e.quantity {
                    v.quantity = q;
                }
                if let Some(d) = e.due {
                    v.due = d;
                }
            }
            EventBody::CommitmentFulfilled(_) => v.status = CommitmentStatus::Fulfilled,
            EventBody::CommitmentWithdrawn(_) => v.status = CommitmentStatus::Withdrawn,
            other => {
                return Err(unusable(format!(
                    "{} does not apply to commitment {key}",
                    other.type_name()
                )));
            }
        }
    }
    let mut view = view.ok_or_else(|| unusable("no commitment"))?;
    view.version = seq;
    view.updated_at = at;
    if let Some(old) = &old {
        let c = commitment_counts(&mut blueprint.commitments, old.status);
        *c = c.saturating_sub(1);
    }
    *commitment_counts(&mut blueprint.commitments, view.status) += 1;
    blueprint.updated_seq = seq;
    txn.open_table(COMMITMENTS)?
        .insert(key.as_str(), db::encode(&view)?.as_slice())?;
    save_blueprint(txn, &blueprint)
}

fn funding_of(funding: &mut Funding, resource: proto::Resource) -> &mut FundingTotals {
    match resource {
        proto::Resource::Money => &mut funding.money,
        proto::Resource::StaffTime => &mut funding.staff_time,
    }
}

/// Returns the pledge's resource, which the history needs to describe amounts.
fn apply_pledge(
    txn: &WriteTransaction,
    seq: u64,
    commit: &Commit,
    bodies: &[EventBody],
    at: DateTime<Utc>,
) -> Result<proto::Resource, ApplyError> {
    let (bp, key) = thing_key(commit)?;
    let old = {
        let table = txn.open_table(PLEDGES)?;
        db::get::<PledgeView>(&table, &key)?
    };
    let mut blueprint = load_blueprint(txn, &bp)?;
    let mut view = old.clone();
    for body in bodies {
        if let (EventBody::PledgeMade(e), None) = (body, &view) {
            view = Some(PledgeView {
                blueprint: bp.clone(),
                id: commit.thing.id.clone(),
                sponsor: e.sponsor.clone(),
                resource: e.resource,
                workstream: e.workstream.as_ref().map(ToString::to_string),
                conditions: e.conditions.clone(),
                pledged: e.amount,
                confirmed: None,
                disbursed: 0,
                status: PledgeStatus::Pledged,
                version: seq,
                updated_at: at,
            });
            continue;
        }
        let Some(v) = view.as_mut() else {
            return Err(unusable(format!(
                "{} arrived before pledge {key} was made",
                body.type_name()
            )));
        };
        match body {
            EventBody::PledgeConfirmed(e) => {
                v.confirmed = Some(e.amount);
                v.status = PledgeStatus::Confirmed;
            }
            EventBody::PledgeDisbursed(e) => v.disbursed = v.disbursed.saturating_add(e.amount),
            EventBody::PledgeWithdrawn(_) => v.status = PledgeStatus::Withdrawn,
            EventBody::PledgeClosed(_) => v.status = PledgeStatus::Closed,
            other => {
                return Err(unusable(format!(
                    "{} does not apply to pledge {key}",
                    other.type_name()
                )));
            }
        }
    }
    let mut view = view.ok_or_else(|| unusable("no pledge"))?;
    view.version = seq;
    view.updated_at = at;
    if let Some(old) = &old {
        let before = old.contribution();
        let totals = funding_of(&mut blueprint.funding, old.resource);
        totals.pledged = totals.pledged.saturating_sub(before.pledged);
        totals.confirmed = totals.confirmed.saturating_sub(before.confirmed);
        totals.disbursed = totals.disbursed.saturating_sub(before.disbursed);
    }
    let after = view.contribution();
    let totals = funding_of(&mut blueprint.funding, view.resource);
    totals.pledged = totals.pledged.saturating_add(after.pledged);
    totals.confirmed = totals.confirmed.saturating_add(after.confirmed);
    totals.disbursed = totals.disbursed.saturating_add(after.disbursed);
    blueprint.updated_seq = seq;
    txn.open_table(PLEDGES)?
        .insert(key.as_str(), db::encode(&view)?.as_slice())?;
    save_blueprint(txn, &blueprint)?;
    Ok(view.resource)
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
