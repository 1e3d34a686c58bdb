//! Golden vectors: committed bytes of stored commits, decoded by every build.
//!
//! `proto/golden/v<version>/<event type>.msgpack` holds one complete commit per event type and
//! schema version, with fixed ids, dates and timestamp. A file, once committed, is never changed or
//! removed: stored events are kept forever, so every past version's bytes must stay readable (an
//! old version's file is then listed in [`past_vectors`] with the value it upcasts to).
//!
//! A new event type or version needs a sample in [`sample`]; its file is written by running
//! `WAYMARK_BLESS=1 cargo test -p proto --test golden`, which writes only files that do not exist
//! yet. Check the new file in with the change that introduced the type.
//!
//! `proto/golden/python/` holds commits built by the Python example of `proto/WIRE.md`, so the
//! document stays honest.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use proto::*;

// ---- fixed inputs ----

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn recorded_at() -> DateTime<Utc> {
    "2026-12-01T09:30:00.123456789Z".parse().unwrap()
}

fn bp() -> BlueprintId {
    BlueprintId::new("wm-digital").unwrap()
}

fn org(id: &str) -> OrgId {
    OrgId::new(id).unwrap()
}

fn ws(id: &str) -> WorkstreamId {
    WorkstreamId::new(id).unwrap()
}

fn target(id: &str) -> TargetId {
    TargetId::new(id).unwrap()
}

fn hub_milestone() -> ThingRef {
    ThingRef::milestone(&bp(), &MilestoneId::new("hmcts-hub-100-roles").unwrap())
}

fn academy_milestone() -> ThingRef {
    ThingRef::milestone(&bp(), &MilestoneId::new("gds-academy-pop-up").unwrap())
}

fn secondments() -> ThingRef {
    ThingRef::commitment(&bp(), &CommitmentId::new("opg-secondments").unwrap())
}

fn academy_funding() -> ThingRef {
    ThingRef::pledge(&bp(), &PledgeId::new("wmca-academy-funding").unwrap())
}

fn actor() -> Actor {
    Actor {
        name: "programme-office".into(),
        org: Some(org("wmca")),
    }
}

/// One event of a golden commit, as the test expects to read it back.
struct Sample {
    thing: ThingRef,
    event_id: &'static str,
    occurred_on: NaiveDate,
    body: EventBody,
}

