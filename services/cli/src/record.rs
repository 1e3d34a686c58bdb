//! Recording commands: one subcommand per action of `proto::commands`. A subcommand's fields
//! serialise into the API body and its variant name is the API action (`report_progress`), so the
//! enums below are the whole mapping: adding a command is adding a variant. The answer is printed
//! for people, or as the API's JSON with `--json`.

use chrono::NaiveDate;
use clap::{Args, Subcommand, ValueEnum};
use proto::{BlueprintId, MilestoneId, OrgId, Resource, WorkstreamId};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value, json};

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
    /// API token (printed by `waymark dev`, or made with `waymark token create`); its name is
    /// recorded as the actor of every change.
    #[arg(long, env = "WAYMARK_TOKEN", global = true, hide_env_values = true)]
    pub token: Option<String>,
    /// Idempotency key; repeat a command with the same key to retry it safely. Generated if absent.
    #[arg(long, global = true)]
    pub idempotency_key: Option<String>,
    /// The date the fact happened (default today), for recording the past.
    #[arg(long, global = true, value_name = "YYYY-MM-DD")]
    pub occurred_on: Option<NaiveDate>,
    /// Print the API's JSON answer on stdout (its problem document when refused).
    #[arg(long, global = true)]
    pub json: bool,
}

/// A group of recording subcommands with the options they share.
#[derive(Debug, Args)]
pub struct Record<C: Subcommand> {
    #[command(subcommand)]
    pub cmd: C,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Subcommand)]
pub enum Recording {
    /// Register and rename the organisations that blueprints share.
    Organisation(Record<OrganisationCmd>),
    /// Draft, publish and close blueprints; manage their workstreams, partners and targets.
    Blueprint(Record<BlueprintCmd>),
    /// Record milestones: plan, start, progress, replan, complete, cancel, reopen.
    Milestone(Record<MilestoneCmd>),
    /// Record partners' commitments: make, deliver, amend, fulfil, withdraw.
    Commitment(Record<CommitmentCmd>),
    /// Record sponsors' investment pledges: make, confirm, disburse, withdraw, close.
    Pledge(Record<PledgeCmd>),
}

/// `<blueprint>/<id>`: a thing that belongs to a blueprint.
#[derive(Debug, Clone, PartialEq, Eq)]
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
        BlueprintId::new(blueprint).map_err(|e| e.to_string())?;
        proto::check_slug(id).map_err(|p| format!("invalid id {id:?}: {p}"))?;
        Ok(Self {
            blueprint: blueprint.to_owned(),
            id: id.to_owned(),
        })
    }
}

/// Serialises a `<blueprint>/<id>` path as its id alone, for actions that name a part of a
/// blueprint (a workstream, a target) in their body.
fn id_only<S: Serializer>(thing: &ThingPath, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&thing.id)
}

const WS: &str = "BLUEPRINT/WORKSTREAM";
const TARGET: &str = "BLUEPRINT/TARGET";
const MS: &str = "BLUEPRINT/MILESTONE";
const CM: &str = "BLUEPRINT/COMMITMENT";
const PL: &str = "BLUEPRINT/PLEDGE";
const DATE: &str = "YYYY-MM-DD";

// ---- value enums: the CLI's spelling of proto's enums ----

/// The kinds of organisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[value(rename_all = "snake_case")]
#[serde(into = "proto::OrgType")]
pub enum OrgType {
    /// A central government department or agency (GDS, HMCTS, MHCLG).
    #[value(alias = "central-government")]
    CentralGovernment,
    /// A council.
    #[value(alias = "local-government")]
    LocalGovernment,
    /// A combined authority (West Midlands Combined Authority).
    #[value(alias = "combined-authority")]
    CombinedAuthority,
    /// Police, fire or ambulance.
    #[value(alias = "emergency-service")]
    EmergencyService,
    /// An NHS body.
    Nhs,
    /// A college or university.
    #[value(alias = "education-provider")]
    EducationProvider,
    /// A company supplying the public sector.
    Supplier,
    Other,
}

impl From<OrgType> for proto::OrgType {
    fn from(t: OrgType) -> Self {
        match t {
            OrgType::CentralGovernment => Self::CentralGovernment,
            OrgType::LocalGovernment => Self::LocalGovernment,
            OrgType::CombinedAuthority => Self::CombinedAuthority,
            OrgType::EmergencyService => Self::EmergencyService,
            OrgType::Nhs => Self::Nhs,
            OrgType::EducationProvider => Self::EducationProvider,
            OrgType::Supplier => Self::Supplier,
            OrgType::Other => Self::Other,
        }
    }
}

/// What a partner commits to contribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Serialize)]
#[value(rename_all = "snake_case")]
#[serde(into = "proto::CommitmentKind")]
pub enum CommitmentKind {
    /// People seconded to the programme.
    Secondment,
    /// Hosting an event (a hack day, a OneTeamGov meet-up).
    #[value(alias = "event-hosting")]
    EventHosting,
    /// Sharing code or components.
    #[value(alias = "sharing-code")]
    SharingCode,
    /// Training places, apprenticeships or work placements.
    #[value(alias = "training-or-placements")]
    TrainingOrPlacements,
    Other,
}

