//! The commitments service: the rules for what partner organisations promised to contribute to a
//! blueprint (made, deliveries recorded, amended, fulfilled or withdrawn).

use chrono::NaiveDate;
use directory::{BlueprintState, Directory, require_actor_org, require_open_blueprint};
use eventstore::{Aggregate, Reads, StoreError};
use proto::events::*;
use proto::{
    BlueprintId, CommitmentAction, CommitmentCommand, CommitmentId, EventBody, OrgId, Rejection,
    text,
};
use service_runtime::{Handler, Service};

pub use proto::CommitmentStatus;

/// A status as the rules name it in a refusal.
fn word(status: CommitmentStatus) -> &'static str {
    match status {
        CommitmentStatus::Made => "open",
        CommitmentStatus::Fulfilled => "fulfilled",
        CommitmentStatus::Withdrawn => "withdrawn",
    }
}

/// The folded state of one commitment: what its rules look at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitmentState {
    /// None until made.
    pub status: Option<CommitmentStatus>,
    pub partner: Option<OrgId>,
    pub description: String,
    /// What was committed, after any amendment.
    pub quantity: u64,
    pub unit: String,
    /// When it is due, after any amendment.
    pub due: Option<NaiveDate>,
    /// Sum of the deliveries recorded; may exceed `quantity`.
    pub delivered: u64,
}

impl Aggregate for CommitmentState {
    fn evolve(&mut self, event: &EventBody) {
        match event {
            EventBody::CommitmentMade(e) => {
                self.status = Some(CommitmentStatus::Made);
                self.partner = Some(e.partner.clone());
                self.description = e.description.clone();
                self.quantity = e.quantity;
                self.unit = e.unit.clone();
                self.due = Some(e.due);
            }
            EventBody::CommitmentRetitled(e) => self.description = e.description.clone(),
            EventBody::CommitmentDeliveryRecorded(e) => {
                self.delivered = self.delivered.saturating_add(e.quantity);
            }
            EventBody::CommitmentAmended(e) => {
                if let Some(quantity) = e.quantity {
                    self.quantity = quantity;
                }
                if let Some(due) = e.due {
                    self.due = Some(due);
                }
            }
            EventBody::CommitmentFulfilled(_) => self.status = Some(CommitmentStatus::Fulfilled),
            EventBody::CommitmentWithdrawn(_) => self.status = Some(CommitmentStatus::Withdrawn),
            _ => {}
        }
    }
}

/// What the commitment rules look at besides the commitment itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitmentContext {
    /// The blueprint the commitment belongs to (default when it does not exist).
    pub blueprint: BlueprintState,
}

/// How a commitment is named in messages: `commitment wm-digital/gds-secondees`.
fn name(bp: &BlueprintId, id: &CommitmentId) -> String {
    format!("commitment {bp}/{id}")
}

/// The commitment must exist and be open (made, neither fulfilled nor withdrawn) for `what` to
/// happen.
fn require_made(
    bp: &BlueprintId,
    id: &CommitmentId,
    state: &CommitmentState,
    what: &str,
) -> Result<(), Rejection> {
    match state.status {
        None => Err(rules::NOT_FOUND.refuse(format!("{} does not exist", name(bp, id)))),
        Some(CommitmentStatus::Made) => Ok(()),
        Some(status) => Err(rules::CLOSED.refuse(format!(
            "{} is {}; it cannot {what}",
            name(bp, id),
            word(status)
        ))),
    }
}

/// The commitment rules, declared once; refusals are made from these and the rules reference lists
/// them.
pub mod rules {
    proto::rules! {
        /// A commitment is made once; its id cannot be made again.
        ALREADY_EXISTS: Conflict "commitment.already_exists";
        /// Only an organisation that joined the blueprint as a partner can commit to it.
        PARTNER_NOT_JOINED: Conflict "commitment.partner_not_joined";
        /// Only a commitment that was made can be recorded against.
        NOT_FOUND: NotFound "commitment.not_found";
        /// A fulfilled or withdrawn commitment takes no deliveries, amendments or withdrawal.
        CLOSED: Conflict "commitment.closed";
        /// An amendment changes the quantity, the due date or both.
        AMEND_NOTHING: Invalid "commitment.amend_nothing";
        /// An amendment changes something: the quantity or due date differs from the current one.
        AMEND_NO_CHANGE: Conflict "commitment.amend_no_change";
        /// A commitment is fulfilled only once deliveries reach the promised quantity.
        NOT_DELIVERED: Conflict "commitment.not_delivered";
        /// A correction changes the description.
        SAME_DESCRIPTION: Conflict "commitment.same_description";
    }
}