/// The golden sample of every event type at its current version. A type missing here fails
/// [`every_event_type_has_a_golden_vector`].
fn sample(event_type: &str) -> Option<Sample> {
    let s = |thing: ThingRef, event_id, occurred_on: &str, body: EventBody| Sample {
        thing,
        event_id,
        occurred_on: d(occurred_on),
        body,
    };
    let blueprint = ThingRef::blueprint(&bp());
    Some(match event_type {
        "organisation.registered" => s(
            ThingRef::organisation(&org("wmca")),
            "ad00d9f9-b517-4062-be46-baea1fd93584",
            "2026-01-05",
            OrganisationRegistered {
                name: "West Midlands Combined Authority".into(),
                org_type: OrgType::CombinedAuthority,
            }
            .into(),
        ),
        "organisation.renamed" => s(
            ThingRef::organisation(&org("solihull-college")),
            "cc1f04be-8909-455e-bd12-301725698353",
            "2026-02-02",
            OrganisationRenamed {
                name: "Solihull College & University Centre".into(),
            }
            .into(),
        ),
        "blueprint.drafted" => s(
            blueprint,
            "abf0cd05-7b8f-4538-a284-dd1709cd0356",
            "2026-01-12",
            BlueprintDrafted {
                title: "West Midlands public sector digital blueprint".into(),
                summary: "Public bodies in the West Midlands build digital skills and capability \
                          together: a GDS pop-up academy, an HMCTS digital hub with 100 tech \
                          roles in Birmingham, secondments, hack events and shared code."
                    .into(),
                lead_org: org("wmca"),
                start_date: d("2026-01-12"),
                target_end_date: d("2027-03-31"),
                // £2,500,000.00
                funding_target: 250_000_000,
                // 1,500 person-days
                staff_time_target: Some(150_000),
            }
            .into(),
        ),
        "blueprint.published" => s(
            blueprint,
            "75e672ab-d7fc-4890-a0d7-4b102483224b",
            "2026-01-26",
            BlueprintPublished {}.into(),
        ),
        "blueprint.closed" => s(
            blueprint,
            "62c68346-5795-4209-83ba-38e594a26bec",
            "2026-11-30",
            BlueprintClosed {
                reason: "Superseded by the West Midlands regional digital plan 2027–2030".into(),
            }
            .into(),
        ),
        "workstream.added" => s(
            blueprint,
            "9a03270a-a47a-4c3a-aaf3-8e8fd24cbe91",
            "2026-01-12",
            WorkstreamAdded {
                workstream: ws("skills-pipeline"),
                title: "Skills pipeline: college to employer".into(),
                lead_org: org("solihull-college"),
            }
            .into(),
        ),
        "workstream.renamed" => s(
            blueprint,
            "f8b0d27f-18c0-4894-88c6-e303d69517f9",
            "2026-02-16",
            WorkstreamRenamed {
                workstream: ws("digital-hubs"),
                title: "Digital hubs and tech roles in Birmingham".into(),
            }
            .into(),
        ),
        "workstream.retired" => s(
            blueprint,
            "d0dfb053-9a8a-4f58-83d7-f18b6e1f6172",
            "2026-04-20",
            WorkstreamRetired {
                workstream: ws("hack-events"),
                reason: "Merged into the collaboration and community workstream".into(),
            }
            .into(),
        ),
        "partner.joined" => s(
            blueprint,
            "4646ecfd-1602-4f49-911c-1ea022459337",
            "2026-01-19",
            PartnerJoined { org: org("hmcts") }.into(),
        ),
        "partner.left" => s(
            blueprint,
            "bda56b47-2689-40ed-817c-9f3b72cb35bc",
            "2026-06-01",
            PartnerLeft {
                org: org("sandwell-council"),
                reason: "Capacity moved to the council's own digital programme".into(),
            }
            .into(),
        ),
        "target.set" => s(
            blueprint,
            "004617ea-74b8-4c13-8aa8-daf80aba69d1",
            "2026-01-12",
            TargetSet {
                target: target("tech-roles-birmingham"),
                title: "Tech roles created in Birmingham".into(),
                unit: "roles".into(),
                target_value: 100,
            }
            .into(),
        ),
        "target.reported" => s(
            blueprint,
            "7130baf6-c6e9-47d2-99e4-6f3d5528cce7",
            "2026-10-30",
            TargetReported {
                target: target("tech-roles-birmingham"),
                value: 37,
                note: "HMCTS hub: 37 of 100 roles filled".into(),
            }
            .into(),
        ),
        "milestone.planned" => s(
            hub_milestone(),
            "bcb9fee7-5591-4a9b-8d6e-8e627c3af91e",
            "2026-01-19",
            MilestonePlanned {
                workstream: ws("digital-hubs"),
                title: "HMCTS digital hub opens in Birmingham with 100 tech roles".into(),
                owner: org("hmcts"),
                depends_on: vec![MilestoneId::new("hub-office-lease").unwrap()],
                due: d("2026-09-30"),
            }
            .into(),
        ),
        "milestone.started" => s(
            hub_milestone(),
            "aa3b345b-5d0d-497b-9bcb-4be0deb2674d",
            "2026-03-02",
            MilestoneStarted {}.into(),
        ),
        "milestone.progress_reported" => s(
            hub_milestone(),
            "bf2f1646-ddca-4de1-af48-038e5b6c901b",
            "2026-06-26",
            MilestoneProgressReported {
                percent: 40,
                note: "Office fit-out under way; first 20 roles advertised".into(),
            }
            .into(),
        ),
        "milestone.replanned" => s(
            hub_milestone(),
            "31fd9b8b-95af-40bf-8b0b-db5d3d9b12bc",
            "2026-08-14",
            MilestoneReplanned {
                from: d("2026-09-30"),
                to: d("2026-11-30"),
                reason: "Fit-out of the Birmingham office delayed by the landlord".into(),
            }
            .into(),
        ),
        "milestone.completed" => s(
            hub_milestone(),
            "db55680a-9d03-4ee8-a59e-68c0e01d3b9f",
            "2026-11-27",
            MilestoneCompleted {
                on: d("2026-11-27"),
                evidence: Some(
                    "https://www.gov.uk/government/organisations/hm-courts-and-tribunals-service"
                        .into(),
                ),
            }
            .into(),
        ),
        "milestone.cancelled" => s(
            academy_milestone(),
            "824480b4-073f-420b-88c9-eaf24ba5e608",
            "2026-07-06",
            MilestoneCancelled {
                reason: "Second cohort folded into the Birmingham academy run".into(),
            }
            .into(),
        ),
        "milestone.reopened" => s(
            academy_milestone(),
            "b4c9b19c-7091-46fd-8499-617e15471149",
            "2026-07-20",
            MilestoneReopened {
                reason: "GDS confirmed a second cohort for Coventry".into(),
            }
            .into(),
        ),
        "commitment.made" => s(
            secondments(),
            "3209bb6f-cfd2-4912-99da-b54dc3460438",
            "2026-02-09",
            CommitmentMade {
                partner: org("opg"),
                kind: CommitmentKind::Secondment,
                description: "Two developers seconded to the Birmingham digital hub for six months"
                    .into(),
                quantity: 2,
                unit: "people".into(),
                due: d("2026-06-30"),
            }
            .into(),
        ),
        "commitment.delivery_recorded" => s(
            secondments(),
            "5167482d-8028-44ab-b036-b4fe36180dd0",
            "2026-04-01",
            CommitmentDeliveryRecorded {
                quantity: 1,
                note: "First developer started at the hub".into(),
            }
            .into(),
        ),
        "commitment.amended" => s(
            secondments(),
            "e380c503-9aba-4981-a6af-c23bdcb323bd",
            "2026-05-11",
            CommitmentAmended {
                quantity: Some(3),
                due: None,
                reason: "OPG added a user researcher to the secondment".into(),
            }
            .into(),
        ),
        "commitment.fulfilled" => s(
            secondments(),
            "3d2b2009-090b-4519-9746-2006aeaf11ea",
            "2026-06-29",
            CommitmentFulfilled {}.into(),
        ),
        "commitment.withdrawn" => s(
            secondments(),
            "9214d1ab-b8ec-4b81-b4b3-e804dde4db62",
            "2026-03-16",
            CommitmentWithdrawn {
                reason: "Secondees needed back for the OPG digital service launch".into(),
            }
            .into(),
        ),
        "pledge.made" => s(
            academy_funding(),
            "6ade18cc-763b-4969-86d4-0ea6a9a7b2a2",
            "2026-02-23",
            PledgeMade {
                sponsor: org("wmca"),
                resource: Resource::Money,
                // £75,000.00 (illustrative)
                amount: 7_500_000,
                workstream: Some(ws("skills-pipeline")),
                conditions: "Illustrative amount; subject to WMCA investment board approval".into(),
            }
            .into(),
        ),
        "pledge.confirmed" => s(
            academy_funding(),
            "52afe0e7-820f-414c-874e-0c65a8a9abbe",
            "2026-03-23",
            PledgeConfirmed { amount: 7_000_000 }.into(),
        ),
        "pledge.disbursed" => s(
            academy_funding(),
            "7d9b24bf-7df3-416f-baf9-f7cf341f9336",
            "2026-04-30",
            PledgeDisbursed {
                amount: 2_500_000,
                note: "First quarterly payment: £25,000 (illustrative)".into(),
            }
            .into(),
        ),
        "pledge.withdrawn" => s(
            academy_funding(),
            "43fba966-47f7-4da7-be39-1ebea4461481",
            "2026-09-07",
            PledgeWithdrawn {
                reason: "Funding round closed before the board met".into(),
            }
            .into(),
        ),
        "pledge.closed" => s(
            academy_funding(),
            "422b691c-4a77-46ff-bff0-a699de424b64",
            "2026-11-16",
            PledgeClosed {}.into(),
        ),
        "milestone.retitled" => s(
            academy_milestone(),
            "5f0c2b8e-1d4a-4c3f-9e27-8a6b0d3c4e51",
            "2026-07-27",
            MilestoneRetitled {
                title: "GDS academy: first cohort in Birmingham".into(),
            }
            .into(),
        ),
        "commitment.retitled" => s(
            secondments(),
            "c3d2e1f0-4b5a-4978-8c6d-2e1f0a9b8c7d",
            "2026-02-02",
            CommitmentRetitled {
                description: "Two secondees from GDS to the HMCTS digital hub".into(),
            }
            .into(),
        ),
        "pledge.retitled" => s(
            academy_funding(),
            "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
            "2026-02-24",
            PledgeRetitled {
                title: "WMCA academy fund".into(),
            }
            .into(),
        ),
        "commit.voided" => s(
            academy_milestone(),
            "0e6a4f2d-7c1b-4d8e-a95f-3b2c1d0e9f8a",
            "2026-08-03",
            CommitVoided {
                seq: 412,
                reason: "written by a tool that wrote no events; nothing it said was kept".into(),
            }
            .into(),
        ),
        _ => return None,
    })
}

