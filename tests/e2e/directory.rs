//! What a command's rules read organisations and blueprints from: each kind followed as its
//! commits arrive (`eventstore::Followed`), with the stream behind it, and never a refusal that
//! rests on a change not yet received.

use std::sync::Arc;
use std::time::Duration;

use eventstore::{Aggregate, EventStore, FOLLOW_WAIT, Folded, Followed};
use proto::{EventBody, OrganisationRenamed, ThingKind};
use serde_json::json;
use tests::{Deadline, TestApp, TestNats};

/// An organisation's name as its renames leave it.
#[derive(Debug, Clone, Default)]
struct Name(String);

impl Aggregate for Name {
    fn evolve(&mut self, event: &EventBody) {
        if let EventBody::OrganisationRenamed(e) = event {
            self.0.clone_from(&e.name);
        }
    }
}

fn renamed(name: String) -> EventBody {
    EventBody::from(OrganisationRenamed { name })
}

/// A nats-server of its own and a connection that can append.
async fn store() -> (TestNats, EventStore) {
    let nats = TestNats::start().await;
    let store = EventStore::open(&nats.config(), "test-follower")
        .await
        .unwrap();
    (nats, store)
}

/// A follower of organisations on `store`, once it has caught up.
async fn following(store: &EventStore) -> Followed<Name> {
    let followed = Followed::<Name>::start(store.reader().clone(), ThingKind::Organisation);
    let deadline = Deadline::after(Duration::from_secs(10), Duration::from_millis(10));
    while !followed.caught_up() {
        deadline
            .retry(|| "the follower never caught up".into())
            .await;
    }
    followed
}

/// Appends `n` renames of `org` after the one at `last`, named `name-{from}` onwards; returns the
/// sequence of the last.
async fn renames(store: &EventStore, org: &str, from: u64, n: usize, last: u64) -> u64 {
    let thing = tests::organisation(org);
    let mut last = last;
    for i in from..from + n as u64 {
        let commit = tests::commit(
            thing.clone(),
            &format!("{org}-{i}"),
            &[renamed(format!("name-{i}"))],
        );
        last = store.append(&commit, last).await.expect("appended").seq;
    }
    last
}

async fn get(
    followed: &Followed<Name>,
    org: &str,
    seen: u64,
    wait: Duration,
) -> Option<Arc<Folded<Name>>> {
    followed
        .get(&tests::organisation(org).subject(), seen, wait)
        .await
}

/// Each change is answered as soon as it is stored, whoever asks for it next: the follower
/// waits for what the caller has seen rather than answering with what it has.
#[tokio::test]
async fn a_followed_state_holds_every_change_the_caller_has_seen() {
    let (_nats, store) = store().await;
    let followed = following(&store).await;
    let nobody = get(&followed, "nobody", 0, FOLLOW_WAIT)
        .await
        .expect("caught up");
    assert_eq!(
        nobody.version, 0,
        "a thing with no commits has the empty state"
    );

    let mut last = 0;
    for i in 0..40 {
        last = renames(&store, "gds", i, 1, last).await;
        let folded = get(&followed, "gds", last, FOLLOW_WAIT)
            .await
            .expect("the follower receives what the stream stores");
        assert_eq!(folded.version, last);
        assert_eq!(folded.state.0, format!("name-{i}"));
    }
    // A sequence it has not received: it cannot say, and the caller reads the stream instead.
    assert!(
        get(&followed, "gds", last + 1, Duration::from_millis(50))
            .await
            .is_none()
    );
    // Other kinds are not followed: a milestone's commit moves nothing.
    let other = tests::commit(
        tests::milestone("wm", "academy"),
        "m-1",
        &[renamed("x".into())],
    );
    store.append(&other, 0).await.unwrap();
    assert_eq!(
        get(&followed, "gds", 0, FOLLOW_WAIT).await.unwrap().version,
        last
    );
}