/// Whether a commitment in `status` (`None`: not made yet) allows `action`, by its life cycle
/// alone. Forms offer exactly these actions; [`decide`] refuses the others, and may still refuse
/// an allowed one for its fields or context (fulfil waits for the deliveries).
pub fn allows(status: Option<CommitmentStatus>, action: &str) -> bool {
    match status {
        None => action == "make",
        Some(CommitmentStatus::Made) => action != "make",
        Some(CommitmentStatus::Fulfilled | CommitmentStatus::Withdrawn) => action == "retitle",
    }
}

/// The pure rules for commitment commands.
pub fn decide(
    cmd: &CommitmentCommand,
    state: &CommitmentState,
    ctx: &CommitmentContext,
) -> Result<Vec<EventBody>, Rejection> {
    let bp = &cmd.blueprint;
    let id = &cmd.commitment;
    let blueprint = require_open_blueprint(bp, &ctx.blueprint)?;

    let event: EventBody = match &cmd.action {
        CommitmentAction::Make {
            partner,
            kind,
            description,
            quantity,
            unit,
            due,
        } => {
            if state.status.is_some() {
                return Err(
                    rules::ALREADY_EXISTS.refuse(format!("{} already exists", name(bp, id)))
                );
            }
            if !blueprint.partners.contains(partner) {
                return Err(rules::PARTNER_NOT_JOINED.refuse(format!(
                        "{} cannot be made: organisation {partner} is not a partner of blueprint {bp}; add it as a partner first",
                        name(bp, id)
                    ),
                )
                .on_field("partner"));
            }
            text::reason("description", description)?;
            text::positive("quantity", *quantity)?;
            text::required("unit", unit, text::UNIT_MAX)?;
            CommitmentMade {
                partner: partner.clone(),
                kind: *kind,
                description: description.trim().to_owned(),
                quantity: *quantity,
                unit: unit.trim().to_owned(),
                due: *due,
            }
            .into()
        }
        CommitmentAction::RecordDelivery { quantity, note } => {
            require_made(bp, id, state, "take deliveries")?;
            text::positive("quantity", *quantity)?;
            text::note("note", note)?;
            CommitmentDeliveryRecorded {
                quantity: *quantity,
                note: note.trim().to_owned(),
            }
            .into()
        }
        CommitmentAction::Amend {
            quantity,
            due,
            reason,
        } => {
            require_made(bp, id, state, "be amended")?;
            if quantity.is_none() && due.is_none() {
                return Err(rules::AMEND_NOTHING.refuse_on(
                    "quantity",
                    format!(
                        "{} cannot be amended without a new quantity or due date",
                        name(bp, id)
                    ),
                ));
            }
            if let Some(q) = quantity {
                text::positive("quantity", *q)?;
            }
            // Only what actually changes is recorded.
            let quantity = quantity.filter(|q| *q != state.quantity);
            let due = due.filter(|d| Some(*d) != state.due);
            if quantity.is_none() && due.is_none() {
                return Err(rules::AMEND_NO_CHANGE.refuse(format!(
                    "{} already has that quantity and due date; the amendment changes nothing",
                    name(bp, id)
                )));
            }
            text::reason("reason", reason)?;
            CommitmentAmended {
                quantity,
                due,
                reason: reason.trim().to_owned(),
            }
            .into()
        }
        CommitmentAction::Fulfil {} => {
            require_made(bp, id, state, "be fulfilled")?;
            if state.delivered < state.quantity {
                return Err(rules::NOT_DELIVERED.refuse(format!(
                        "{} cannot be fulfilled: {} of {} {} delivered; record the rest or amend the quantity",
                        name(bp, id),
                        state.delivered,
                        state.quantity,
                        state.unit
                    ),
                ));
            }
            CommitmentFulfilled {}.into()
        }
        CommitmentAction::Retitle { description } => {
            if state.status.is_none() {
                return Err(rules::NOT_FOUND.refuse(format!("{} does not exist", name(bp, id))));
            }
            text::reason("description", description)?;
            if state.description == description.trim() {
                return Err(rules::SAME_DESCRIPTION
                    .refuse(format!("{} already has that description", name(bp, id)))
                    .on_field("description"));
            }
            CommitmentRetitled {
                description: description.trim().to_owned(),
            }
            .into()
        }
        CommitmentAction::Withdraw { reason } => {
            require_made(bp, id, state, "be withdrawn")?;
            text::reason("reason", reason)?;
            CommitmentWithdrawn {
                reason: reason.trim().to_owned(),
            }
            .into()
        }
    };
    Ok(vec![event])
}

