//! Unit tests of [`apply_commit`], one event type at a time: given read models with earlier
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
    rows
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
        let result = apply_commit(&txn, self.seq, subject, commit, &commit.encode().unwrap());
        txn.commit().unwrap();
        result
    }

    /// When: the next commit of `events` on `thing` is applied. Returns its sequence.
    fn when(&mut self, thing: ThingRef, events: &[EventBody]) -> u64 {
        self.when_commit(self.next(thing, events))
    }

    /// When: `commit` is applied on its own subject. It must apply and write exactly the rows
    /// it owns: its history entry says who recorded which events when, and a commit of a
    /// blueprint is logged as stored. Returns its sequence.
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
            assert_eq!(self.logged(bp.as_str(), seq), commit.encode().unwrap());
        }
        seq
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

    /// Every row of every table, by table and key.
    fn rows(&self) -> BTreeMap<String, Vec<u8>> {
        let txn = self.db.begin_read().unwrap();
        let mut rows = BTreeMap::new();
        for table in [ORGANISATIONS, BLUEPRINTS, MILESTONES, COMMITMENTS, PLEDGES] {
            for row in txn.open_table(table).unwrap().iter().unwrap() {
                let (k, v) = row.unwrap();
                rows.insert(
                    format!("{} {}", table.name(), k.value()),
                    v.value().to_vec(),
                );
            }
        }
        for table in [HISTORY, BLUEPRINT_LOG] {
            for row in txn.open_table(table).unwrap().iter().unwrap() {
                let (k, v) = row.unwrap();
                let (key, seq) = k.value();
                rows.insert(format!("{} {key} #{seq}", table.name()), v.value().to_vec());
            }
        }
        for row in txn.open_table(QUARANTINE).unwrap().iter().unwrap() {
            let (k, v) = row.unwrap();
            rows.insert(format!("quarantine #{}", k.value()), v.value().to_vec());
        }
        for row in txn.open_table(META).unwrap().iter().unwrap() {
            let (k, v) = row.unwrap();
            rows.insert(
                format!("meta {}", k.value()),
                v.value().to_le_bytes().to_vec(),
            );
        }
        rows
    }

    fn read<T: DeserializeOwned>(
        &self,
        table: TableDefinition<'static, &'static str, &'static [u8]>,
        key: &str,
    ) -> T {
        let txn = self.db.begin_read().unwrap();
        crate::db::get(&txn.open_table(table).unwrap(), key)
            .unwrap()
            .unwrap_or_else(|| panic!("no {key} in {}", table.name()))
    }

    fn organisation(&self, org: &str) -> OrganisationView {
        self.read(ORGANISATIONS, org)
    }

    fn blueprint(&self) -> BlueprintView {
        self.read(BLUEPRINTS, BP)
    }

    fn milestone(&self, m: &str) -> MilestoneView {
        self.read(MILESTONES, &format!("{BP}/{m}"))
    }

    fn commitment(&self, c: &str) -> CommitmentView {
        self.read(COMMITMENTS, &format!("{BP}/{c}"))
    }

    fn pledge(&self, p: &str) -> PledgeView {
        self.read(PLEDGES, &format!("{BP}/{p}"))
    }

    fn history(&self, thing: &ThingRef, seq: u64) -> HistoryEntry {
        let txn = self.db.begin_read().unwrap();
        let table = txn.open_table(HISTORY).unwrap();
        let row = table.get((thing.subject().as_str(), seq)).unwrap();
        crate::db::decode(row.expect("a history entry").value()).unwrap()
    }

    /// The history sentences of the commit at `seq` on `thing`.
    fn summaries(&self, thing: &ThingRef, seq: u64) -> Vec<String> {
        let entry = self.history(thing, seq);
        entry.events.into_iter().map(|e| e.summary).collect()
    }

    /// The counters and totals of `wm`, counted afresh from its things as stored.
    fn recount(&self) -> (MilestoneCounts, CommitmentCounts, Funding) {
        let txn = self.db.begin_read().unwrap();
        let mut milestones = MilestoneCounts::default();
        for v in crate::db::scan_prefix::<MilestoneView>(&txn.open_table(MILESTONES).unwrap(), BP)
            .unwrap()
        {
            *match v.status {
                MilestoneStatus::Planned => &mut milestones.planned,
                MilestoneStatus::InProgress => &mut milestones.in_progress,
                MilestoneStatus::Done => &mut milestones.done,
                MilestoneStatus::Cancelled => &mut milestones.cancelled,
            } += 1;
        }
        let mut commitments = CommitmentCounts::default();
        for v in crate::db::scan_prefix::<CommitmentView>(&txn.open_table(COMMITMENTS).unwrap(), BP)
            .unwrap()
        {
            *match v.status {
                CommitmentStatus::Made => &mut commitments.open,
                CommitmentStatus::Fulfilled => &mut commitments.fulfilled,
                CommitmentStatus::Withdrawn => &mut commitments.withdrawn,
            } += 1;
        }
        let mut funding = Funding::default();
        for v in
            crate::db::scan_prefix::<PledgeView>(&txn.open_table(PLEDGES).unwrap(), BP).unwrap()
        {
            let share = v.contribution();
            let t = match v.resource {
                Resource::Money => &mut funding.money,
                Resource::StaffTime => &mut funding.staff_time,
            };
            t.pledged += share.pledged;
            t.confirmed += share.confirmed;
            t.disbursed += share.disbursed;
        }
        (milestones, commitments, funding)
    }

    /// The commit logged for blueprint `bp` at `seq`, as stored.
    fn logged(&self, bp: &str, seq: u64) -> Vec<u8> {
        let txn = self.db.begin_read().unwrap();
        let table = txn.open_table(BLUEPRINT_LOG).unwrap();
        let row = table.get((bp, seq)).unwrap();
        row.expect("a log row").value().to_vec()
    }
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
    assert_eq!(Commit::decode(&m.logged(BP, seq)).unwrap(), commit);
}

