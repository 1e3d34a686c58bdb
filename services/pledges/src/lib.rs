//! The pledges service: what sponsor organisations offer a blueprint (money or staff time), from
//! pledged through confirmed and disbursed to closed, or withdrawn before it is fully disbursed.

use chrono::NaiveDate;
use directory::{
    BlueprintState, Directory, OrganisationState, require_active_workstream, require_actor_org,
    require_open_blueprint, require_organisation,
};
use eventstore::{Aggregate, Reads, StoreError};
use proto::{
    EventBody, OrgId, PledgeAction, PledgeClosed, PledgeCommand, PledgeConfirmed, PledgeDisbursed,
    PledgeMade, PledgeRetitled, PledgeWithdrawn, Rejection, Resource, WorkstreamId, text,
};
use service_runtime::{Handler, Service};

pub use proto::PledgeStatus;

/// The folded state of one pledge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PledgeState {
    /// None until made.
    pub status: Option<PledgeStatus>,
    pub sponsor: Option<OrgId>,
    pub resource: Option<Resource>,
    /// The amount offered: pence for money, hundredths of a person-day for staff time.
    pub pledged: u64,
    /// The amount formally committed, once confirmed.
    pub confirmed: Option<u64>,
    /// Cumulative disbursements; kept when the pledge is withdrawn.
    pub disbursed: u64,
    pub workstream: Option<WorkstreamId>,
    /// Given by a retitle; until then the pledge is known by its sponsor.
    pub title: Option<String>,
}

impl PledgeState {
    /// Formats an amount of this pledge's resource for people.
    pub fn format(&self, amount: u64) -> String {
        self.resource.unwrap_or(Resource::Money).format(amount)
    }

    /// Whether everything confirmed has been disbursed.
    pub fn fully_disbursed(&self) -> bool {
        matches!(self.confirmed, Some(confirmed) if self.disbursed >= confirmed)
    }
}

impl Aggregate for PledgeState {
    fn evolve(&mut self, event: &EventBody) {
        match event {
            EventBody::PledgeRetitled(e) => self.title = Some(e.title.clone()),
            EventBody::PledgeMade(e) => {
                self.status = Some(PledgeStatus::Pledged);
                self.sponsor = Some(e.sponsor.clone());
                self.resource = Some(e.resource);
                self.pledged = e.amount;
                self.workstream = e.workstream.clone();
            }
            EventBody::PledgeConfirmed(e) => {
                self.status = Some(PledgeStatus::Confirmed);
                self.confirmed = Some(e.amount);
            }
            EventBody::PledgeDisbursed(e) => {
                self.disbursed = self.disbursed.saturating_add(e.amount);
            }
            EventBody::PledgeWithdrawn(_) => self.status = Some(PledgeStatus::Withdrawn),
            EventBody::PledgeClosed(_) => self.status = Some(PledgeStatus::Closed),
            _ => {}
        }
    }
}

/// What the pledge rules look at besides the pledge itself.
#[derive(Debug, Clone, Default)]
pub struct PledgeContext {
    /// The blueprint the pledge belongs to.
    pub blueprint: BlueprintState,
    /// The sponsor organisation; loaded only when a pledge is made.
    pub sponsor: Option<OrganisationState>,
}

/// The pledge rules, declared once; refusals are made from these and the rules reference lists them.
pub mod rules {
    proto::rules! {
        /// A pledge is made once; its id cannot be made again.
        ALREADY_EXISTS: Conflict "pledge.already_exists";
        /// Only a pledge that was made can be recorded against.
        NOT_FOUND: NotFound "pledge.not_found";
        /// Only a pledge still pledged (not yet confirmed, withdrawn or closed) can be confirmed.
        NOT_PLEDGED: Conflict "pledge.not_pledged";
        /// Disbursements are recorded only on a confirmed pledge; it is closed only once confirmed.
        NOT_CONFIRMED: Conflict "pledge.not_confirmed";
        /// Disbursements never add up to more than the confirmed amount.
        OVER_DISBURSED: Conflict "pledge.over_disbursed";
        /// A pledge is withdrawn once.
        ALREADY_WITHDRAWN: Conflict "pledge.already_withdrawn";
        /// A closed pledge cannot be withdrawn.
        CLOSED: Conflict "pledge.closed";
        /// A fully disbursed pledge is closed, not withdrawn.
        FULLY_DISBURSED: Conflict "pledge.fully_disbursed";
        /// A pledge is closed only once its confirmed amount is fully disbursed.
        NOT_FULLY_DISBURSED: Conflict "pledge.not_fully_disbursed";
        /// A retitle changes the title.
        SAME_TITLE: Conflict "pledge.same_title";
    }
}

