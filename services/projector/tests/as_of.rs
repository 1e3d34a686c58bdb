//! "As of" views: the fold of a blueprint's log agrees with the stored views when it sees every
//! fact, leaves out what had not happened by a date, and leaves out what had not been recorded by
//! an instant.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use projector::fold::{self, BlueprintModel, Window};
use projector::read::Reader;
use projector::views;
use projector::{Received, apply_batch};
use proptest::prelude::*;
use proto::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(day: &str, hour: u32) -> DateTime<Utc> {
    let date = d(day);
    Utc.from_utc_datetime(&date.and_hms_opt(hour, 0, 0).unwrap())
}

fn wm() -> BlueprintId {
    "wm".parse().unwrap()
}

fn blueprint() -> ThingRef {
    ThingRef::blueprint(&wm())
}

fn milestone(id: &str) -> ThingRef {
    ThingRef::milestone(&wm(), &id.parse().unwrap())
}

fn pledge(id: &str) -> ThingRef {
    ThingRef::pledge(&wm(), &id.parse().unwrap())
}

/// Builds commits the way the services store them, one sequence after another.
struct Log {
    commits: Vec<Received>,
    /// The date each commit's event happened on.
    dates: Vec<NaiveDate>,
}

impl Log {
    /// Blueprint `wm` drafted on 1 May, recorded at 9:00 that day.
    fn drafted() -> Self {
        let mut log = Self {
            commits: Vec::new(),
            dates: Vec::new(),
        };
        log.record(blueprint(), at("2026-05-01", 9), drafted(), "2026-05-01");
        log
    }

    /// The commits among `kept` whose events had all happened by `date`, at their own
    /// sequences.
    fn up_to(&self, date: NaiveDate, kept: &[u64]) -> Self {
        let (commits, dates) = self
            .commits
            .iter()
            .zip(&self.dates)
            .filter(|(c, d)| **d <= date && kept.contains(&c.seq))
            .map(|(c, d)| (c.clone(), *d))
            .unzip();
        Self { commits, dates }
    }

    /// A commit of one event on `thing`, happening on `on`, recorded at `recorded_at`.
    fn record(&mut self, thing: ThingRef, recorded_at: DateTime<Utc>, body: EventBody, on: &str) {
        let commit = Commit {
            format: FORMAT_VERSION,
            thing,
            idempotency_key: format!("k{}", self.commits.len()),
            request_hash: None,
            actor: Actor::named("test"),
            recorded_at,
            events: vec![Event::new(&body, d(on)).unwrap()],
        };
        self.dates.push(d(on));
        self.commits.push(Received {
            seq: self.commits.len() as u64 + 1,
            subject: commit.thing.subject(),
            payload: commit.encode().unwrap().into(),
            pending: 0,
            published_unix: 0,
        });
    }

    fn project(&self) -> (tempfile::TempDir, redb::Database) {
        let dir = tempfile::tempdir().unwrap();
        let db = projector::db::open(&dir.path().join("read.redb")).unwrap();
        apply_batch(&db, &self.commits).unwrap();
        (dir, db)
    }
}

fn drafted() -> EventBody {
    BlueprintDrafted {
        title: "West Midlands digital".into(),
        summary: "s".into(),
        lead_org: "opg".parse().unwrap(),
        start_date: d("2026-01-01"),
        target_end_date: d("2027-12-31"),
        funding_target: 10_000_000,
        staff_time_target: None,
    }
    .into()
}

fn planned(due: &str) -> EventBody {
    MilestonePlanned {
        workstream: "skills".parse().unwrap(),
        title: "Academy".into(),
        owner: "gds".parse().unwrap(),
        depends_on: vec![],
        due: d(due),
    }
    .into()
}

fn pledged(amount: u64) -> EventBody {
    PledgeMade {
        sponsor: "gds".parse().unwrap(),
        resource: Resource::Money,
        amount,
        workstream: None,
        conditions: "illustrative".into(),
    }
    .into()
}

/// A blueprint with one milestone done in August, a pledge confirmed in July and paid in
/// September, and a progress report recorded in October but back-dated to June.
fn scenario() -> Log {
    let mut log = Log::drafted();
    log.record(
        milestone("academy"),
        at("2026-05-02", 9),
        planned("2026-08-31"),
        "2026-05-02",
    );
    log.record(
        milestone("hub"),
        at("2026-05-03", 9),
        planned("2026-12-31"),
        "2026-05-03",
    );
    log.record(
        pledge("fund"),
        at("2026-06-01", 9),
        pledged(5_000_000),
        "2026-06-01",
    );
    log.record(
        pledge("fund"),
        at("2026-07-01", 9),
        PledgeConfirmed { amount: 4_000_000 }.into(),
        "2026-07-01",
    );
    log.record(
        milestone("academy"),
        at("2026-08-10", 9),
        MilestoneCompleted {
            on: d("2026-08-10"),
            evidence: None,
        }
        .into(),
        "2026-08-10",
    );
    log.record(
        pledge("fund"),
        at("2026-09-15", 9),
        PledgeDisbursed {
            amount: 2_200_000,
            note: "first payment".into(),
        }
        .into(),
        "2026-09-15",
    );
    // Back-dated: recorded on 1 October, happened on 20 June.
    log.record(
        milestone("hub"),
        at("2026-10-01", 9),
        MilestoneStarted {}.into(),
        "2026-06-20",
    );
    log
}