impl From<CommitmentKind> for proto::CommitmentKind {
    fn from(k: CommitmentKind) -> Self {
        match k {
            CommitmentKind::Secondment => Self::Secondment,
            CommitmentKind::EventHosting => Self::EventHosting,
            CommitmentKind::SharingCode => Self::SharingCode,
            CommitmentKind::TrainingOrPlacements => Self::TrainingOrPlacements,
            CommitmentKind::Other => Self::Other,
        }
    }
}

/// An amount of money or staff time; which one is also the pledge's resource.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct AmountArgs {
    /// Money in pounds, like 250000, 1,250.50 or £1,250.
    #[arg(long, value_name = "POUNDS", value_parser = parse_hundredths)]
    pub money: Option<u64>,
    /// Staff time in person-days, like 12.5.
    #[arg(long, value_name = "DAYS", value_parser = parse_hundredths)]
    pub staff_days: Option<u64>,
}

impl AmountArgs {
    /// The resource and the amount in hundredths (pence, or hundredths of a person-day).
    fn resolve(&self) -> (Resource, u64) {
        match (self.money, self.staff_days) {
            (Some(m), _) => (Resource::Money, m),
            // clap requires exactly one of the two.
            (None, d) => (Resource::StaffTime, d.unwrap_or(0)),
        }
    }

    /// `"resource"` and `"amount"`, flattened into a pledge's body.
    fn offer<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (resource, amount) = self.resolve();
        json!({ "resource": resource, "amount": amount }).serialize(s)
    }

    /// The amount alone, in the pledge's own resource.
    fn hundredths<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.resolve().1)
    }
}

// ---- organisations ----

#[derive(Debug, Subcommand, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationCmd {
    /// Register an organisation once, for use in every blueprint. Refused if the id is already
    /// registered.
    #[command(after_help = "Example:\n  waymark organisation register gds \
        --name \"Government Digital Service\" --type central_government")]
    Register {
        #[serde(skip)]
        organisation: OrgId,
        #[arg(long)]
        name: String,
        /// The kind of organisation.
        #[arg(long = "type", value_name = "TYPE")]
        org_type: OrgType,
    },
    /// Rename a registered organisation; its id stays. Refused if it is not registered or already
    /// has that name.
    Rename {
        #[serde(skip)]
        organisation: OrgId,
        #[arg(long)]
        name: String,
    },
}

// ---- blueprints ----

/// Every change to a blueprint is refused once the blueprint is closed.
#[derive(Debug, Subcommand, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BlueprintCmd {
    /// Draft a new blueprint. The lead organisation must be registered, the end cannot be before
    /// the start, and the funding target must be above zero.
    #[command(after_help = "Example:\n  waymark blueprint draft wm-digital \
        --title \"West Midlands public sector digital blueprint\" --lead-org wmca \\\n    \
        --start 2026-01-01 --end 2027-12-31 --funding-target 1,500,000 --staff-days-target 400")]
    Draft {
        #[serde(skip)]
        blueprint: BlueprintId,
        #[arg(long)]
        title: String,
        #[arg(long)]
        #[serde(skip_serializing_if = "Option::is_none")]
        summary: Option<String>,
        /// The organisation leading the blueprint.
        #[arg(long)]
        lead_org: OrgId,
        #[arg(long, value_name = DATE)]
        #[serde(rename = "start_date")]
        start: NaiveDate,
        /// The target end date.
        #[arg(long, value_name = DATE)]
        #[serde(rename = "target_end_date")]
        end: NaiveDate,
        /// Money sought, in pounds.
        #[arg(long, value_name = "POUNDS", value_parser = parse_hundredths)]
        funding_target: u64,
        /// Staff time sought, in person-days.
        #[arg(long, value_name = "DAYS", value_parser = parse_hundredths)]
        #[serde(rename = "staff_time_target")]
        staff_days_target: Option<u64>,
    },
    /// Publish a draft blueprint. Refused if it is already published.
    Publish {
        #[serde(skip)]
        blueprint: BlueprintId,
    },
    /// Close a blueprint, with a reason. A closed blueprint takes no new records of any kind, so
    /// this comes last.
    #[command(after_help = "Example:\n  waymark blueprint close wm-digital \
        --reason \"All milestones delivered\"")]
    Close {
        #[serde(skip)]
        blueprint: BlueprintId,
        #[arg(long)]
        reason: String,
    },
    /// Add, rename or retire workstreams.
    #[command(subcommand)]
    #[serde(untagged)]
    Workstream(WorkstreamCmd),
    /// Record partners joining and leaving.
    #[command(subcommand)]
    #[serde(untagged)]
    Partner(PartnerCmd),
    /// Set measurable targets and report their values.
    #[command(subcommand)]
    #[serde(untagged)]
    Target(TargetCmd),
}