/// Whether a pledge in `status` (`None`: not made yet) allows `action`, by its life cycle alone.
/// Forms offer exactly these actions; [`decide`] refuses the others, and may still refuse an
/// allowed one for its amounts (close waits for the last disbursement).
pub fn allows(status: Option<PledgeStatus>, action: &str) -> bool {
    match status {
        None => action == "make",
        Some(_) if action == "retitle" => true,
        Some(PledgeStatus::Pledged) => matches!(action, "confirm" | "withdraw"),
        Some(PledgeStatus::Confirmed) => matches!(action, "disburse" | "withdraw" | "close"),
        Some(PledgeStatus::Withdrawn | PledgeStatus::Closed) => false,
    }
}

/// The pure rules for pledge commands.
pub fn decide(
    cmd: &PledgeCommand,
    state: &PledgeState,
    ctx: &PledgeContext,
) -> Result<Vec<EventBody>, Rejection> {
    let bp_id = &cmd.blueprint;
    let name = format!("pledge {}/{}", cmd.blueprint, cmd.pledge);
    let blueprint = require_open_blueprint(bp_id, &ctx.blueprint)?;
    let event: EventBody = match &cmd.action {
        PledgeAction::Make {
            sponsor,
            resource,
            amount,
            workstream,
            conditions,
        } => {
            if state.status.is_some() {
                return Err(rules::ALREADY_EXISTS.refuse(format!("{name} already exists")));
            }
            let unknown = OrganisationState::default();
            require_organisation(sponsor, ctx.sponsor.as_ref().unwrap_or(&unknown), "sponsor")?;
            text::positive("amount", *amount)?;
            if let Some(ws) = workstream {
                require_active_workstream(bp_id, blueprint, ws, "workstream")?;
            }
            text::note("conditions", conditions)?;
            PledgeMade {
                sponsor: sponsor.clone(),
                resource: *resource,
                amount: *amount,
                workstream: workstream.clone(),
                conditions: conditions.trim().to_owned(),
            }
            .into()
        }
        PledgeAction::Confirm { amount } => {
            let why = match require_pledge(&name, state)? {
                PledgeStatus::Pledged => None,
                PledgeStatus::Confirmed => Some(format!("{name} is already confirmed")),
                PledgeStatus::Withdrawn => {
                    Some(format!("{name} is withdrawn; it cannot be confirmed"))
                }
                PledgeStatus::Closed => Some(format!("{name} is closed; it cannot be confirmed")),
            };
            if let Some(message) = why {
                return Err(rules::NOT_PLEDGED.refuse(message));
            }
            text::positive("amount", *amount)?;
            PledgeConfirmed { amount: *amount }.into()
        }
        PledgeAction::Disburse { amount, note } => {
            let why = match require_pledge(&name, state)? {
                PledgeStatus::Confirmed => None,
                PledgeStatus::Pledged => Some(format!(
                    "{name} is not confirmed; no disbursement before confirmation"
                )),
                PledgeStatus::Withdrawn => {
                    Some(format!("{name} is withdrawn; it takes no disbursements"))
                }
                PledgeStatus::Closed => {
                    Some(format!("{name} is closed; it takes no disbursements"))
                }
            };
            if let Some(message) = why {
                return Err(rules::NOT_CONFIRMED.refuse(message));
            }
            text::positive("amount", *amount)?;
            text::note("note", note)?;
            let confirmed = state.confirmed.unwrap_or(0);
            let remaining = confirmed.saturating_sub(state.disbursed);
            if *amount > remaining {
                let total = match state.disbursed.checked_add(*amount) {
                    Some(total) => format!(" to {}", state.format(total)),
                    None => String::new(),
                };
                return Err(rules::OVER_DISBURSED.refuse(format!(
                        "{name}: disbursing {} would bring disbursements{total}, above the {} confirmed",
                        state.format(*amount),
                        state.format(confirmed)
                    ),
                )
                .on_field("amount"));
            }
            PledgeDisbursed {
                amount: *amount,
                note: note.trim().to_owned(),
            }
            .into()
        }
        PledgeAction::Withdraw { reason } => {
            match require_pledge(&name, state)? {
                PledgeStatus::Pledged | PledgeStatus::Confirmed => {}
                PledgeStatus::Withdrawn => {
                    return Err(
                        rules::ALREADY_WITHDRAWN.refuse(format!("{name} is already withdrawn"))
                    );
                }
                PledgeStatus::Closed => {
                    return Err(
                        rules::CLOSED.refuse(format!("{name} is closed; it cannot be withdrawn"))
                    );
                }
            }
            if state.fully_disbursed() {
                return Err(rules::FULLY_DISBURSED.refuse(format!(
                    "{name} is fully disbursed ({} of {}); it can be closed, not withdrawn",
                    state.format(state.disbursed),
                    state.format(state.confirmed.unwrap_or(0))
                )));
            }
            text::reason("reason", reason)?;
            PledgeWithdrawn {
                reason: reason.trim().to_owned(),
            }
            .into()
        }
        PledgeAction::Close {} => {
            let why = match require_pledge(&name, state)? {
                PledgeStatus::Confirmed => None,
                PledgeStatus::Pledged => {
                    Some(format!("{name} is not confirmed; it cannot be closed"))
                }
                PledgeStatus::Withdrawn => {
                    Some(format!("{name} is withdrawn; it cannot be closed"))
                }
                PledgeStatus::Closed => Some(format!("{name} is already closed")),
            };
            if let Some(message) = why {
                return Err(rules::NOT_CONFIRMED.refuse(message));
            }
            if !state.fully_disbursed() {
                return Err(rules::NOT_FULLY_DISBURSED.refuse(format!(
                    "{name} has {} of {} disbursed; it cannot be closed until fully disbursed",
                    state.format(state.disbursed),
                    state.format(state.confirmed.unwrap_or(0))
                )));
            }
            PledgeClosed {}.into()
        }
        PledgeAction::Retitle { title } => {
            require_pledge(&name, state)?;
            text::title("title", title)?;
            if state.title.as_deref() == Some(title.trim()) {
                return Err(rules::SAME_TITLE
                    .refuse(format!("{name} already has the title {:?}", title.trim()))
                    .on_field("title"));
            }
            PledgeRetitled {
                title: title.trim().to_owned(),
            }
            .into()
        }
    };
    Ok(vec![event])
}