/// Plugs the commitment rules into the command runtime.
#[derive(Default)]
pub struct CommitmentHandler {
    directory: Directory,
}

impl Handler for CommitmentHandler {
    type Command = CommitmentCommand;
    type State = CommitmentState;
    type Context = CommitmentContext;

    /// A partner's token (limited to one organisation) may record only that organisation's
    /// commitments.
    fn authorise(
        &self,
        actor: &proto::Actor,
        command: &CommitmentCommand,
        state: &CommitmentState,
    ) -> Result<(), Rejection> {
        let owner = match &command.action {
            CommitmentAction::Make { partner, .. } => Some(partner),
            _ => state.partner.as_ref(),
        };
        require_actor_org(
            actor,
            owner,
            &format!("commitment {}/{}", command.blueprint, command.commitment),
        )
    }

    async fn context(
        &self,
        reads: Reads<'_>,
        command: &CommitmentCommand,
    ) -> Result<CommitmentContext, StoreError> {
        let blueprint = self.directory.blueprint(reads, &command.blueprint).await?;
        Ok(CommitmentContext { blueprint })
    }

    fn decide(
        &self,
        command: &CommitmentCommand,
        state: &CommitmentState,
        ctx: &CommitmentContext,
        _today: NaiveDate,
    ) -> Result<Vec<EventBody>, Rejection> {
        decide(command, state, ctx)
    }
}

impl Service for CommitmentHandler {
    const NAME: &'static str = "waymark-commitments";
}

#[cfg(test)]
mod tests {
    use super::*;
    use directory::testing::{assert_says, fold, refusal};
    use proptest::prelude::*;
    use proto::RejectionKind;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn gds() -> OrgId {
        OrgId::new("gds").unwrap()
    }

    /// A published blueprint wm-digital with gds as a partner.
    fn blueprint_events() -> Vec<EventBody> {
        vec![
            BlueprintDrafted {
                title: "West Midlands digital".into(),
                summary: String::new(),
                lead_org: OrgId::new("wmca").unwrap(),
                start_date: date(2025, 1, 1),
                target_end_date: date(2026, 12, 31),
                funding_target: 10_000_000,
                staff_time_target: None,
            }
            .into(),
            BlueprintPublished {}.into(),
            PartnerJoined { org: gds() }.into(),
        ]
    }

    /// What commitment wm-digital/gds-secondees answers to `action`, given the events of its
    /// blueprint and its own `history`.
    fn decided(
        blueprint: &[EventBody],
        history: &[EventBody],
        action: CommitmentAction,
    ) -> Result<Vec<EventBody>, Rejection> {
        let command = CommitmentCommand {
            blueprint: BlueprintId::new("wm-digital").unwrap(),
            commitment: CommitmentId::new("gds-secondees").unwrap(),
            action,
        };
        let context = CommitmentContext {
            blueprint: fold(blueprint),
        };
        decide(&command, &fold(history), &context)
    }

    /// [`decided`] in blueprint wm-digital as [`blueprint_events`] leave it.
    fn then(history: &[EventBody], action: CommitmentAction) -> Result<Vec<EventBody>, Rejection> {
        decided(&blueprint_events(), history, action)
    }

    fn when(history: &[EventBody], action: CommitmentAction) -> Vec<EventBody> {
        then(history, action).unwrap()
    }