#[test]
fn blueprint_published_changes_the_status_and_keeps_the_totals_of_its_things() {
    let mut m = Model::milestones_planned();
    let before = m.blueprint();
    assert_eq!(before.milestones, milestone_counts(2, 0, 0, 0));

    let seq = m.when(blueprint(), &[BlueprintPublished {}.into()]);

    assert_eq!(
        m.blueprint(),
        BlueprintView {
            status: BlueprintStatus::Published,
            ..revised(before, seq)
        }
    );
    assert_eq!(m.summaries(&blueprint(), seq), ["Published"]);
}

#[test]
fn blueprint_closed_changes_the_status() {
    let mut m = Model::drafted().given(blueprint(), &[BlueprintPublished {}.into()]);
    let before = m.blueprint();

    let closed = BlueprintClosed {
        reason: "delivered".into(),
    };
    let seq = m.when(blueprint(), &[closed.into()]);

    assert_eq!(
        m.blueprint(),
        BlueprintView {
            status: BlueprintStatus::Closed,
            ..revised(before, seq)
        }
    );
    assert_eq!(m.summaries(&blueprint(), seq), ["Closed: delivered"]);
}

#[test]
fn workstream_added_appends_an_active_workstream() {
    let mut m = Model::drafted();
    let before = m.blueprint();

    let seq = m.when(blueprint(), &[workstream_added()]);

    let skills = WorkstreamView {
        id: "skills".into(),
        title: "Skills".into(),
        lead_org: id("wmca"),
        retired: false,
    };
    assert_eq!(
        m.blueprint(),
        BlueprintView {
            workstreams: vec![skills],
            ..revised(before, seq)
        }
    );
    assert_eq!(
        m.summaries(&blueprint(), seq),
        ["Added workstream skills \"Skills\", led by wmca"]
    );
}

#[test]
fn workstream_renamed_changes_its_title() {
    let mut m = Model::drafted().given(blueprint(), &[workstream_added()]);
    let before = m.blueprint();

    let renamed = WorkstreamRenamed {
        workstream: id("skills"),
        title: "Digital skills".into(),
    };
    let seq = m.when(blueprint(), &[renamed.into()]);

    let mut expected = revised(before, seq);
    expected.workstreams[0].title = "Digital skills".into();
    assert_eq!(m.blueprint(), expected);
    assert_eq!(
        m.summaries(&blueprint(), seq),
        ["Renamed workstream skills from \"Skills\" to \"Digital skills\""]
    );
}

#[test]
fn workstream_retired_marks_it_retired_and_keeps_it() {
    let mut m = Model::drafted().given(blueprint(), &[workstream_added()]);
    let before = m.blueprint();

    let retired = WorkstreamRetired {
        workstream: id("skills"),
        reason: "merged".into(),
    };
    let seq = m.when(blueprint(), &[retired.into()]);

    let mut expected = revised(before, seq);
    expected.workstreams[0].retired = true;
    assert_eq!(m.blueprint(), expected);
    assert_eq!(
        m.summaries(&blueprint(), seq),
        ["Retired workstream skills: merged"]
    );
}

