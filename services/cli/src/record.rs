//! Recording commands: each builds a JSON body, posts it to the dashboard's API and prints the
//! outcome (or the problem) for people, or JSON with `--json`.

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use crate::amounts::parse_hundredths;
use crate::client::{ApiClient, ClientError};
use crate::{EXIT_REJECTED, EXIT_UNAVAILABLE};

/// Options every recording command takes.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// The dashboard's base URL.
    #[arg(
        long,
        env = "WAYMARK_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub url: String,
    /// API token (printed by `waymark dev`, or made with `waymark token create`).
    #[arg(long, env = "WAYMARK_TOKEN", global = true, hide_env_values = true)]
    pub token: Option<String>,
    /// Who is recording (shown in every history).
    #[arg(long, env = "WAYMARK_ACTOR", default_value = "cli", global = true)]
    pub actor: String,
    /// Idempotency key; repeat a command with the same key to retry it safely. Generated if absent.
    #[arg(long, global = true)]
    pub idempotency_key: Option<String>,
    /// The date the fact happened (default today), for recording the past.
    #[arg(long, global = true, value_name = "YYYY-MM-DD")]
    pub occurred_on: Option<chrono::NaiveDate>,
    /// Print the API's answer as JSON.
    #[arg(long, global = true)]
    pub json: bool,
}

/// `<blueprint>/<id>`.
#[derive(Debug, Clone)]
pub struct ThingPath {
    pub blueprint: String,
    pub id: String,
}