    /// Two secondees from gds, due on `due`, typed with spaces around the description and unit.
    fn make_due(due: NaiveDate) -> CommitmentAction {
        CommitmentAction::Make {
            partner: gds(),
            kind: CommitmentKind::Secondment,
            description: " Two secondees to the hub ".into(),
            quantity: 2,
            unit: " people ".into(),
            due,
        }
    }

    /// What [`make_due`] records.
    fn made_due(due: NaiveDate) -> EventBody {
        CommitmentMade {
            partner: gds(),
            kind: CommitmentKind::Secondment,
            description: "Two secondees to the hub".into(),
            quantity: 2,
            unit: "people".into(),
            due,
        }
        .into()
    }

    fn make_action() -> CommitmentAction {
        make_due(date(2025, 6, 30))
    }

    fn made() -> EventBody {
        made_due(date(2025, 6, 30))
    }

    fn delivered(quantity: u64) -> EventBody {
        CommitmentDeliveryRecorded {
            quantity,
            note: String::new(),
        }
        .into()
    }

    fn fulfilled() -> EventBody {
        CommitmentFulfilled {}.into()
    }

    fn withdrawn() -> EventBody {
        CommitmentWithdrawn {
            reason: "budget cut".into(),
        }
        .into()
    }

    fn amended(quantity: Option<u64>, due: Option<NaiveDate>, reason: &str) -> EventBody {
        CommitmentAmended {
            quantity,
            due,
            reason: reason.into(),
        }
        .into()
    }

    fn deliver(quantity: u64) -> CommitmentAction {
        deliver_with(quantity, "")
    }

    fn deliver_with(quantity: u64, note: &str) -> CommitmentAction {
        CommitmentAction::RecordDelivery {
            quantity,
            note: note.into(),
        }
    }

    fn amend(quantity: Option<u64>, due: Option<NaiveDate>) -> CommitmentAction {
        amend_because(quantity, due, "one secondee moved to another programme")
    }

    fn amend_because(
        quantity: Option<u64>,
        due: Option<NaiveDate>,
        reason: &str,
    ) -> CommitmentAction {
        CommitmentAction::Amend {
            quantity,
            due,
            reason: reason.into(),
        }
    }

    fn withdraw() -> CommitmentAction {
        withdraw_because(" budget cut ")
    }

    fn withdraw_because(reason: &str) -> CommitmentAction {
        CommitmentAction::Withdraw {
            reason: reason.into(),
        }
    }

    /// A make by gds of `quantity` `unit` placements, described as `description`.
    fn make_with(description: &str, quantity: u64, unit: &str) -> CommitmentAction {
        CommitmentAction::Make {
            partner: gds(),
            kind: CommitmentKind::TrainingOrPlacements,
            description: description.into(),
            quantity,
            unit: unit.into(),
            due: date(2025, 9, 1),
        }
    }

    /// `allows` is the life cycle `decide` enforces: in every status, each action of the
    /// catalogue with its example fields is refused when `allows` says no, and recorded from some
    /// state in that status when it says yes.
    #[test]
    fn allows_is_the_life_cycle_that_decide_enforces() {
        let histories = [
            vec![],
            vec![made()],
            vec![made(), delivered(2)],
            vec![made(), delivered(2), fulfilled()],
            vec![made(), withdrawn()],
        ];
        proto::spec::check_life_cycle(
            &histories,
            |history| fold::<CommitmentState>(history).status,
            allows,
            |history, action: CommitmentAction| then(history, action),
        );
    }

