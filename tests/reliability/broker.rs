//! The broker dies under a stream of commands: a single nats-server killed (SIGKILL) and started
//! again on its data, and on a 3-node cluster with an R3 stream, the node leading the stream
//! killed while the others elect a new leader. Clients meanwhile get a retryable 503 with
//! `Retry-After` (or an answer) and retry with the same idempotency key; afterwards every
//! acknowledged command is in the stream exactly once and none that a rule refused is, and the
//! read models show every acknowledged command.

use std::time::Duration;

use tests::cluster::ClusterApp;
use tests::evidence::{Run, random_below, size};
use tests::servers;
use tokio::sync::watch;

use crate::commands::{Client, Fate, Sent, Tally, check_against_stream, stored_keys, writer};

/// How a run is sized.
struct Plan {
    crashes: usize,
    writers: usize,
    commands_per_writer: usize,
}

impl Plan {
    /// Every broker run's crashes and writers, each writer sending `commands_per_writer`.
    fn crashing(commands_per_writer: usize) -> Self {
        Plan {
            crashes: size(1, 5),
            writers: size(4, 8),
            commands_per_writer,
        }
    }
}

/// Writers send commands while the stream's leader (the only node of a single server) is killed
/// `plan.crashes` times, at moments picked at random among the acknowledgements, and restarted.
async fn commands_through_crashes(app: &mut ClusterApp, plan: &Plan, run: &mut Run) {
    let bp = "wm";
    app.given_blueprint(bp).await;
    let (accepted, mut acknowledged) = watch::channel(0u64);
    let total = (plan.writers * plan.commands_per_writer) as u64;
    let mut tasks = Vec::new();
    for w in 0..plan.writers {
        tasks.push(tokio::spawn(writer(
            Client::of(app),
            bp.to_owned(),
            w,
            plan.commands_per_writer,
            accepted.clone(),
        )));
    }
    // Moments among the middle 80% of the acknowledgements, in order.
    let mut moments: Vec<u64> = (0..plan.crashes)
        .map(|_| total / 10 + random_below(total * 8 / 10))
        .collect();
    moments.sort_unstable();
    for moment in moments {
        tokio::time::timeout(
            Duration::from_secs(300),
            acknowledged.wait_for(|n| *n >= moment),
        )
        .await
        .expect("the writers keep being acknowledged")
        .expect("writers alive");
        let leader = app.cluster.leader().await;
        app.cluster.kill(leader).await;
        run.faults += 1;
        if app.cluster.nodes.len() > 1 {
            // The survivors elect a leader among themselves, with the killed node still down.
            app.cluster.wait_until_settled(Some(leader)).await;
        }
        app.cluster.restart(leader).await;
        app.cluster.wait_until_settled(None).await;
    }
    let mut sent: Vec<Sent> = Vec::new();
    let mut tally = Tally::default();
    for task in tasks {
        let (s, t) = task.await.expect("writer finished");
        sent.extend(s);
        tally.retried += t.retried;
        tally.server_errors += t.server_errors;
        tally.unexpected += t.unexpected;
        tally.notes.extend(t.notes);
    }
    run.retried = tally.retried;
    run.server_errors = tally.server_errors;
    run.unexpected = tally.unexpected;
    for note in tally.notes.iter().take(10) {
        run.note.push_str(note);
        run.note.push_str("; ");
    }

    let (stored, last) = stored_keys(app).await;
    check_against_stream(&sent, &stored, run);

    // The read side shows every acknowledged command once: each writer's milestone has one
    // history entry per command of the writer that was acknowledged.
    let mut waited = app.stacks[0].dashboard.checkpoint.clone();
    tokio::time::timeout(Duration::from_secs(120), waited.wait_for(|cp| *cp >= last))
        .await
        .expect("the projector reaches the end of the stream")
        .expect("projector alive");
    for w in 0..plan.writers {
        let acknowledged = sent
            .iter()
            .filter(|s| s.key.starts_with(&format!("{bp}-w{w}-")))
            .filter(|s| matches!(s.fate, Fate::Accepted(_)))
            .count();
        let read = app
            .http
            .get(format!(
                "{}/api/v1/blueprints/{bp}/milestones/m{w}?min_seq={last}&history=all",
                app.bases[0]
            ))
            .bearer_auth(&app.admin_token)
            .send()
            .await
            .expect("read sent");
        let status = read.status().as_u16();
        let body: serde_json::Value = read.json().await.unwrap_or_default();
        if status >= 500 {
            run.server_errors += 1;
        }
        let shown = body["history"].as_array().map_or(0, Vec::len);
        run.lost += acknowledged.saturating_sub(shown) as u64;
        run.doubled += shown.saturating_sub(acknowledged) as u64;
    }
    run.note.push_str(&format!(
        "{} commands from {} writers, {} of them refused by a rule as written to be; {} retryable \
         503s with Retry-After, each retried with its idempotency key",
        sent.len(),
        plan.writers,
        sent.iter().filter(|s| s.breaks.is_some()).count(),
        tally.retried
    ));
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_stream_leader_loses_and_doubles_no_command() {
    let plan = Plan::crashing(size(40, 250));
    crate::recorded(
        "stream leader killed",
        &servers::current(),
        3,
        async |app, run| commands_through_crashes(app, &plan, run).await,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crashed_single_server_loses_and_doubles_no_command_on_any_supported_version() {
    let plan = Plan::crashing(size(30, 250));
    for binary in servers::supported() {
        crate::recorded("broker crashed", &binary, 1, async |app, run| {
            commands_through_crashes(app, &plan, run).await
        })
        .await;
    }
}