/// The pledge must have been made; returns its status.
fn require_pledge(name: &str, state: &PledgeState) -> Result<PledgeStatus, Rejection> {
    state
        .status
        .ok_or_else(|| rules::NOT_FOUND.refuse(format!("{name} does not exist")))
}

/// Plugs the pledge rules into the command runtime.
#[derive(Default)]
pub struct PledgeHandler {
    directory: Directory,
}

impl Handler for PledgeHandler {
    type Command = PledgeCommand;
    type State = PledgeState;
    type Context = PledgeContext;

    /// A partner's token (limited to one organisation) may record only that organisation's pledges.
    fn authorise(
        &self,
        actor: &proto::Actor,
        command: &PledgeCommand,
        state: &PledgeState,
    ) -> Result<(), Rejection> {
        let owner = match &command.action {
            PledgeAction::Make { sponsor, .. } => Some(sponsor),
            _ => state.sponsor.as_ref(),
        };
        require_actor_org(
            actor,
            owner,
            &format!("pledge {}/{}", command.blueprint, command.pledge),
        )
    }

    async fn context(
        &self,
        reads: Reads<'_>,
        command: &PledgeCommand,
    ) -> Result<PledgeContext, StoreError> {
        let blueprint = self.directory.blueprint(reads, &command.blueprint).await?;
        let sponsor = match &command.action {
            PledgeAction::Make { sponsor, .. } => {
                Some(self.directory.organisation(reads, sponsor).await?)
            }
            _ => None,
        };
        Ok(PledgeContext { blueprint, sponsor })
    }

    fn decide(
        &self,
        command: &PledgeCommand,
        state: &PledgeState,
        context: &PledgeContext,
        _today: NaiveDate,
    ) -> Result<Vec<EventBody>, Rejection> {
        decide(command, state, context)
    }
}

impl Service for PledgeHandler {
    const NAME: &'static str = "waymark-pledges";
}

#[cfg(test)]
mod tests {
    use super::*;
    use directory::testing::{assert_says, fold};
    use proptest::prelude::*;
    use proto::events::{
        BlueprintClosed, BlueprintDrafted, BlueprintPublished, OrgType, OrganisationRegistered,
        WorkstreamAdded, WorkstreamRetired,
    };
    use proto::{BlueprintId, PledgeId};

    // ---- given / when / then ----

    fn org(id: &str) -> OrgId {
        OrgId::new(id).unwrap()
    }

    fn ws(id: &str) -> WorkstreamId {
        WorkstreamId::new(id).unwrap()
    }

