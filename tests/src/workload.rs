//! A realistic stream of commits written straight to the event store, much faster than through
//! the services: organisations and published blueprints first, then writers each owning their own
//! milestones, commitments and pledges across the blueprints, taking each through a life cycle the
//! services would allow (planned, started, progress, replanned, cancelled and reopened, done;
//! made, delivered, amended, fulfilled; made, confirmed, disbursed, closed), with target reports
//! on the blueprints. Now and then a commit no version can read is published on a thing of its
//! own, which the read side must quarantine.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{Days, NaiveDate, Utc};
use eventstore::{AppendError, EventStore};
use proto::{
    Actor, BlueprintDrafted, BlueprintPublished, Commit, CommitmentAmended,
    CommitmentDeliveryRecorded, CommitmentFulfilled, CommitmentKind, CommitmentMade, Event,
    EventBody, FORMAT_VERSION, MilestoneCancelled, MilestoneCompleted, MilestonePlanned,
    MilestoneProgressReported, MilestoneReopened, MilestoneReplanned, MilestoneStarted, OrgType,
    OrganisationRegistered, PartnerJoined, PledgeClosed, PledgeConfirmed, PledgeDisbursed,
    PledgeMade, Resource, TargetReported, TargetSet, ThingRef, WorkstreamAdded,
};
use tokio::sync::watch;

/// What to write.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Prefixes the ids of the blueprints and things, so that several workloads can share a
    /// stream (the organisations are shared).
    pub name: String,
    pub blueprints: usize,
    /// Writers appending at once, each on things of its own.
    pub writers: usize,
    /// Commits in all, the setup and the unreadable ones included.
    pub commits: u64,
    /// One commit in this many is unreadable (0: none).
    pub unreadable_every: u64,
}

/// What was written.
#[derive(Debug, Clone, Copy, Default)]
pub struct Written {
    pub commits: u64,
    pub unreadable: u64,
    pub last_seq: u64,
}

const ORGS: [&str; 3] = ["gds", "wmca", "bcc"];

fn today() -> NaiveDate {
    Utc::now().date_naive()
}

fn commit(thing: ThingRef, key: String, bodies: Vec<EventBody>) -> Commit {
    Commit {
        format: FORMAT_VERSION,
        thing,
        idempotency_key: key,
        request_hash: None,
        actor: Actor::named("workload"),
        recorded_at: Utc::now(),
        events: bodies
            .iter()
            .map(|b| Event::new(b, today()).expect("event encodes"))
            .collect(),
    }
}