#[derive(Debug, Subcommand, Serialize)]
pub enum WorkstreamCmd {
    /// Add a workstream. Refused if the id is taken (also by a retired workstream) or the lead
    /// organisation is not registered.
    #[command(
        after_help = "Example:\n  waymark blueprint workstream add wm-digital/skills \
        --title \"Skills pipeline\" --lead-org gds"
    )]
    #[serde(rename = "add_workstream")]
    Add {
        #[arg(value_name = WS)]
        #[serde(rename = "workstream", serialize_with = "id_only")]
        thing: ThingPath,
        #[arg(long)]
        title: String,
        /// The organisation leading the workstream.
        #[arg(long)]
        lead_org: OrgId,
    },
    /// Rename a workstream. Refused if it does not exist or was retired.
    #[serde(rename = "rename_workstream")]
    Rename {
        #[arg(value_name = WS)]
        #[serde(rename = "workstream", serialize_with = "id_only")]
        thing: ThingPath,
        #[arg(long)]
        title: String,
    },
    /// Retire a workstream, with a reason; it takes no new milestones or pledges. Refused if it
    /// does not exist or is already retired.
    #[serde(rename = "retire_workstream")]
    Retire {
        #[arg(value_name = WS)]
        #[serde(rename = "workstream", serialize_with = "id_only")]
        thing: ThingPath,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand, Serialize)]
pub enum PartnerCmd {
    /// Record that a registered organisation joined the blueprint; only partners can make
    /// commitments. Refused if it is already a partner.
    #[command(after_help = "Example:\n  waymark blueprint partner add wm-digital --org hmcts")]
    #[serde(rename = "add_partner")]
    Add {
        #[serde(skip)]
        blueprint: BlueprintId,
        #[arg(long)]
        org: OrgId,
    },
    /// Record that a partner left, with a reason. Refused if it is not a partner.
    #[serde(rename = "remove_partner")]
    Remove {
        #[serde(skip)]
        blueprint: BlueprintId,
        #[arg(long)]
        org: OrgId,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand, Serialize)]
pub enum TargetCmd {
    /// Set a measurable target, or change an existing one: what is counted, its unit and the
    /// value aimed for (above zero).
    #[command(
        after_help = "Example:\n  waymark blueprint target set wm-digital/tech-roles \
        --title \"Tech roles created in Birmingham\" --unit roles --value 100"
    )]
    #[serde(rename = "set_target")]
    Set {
        #[arg(value_name = TARGET)]
        #[serde(rename = "target", serialize_with = "id_only")]
        thing: ThingPath,
        #[arg(long)]
        title: String,
        /// What the value counts: roles, people, events...
        #[arg(long)]
        unit: String,
        /// The value aimed for.
        #[arg(long)]
        #[serde(rename = "target_value")]
        value: u64,
    },
    /// Report a target's current value; every report is kept in its history. Refused if the
    /// target was never set.
    #[command(
        after_help = "Example:\n  waymark blueprint target report wm-digital/tech-roles \
        --value 40 --note \"HMCTS hub, first two cohorts\""
    )]
    #[serde(rename = "report_target")]
    Report {
        #[arg(value_name = TARGET)]
        #[serde(rename = "target", serialize_with = "id_only")]
        thing: ThingPath,
        /// The value reached so far.
        #[arg(long)]
        value: u64,
        #[arg(long)]
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

// ---- milestones ----

/// Every milestone record is refused once its blueprint is closed.
#[derive(Debug, Subcommand, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MilestoneCmd {
    /// Plan a new milestone in an active workstream; its due date becomes the baseline, which
    /// never moves. The owner must be registered; dependencies must be milestones of the same
    /// blueprint.
    #[command(
        after_help = "Example:\n  waymark milestone plan wm-digital/hub-100-roles \
        --workstream digital-hubs --owner hmcts \\\n    \
        --title \"100 tech roles in the Birmingham hub\" --due 2026-12-31 --depends-on hub-lease"
    )]
    Plan {
        #[arg(value_name = MS)]
        #[serde(skip)]
        thing: ThingPath,
        #[arg(long)]
        workstream: WorkstreamId,
        #[arg(long)]
        title: String,
        /// The organisation that owns the milestone.
        #[arg(long)]
        owner: OrgId,
        #[arg(long, value_name = DATE)]
        due: NaiveDate,
        /// Milestones of the same blueprint it depends on (comma-separated ids).
        #[arg(long, value_delimiter = ',', value_name = "MILESTONE")]
        depends_on: Vec<MilestoneId>,
    },
    /// Record that work on a planned milestone started. Refused if it is already in progress,
    /// done or cancelled.
    Start {
        #[arg(value_name = MS)]
        #[serde(skip)]
        thing: ThingPath,
    },
    /// Report progress as a percentage (0 to 100), with a note; above 0 on a planned milestone
    /// also starts it. Refused on a done or cancelled milestone.
    #[command(
        after_help = "Example:\n  waymark milestone progress wm-digital/hub-100-roles \
        --percent 40 --note \"40 of 100 roles filled\""
    )]
    #[serde(rename = "report_progress")]
    Progress {
        #[arg(value_name = MS)]
        #[serde(skip)]
        thing: ThingPath,
        #[arg(long)]
        percent: u32,
        #[arg(long)]
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Move the forecast date, with a reason. The baseline never moves; a done or cancelled
    /// milestone cannot be replanned.
    #[command(
        after_help = "Example:\n  waymark milestone replan wm-digital/hub-100-roles \
        --to 2027-03-31 --reason \"Fit-out delayed\""
    )]
    Replan {
        #[arg(value_name = MS)]
        #[serde(skip)]
        thing: ThingPath,
        /// The new forecast date.
        #[arg(long, value_name = DATE)]
        to: NaiveDate,
        #[arg(long)]
        reason: String,
    },
    /// Record the milestone as done, on a date not in the future; completing a planned milestone
    /// also starts it. A done or cancelled milestone cannot be completed.
    #[command(
        after_help = "Example:\n  waymark milestone complete wm-digital/academy-cohort-1 \
        --on 2026-06-30 --evidence https://www.gov.uk/..."
    )]
    Complete {
        #[arg(value_name = MS)]
        #[serde(skip)]
        thing: ThingPath,
        /// The date it was done (default: --occurred-on, else today).
        #[arg(long, value_name = DATE)]
        on: Option<NaiveDate>,
        /// A link to evidence.
        #[arg(long, value_name = "URL")]
        evidence: Option<String>,
    },
    /// Cancel a planned or in-progress milestone, with a reason; it then leaves the progress
    /// count. A done or cancelled milestone cannot be cancelled.
    Cancel {
        #[arg(value_name = MS)]
        #[serde(skip)]
        thing: ThingPath,
        #[arg(long)]
        reason: String,
    },
    /// Reopen a done or cancelled milestone, with a reason. Refused on an open milestone.
    Reopen {
        #[arg(value_name = MS)]
        #[serde(skip)]
        thing: ThingPath,
        #[arg(long)]
        reason: String,
    },
}