    fn workstream_added(id: &str, title: &str) -> EventBody {
        WorkstreamAdded {
            workstream: ws(id),
            title: title.into(),
            lead_org: org("gds"),
        }
        .into()
    }

    /// A published blueprint with an active `academy` and a retired `legacy` workstream.
    fn open_blueprint_events() -> Vec<EventBody> {
        vec![
            BlueprintDrafted {
                title: "Digital skills".into(),
                summary: String::new(),
                lead_org: org("gds"),
                start_date: NaiveDate::from_ymd_opt(2025, 4, 1).unwrap(),
                target_end_date: NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
                funding_target: 100_000_000,
                staff_time_target: None,
            }
            .into(),
            BlueprintPublished {}.into(),
            workstream_added("academy", "Academy"),
            workstream_added("legacy", "Legacy"),
            WorkstreamRetired {
                workstream: ws("legacy"),
                reason: "merged".into(),
            }
            .into(),
        ]
    }

    fn registered_sponsor() -> OrganisationState {
        fold(&[OrganisationRegistered {
            name: "Government Digital Service".into(),
            org_type: OrgType::CentralGovernment,
        }
        .into()])
    }

    /// The context of a blueprint with `events`, the sponsor registered.
    fn ctx_of(events: &[EventBody]) -> PledgeContext {
        PledgeContext {
            blueprint: fold(events),
            sponsor: Some(registered_sponsor()),
        }
    }

    /// An open blueprint with an active and a retired workstream, and a registered sponsor.
    fn ctx() -> PledgeContext {
        ctx_of(&open_blueprint_events())
    }

    /// What pledge wm-digital/gds-academy answers to `action`, given `ctx` and its own `history`.
    fn decided(
        ctx: &PledgeContext,
        history: &[EventBody],
        action: PledgeAction,
    ) -> Result<Vec<EventBody>, Rejection> {
        let command = PledgeCommand {
            blueprint: BlueprintId::new("wm-digital").unwrap(),
            pledge: PledgeId::new("gds-academy").unwrap(),
            action,
        };
        decide(&command, &fold(history), ctx)
    }

    /// [`decided`] in [`ctx`].
    fn when(history: &[EventBody], action: PledgeAction) -> Result<Vec<EventBody>, Rejection> {
        decided(&ctx(), history, action)
    }

    /// Checks that `outcome` is a refusal by the rule coded `code`, on `field`, and that a
    /// refusal of the whole command names the pledge's blueprint.
    #[track_caller]
    fn refused(
        outcome: Result<Vec<EventBody>, Rejection>,
        code: &str,
        field: Option<&str>,
    ) -> Rejection {
        let err = directory::testing::refusal(outcome, rules::ALL, code, field);
        assert!(
            err.field.is_some() || err.message.contains("wm-digital"),
            "the message should name the thing: {}",
            err.message
        );
        err
    }

    /// A pledge of `amount` of `resource` by gds, to `workstream`.
    fn make_of(resource: Resource, amount: u64, workstream: Option<&str>) -> PledgeAction {
        PledgeAction::Make {
            sponsor: org("gds"),
            resource,
            amount,
            workstream: workstream.map(ws),
            conditions: String::new(),
        }
    }

    fn make(amount: u64) -> PledgeAction {
        PledgeAction::Make {
            sponsor: org("gds"),
            resource: Resource::Money,
            amount,
            workstream: Some(ws("academy")),
            conditions: "Spent on apprenticeships".into(),
        }
    }

    /// What [`make`] records.
    fn made(amount: u64) -> EventBody {
        PledgeMade {
            sponsor: org("gds"),
            resource: Resource::Money,
            amount,
            workstream: Some(ws("academy")),
            conditions: "Spent on apprenticeships".into(),
        }
        .into()
    }

    fn confirm(amount: u64) -> PledgeAction {
        PledgeAction::Confirm { amount }
    }

    fn disburse(amount: u64) -> PledgeAction {
        PledgeAction::Disburse {
            amount,
            note: String::new(),
        }
    }

    fn withdraw(reason: &str) -> PledgeAction {
        PledgeAction::Withdraw {
            reason: reason.into(),
        }
    }

    /// The events of a pledge as it goes on: `made`, confirmed for `confirmed`, then disbursed
    /// in `disbursements`.
    fn paid(made: EventBody, confirmed: u64, disbursements: &[u64]) -> Vec<EventBody> {
        let disbursed = disbursements.iter().map(|&amount| PledgeDisbursed {
            amount,
            note: String::new(),
        });
        [made, PledgeConfirmed { amount: confirmed }.into()]
            .into_iter()
            .chain(disbursed.map(Into::into))
            .collect()
    }

