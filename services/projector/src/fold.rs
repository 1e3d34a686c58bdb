//! The fold: how each event changes the read models, as pure functions over in-memory views.
//! The projector applies them to the views stored in redb; an "as of" read applies them to a
//! blueprint's logged commits, filtered by when each event happened and when each commit was
//! recorded. One set of rules, so today's figures and a past view cannot drift apart.

use std::borrow::Cow;
use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use proto::{Commit, EventBody, ThingKind};
use redb::TableDefinition;
use serde::{Deserialize, Serialize};

use crate::db::{COMMITMENTS, MILESTONES, PLEDGES};
use crate::describe::Described;
use crate::views::*;

/// A thing that belongs to a blueprint and adds to its totals: milestones, commitments, pledges.
/// Each can also say the creating action that would record it as it stands ([`AsCreated`]).
/// What differs between kinds only by name is declared with [`thing_kind!`].
pub(crate) trait BlueprintThing:
    AsCreated + Described + Sized + Clone + serde::Serialize + serde::de::DeserializeOwned
{
    const TABLE: TableDefinition<'static, &'static str, &'static [u8]>;
    /// The kind, for messages.
    const WHAT: &'static str;
    /// What its first event does, for messages ("planned", "made").
    const CREATED: &'static str;
    /// The payload of the event that creates this kind of thing.
    type Creating;
    /// The payload of `body` when it creates this kind of thing.
    fn creating(body: &EventBody) -> Option<&Self::Creating>;
    /// The view that creating event `e` makes of thing `id` of `blueprint`, not yet stamped.
    fn create(blueprint: &str, id: &str, e: &Self::Creating) -> Self;
    /// Applies a later event that happened on `on`; false when it does not apply to this kind
    /// of thing.
    fn update(&mut self, body: &EventBody, on: NaiveDate) -> bool;
    /// Marks the view as changed last by the commit at `seq`, recorded at `at`.
    fn stamp(&mut self, seq: u64, at: DateTime<Utc>);
    /// Adds this thing's share to its blueprint's totals, or takes it away.
    fn count(&self, blueprint: &mut BlueprintView, add: bool);
}

/// The items of a [`BlueprintThing`] impl that differ between kinds only by name: where the
/// views are stored, what messages call the kind, the event that creates one and what it does,
/// and the stamp every view carries in `version` and `updated_at`.
macro_rules! thing_kind {
    ($table:ident, $what:literal, created by $creating:ident, $created:literal) => {
        const TABLE: TableDefinition<'static, &'static str, &'static [u8]> = $table;
        const WHAT: &'static str = $what;
        const CREATED: &'static str = $created;
        type Creating = proto::$creating;

        fn creating(body: &EventBody) -> Option<&Self::Creating> {
            match body {
                EventBody::$creating(e) => Some(e),
                _ => None,
            }
        }

        fn stamp(&mut self, seq: u64, at: DateTime<Utc>) {
            self.version = seq;
            self.updated_at = at;
        }
    };
}

/// Why an event does not apply to the view of the thing it is on. The projector quarantines the
/// commit holding it (its message is the quarantine reason); a fold leaves the event out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    /// The event arrived before the event that creates its thing.
    #[error("{event} arrived before {thing} was {created}")]
    BeforeCreated {
        event: &'static str,
        /// The thing, as messages name it: `milestone wm/academy`.
        thing: String,
        /// What the creating event does: `planned`.
        created: &'static str,
    },
    /// The event is not one this kind of thing takes, or not at this point of its life.
    #[error("{event} does not apply to {thing}")]
    DoesNotApply { event: &'static str, thing: String },
    /// The event names a workstream or target its blueprint does not have.
    #[error("{event} names an unknown {what} in blueprint {blueprint}")]
    Unknown {
        event: &'static str,
        what: &'static str,
        blueprint: String,
    },
}

