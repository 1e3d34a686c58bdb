//! The milestones service: the life cycle of a milestone (planned, in progress, done, cancelled),
//! its baseline and forecast dates, progress reports and dependencies.

use std::collections::HashMap;

use chrono::NaiveDate;
use directory::{
    BlueprintState, Directory, OrganisationState, require_active_workstream,
    require_open_blueprint, require_organisation,
};
use eventstore::{Aggregate, Reads, StateCache, StoreError};
use proto::events::*;
use proto::{EventBody, MilestoneAction, MilestoneCommand, MilestoneId, Rejection, ThingRef, text};
use service_runtime::{Handler, Service};

/// The milestone rules, declared once; refusals are made from these and the rules reference lists
/// them.
pub mod rules {
    proto::rules! {
        /// A milestone is planned once; its id cannot be planned again.
        ALREADY_PLANNED: Conflict "milestone.already_planned";
        /// A milestone depends on a bounded number of others; the refusal names the bound.
        TOO_MANY_DEPENDENCIES: Invalid "milestone.too_many_dependencies";
        /// A milestone cannot depend on itself.
        DEPENDS_ON_ITSELF: Invalid "milestone.depends_on_itself";
        /// Each dependency is listed once.
        DUPLICATE_DEPENDENCY: Invalid "milestone.duplicate_dependency";
        /// A dependency is a milestone already planned in the same blueprint.
        DEPENDENCY_NOT_FOUND: NotFound "milestone.dependency_not_found";
        /// Only a planned milestone can be recorded against.
        NOT_FOUND: NotFound "milestone.not_found";
        /// A done or cancelled milestone takes no start, progress, replan, completion or
        /// cancellation; reopen it first.
        CLOSED: Conflict "milestone.closed";
        /// A milestone is started once.
        ALREADY_STARTED: Conflict "milestone.already_started";
        /// Progress is a percentage from 0 to 100.
        PERCENT_OUT_OF_RANGE: Invalid "milestone.percent_out_of_range";
        /// A replan moves the forecast to another date.
        REPLAN_SAME_DATE: Conflict "milestone.replan_same_date";
        /// A milestone cannot be completed on a date still to come.
        COMPLETED_IN_FUTURE: Invalid "milestone.completed_in_future";
        /// Only a done or cancelled milestone can be reopened.
        NOT_CLOSED: Conflict "milestone.not_closed";
        /// A retitle changes the title.
        SAME_TITLE: Conflict "milestone.same_title";
    }
}

/// The most milestones one milestone may depend on; each is checked against the stream.
pub const MAX_DEPENDENCIES: usize = 32;

pub use proto::MilestoneStatus;

/// The folded state of one milestone: what its rules look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MilestoneState {
    /// None until planned.
    pub status: Option<MilestoneStatus>,
    /// The first due date ever planned; never changes.
    pub baseline: Option<NaiveDate>,
    /// The current due date.
    pub forecast: Option<NaiveDate>,
    pub percent: u8,
    /// Whether it was ever started, so a reopened milestone returns to the right state.
    pub started: bool,
    /// The current title.
    pub title: String,
}

impl Aggregate for MilestoneState {
    fn evolve(&mut self, event: &EventBody) {
        match event {
            EventBody::MilestonePlanned(e) => {
                self.status = Some(MilestoneStatus::Planned);
                self.baseline = Some(e.due);
                self.forecast = Some(e.due);
                self.title = e.title.clone();
            }
            EventBody::MilestoneRetitled(e) => self.title = e.title.clone(),
            EventBody::MilestoneStarted(_) => {
                self.status = Some(MilestoneStatus::InProgress);
                self.started = true;
            }
            EventBody::MilestoneProgressReported(e) => self.percent = e.percent,
            EventBody::MilestoneReplanned(e) => self.forecast = Some(e.to),
            EventBody::MilestoneCompleted(_) => {
                self.status = Some(MilestoneStatus::Done);
                self.percent = 100;
            }
            EventBody::MilestoneCancelled(_) => self.status = Some(MilestoneStatus::Cancelled),
            EventBody::MilestoneReopened(_) => {
                self.status = Some(if self.started {
                    MilestoneStatus::InProgress
                } else {
                    MilestoneStatus::Planned
                });
            }
            _ => {}
        }
    }
}

/// What the milestone rules look at besides the milestone itself.
#[derive(Debug, Clone, Default)]
pub struct MilestoneContext {
    pub blueprint: BlueprintState,
    /// The owner named by a plan command.
    pub owner: Option<OrganisationState>,
    /// The milestones a plan command depends on, with their states.
    pub dependencies: HashMap<MilestoneId, MilestoneState>,
}