/// Appends `commit` after `expected`, retrying what the server did not acknowledge (the same
/// message id, so a repeat is dropped); returns the new sequence.
async fn append(store: &EventStore, commit: &Commit, expected: u64) -> u64 {
    let mut attempts = 0;
    loop {
        match store.append(commit, expected).await {
            Ok(appended) => return appended.seq,
            Err(AppendError::Failed(e)) if attempts < 20 => {
                attempts += 1;
                eprintln!("workload append retried: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!(
                "the workload's append on {} failed: {e}",
                commit.thing.subject()
            ),
        }
    }
}

/// Writes `workload`, publishing the number of commits written so far on `progress`.
pub async fn write(
    store: &EventStore,
    workload: &Workload,
    progress: &watch::Sender<u64>,
) -> Written {
    let mut setup = 0u64;
    let mut last = 0u64;
    let mut put = |seq: u64| {
        setup += 1;
        last = last.max(seq);
        progress.send_replace(setup);
    };
    for org in ORGS {
        let body = OrganisationRegistered {
            name: format!("Organisation {org}"),
            org_type: OrgType::CentralGovernment,
        };
        let thing = ThingRef::organisation(&org.parse().expect("slug"));
        let registered = commit(thing.clone(), format!("org-{org}"), vec![body.into()]);
        match store.append(&registered, 0).await {
            Ok(appended) => put(appended.seq),
            // Registered by an earlier workload on the same stream.
            Err(AppendError::Conflict { .. }) => {}
            Err(e) => panic!("failed to register {org}: {e}"),
        }
    }
    let mut blueprint_versions = Vec::new();
    for b in 0..workload.blueprints {
        let id = format!("{}bp-{b}", workload.name);
        let thing = ThingRef::blueprint(&id.parse().expect("slug"));
        let steps: Vec<EventBody> = vec![
            BlueprintDrafted {
                title: format!("Blueprint {b}"),
                summary: "Joining up public services".into(),
                lead_org: "gds".parse().expect("slug"),
                start_date: NaiveDate::from_ymd_opt(2026, 1, 1).expect("date"),
                target_end_date: NaiveDate::from_ymd_opt(2028, 12, 31).expect("date"),
                funding_target: 500_000_000,
                staff_time_target: Some(100_000),
            }
            .into(),
            WorkstreamAdded {
                workstream: "skills".parse().expect("slug"),
                title: "Skills".into(),
                lead_org: "gds".parse().expect("slug"),
            }
            .into(),
            WorkstreamAdded {
                workstream: "data".parse().expect("slug"),
                title: "Data sharing".into(),
                lead_org: "wmca".parse().expect("slug"),
            }
            .into(),
            PartnerJoined {
                org: "wmca".parse().expect("slug"),
            }
            .into(),
            PartnerJoined {
                org: "bcc".parse().expect("slug"),
            }
            .into(),
            TargetSet {
                target: "apprentices".parse().expect("slug"),
                title: "Apprentices placed".into(),
                unit: "people".into(),
                target_value: 1_000,
            }
            .into(),
            BlueprintPublished {}.into(),
        ];
        let mut version = 0;
        for (i, body) in steps.into_iter().enumerate() {
            version = append(
                store,
                &commit(thing.clone(), format!("{id}-setup-{i}"), vec![body]),
                version,
            )
            .await;
            put(version);
        }
        blueprint_versions.push(version);
    }

    let budget = Arc::new(AtomicU64::new(setup));
    let mut tasks = Vec::new();
    for w in 0..workload.writers {
        let writer = Writer {
            store: store.clone(),
            id: w,
            name: workload.name.clone(),
            blueprints: workload.blueprints,
            things: Vec::new(),
            created: 0,
            blueprint_versions: if w == 0 {
                blueprint_versions.clone()
            } else {
                Vec::new()
            },
        };
        let (budget, progress, workload) = (budget.clone(), progress.clone(), workload.clone());
        tasks.push(tokio::spawn(writer.run(budget, progress, workload)));
    }
    let mut written = Written {
        commits: setup,
        unreadable: 0,
        last_seq: last,
    };
    for task in tasks {
        let (commits, unreadable, last) = task.await.expect("writer finished");
        written.commits += commits;
        written.unreadable += unreadable;
        written.last_seq = written.last_seq.max(last);
    }
    written
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Milestone,
    Commitment,
    Pledge,
}

/// A thing a writer owns and the step of its life cycle it is at.
struct Thing {
    kind: Kind,
    blueprint: String,
    id: String,
    /// A variant of the life cycle: some milestones are cancelled and reopened, some commitments
    /// amended, some pledges are of staff time.
    variant: u64,
    step: u32,
    version: u64,
}

struct Writer {
    store: EventStore,
    id: usize,
    name: String,
    blueprints: usize,
    things: Vec<Thing>,
    created: u64,
    /// The blueprints' own subjects, written by writer 0 only (target reports).
    blueprint_versions: Vec<u64>,
}

impl Writer {
    async fn run(
        mut self,
        budget: Arc<AtomicU64>,
        progress: watch::Sender<u64>,
        workload: Workload,
    ) -> (u64, u64, u64) {
        let (mut commits, mut unreadable, mut last) = (0, 0, 0);
        let js = async_nats::jetstream::new(self.store.client().clone());
        loop {
            let slot = budget.fetch_add(1, Ordering::SeqCst);
            if slot >= workload.commits {
                return (commits, unreadable, last);
            }
            let seq = if workload.unreadable_every > 0
                && slot.is_multiple_of(workload.unreadable_every)
            {
                unreadable += 1;
                self.unreadable(&js, slot).await
            } else if !self.blueprint_versions.is_empty() && slot.is_multiple_of(97) {
                self.report_target(slot).await
            } else {
                self.step(slot).await
            };
            commits += 1;
            last = last.max(seq);
            progress.send_modify(|n| *n += 1);
        }
    }

    /// Raw bytes, or a well-formed commit of an event type no version knows, on a thing of its own.
    async fn unreadable(&self, js: &async_nats::jetstream::Context, slot: u64) -> u64 {
        let bp = format!("{}bp-0", self.name);
        let subject = format!("waymark.evt.{bp}.milestone.ghost-{slot}");
        if slot.is_multiple_of(2) {
            js.publish(subject, bytes::Bytes::from_static(b"\xc1\xc1 not msgpack"))
                .await
                .expect("published")
                .await
                .expect("acknowledged")
                .sequence
        } else {
            let thing = ThingRef::milestone(
                &bp.parse().expect("slug"),
                &format!("ghost-{slot}").parse().expect("slug"),
            );
            let mut c = commit(
                thing,
                format!("{bp}-ghost-{slot}"),
                vec![MilestoneStarted {}.into()],
            );
            c.events[0].event_type = "milestone.teleported".to_owned();
            append(&self.store, &c, 0).await
        }
    }

    async fn report_target(&mut self, slot: u64) -> u64 {
        let b = (slot as usize / 97) % self.blueprint_versions.len();
        let thing = ThingRef::blueprint(&format!("{}bp-{b}", self.name).parse().expect("slug"));
        let body = TargetReported {
            target: "apprentices".parse().expect("slug"),
            value: slot % 1_000,
            note: format!("count at slot {slot}"),
        };
        let seq = append(
            &self.store,
            &commit(
                thing,
                format!("{}target-{slot}", self.name),
                vec![body.into()],
            ),
            self.blueprint_versions[b],
        )
        .await;
        self.blueprint_versions[b] = seq;
        seq
    }

    /// The next step of one of this writer's things, creating a new thing when there are few.
    async fn step(&mut self, slot: u64) -> u64 {
        if self.things.len() < 6 {
            let n = self.created;
            self.created += 1;
            let kind = match n % 3 {
                0 => Kind::Milestone,
                1 => Kind::Commitment,
                _ => Kind::Pledge,
            };
            let prefix = match kind {
                Kind::Milestone => "m",
                Kind::Commitment => "c",
                Kind::Pledge => "p",
            };
            self.things.push(Thing {
                kind,
                blueprint: format!(
                    "{}bp-{}",
                    self.name,
                    (self.id + n as usize) % self.blueprints
                ),
                id: format!("{}w{}-{prefix}{n}", self.name, self.id),
                variant: n / 3,
                step: 0,
                version: 0,
            });
        }
        let i = (slot as usize) % self.things.len();
        let thing = &mut self.things[i];
        let (body, done) = next_event(thing);
        let bp: proto::BlueprintId = thing.blueprint.parse().expect("slug");
        let target = match thing.kind {
            Kind::Milestone => ThingRef::milestone(&bp, &thing.id.parse().expect("slug")),
            Kind::Commitment => ThingRef::commitment(&bp, &thing.id.parse().expect("slug")),
            Kind::Pledge => ThingRef::pledge(&bp, &thing.id.parse().expect("slug")),
        };
        let key = format!("{}-{}", thing.id, thing.step);
        let seq = append(&self.store, &commit(target, key, vec![body]), thing.version).await;
        thing.version = seq;
        thing.step += 1;
        if done {
            self.things.swap_remove(i);
        }
        seq
    }
}

/// The event for `thing`'s current step, and whether its life cycle ends with it.
fn next_event(thing: &Thing) -> (EventBody, bool) {
    let due = NaiveDate::from_ymd_opt(2027, 3, 31).expect("date");
    let s = thing.step;
    match thing.kind {
        Kind::Milestone => {
            let cancels = thing.variant % 4 == 1;
            match (s, cancels) {
                (0, _) => (
                    MilestonePlanned {
                        workstream: if thing.variant.is_multiple_of(2) {
                            "skills"
                        } else {
                            "data"
                        }
                        .parse()
                        .expect("slug"),
                        title: format!("Milestone {}", thing.id),
                        owner: ORGS[(thing.variant % 3) as usize].parse().expect("slug"),
                        depends_on: Vec::new(),
                        due,
                    }
                    .into(),
                    false,
                ),
                (1, _) => (MilestoneStarted {}.into(), false),
                (2 | 3 | 6, _) | (5, false) => (
                    MilestoneProgressReported {
                        percent: (s * 15) as u8,
                        note: format!("progress at step {s}"),
                    }
                    .into(),
                    false,
                ),
                (4, false) => (
                    MilestoneReplanned {
                        from: due,
                        to: due.checked_add_days(Days::new(30)).expect("date"),
                        reason: "venue moved".into(),
                    }
                    .into(),
                    false,
                ),
                (4, true) => (
                    MilestoneCancelled {
                        reason: "funding paused".into(),
                    }
                    .into(),
                    false,
                ),
                (5, true) => (
                    MilestoneReopened {
                        reason: "funding back".into(),
                    }
                    .into(),
                    false,
                ),
                _ => (
                    MilestoneCompleted {
                        on: today(),
                        evidence: Some("report published".into()),
                    }
                    .into(),
                    true,
                ),
            }
        }
        Kind::Commitment => {
            let amends = thing.variant % 3 == 1;
            let quantity = if amends { 5 } else { 4 };
            match s {
                0 => (
                    CommitmentMade {
                        partner: ORGS[1 + (thing.variant % 2) as usize]
                            .parse()
                            .expect("slug"),
                        kind: CommitmentKind::Secondment,
                        description: format!("Secondees for {}", thing.id),
                        quantity: 4,
                        unit: "people".into(),
                        due,
                    }
                    .into(),
                    false,
                ),
                1 if amends => (
                    CommitmentAmended {
                        quantity: Some(5),
                        due: None,
                        reason: "one more place".into(),
                    }
                    .into(),
                    false,
                ),
                s if s <= quantity + u32::from(amends) => (
                    CommitmentDeliveryRecorded {
                        quantity: 1,
                        note: format!("delivery {s}"),
                    }
                    .into(),
                    false,
                ),
                _ => (CommitmentFulfilled {}.into(), true),
            }
        }
        Kind::Pledge => {
            let (resource, amount) = if thing.variant.is_multiple_of(2) {
                (Resource::Money, 400_000)
            } else {
                (Resource::StaffTime, 4_000)
            };
            match s {
                0 => (
                    PledgeMade {
                        sponsor: ORGS[1 + (thing.variant % 2) as usize]
                            .parse()
                            .expect("slug"),
                        resource,
                        amount,
                        workstream: None,
                        conditions: "match funding".into(),
                    }
                    .into(),
                    false,
                ),
                1 => (PledgeConfirmed { amount }.into(), false),
                2..=5 => (
                    PledgeDisbursed {
                        amount: amount / 4,
                        note: format!("instalment {}", s - 1),
                    }
                    .into(),
                    false,
                ),
                _ => (PledgeClosed {}.into(), true),
            }
        }
    }
}
