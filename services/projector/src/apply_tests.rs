//! Unit tests of [`apply_commit`], one event type per case: given read models with earlier
//! commits applied, when one commit is applied, then exactly the rows and fields it should move
//! have moved. Every commit applied here is also checked to write exactly the rows it owns (the
//! thing's view, its blueprint's view, one history entry and its blueprint's log row), and a
//! refused commit to write nothing, since the batch that calls `apply_commit` keeps its
//! transaction after a refusal and commits it with the quarantine row.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::str::FromStr;

use chrono::{DateTime, Days, NaiveDate, TimeZone, Utc};
use proptest::prelude::*;
use proto::*;
use redb::{Database, Durability, ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use serde::de::DeserializeOwned;

use crate::apply::{ApplyError, apply_commit};
use crate::db::{
    BLUEPRINT_LOG, BLUEPRINTS, COMMITMENTS, HISTORY, META, MILESTONES, ORGANISATIONS, PLEDGES,
    QUARANTINE,
};
use crate::views::*;
use crate::{BatchOutcome, Received, apply_batch, quarantined};

const BP: &str = "wm";

fn id<T: FromStr<Err: Debug>>(s: &str) -> T {
    s.parse().unwrap()
}

fn d(s: &str) -> NaiveDate {
    id(s)
}

/// The day commit `seq` happens on, unless a test dates it otherwise.
fn day(seq: u64) -> NaiveDate {
    d("2026-05-01") + Days::new(seq)
}

/// When commit `seq` is recorded.
fn noon(seq: u64) -> DateTime<Utc> {
    Utc.from_utc_datetime(&day(seq).and_hms_opt(12, 0, 0).unwrap())
}

fn organisation(org: &str) -> ThingRef {
    ThingRef::organisation(&id(org))
}

fn blueprint() -> ThingRef {
    ThingRef::blueprint(&id(BP))
}

fn milestone(m: &str) -> ThingRef {
    ThingRef::milestone(&id(BP), &id(m))
}

fn commitment(c: &str) -> ThingRef {
    ThingRef::commitment(&id(BP), &id(c))
}

fn pledge(p: &str) -> ThingRef {
    ThingRef::pledge(&id(BP), &id(p))
}

/// A commit of `events` on `thing`, all happening on `on`, recorded at `at` by a GDS user.
fn commit(thing: ThingRef, events: &[EventBody], on: NaiveDate, at: DateTime<Utc>) -> Commit {
    Commit {
        format: FORMAT_VERSION,
        thing,
        idempotency_key: "key".into(),
        request_hash: None,
        actor: Actor {
            name: "tester".into(),
            org: Some(id("gds")),
        },
        recorded_at: at,
        events: events.iter().map(|b| Event::new(b, on).unwrap()).collect(),
    }
}

// ---- events ----

fn registered() -> EventBody {
    OrganisationRegistered {
        name: "Government Digital Service".into(),
        org_type: OrgType::CentralGovernment,
    }
    .into()
}

fn drafted() -> EventBody {
    BlueprintDrafted {
        title: "West Midlands digital".into(),
        summary: "Skills and services".into(),
        lead_org: id("gds"),
        start_date: d("2026-01-01"),
        target_end_date: d("2027-12-31"),
        funding_target: 10_000_000,
        staff_time_target: Some(50_000),
    }
    .into()
}

fn workstream_added() -> EventBody {
    WorkstreamAdded {
        workstream: id("skills"),
        title: "Skills".into(),
        lead_org: id("wmca"),
    }
    .into()
}

fn target_set(value: u64) -> EventBody {
    TargetSet {
        target: id("roles"),
        title: "Tech roles".into(),
        unit: "roles".into(),
        target_value: value,
    }
    .into()
}

fn target_reported(value: u64, note: &str) -> EventBody {
    TargetReported {
        target: id("roles"),
        value,
        note: note.into(),
    }
    .into()
}

fn planned() -> EventBody {
    MilestonePlanned {
        workstream: id("skills"),
        title: "Academy".into(),
        owner: id("gds"),
        depends_on: vec![id("hub")],
        due: d("2026-08-31"),
    }
    .into()
}

fn started() -> EventBody {
    MilestoneStarted {}.into()
}

fn progress(percent: u8, note: &str) -> EventBody {
    MilestoneProgressReported {
        percent,
        note: note.into(),
    }
    .into()
}

fn completed() -> EventBody {
    MilestoneCompleted {
        on: d("2026-08-20"),
        evidence: Some("https://example.org/report".into()),
    }
    .into()
}

fn replanned() -> EventBody {
    MilestoneReplanned {
        from: d("2026-08-31"),
        to: d("2026-09-30"),
        reason: "venue late".into(),
    }
    .into()
}

fn made() -> EventBody {
    CommitmentMade {
        partner: id("wmca"),
        kind: CommitmentKind::Secondment,
        description: "Two analysts".into(),
        quantity: 3,
        unit: "secondees".into(),
        due: d("2026-09-30"),
    }
    .into()
}

fn pledge_made(resource: Resource, amount: u64) -> EventBody {
    PledgeMade {
        sponsor: id("gds"),
        resource,
        amount,
        workstream: Some(id("skills")),
        conditions: "match funding".into(),
    }
    .into()
}

fn confirmed(amount: u64) -> EventBody {
    PledgeConfirmed { amount }.into()
}

fn disbursed(amount: u64) -> EventBody {
    PledgeDisbursed {
        amount,
        note: "first payment".into(),
    }
    .into()
}

// ---- expected values ----

/// `bp` after a commit at `seq` on one of its things, dated on its own day.
fn touched(bp: BlueprintView, seq: u64) -> BlueprintView {
    BlueprintView {
        updated_seq: seq,
        last_occurred_on: Some(day(seq)),
        last_recorded_at: Some(noon(seq)),
        ..bp
    }
}

/// `bp` after a commit at `seq` on the blueprint itself.
fn revised(bp: BlueprintView, seq: u64) -> BlueprintView {
    BlueprintView {
        version: seq,
        ..touched(bp, seq)
    }
}

fn milestone_counts(planned: u64, in_progress: u64, done: u64, cancelled: u64) -> MilestoneCounts {
    MilestoneCounts {
        planned,
        in_progress,
        done,
        cancelled,
    }
}

fn commitment_counts(open: u64, fulfilled: u64, withdrawn: u64) -> CommitmentCounts {
    CommitmentCounts {
        open,
        fulfilled,
        withdrawn,
    }
}

fn totals(pledged: u64, confirmed: u64, disbursed: u64) -> FundingTotals {
    FundingTotals {
        pledged,
        confirmed,
        disbursed,
    }
}

/// Funding of `money` and no staff time.
fn money(money: FundingTotals) -> Funding {
    Funding {
        money,
        staff_time: FundingTotals::default(),
    }
}

/// Pledge `p` of `wm` as `pledge_made(resource, amount)` creates it in a commit at `seq`.
fn made_pledge(p: &str, resource: Resource, amount: u64, seq: u64) -> PledgeView {
    PledgeView {
        blueprint: BP.into(),
        id: p.into(),
        sponsor: id("gds"),
        resource,
        workstream: Some("skills".into()),
        conditions: "match funding".into(),
        pledged: amount,
        confirmed: None,
        disbursed: 0,
        status: PledgeStatus::Pledged,
        title: None,
        version: seq,
        updated_at: noon(seq),
    }
}

/// The rows a commit at `seq` on `thing` writes.
fn owned_rows(thing: &ThingRef, seq: u64) -> BTreeSet<String> {
    let table = match thing.kind {
        ThingKind::Organisation => ORGANISATIONS,
        ThingKind::Blueprint => BLUEPRINTS,
        ThingKind::Milestone => MILESTONES,
        ThingKind::Commitment => COMMITMENTS,
        ThingKind::Pledge => PLEDGES,
    };
    let mut rows = BTreeSet::from([
        format!("{} {}", table.name(), thing.display_name()),
        format!("{} {} #{seq}", HISTORY.name(), thing.subject()),
    ]);
    if let Some(bp) = &thing.blueprint {
        rows.insert(format!("{} {bp}", BLUEPRINTS.name()));
        rows.insert(format!("{} {bp} #{seq}", BLUEPRINT_LOG.name()));
    }
    if thing.kind == ThingKind::Organisation {
        // What shows organisations' names is current while this stands.
        rows.insert(format!("{} {}", META.name(), crate::db::ORGANISATIONS_KEY));
    }
    rows
}

/// A thing of a blueprint that adds to its totals, as these tests read it and expect it.
trait Thing: DeserializeOwned + Debug + PartialEq {
    const TABLE: TableDefinition<'static, &'static str, &'static [u8]>;
    /// The blueprint's totals of things of this kind.
    type Totals;
    /// Thing `id` of `wm`.
    fn thing(id: &str) -> ThingRef;
    /// `self` at the version and time of the commit at `seq`.
    fn stamped(self, seq: u64) -> Self;
    /// `bp` with its totals of things of this kind at `totals`.
    fn totalled(bp: BlueprintView, totals: Self::Totals) -> BlueprintView;
}

macro_rules! things {
    ($($view:ident: $thing:ident in $table:ident, totalled in $field:ident: $totals:ty;)*) => {$(
        impl Thing for $view {
            const TABLE: TableDefinition<'static, &'static str, &'static [u8]> = $table;
            type Totals = $totals;
            fn thing(id: &str) -> ThingRef {
                $thing(id)
            }
            fn stamped(self, seq: u64) -> Self {
                Self { version: seq, updated_at: noon(seq), ..self }
            }
            fn totalled(bp: BlueprintView, totals: $totals) -> BlueprintView {
                BlueprintView { $field: totals, ..bp }
            }
        }
    )*};
}
things! {
    MilestoneView: milestone in MILESTONES, totalled in milestones: MilestoneCounts;
    CommitmentView: commitment in COMMITMENTS, totalled in commitments: CommitmentCounts;
    PledgeView: pledge in PLEDGES, totalled in funding: Funding;
}

/// A change to a thing of `wm`: the model given, the event applied to the thing in the next
/// commit, what that changes in the thing on the commit's day (besides its version and time),
/// the blueprint's totals of its kind after it, and the history sentence.
type Change<V> = (
    Model,
    EventBody,
    fn(&mut V, NaiveDate),
    <V as Thing>::Totals,
    &'static str,
);

/// A change to `wm` itself: the model given, the event applied to it in the next commit, what
/// that changes in it on the commit's day (besides what every commit on it changes), and the
/// history sentence.
type Revision = (
    Model,
    EventBody,
    fn(&mut BlueprintView, NaiveDate),
    &'static str,
);

/// Checks each of `cases` on thing `id` of `wm`, as [`Model::changes`] does.
fn check_changes<V: Thing, const N: usize>(id: &str, cases: [Change<V>; N]) {
    for (mut m, event, change, totals, summary) in cases {
        let commit = m.next(V::thing(id), &[event]);
        let on = commit.events[0].occurred_on;
        m.changes(commit, |v| change(v, on), totals, &[summary]);
    }
}

/// Adds every row of `table` to `rows`, keyed by the table's name and `key` of the row's key.
fn dump<K: redb::Key + 'static, V: redb::Value + 'static>(
    txn: &redb::ReadTransaction,
    table: TableDefinition<K, V>,
    key: impl Fn(K::SelfType<'_>) -> String,
    value: impl Fn(V::SelfType<'_>) -> Vec<u8>,
    rows: &mut BTreeMap<String, Vec<u8>>,
) {
    for row in txn.open_table(table).unwrap().iter().unwrap() {
        let (k, v) = row.unwrap();
        rows.insert(
            format!("{} {}", table.name(), key(k.value())),
            value(v.value()),
        );
    }
}

// ---- the read models ----

/// Read models in a temporary database, and the sequence of the last commit applied to them.
struct Model {
    _dir: tempfile::TempDir,
    db: Database,
    seq: u64,
}

impl Model {
    fn empty() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = crate::db::open(&dir.path().join("read.redb")).unwrap();
        Self {
            _dir: dir,
            db,
            seq: 0,
        }
    }

    /// Blueprint `wm`, drafted at 1.
    fn drafted() -> Self {
        Self::empty().given(blueprint(), &[drafted()])
    }

    /// `wm` with milestone `hub` planned at 2 and `academy` at 3.
    fn milestones_planned() -> Self {
        Self::drafted()
            .given(milestone("hub"), &[planned()])
            .given(milestone("academy"), &[planned()])
    }

    /// `wm` with commitment `hosting` made at 2 and `secondees` at 3.
    fn commitments_made() -> Self {
        Self::drafted()
            .given(commitment("hosting"), &[made()])
            .given(commitment("secondees"), &[made()])
    }

    /// `wm` with pledge `other` made and confirmed for £10 at 2.
    fn other_pledge_confirmed() -> Self {
        Self::drafted().given(
            pledge("other"),
            &[pledge_made(Resource::Money, 1_000), confirmed(1_000)],
        )
    }

    /// As [`Model::other_pledge_confirmed`], with pledge `fund` made for £50,000 at 3.
    fn fund_pledged() -> Self {
        Self::other_pledge_confirmed()
            .given(pledge("fund"), &[pledge_made(Resource::Money, 5_000_000)])
    }

    /// Given: the next commit of `events` on `thing` was applied.
    fn given(mut self, thing: ThingRef, events: &[EventBody]) -> Self {
        self.when(thing, events);
        self
    }

    /// The next commit of `events` on `thing`, happening on the day of its sequence.
    fn next(&self, thing: ThingRef, events: &[EventBody]) -> Commit {
        self.next_on(thing, events, day(self.seq + 1))
    }

    /// The next commit of `events` on `thing`, happening on `on`.
    fn next_on(&self, thing: ThingRef, events: &[EventBody], on: NaiveDate) -> Commit {
        commit(thing, events, on, noon(self.seq + 1))
    }

    /// Applies `commit`, stored on `subject`, at the next sequence in a write transaction that
    /// is committed whatever the outcome, as a batch does: whatever was written stays.
    fn apply_on(&mut self, subject: &str, commit: &Commit) -> Result<(), ApplyError> {
        self.seq += 1;
        let mut txn = self.db.begin_write().unwrap();
        txn.set_durability(Durability::None).unwrap();
        let result = apply_commit(&txn, self.seq, subject, commit);
        txn.commit().unwrap();
        result
    }

    /// When: the next commit of `events` on `thing` is applied. Returns its sequence.
    fn when(&mut self, thing: ThingRef, events: &[EventBody]) -> u64 {
        self.when_commit(self.next(thing, events))
    }

    /// When: `commit` is applied on its own subject. It must apply and write exactly the rows
    /// it owns: its history entry says who recorded which events when, and a commit of a
    /// blueprint is logged with what its log keeps. Returns its sequence.
    fn when_commit(&mut self, commit: Commit) -> u64 {
        let before = self.rows();
        let thing = commit.thing.clone();
        if let Err(e) = self.apply_on(&thing.subject(), &commit) {
            panic!("{} was refused: {e}", thing.display_name());
        }
        let seq = self.seq;
        let after = self.rows();
        let changed: BTreeSet<String> = before
            .keys()
            .chain(after.keys())
            .filter(|k| before.get(*k) != after.get(*k))
            .cloned()
            .collect();
        assert_eq!(changed, owned_rows(&thing, seq), "rows written");

        let entry = self.history(&thing, seq);
        assert_eq!(
            (entry.seq, entry.recorded_at, entry.actor.as_str()),
            (seq, commit.recorded_at, "tester")
        );
        assert_eq!(entry.actor_org, Some(id("gds")));
        let events: Vec<_> = entry
            .events
            .iter()
            .map(|e| (e.event_type.as_str(), e.occurred_on))
            .collect();
        let expected: Vec<_> = commit
            .events
            .iter()
            .map(|e| (e.event_type.as_str(), e.occurred_on))
            .collect();
        assert_eq!(events, expected, "history events");
        if let Some(bp) = &thing.blueprint {
            assert_eq!(self.logged(bp.as_str(), seq), kept(&commit));
        }
        seq
    }

    /// When: `commit` on `wm` itself is applied. Then: `wm` is as it stood, revised by the
    /// commit, with `change` made, and the history says `summaries`.
    fn revises(
        &mut self,
        commit: Commit,
        change: impl FnOnce(&mut BlueprintView),
        summaries: &[&str],
    ) -> u64 {
        let mut expected = self.blueprint();
        let what = commit.events[0].event_type.clone();
        let seq = self.when_commit(commit);
        expected = revised(expected, seq);
        change(&mut expected);
        assert_eq!(self.blueprint(), expected, "{what}");
        assert_eq!(self.summaries(&blueprint(), seq), summaries, "{what}");
        seq
    }

    /// When: `commit` on a thing of `wm` is applied. Then: the thing is exactly what `view`
    /// makes of it as it stood (`None` before its creating commit) and the commit's sequence;
    /// `wm` is exactly what `blueprint` makes of it as it stood, touched by the commit; and the
    /// history says `summaries`. Returns the sequence.
    fn then_thing<V: Thing>(
        &mut self,
        commit: Commit,
        view: impl FnOnce(Option<V>, u64) -> V,
        blueprint: impl FnOnce(BlueprintView) -> BlueprintView,
        summaries: &[&str],
    ) -> u64 {
        let thing = commit.thing.clone();
        let what = format!(
            "{} on {}",
            commit.events[0].event_type,
            thing.display_name()
        );
        let (before, bp) = (self.find(V::TABLE, &thing.display_name()), self.blueprint());
        let seq = self.when_commit(commit);
        assert_eq!(self.view::<V>(&thing), view(before, seq), "{what}");
        assert_eq!(
            self.blueprint(),
            blueprint(touched(bp, seq)),
            "{what}: {BP}"
        );
        assert_eq!(self.summaries(&thing, seq), summaries, "{what}: history");
        seq
    }

    /// As [`Model::then_thing`] for a commit that creates its thing: `view(seq)` is the view it
    /// creates, and `totals` the blueprint's totals of its kind after it.
    fn creates<V: Thing>(
        &mut self,
        commit: Commit,
        view: impl FnOnce(u64) -> V,
        totals: V::Totals,
        summaries: &[&str],
    ) -> u64 {
        let created = |before: Option<V>, seq| {
            assert_eq!(before, None, "the thing already existed");
            view(seq)
        };
        let totalled = |bp| V::totalled(bp, totals);
        self.then_thing(commit, created, totalled, summaries)
    }

    /// As [`Model::then_thing`] for a commit that changes a thing: the thing is as it stood, at
    /// the commit's version and time, with `change` made; `totals` are the blueprint's totals of
    /// its kind after it.
    fn changes<V: Thing>(
        &mut self,
        commit: Commit,
        change: impl FnOnce(&mut V),
        totals: V::Totals,
        summaries: &[&str],
    ) -> u64 {
        let changed = |before: Option<V>, seq| {
            let mut view = before.expect("no such thing").stamped(seq);
            change(&mut view);
            view
        };
        let totalled = |bp| V::totalled(bp, totals);
        self.then_thing(commit, changed, totalled, summaries)
    }

    /// Applies `commit` on `subject`, which must be refused as unusable without writing
    /// anything. Returns the reason.
    fn refuses_on(&mut self, subject: &str, commit: &Commit) -> String {
        let before = self.rows();
        let result = self.apply_on(subject, commit);
        assert_eq!(self.rows(), before, "a refused commit wrote rows");
        match result {
            Err(ApplyError::Unusable(reason)) => reason,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    /// Applies `commit` on its own subject, which must be refused without writing anything.
    fn refuses(&mut self, commit: &Commit) -> String {
        self.refuses_on(&commit.thing.subject(), commit)
    }

    /// Applies each of `cases`, an event on a thing in the next commit, which must be refused
    /// for the reason given without writing anything.
    fn refuses_each<const N: usize>(mut self, cases: [(ThingRef, EventBody, &str); N]) {
        for (thing, event, expected) in cases {
            let reason = self.refuses(&self.next(thing, &[event]));
            assert_eq!(reason, expected);
        }
    }

    /// Every row of every table, by table and key.
    fn rows(&self) -> BTreeMap<String, Vec<u8>> {
        let txn = self.db.begin_read().unwrap();
        let mut rows = BTreeMap::new();
        let bytes = |v: &[u8]| v.to_vec();
        for table in [ORGANISATIONS, BLUEPRINTS, MILESTONES, COMMITMENTS, PLEDGES] {
            dump(&txn, table, str::to_owned, bytes, &mut rows);
        }
        let key = |(_, subject, seq): (u64, &str, u64)| format!("{subject} #{seq}");
        dump(&txn, HISTORY, key, bytes, &mut rows);
        let key = |(bp, seq): (&str, u64)| format!("{bp} #{seq}");
        dump(&txn, BLUEPRINT_LOG, key, bytes, &mut rows);
        dump(&txn, QUARANTINE, |seq| format!("#{seq}"), bytes, &mut rows);
        let count = |v: u64| v.to_le_bytes().to_vec();
        dump(&txn, META, str::to_owned, count, &mut rows);
        rows
    }

    fn find<T: DeserializeOwned>(
        &self,
        table: TableDefinition<'static, &'static str, &'static [u8]>,
        key: &str,
    ) -> Option<T> {
        let txn = self.db.begin_read().unwrap();
        crate::db::get(&txn.open_table(table).unwrap(), key).unwrap()
    }

    fn read<T: DeserializeOwned>(
        &self,
        table: TableDefinition<'static, &'static str, &'static [u8]>,
        key: &str,
    ) -> T {
        self.find(table, key)
            .unwrap_or_else(|| panic!("no {key} in {}", table.name()))
    }

    fn organisation(&self, org: &str) -> OrganisationView {
        self.read(ORGANISATIONS, org)
    }

    fn blueprint(&self) -> BlueprintView {
        self.read(BLUEPRINTS, BP)
    }

    /// The view of `thing`, a thing of `wm`.
    fn view<V: Thing>(&self, thing: &ThingRef) -> V {
        self.read(V::TABLE, &thing.display_name())
    }

    /// Every thing of one kind of `wm`, as stored.
    fn all<V: Thing>(&self) -> Vec<V> {
        let txn = self.db.begin_read().unwrap();
        crate::db::scan_prefix(&txn.open_table(V::TABLE).unwrap(), BP).unwrap()
    }

    fn history(&self, thing: &ThingRef, seq: u64) -> HistoryEntry {
        let txn = self.db.begin_read().unwrap();
        let table = txn.open_table(HISTORY).unwrap();
        let row = table
            .get(crate::db::history_key(&thing.subject(), seq))
            .unwrap();
        crate::db::decode(row.expect("a history entry").value()).unwrap()
    }

    /// The history sentences of the commit at `seq` on `thing`.
    fn summaries(&self, thing: &ThingRef, seq: u64) -> Vec<String> {
        let entry = self.history(thing, seq);
        entry.events.into_iter().map(|e| e.summary).collect()
    }

    /// Adds each thing of one kind of `wm`, as stored, to a total by `add`.
    fn tally<V: Thing, T: Default>(&self, add: impl Fn(&mut T, V)) -> T {
        let mut total = T::default();
        for v in self.all() {
            add(&mut total, v);
        }
        total
    }

    /// The counters and totals of `wm`, counted afresh from its things as stored.
    fn recount(&self) -> (MilestoneCounts, CommitmentCounts, Funding) {
        let milestones = self.tally(|c: &mut MilestoneCounts, v: MilestoneView| {
            *match v.status {
                MilestoneStatus::Planned => &mut c.planned,
                MilestoneStatus::InProgress => &mut c.in_progress,
                MilestoneStatus::Done => &mut c.done,
                MilestoneStatus::Cancelled => &mut c.cancelled,
            } += 1
        });
        let commitments = self.tally(|c: &mut CommitmentCounts, v: CommitmentView| {
            *match v.status {
                CommitmentStatus::Made => &mut c.open,
                CommitmentStatus::Fulfilled => &mut c.fulfilled,
                CommitmentStatus::Withdrawn => &mut c.withdrawn,
            } += 1
        });
        let funding = self.tally(|f: &mut Funding, v: PledgeView| {
            let share = v.contribution();
            let t = match v.resource {
                Resource::Money => &mut f.money,
                Resource::StaffTime => &mut f.staff_time,
            };
            t.pledged += share.pledged;
            t.confirmed += share.confirmed;
            t.disbursed += share.disbursed;
        });
        (milestones, commitments, funding)
    }

    /// The commit logged for blueprint `bp` at `seq`, as the log keeps it.
    fn logged(&self, bp: &str, seq: u64) -> Commit {
        let txn = self.db.begin_read().unwrap();
        let table = txn.open_table(BLUEPRINT_LOG).unwrap();
        let row = table.get((bp, seq)).unwrap();
        crate::fold::Logged::decode(seq, row.expect("a log row").value())
            .expect("the logged commit decodes")
            .commit
    }
}

/// What a blueprint's log keeps of `commit`: the thing, when it was recorded and its events, not
/// who recorded it, its idempotency key, its digest or the events' ids.
fn kept(commit: &Commit) -> Commit {
    let mut kept = commit.clone();
    kept.idempotency_key.clear();
    kept.request_hash = None;
    kept.actor = proto::Actor::named("");
    for event in &mut kept.events {
        event.id.clear();
    }
    kept
}

// ---- organisations ----

#[test]
fn organisation_registered_creates_the_organisation_outside_any_blueprint_log() {
    let mut m = Model::empty();

    let seq = m.when(organisation("gds"), &[registered()]);

    assert_eq!(
        m.organisation("gds"),
        OrganisationView {
            id: "gds".into(),
            name: "Government Digital Service".into(),
            org_type: OrgType::CentralGovernment,
            version: seq,
        }
    );
    assert_eq!(
        m.summaries(&organisation("gds"), seq),
        ["Registered Government Digital Service (central government)"]
    );
}

#[test]
fn organisation_renamed_changes_only_the_name_and_version() {
    let mut m = Model::empty().given(organisation("gds"), &[registered()]);
    let before = m.organisation("gds");

    let seq = m.when(
        organisation("gds"),
        &[OrganisationRenamed { name: "GDS".into() }.into()],
    );

    assert_eq!(
        m.organisation("gds"),
        OrganisationView {
            name: "GDS".into(),
            version: seq,
            ..before
        }
    );
    assert_eq!(
        m.summaries(&organisation("gds"), seq),
        ["Renamed from Government Digital Service to GDS"]
    );
}

// ---- blueprints ----

#[test]
fn blueprint_drafted_creates_an_empty_draft_logged_as_stored() {
    let mut m = Model::empty();
    let commit = m.next(blueprint(), &[drafted()]);

    let seq = m.when_commit(commit.clone());

    assert_eq!(
        m.blueprint(),
        BlueprintView {
            id: BP.into(),
            title: "West Midlands digital".into(),
            summary: "Skills and services".into(),
            lead_org: id("gds"),
            start_date: d("2026-01-01"),
            target_end_date: d("2027-12-31"),
            funding_target: 10_000_000,
            staff_time_target: Some(50_000),
            status: BlueprintStatus::Draft,
            workstreams: vec![],
            partners: vec![],
            targets: vec![],
            milestones: MilestoneCounts::default(),
            funding: Funding::default(),
            commitments: CommitmentCounts::default(),
            version: seq,
            updated_seq: seq,
            last_occurred_on: Some(day(seq)),
            last_recorded_at: Some(noon(seq)),
        }
    );
    assert_eq!(
        m.history(&blueprint(), seq),
        HistoryEntry {
            seq,
            recorded_at: noon(seq),
            actor: "tester".into(),
            actor_org: Some(id("gds")),
            events: vec![HistoryEvent {
                event_type: "blueprint.drafted".into(),
                occurred_on: day(seq),
                summary: "Drafted \"West Midlands digital\", 2026-01-01 to 2027-12-31, \
                          funding target £100,000.00"
                    .into(),
            }],
        }
    );
    assert_eq!(m.logged(BP, seq), kept(&commit));
}

/// Each event on the blueprint's own subject, applied in the next commit to the model given:
/// what it changes in the blueprint on the commit's day, besides what every commit on it
/// changes ([`revised`]), and its history sentence.
#[test]
fn each_blueprint_event_revises_the_blueprint_and_says_what_changed() {
    let planned = Model::milestones_planned();
    assert_eq!(planned.blueprint().milestones, milestone_counts(2, 0, 0, 0));
    let with_skills = || Model::drafted().given(blueprint(), &[workstream_added()]);
    let with_roles = || Model::drafted().given(blueprint(), &[target_set(100)]);
    let partners = [
        PartnerJoined { org: id("wmca") }.into(),
        PartnerJoined { org: id("nhs") }.into(),
    ];
    let cases: [Revision; 10] = [
        // Publishing keeps the totals of its things.
        (
            planned,
            BlueprintPublished {}.into(),
            |bp, _| bp.status = BlueprintStatus::Published,
            "Published",
        ),
        (
            Model::drafted().given(blueprint(), &[BlueprintPublished {}.into()]),
            BlueprintClosed {
                reason: "delivered".into(),
            }
            .into(),
            |bp, _| bp.status = BlueprintStatus::Closed,
            "Closed: delivered",
        ),
        // A workstream is added active.
        (
            Model::drafted(),
            workstream_added(),
            |bp, _| {
                bp.workstreams = vec![WorkstreamView {
                    id: "skills".into(),
                    title: "Skills".into(),
                    lead_org: id("wmca"),
                    retired: false,
                }]
            },
            "Added workstream skills \"Skills\", led by wmca",
        ),
        (
            with_skills(),
            WorkstreamRenamed {
                workstream: id("skills"),
                title: "Digital skills".into(),
            }
            .into(),
            |bp, _| bp.workstreams[0].title = "Digital skills".into(),
            "Renamed workstream skills from \"Skills\" to \"Digital skills\"",
        ),
        // A retired workstream is kept, marked retired.
        (
            with_skills(),
            WorkstreamRetired {
                workstream: id("skills"),
                reason: "merged".into(),
            }
            .into(),
            |bp, _| bp.workstreams[0].retired = true,
            "Retired workstream skills: merged",
        ),
        (
            Model::drafted(),
            PartnerJoined { org: id("wmca") }.into(),
            |bp, _| bp.partners = vec![id("wmca")],
            "wmca joined as a partner",
        ),
        // Only the partner that leaves is removed.
        (
            Model::drafted().given(blueprint(), &partners),
            PartnerLeft {
                org: id("wmca"),
                reason: "moved on".into(),
            }
            .into(),
            |bp, _| bp.partners = vec![id("nhs")],
            "wmca left: moved on",
        ),
        // A target is added unreported.
        (
            Model::drafted(),
            target_set(100),
            |bp, _| {
                bp.targets = vec![TargetView {
                    id: "roles".into(),
                    title: "Tech roles".into(),
                    unit: "roles".into(),
                    target_value: 100,
                    reported_value: None,
                    reported_on: None,
                }]
            },
            "Set target roles \"Tech roles\": 100 roles",
        ),
        // Set again, a target changes and keeps its report.
        (
            with_roles().given(blueprint(), &[target_reported(40, "")]),
            target_set(120),
            |bp, _| bp.targets[0].target_value = 120,
            "Set target roles \"Tech roles\": 120 roles",
        ),
        // A report shows the value and its date.
        (
            with_roles(),
            target_reported(40, "Q2"),
            |bp, on| {
                bp.targets[0].reported_value = Some(40);
                bp.targets[0].reported_on = Some(on);
            },
            "Reported 40 for target roles: Q2",
        ),
    ];
    for (mut m, event, change, summary) in cases {
        let commit = m.next(blueprint(), &[event]);
        let on = commit.events[0].occurred_on;
        m.revises(commit, |bp| change(bp, on), &[summary]);
    }
}

#[test]
fn target_reported_with_an_earlier_date_leaves_the_standing_report() {
    let mut m = Model::drafted()
        .given(blueprint(), &[target_set(100)])
        .given(blueprint(), &[target_reported(40, "Q2")]);
    let standing = m.blueprint().last_occurred_on;

    m.revises(
        m.next_on(blueprint(), &[target_reported(30, "Q1")], day(1)),
        |bp| bp.last_occurred_on = standing,
        &["Reported 30 for target roles, dated before the report of 40 that stands: Q1"],
    );
}

// ---- milestones ----

#[test]
fn milestone_planned_creates_it_at_its_baseline_and_counts_it_planned() {
    let mut m = Model::drafted().given(milestone("hub"), &[planned()]);

    m.creates(
        m.next(milestone("academy"), &[planned()]),
        |seq| MilestoneView {
            blueprint: BP.into(),
            id: "academy".into(),
            workstream: "skills".into(),
            title: "Academy".into(),
            owner: id("gds"),
            depends_on: vec!["hub".into()],
            baseline: d("2026-08-31"),
            forecast: d("2026-08-31"),
            status: MilestoneStatus::Planned,
            percent: 0,
            started: false,
            progress_note: String::new(),
            progress_on: None,
            forecast_on: None,
            completed_on: None,
            evidence: None,
            version: seq,
            updated_at: noon(seq),
        },
        milestone_counts(2, 0, 0, 0),
        &["Planned \"Academy\" for 2026-08-31, owned by gds"],
    );
}

/// Each event that changes milestone `academy` of `wm`, planned after `hub`.
#[test]
fn each_milestone_event_changes_the_milestone_its_counts_and_its_history() {
    use MilestoneStatus::*;
    let under_way = || Model::milestones_planned().given(milestone("academy"), &[started()]);
    let paused = MilestoneCancelled {
        reason: "paused".into(),
    };
    check_changes::<MilestoneView, 8>(
        "academy",
        [
            (
                Model::milestones_planned(),
                started(),
                |v, _| {
                    v.status = InProgress;
                    v.started = true;
                },
                milestone_counts(1, 1, 0, 0),
                "Started",
            ),
            // Progress sets the percent, the note and its date, but no count.
            (
                under_way(),
                progress(40, "curriculum written"),
                |v, on| {
                    v.percent = 40;
                    v.progress_note = "curriculum written".into();
                    v.progress_on = Some(on);
                },
                milestone_counts(1, 1, 0, 0),
                "Progress from 0% to 40%: curriculum written",
            ),
            // A replan moves the forecast, not the baseline.
            (
                Model::milestones_planned(),
                replanned(),
                |v, on| {
                    v.forecast = d("2026-09-30");
                    v.forecast_on = Some(on);
                },
                milestone_counts(2, 0, 0, 0),
                "Replanned from 2026-08-31 to 2026-09-30: venue late",
            ),
            (
                under_way(),
                completed(),
                |v, _| {
                    v.status = Done;
                    v.percent = 100;
                    v.completed_on = Some(d("2026-08-20"));
                    v.evidence = Some("https://example.org/report".into());
                },
                milestone_counts(1, 0, 1, 0),
                "Completed on 2026-08-20 (evidence: https://example.org/report)",
            ),
            (
                Model::milestones_planned(),
                MilestoneCancelled {
                    reason: "funding cut".into(),
                }
                .into(),
                |v, _| v.status = Cancelled,
                milestone_counts(1, 0, 0, 1),
                "Cancelled: funding cut",
            ),
            // Reopened after completion, it is in progress again without the completion; the
            // percent stays at the 100 the completion set.
            (
                Model::milestones_planned().given(milestone("academy"), &[started(), completed()]),
                MilestoneReopened {
                    reason: "evidence rejected".into(),
                }
                .into(),
                |v, _| {
                    v.status = InProgress;
                    v.completed_on = None;
                    v.evidence = None;
                },
                milestone_counts(1, 1, 0, 0),
                "Reopened: evidence rejected",
            ),
            // Reopened after a cancellation, never started, it is planned again.
            (
                Model::milestones_planned().given(milestone("academy"), &[paused.into()]),
                MilestoneReopened {
                    reason: "funded".into(),
                }
                .into(),
                |v, _| v.status = Planned,
                milestone_counts(2, 0, 0, 0),
                "Reopened: funded",
            ),
            // A retitle changes only the title.
            (
                Model::milestones_planned(),
                MilestoneRetitled {
                    title: "GDS academy: first cohort".into(),
                }
                .into(),
                |v, _| v.title = "GDS academy: first cohort".into(),
                milestone_counts(2, 0, 0, 0),
                "Retitled from \"Academy\" to \"GDS academy: first cohort\"",
            ),
        ],
    );
}

#[test]
fn milestone_replanned_slips_by_the_days_the_forecast_moved() {
    let m = Model::milestones_planned().given(milestone("academy"), &[replanned()]);

    let academy: MilestoneView = m.view(&milestone("academy"));
    assert_eq!(academy.slippage_days(), 30);
}

#[test]
fn milestone_progress_reported_with_an_earlier_date_leaves_the_standing_report() {
    let mut m = Model::milestones_planned().given(milestone("academy"), &[progress(60, "most")]);
    let standing = m.blueprint().last_occurred_on;

    m.then_thing(
        m.next_on(milestone("academy"), &[progress(40, "some")], day(1)),
        |before: Option<MilestoneView>, seq| before.unwrap().stamped(seq),
        |bp| BlueprintView {
            last_occurred_on: standing,
            ..bp
        },
        &["Progress reported at 40%, dated before the 60% report that stands: some"],
    );
}

// ---- commitments ----

#[test]
fn commitment_made_creates_it_undelivered_and_counts_it_open() {
    let mut m = Model::drafted().given(commitment("hosting"), &[made()]);

    m.creates(
        m.next(commitment("secondees"), &[made()]),
        |seq| CommitmentView {
            blueprint: BP.into(),
            id: "secondees".into(),
            partner: id("wmca"),
            kind: CommitmentKind::Secondment,
            description: "Two analysts".into(),
            quantity: 3,
            unit: "secondees".into(),
            due: d("2026-09-30"),
            delivered: 0,
            quantity_on: None,
            due_on: None,
            status: CommitmentStatus::Made,
            version: seq,
            updated_at: noon(seq),
        },
        commitment_counts(2, 0, 0),
        &["wmca committed 3 secondees of secondment by 2026-09-30: Two analysts"],
    );
}

/// Each event that changes commitment `secondees` of `wm`, made after `hosting`.
#[test]
fn each_commitment_event_changes_the_commitment_its_counts_and_its_history() {
    let delivery = CommitmentDeliveryRecorded {
        quantity: 1,
        note: "started in June".into(),
    };
    let amended = CommitmentAmended {
        quantity: Some(4),
        due: Some(d("2026-10-31")),
        reason: "extended".into(),
    };
    check_changes::<CommitmentView, 5>(
        "secondees",
        [
            // A delivery adds to what was delivered.
            (
                Model::commitments_made()
                    .given(commitment("secondees"), &[delivery.clone().into()]),
                delivery.into(),
                |v, _| v.delivered = 2,
                commitment_counts(2, 0, 0),
                "Delivered 1, bringing secondees to 2 of 3: started in June",
            ),
            // An amendment changes the quantity and the due date, each with its date.
            (
                Model::commitments_made(),
                amended.into(),
                |v, on| {
                    v.quantity = 4;
                    v.quantity_on = Some(on);
                    v.due = d("2026-10-31");
                    v.due_on = Some(on);
                },
                commitment_counts(2, 0, 0),
                "Amended quantity from 3 to 4 secondees and due date from 2026-09-30 to \
                 2026-10-31: extended",
            ),
            (
                Model::commitments_made(),
                CommitmentFulfilled {}.into(),
                |v, _| v.status = CommitmentStatus::Fulfilled,
                commitment_counts(1, 1, 0),
                "Fulfilled",
            ),
            (
                Model::commitments_made(),
                CommitmentWithdrawn {
                    reason: "reorganisation".into(),
                }
                .into(),
                |v, _| v.status = CommitmentStatus::Withdrawn,
                commitment_counts(1, 0, 1),
                "Withdrawn: reorganisation",
            ),
            // A retitle changes only the description.
            (
                Model::commitments_made(),
                CommitmentRetitled {
                    description: "Two secondees to the Birmingham hub".into(),
                }
                .into(),
                |v, _| v.description = "Two secondees to the Birmingham hub".into(),
                commitment_counts(2, 0, 0),
                "Description corrected to \"Two secondees to the Birmingham hub\"",
            ),
        ],
    );
}

// ---- pledges ----

#[test]
fn pledge_made_creates_it_and_adds_to_what_is_pledged_of_its_resource() {
    let cases = [
        (
            "fund",
            Resource::Money,
            5_000_000,
            money(totals(5_001_000, 1_000, 0)),
            "gds pledged £50,000.00, on condition: match funding",
        ),
        (
            "days",
            Resource::StaffTime,
            2_000,
            Funding {
                money: totals(1_000, 1_000, 0),
                staff_time: totals(2_000, 0, 0),
            },
            "gds pledged 20.00 person-days, on condition: match funding",
        ),
    ];
    for (p, resource, amount, funding, summary) in cases {
        let mut m = Model::other_pledge_confirmed();
        assert_eq!(m.blueprint().funding, money(totals(1_000, 1_000, 0)));

        m.creates(
            m.next(pledge(p), &[pledge_made(resource, amount)]),
            |seq| made_pledge(p, resource, amount, seq),
            funding,
            &[summary],
        );
    }
}

/// Each event that changes pledge `fund` of `wm`, made for £50,000 after pledge `other` was
/// made and confirmed for £10.
#[test]
fn each_pledge_event_changes_the_pledge_its_funding_and_its_history() {
    let paid = Model::fund_pledged().given(
        pledge("fund"),
        &[confirmed(4_000_000), disbursed(1_500_000)],
    );
    assert_eq!(
        paid.blueprint().funding,
        money(totals(5_001_000, 4_001_000, 1_500_000))
    );
    let withdrawn = PledgeWithdrawn {
        reason: "sponsor pulled out".into(),
    };
    check_changes::<PledgeView, 5>(
        "fund",
        [
            // A confirmation sets the confirmed amount and adds it to the totals.
            (
                Model::fund_pledged(),
                confirmed(4_000_000),
                |v, _| {
                    v.confirmed = Some(4_000_000);
                    v.status = PledgeStatus::Confirmed;
                },
                money(totals(5_001_000, 4_001_000, 0)),
                "Confirmed £40,000.00 (pledged £50,000.00)",
            ),
            (
                Model::fund_pledged().given(pledge("fund"), &[confirmed(4_000_000)]),
                disbursed(1_500_000),
                |v, _| v.disbursed = 1_500_000,
                money(totals(5_001_000, 4_001_000, 1_500_000)),
                "Disbursed £15,000.00, bringing payments to £15,000.00 of £40,000.00 confirmed: \
                 first payment",
            ),
            // A withdrawn pledge keeps only what was disbursed in the totals.
            (
                paid,
                withdrawn.into(),
                |v, _| v.status = PledgeStatus::Withdrawn,
                money(totals(1_501_000, 1_501_000, 1_500_000)),
                "Withdrawn: sponsor pulled out",
            ),
            // Closing keeps the totals.
            (
                Model::fund_pledged().given(
                    pledge("fund"),
                    &[confirmed(4_000_000), disbursed(4_000_000)],
                ),
                PledgeClosed {}.into(),
                |v, _| v.status = PledgeStatus::Closed,
                money(totals(5_001_000, 4_001_000, 4_000_000)),
                "Closed",
            ),
            // A retitle gives the pledge a title and keeps the totals.
            (
                Model::fund_pledged(),
                PledgeRetitled {
                    title: "Academy fund".into(),
                }
                .into(),
                |v, _| v.title = Some("Academy fund".into()),
                money(totals(5_001_000, 1_000, 0)),
                "Titled \"Academy fund\"",
            ),
        ],
    );
}

#[test]
fn a_commit_of_several_events_applies_and_describes_each_in_turn() {
    let mut m = Model::other_pledge_confirmed();

    let events = [
        pledge_made(Resource::Money, 5_000_000),
        confirmed(4_000_000),
    ];
    m.creates(
        m.next(pledge("fund"), &events),
        |seq| PledgeView {
            confirmed: Some(4_000_000),
            status: PledgeStatus::Confirmed,
            ..made_pledge("fund", Resource::Money, 5_000_000, seq)
        },
        money(totals(5_001_000, 4_001_000, 0)),
        &[
            "gds pledged £50,000.00, on condition: match funding",
            "Confirmed £40,000.00 (pledged £50,000.00)",
        ],
    );
}

/// History is kept in eras of stream sequences (`db::history_era`): a thing's history reads
/// the same across eras, empty ones between them too, and never mixes in another thing's.
#[test]
fn a_things_history_reads_in_order_across_eras() {
    use std::ops::ControlFlow;

    use crate::fold::Window;
    let m = Model::drafted();
    let era = 1u64 << crate::db::HISTORY_ERA_BITS;
    let (hub, other) = (milestone("hub"), milestone("other"));
    let batch = [
        received(2, hub.clone(), &[planned()]),
        received(era - 2, other.clone(), &[planned()]),
        received(era - 1, hub.clone(), &[progress(10, "first")]),
        received(3 * era, other.clone(), &[started()]),
        received(3 * era + 1, hub.clone(), &[progress(20, "second")]),
        received(3 * era + 2, hub.clone(), &[progress(30, "third")]),
    ];
    crate::apply_batch(&m.db, &batch).unwrap();
    let reader = crate::read::Reader::new(&m.db).unwrap();
    let seqs = |entries: &[HistoryEntry]| entries.iter().map(|h| h.seq).collect::<Vec<_>>();
    let all = [2, era - 1, 3 * era + 1, 3 * era + 2];

    assert_eq!(seqs(&reader.history(&hub.subject()).unwrap()), all);
    assert_eq!(
        seqs(&reader.history(&other.subject()).unwrap()),
        [era - 2, 3 * era]
    );
    let window = Window {
        as_of: day(4 * era),
        known_at: None,
    };
    for limit in 1..=4 {
        let (latest, earlier) = reader
            .latest_history(&hub.subject(), &window, Some(limit))
            .unwrap();
        assert_eq!(seqs(&latest), all[4 - limit..], "the latest {limit}");
        assert_eq!(earlier, limit < 4, "older than the latest {limit}");
    }
    let txn = m.db.begin_read().unwrap();
    let mut from_era = Vec::new();
    crate::db::visit_history(
        &txn.open_table(HISTORY).unwrap(),
        &hub.subject(),
        era - 1,
        false,
        |seq, _| {
            from_era.push(seq);
            Ok(ControlFlow::Continue(()))
        },
    )
    .unwrap();
    assert_eq!(from_era, all[1..]);
}

// ---- refusals ----

#[test]
fn a_commit_stored_on_another_subject_is_refused() {
    let mut m = Model::milestones_planned();
    let commit = m.next(milestone("academy"), &[started()]);

    let reason = m.refuses_on(&milestone("hub").subject(), &commit);

    assert_eq!(
        reason,
        "the commit names waymark.evt.wm.milestone.academy \
         but was stored on waymark.evt.wm.milestone.hub"
    );
}

#[test]
fn a_commit_with_no_events_is_refused() {
    let mut m = Model::milestones_planned();

    let reason = m.refuses(&m.next(milestone("academy"), &[]));

    assert_eq!(reason, "the commit has no events");
}

#[test]
fn a_commit_with_an_unknown_event_type_is_refused() {
    let mut m = Model::milestones_planned();
    let mut commit = m.next(milestone("academy"), &[started()]);
    commit.events[0].event_type = "milestone.teleported".into();

    let reason = m.refuses(&commit);

    assert_eq!(reason, "unknown event type milestone.teleported v1");
}

#[test]
fn a_thing_of_a_blueprint_not_in_the_read_models_is_refused() {
    let mut m = Model::empty();

    let reason = m.refuses(&m.next(milestone("academy"), &[planned()]));

    assert_eq!(reason, "blueprint wm is not in the read models");
}

#[test]
fn a_thing_naming_no_blueprint_is_refused() {
    let mut m = Model::drafted();
    let thing = ThingRef {
        blueprint: None,
        ..milestone("academy")
    };

    let reason = m.refuses(&m.next(thing, &[planned()]));

    assert_eq!(reason, "the commit names no blueprint");
}

#[test]
fn renaming_an_unregistered_organisation_is_refused() {
    let mut m = Model::empty();
    let renamed = OrganisationRenamed { name: "GDS".into() };

    let reason = m.refuses(&m.next(organisation("gds"), &[renamed.into()]));

    assert_eq!(
        reason,
        "organisation.renamed does not apply to organisation gds"
    );
}

#[test]
fn registering_an_organisation_twice_is_refused() {
    let mut m = Model::empty().given(organisation("gds"), &[registered()]);

    let reason = m.refuses(&m.next(organisation("gds"), &[registered()]));

    assert_eq!(
        reason,
        "organisation.registered does not apply to organisation gds"
    );
}

#[test]
fn a_blueprint_event_before_the_draft_is_refused() {
    let mut m = Model::empty();

    let reason = m.refuses(&m.next(blueprint(), &[BlueprintPublished {}.into()]));

    assert_eq!(
        reason,
        "blueprint.published arrived before blueprint wm was drafted"
    );
}

#[test]
fn drafting_a_blueprint_twice_is_refused() {
    let mut m = Model::drafted();

    let reason = m.refuses(&m.next(blueprint(), &[drafted()]));

    assert_eq!(reason, "blueprint.drafted does not apply to blueprint wm");
}

#[test]
fn blueprint_events_naming_an_unknown_workstream_or_target_are_refused() {
    let renamed = WorkstreamRenamed {
        workstream: id("skills"),
        title: "t".into(),
    };
    let retired = WorkstreamRetired {
        workstream: id("skills"),
        reason: "r".into(),
    };
    Model::drafted().refuses_each([
        (
            blueprint(),
            renamed.into(),
            "workstream.renamed names an unknown workstream in blueprint wm",
        ),
        (
            blueprint(),
            retired.into(),
            "workstream.retired names an unknown workstream in blueprint wm",
        ),
        (
            blueprint(),
            target_reported(1, ""),
            "target.reported names an unknown target in blueprint wm",
        ),
    ]);
}

#[test]
fn an_event_on_a_thing_before_its_creating_event_is_refused() {
    Model::drafted().refuses_each([
        (
            milestone("academy"),
            started(),
            "milestone.started arrived before milestone wm/academy was planned",
        ),
        (
            commitment("secondees"),
            CommitmentFulfilled {}.into(),
            "commitment.fulfilled arrived before commitment wm/secondees was made",
        ),
        (
            pledge("fund"),
            confirmed(1),
            "pledge.confirmed arrived before pledge wm/fund was made",
        ),
    ]);
}

#[test]
fn an_event_that_does_not_apply_to_the_thing_is_refused() {
    let m = Model::milestones_planned()
        .given(organisation("gds"), &[registered()])
        .given(commitment("secondees"), &[made()])
        .given(pledge("fund"), &[pledge_made(Resource::Money, 1)]);
    m.refuses_each([
        (
            organisation("gds"),
            BlueprintPublished {}.into(),
            "blueprint.published does not apply to organisation gds",
        ),
        (
            blueprint(),
            registered(),
            "organisation.registered does not apply to blueprint wm",
        ),
        (
            milestone("academy"),
            planned(),
            "milestone.planned does not apply to milestone wm/academy",
        ),
        (
            milestone("academy"),
            confirmed(1),
            "pledge.confirmed does not apply to milestone wm/academy",
        ),
        (
            commitment("secondees"),
            made(),
            "commitment.made does not apply to commitment wm/secondees",
        ),
        (
            pledge("fund"),
            started(),
            "milestone.started does not apply to pledge wm/fund",
        ),
    ]);
}

#[test]
fn a_commit_whose_later_event_does_not_apply_writes_none_of_it() {
    let mut m = Model::milestones_planned();

    let commit = m.next(milestone("academy"), &[started(), planned()]);
    let reason = m.refuses(&commit);

    assert_eq!(
        reason,
        "milestone.planned does not apply to milestone wm/academy"
    );
    let academy: MilestoneView = m.view(&milestone("academy"));
    assert_eq!(academy.status, MilestoneStatus::Planned);
}

#[test]
fn a_batch_quarantines_a_refused_commit_and_applies_the_others() {
    let m = Model::drafted();
    let received = |seq: u64, commit: Commit| Received {
        seq,
        subject: commit.thing.subject(),
        payload: commit.encode().unwrap().into(),
        pending: 0,
        published_unix: 0,
    };
    let batch = [
        received(
            2,
            commit(milestone("academy"), &[planned()], day(2), noon(2)),
        ),
        received(3, commit(milestone("hub"), &[started()], day(3), noon(3))),
        received(
            4,
            commit(milestone("academy"), &[started()], day(4), noon(4)),
        ),
    ];

    let outcome = apply_batch(&m.db, &batch).unwrap();

    assert_eq!(
        outcome,
        BatchOutcome {
            checkpoint: 4,
            applied: 2,
            quarantined: 1,
            skipped: 0,
        }
    );
    let entries = quarantined(&m.db).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].seq, entries[0].subject.as_str()),
        (3, "waymark.evt.wm.milestone.hub")
    );
    assert_eq!(
        entries[0].reason,
        "milestone.started arrived before milestone wm/hub was planned"
    );
    let keys: Vec<String> = m.rows().into_keys().collect();
    assert_eq!(
        keys,
        [
            "blueprint_log wm #1",
            "blueprint_log wm #2",
            "blueprint_log wm #4",
            "blueprints wm",
            "history waymark.evt.wm.blueprint.wm #1",
            "history waymark.evt.wm.milestone.academy #2",
            "history waymark.evt.wm.milestone.academy #4",
            "meta checkpoint",
            "meta schema",
            "milestones wm/academy",
            "quarantine #3",
        ]
    );
    assert_eq!(m.blueprint().milestones, milestone_counts(0, 1, 0, 0));
    assert_eq!(m.blueprint().updated_seq, 4);
}

// ---- every commit, valid or not ----

/// One event on one of five things of `wm`, mostly of the thing's own kind, valid or not in the
/// state it meets.
fn any_step() -> impl Strategy<Value = (ThingRef, EventBody)> {
    let milestones = prop_oneof![Just(milestone("m1")), Just(milestone("m2"))].boxed();
    let pledges = prop_oneof![Just(pledge("p1")), Just(pledge("p2"))].boxed();
    let milestone_event = prop_oneof![
        3 => Just(planned()),
        1 => Just(started()),
        1 => (0u8..=100).prop_map(|p| progress(p, "")),
        1 => Just(completed()),
        1 => Just(MilestoneCancelled { reason: "r".into() }.into()),
        1 => Just(MilestoneReopened { reason: "r".into() }.into()),
    ]
    .boxed();
    let commitment_event = prop_oneof![
        2 => Just(made()),
        1 => Just(CommitmentFulfilled {}.into()),
        1 => Just(CommitmentWithdrawn { reason: "r".into() }.into()),
    ]
    .boxed();
    let pledge_event = prop_oneof![
        2 => (1u64..1_000).prop_map(|a| pledge_made(Resource::Money, a)),
        1 => (1u64..1_000).prop_map(|a| pledge_made(Resource::StaffTime, a)),
        2 => (1u64..1_000).prop_map(confirmed),
        2 => (1u64..1_000).prop_map(disbursed),
        1 => Just(PledgeWithdrawn { reason: "r".into() }.into()),
        1 => Just(PledgeClosed {}.into()),
    ]
    .boxed();
    let any_thing = prop_oneof![milestones.clone(), Just(commitment("c1")), pledges.clone()];
    let any_event = prop_oneof![
        milestone_event.clone(),
        commitment_event.clone(),
        pledge_event.clone()
    ];
    prop_oneof![
        3 => (milestones, milestone_event),
        2 => (Just(commitment("c1")), commitment_event),
        3 => (pledges, pledge_event),
        1 => (any_thing, any_event),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever is recorded, a refused commit changes no row, and the blueprint's counters and
    /// totals are always those of its things as stored.
    #[test]
    fn the_blueprint_totals_are_always_the_sum_of_its_things(
        steps in proptest::collection::vec(any_step(), 1..25),
    ) {
        let mut m = Model::drafted();
        for (thing, event) in steps {
            let commit = m.next(thing, &[event]);
            let before = m.rows();
            if m.apply_on(&commit.thing.subject(), &commit).is_err() {
                prop_assert_eq!(m.rows(), before);
            }
        }
        let bp = m.blueprint();
        prop_assert_eq!(
            (bp.milestones, bp.commitments, bp.funding),
            m.recount()
        );
    }

    /// A batch holds the views its commits change and writes them when it ends: whatever is
    /// recorded (refused commits among them), one batch makes the read models that one batch a
    /// commit does, and so does a batch that starts half-way.
    #[test]
    fn one_batch_makes_the_read_models_of_a_batch_a_commit(
        steps in proptest::collection::vec(any_step(), 1..25),
        split in any::<prop::sample::Index>(),
    ) {
        let mut commits = vec![received(1, blueprint(), &[drafted()])];
        for (thing, event) in steps {
            let seq = commits.len() as u64 + 1;
            commits.push(received(seq, thing, &[event]));
        }
        let project = |batches: Vec<&[Received]>| {
            let dir = tempfile::tempdir().unwrap();
            let db = crate::db::open(&dir.path().join("read.redb")).unwrap();
            for batch in batches {
                crate::apply_batch_as(&db, batch, Durability::None).unwrap();
            }
            crate::offline::digest(&db).unwrap()
        };
        let (a, b) = commits.split_at(split.index(commits.len()));
        let one_each = project(commits.chunks(1).collect());
        prop_assert_eq!(&project(vec![&commits]), &one_each);
        prop_assert_eq!(&project(vec![a, b]), &one_each);
    }
}

/// Commit `seq` of `events` on `thing`, as received from the stream.
fn received(seq: u64, thing: ThingRef, events: &[EventBody]) -> Received {
    let commit = commit(thing, events, day(seq), noon(seq));
    Received {
        seq,
        subject: commit.thing.subject(),
        payload: commit.encode().unwrap().into(),
        pending: 0,
        published_unix: 0,
    }
}

/// Figures shared between readers (`crate::cache`) are taken only for the state they were
/// computed from.
mod shared_figures {
    use std::sync::Arc;

    use super::*;
    use crate::cache::FiguresCache;
    use crate::db::REVISION_KEY;
    use crate::fold::Window;
    use crate::read::Reader;
    use crate::status::RagRules;

    fn figures(
        m: &Model,
        cache: &Arc<FiguresCache>,
        generation: u64,
    ) -> Arc<crate::figures::BlueprintFigures> {
        Reader::shared(&m.db, cache.clone(), generation)
            .unwrap()
            .figures(BP, &Window::today(), &RagRules::default())
            .unwrap()
            .expect("drafted")
    }

    /// Sets a value the read models keep beside their views, as a write other than a batch
    /// would.
    fn set_meta(m: &Model, key: &str, value: u64) {
        let txn = m.db.begin_write().unwrap();
        txn.open_table(META).unwrap().insert(key, value).unwrap();
        txn.commit().unwrap();
    }

    /// Two milestones planned, and their figures read once through a new cache.
    fn read_once() -> (
        Model,
        Arc<FiguresCache>,
        Arc<crate::figures::BlueprintFigures>,
    ) {
        let m = Model::milestones_planned();
        let cache = Arc::new(FiguresCache::default());
        let first = figures(&m, &cache, 0);
        (m, cache, first)
    }

    #[test]
    fn a_later_reader_takes_the_same_figures_until_the_blueprint_changes() {
        let mut m = Model::milestones_planned();
        let cache = Arc::new(FiguresCache::default());
        let first = figures(&m, &cache, 0);
        assert_eq!(first.milestones.len(), 2);
        assert!(
            Arc::ptr_eq(&first, &figures(&m, &cache, 0)),
            "computed once"
        );

        m.when(milestone("hub"), &[started()]);
        let after = figures(&m, &cache, 0);
        assert!(!Arc::ptr_eq(&first, &after));
        assert_eq!(after.summary.checkpoint, 0, "no batch moved the checkpoint");
        let hub = after.milestones.iter().find(|a| a.milestone.id == "hub");
        assert_eq!(
            hub.map(|a| a.milestone.status),
            Some(MilestoneStatus::InProgress)
        );
        let uncached = Reader::new(&m.db)
            .unwrap()
            .figures(BP, &Window::today(), &RagRules::default())
            .unwrap()
            .unwrap();
        assert_eq!(
            serde_json::to_value(&*after).unwrap(),
            serde_json::to_value(&*uncached).unwrap(),
            "the shared figures are those computed afresh"
        );
    }

    #[test]
    fn a_portfolio_entry_is_kept_until_its_blueprint_changes() {
        let mut m = Model::milestones_planned();
        let cache = Arc::new(FiguresCache::default());
        let portfolio = |m: &Model| {
            Reader::shared(&m.db, cache.clone(), 0)
                .unwrap()
                .portfolio(&Window::today(), &RagRules::default(), |_| true)
                .unwrap()
        };
        let progress = |m: &Model| {
            let entries = portfolio(m);
            assert_eq!(entries.len(), 1);
            (entries[0].progress.done, entries[0].progress.total)
        };
        assert_eq!(progress(&m), (0, 2));
        assert_eq!(progress(&m), (0, 2), "read again from what was kept");
        m.when(milestone("hub"), &[completed()]);
        assert_eq!(progress(&m), (1, 2), "the blueprint changed");
        m.when(milestone("later"), &[planned()]);
        assert_eq!(progress(&m), (1, 3));
    }

    #[test]
    fn a_blueprint_view_is_decoded_again_only_once_its_bytes_change() {
        let mut m = Model::milestones_planned();
        let cache = Arc::new(FiguresCache::default());
        let view = |m: &Model| {
            Reader::shared(&m.db, cache.clone(), 0)
                .unwrap()
                .blueprint_shared("wm")
                .unwrap()
                .expect("the blueprint")
        };
        let first = view(&m);
        assert!(
            Arc::ptr_eq(&first, &view(&m)),
            "the same bytes, the same view"
        );
        m.when(milestone("hub"), &[completed()]);
        let after = view(&m);
        assert!(!Arc::ptr_eq(&first, &after), "the blueprint changed");
        assert_eq!(*after, m.find::<BlueprintView>(BLUEPRINTS, "wm").unwrap());
        assert_ne!(*first, *after);
    }

    #[test]
    fn another_file_or_revision_is_computed_afresh() {
        let (m, cache, first) = read_once();
        assert!(
            !Arc::ptr_eq(&first, &figures(&m, &cache, 1)),
            "a swapped-in file is another generation"
        );
        set_meta(&m, REVISION_KEY, 1);
        assert!(
            !Arc::ptr_eq(&first, &figures(&m, &cache, 0)),
            "a write out of order raises the revision"
        );
    }

    #[test]
    fn figures_read_at_a_later_checkpoint_say_so() {
        let (m, cache, first) = read_once();
        set_meta(&m, crate::db::CHECKPOINT_KEY, 99);
        let later = figures(&m, &cache, 0);
        assert_eq!(
            (first.summary.checkpoint, later.summary.checkpoint),
            (0, 99)
        );
        assert_eq!(first.milestones.len(), later.milestones.len());
    }
}

#[test]
fn batches_committed_without_a_flush_are_kept_by_the_next_durable_commit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("read.redb");
    let db = crate::db::open(&path).unwrap();
    let first = [received(1, blueprint(), &[drafted()])];
    let second = [received(2, milestone("hub"), &[planned()])];
    for batch in [&first[..], &second[..]] {
        crate::apply_batch_as(&db, batch, Durability::None).unwrap();
    }
    crate::db::persist(&db).unwrap();
    drop(db);
    let db = crate::db::open(&path).unwrap();
    assert_eq!(crate::db::checkpoint(&db).unwrap(), 2);
    let txn = db.begin_read().unwrap();
    assert!(
        txn.open_table(MILESTONES)
            .unwrap()
            .get("wm/hub")
            .unwrap()
            .is_some()
    );
}

#[test]
fn a_packed_copy_holds_what_its_source_holds() {
    let m = Model::fund_pledged().given(milestone("hub"), &[planned()]);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("packed.redb");
    crate::db::write_packed(&m.db, &out).unwrap();
    let copy = crate::db::open(&out).unwrap();
    assert_eq!(
        crate::offline::checkpoint_and_digest(&copy).unwrap(),
        crate::offline::checkpoint_and_digest(&m.db).unwrap()
    );
}