/// Whether a milestone in `status` (`None`: not planned yet) allows `action`, by its life cycle
/// alone. Forms offer exactly these actions; [`decide`] refuses the others, and may still refuse
/// an allowed one for its fields or context.
pub fn allows(status: Option<MilestoneStatus>, action: &str) -> bool {
    match (status, action) {
        (None, action) => action == "plan",
        (Some(_), "plan") => false,
        (Some(_), "retitle") => true,
        (Some(MilestoneStatus::Planned), action) => action != "reopen",
        (Some(MilestoneStatus::InProgress), action) => !matches!(action, "start" | "reopen"),
        (Some(MilestoneStatus::Done | MilestoneStatus::Cancelled), action) => action == "reopen",
    }
}

/// The pure rules for milestone commands.
pub fn decide(
    cmd: &MilestoneCommand,
    state: &MilestoneState,
    ctx: &MilestoneContext,
    today: NaiveDate,
) -> Result<Vec<EventBody>, Rejection> {
    let bp = &cmd.blueprint;
    let name = format!("milestone {bp}/{}", cmd.milestone);
    require_open_blueprint(bp, &ctx.blueprint)?;
    let already_planned = || rules::ALREADY_PLANNED.refuse(format!("{name} is already planned"));
    if let (
        MilestoneAction::Plan {
            workstream,
            title,
            owner,
            depends_on,
            due,
        },
        None,
    ) = (&cmd.action, state.status)
    {
        require_active_workstream(bp, &ctx.blueprint, workstream, "workstream")?;
        text::title("title", title)?;
        require_organisation(
            owner,
            ctx.owner.as_ref().unwrap_or(&OrganisationState::default()),
            "owner",
        )?;
        if depends_on.len() > MAX_DEPENDENCIES {
            return Err(rules::TOO_MANY_DEPENDENCIES.refuse_on("depends_on",
                format!(
                    "{name} lists {} dependencies; a milestone may depend on {MAX_DEPENDENCIES} at most",
                    depends_on.len()
                ),
            ));
        }
        let mut seen = Vec::with_capacity(depends_on.len());
        for dep in depends_on {
            if dep == &cmd.milestone {
                return Err(rules::DEPENDS_ON_ITSELF
                    .refuse_on("depends_on", format!("{name} cannot depend on itself")));
            }
            if seen.contains(&dep) {
                return Err(rules::DUPLICATE_DEPENDENCY
                    .refuse_on("depends_on", format!("{name} lists dependency {dep} twice")));
            }
            seen.push(dep);
            if ctx.dependencies.get(dep).is_none_or(|d| d.status.is_none()) {
                return Err(rules::DEPENDENCY_NOT_FOUND
                    .refuse(format!(
                        "{name} depends on milestone {bp}/{dep}, which does not exist"
                    ))
                    .on_field("depends_on"));
            }
        }
        return Ok(vec![
            MilestonePlanned {
                workstream: workstream.clone(),
                title: title.trim().to_owned(),
                owner: owner.clone(),
                depends_on: depends_on.clone(),
                due: *due,
            }
            .into(),
        ]);
    }
    let Some(status) = state.status else {
        return Err(rules::NOT_FOUND.refuse(format!("{name} does not exist")));
    };
    let closed = |verb: &str| {
        rules::CLOSED.refuse(format!("{name} is {}; it cannot be {verb}", status.label()))
    };
    let events: Vec<EventBody> = match &cmd.action {
        MilestoneAction::Plan { .. } => return Err(already_planned()),
        MilestoneAction::Start {} => match status {
            MilestoneStatus::Planned => vec![MilestoneStarted {}.into()],
            MilestoneStatus::InProgress => {
                return Err(rules::ALREADY_STARTED.refuse(format!("{name} is already in progress")));
            }
            _ => return Err(closed("started")),
        },
        MilestoneAction::ReportProgress { percent, note } => {
            if !status.is_open() {
                return Err(closed("reported on"));
            }
            if *percent > 100 {
                return Err(rules::PERCENT_OUT_OF_RANGE.refuse_on(
                    "percent",
                    format!("progress must be between 0 and 100 percent, not {percent}"),
                ));
            }
            text::note("note", note)?;
            let mut events: Vec<EventBody> = Vec::new();
            if status == MilestoneStatus::Planned && *percent > 0 {
                // Reporting progress on work means the work has started.
                events.push(MilestoneStarted {}.into());
            }
            events.push(
                MilestoneProgressReported {
                    percent: *percent as u8,
                    note: note.trim().to_owned(),
                }
                .into(),
            );
            events
        }
        MilestoneAction::Replan { to, reason } => {
            if !status.is_open() {
                return Err(closed("replanned"));
            }
            let from = state.forecast.unwrap_or(*to);
            if from == *to {
                return Err(rules::REPLAN_SAME_DATE
                    .refuse(format!("{name} is already forecast for {to}"))
                    .on_field("to"));
            }
            text::reason("reason", reason)?;
            vec![
                MilestoneReplanned {
                    from,
                    to: *to,
                    reason: reason.trim().to_owned(),
                }
                .into(),
            ]
        }
        MilestoneAction::Complete { on, evidence } => {
            if !status.is_open() {
                return Err(closed("completed"));
            }
            if *on > today {
                return Err(rules::COMPLETED_IN_FUTURE.refuse_on(
                    "on",
                    format!("{name} cannot be completed on {on}, which is in the future"),
                ));
            }
            if let Some(link) = evidence {
                text::link("evidence", link)?;
            }
            let mut events: Vec<EventBody> = Vec::new();
            if status == MilestoneStatus::Planned {
                events.push(MilestoneStarted {}.into());
            }
            events.push(
                MilestoneCompleted {
                    on: *on,
                    evidence: evidence.as_ref().map(|e| e.trim().to_owned()),
                }
                .into(),
            );
            events
        }
        MilestoneAction::Cancel { reason } => {
            if !status.is_open() {
                return Err(closed("cancelled"));
            }
            text::reason("reason", reason)?;
            vec![
                MilestoneCancelled {
                    reason: reason.trim().to_owned(),
                }
                .into(),
            ]
        }
        MilestoneAction::Retitle { title } => {
            text::title("title", title)?;
            if state.title == title.trim() {
                return Err(rules::SAME_TITLE
                    .refuse(format!("{name} already has the title {:?}", state.title))
                    .on_field("title"));
            }
            vec![
                MilestoneRetitled {
                    title: title.trim().to_owned(),
                }
                .into(),
            ]
        }
        MilestoneAction::Reopen { reason } => {
            if status.is_open() {
                return Err(rules::NOT_CLOSED.refuse(format!(
                    "{name} is {}; only a done or cancelled milestone can be reopened",
                    status.label()
                )));
            }
            text::reason("reason", reason)?;
            vec![
                MilestoneReopened {
                    reason: reason.trim().to_owned(),
                }
                .into(),
            ]
        }
    };
    Ok(events)
}