impl std::str::FromStr for ThingPath {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let (blueprint, id) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} must be <blueprint>/<id>, like wm-digital/hub-roles"))?;
        proto::BlueprintId::new(blueprint).map_err(|e| e.to_string())?;
        proto::check_slug(id).map_err(|p| format!("invalid id {id:?}: {p}"))?;
        Ok(Self {
            blueprint: blueprint.to_owned(),
            id: id.to_owned(),
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum MilestoneCmd {
    /// Plan a new milestone; its due date becomes the baseline.
    Plan {
        /// `<blueprint>/<milestone>`.
        thing: ThingPath,
        #[arg(long)]
        workstream: String,
        #[arg(long)]
        title: String,
        /// Organisation that owns the milestone.
        #[arg(long)]
        owner: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        due: chrono::NaiveDate,
        /// Milestones of the same blueprint it depends on.
        #[arg(long, value_delimiter = ',')]
        depends_on: Vec<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Mark a planned milestone as in progress.
    Start {
        thing: ThingPath,
        #[command(flatten)]
        common: Common,
    },
    /// Report progress as a percentage (0 to 100).
    Progress {
        thing: ThingPath,
        #[arg(long)]
        percent: u32,
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        common: Common,
    },
    /// Move the forecast date; the baseline stays. A reason is required.
    Replan {
        thing: ThingPath,
        #[arg(long, value_name = "YYYY-MM-DD")]
        to: chrono::NaiveDate,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        common: Common,
    },
    /// Record the milestone as done (on a date not in the future).
    Complete {
        thing: ThingPath,
        /// The date it was done (default today).
        #[arg(long, value_name = "YYYY-MM-DD")]
        on: Option<chrono::NaiveDate>,
        /// A link to evidence.
        #[arg(long)]
        evidence: Option<String>,
        #[command(flatten)]
        common: Common,
    },
    /// Cancel an open milestone, with a reason.
    Cancel {
        thing: ThingPath,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        common: Common,
    },
    /// Reopen a done or cancelled milestone, with a reason.
    Reopen {
        thing: ThingPath,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Debug, Subcommand)]
pub enum CommitmentCmd {
    /// Record what a partner promised to contribute.
    Make {
        /// `<blueprint>/<commitment>`.
        thing: ThingPath,
        /// The partner organisation.
        #[arg(long)]
        partner: String,
        /// secondment, event_hosting, sharing_code, training_or_placements or other.
        #[arg(long)]
        kind: String,
        #[arg(long)]
        description: String,
        #[arg(long)]
        quantity: u64,
        /// What the quantity counts: people, events, placements...
        #[arg(long)]
        unit: String,
        #[arg(long, value_name = "YYYY-MM-DD")]
        due: chrono::NaiveDate,
        #[command(flatten)]
        common: Common,
    },
    /// Record a delivered quantity (over-delivery is allowed).
    Deliver {
        thing: ThingPath,
        #[arg(long)]
        quantity: u64,
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        common: Common,
    },
}

/// An amount of money or staff time.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct AmountArgs {
    /// Money in pounds, like 250000 or 1,250.50.
    #[arg(long)]
    pub money: Option<String>,
    /// Staff time in person-days, like 12.5.
    #[arg(long)]
    pub staff_days: Option<String>,
}

impl AmountArgs {
    fn resolve(&self) -> Result<(&'static str, u64), String> {
        match (&self.money, &self.staff_days) {
            (Some(m), _) => Ok(("money", parse_hundredths(m)?)),
            (None, Some(d)) => Ok(("staff_time", parse_hundredths(d)?)),
            (None, None) => Err("give --money or --staff-days".to_owned()),
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum PledgeCmd {
    /// Record what a sponsor offered.
    Make {
        /// `<blueprint>/<pledge>`.
        thing: ThingPath,
        #[arg(long)]
        sponsor: String,
        #[command(flatten)]
        amount: AmountArgs,
        #[arg(long)]
        workstream: Option<String>,
        #[arg(long, default_value = "")]
        conditions: String,
        #[command(flatten)]
        common: Common,
    },
    /// Record the formally committed amount (it may differ from the pledge).
    Confirm {
        thing: ThingPath,
        #[command(flatten)]
        amount: AmountArgs,
        #[command(flatten)]
        common: Common,
    },
    /// Record a payment against a confirmed pledge.
    Disburse {
        thing: ThingPath,
        #[command(flatten)]
        amount: AmountArgs,
        #[arg(long, default_value = "")]
        note: String,
        #[command(flatten)]
        common: Common,
    },
}

pub enum Recording {
    Milestone(MilestoneCmd),
    Commitment(CommitmentCmd),
    Pledge(PledgeCmd),
}

/// One request to send.
struct Post {
    path: String,
    body: Value,
    common: Common,
}

fn create(things: &str, t: &ThingPath, mut body: Value, common: Common) -> Post {
    body["id"] = json!(t.id);
    Post {
        path: format!("/api/v1/blueprints/{}/{things}", t.blueprint),
        body,
        common,
    }
}

fn act(things: &str, t: &ThingPath, action: &str, body: Value, common: Common) -> Post {
    Post {
        path: format!(
            "/api/v1/blueprints/{}/{things}/{}/{action}",
            t.blueprint, t.id
        ),
        body,
        common,
    }
}

fn build(recording: Recording) -> Result<Post, String> {
    use CommitmentCmd as C;
    use MilestoneCmd as M;
    use PledgeCmd as P;
    Ok(match recording {
        Recording::Milestone(M::Plan {
            thing,
            workstream,
            title,
            owner,
            due,
            depends_on,
            common,
        }) => create(
            "milestones",
            &thing,
            json!({"workstream": workstream, "title": title, "owner": owner, "due": due, "depends_on": depends_on}),
            common,
        ),
        Recording::Milestone(M::Start { thing, common }) => {
            act("milestones", &thing, "start", json!({}), common)
        }
        Recording::Milestone(M::Progress {
            thing,
            percent,
            note,
            common,
        }) => act(
            "milestones",
            &thing,
            "report-progress",
            json!({"percent": percent, "note": note}),
            common,
        ),
        Recording::Milestone(M::Replan {
            thing,
            to,
            reason,
            common,
        }) => act(
            "milestones",
            &thing,
            "replan",
            json!({"to": to, "reason": reason}),
            common,
        ),
        Recording::Milestone(M::Complete {
            thing,
            on,
            evidence,
            common,
        }) => {
            let on = on.unwrap_or_else(|| chrono::Utc::now().date_naive());
            act(
                "milestones",
                &thing,
                "complete",
                json!({"on": on, "evidence": evidence}),
                common,
            )
        }
        Recording::Milestone(M::Cancel {
            thing,
            reason,
            common,
        }) => act(
            "milestones",
            &thing,
            "cancel",
            json!({"reason": reason}),
            common,
        ),
        Recording::Milestone(M::Reopen {
            thing,
            reason,
            common,
        }) => act(
            "milestones",
            &thing,
            "reopen",
            json!({"reason": reason}),
            common,
        ),
        Recording::Commitment(C::Make {
            thing,
            partner,
            kind,
            description,
            quantity,
            unit,
            due,
            common,
        }) => create(
            "commitments",
            &thing,
            json!({"partner": partner, "kind": kind, "description": description, "quantity": quantity, "unit": unit, "due": due}),
            common,
        ),
        Recording::Commitment(C::Deliver {
            thing,
            quantity,
            note,
            common,
        }) => act(
            "commitments",
            &thing,
            "record-delivery",
            json!({"quantity": quantity, "note": note}),
            common,
        ),
        Recording::Pledge(P::Make {
            thing,
            sponsor,
            amount,
            workstream,
            conditions,
            common,
        }) => {
            let (resource, amount) = amount.resolve()?;
            create(
                "pledges",
                &thing,
                json!({"sponsor": sponsor, "resource": resource, "amount": amount, "workstream": workstream, "conditions": conditions}),
                common,
            )
        }
        Recording::Pledge(P::Confirm {
            thing,
            amount,
            common,
        }) => {
            let (_, amount) = amount.resolve()?;
            act(
                "pledges",
                &thing,
                "confirm",
                json!({"amount": amount}),
                common,
            )
        }
        Recording::Pledge(P::Disburse {
            thing,
            amount,
            note,
            common,
        }) => {
            let (_, amount) = amount.resolve()?;
            act(
                "pledges",
                &thing,
                "disburse",
                json!({"amount": amount, "note": note}),
                common,
            )
        }
    })
}

/// Sends one recording command and returns the exit code.
pub async fn run(recording: Recording) -> i32 {
    let post = match build(recording) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("waymark: {e}");
            return 2;
        }
    };
    let mut body = post.body;
    if let Some(on) = post.common.occurred_on {
        body["occurred_on"] = json!(on);
    }
    let client =
        ApiClient::new(&post.common.url, &post.common.actor).with_token(post.common.token.clone());
    let key = post
        .common
        .idempotency_key
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    match client.post(&post.path, &body, &key).await {
        Ok(answer) => {
            if post.common.json {
                println!("{answer}");
            } else {
                let events = answer["events"]
                    .as_array()
                    .map(|e| {
                        e.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                let again = if answer["duplicate"].as_bool() == Some(true) {
                    " (already recorded with this key)"
                } else {
                    ""
                };
                println!("recorded {events} at commit {}{again}", answer["seq"]);
            }
            0
        }
        Err(e) => {
            if post.common.json {
                if let ClientError::Rejected {
                    status,
                    code,
                    detail,
                    field,
                } = &e
                {
                    println!(
                        "{}",
                        json!({"status": status, "code": code, "detail": detail, "field": field})
                    );
                }
            }
            eprintln!("waymark: {e}");
            if e.is_unavailable() {
                EXIT_UNAVAILABLE
            } else {
                EXIT_REJECTED
            }
        }
    }
}