fn event(event_id: &str, occurred_on: NaiveDate, body: &EventBody) -> Event {
    let (event_type, version, data) = body.to_wire().unwrap();
    Event {
        id: event_id.to_owned(),
        event_type: event_type.to_owned(),
        version,
        occurred_on,
        data,
    }
}

fn commit(thing: ThingRef, idempotency_key: &str, events: Vec<Event>) -> Commit {
    Commit {
        format: FORMAT_VERSION,
        thing,
        idempotency_key: idempotency_key.to_owned(),
        request_hash: None,
        actor: actor(),
        recorded_at: recorded_at(),
        events,
    }
}

// ---- the vectors ----

/// A committed file and what it must decode to.
struct Vector {
    /// Relative to `proto/golden`.
    path: String,
    /// The commit the file holds; `None` for past versions, which are compared by typed bodies
    /// only (their payloads differ from today's encoding by design).
    commit: Option<Commit>,
    /// The typed events the file holds, upcast to the current versions.
    bodies: Vec<EventBody>,
    /// Whether Waymark wrote the file, so that `WAYMARK_BLESS=1` may write it when it is missing
    /// and re-encoding must give the same bytes. Another writer's bytes need only decode: Python
    /// writes `.250000Z` where chrono writes `.250Z`, and both mean the same instant.
    written_by_waymark: bool,
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("golden")
}

