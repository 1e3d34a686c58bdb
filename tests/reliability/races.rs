//! Writers racing, on a single server of every supported version and on a 3-node cluster: 32
//! appends on one thing from the same version (exactly one wins, every loser is told it lost a
//! race, none that the server failed), 32 on 32 different things at once (all win: no conflict
//! where nothing raced), and 32 commands on one thing through two instances of every service
//! (each accepted, or refused as contended after its retries, never a server failure; the stream
//! holds exactly the accepted ones).

use futures::future::join_all;
use proto::{Actor, Commit, Event, EventBody, FORMAT_VERSION, MilestoneProgressReported, ThingRef};
use serde_json::json;
use tests::cluster::ClusterApp;
use tests::evidence::{Run, size};
use tests::servers;

use crate::commands::{Fate, Sent, check_against_stream, stored_keys};

const WRITERS: usize = 32;

fn commit(thing: &ThingRef, key: String, body: EventBody) -> Commit {
    Commit {
        format: FORMAT_VERSION,
        thing: thing.clone(),
        idempotency_key: key,
        request_hash: None,
        actor: Actor::named("racer"),
        recorded_at: chrono::Utc::now(),
        events: vec![Event::new(&body, chrono::Utc::now().date_naive()).expect("event")],
    }
}

fn planned(title: &str) -> EventBody {
    proto::MilestonePlanned {
        workstream: "skills".parse().expect("slug"),
        title: title.to_owned(),
        owner: "gds".parse().expect("slug"),
        depends_on: Vec::new(),
        due: chrono::NaiveDate::from_ymd_opt(2027, 3, 31).expect("date"),
    }
    .into()
}

/// Counts an append's outcome where exactly the winners may succeed and every loser must be a
/// conflict: anything else is a server failure (or, for `no_race`, a conflict where none raced).
fn tally(
    outcome: &Result<eventstore::Appended, eventstore::AppendError>,
    no_race: bool,
    run: &mut Run,
) -> bool {
    run.checked += 1;
    match outcome {
        Ok(_) => true,
        Err(eventstore::AppendError::Conflict { .. }) if !no_race => {
            run.retried += 1;
            false
        }
        Err(eventstore::AppendError::Conflict { .. }) => {
            run.unexpected += 1;
            false
        }
        Err(e) => {
            run.server_errors += 1;
            run.note.push_str(&format!("a loser was told: {e}; "));
            false
        }
    }
}

async fn races(app: &mut ClusterApp, rounds: usize, run: &mut Run) {
    app.given_blueprint("wm").await;
    let bp: proto::BlueprintId = "wm".parse().expect("slug");
    let store = app.store.clone();

    // 32 appends on one thing, all from the same version, round after round.
    let thing = ThingRef::milestone(&bp, &"contested".parse().expect("slug"));
    let mut version = store
        .append(
            &commit(&thing, "contested-plan".into(), planned("Contested")),
            0,
        )
        .await
        .expect("planned")
        .seq;
    for round in 0..rounds {
        let appends = (0..WRITERS).map(|i| {
            let body = MilestoneProgressReported {
                percent: (round % 100) as u8,
                note: format!("round {round}, writer {i}"),
            };
            let c = commit(&thing, format!("contested-{round}-{i}"), body.into());
            let store = store.clone();
            async move { store.append(&c, version).await }
        });
        let outcomes = join_all(appends).await;
        let winners: Vec<u64> = outcomes
            .iter()
            .filter(|o| tally(o, false, run))
            .filter_map(|o| o.as_ref().ok().map(|a| a.seq))
            .collect();
        match winners.as_slice() {
            [seq] => version = *seq,
            [] => {
                run.lost += 1;
                version = store.reader().last_seq(&thing).await.expect("last seq");
            }
            [first, ..] => {
                run.doubled += winners.len() as u64 - 1;
                version = *winners.iter().max().unwrap_or(first);
            }
        }
    }

    // 32 appends on 32 different things at once: nothing races, so everything is stored.
    for round in 0..rounds {
        let appends = (0..WRITERS).map(|i| {
            let thing =
                ThingRef::milestone(&bp, &format!("apart-{round}-{i}").parse().expect("slug"));
            let c = commit(&thing, format!("apart-{round}-{i}"), planned("Apart"));
            let store = store.clone();
            async move { store.append(&c, 0).await }
        });
        for outcome in join_all(appends).await {
            tally(&outcome, true, run);
        }
    }

    // 32 commands on one thing through two instances of every service: the losers of each race
    // reload and decide again; a command is accepted, or refused as contended after its retries.
    let second = app.add_stack().await;
    let planned = app
        .post(
            0,
            "/api/v1/blueprints/wm/milestones",
            &json!({"id": "shared", "workstream": "skills", "title": "Shared", "owner": "gds",
                    "due": "2027-03-31"}),
            "shared-plan",
        )
        .await;
    assert_eq!(planned.status, 201, "{planned:?}");
    let mut sent = Vec::new();
    for round in 0..rounds {
        let posts = (0..WRITERS).map(|i| {
            let key = format!("shared-{round}-{i}");
            let app = &*app;
            async move {
                let answer = app
                    .post(
                        if i % 2 == 0 { 0 } else { second },
                        "/api/v1/blueprints/wm/milestones/shared/report-progress",
                        &json!({"percent": i, "note": format!("round {round}, writer {i}")}),
                        &key,
                    )
                    .await;
                (key, answer)
            }
        });
        for (key, answer) in join_all(posts).await {
            let fate = match (answer.status, answer.body["code"].as_str()) {
                (200, _) => Fate::Accepted(answer.seq()),
                (409, Some("command.contended")) => Fate::Refused("command.contended".into()),
                (status, _) => {
                    if status >= 500 {
                        run.server_errors += 1;
                    } else {
                        run.unexpected += 1;
                    }
                    run.note
                        .push_str(&format!("{key}: {status} {}; ", answer.body));
                    Fate::Refused(String::new())
                }
            };
            sent.push(Sent {
                key,
                breaks: None,
                fate,
            });
        }
    }
    let (stored, _) = stored_keys(app).await;
    check_against_stream(&sent, &stored, run);
    let mut conflicts = 0;
    for base in &app.bases {
        let metrics = app
            .http
            .get(format!("{base}/metrics"))
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        conflicts += metrics
            .lines()
            .filter(|l| {
                l.starts_with("waymark_sequence_conflicts_total{service=\"waymark-milestones\"}")
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum::<u64>();
    }
    run.retried += conflicts;
    let contended = sent
        .iter()
        .filter(|s| matches!(&s.fate, Fate::Refused(c) if c == "command.contended"))
        .count();
    run.note.push_str(&format!(
        "{rounds} rounds of {WRITERS} racing appends on one thing and on {WRITERS} things, and of \
         {WRITERS} commands through two service instances ({conflicts} lost races reloaded and \
         decided again, {contended} refused as contended)"
    ));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_writers_on_a_cluster_lose_only_as_conflicts() {
    crate::recorded(
        "racing writers",
        &servers::current(),
        3,
        async |app, run| races(app, size(2, 20), run).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_writers_on_every_supported_single_server_lose_only_as_conflicts() {
    for binary in servers::supported() {
        crate::recorded("racing writers", &binary, 1, async |app, run| {
            races(app, size(2, 20), run).await
        })
        .await;
    }
}