/// Applies one event of an organisation's subject; `view` is `None` until the organisation is
/// registered. Fails, changing nothing, when the event does not apply.
pub(crate) fn step_organisation(
    view: &mut Option<OrganisationView>,
    id: &str,
    seq: u64,
    body: &EventBody,
) -> Result<(), StepError> {
    match (body, view.as_mut()) {
        (EventBody::OrganisationRegistered(e), None) => {
            *view = Some(OrganisationView {
                id: id.to_owned(),
                name: e.name.clone(),
                org_type: e.org_type,
                version: seq,
            });
        }
        (EventBody::OrganisationRenamed(e), Some(v)) => v.name = e.name.clone(),
        (other, _) => {
            return Err(StepError::DoesNotApply {
                event: other.type_name(),
                thing: format!("organisation {id}"),
            });
        }
    }
    Ok(())
}

/// Applies one event of a blueprint's own subject; `view` is `None` until the blueprint is
/// drafted. Fails, changing nothing, when the event does not apply.
pub(crate) fn step_blueprint(
    view: &mut Option<BlueprintView>,
    id: &str,
    seq: u64,
    occurred_on: NaiveDate,
    body: &EventBody,
) -> Result<(), StepError> {
    if let (EventBody::BlueprintDrafted(e), None) = (body, &view) {
        *view = Some(BlueprintView {
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
            last_occurred_on: None,
            last_recorded_at: None,
        });
        return Ok(());
    }
    let Some(v) = view.as_mut() else {
        return Err(StepError::BeforeCreated {
            event: body.type_name(),
            thing: format!("blueprint {id}"),
            created: "drafted",
        });
    };
    let missing = |what: &'static str| StepError::Unknown {
        event: body.type_name(),
        what,
        blueprint: id.to_owned(),
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
        EventBody::TargetSet(e) => match v.targets.iter_mut().find(|t| t.id == e.target.as_str()) {
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
        },
        EventBody::TargetReported(e) => {
            let t = v
                .targets
                .iter_mut()
                .find(|t| t.id == e.target.as_str())
                .ok_or_else(|| missing("target"))?;
            // A report dated before the one shown is history, not news: the value shown is the
            // one most recently reported by date (of equal dates, the last recorded).
            if t.reported_on.is_none_or(|d| d <= occurred_on) {
                t.reported_value = Some(e.value);
                t.reported_on = Some(occurred_on);
            }
        }
        other => {
            return Err(StepError::DoesNotApply {
                event: other.type_name(),
                thing: format!("blueprint {id}"),
            });
        }
    }
    Ok(())
}

/// Applies one event to a thing of a blueprint; `view` is `None` until its creating event.
/// Fails, changing nothing, when the event does not apply.
pub(crate) fn step_thing<V: BlueprintThing>(
    view: &mut Option<V>,
    bp: &str,
    id: &str,
    on: NaiveDate,
    body: &EventBody,
) -> Result<(), StepError> {
    match view.as_mut() {
        None => {
            let e = V::creating(body).ok_or_else(|| StepError::BeforeCreated {
                event: body.type_name(),
                thing: format!("{} {bp}/{id}", V::WHAT),
                created: V::CREATED,
            })?;
            *view = Some(V::create(bp, id, e));
        }
        Some(v) => {
            if !v.update(body, on) {
                return Err(StepError::DoesNotApply {
                    event: body.type_name(),
                    thing: format!("{} {bp}/{id}", V::WHAT),
                });
            }
        }
    }
    Ok(())
}

/// Stamps a changed thing and moves its blueprint's totals from its old share to its new one.
pub(crate) fn settle_thing<V: BlueprintThing>(
    old: Option<&V>,
    new: &mut V,
    blueprint: &mut BlueprintView,
    seq: u64,
    at: DateTime<Utc>,
) {
    new.stamp(seq, at);
    if let Some(old) = old {
        old.count(blueprint, false);
    }
    new.count(blueprint, true);
    // A replayed quarantined commit is older than what was applied after it.
    blueprint.updated_seq = blueprint.updated_seq.max(seq);
}

/// Notes on a blueprint that a commit on it (or on one of its things) was applied: the latest
/// date an applied event happened on and the latest instant a commit was recorded at. A view
/// asked for a date and an instant at or after both sees every fact, so it can be read from the
/// stored views instead of folded.
pub(crate) fn touch(blueprint: &mut BlueprintView, occurred: &[NaiveDate], at: DateTime<Utc>) {
    if let Some(latest) = occurred.iter().max() {
        blueprint.last_occurred_on = Some(
            blueprint
                .last_occurred_on
                .map_or(*latest, |d| d.max(*latest)),
        );
    }
    blueprint.last_recorded_at = Some(blueprint.last_recorded_at.map_or(at, |t| t.max(at)));
}