    /// [`paid`], for a pledge [`made`] of `pledged`.
    fn confirmed_and_paid(pledged: u64, confirmed: u64, disbursements: &[u64]) -> Vec<EventBody> {
        paid(made(pledged), confirmed, disbursements)
    }

    fn withdrawn() -> EventBody {
        PledgeWithdrawn {
            reason: "budget cut".into(),
        }
        .into()
    }

    fn closed() -> EventBody {
        PledgeClosed {}.into()
    }

    /// £50,000.00 pledged and confirmed, with `disbursements` paid.
    fn confirmed_50k(disbursements: &[u64]) -> Vec<EventBody> {
        confirmed_and_paid(5_000_000, 5_000_000, disbursements)
    }

    /// A pledge of 100 paid in full and closed.
    fn paid_and_closed() -> Vec<EventBody> {
        [confirmed_and_paid(100, 100, &[100]), vec![closed()]].concat()
    }

    /// `allows` is the life cycle `decide` enforces: in every status, each action of the
    /// catalogue with its example fields is refused when `allows` says no, and recorded from some
    /// state in that status when it says yes.
    #[test]
    fn allows_is_the_life_cycle_that_decide_enforces() {
        let pounds = |p: u64| p * 100;
        let (offered, paid) = (pounds(250_000), pounds(200_000));
        let histories = [
            vec![],
            vec![made(offered)],
            confirmed_and_paid(offered, offered, &[]),
            confirmed_and_paid(paid, paid, &[paid]),
            vec![made(offered), withdrawn()],
            [confirmed_and_paid(paid, paid, &[paid]), vec![closed()]].concat(),
        ];
        let mut ctx = ctx();
        ctx.blueprint.evolve(&workstream_added("skills", "Skills"));
        proto::spec::check_life_cycle(
            &histories,
            |history| fold::<PledgeState>(history).status,
            allows,
            |history, action: PledgeAction| decided(&ctx, history, action),
        );
    }

    /// Each refusal is by its rule, on the field it concerns; those whose message matters have
    /// tests of their own below.
    #[test]
    fn every_refusal_names_its_rule() {
        let title = |t: &str| PledgeAction::Retitle { title: t.into() };
        let titled = [
            made(100),
            PledgeRetitled {
                title: "Academy fund".into(),
            }
            .into(),
        ];
        let long = "x".repeat(text::NOTE_MAX + 1);
        let long_conditions = PledgeAction::Make {
            sponsor: org("gds"),
            resource: Resource::Money,
            amount: 100,
            workstream: None,
            conditions: long.clone(),
        };
        let long_note = PledgeAction::Disburse {
            amount: 100,
            note: long.clone(),
        };
        let money = Resource::Money;
        for (history, action, code, field) in [
            (
                titled.to_vec(),
                title("Academy fund"),
                "pledge.same_title",
                Some("title"),
            ),
            (vec![], title("Fund"), "pledge.not_found", None),
            (vec![], make(0), "input.not_positive", Some("amount")),
            (
                vec![],
                make_of(money, 100, Some("nowhere")),
                "workstream.not_found",
                Some("workstream"),
            ),
            (
                vec![],
                make_of(money, 100, Some("legacy")),
                "workstream.retired",
                Some("workstream"),
            ),
            (
                vec![],
                long_conditions,
                "input.too_long",
                Some("conditions"),
            ),
            (
                vec![made(100)],
                confirm(0),
                "input.not_positive",
                Some("amount"),
            ),
            (
                confirmed_50k(&[]),
                disburse(0),
                "input.not_positive",
                Some("amount"),
            ),
            (
                confirmed_50k(&[]),
                long_note,
                "input.too_long",
                Some("note"),
            ),
            (
                vec![made(100)],
                withdraw("   "),
                "input.blank",
                Some("reason"),
            ),
            (
                confirmed_50k(&[]),
                PledgeAction::Close {},
                "pledge.not_fully_disbursed",
                None,
            ),
        ] {
            refused(when(&history, action), code, field);
        }
    }