// ---- commitments ----

/// Every commitment record is refused once its blueprint is closed.
#[derive(Debug, Subcommand, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommitmentCmd {
    /// Record what a partner promised: a kind, a description, a quantity with its unit and a due
    /// date. The organisation must already be a partner of the blueprint.
    #[command(
        after_help = "Example:\n  waymark commitment make wm-digital/gds-secondees \
        --partner gds --kind secondment \\\n    \
        --description \"Two secondees to the hub\" --quantity 2 --unit people --due 2026-09-30"
    )]
    Make {
        #[arg(value_name = CM)]
        #[serde(skip)]
        thing: ThingPath,
        /// The partner organisation.
        #[arg(long)]
        partner: OrgId,
        #[arg(long)]
        kind: CommitmentKind,
        #[arg(long)]
        description: String,
        #[arg(long)]
        quantity: u64,
        /// What the quantity counts: people, events, placements...
        #[arg(long)]
        unit: String,
        #[arg(long, value_name = DATE)]
        due: NaiveDate,
    },
    /// Record a delivered quantity (over-delivery is allowed and shown). Refused once the
    /// commitment is fulfilled or withdrawn.
    #[command(
        after_help = "Example:\n  waymark commitment deliver wm-digital/gds-secondees \
        --quantity 1 --note \"First secondee started\""
    )]
    #[serde(rename = "record_delivery")]
    Deliver {
        #[arg(value_name = CM)]
        #[serde(skip)]
        thing: ThingPath,
        #[arg(long)]
        quantity: u64,
        #[arg(long)]
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Change the promised quantity and/or due date of an open commitment, with a reason. Refused
    /// if nothing would change.
    #[command(
        after_help = "Example:\n  waymark commitment amend wm-digital/gds-secondees \
        --quantity 3 --due 2026-12-31 --reason \"A third secondee agreed\""
    )]
    Amend {
        #[arg(value_name = CM)]
        #[serde(skip)]
        thing: ThingPath,
        /// The new promised quantity.
        #[arg(long, required_unless_present = "due")]
        quantity: Option<u64>,
        /// The new due date.
        #[arg(long, value_name = DATE)]
        due: Option<NaiveDate>,
        #[arg(long)]
        reason: String,
    },
    /// Mark an open commitment fulfilled. Refused until the delivered quantity reaches the
    /// promise: record the rest, or amend the quantity.
    Fulfil {
        #[arg(value_name = CM)]
        #[serde(skip)]
        thing: ThingPath,
    },
    /// Withdraw an open commitment, with a reason; what was delivered stays recorded.
    Withdraw {
        #[arg(value_name = CM)]
        #[serde(skip)]
        thing: ThingPath,
        #[arg(long)]
        reason: String,
    },
}

// ---- pledges ----