/// A follower started on a stream that already holds commits answers nothing until it has
/// folded all of them: never a state part-way through the history.
#[tokio::test]
async fn a_follower_answers_only_once_it_has_folded_what_was_stored() {
    let (_nats, store) = store().await;
    let last = renames(&store, "gds", 0, 300, 0).await;
    let followed = Followed::<Name>::start(store.reader().clone(), ThingKind::Organisation);
    let deadline = Deadline::after(Duration::from_secs(10), Duration::from_millis(1));
    let folded = loop {
        // Asked with nothing seen, so only catching up decides when it answers.
        match get(&followed, "gds", 0, Duration::ZERO).await {
            Some(folded) => break folded,
            None => {
                deadline
                    .retry(|| "the follower never answered".into())
                    .await
            }
        }
    };
    assert_eq!(
        folded.version, last,
        "answered part-way through the history"
    );
    assert_eq!(folded.state.0, "name-299");
}

/// A thing with a commit the follower cannot read is left to the stream, which names the commit
/// (`thing.unreadable`); its other things are still followed.
#[tokio::test]
async fn a_thing_with_an_unreadable_commit_is_left_to_the_stream() {
    let (_nats, store) = store().await;
    let followed = following(&store).await;
    renames(&store, "gds", 0, 1, 0).await;
    let subject = tests::organisation("gds").subject();
    let garbage = tests::publish_raw(
        &async_nats::jetstream::new(store.client().clone()),
        &subject,
        b"\xc1 not a commit",
    )
    .await;
    let after = renames(&store, "wmca", 0, 1, 0).await;
    assert!(get(&followed, "gds", garbage, FOLLOW_WAIT).await.is_none());
    let wmca = get(&followed, "wmca", after, FOLLOW_WAIT)
        .await
        .expect("followed");
    assert_eq!(wmca.state.0, "name-0");
}

/// A change written past the dashboard (another replica, a script on NATS) that the services have
/// not yet received never makes them refuse a command resting on it: a refusal is decided again
/// on the stream's latest commits.
#[tokio::test]
async fn a_command_is_never_refused_on_a_change_not_yet_received() {
    let app = TestApp::with_blueprint("wm").await;
    let skills = proto::WorkstreamAdded {
        workstream: "skills".parse().unwrap(),
        title: "Skills".into(),
        lead_org: "gds".parse().unwrap(),
    };
    for i in 0..20 {
        let bp = format!("bp{i}");
        let drafted = proto::BlueprintDrafted {
            title: format!("Blueprint {i}"),
            summary: "Behind the dashboard's back".into(),
            lead_org: "gds".parse().unwrap(),
            start_date: "2026-01-01".parse().unwrap(),
            target_end_date: "2027-12-31".parse().unwrap(),
            funding_target: 1_000,
            staff_time_target: None,
        };
        let thing = proto::ThingRef::blueprint(&bp.parse().unwrap());
        let commit = tests::commit(
            thing,
            &format!("draft-{bp}"),
            &[EventBody::from(drafted), EventBody::from(skills.clone())],
        );
        app.store.append(&commit, 0).await.expect("drafted");
        let plan = app.plan_milestone(&bp, "academy", "2027-01-31").await;
        assert_eq!(plan.status, 201, "{bp}: {plan:?}");
    }
}

/// A change recorded through the dashboard is seen by the next command sent through it, whichever
/// service decides that command.
#[tokio::test]
async fn the_next_command_sees_a_change_recorded_through_the_dashboard() {
    let app = TestApp::with_blueprint("wm").await;
    for i in 0..10 {
        let ws = format!("ws{i}");
        app.record(
            "/api/v1/blueprints/wm/add-workstream",
            json!({"workstream": ws, "title": "Short-lived", "lead_org": "gds"}),
        )
        .await;
        app.record(
            "/api/v1/blueprints/wm/retire-workstream",
            json!({"workstream": ws, "reason": "Merged"}),
        )
        .await;
        let plan = app
            .post(
                "/api/v1/blueprints/wm/milestones",
                json!({"id": format!("m{i}"), "workstream": ws, "title": "Too late",
                       "owner": "gds", "due": "2027-01-31"}),
            )
            .await;
        assert_eq!(plan.status, 409, "{plan:?}");
        assert_eq!(plan.body["code"], "workstream.retired", "{plan:?}");
    }
}