#[test]
fn partner_joined_adds_the_partner() {
    let mut m = Model::drafted();
    let before = m.blueprint();

    let seq = m.when(blueprint(), &[PartnerJoined { org: id("wmca") }.into()]);

    assert_eq!(
        m.blueprint(),
        BlueprintView {
            partners: vec![id("wmca")],
            ..revised(before, seq)
        }
    );
    assert_eq!(m.summaries(&blueprint(), seq), ["wmca joined as a partner"]);
}

#[test]
fn partner_left_removes_only_that_partner() {
    let mut m = Model::drafted().given(
        blueprint(),
        &[
            PartnerJoined { org: id("wmca") }.into(),
            PartnerJoined { org: id("nhs") }.into(),
        ],
    );
    let before = m.blueprint();

    let left = PartnerLeft {
        org: id("wmca"),
        reason: "moved on".into(),
    };
    let seq = m.when(blueprint(), &[left.into()]);

    assert_eq!(
        m.blueprint(),
        BlueprintView {
            partners: vec![id("nhs")],
            ..revised(before, seq)
        }
    );
    assert_eq!(m.summaries(&blueprint(), seq), ["wmca left: moved on"]);
}

#[test]
fn target_set_adds_an_unreported_target() {
    let mut m = Model::drafted();
    let before = m.blueprint();

    let seq = m.when(blueprint(), &[target_set(100)]);

    let roles = TargetView {
        id: "roles".into(),
        title: "Tech roles".into(),
        unit: "roles".into(),
        target_value: 100,
        reported_value: None,
        reported_on: None,
    };
    assert_eq!(
        m.blueprint(),
        BlueprintView {
            targets: vec![roles],
            ..revised(before, seq)
        }
    );
    assert_eq!(
        m.summaries(&blueprint(), seq),
        ["Set target roles \"Tech roles\": 100 roles"]
    );
}

#[test]
fn target_set_again_changes_the_target_and_keeps_its_report() {
    let mut m = Model::drafted()
        .given(blueprint(), &[target_set(100)])
        .given(blueprint(), &[target_reported(40, "")]);
    let before = m.blueprint();

    let seq = m.when(blueprint(), &[target_set(120)]);

    let mut expected = revised(before, seq);
    expected.targets[0].target_value = 120;
    assert_eq!(m.blueprint(), expected);
    assert_eq!(m.blueprint().targets[0].reported_value, Some(40));
}

#[test]
fn target_reported_shows_the_value_and_its_date() {
    let mut m = Model::drafted().given(blueprint(), &[target_set(100)]);
    let before = m.blueprint();

    let seq = m.when(blueprint(), &[target_reported(40, "Q2")]);

    let mut expected = revised(before, seq);
    expected.targets[0].reported_value = Some(40);
    expected.targets[0].reported_on = Some(day(seq));
    assert_eq!(m.blueprint(), expected);
    assert_eq!(
        m.summaries(&blueprint(), seq),
        ["Reported 40 for target roles: Q2"]
    );
}

#[test]
fn target_reported_with_an_earlier_date_leaves_the_standing_report() {
    let mut m = Model::drafted()
        .given(blueprint(), &[target_set(100)])
        .given(blueprint(), &[target_reported(40, "Q2")]);
    let before = m.blueprint();

    let seq = m.when_commit(m.next_on(blueprint(), &[target_reported(30, "Q1")], day(1)));

    assert_eq!(
        m.blueprint(),
        BlueprintView {
            version: seq,
            updated_seq: seq,
            last_recorded_at: Some(noon(seq)),
            ..before
        }
    );
    assert_eq!(
        m.summaries(&blueprint(), seq),
        ["Reported 30 for target roles, dated before the report of 40 that stands: Q1"]
    );
}

// ---- milestones ----

#[test]
fn milestone_planned_creates_it_at_its_baseline_and_counts_it_planned() {
    let mut m = Model::drafted().given(milestone("hub"), &[planned()]);
    let bp = m.blueprint();

    let seq = m.when(milestone("academy"), &[planned()]);

    assert_eq!(
        m.milestone("academy"),
        MilestoneView {
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
        }
    );
    assert_eq!(
        m.blueprint(),
        BlueprintView {
            milestones: milestone_counts(2, 0, 0, 0),
            ..touched(bp, seq)
        }
    );
    assert_eq!(
        m.summaries(&milestone("academy"), seq),
        ["Planned \"Academy\" for 2026-08-31, owned by gds"]
    );
}