/// Every pledge record is refused once its blueprint is closed.
#[derive(Debug, Subcommand, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PledgeCmd {
    /// Record what a sponsor offered: money or staff time, to the blueprint or one of its active
    /// workstreams, with conditions. The sponsor must be registered.
    #[command(
        after_help = "Example:\n  waymark pledge make wm-digital/wmca-fund --sponsor wmca \
        --money 250,000 --workstream skills --conditions \"Match funding\""
    )]
    Make {
        #[arg(value_name = PL)]
        #[serde(skip)]
        thing: ThingPath,
        /// The sponsor organisation.
        #[arg(long)]
        sponsor: OrgId,
        #[command(flatten)]
        #[serde(flatten, serialize_with = "AmountArgs::offer")]
        amount: AmountArgs,
        /// The workstream it funds (default: the whole blueprint).
        #[arg(long)]
        workstream: Option<WorkstreamId>,
        #[arg(long)]
        #[serde(skip_serializing_if = "Option::is_none")]
        conditions: Option<String>,
    },
    /// Record the formally committed amount, which may differ from the pledge. Only a pledge not
    /// yet confirmed (nor withdrawn or closed) can be confirmed.
    #[command(
        after_help = "Example:\n  waymark pledge confirm wm-digital/wmca-fund --money 200,000"
    )]
    Confirm {
        #[arg(value_name = PL)]
        #[serde(skip)]
        thing: ThingPath,
        #[command(flatten)]
        #[serde(serialize_with = "AmountArgs::hundredths")]
        amount: AmountArgs,
    },
    /// Record a payment (or staff time given). Refused before confirmation, and when disbursements
    /// would exceed the confirmed amount.
    #[command(
        after_help = "Example:\n  waymark pledge disburse wm-digital/wmca-fund \
        --money 50,000 --note \"First quarter\""
    )]
    Disburse {
        #[arg(value_name = PL)]
        #[serde(skip)]
        thing: ThingPath,
        #[command(flatten)]
        #[serde(serialize_with = "AmountArgs::hundredths")]
        amount: AmountArgs,
        #[arg(long)]
        #[serde(skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Withdraw a pledge that is not fully disbursed, with a reason; what was disbursed stays
    /// counted. A fully disbursed pledge is closed instead.
    Withdraw {
        #[arg(value_name = PL)]
        #[serde(skip)]
        thing: ThingPath,
        #[arg(long)]
        reason: String,
    },
    /// Close a confirmed pledge once it is fully disbursed. Refused while some remains to disburse.
    Close {
        #[arg(value_name = PL)]
        #[serde(skip)]
        thing: ThingPath,
    },
}

// ---- from a subcommand to a request ----

/// What to send: the API path and the JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub path: String,
    pub body: Value,
}

/// The API collection a command's thing belongs to, and its id there.
struct Address {
    collection: String,
    id: String,
}

impl Address {
    fn top(collection: &str, id: &str) -> Self {
        Self {
            collection: format!("/api/v1/{collection}"),
            id: id.to_owned(),
        }
    }

    fn in_blueprint(things: &str, thing: &ThingPath) -> Self {
        Self {
            collection: format!("/api/v1/blueprints/{}/{things}", thing.blueprint),
            id: thing.id.clone(),
        }
    }
}

/// The actions that create a thing: they post to the collection with the new `id`.
const CREATE_ACTIONS: [&str; 4] = ["register", "draft", "plan", "make"];

/// A subcommand enum whose serde form is `{"<action>": {<body>}}`.
trait Addressed: Serialize {
    fn address(&self) -> Address;
    /// Fills dates left out that default to `day`, the day the fact happened.
    fn default_dates(&mut self, _day: NaiveDate) {}
}

impl Addressed for OrganisationCmd {
    fn address(&self) -> Address {
        let (Self::Register { organisation, .. } | Self::Rename { organisation, .. }) = self;
        Address::top("organisations", organisation.as_str())
    }
}

impl Addressed for BlueprintCmd {
    fn address(&self) -> Address {
        let bp = match self {
            Self::Draft { blueprint, .. }
            | Self::Publish { blueprint }
            | Self::Close { blueprint, .. }
            | Self::Partner(
                PartnerCmd::Add { blueprint, .. } | PartnerCmd::Remove { blueprint, .. },
            ) => blueprint.as_str(),
            Self::Workstream(
                WorkstreamCmd::Add { thing, .. }
                | WorkstreamCmd::Rename { thing, .. }
                | WorkstreamCmd::Retire { thing, .. },
            )
            | Self::Target(TargetCmd::Set { thing, .. } | TargetCmd::Report { thing, .. }) => {
                thing.blueprint.as_str()
            }
        };
        Address::top("blueprints", bp)
    }
}

impl Addressed for MilestoneCmd {
    fn address(&self) -> Address {
        let (Self::Plan { thing, .. }
        | Self::Start { thing }
        | Self::Progress { thing, .. }
        | Self::Replan { thing, .. }
        | Self::Complete { thing, .. }
        | Self::Cancel { thing, .. }
        | Self::Reopen { thing, .. }) = self;
        Address::in_blueprint("milestones", thing)
    }