/// Plugs the milestone rules into the command runtime.
pub struct MilestoneHandler {
    directory: Directory,
    dependencies: StateCache<MilestoneState>,
}

impl Default for MilestoneHandler {
    fn default() -> Self {
        Self {
            directory: Directory::default(),
            dependencies: StateCache::new(10_000),
        }
    }
}

impl Handler for MilestoneHandler {
    type Command = MilestoneCommand;
    type State = MilestoneState;
    type Context = MilestoneContext;

    async fn context(
        &self,
        reads: Reads<'_>,
        command: &MilestoneCommand,
    ) -> Result<MilestoneContext, StoreError> {
        let blueprint = self.directory.blueprint(reads, &command.blueprint).await?;
        let mut ctx = MilestoneContext {
            blueprint,
            ..Default::default()
        };
        if let MilestoneAction::Plan {
            owner, depends_on, ..
        } = &command.action
        {
            ctx.owner = Some(self.directory.organisation(reads, owner).await?);
            // Each dependency is a read of the stream; past the limit `decide` refuses anyway.
            for dep in depends_on.iter().take(MAX_DEPENDENCIES + 1) {
                let folded = self
                    .dependencies
                    .load_fresh(reads.reader, &ThingRef::milestone(&command.blueprint, dep))
                    .await?;
                ctx.dependencies.insert(dep.clone(), folded.state.clone());
            }
        }
        Ok(ctx)
    }

    fn decide(
        &self,
        command: &MilestoneCommand,
        state: &MilestoneState,
        ctx: &MilestoneContext,
        today: NaiveDate,
    ) -> Result<Vec<EventBody>, Rejection> {
        decide(command, state, ctx, today)
    }
}

impl Service for MilestoneHandler {
    const NAME: &'static str = "waymark-milestones";
}

#[cfg(test)]
mod tests;