#[test]
fn milestone_started_moves_it_from_planned_to_in_progress() {
    let mut m = Model::milestones_planned();
    let (before, bp) = (m.milestone("academy"), m.blueprint());

    let seq = m.when(milestone("academy"), &[started()]);

    assert_eq!(
        m.milestone("academy"),
        MilestoneView {
            status: MilestoneStatus::InProgress,
            started: true,
            version: seq,
            updated_at: noon(seq),
            ..before
        }
    );
    assert_eq!(
        m.blueprint(),
        BlueprintView {
            milestones: milestone_counts(1, 1, 0, 0),
            ..touched(bp, seq)
        }
    );
    assert_eq!(m.summaries(&milestone("academy"), seq), ["Started"]);
}

#[test]
fn milestone_progress_reported_sets_percent_note_and_date_but_no_count() {
    let mut m = Model::milestones_planned().given(milestone("academy"), &[started()]);
    let (before, bp) = (m.milestone("academy"), m.blueprint());

    let seq = m.when(milestone("academy"), &[progress(40, "curriculum written")]);

    assert_eq!(
        m.milestone("academy"),
        MilestoneView {
            percent: 40,
            progress_note: "curriculum written".into(),
            progress_on: Some(day(seq)),
            version: seq,
            updated_at: noon(seq),
            ..before
        }
    );
    assert_eq!(m.blueprint(), touched(bp, seq));
    assert_eq!(
        m.summaries(&milestone("academy"), seq),
        ["Progress from 0% to 40%: curriculum written"]
    );
}

#[test]
fn milestone_progress_reported_with_an_earlier_date_leaves_the_standing_report() {
    let mut m = Model::milestones_planned().given(milestone("academy"), &[progress(60, "most")]);
    let (before, bp) = (m.milestone("academy"), m.blueprint());

    let late = m.next_on(milestone("academy"), &[progress(40, "some")], day(1));
    let seq = m.when_commit(late);

    assert_eq!(
        m.milestone("academy"),
        MilestoneView {
            version: seq,
            updated_at: noon(seq),
            ..before
        }
    );
    assert_eq!(
        m.blueprint(),
        BlueprintView {
            updated_seq: seq,
            last_recorded_at: Some(noon(seq)),
            ..bp
        }
    );
    assert_eq!(
        m.summaries(&milestone("academy"), seq),
        ["Progress reported at 40%, dated before the 60% report that stands: some"]
    );
}

#[test]
fn milestone_replanned_moves_the_forecast_not_the_baseline() {
    let mut m = Model::milestones_planned();
    let (before, bp) = (m.milestone("academy"), m.blueprint());

    let replanned = MilestoneReplanned {
        from: d("2026-08-31"),
        to: d("2026-09-30"),
        reason: "venue late".into(),
    };
    let seq = m.when(milestone("academy"), &[replanned.into()]);

    assert_eq!(
        m.milestone("academy"),
        MilestoneView {
            forecast: d("2026-09-30"),
            forecast_on: Some(day(seq)),
            version: seq,
            updated_at: noon(seq),
            ..before
        }
    );
    assert_eq!(m.milestone("academy").slippage_days(), 30);
    assert_eq!(m.blueprint(), touched(bp, seq));
    assert_eq!(
        m.summaries(&milestone("academy"), seq),
        ["Replanned from 2026-08-31 to 2026-09-30: venue late"]
    );
}

#[test]
fn milestone_completed_moves_it_to_done_at_100_percent() {
    let mut m = Model::milestones_planned().given(milestone("academy"), &[started()]);
    let (before, bp) = (m.milestone("academy"), m.blueprint());

    let seq = m.when(milestone("academy"), &[completed()]);

    assert_eq!(
        m.milestone("academy"),
        MilestoneView {
            status: MilestoneStatus::Done,
            percent: 100,
            completed_on: Some(d("2026-08-20")),
            evidence: Some("https://example.org/report".into()),
            version: seq,
            updated_at: noon(seq),
            ..before
        }
    );
    assert_eq!(
        m.blueprint(),
        BlueprintView {
            milestones: milestone_counts(1, 0, 1, 0),
            ..touched(bp, seq)
        }
    );
    assert_eq!(
        m.summaries(&milestone("academy"), seq),
        ["Completed on 2026-08-20 (evidence: https://example.org/report)"]
    );
}