fn window(as_of: &str, known_at: Option<DateTime<Utc>>) -> Window {
    Window {
        as_of: d(as_of),
        known_at,
    }
}

/// `wm` as the reader shows it for `window`, and as a fold of its whole log gives it.
fn stored_and_folded(reader: &Reader, window: &Window) -> (BlueprintModel, BlueprintModel) {
    let stored = reader.model("wm", window).unwrap().unwrap();
    let folded = fold::fold(reader.log("wm").unwrap().iter(), window).unwrap();
    (stored, folded)
}

/// `wm` as of the end of `date`, counting everything recorded.
fn as_of(reader: &Reader, date: &str) -> BlueprintModel {
    reader.model("wm", &window(date, None)).unwrap().unwrap()
}

#[test]
fn a_fold_that_sees_everything_equals_the_stored_views() {
    let (_dir, db) = scenario().project();
    let reader = Reader::new(&db).unwrap();
    let (stored, folded) = stored_and_folded(&reader, &window("2026-12-01", None));
    assert_eq!(folded, stored);
}

#[test]
fn as_of_leaves_out_what_had_not_happened() {
    let (_dir, db) = scenario().project();
    let reader = Reader::new(&db).unwrap();

    let august = as_of(&reader, "2026-08-03");
    let f = august.blueprint.funding.money;
    assert_eq!(
        (f.pledged, f.confirmed, f.disbursed),
        (5_000_000, 4_000_000, 0)
    );
    assert_eq!(
        august.milestones["academy"].status,
        views::MilestoneStatus::Planned
    );
    assert_eq!(august.blueprint.milestones.done, 0);
    // The back-dated start had happened by August, so "as of" shows it.
    assert_eq!(
        august.milestones["hub"].status,
        views::MilestoneStatus::InProgress
    );

    let may = as_of(&reader, "2026-05-02");
    assert_eq!(may.milestones.len(), 1, "the hub was planned on 3 May");
    assert!(may.pledges.is_empty());

    assert!(
        reader
            .model("wm", &window("2026-04-30", None))
            .unwrap()
            .is_none(),
        "not drafted yet"
    );

    let now = as_of(&reader, "2026-12-01");
    assert_eq!(now.blueprint.funding.money.disbursed, 2_200_000);
    assert_eq!(now.blueprint.milestones.done, 1);
}

