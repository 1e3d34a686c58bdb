//! The peer: the usual event-sourcing stack in Rust, cqrs-es on postgres-es, against the
//! PostgreSQL this machine runs, with the same command shape as Waymark's figures (a small
//! aggregate with an optimistic version: created, then changed twice). The benchmark creates a
//! database of its own (`waymark_bench_peer`) and drops it again at the start of the next run.

use std::sync::Arc;
use std::time::Duration;

use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, AggregateError, DomainEvent};
use postgres_es::PostgresCqrs;
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgPoolOptions;

use crate::load::{Outcome, Step, closed_loop};

/// Where the peer's PostgreSQL is; `WAYMARK_BENCH_POSTGRES` overrides it.
fn server_url() -> String {
    std::env::var("WAYMARK_BENCH_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".to_owned())
}

const DATABASE: &str = "waymark_bench_peer";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum MilestoneEvent {
    Planned { title: String, due: String },
    ProgressReported { percent: u32, note: String },
    Replanned { to: String, reason: String },
}

impl DomainEvent for MilestoneEvent {
    fn event_type(&self) -> String {
        match self {
            Self::Planned { .. } => "Planned",
            Self::ProgressReported { .. } => "ProgressReported",
            Self::Replanned { .. } => "Replanned",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}

pub enum MilestoneCommand {
    Plan { title: String, due: String },
    ReportProgress { percent: u32, note: String },
    Replan { to: String, reason: String },
}

/// Why the peer refused a command.
#[derive(Debug)]
pub struct Refused(&'static str);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for Refused {}

/// The same rules in small as Waymark's milestone: planned once, then changed while it exists.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Milestone {
    planned: bool,
    percent: u32,
    due: String,
}

impl Aggregate for Milestone {
    const TYPE: &'static str = "Milestone";
    type Command = MilestoneCommand;
    type Event = MilestoneEvent;
    type Error = Refused;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _: &(),
        sink: &EventSink<Self>,
    ) -> Result<(), Refused> {
        let event = match command {
            MilestoneCommand::Plan { title, due } if !self.planned => {
                MilestoneEvent::Planned { title, due }
            }
            MilestoneCommand::Plan { .. } => return Err(Refused("already planned")),
            _ if !self.planned => return Err(Refused("not planned")),
            MilestoneCommand::ReportProgress { percent, note } if percent <= 100 => {
                MilestoneEvent::ProgressReported { percent, note }
            }
            MilestoneCommand::ReportProgress { .. } => return Err(Refused("percent")),
            MilestoneCommand::Replan { to, reason } => MilestoneEvent::Replanned { to, reason },
        };
        sink.write(event, self).await;
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            MilestoneEvent::Planned { due, .. } => {
                self.planned = true;
                self.due = due;
            }
            MilestoneEvent::ProgressReported { percent, .. } => self.percent = percent,
            MilestoneEvent::Replanned { to, .. } => self.due = to,
        }
    }
}

/// cqrs-es over a fresh database, with a pool large enough for every client.
pub struct Peer {
    cqrs: PostgresCqrs<Milestone>,
}

impl Peer {
    pub async fn start(clients: usize) -> Result<Arc<Self>, sqlx::Error> {
        let admin = PgPoolOptions::new()
            .max_connections(1)
            .connect(&format!("{}/postgres", server_url()))
            .await?;
        sqlx::query(&format!("DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
            .execute(&admin)
            .await?;
        sqlx::query(&format!("CREATE DATABASE {DATABASE}"))
            .execute(&admin)
            .await?;
        admin.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(clients as u32 + 2)
            .connect(&format!("{}/{DATABASE}", server_url()))
            .await?;
        // postgres-es's own table of events (its db/init.sql); snapshots are not used.
        sqlx::query(
            "CREATE TABLE events (
                aggregate_type text NOT NULL,
                aggregate_id text NOT NULL,
                sequence bigint CHECK (sequence >= 0) NOT NULL,
                event_type text NOT NULL,
                event_version text NOT NULL,
                payload json NOT NULL,
                metadata json NOT NULL,
                PRIMARY KEY (aggregate_type, aggregate_id, sequence))",
        )
        .execute(&pool)
        .await?;
        let cqrs = postgres_es::postgres_cqrs(pool, Vec::new(), ());
        Ok(Arc::new(Self { cqrs }))
    }

    async fn execute(&self, id: &str, step: Step, n: u64) -> Result<(), String> {
        let command = match step {
            Step::Create => MilestoneCommand::Plan {
                title: "Apprenticeship scheme launched".into(),
                due: "2027-06-30".into(),
            },
            Step::Progress => MilestoneCommand::ReportProgress {
                percent: (n % 100) as u32,
                note: "Fortnightly report".into(),
            },
            Step::Replan => MilestoneCommand::Replan {
                to: format!("2027-07-{:02}", 1 + n % 28),
                reason: "Supplier delay".into(),
            },
        };
        match self.cqrs.execute(id, command).await {
            Ok(()) => Ok(()),
            Err(AggregateError::AggregateConflict) => Err("conflict".into()),
            Err(AggregateError::UserError(e)) => Err(e.to_string()),
            Err(e) => panic!("the peer failed: {e}"),
        }
    }
}

/// Each task creates a new aggregate, changes it twice and goes on to the next.
pub async fn shape(peer: &Arc<Peer>, run: &str, tasks: usize, d: Duration) -> Outcome {
    let (peer, run) = (peer.clone(), run.to_owned());
    closed_loop(tasks, d, move |c, n| {
        let (peer, run) = (peer.clone(), run.clone());
        async move {
            let (thing, step) = Step::of(n);
            peer.execute(&format!("{run}-c{c}-{thing}"), step, n).await
        }
    })
    .await
}