#[test]
fn milestone_cancelled_moves_it_from_planned_to_cancelled() {
    let mut m = Model::milestones_planned();
    let (before, bp) = (m.milestone("academy"), m.blueprint());

    let cancelled = MilestoneCancelled {
        reason: "funding cut".into(),
    };
    let seq = m.when(milestone("academy"), &[cancelled.into()]);

    assert_eq!(
        m.milestone("academy"),
        MilestoneView {
            status: MilestoneStatus::Cancelled,
            version: seq,
            updated_at: noon(seq),
            ..before
        }
    );
    assert_eq!(
        m.blueprint(),
        BlueprintView {
            milestones: milestone_counts(1, 0, 0, 1),
            ..touched(bp, seq)
        }
    );
    assert_eq!(
        m.summaries(&milestone("academy"), seq),
        ["Cancelled: funding cut"]
    );
}

#[test]
fn milestone_reopened_after_completion_returns_to_in_progress_without_completion() {
    let mut m = Model::milestones_planned().given(milestone("academy"), &[started(), completed()]);
    let (before, bp) = (m.milestone("academy"), m.blueprint());

    let reopened = MilestoneReopened {
        reason: "evidence rejected".into(),
    };
    let seq = m.when(milestone("academy"), &[reopened.into()]);

    // The status and the completion change; the percent stays at the 100 completion set.
    assert_eq!(
        m.milestone("academy"),
        MilestoneView {
            status: MilestoneStatus::InProgress,
            completed_on: None,
            evidence: None,
            version: seq,
            updated_at: noon(seq),
            ..before
        }
    );
    assert_eq!(
        m.blueprint(),
        BlueprintView {
            milestones: milestone_counts(1, 1, 0, 0),
            ..touched(bp, seq)
        }
    );
    assert_eq!(
        m.summaries(&milestone("academy"), seq),
        ["Reopened: evidence rejected"]
    );
}

#[test]
fn milestone_reopened_after_cancellation_unstarted_returns_to_planned() {
    let cancelled = MilestoneCancelled {
        reason: "paused".into(),
    };
    let mut m = Model::milestones_planned().given(milestone("academy"), &[cancelled.into()]);
    let bp = m.blueprint();

    let reopened = MilestoneReopened {
        reason: "funded".into(),
    };
    let seq = m.when(milestone("academy"), &[reopened.into()]);

    assert_eq!(m.milestone("academy").status, MilestoneStatus::Planned);
    assert_eq!(
        m.blueprint(),
        BlueprintView {
            milestones: milestone_counts(2, 0, 0, 0),
            ..touched(bp, seq)
        }
    );
}

// ---- commitments ----

#[test]
fn commitment_made_creates_it_undelivered_and_counts_it_open() {
    let mut m = Model::drafted().given(commitment("hosting"), &[made()]);
    let bp = m.blueprint();

    let seq = m.when(commitment("secondees"), &[made()]);

    assert_eq!(
        m.commitment("secondees"),
        CommitmentView {
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
        }
    );
    assert_eq!(
        m.blueprint(),
        BlueprintView {
            commitments: commitment_counts(2, 0, 0),
            ..touched(bp, seq)
        }
    );
    assert_eq!(
        m.summaries(&commitment("secondees"), seq),
        ["wmca committed 3 secondees of secondment by 2026-09-30: Two analysts"]
    );
}

#[test]
fn commitment_delivery_recorded_adds_to_what_was_delivered() {
    let delivery = |quantity| -> EventBody {
        CommitmentDeliveryRecorded {
            quantity,
            note: "started in June".into(),
        }
        .into()
    };
    let mut m = Model::commitments_made().given(commitment("secondees"), &[delivery(1)]);
    let (before, bp) = (m.commitment("secondees"), m.blueprint());

    let seq = m.when(commitment("secondees"), &[delivery(1)]);

    assert_eq!(
        m.commitment("secondees"),
        CommitmentView {
            delivered: 2,
            version: seq,
            updated_at: noon(seq),
            ..before
        }
    );
    assert_eq!(m.blueprint(), touched(bp, seq));
    assert_eq!(
        m.summaries(&commitment("secondees"), seq),
        ["Delivered 1, bringing secondees to 2 of 3: started in June"]
    );
}