#[test]
fn known_at_leaves_out_what_had_not_been_recorded() {
    let (_dir, db) = scenario().project();
    let reader = Reader::new(&db).unwrap();
    // What a board saw on 20 September: the back-dated start was not yet recorded.
    let board = window("2026-09-20", Some(at("2026-09-20", 12)));
    let seen = reader.model("wm", &board).unwrap().unwrap();
    assert_eq!(
        seen.milestones["hub"].status,
        views::MilestoneStatus::Planned
    );
    assert_eq!(seen.blueprint.funding.money.disbursed, 2_200_000);
    // The same date as known today includes the correction.
    let today = as_of(&reader, "2026-09-20");
    assert_eq!(
        today.milestones["hub"].status,
        views::MilestoneStatus::InProgress
    );
    // History follows the window too.
    let subject = milestone("hub").subject();
    assert_eq!(reader.history_in(&subject, &board).unwrap().len(), 1);
    assert_eq!(
        reader
            .history_in(&subject, &window("2026-12-01", None))
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        reader
            .history_in(&subject, &window("2026-06-01", None))
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn the_stored_views_answer_when_the_window_sees_every_fact() {
    let (_dir, db) = scenario().project();
    let reader = Reader::new(&db).unwrap();
    let bp = reader.blueprint("wm").unwrap().unwrap();
    assert_eq!(bp.last_occurred_on, Some(d("2026-09-15")));
    assert_eq!(bp.last_recorded_at, Some(at("2026-10-01", 9)));
    assert!(window("2026-09-15", None).sees_all_of(&bp));
    assert!(!window("2026-09-14", None).sees_all_of(&bp));
    assert!(window("2026-12-01", Some(at("2026-10-01", 9))).sees_all_of(&bp));
    assert!(!window("2026-12-01", Some(at("2026-10-01", 8))).sees_all_of(&bp));
}

/// Any one event on a thing of the blueprint, valid or not in the state it meets.
fn any_event() -> impl Strategy<Value = (u8, EventBody)> {
    let day = (0u32..200).prop_map(|n| d("2026-05-01") + chrono::Days::new(n.into()));
    prop_oneof![
        (0u8..3, day.clone()).prop_map(|(m, due)| (m, planned(&due.to_string()))),
        (0u8..3).prop_map(|m| (m, MilestoneStarted {}.into())),
        (0u8..3, 0u8..=100).prop_map(|(m, percent)| (
            m,
            MilestoneProgressReported {
                percent,
                note: String::new()
            }
            .into()
        )),
        (0u8..3, day.clone()).prop_map(|(m, to)| (
            m,
            MilestoneReplanned {
                from: to,
                to,
                reason: "r".into()
            }
            .into()
        )),
        (0u8..3, day).prop_map(|(m, on)| (m, MilestoneCompleted { on, evidence: None }.into())),
        (0u8..3).prop_map(|m| (m, MilestoneCancelled { reason: "r".into() }.into())),
        (0u8..3).prop_map(|m| (m, MilestoneReopened { reason: "r".into() }.into())),
        (3u8..5, 1u64..1_000).prop_map(|(p, a)| (p, pledged(a))),
        (3u8..5, 1u64..1_000).prop_map(|(p, a)| (p, PledgeConfirmed { amount: a }.into())),
        (3u8..5, 1u64..100).prop_map(|(p, a)| (
            p,
            PledgeDisbursed {
                amount: a,
                note: String::new()
            }
            .into()
        )),
        (3u8..5).prop_map(|p| (p, PledgeWithdrawn { reason: "r".into() }.into())),
    ]
}

proptest! {
    /// Whatever was recorded (commits that do not apply are quarantined, as live), a fold that
    /// sees every fact gives exactly the stored views, and a fold for any date never counts an
    /// event from after it.
    #[test]
    fn folds_agree_with_the_stored_views(
        events in proptest::collection::vec((any_event(), 0u32..200), 1..40),
        cut in 0u32..200,
    ) {
        let mut log = Log::drafted();
        for (i, ((target, body), offset)) in events.into_iter().enumerate() {
            let on = (d("2026-05-01") + chrono::Days::new(offset.into())).to_string();
            let recorded = at("2026-05-01", 9) + chrono::Duration::hours(i as i64 + 1);
            match target {
                0..=2 => log.record(milestone(&format!("m{target}")), recorded, body, &on),
                _ => log.record(pledge(&format!("p{target}")), recorded, body, &on),
            }
        }
        let (_dir, db) = log.project();
        let reader = Reader::new(&db).unwrap();
        let all = window("2026-12-31", None);
        let (stored, folded) = stored_and_folded(&reader, &all);
        prop_assert_eq!(folded, stored);

        // A fold for a date equals projecting, live, only the commits that had happened by it
        // (of those the projector accepted: the others were quarantined and are in no view).
        let date = d("2026-05-01") + chrono::Days::new(cut.into());
        let past = reader.model("wm", &Window { as_of: date, known_at: None }).unwrap().unwrap();
        let kept: Vec<u64> = reader.log("wm").unwrap().iter().map(|l| l.seq).collect();
        let (_dir2, db2) = log.up_to(date, &kept).project();
        let live = Reader::new(&db2).unwrap().model("wm", &all).unwrap().unwrap();
        prop_assert_eq!(past, live);
    }
}

#[test]
fn a_report_recorded_late_does_not_replace_a_newer_one() {
    let mut log = Log::drafted();
    log.record(
        milestone("academy"),
        at("2026-05-02", 9),
        planned("2026-12-31"),
        "2026-05-02",
    );
    let progress = |percent: u8| -> EventBody {
        MilestoneProgressReported {
            percent,
            note: format!("{percent}%"),
        }
        .into()
    };
    log.record(
        milestone("academy"),
        at("2026-11-01", 9),
        progress(70),
        "2026-11-01",
    );
    // Recorded after the 70% report, but it happened a month before it.
    log.record(
        milestone("academy"),
        at("2026-11-02", 9),
        progress(55),
        "2026-10-01",
    );
    let (_dir, db) = log.project();
    let reader = Reader::new(&db).unwrap();
    let now = as_of(&reader, "2026-12-01");
    assert_eq!(now.milestones["academy"].percent, 70);
    let october = as_of(&reader, "2026-10-15");
    assert_eq!(october.milestones["academy"].percent, 55);
    let before_it = as_of(&reader, "2026-09-30");
    assert_eq!(before_it.milestones["academy"].percent, 0);
}