    /// A pledge refuses what its status does not allow, and says why.
    #[test]
    fn each_status_refuses_what_it_does_not_allow() {
        let withdrawn_confirmed = [confirmed_and_paid(100, 100, &[]), vec![withdrawn()]].concat();
        for (history, action, code, why) in [
            (
                confirmed_50k(&[]),
                confirm(100),
                "pledge.not_pledged",
                "is already confirmed",
            ),
            (
                vec![made(100), withdrawn()],
                confirm(100),
                "pledge.not_pledged",
                "is withdrawn; it cannot be confirmed",
            ),
            (
                paid_and_closed(),
                confirm(100),
                "pledge.not_pledged",
                "is closed; it cannot be confirmed",
            ),
            (
                vec![made(5_000_000)],
                disburse(100),
                "pledge.not_confirmed",
                "is not confirmed; no disbursement before confirmation",
            ),
            (
                [confirmed_50k(&[]), vec![withdrawn()]].concat(),
                disburse(100),
                "pledge.not_confirmed",
                "is withdrawn; it takes no disbursements",
            ),
            (
                paid_and_closed(),
                disburse(1),
                "pledge.not_confirmed",
                "is closed; it takes no disbursements",
            ),
            (
                vec![made(100), withdrawn()],
                withdraw("Sponsor's budget was cut"),
                "pledge.already_withdrawn",
                "is already withdrawn",
            ),
            (
                paid_and_closed(),
                withdraw("Sponsor's budget was cut"),
                "pledge.closed",
                "is closed; it cannot be withdrawn",
            ),
            (
                vec![made(100)],
                PledgeAction::Close {},
                "pledge.not_confirmed",
                "is not confirmed; it cannot be closed",
            ),
            (
                vec![made(100), withdrawn()],
                PledgeAction::Close {},
                "pledge.not_confirmed",
                "is withdrawn; it cannot be closed",
            ),
            (
                withdrawn_confirmed,
                PledgeAction::Close {},
                "pledge.not_confirmed",
                "is withdrawn; it cannot be closed",
            ),
            (
                paid_and_closed(),
                PledgeAction::Close {},
                "pledge.not_confirmed",
                "is already closed",
            ),
        ] {
            let err = refused(when(&history, action), code, None);
            assert_eq!(err.message, format!("pledge wm-digital/gds-academy {why}"));
        }
    }

    #[test]
    fn retitle_names_the_pledge_once() {
        let events = when(
            &[made(100)],
            PledgeAction::Retitle {
                title: " Academy fund ".into(),
            },
        );
        let titled = PledgeRetitled {
            title: "Academy fund".into(),
        };
        assert_eq!(events.unwrap(), vec![titled.into()]);
    }

    // ---- every command: the blueprint ----

    #[test]
    fn a_command_on_a_missing_blueprint_is_rejected() {
        let err = decided(&ctx_of(&[]), &[], make(100));
        refused(err, "blueprint.not_found", None);
    }

    #[test]
    fn a_command_on_a_closed_blueprint_is_rejected() {
        let reason = "done".into();
        let events = [
            open_blueprint_events(),
            vec![BlueprintClosed { reason }.into()],
        ]
        .concat();
        let ctx = ctx_of(&events);
        let err = decided(&ctx, &[], make(100));
        refused(err, "blueprint.closed", None);
        let err = decided(&ctx, &confirmed_50k(&[]), disburse(100));
        refused(err, "blueprint.closed", None);
    }

    #[test]
    fn a_draft_blueprint_takes_pledges() {
        let ctx = ctx_of(&open_blueprint_events()[..1]);
        let make = make_of(Resource::Money, 100, None);
        let events = decided(&ctx, &[], make).unwrap();
        assert_eq!(events.len(), 1);
    }

    // ---- make ----

    #[test]
    fn make_a_money_pledge_to_a_workstream() {
        let events = when(
            &[],
            PledgeAction::Make {
                sponsor: org("gds"),
                resource: Resource::Money,
                amount: 5_000_000,
                workstream: Some(ws("academy")),
                conditions: "  Spent on apprenticeships ".into(),
            },
        )
        .unwrap();
        assert_eq!(events, vec![made(5_000_000)]);
    }

    #[test]
    fn make_a_staff_time_pledge_to_the_whole_blueprint() {
        let events = when(&[], make_of(Resource::StaffTime, 1250, None)).unwrap();
        let made = PledgeMade {
            sponsor: org("gds"),
            resource: Resource::StaffTime,
            amount: 1250,
            workstream: None,
            conditions: String::new(),
        };
        assert_eq!(events, vec![made.into()]);
    }

    #[test]
    fn make_an_existing_pledge_is_rejected() {
        for history in [
            vec![made(100)],
            confirmed_and_paid(100, 100, &[]),
            vec![made(100), withdrawn()],
        ] {
            let err = refused(when(&history, make(100)), "pledge.already_exists", None);
            assert_eq!(err.message, "pledge wm-digital/gds-academy already exists");
        }
    }