#[test]
fn commitment_amended_changes_quantity_and_due_date_with_their_dates() {
    let mut m = Model::commitments_made();
    let (before, bp) = (m.commitment("secondees"), m.blueprint());

    let amended = CommitmentAmended {
        quantity: Some(4),
        due: Some(d("2026-10-31")),
        reason: "extended".into(),
    };
    let seq = m.when(commitment("secondees"), &[amended.into()]);

    assert_eq!(
        m.commitment("secondees"),
        CommitmentView {
            quantity: 4,
            quantity_on: Some(day(seq)),
            due: d("2026-10-31"),
            due_on: Some(day(seq)),
            version: seq,
            updated_at: noon(seq),
            ..before
        }
    );
    assert_eq!(m.blueprint(), touched(bp, seq));
    assert_eq!(
        m.summaries(&commitment("secondees"), seq),
        [
            "Amended quantity from 3 to 4 secondees and due date from 2026-09-30 to 2026-10-31: \
             extended"
        ]
    );
}

#[test]
fn commitment_fulfilled_moves_it_from_open_to_fulfilled() {
    let mut m = Model::commitments_made();
    let (before, bp) = (m.commitment("secondees"), m.blueprint());

    let seq = m.when(commitment("secondees"), &[CommitmentFulfilled {}.into()]);

    assert_eq!(
        m.commitment("secondees"),
        CommitmentView {
            status: CommitmentStatus::Fulfilled,
            version: seq,
            updated_at: noon(seq),
            ..before
        }
    );
    assert_eq!(
        m.blueprint(),
        BlueprintView {
            commitments: commitment_counts(1, 1, 0),
            ..touched(bp, seq)
        }
    );
    assert_eq!(m.summaries(&commitment("secondees"), seq), ["Fulfilled"]);
}

#[test]
fn commitment_withdrawn_moves_it_from_open_to_withdrawn() {
    let mut m = Model::commitments_made();
    let (before, bp) = (m.commitment("secondees"), m.blueprint());

    let withdrawn = CommitmentWithdrawn {
        reason: "reorganisation".into(),
    };
    let seq = m.when(commitment("secondees"), &[withdrawn.into()]);

    assert_eq!(
        m.commitment("secondees"),
        CommitmentView {
            status: CommitmentStatus::Withdrawn,
            version: seq,
            updated_at: noon(seq),
            ..before
        }
    );
    assert_eq!(
        m.blueprint(),
        BlueprintView {
            commitments: commitment_counts(1, 0, 1),
            ..touched(bp, seq)
        }
    );
    assert_eq!(
        m.summaries(&commitment("secondees"), seq),
        ["Withdrawn: reorganisation"]
    );
}

// ---- pledges ----

#[test]
fn pledge_made_creates_it_and_adds_to_the_money_pledged() {
    let mut m = Model::other_pledge_confirmed();
    let bp = m.blueprint();
    assert_eq!(bp.funding.money, totals(1_000, 1_000, 0));

    let seq = m.when(pledge("fund"), &[pledge_made(Resource::Money, 5_000_000)]);

    assert_eq!(
        m.pledge("fund"),
        PledgeView {
            blueprint: BP.into(),
            id: "fund".into(),
            sponsor: id("gds"),
            resource: Resource::Money,
            workstream: Some("skills".into()),
            conditions: "match funding".into(),
            pledged: 5_000_000,
            confirmed: None,
            disbursed: 0,
            status: PledgeStatus::Pledged,
            title: None,
            version: seq,
            updated_at: noon(seq),
        }
    );
    let funding = Funding {
        money: totals(5_001_000, 1_000, 0),
        staff_time: totals(0, 0, 0),
    };
    assert_eq!(
        m.blueprint(),
        BlueprintView {
            funding,
            ..touched(bp, seq)
        }
    );
    assert_eq!(
        m.summaries(&pledge("fund"), seq),
        ["gds pledged £50,000.00, on condition: match funding"]
    );
}

#[test]
fn pledge_made_of_staff_time_adds_to_the_staff_time_not_the_money() {
    let mut m = Model::other_pledge_confirmed();
    let bp = m.blueprint();

    let seq = m.when(pledge("days"), &[pledge_made(Resource::StaffTime, 2_000)]);

    let funding = Funding {
        money: totals(1_000, 1_000, 0),
        staff_time: totals(2_000, 0, 0),
    };
    assert_eq!(
        m.blueprint(),
        BlueprintView {
            funding,
            ..touched(bp, seq)
        }
    );
    assert_eq!(
        m.summaries(&pledge("days"), seq),
        ["gds pledged 20.00 person-days, on condition: match funding"]
    );
}