    /// Each refusal is by its rule, on the field it concerns; those whose message matters have
    /// tests of their own below.
    #[test]
    fn every_refusal_names_its_rule() {
        let long_unit = "x".repeat(text::UNIT_MAX + 1);
        let long_note = "n".repeat(text::NOTE_MAX + 1);
        let description = |d: &str| CommitmentAction::Retitle {
            description: d.into(),
        };
        let unchanged = description("Two secondees to the hub");
        for (history, action, code, field) in [
            (
                vec![made()],
                unchanged.clone(),
                "commitment.same_description",
                Some("description"),
            ),
            (vec![], unchanged, "commitment.not_found", None),
            (
                vec![],
                make_with("   ", 2, "people"),
                "input.blank",
                Some("description"),
            ),
            (
                vec![],
                make_with("Placements", 0, "placements"),
                "input.not_positive",
                Some("quantity"),
            ),
            (
                vec![],
                make_with("Placements", 10, " "),
                "input.blank",
                Some("unit"),
            ),
            (
                vec![],
                make_with("Placements", 10, &long_unit),
                "input.too_long",
                Some("unit"),
            ),
            (
                vec![made()],
                deliver(0),
                "input.not_positive",
                Some("quantity"),
            ),
            (
                vec![made()],
                deliver_with(1, &long_note),
                "input.too_long",
                Some("note"),
            ),
            (
                vec![made()],
                amend(None, None),
                "commitment.amend_nothing",
                Some("quantity"),
            ),
            (
                vec![made()],
                amend(Some(0), None),
                "input.not_positive",
                Some("quantity"),
            ),
            (
                vec![made()],
                amend(Some(2), Some(date(2025, 6, 30))),
                "commitment.amend_no_change",
                None,
            ),
            (
                vec![made()],
                amend(Some(2), None),
                "commitment.amend_no_change",
                None,
            ),
            (
                vec![made()],
                amend_because(Some(3), None, " "),
                "input.blank",
                Some("reason"),
            ),
            (
                vec![made()],
                withdraw_because(""),
                "input.blank",
                Some("reason"),
            ),
        ] {
            refusal(then(&history, action), rules::ALL, code, field);
        }
    }

    #[test]
    fn retitle_corrects_the_description_even_once_closed() {
        let events = when(
            &[made(), withdrawn()],
            CommitmentAction::Retitle {
                description: " Two secondees to the Birmingham hub ".into(),
            },
        );
        let retitled = CommitmentRetitled {
            description: "Two secondees to the Birmingham hub".into(),
        };
        assert_eq!(events, vec![retitled.into()]);
    }

    // ---- the blueprint ----

    /// One command of each kind, on a commitment it would be accepted on.
    fn one_of_each() -> [(Vec<EventBody>, CommitmentAction); 5] {
        [
            (vec![], make_action()),
            (vec![made()], deliver(1)),
            (vec![made()], amend(Some(3), None)),
            (vec![made(), delivered(2)], CommitmentAction::Fulfil {}),
            (vec![made()], withdraw()),
        ]
    }

    #[test]
    fn every_command_needs_an_existing_blueprint() {
        for (events, action) in one_of_each() {
            let err = decided(&[], &events, action);
            let err = refusal(err, rules::ALL, "blueprint.not_found", None);
            assert_says(&err, "wm-digital");
        }
    }

    #[test]
    fn every_command_needs_an_open_blueprint() {
        let reason = "programme ended".into();
        let closed = [blueprint_events(), vec![BlueprintClosed { reason }.into()]].concat();
        for (events, action) in one_of_each() {
            let err = decided(&closed, &events, action);
            refusal(err, rules::ALL, "blueprint.closed", None);
        }
    }

    #[test]
    fn a_draft_blueprint_takes_commitments() {
        let draft = &blueprint_events()[..1];
        let mut events = draft.to_vec();
        events.push(PartnerJoined { org: gds() }.into());
        let out = decided(&events, &[], make_action()).unwrap();
        assert_eq!(out, vec![made()]);
    }

    // ---- make ----

    #[test]
    fn make_a_commitment_with_trimmed_text() {
        assert_eq!(when(&[], make_action()), vec![made()]);
    }

    #[test]
    fn make_accepts_a_due_date_in_the_past() {
        let long_ago = date(2000, 1, 1);
        assert_eq!(when(&[], make_due(long_ago)), vec![made_due(long_ago)]);
    }

    #[test]
    fn make_twice_is_rejected() {
        let err = refusal(
            then(&[made()], make_action()),
            rules::ALL,
            "commitment.already_exists",
            None,
        );
        assert_says(&err, "commitment wm-digital/gds-secondees");
    }

    #[test]
    fn make_by_an_organisation_that_is_not_a_partner_is_rejected() {
        let action = CommitmentAction::Make {
            partner: OrgId::new("birmingham").unwrap(),
            kind: CommitmentKind::Secondment,
            description: "Secondees".into(),
            quantity: 2,
            unit: "people".into(),
            due: date(2025, 6, 30),
        };
        let err = refusal(
            then(&[], action),
            rules::ALL,
            "commitment.partner_not_joined",
            Some("partner"),
        );
        assert_says(&err, "birmingham");
    }