    #[test]
    fn make_with_an_unregistered_sponsor_is_rejected() {
        for sponsor in [Some(OrganisationState::default()), None] {
            let ctx = PledgeContext { sponsor, ..ctx() };
            let err = decided(&ctx, &[], make(100));
            refused(err, "organisation.not_found", Some("sponsor"));
        }
    }

    // ---- any other command on a missing pledge ----

    #[test]
    fn changing_a_missing_pledge_is_rejected() {
        for action in [
            confirm(100),
            disburse(100),
            withdraw("Sponsor's budget was cut"),
            PledgeAction::Close {},
        ] {
            let err = refused(when(&[], action), "pledge.not_found", None);
            assert_eq!(err.message, "pledge wm-digital/gds-academy does not exist");
        }
    }

    // ---- confirm and disburse ----

    #[test]
    fn confirm_a_pledge_for_a_different_amount() {
        let events = when(&[made(5_000_000)], confirm(4_000_000)).unwrap();
        assert_eq!(events, vec![PledgeConfirmed { amount: 4_000_000 }.into()]);
    }

    #[test]
    fn disburse_part_of_a_confirmed_pledge() {
        let tranche = PledgeAction::Disburse {
            amount: 1_000_000,
            note: " first tranche ".into(),
        };
        let events = when(&confirmed_50k(&[]), tranche);
        let disbursed = PledgeDisbursed {
            amount: 1_000_000,
            note: "first tranche".into(),
        };
        assert_eq!(events.unwrap(), vec![disbursed.into()]);
    }

    #[test]
    fn disburse_exactly_the_rest() {
        let events = when(&confirmed_50k(&[4_000_000]), disburse(1_000_000)).unwrap();
        let rest = PledgeDisbursed {
            amount: 1_000_000,
            note: String::new(),
        };
        assert_eq!(events, vec![rest.into()]);
    }

    #[test]
    fn disburse_beyond_the_confirmed_amount_is_rejected() {
        let err = when(&confirmed_50k(&[4_000_000]), disburse(2_000_000));
        let err = refused(err, "pledge.over_disbursed", Some("amount"));
        assert_eq!(
            err.message,
            "pledge wm-digital/gds-academy: disbursing £20,000.00 would bring disbursements \
             to £60,000.00, above the £50,000.00 confirmed"
        );
    }

    #[test]
    fn disburse_beyond_a_lower_confirmed_amount_is_rejected() {
        // Pledged £50,000.00 but only £40,000.00 confirmed: the confirmed amount is the cap.
        let history = confirmed_and_paid(5_000_000, 4_000_000, &[]);
        let err = refused(
            when(&history, disburse(4_500_000)),
            "pledge.over_disbursed",
            Some("amount"),
        );
        assert_says(&err, "£40,000.00 confirmed");
    }

    #[test]
    fn disburse_beyond_confirmed_staff_time_names_person_days() {
        let days = PledgeMade {
            sponsor: org("gds"),
            resource: Resource::StaffTime,
            amount: 1000,
            workstream: None,
            conditions: String::new(),
        };
        let err = when(&paid(days.into(), 1000, &[750]), disburse(500));
        let err = refused(err, "pledge.over_disbursed", Some("amount"));
        assert_eq!(
            err.message,
            "pledge wm-digital/gds-academy: disbursing 5.00 person-days would bring \
             disbursements to 12.50 person-days, above the 10.00 person-days confirmed"
        );
    }

    #[test]
    fn disburse_an_amount_that_would_overflow_is_rejected() {
        let err = when(&confirmed_50k(&[1]), disburse(u64::MAX));
        let err = refused(err, "pledge.over_disbursed", Some("amount"));
        assert_says(&err, "above the £50,000.00 confirmed");
    }

    // ---- withdraw ----

    #[test]
    fn withdraw_an_offered_pledge() {
        let events = when(&[made(100)], withdraw(" budget cut ")).unwrap();
        assert_eq!(events, vec![withdrawn()]);
    }

    #[test]
    fn withdraw_a_partly_disbursed_pledge_keeps_what_was_disbursed() {
        let mut history = confirmed_50k(&[1_000_000]);
        let events = when(&history, withdraw("Sponsor's budget was cut")).unwrap();
        assert_eq!(events.len(), 1);
        history.extend(events);
        let state: PledgeState = fold(&history);
        assert_eq!(state.status, Some(PledgeStatus::Withdrawn));
        assert_eq!(state.disbursed, 1_000_000);
        assert_eq!(state.confirmed, Some(5_000_000));
    }