fn current_path(event_type: &str, version: u16) -> String {
    format!("v{version}/{event_type}.msgpack")
}

/// One vector per event type at its current version.
fn current_vectors() -> Vec<Vector> {
    EVENT_TYPES
        .iter()
        .filter_map(|&(event_type, version)| {
            let s = sample(event_type)?;
            let c = commit(
                s.thing,
                &format!("golden-{event_type}"),
                vec![event(s.event_id, s.occurred_on, &s.body)],
            );
            Some(Vector {
                path: current_path(event_type, version),
                commit: Some(c),
                bodies: vec![s.body],
                written_by_waymark: true,
            })
        })
        .collect()
}

/// One command that stored two events: a milestone started and completed on the same day.
fn multi_event_vector() -> Vector {
    let on = d("2026-05-15");
    let bodies: Vec<EventBody> = vec![
        MilestoneStarted {}.into(),
        MilestoneCompleted {
            on,
            evidence: Some(
                "https://www.gov.uk/government/organisations/government-digital-service".into(),
            ),
        }
        .into(),
    ];
    let events = vec![
        event("2d9294f0-c412-474f-899c-3c811982d3c9", on, &bodies[0]),
        event("387db1f9-9697-4c79-a2f4-f913a4ee68a0", on, &bodies[1]),
    ];
    Vector {
        path: "multi/milestone.started+milestone.completed.msgpack".into(),
        commit: Some(commit(
            academy_milestone(),
            "golden-start-and-complete",
            events,
        )),
        bodies,
        written_by_waymark: true,
    }
}

/// The commit the Python example in WIRE.md builds with the fixed inputs of the check script.
fn python_vector() -> Vector {
    let body: EventBody = MilestonePlanned {
        workstream: ws("digital-hubs"),
        title: "HMCTS digital hub opens in Birmingham with 100 tech roles".into(),
        owner: org("hmcts"),
        depends_on: vec![MilestoneId::new("hub-office-lease").unwrap()],
        due: d("2026-09-30"),
    }
    .into();
    let commit = Commit {
        format: 1,
        thing: hub_milestone(),
        idempotency_key: "py-import-2026-01-19-0001".into(),
        request_hash: None,
        actor: Actor {
            name: "csv-import".into(),
            org: Some(org("wmca")),
        },
        recorded_at: "2026-01-19T10:04:05.250000Z".parse().unwrap(),
        events: vec![event(
            "d8908e97-4526-46b9-ab6f-d3cea9660854",
            d("2026-01-19"),
            &body,
        )],
    };
    Vector {
        path: "python/milestone-planned.msgpack".into(),
        commit: Some(commit),
        bodies: vec![body],
        written_by_waymark: false,
    }
}