#[test]
fn pledge_confirmed_sets_the_confirmed_amount_and_adds_it_to_the_totals() {
    let mut m = Model::fund_pledged();
    let (before, bp) = (m.pledge("fund"), m.blueprint());

    let seq = m.when(pledge("fund"), &[confirmed(4_000_000)]);

    assert_eq!(
        m.pledge("fund"),
        PledgeView {
            confirmed: Some(4_000_000),
            status: PledgeStatus::Confirmed,
            version: seq,
            updated_at: noon(seq),
            ..before
        }
    );
    let mut expected = touched(bp, seq);
    expected.funding.money = totals(5_001_000, 4_001_000, 0);
    assert_eq!(m.blueprint(), expected);
    assert_eq!(
        m.summaries(&pledge("fund"), seq),
        ["Confirmed £40,000.00 (pledged £50,000.00)"]
    );
}

#[test]
fn pledge_disbursed_adds_to_what_was_paid() {
    let mut m = Model::fund_pledged().given(pledge("fund"), &[confirmed(4_000_000)]);
    let (before, bp) = (m.pledge("fund"), m.blueprint());

    let seq = m.when(pledge("fund"), &[disbursed(1_500_000)]);

    assert_eq!(
        m.pledge("fund"),
        PledgeView {
            disbursed: 1_500_000,
            version: seq,
            updated_at: noon(seq),
            ..before
        }
    );
    let mut expected = touched(bp, seq);
    expected.funding.money = totals(5_001_000, 4_001_000, 1_500_000);
    assert_eq!(m.blueprint(), expected);
    assert_eq!(
        m.summaries(&pledge("fund"), seq),
        [
            "Disbursed £15,000.00, bringing payments to £15,000.00 of £40,000.00 confirmed: \
             first payment"
        ]
    );
}

#[test]
fn pledge_withdrawn_keeps_only_what_was_disbursed_in_the_totals() {
    let mut m = Model::fund_pledged().given(
        pledge("fund"),
        &[confirmed(4_000_000), disbursed(1_500_000)],
    );
    let (before, bp) = (m.pledge("fund"), m.blueprint());
    assert_eq!(bp.funding.money, totals(5_001_000, 4_001_000, 1_500_000));

    let withdrawn = PledgeWithdrawn {
        reason: "sponsor pulled out".into(),
    };
    let seq = m.when(pledge("fund"), &[withdrawn.into()]);

    assert_eq!(
        m.pledge("fund"),
        PledgeView {
            status: PledgeStatus::Withdrawn,
            version: seq,
            updated_at: noon(seq),
            ..before
        }
    );
    let mut expected = touched(bp, seq);
    expected.funding.money = totals(1_501_000, 1_501_000, 1_500_000);
    assert_eq!(m.blueprint(), expected);
    assert_eq!(
        m.summaries(&pledge("fund"), seq),
        ["Withdrawn: sponsor pulled out"]
    );
}

#[test]
fn pledge_closed_changes_the_status_and_keeps_the_totals() {
    let mut m = Model::fund_pledged().given(
        pledge("fund"),
        &[confirmed(4_000_000), disbursed(4_000_000)],
    );
    let (before, bp) = (m.pledge("fund"), m.blueprint());

    let seq = m.when(pledge("fund"), &[PledgeClosed {}.into()]);

    assert_eq!(
        m.pledge("fund"),
        PledgeView {
            status: PledgeStatus::Closed,
            version: seq,
            updated_at: noon(seq),
            ..before
        }
    );
    assert_eq!(m.blueprint(), touched(bp, seq));
    assert_eq!(
        m.blueprint().funding.money,
        totals(5_001_000, 4_001_000, 4_000_000)
    );
    assert_eq!(m.summaries(&pledge("fund"), seq), ["Closed"]);
}

#[test]
fn milestone_retitled_changes_only_the_title() {
    let mut m = Model::milestones_planned();
    let (before, bp) = (m.milestone("academy"), m.blueprint());

    let retitled = MilestoneRetitled {
        title: "GDS academy: first cohort".into(),
    };
    let seq = m.when(milestone("academy"), &[retitled.into()]);

    assert_eq!(
        m.milestone("academy"),
        MilestoneView {
            title: "GDS academy: first cohort".into(),
            version: seq,
            updated_at: noon(seq),
            ..before.clone()
        }
    );
    assert_eq!(m.blueprint(), touched(bp, seq));
    assert_eq!(
        m.summaries(&milestone("academy"), seq),
        [format!(
            "Retitled from \"{}\" to \"GDS academy: first cohort\"",
            before.title
        )]
    );
}