    #[test]
    fn withdraw_a_fully_disbursed_pledge_is_rejected() {
        let err = when(
            &confirmed_50k(&[5_000_000]),
            withdraw("Sponsor's budget was cut"),
        );
        let err = refused(err, "pledge.fully_disbursed", None);
        assert_says(&err, "£50,000.00 of £50,000.00");
    }

    // ---- close ----

    #[test]
    fn close_a_fully_disbursed_pledge() {
        let history = confirmed_50k(&[2_000_000, 3_000_000]);
        let events = when(&history, PledgeAction::Close {}).unwrap();
        assert_eq!(events, vec![closed()]);
    }

    #[test]
    fn close_a_partly_disbursed_pledge_is_rejected() {
        let err = when(&confirmed_50k(&[1_000_000]), PledgeAction::Close {});
        let err = refused(err, "pledge.not_fully_disbursed", None);
        assert_says(&err, "£10,000.00 of £50,000.00");
    }

    // ---- evolve ----

    #[test]
    fn evolve_folds_the_life_cycle() {
        let history = [
            confirmed_and_paid(5_000_000, 4_000_000, &[1_000_000, 3_000_000]),
            vec![closed()],
        ];
        let state: PledgeState = fold(&history.concat());
        assert_eq!(
            state,
            PledgeState {
                status: Some(PledgeStatus::Closed),
                sponsor: Some(org("gds")),
                resource: Some(Resource::Money),
                pledged: 5_000_000,
                confirmed: Some(4_000_000),
                disbursed: 4_000_000,
                workstream: Some(ws("academy")),
                title: None,
            }
        );
        assert!(state.fully_disbursed());
    }

    #[test]
    fn evolve_ignores_other_events() {
        let state: PledgeState = fold(&open_blueprint_events());
        assert_eq!(state, PledgeState::default());
    }

    // ---- properties ----

    fn amount() -> impl Strategy<Value = u64> {
        prop_oneof![
            // Small amounts against small caps, so that sums often land on, or just past, the cap.
            6 => 0..=100u64,
            3 => 0..=3_000_000u64,
            1 => Just(u64::MAX),
            1 => any::<u64>(),
        ]
    }

    /// Adds to `history` what `action` records; returns whether it was accepted.
    fn apply(history: &mut Vec<EventBody>, action: PledgeAction) -> bool {
        match when(history, action) {
            Ok(events) => {
                history.extend(events);
                true
            }
            Err(_) => false,
        }
    }

    proptest! {
        #[test]
        fn disbursements_never_exceed_the_confirmed_amount(
            pledged in 1..=10_000_000u64,
            confirm in prop_oneof![1..=500u64, 1..=10_000_000u64],
            amounts in prop::collection::vec(amount(), 0..40),
        ) {
            let mut history = vec![made(pledged)];
            let confirmation = PledgeAction::Confirm { amount: confirm };
            prop_assert!(apply(&mut history, confirmation));
            for amount in amounts {
                let before = fold::<PledgeState>(&history).disbursed;
                let accepted = apply(&mut history, disburse(amount));
                let state: PledgeState = fold(&history);
                prop_assert!(state.disbursed <= confirm);
                prop_assert_eq!(accepted, amount > 0 && amount <= confirm - before);
                if accepted {
                    prop_assert_eq!(state.disbursed, before + amount);
                } else {
                    prop_assert_eq!(state.disbursed, before);
                }
            }
            let state: PledgeState = fold(&history);
            prop_assert_eq!(state.fully_disbursed(), state.disbursed == confirm);
        }

        #[test]
        fn disbursements_never_exceed_confirmed_whatever_else_happens(
            actions in prop::collection::vec(
                prop_oneof![
                    1 => amount().prop_map(|amount| PledgeAction::Confirm { amount }),
                    4 => amount().prop_map(disburse),
                    1 => Just(withdraw("Sponsor's budget was cut")),
                    1 => Just(PledgeAction::Close {}),
                ],
                0..40,
            ),
        ) {
            let mut history = vec![made(5_000_000)];
            for action in actions {
                apply(&mut history, action);
                let state: PledgeState = fold(&history);
                prop_assert_eq!(&fold::<PledgeState>(&history), &state, "folding is deterministic");
                match state.confirmed {
                    Some(confirmed) => prop_assert!(state.disbursed <= confirmed),
                    None => prop_assert_eq!(state.disbursed, 0),
                }
                if state.status == Some(PledgeStatus::Closed) {
                    prop_assert!(state.fully_disbursed());
                }
            }
        }
    }
}