    fn default_dates(&mut self, day: NaiveDate) {
        if let Self::Complete { on, .. } = self {
            on.get_or_insert(day);
        }
    }
}

impl Addressed for CommitmentCmd {
    fn address(&self) -> Address {
        let (Self::Make { thing, .. }
        | Self::Deliver { thing, .. }
        | Self::Amend { thing, .. }
        | Self::Fulfil { thing }
        | Self::Withdraw { thing, .. }) = self;
        Address::in_blueprint("commitments", thing)
    }
}

impl Addressed for PledgeCmd {
    fn address(&self) -> Address {
        let (Self::Make { thing, .. }
        | Self::Confirm { thing, .. }
        | Self::Disburse { thing, .. }
        | Self::Withdraw { thing, .. }
        | Self::Close { thing }) = self;
        Address::in_blueprint("pledges", thing)
    }
}

/// Builds the request of one subcommand: its serde form `{"<action>": {<fields>}}` gives the
/// action and the body.
fn post<C: Subcommand + Addressed>(mut record: Record<C>) -> (Post, Common) {
    let common = record.common;
    let today = chrono::Utc::now().date_naive();
    record
        .cmd
        .default_dates(common.occurred_on.unwrap_or(today));
    let Address { collection, id } = record.cmd.address();
    let tagged = match serde_json::to_value(&record.cmd) {
        Ok(Value::Object(tagged)) => tagged,
        other => unreachable!("a subcommand serialises as an object, not {other:?}"),
    };
    let (action, body) = tagged.into_iter().next().unwrap_or_default();
    let mut body = match body {
        Value::Object(fields) => fields,
        _ => Map::new(),
    };
    let path = if CREATE_ACTIONS.contains(&action.as_str()) {
        body.insert("id".to_owned(), Value::String(id));
        collection
    } else {
        format!("{collection}/{id}/{}", action.replace('_', "-"))
    };
    if let Some(on) = common.occurred_on {
        body.insert("occurred_on".to_owned(), json!(on));
    }
    let body = Value::Object(body);
    (Post { path, body }, common)
}

impl Recording {
    /// The request this command sends, and the options to send it with.
    pub fn into_post(self) -> (Post, Common) {
        match self {
            Recording::Organisation(r) => post(r),
            Recording::Blueprint(r) => post(r),
            Recording::Milestone(r) => post(r),
            Recording::Commitment(r) => post(r),
            Recording::Pledge(r) => post(r),
        }
    }
}

// ---- sending and answering ----

/// What a command prints, and its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Prints the output; returns the exit code.
    pub fn emit(self) -> i32 {
        print!("{}", self.stdout);
        eprint!("{}", self.stderr);
        self.code
    }
}

/// Renders the API's answer: a sentence for people, or the JSON as received with `json`.
pub fn render(answer: Result<Value, ClientError>, json: bool) -> Output {
    match answer {
        Ok(answer) => {
            let stdout = if json {
                format!("{answer}\n")
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
                format!("recorded {events} at commit {}{again}\n", answer["seq"])
            };
            Output {
                code: 0,
                stdout,
                stderr: String::new(),
            }
        }
        Err(e) => {
            let stdout = match &e {
                ClientError::Rejected { problem, .. } if json => format!("{problem}\n"),
                _ => String::new(),
            };
            Output {
                code: if e.is_unavailable() {
                    EXIT_UNAVAILABLE
                } else {
                    EXIT_REJECTED
                },
                stdout,
                stderr: format!("waymark: {e}\n"),
            }
        }
    }
}