    #[test]
    fn make_by_a_partner_that_left_is_rejected() {
        let reason = "merged".into();
        let left = [
            blueprint_events(),
            vec![PartnerLeft { org: gds(), reason }.into()],
        ]
        .concat();
        let err = decided(&left, &[], make_action());
        refusal(
            err,
            rules::ALL,
            "commitment.partner_not_joined",
            Some("partner"),
        );
    }

    // ---- a commitment that does not exist, or is closed ----

    #[test]
    fn commands_on_a_missing_commitment_are_rejected() {
        for action in [
            deliver(1),
            amend(Some(3), None),
            CommitmentAction::Fulfil {},
            withdraw(),
        ] {
            let err = refusal(then(&[], action), rules::ALL, "commitment.not_found", None);
            assert_says(&err, "commitment wm-digital/gds-secondees does not exist");
        }
    }

    /// A fulfilled or withdrawn commitment takes no deliveries, amendments, fulfilment or
    /// withdrawal, and the refusal says why.
    #[test]
    fn a_closed_commitment_takes_nothing_more() {
        let fulfilled = vec![made(), delivered(2), fulfilled()];
        let withdrawn = vec![made(), delivered(2), withdrawn()];
        for (history, status, action, what) in [
            (&fulfilled, "fulfilled", deliver(1), "take deliveries"),
            (&withdrawn, "withdrawn", deliver(1), "take deliveries"),
            (&fulfilled, "fulfilled", amend(Some(3), None), "be amended"),
            (&withdrawn, "withdrawn", amend(Some(3), None), "be amended"),
            (
                &fulfilled,
                "fulfilled",
                CommitmentAction::Fulfil {},
                "be fulfilled",
            ),
            (
                &withdrawn,
                "withdrawn",
                CommitmentAction::Fulfil {},
                "be fulfilled",
            ),
            (&fulfilled, "fulfilled", withdraw(), "be withdrawn"),
            (&withdrawn, "withdrawn", withdraw(), "be withdrawn"),
        ] {
            let err = refusal(then(history, action), rules::ALL, "commitment.closed", None);
            assert_eq!(
                err.message,
                format!("commitment wm-digital/gds-secondees is {status}; it cannot {what}")
            );
        }
    }

    // ---- record_delivery ----

    #[test]
    fn record_a_delivery() {
        let events = when(&[made()], deliver_with(1, " first secondee started "));
        let recorded = CommitmentDeliveryRecorded {
            quantity: 1,
            note: "first secondee started".into(),
        };
        assert_eq!(events, vec![recorded.into()]);
    }

    #[test]
    fn over_delivery_is_allowed_and_counted() {
        assert_eq!(
            when(&[made(), delivered(2)], deliver(3)),
            vec![delivered(3)]
        );
        let state: CommitmentState = fold(&[made(), delivered(2), delivered(3)]);
        assert_eq!(state.delivered, 5);
    }

    // ---- amend ----

    #[test]
    fn amend_the_quantity() {
        let reason = "one secondee moved to another programme";
        assert_eq!(
            when(&[made()], amend(Some(1), None)),
            vec![amended(Some(1), None, reason)]
        );
        let state: CommitmentState = fold(&[made(), amended(Some(1), None, "r")]);
        assert_eq!(state.quantity, 1);
    }

    #[test]
    fn amend_the_due_date_with_a_trimmed_reason() {
        let later = Some(date(2025, 9, 30));
        let events = when(
            &[made()],
            amend_because(None, later, " vetting took longer "),
        );
        assert_eq!(events, vec![amended(None, later, "vetting took longer")]);
    }

    #[test]
    fn amend_records_only_what_changes() {
        let later = Some(date(2025, 9, 30));
        let events = when(&[made()], amend(Some(2), later));
        let reason = "one secondee moved to another programme";
        assert_eq!(events, vec![amended(None, later, reason)]);
    }

    // ---- fulfil ----