/// Files of event versions that are no longer current, with the value each upcasts to. When an
/// event type gets a new version, its old file moves here (the file itself never changes).
fn past_vectors() -> Vec<Vector> {
    Vec::new()
}

fn all_vectors() -> Vec<Vector> {
    let mut all = current_vectors();
    all.push(multi_event_vector());
    all.push(python_vector());
    all.extend(past_vectors());
    all
}

fn bless_enabled() -> bool {
    std::env::var("WAYMARK_BLESS").is_ok_and(|v| v == "1")
}

/// Writes `bytes` to `path` only if no file is there: committed bytes are never replaced.
fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(path.parent().unwrap())?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

// ---- tests ----

#[test]
fn every_event_type_has_a_sample_at_its_current_version() {
    for &(event_type, version) in EVENT_TYPES {
        let s = sample(event_type).unwrap_or_else(|| {
            panic!("event type {event_type} has no golden sample; add one to sample() in proto/tests/golden.rs")
        });
        let (name, v, _) = s.body.to_wire().unwrap();
        assert_eq!((name, v), (event_type, version), "sample for {event_type}");
    }
}

/// Decodes every vector, compares it with the value built here and re-encodes it to the same
/// bytes. Missing files fail the test unless `WAYMARK_BLESS=1`, which writes them.
#[test]
fn every_event_type_has_a_golden_vector() {
    let dir = golden_dir();
    let bless = bless_enabled();
    let mut problems = Vec::new();
    for vector in all_vectors() {
        let path = dir.join(&vector.path);
        if !path.exists() {
            match (&vector.commit, bless && vector.written_by_waymark) {
                (Some(commit), true) => {
                    write_new(&path, &commit.encode().unwrap()).unwrap();
                    eprintln!("wrote new golden vector {}", path.display());
                }
                _ if vector.written_by_waymark => problems.push(format!(
                    "{} is missing; run WAYMARK_BLESS=1 cargo test -p proto --test golden and commit the file",
                    vector.path
                )),
                _ => problems.push(format!(
                    "{} is missing; it is made by the Python example of proto/WIRE.md",
                    vector.path
                )),
            }
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let decoded = match Commit::decode(&bytes) {
            Ok(c) => c,
            Err(e) => {
                problems.push(format!("{}: {e}", vector.path));
                continue;
            }
        };
        match decoded.bodies() {
            Ok(bodies) if bodies == vector.bodies => {}
            Ok(bodies) => problems.push(format!(
                "{}: decoded to {bodies:?}, expected {:?}",
                vector.path, vector.bodies
            )),
            Err(e) => problems.push(format!("{}: {e}", vector.path)),
        }
        if let Some(expected) = &vector.commit
            && &decoded != expected
        {
            problems.push(format!(
                "{}: commit is {decoded:?}, expected {expected:?}",
                vector.path
            ));
        }
        if vector.written_by_waymark && decoded.encode().unwrap() != bytes {
            problems.push(format!(
                "{}: re-encoding does not give the committed bytes",
                vector.path
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "golden vectors:\n{}",
        problems.join("\n")
    );
}

/// A committed file that no vector names would be tested by nobody; every file must be listed.
#[test]
fn every_golden_file_is_checked() {
    let dir = golden_dir();
    let known: BTreeSet<PathBuf> = all_vectors().iter().map(|v| dir.join(&v.path)).collect();
    let mut files = Vec::new();
    files_under(&dir, &mut files);
    let unknown: Vec<_> = files.iter().filter(|f| !known.contains(*f)).collect();
    assert!(
        unknown.is_empty(),
        "golden files no test decodes: {unknown:?}"
    );
}

#[test]
fn golden_commits_hold_what_wire_md_says() {
    let bytes = std::fs::read(golden_dir().join(current_path("milestone.replanned", 1))).unwrap();
    let value = rmpv::decode::read_value(&mut bytes.as_slice()).unwrap();
    let map = value.as_map().expect("a commit is a map");
    let keys: Vec<&str> = map.iter().map(|(k, _)| k.as_str().unwrap()).collect();
    assert_eq!(
        keys,
        [
            "format",
            "thing",
            "idempotency_key",
            "actor",
            "recorded_at",
            "events"
        ]
    );
    let field = |name: &str| {
        &map.iter()
            .find(|(k, _)| k.as_str() == Some(name))
            .unwrap()
            .1
    };
    assert_eq!(field("format").as_u64(), Some(1));
    assert_eq!(
        field("recorded_at").as_str(),
        Some("2026-12-01T09:30:00.123456789Z")
    );
    let event = &field("events").as_array().unwrap()[0];
    let event = event.as_map().unwrap();
    let keys: Vec<&str> = event.iter().map(|(k, _)| k.as_str().unwrap()).collect();
    assert_eq!(keys, ["id", "type", "version", "occurred_on", "data"]);
    assert_eq!(event[3].1.as_str(), Some("2026-08-14"));
    let data = event[4].1.as_map().unwrap();
    assert_eq!(data[0].1.as_str(), Some("2026-09-30"));
}

#[test]
fn an_unknown_event_type_still_decodes_as_a_commit() {
    let teleported = Event {
        id: "d730d0b7-0fea-455f-b700-01884c32d06b".into(),
        event_type: "milestone.teleported".into(),
        version: 1,
        occurred_on: d("2026-05-01"),
        data: rmpv::Value::Map(vec![("to".into(), "Coventry".into())]),
    };
    let bytes = commit(hub_milestone(), "from-the-future", vec![teleported.clone()])
        .encode()
        .unwrap();
    let decoded = Commit::decode(&bytes).unwrap();
    assert_eq!(decoded.events, vec![teleported]);
    match decoded.bodies() {
        Err(CodecError::UnknownEvent {
            event_type,
            version,
        }) => assert_eq!((event_type.as_str(), version), ("milestone.teleported", 1)),
        other => panic!("expected an unknown event, got {other:?}"),
    }
}

#[test]
fn an_unknown_version_of_a_known_type_is_an_unknown_event() {
    let s = sample("milestone.replanned").unwrap();
    let mut e = event(s.event_id, s.occurred_on, &s.body);
    e.version = 99;
    let decoded = Commit::decode(&commit(s.thing, "v99", vec![e]).encode().unwrap()).unwrap();
    assert!(matches!(
        decoded.bodies(),
        Err(CodecError::UnknownEvent { version: 99, .. })
    ));
}

#[test]
fn unknown_fields_are_ignored() {
    let s = sample("milestone.replanned").unwrap();
    let mut e = event(s.event_id, s.occurred_on, &s.body);
    if let rmpv::Value::Map(fields) = &mut e.data {
        fields.push(("approved_by".into(), "Programme board".into()));
    }
    let mut envelope = rmpv::decode::read_value(
        &mut commit(s.thing, "extra", vec![e])
            .encode()
            .unwrap()
            .as_slice(),
    )
    .unwrap();
    if let rmpv::Value::Map(fields) = &mut envelope {
        fields.push(("trace_id".into(), "4bf92f3577b34da6".into()));
    }
    let mut bytes = Vec::new();
    rmpv::encode::write_value(&mut bytes, &envelope).unwrap();
    let decoded = Commit::decode(&bytes).unwrap();
    assert_eq!(decoded.bodies().unwrap(), vec![s.body]);
}

#[test]
fn a_commit_of_another_format_is_refused() {
    let s = sample("pledge.closed").unwrap();
    let mut c = commit(
        s.thing,
        "format-2",
        vec![event(s.event_id, s.occurred_on, &s.body)],
    );
    c.format = 2;
    assert!(matches!(
        Commit::decode(&c.encode().unwrap()),
        Err(CodecError::Format(2))
    ));
}

#[test]
fn recorded_at_accepts_any_rfc3339_offset() {
    let s = sample("pledge.closed").unwrap();
    let c = commit(
        s.thing,
        "offset",
        vec![event(s.event_id, s.occurred_on, &s.body)],
    );
    let mut value = rmpv::decode::read_value(&mut c.encode().unwrap().as_slice()).unwrap();
    for (written, read) in [
        ("2026-12-01T09:30:00+00:00", "2026-12-01T09:30:00Z"),
        ("2026-12-01T10:30:00.5+01:00", "2026-12-01T09:30:00.500Z"),
    ] {
        if let rmpv::Value::Map(fields) = &mut value {
            for (k, v) in fields.iter_mut() {
                if k.as_str() == Some("recorded_at") {
                    *v = written.into();
                }
            }
        }
        let mut bytes = Vec::new();
        rmpv::encode::write_value(&mut bytes, &value).unwrap();
        let decoded = Commit::decode(&bytes).unwrap();
        assert_eq!(decoded.recorded_at, read.parse::<DateTime<Utc>>().unwrap());
    }
}

fn map(fields: Vec<(&str, rmpv::Value)>) -> rmpv::Value {
    rmpv::Value::Map(fields.into_iter().map(|(k, v)| (k.into(), v)).collect())
}

fn to_bytes(value: &rmpv::Value) -> Vec<u8> {
    let mut bytes = Vec::new();
    rmpv::encode::write_value(&mut bytes, value).unwrap();
    bytes
}

/// The command envelope as WIRE.md describes it, written field by field as another language
/// would, with the optional fields left out.
#[test]
fn a_command_written_as_wire_md_says_decodes() {
    let command = |action: rmpv::Value| {
        map(vec![
            ("idempotency_key", "py-replan-0001".into()),
            ("actor", map(vec![("name", "csv-import".into())])),
            (
                "command",
                map(vec![
                    ("blueprint", "wm-digital".into()),
                    ("milestone", "hmcts-hub-100-roles".into()),
                    ("action", action),
                ]),
            ),
        ])
    };
    let replan = command(map(vec![(
        "replan",
        map(vec![
            ("to", "2026-11-30".into()),
            ("reason", "Fit-out delayed by the landlord".into()),
        ]),
    )]));
    let decoded: CommandEnvelope<MilestoneCommand> = decode(&to_bytes(&replan)).unwrap();
    assert_eq!(
        decoded,
        CommandEnvelope {
            idempotency_key: "py-replan-0001".into(),
            actor: Actor::named("csv-import"),
            expected_version: None,
            occurred_on: None,
            seen: Default::default(),
            command: MilestoneCommand {
                blueprint: bp(),
                milestone: MilestoneId::new("hmcts-hub-100-roles").unwrap(),
                action: MilestoneAction::Replan {
                    to: d("2026-11-30"),
                    reason: "Fit-out delayed by the landlord".into(),
                },
            },
        }
    );
    let start = command(map(vec![("start", map(vec![]))]));
    let decoded: CommandEnvelope<MilestoneCommand> = decode(&to_bytes(&start)).unwrap();
    assert_eq!(decoded.command.action, MilestoneAction::Start {});
}

#[test]
fn replies_have_the_shape_wire_md_shows() {
    let accepted = Reply::Accepted(Accepted {
        seq: 4182,
        version: 4182,
        events: vec!["milestone.replanned".into()],
        duplicate: false,
    });
    let value = rmpv::decode::read_value(&mut encode(&accepted).unwrap().as_slice()).unwrap();
    assert_eq!(
        value,
        map(vec![
            ("outcome", "accepted".into()),
            ("seq", 4182.into()),
            ("version", 4182.into()),
            (
                "events",
                rmpv::Value::Array(vec!["milestone.replanned".into()])
            ),
            ("duplicate", false.into()),
        ])
    );
    let rejected = Reply::Rejected(Rejection::invalid(
        "input.blank",
        "reason",
        "reason must not be blank",
    ));
    let value = rmpv::decode::read_value(&mut encode(&rejected).unwrap().as_slice()).unwrap();
    assert_eq!(
        value,
        map(vec![
            ("outcome", "rejected".into()),
            ("code", "input.blank".into()),
            ("kind", "invalid".into()),
            ("message", "reason must not be blank".into()),
            ("field", "reason".into()),
        ])
    );
    assert_eq!(decode::<Reply>(&to_bytes(&value)).unwrap(), rejected);
}