#[test]
fn commitment_retitled_changes_only_the_description() {
    let mut m = Model::commitments_made();
    let (before, bp) = (m.commitment("secondees"), m.blueprint());

    let retitled = CommitmentRetitled {
        description: "Two secondees to the Birmingham hub".into(),
    };
    let seq = m.when(commitment("secondees"), &[retitled.into()]);

    assert_eq!(
        m.commitment("secondees"),
        CommitmentView {
            description: "Two secondees to the Birmingham hub".into(),
            version: seq,
            updated_at: noon(seq),
            ..before
        }
    );
    assert_eq!(m.blueprint(), touched(bp, seq));
    assert_eq!(
        m.summaries(&commitment("secondees"), seq),
        ["Description corrected to \"Two secondees to the Birmingham hub\""]
    );
}

#[test]
fn pledge_retitled_gives_the_pledge_a_title_and_keeps_the_totals() {
    let mut m = Model::fund_pledged();
    let (before, bp) = (m.pledge("fund"), m.blueprint());

    let retitled = PledgeRetitled {
        title: "Academy fund".into(),
    };
    let seq = m.when(pledge("fund"), &[retitled.into()]);

    assert_eq!(
        m.pledge("fund"),
        PledgeView {
            title: Some("Academy fund".into()),
            version: seq,
            updated_at: noon(seq),
            ..before
        }
    );
    assert_eq!(m.blueprint(), touched(bp, seq));
    assert_eq!(
        m.summaries(&pledge("fund"), seq),
        ["Titled \"Academy fund\""]
    );
}

#[test]
fn a_commit_of_several_events_applies_and_describes_each_in_turn() {
    let mut m = Model::other_pledge_confirmed();
    let bp = m.blueprint();

    let seq = m.when(
        pledge("fund"),
        &[
            pledge_made(Resource::Money, 5_000_000),
            confirmed(4_000_000),
        ],
    );

    assert_eq!(m.pledge("fund").status, PledgeStatus::Confirmed);
    assert_eq!(m.pledge("fund").version, seq);
    let mut expected = touched(bp, seq);
    expected.funding.money = totals(5_001_000, 4_001_000, 0);
    assert_eq!(m.blueprint(), expected);
    assert_eq!(
        m.summaries(&pledge("fund"), seq),
        [
            "gds pledged £50,000.00, on condition: match funding",
            "Confirmed £40,000.00 (pledged £50,000.00)",
        ]
    );
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
    let mut m = Model::drafted();
    let cases: [(EventBody, &str); 3] = [
        (
            WorkstreamRenamed {
                workstream: id("skills"),
                title: "t".into(),
            }
            .into(),
            "workstream.renamed names an unknown workstream in blueprint wm",
        ),
        (
            WorkstreamRetired {
                workstream: id("skills"),
                reason: "r".into(),
            }
            .into(),
            "workstream.retired names an unknown workstream in blueprint wm",
        ),
        (
            target_reported(1, ""),
            "target.reported names an unknown target in blueprint wm",
        ),
    ];
    for (event, expected) in cases {
        let reason = m.refuses(&m.next(blueprint(), &[event]));
        assert_eq!(reason, expected);
    }
}

#[test]
fn an_event_on_a_thing_before_its_creating_event_is_refused() {
    let mut m = Model::drafted();
    let cases = [
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
    ];
    for (thing, event, expected) in cases {
        let reason = m.refuses(&m.next(thing, &[event]));
        assert_eq!(reason, expected);
    }
}

#[test]
fn an_event_that_does_not_apply_to_the_thing_is_refused() {
    let mut m = Model::milestones_planned()
        .given(organisation("gds"), &[registered()])
        .given(commitment("secondees"), &[made()])
        .given(pledge("fund"), &[pledge_made(Resource::Money, 1)]);
    let cases = [
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
    ];
    for (thing, event, expected) in cases {
        let reason = m.refuses(&m.next(thing, &[event]));
        assert_eq!(reason, expected);
    }
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
    assert_eq!(m.milestone("academy").status, MilestoneStatus::Planned);
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
}