    #[test]
    fn fulfil_once_everything_is_delivered() {
        for history in [
            vec![made(), delivered(1), delivered(1)],
            vec![made(), delivered(5)],
            vec![made(), delivered(1), amended(Some(1), None, "r")],
        ] {
            assert_eq!(
                when(&history, CommitmentAction::Fulfil {}),
                vec![fulfilled()],
                "{history:?}"
            );
        }
    }

    #[test]
    fn fulfil_before_everything_is_delivered_is_rejected() {
        let err = then(&[made(), delivered(1)], CommitmentAction::Fulfil {});
        let err = refusal(err, rules::ALL, "commitment.not_delivered", None);
        assert_eq!(err.kind, RejectionKind::Conflict);
        assert_says(&err, "commitment wm-digital/gds-secondees");
        assert_says(
            &err,
            "1 of 2 people delivered; record the rest or amend the quantity",
        );
    }

    // ---- withdraw ----

    #[test]
    fn withdraw_with_a_trimmed_reason() {
        assert_eq!(when(&[made(), delivered(1)], withdraw()), vec![withdrawn()]);
        let state: CommitmentState = fold(&[made(), delivered(1), withdrawn()]);
        assert_eq!(state.status, Some(CommitmentStatus::Withdrawn));
        assert_eq!(state.delivered, 1);
    }

    // ---- the state ----

    #[test]
    fn evolve_folds_the_whole_life() {
        let later = Some(date(2025, 12, 1));
        let history = [
            made(),
            delivered(1),
            amended(Some(3), later, "r"),
            delivered(2),
            fulfilled(),
        ];
        assert_eq!(
            fold::<CommitmentState>(&history),
            CommitmentState {
                status: Some(CommitmentStatus::Fulfilled),
                partner: Some(gds()),
                description: "Two secondees to the hub".into(),
                quantity: 3,
                unit: "people".into(),
                due: later,
                delivered: 3,
            }
        );
    }

    fn any_action() -> impl Strategy<Value = CommitmentAction> {
        prop_oneof![
            (any::<u64>(), "\\PC{0,5}").prop_map(|(quantity, unit)| CommitmentAction::Make {
                partner: gds(),
                kind: CommitmentKind::Other,
                description: "d".into(),
                quantity,
                unit,
                due: date(2025, 1, 1),
            }),
            any::<u64>().prop_map(deliver),
            (
                proptest::option::of(any::<u64>()),
                proptest::option::of(0i32..5000)
            )
                .prop_map(|(q, days)| amend(
                    q,
                    days.and_then(|d| date(2024, 1, 1)
                        .checked_add_signed(chrono::Duration::days(i64::from(d))))
                )),
            Just(CommitmentAction::Fulfil {}),
            Just(withdraw()),
        ]
    }

    proptest! {
        #[test]
        fn delivered_is_the_sum_of_accepted_deliveries(
            quantities in proptest::collection::vec(0u64..1_000_000, 0..30)
        ) {
            let mut events = vec![made()];
            let mut sum = 0u64;
            for q in quantities {
                match then(&events, deliver(q)) {
                    Ok(out) => {
                        prop_assert!(q > 0);
                        sum += q;
                        events.extend(out);
                    }
                    Err(err) => {
                        prop_assert_eq!(q, 0);
                        prop_assert_eq!(err.code, "input.not_positive");
                    }
                }
            }
            prop_assert_eq!(fold::<CommitmentState>(&events).delivered, sum);
        }

        #[test]
        fn any_sequence_of_commands_is_answered_without_panicking(
            actions in proptest::collection::vec(any_action(), 0..20)
        ) {
            let mut events = Vec::new();
            let mut stepped = CommitmentState::default();
            for action in actions {
                match then(&events, action) {
                    Ok(out) => {
                        // `evolve` takes every event `decide` produced.
                        out.iter().for_each(|e| stepped.evolve(e));
                        events.extend(out);
                    }
                    Err(err) => prop_assert!(!err.code.is_empty() && !err.message.is_empty()),
                }
                let state: CommitmentState = fold(&events);
                prop_assert_eq!(&state, &stepped, "folding is deterministic");
                // Fulfilment only ever follows full delivery.
                if state.status == Some(CommitmentStatus::Fulfilled) {
                    prop_assert!(state.delivered >= state.quantity);
                }
            }
        }
    }
}