/// Which facts a view shows: those that had happened by the end of `as_of` (each event's
/// `occurred_on`) and, when `known_at` is given, had been recorded by then (each commit's
/// `recorded_at`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub as_of: NaiveDate,
    pub known_at: Option<DateTime<Utc>>,
}

impl Window {
    /// Today's view: every fact recorded so far.
    pub fn today() -> Self {
        Self {
            as_of: Utc::now().date_naive(),
            known_at: None,
        }
    }

    /// Whether every fact of `blueprint` (as stored now) is inside the window, so that the
    /// stored views are the answer.
    pub fn sees_all_of(&self, blueprint: &BlueprintView) -> bool {
        blueprint.last_occurred_on.is_none_or(|d| d <= self.as_of)
            && match (self.known_at, blueprint.last_recorded_at) {
                (Some(k), Some(last)) => last <= k,
                _ => true,
            }
    }

    fn admits_commit(&self, commit: &Commit) -> bool {
        self.known_at.is_none_or(|k| commit.recorded_at <= k)
    }
}

/// A blueprint and all its things, as the stored views hold them or as a fold over its log
/// produced them for a window. Maps are keyed by id, so iteration is in id order, as the stored
/// tables are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlueprintModel {
    pub blueprint: BlueprintView,
    pub milestones: BTreeMap<String, MilestoneView>,
    pub commitments: BTreeMap<String, CommitmentView>,
    pub pledges: BTreeMap<String, PledgeView>,
}

/// One commit of a blueprint's log, decoded once for however many folds read it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub seq: u64,
    pub commit: Commit,
    pub bodies: Vec<EventBody>,
}

impl Logged {
    /// What a blueprint's log keeps of `commit`: what the "as of" folds and the activity read
    /// (the thing, when it was recorded, its events). The caller's idempotency key, the
    /// command's digest, the actor (the thing's history has it) and the events' ids are left
    /// out: they were most of a logged commit's bytes.
    pub fn encode(commit: &Commit) -> Result<Vec<u8>, crate::db::DbError> {
        crate::db::encode(&LoggedCommit {
            thing: Cow::Borrowed(&commit.thing),
            recorded_at: commit.recorded_at,
            events: commit
                .events
                .iter()
                .map(|e| LoggedEvent {
                    event_type: Cow::Borrowed(&e.event_type),
                    version: e.version,
                    occurred_on: e.occurred_on,
                    data: Cow::Borrowed(&e.data),
                })
                .collect(),
        })
    }

    /// Decodes a logged commit; `None` when its events cannot be read (it was applied when
    /// logged, so this only happens if the code that reads an event type was removed). The
    /// commit has only what the log keeps ([`Logged::encode`]): no idempotency key, digest,
    /// actor or event ids.
    pub fn decode(seq: u64, bytes: &[u8]) -> Option<Self> {
        let decoded = crate::db::decode::<LoggedCommit<'static>>(bytes)
            .map_err(|e| e.to_string())
            .map(LoggedCommit::into_commit)
            .and_then(|c| c.bodies().map(|b| (c, b)).map_err(|e| e.to_string()));
        let (commit, bodies) = match decoded {
            Ok(d) => d,
            Err(e) => {
                // The stored views counted it; a past view that leaves it out would differ.
                tracing::warn!(seq, error = %e, "a logged commit no longer decodes; past views leave it out");
                return None;
            }
        };
        Some(Self {
            seq,
            commit,
            bodies,
        })
    }
}

/// A commit as a blueprint's log keeps it: written from a borrowed commit, read as owned.
#[derive(Serialize, Deserialize)]
struct LoggedCommit<'a> {
    thing: Cow<'a, proto::ThingRef>,
    #[serde(with = "crate::stamps::time")]
    recorded_at: DateTime<Utc>,
    events: Vec<LoggedEvent<'a>>,
}

