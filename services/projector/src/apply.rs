//! Applying one commit to the read models inside a write transaction. Every view is computed in
//! memory first and written only once the whole commit applied, so a commit that cannot be applied
//! changes nothing and is quarantined.

use chrono::{DateTime, Utc};
use proto::{Commit, EventBody, ThingKind};
use redb::{TableDefinition, WriteTransaction};

use crate::db::{
    self, BLUEPRINTS, COMMITMENTS, DbError, HISTORY, MILESTONES, ORGANISATIONS, PLEDGES,
};
use crate::describe::{Before, describe};
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
    for body in bodies {
        summaries.push(describe(
            body,
            view.as_ref().map_or(Before::Nothing, Before::Organisation),
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
    let events = commit.events.iter().zip(bodies);
    for (event, body) in events {
        summaries.push(describe(
            body,
            view.as_ref().map_or(Before::Nothing, Before::Blueprint),
        ));
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
    save_blueprint(txn, &view)?;
    Ok(summaries)
}

/// A thing that belongs to a blueprint and adds to its totals: milestones, commitments, pledges.
trait BlueprintThing: Sized + Clone + serde::Serialize + serde::de::DeserializeOwned {
    const TABLE: TableDefinition<'static, &'static str, &'static [u8]>;
    /// The kind, for messages.
    const WHAT: &'static str;
    /// What its first event does, for messages ("planned", "made").
    const CREATED: &'static str;
    /// The view the first event creates, or None when `body` does not create this kind of thing.
    fn create(blueprint: &str, id: &str, body: &EventBody) -> Option<Self>;
    /// Applies a later event; false when it does not apply to this kind of thing.
    fn update(&mut self, body: &EventBody) -> bool;
    fn stamp(&mut self, seq: u64, at: DateTime<Utc>);
    /// Adds this thing's share to its blueprint's totals, or takes it away.
    fn count(&self, blueprint: &mut BlueprintView, add: bool);
    /// The view as history sentences see it before an event.
    fn before(&self) -> Before<'_>;
}

fn adjust(total: &mut u64, amount: u64, add: bool) {
    *total = if add {
        total.saturating_add(amount)
    } else {
        total.saturating_sub(amount)
    };
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
    for body in bodies {
        summaries.push(describe(
            body,
            view.as_ref().map_or(Before::Nothing, V::before),
        ));
        match view.as_mut() {
            None => {
                view = Some(V::create(&bp, &commit.thing.id, body).ok_or_else(|| {
                    unusable(format!(
                        "{} arrived before {} {key} was {}",
                        body.type_name(),
                        V::WHAT,
                        V::CREATED
                    ))
                })?);
            }
            Some(v) => {
                if !v.update(body) {
                    return Err(unusable(format!(
                        "{} does not apply to {} {key}",
                        body.type_name(),
                        V::WHAT
                    )));
                }
            }
        }
    }
    let mut view = view.ok_or_else(|| unusable(format!("no {}", V::WHAT)))?;
    view.stamp(seq, at);
    if let Some(old) = &old {
        old.count(&mut blueprint, false);
    }
    view.count(&mut blueprint, true);
    blueprint.updated_seq = seq;
    txn.open_table(V::TABLE)?
        .insert(key.as_str(), db::encode(&view)?.as_slice())?;
    save_blueprint(txn, &blueprint)?;
    Ok(summaries)
}

impl BlueprintThing for MilestoneView {
    fn before(&self) -> Before<'_> {
        Before::Milestone(self)
    }

    const TABLE: TableDefinition<'static, &'static str, &'static [u8]> = MILESTONES;
    const WHAT: &'static str = "milestone";
    const CREATED: &'static str = "planned";

    fn create(blueprint: &str, id: &str, body: &EventBody) -> Option<Self> {
        let EventBody::MilestonePlanned(e) = body else {
            return None;
        };
        Some(MilestoneView {
            blueprint: blueprint.to_owned(),
            id: id.to_owned(),
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
            version: 0,
            updated_at: DateTime::<Utc>::MIN_UTC,
        })
    }

    fn update(&mut self, body: &EventBody) -> bool {
        match body {
            EventBody::MilestoneStarted(_) => {
                self.status = MilestoneStatus::InProgress;
                self.started = true;
            }
            EventBody::MilestoneProgressReported(e) => {
                self.percent = e.percent;
                self.progress_note = e.note.clone();
            }
            EventBody::MilestoneReplanned(e) => self.forecast = e.to,
            EventBody::MilestoneCompleted(e) => {
                self.status = MilestoneStatus::Done;
                self.percent = 100;
                self.completed_on = Some(e.on);
                self.evidence = e.evidence.clone();
            }
            EventBody::MilestoneCancelled(_) => self.status = MilestoneStatus::Cancelled,
            EventBody::MilestoneReopened(_) => {
                self.status = if self.started {
                    MilestoneStatus::InProgress
                } else {
                    MilestoneStatus::Planned
                };
                self.completed_on = None;
                self.evidence = None;
            }
            _ => return false,
        }
        true
    }

    fn stamp(&mut self, seq: u64, at: DateTime<Utc>) {
        self.version = seq;
        self.updated_at = at;
    }

    fn count(&self, blueprint: &mut BlueprintView, add: bool) {
        let c = &mut blueprint.milestones;
        let total = match self.status {
            MilestoneStatus::Planned => &mut c.planned,
            MilestoneStatus::InProgress => &mut c.in_progress,
            MilestoneStatus::Done => &mut c.done,
            MilestoneStatus::Cancelled => &mut c.cancelled,
        };
        adjust(total, 1, add);
    }
}

impl BlueprintThing for CommitmentView {
    fn before(&self) -> Before<'_> {
        Before::Commitment(self)
    }

    const TABLE: TableDefinition<'static, &'static str, &'static [u8]> = COMMITMENTS;
    const WHAT: &'static str = "commitment";
    const CREATED: &'static str = "made";

    fn create(blueprint: &str, id: &str, body: &EventBody) -> Option<Self> {
        let EventBody::CommitmentMade(e) = body else {
            return None;
        };
        Some(CommitmentView {
            blueprint: blueprint.to_owned(),
            id: id.to_owned(),
            partner: e.partner.clone(),
            kind: e.kind,
            description: e.description.clone(),
            quantity: e.quantity,
            unit: e.unit.clone(),
            due: e.due,
            delivered: 0,
            status: CommitmentStatus::Made,
            version: 0,
            updated_at: DateTime::<Utc>::MIN_UTC,
        })
    }

    fn update(&mut self, body: &EventBody) -> bool {
        match body {
            EventBody::CommitmentDeliveryRecorded(e) => {
                self.delivered = self.delivered.saturating_add(e.quantity)
            }
            EventBody::CommitmentAmended(e) => {
                if let Some(q) = e.quantity {
                    self.quantity = q;
                }
                if let Some(d) = e.due {
                    self.due = d;
                }
            }
            EventBody::CommitmentFulfilled(_) => self.status = CommitmentStatus::Fulfilled,
            EventBody::CommitmentWithdrawn(_) => self.status = CommitmentStatus::Withdrawn,
            _ => return false,
        }
        true
    }

    fn stamp(&mut self, seq: u64, at: DateTime<Utc>) {
        self.version = seq;
        self.updated_at = at;
    }

    fn count(&self, blueprint: &mut BlueprintView, add: bool) {
        let c = &mut blueprint.commitments;
        let total = match self.status {
            CommitmentStatus::Made => &mut c.open,
            CommitmentStatus::Fulfilled => &mut c.fulfilled,
            CommitmentStatus::Withdrawn => &mut c.withdrawn,
        };
        adjust(total, 1, add);
    }
}

impl BlueprintThing for PledgeView {
    fn before(&self) -> Before<'_> {
        Before::Pledge(self)
    }

    const TABLE: TableDefinition<'static, &'static str, &'static [u8]> = PLEDGES;
    const WHAT: &'static str = "pledge";
    const CREATED: &'static str = "made";

    fn create(blueprint: &str, id: &str, body: &EventBody) -> Option<Self> {
        let EventBody::PledgeMade(e) = body else {
            return None;
        };
        Some(PledgeView {
            blueprint: blueprint.to_owned(),
            id: id.to_owned(),
            sponsor: e.sponsor.clone(),
            resource: e.resource,
            workstream: e.workstream.as_ref().map(ToString::to_string),
            conditions: e.conditions.clone(),
            pledged: e.amount,
            confirmed: None,
            disbursed: 0,
            status: PledgeStatus::Pledged,
            version: 0,
            updated_at: DateTime::<Utc>::MIN_UTC,
        })
    }

    fn update(&mut self, body: &EventBody) -> bool {
        match body {
            EventBody::PledgeConfirmed(e) => {
                self.confirmed = Some(e.amount);
                self.status = PledgeStatus::Confirmed;
            }
            EventBody::PledgeDisbursed(e) => {
                self.disbursed = self.disbursed.saturating_add(e.amount)
            }
            EventBody::PledgeWithdrawn(_) => self.status = PledgeStatus::Withdrawn,
            EventBody::PledgeClosed(_) => self.status = PledgeStatus::Closed,
            _ => return false,
        }
        true
    }

    fn stamp(&mut self, seq: u64, at: DateTime<Utc>) {
        self.version = seq;
        self.updated_at = at;
    }

    fn count(&self, blueprint: &mut BlueprintView, add: bool) {
        let share = self.contribution();
        let totals = match self.resource {
            proto::Resource::Money => &mut blueprint.funding.money,
            proto::Resource::StaffTime => &mut blueprint.funding.staff_time,
        };
        adjust(&mut totals.pledged, share.pledged, add);
        adjust(&mut totals.confirmed, share.confirmed, add);
        adjust(&mut totals.disbursed, share.disbursed, add);
    }
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