/// Sends one recording command; returns what to print and the exit code.
pub async fn run(recording: Recording) -> Output {
    let (post, common) = recording.into_post();
    let client = ApiClient::new(&common.url).with_token(common.token.clone());
    let key = common
        .idempotency_key
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    render(client.post(&post.path, &post.body, &key).await, common.json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cli, Commands};
    use clap::{CommandFactory, Parser};

    fn parse(line: &str) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("waymark").chain(line.split_whitespace()))
    }

    fn post_of(line: &str) -> Post {
        let cli = parse(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        let Commands::Record(recording) = cli.command else {
            panic!("{line} is not a recording command")
        };
        recording.into_post().0
    }

    /// Every action of `proto::commands`, from the command line to the request it sends.
    #[test]
    fn every_command_builds_its_request() {
        let table = [
            (
                "organisation register gds --name GDS --type central_government",
                "/api/v1/organisations",
                json!({"id": "gds", "name": "GDS", "org_type": "central_government"}),
            ),
            (
                "organisation register wmca --name WMCA --type combined-authority",
                "/api/v1/organisations",
                json!({"id": "wmca", "name": "WMCA", "org_type": "combined_authority"}),
            ),
            (
                "organisation rename gds --name GDS2",
                "/api/v1/organisations/gds/rename",
                json!({"name": "GDS2"}),
            ),
            (
                "blueprint draft wm --title WM --lead-org gds --start 2026-01-01 --end 2027-12-31 \
                 --funding-target 1,500,000 --staff-days-target 12.5",
                "/api/v1/blueprints",
                json!({"id": "wm", "title": "WM", "lead_org": "gds", "start_date": "2026-01-01",
                       "target_end_date": "2027-12-31", "funding_target": 150_000_000u64,
                       "staff_time_target": 1250}),
            ),
            (
                "blueprint publish wm",
                "/api/v1/blueprints/wm/publish",
                json!({}),
            ),
            (
                "blueprint close wm --reason Done",
                "/api/v1/blueprints/wm/close",
                json!({"reason": "Done"}),
            ),
            (
                "blueprint workstream add wm/skills --title Skills --lead-org gds",
                "/api/v1/blueprints/wm/add-workstream",
                json!({"workstream": "skills", "title": "Skills", "lead_org": "gds"}),
            ),
            (
                "blueprint workstream rename wm/skills --title Pipeline",
                "/api/v1/blueprints/wm/rename-workstream",
                json!({"workstream": "skills", "title": "Pipeline"}),
            ),
            (
                "blueprint workstream retire wm/skills --reason Merged",
                "/api/v1/blueprints/wm/retire-workstream",
                json!({"workstream": "skills", "reason": "Merged"}),
            ),
            (
                "blueprint partner add wm --org gds",
                "/api/v1/blueprints/wm/add-partner",
                json!({"org": "gds"}),
            ),
            (
                "blueprint partner remove wm --org gds --reason Left",
                "/api/v1/blueprints/wm/remove-partner",
                json!({"org": "gds", "reason": "Left"}),
            ),
            (
                "blueprint target set wm/roles --title Roles --unit roles --value 100",
                "/api/v1/blueprints/wm/set-target",
                json!({"target": "roles", "title": "Roles", "unit": "roles", "target_value": 100}),
            ),
            (
                "blueprint target report wm/roles --value 40",
                "/api/v1/blueprints/wm/report-target",
                json!({"target": "roles", "value": 40}),
            ),
            (
                "milestone plan wm/hub --workstream skills --title Hub --owner gds --due 2027-03-31 \
                 --depends-on a,b",
                "/api/v1/blueprints/wm/milestones",
                json!({"id": "hub", "workstream": "skills", "title": "Hub", "owner": "gds",
                       "due": "2027-03-31", "depends_on": ["a", "b"]}),
            ),
            (
                "milestone start wm/hub",
                "/api/v1/blueprints/wm/milestones/hub/start",
                json!({}),
            ),
            (
                "milestone progress wm/hub --percent 40 --note Half",
                "/api/v1/blueprints/wm/milestones/hub/report-progress",
                json!({"percent": 40, "note": "Half"}),
            ),
            (
                "milestone replan wm/hub --to 2027-04-30 --reason Fit-out",
                "/api/v1/blueprints/wm/milestones/hub/replan",
                json!({"to": "2027-04-30", "reason": "Fit-out"}),
            ),
            (
                "milestone complete wm/hub --occurred-on 2026-05-01",
                "/api/v1/blueprints/wm/milestones/hub/complete",
                json!({"on": "2026-05-01", "evidence": null, "occurred_on": "2026-05-01"}),
            ),
            (
                "milestone cancel wm/hub --reason Dropped",
                "/api/v1/blueprints/wm/milestones/hub/cancel",
                json!({"reason": "Dropped"}),
            ),
            (
                "milestone reopen wm/hub --reason Back",
                "/api/v1/blueprints/wm/milestones/hub/reopen",
                json!({"reason": "Back"}),
            ),
            (
                "commitment make wm/sec --partner gds --kind event-hosting --description Event \
                 --quantity 1 --unit events --due 2027-01-31",
                "/api/v1/blueprints/wm/commitments",
                json!({"id": "sec", "partner": "gds", "kind": "event_hosting",
                       "description": "Event", "quantity": 1, "unit": "events",
                       "due": "2027-01-31"}),
            ),
            (
                "commitment deliver wm/sec --quantity 1",
                "/api/v1/blueprints/wm/commitments/sec/record-delivery",
                json!({"quantity": 1}),
            ),
            (
                "commitment amend wm/sec --due 2027-02-28 --reason Venue",
                "/api/v1/blueprints/wm/commitments/sec/amend",
                json!({"quantity": null, "due": "2027-02-28", "reason": "Venue"}),
            ),
            (
                "commitment fulfil wm/sec",
                "/api/v1/blueprints/wm/commitments/sec/fulfil",
                json!({}),
            ),
            (
                "commitment withdraw wm/sec --reason Cancelled",
                "/api/v1/blueprints/wm/commitments/sec/withdraw",
                json!({"reason": "Cancelled"}),
            ),
            (
                "pledge make wm/fund --sponsor wmca --money £250,000 --conditions Match",
                "/api/v1/blueprints/wm/pledges",
                json!({"id": "fund", "sponsor": "wmca", "resource": "money",
                       "amount": 25_000_000u64, "workstream": null, "conditions": "Match"}),
            ),
            (
                "pledge make wm/time --sponsor gds --staff-days 12.5 --workstream skills",
                "/api/v1/blueprints/wm/pledges",
                json!({"id": "time", "sponsor": "gds", "resource": "staff_time", "amount": 1250,
                       "workstream": "skills"}),
            ),
            (
                "pledge confirm wm/time --staff-days 10",
                "/api/v1/blueprints/wm/pledges/time/confirm",
                json!({"amount": 1000}),
            ),
            (
                "pledge disburse wm/time --staff-days 2.5 --note Q1",
                "/api/v1/blueprints/wm/pledges/time/disburse",
                json!({"amount": 250, "note": "Q1"}),
            ),
            (
                "pledge withdraw wm/time --reason Cut",
                "/api/v1/blueprints/wm/pledges/time/withdraw",
                json!({"reason": "Cut"}),
            ),
            (
                "pledge close wm/time",
                "/api/v1/blueprints/wm/pledges/time/close",
                json!({}),
            ),
        ];
        for (line, path, body) in table {
            let expected = Post {
                path: path.to_owned(),
                body,
            };
            assert_eq!(post_of(line), expected, "{line}");
        }
    }

    #[test]
    fn the_command_line_is_consistent_and_every_subcommand_says_what_it_records() {
        let cli = Cli::command();
        cli.clone().debug_assert();
        fn walk(cmd: &clap::Command, path: &str) {
            for sub in cmd.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
                assert!(about.len() > 20, "`{path}` needs an about text");
                walk(sub, &path);
            }
        }
        walk(&cli, "waymark");
        let replan = cli
            .find_subcommand("milestone")
            .and_then(|m| m.find_subcommand("replan"))
            .unwrap();
        let help = replan.clone().render_long_help().to_string();
        assert!(help.contains("The baseline never moves"), "{help}");
        assert!(
            help.contains("waymark milestone replan wm-digital/hub-100-roles"),
            "{help}"
        );
    }

    #[test]
    fn value_enums_use_the_api_spelling_and_list_their_choices() {
        for t in OrgType::value_variants() {
            let name = t.to_possible_value().unwrap().get_name().to_owned();
            assert_eq!(serde_json::to_value(t).unwrap(), json!(name));
        }
        for k in CommitmentKind::value_variants() {
            let name = k.to_possible_value().unwrap().get_name().to_owned();
            assert_eq!(serde_json::to_value(k).unwrap(), json!(name));
        }
        let bad = parse("organisation register x --name X --type council")
            .unwrap_err()
            .to_string();
        assert!(
            bad.contains("central_government") && bad.contains("education_provider"),
            "{bad}"
        );
    }

    #[test]
    fn amounts_and_ids_are_checked_before_sending() {
        let err = |line: &str| parse(line).unwrap_err().to_string();
        assert!(err("pledge confirm wm/f --money 1.234").contains("not an amount"));
        assert!(err("pledge confirm wm/f").contains("--money"));
        assert!(
            err("pledge make wm/f --sponsor gds --money 1 --staff-days 1")
                .contains("cannot be used")
        );
        assert!(err("blueprint partner add wm --org G.D.S").contains("invalid organisation id"));
        assert!(err("commitment amend wm/c --reason r").contains("--quantity"));
        assert!(err("milestone start wm").contains("<blueprint>/<id>"));
    }

    #[test]
    fn json_output_is_the_api_answer_or_its_problem() {
        let answer = json!({"seq": 7, "events": ["milestone.started"], "duplicate": false});
        let ok = render(Ok(answer.clone()), true);
        assert_eq!(ok.code, 0);
        assert_eq!(serde_json::from_str::<Value>(&ok.stdout).unwrap(), answer);
        let again = json!({"seq": 7, "events": ["milestone.started"], "duplicate": true});
        assert_eq!(
            render(Ok(again), false).stdout,
            "recorded milestone.started at commit 7 (already recorded with this key)\n"
        );

        let problem = json!({"type": "urn:waymark:problem:milestone.closed", "status": 409,
                             "code": "milestone.closed",
                             "detail": "milestone wm/hub is done; it cannot be replanned"});
        let rejected = || ClientError::Rejected {
            status: 409,
            code: "milestone.closed".into(),
            detail: "milestone wm/hub is done; it cannot be replanned".into(),
            field: None,
            problem: problem.clone(),
        };
        let refused = render(Err(rejected()), true);
        assert_eq!(refused.code, EXIT_REJECTED);
        assert_eq!(
            serde_json::from_str::<Value>(&refused.stdout).unwrap(),
            problem
        );
        assert!(refused.stderr.contains("cannot be replanned"));
        assert_eq!(render(Err(rejected()), false).stdout, "");

        let away = ClientError::Transport {
            url: "http://127.0.0.1:9".into(),
            reason: "connection refused".into(),
        };
        let away = render(Err(away), true);
        assert_eq!((away.code, away.stdout.as_str()), (EXIT_UNAVAILABLE, ""));
    }
}