#[derive(Serialize, Deserialize)]
struct LoggedEvent<'a> {
    event_type: Cow<'a, str>,
    version: u16,
    #[serde(with = "crate::stamps::date")]
    occurred_on: NaiveDate,
    data: Cow<'a, rmpv::Value>,
}

impl LoggedCommit<'_> {
    fn into_commit(self) -> Commit {
        Commit {
            format: proto::FORMAT_VERSION,
            thing: self.thing.into_owned(),
            idempotency_key: String::new(),
            request_hash: None,
            actor: proto::Actor::named(""),
            recorded_at: self.recorded_at,
            events: self
                .events
                .into_iter()
                .map(|e| proto::Event {
                    id: String::new(),
                    event_type: e.event_type.into_owned(),
                    version: e.version,
                    occurred_on: e.occurred_on,
                    data: e.data.into_owned(),
                })
                .collect(),
        }
    }
}

/// Folds a blueprint's commits (stream order, as logged) into the model as it stood for
/// `window`. Events outside the window are left out; an event that no longer applies once
/// others are left out (a report on a milestone planned after the date) is left out too, since
/// the thing it changes did not exist yet. `None` when the blueprint had not been drafted.
pub fn fold<'a>(
    commits: impl IntoIterator<Item = &'a Logged>,
    window: &Window,
) -> Option<BlueprintModel> {
    let mut blueprint: Option<BlueprintView> = None;
    let mut milestones = BTreeMap::new();
    let mut commitments = BTreeMap::new();
    let mut pledges = BTreeMap::new();
    for Logged {
        seq,
        commit,
        bodies,
    } in commits
    {
        let seq = *seq;
        if !window.admits_commit(commit) {
            continue;
        }
        let events: Vec<(NaiveDate, &EventBody)> = commit
            .events
            .iter()
            .zip(bodies)
            .filter(|(e, _)| e.occurred_on <= window.as_of)
            .map(|(e, b)| (e.occurred_on, b))
            .collect();
        if events.is_empty() {
            continue;
        }
        let applied = match commit.thing.kind {
            ThingKind::Organisation => continue,
            ThingKind::Blueprint => fold_blueprint(&mut blueprint, seq, &commit.thing.id, &events),
            ThingKind::Milestone => {
                fold_thing(&mut milestones, blueprint.as_mut(), seq, commit, &events)
            }
            ThingKind::Commitment => {
                fold_thing(&mut commitments, blueprint.as_mut(), seq, commit, &events)
            }
            ThingKind::Pledge => fold_thing(&mut pledges, blueprint.as_mut(), seq, commit, &events),
        };
        if let Some(b) = blueprint.as_mut()
            && !applied.is_empty()
        {
            touch(b, &applied, commit.recorded_at);
        }
    }
    Some(BlueprintModel {
        blueprint: blueprint?,
        milestones,
        commitments,
        pledges,
    })
}

/// Folds the events of one commit on the blueprint itself; the dates of those that applied.
fn fold_blueprint(
    blueprint: &mut Option<BlueprintView>,
    seq: u64,
    id: &str,
    events: &[(NaiveDate, &EventBody)],
) -> Vec<NaiveDate> {
    let mut applied = Vec::with_capacity(events.len());
    for (on, body) in events {
        if step_blueprint(blueprint, id, seq, *on, body).is_ok() {
            applied.push(*on);
        }
    }
    if let Some(b) = blueprint.as_mut()
        && !applied.is_empty()
    {
        b.version = seq;
        b.updated_seq = seq;
    }
    applied
}

/// Folds the events of one commit on a thing of the blueprint (none apply before the blueprint
/// is drafted); the dates of those that applied.
fn fold_thing<V: BlueprintThing>(
    things: &mut BTreeMap<String, V>,
    blueprint: Option<&mut BlueprintView>,
    seq: u64,
    commit: &Commit,
    events: &[(NaiveDate, &EventBody)],
) -> Vec<NaiveDate> {
    let mut applied = Vec::with_capacity(events.len());
    let Some(bp) = blueprint else {
        return applied;
    };
    let id = commit.thing.id.as_str();
    let old = things.get(id).cloned();
    let mut view = old.clone();
    for (on, body) in events {
        if step_thing(&mut view, &bp.id, id, *on, body).is_ok() {
            applied.push(*on);
        }
    }
    if !applied.is_empty()
        && let Some(mut view) = view
    {
        settle_thing(old.as_ref(), &mut view, bp, seq, commit.recorded_at);
        things.insert(id.to_owned(), view);
    }
    applied
}

impl BlueprintThing for MilestoneView {
    thing_kind!(MILESTONES, "milestone", created by MilestonePlanned, "planned");

    fn create(blueprint: &str, id: &str, e: &proto::MilestonePlanned) -> Self {
        MilestoneView {
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
            progress_on: None,
            forecast_on: None,
            completed_on: None,
            evidence: None,
            version: 0,
            updated_at: DateTime::<Utc>::MIN_UTC,
        }
    }

    fn update(&mut self, body: &EventBody, on: NaiveDate) -> bool {
        match body {
            EventBody::MilestoneStarted(_) => {
                self.status = MilestoneStatus::InProgress;
                self.started = true;
            }
            // Progress and forecast are as last reported by date: a report recorded late but dated
            // before the one shown does not replace it.
            EventBody::MilestoneProgressReported(e) => {
                if self.progress_on.is_none_or(|d| d <= on) {
                    self.percent = e.percent;
                    self.progress_note = e.note.clone();
                    self.progress_on = Some(on);
                }
            }
            EventBody::MilestoneRetitled(e) => self.title = e.title.clone(),
            EventBody::MilestoneReplanned(e) => {
                if self.forecast_on.is_none_or(|d| d <= on) {
                    self.forecast = e.to;
                    self.forecast_on = Some(on);
                }
            }
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
    thing_kind!(COMMITMENTS, "commitment", created by CommitmentMade, "made");

    fn create(blueprint: &str, id: &str, e: &proto::CommitmentMade) -> Self {
        CommitmentView {
            blueprint: blueprint.to_owned(),
            id: id.to_owned(),
            partner: e.partner.clone(),
            kind: e.kind,
            description: e.description.clone(),
            quantity: e.quantity,
            unit: e.unit.clone(),
            due: e.due,
            delivered: 0,
            quantity_on: None,
            due_on: None,
            status: CommitmentStatus::Made,
            version: 0,
            updated_at: DateTime::<Utc>::MIN_UTC,
        }
    }

    fn update(&mut self, body: &EventBody, on: NaiveDate) -> bool {
        match body {
            EventBody::CommitmentDeliveryRecorded(e) => {
                self.delivered = self.delivered.saturating_add(e.quantity)
            }
            EventBody::CommitmentRetitled(e) => self.description = e.description.clone(),
            // Each amended value stands as last amended by date, like progress reports.
            EventBody::CommitmentAmended(e) => {
                if let Some(q) = e.quantity
                    && self.quantity_on.is_none_or(|d| d <= on)
                {
                    self.quantity = q;
                    self.quantity_on = Some(on);
                }
                if let Some(due) = e.due
                    && self.due_on.is_none_or(|d| d <= on)
                {
                    self.due = due;
                    self.due_on = Some(on);
                }
            }
            EventBody::CommitmentFulfilled(_) => self.status = CommitmentStatus::Fulfilled,
            EventBody::CommitmentWithdrawn(_) => self.status = CommitmentStatus::Withdrawn,
            _ => return false,
        }
        true
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
    thing_kind!(PLEDGES, "pledge", created by PledgeMade, "made");

    fn create(blueprint: &str, id: &str, e: &proto::PledgeMade) -> Self {
        PledgeView {
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
            title: None,
            version: 0,
            updated_at: DateTime::<Utc>::MIN_UTC,
        }
    }

    fn update(&mut self, body: &EventBody, _on: NaiveDate) -> bool {
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
            EventBody::PledgeRetitled(e) => self.title = Some(e.title.clone()),
            _ => return false,
        }
        true
    }

    fn count(&self, blueprint: &mut BlueprintView, add: bool) {
        let totals = match self.resource {
            proto::Resource::Money => &mut blueprint.funding.money,
            proto::Resource::StaffTime => &mut blueprint.funding.staff_time,
        };
        totals.adjust(self.contribution(), add);
    }
}
