//! The commitments service: the rules for what partner organisations promised to contribute to a
//! blueprint (made, deliveries recorded, amended, fulfilled or withdrawn).

use chrono::NaiveDate;
use directory::{BlueprintState, Directory, require_actor_org, require_open_blueprint};
use eventstore::{Aggregate, EventStore, StoreError, StreamReader};
use proto::events::*;
use proto::{
    BlueprintId, CommitmentAction, CommitmentCommand, CommitmentId, EventBody, OrgId, Rejection,
    text,
};
use service_runtime::{CommandMetrics, Handler, ServiceConfig, ServiceLimits, serve};

pub use proto::CommitmentStatus;

/// A status as the rules name it in a refusal.
fn word(status: CommitmentStatus) -> &'static str {
    match status {
        CommitmentStatus::Made => "open",
        CommitmentStatus::Fulfilled => "fulfilled",
        CommitmentStatus::Withdrawn => "withdrawn",
    }
}

/// The folded state of one commitment.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitmentState {
    /// None until made.
    pub status: Option<CommitmentStatus>,
    pub partner: Option<OrgId>,
    pub kind: Option<CommitmentKind>,
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
                self.kind = Some(e.kind);
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

/// A partner's token (limited to one organisation) may record only that organisation's commitments.
pub fn authorise(
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

impl Handler for CommitmentHandler {
    type Command = CommitmentCommand;
    type State = CommitmentState;
    type Context = CommitmentContext;

    fn authorise(
        &self,
        actor: &proto::Actor,
        command: &CommitmentCommand,
        state: &CommitmentState,
    ) -> Result<(), Rejection> {
        authorise(actor, command, state)
    }

    async fn context(
        &self,
        reader: &StreamReader,
        command: &CommitmentCommand,
    ) -> Result<CommitmentContext, StoreError> {
        let folded = self.directory.blueprint(reader, &command.blueprint).await?;
        Ok(CommitmentContext {
            blueprint: folded.state.clone(),
        })
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

/// Serves commitment commands until `shutdown` resolves.
pub async fn run(
    store: EventStore,
    metrics: CommandMetrics,
    limits: ServiceLimits,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<(), StoreError> {
    serve(
        store,
        CommitmentHandler::default(),
        ServiceConfig::named("waymark-commitments", &limits),
        metrics,
        shutdown,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
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

    fn ctx_of(events: &[EventBody]) -> CommitmentContext {
        let mut blueprint = BlueprintState::default();
        events.iter().for_each(|e| blueprint.evolve(e));
        CommitmentContext { blueprint }
    }

    fn ctx() -> CommitmentContext {
        ctx_of(&blueprint_events())
    }

    fn given(events: &[EventBody]) -> CommitmentState {
        let mut s = CommitmentState::default();
        events.iter().for_each(|e| s.evolve(e));
        s
    }

    fn cmd(action: CommitmentAction) -> CommitmentCommand {
        CommitmentCommand {
            blueprint: BlueprintId::new("wm-digital").unwrap(),
            commitment: CommitmentId::new("gds-secondees").unwrap(),
            action,
        }
    }

    fn make_action() -> CommitmentAction {
        CommitmentAction::Make {
            partner: gds(),
            kind: CommitmentKind::Secondment,
            description: " Two secondees to the hub ".into(),
            quantity: 2,
            unit: " people ".into(),
            due: date(2025, 6, 30),
        }
    }

    fn made() -> EventBody {
        CommitmentMade {
            partner: gds(),
            kind: CommitmentKind::Secondment,
            description: "Two secondees to the hub".into(),
            quantity: 2,
            unit: "people".into(),
            due: date(2025, 6, 30),
        }
        .into()
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

    fn when(given_events: &[EventBody], action: CommitmentAction) -> Vec<EventBody> {
        decide(&cmd(action), &given(given_events), &ctx()).unwrap()
    }

    fn rejected(given_events: &[EventBody], action: CommitmentAction) -> Rejection {
        decide(&cmd(action), &given(given_events), &ctx()).unwrap_err()
    }

    fn deliver(quantity: u64) -> CommitmentAction {
        CommitmentAction::RecordDelivery {
            quantity,
            note: String::new(),
        }
    }

    fn amend(quantity: Option<u64>, due: Option<NaiveDate>) -> CommitmentAction {
        CommitmentAction::Amend {
            quantity,
            due,
            reason: "one secondee moved to another programme".into(),
        }
    }

    fn withdraw() -> CommitmentAction {
        CommitmentAction::Withdraw {
            reason: " budget cut ".into(),
        }
    }

    /// `allows` is the life cycle `decide` enforces: in every status, each action of the
    /// catalogue with its example fields is refused when `allows` says no, and recorded from some
    /// state in that status when it says yes.
    #[test]
    fn allows_is_the_life_cycle_that_decide_enforces() {
        let states = [
            given(&[]),
            given(&[made()]),
            given(&[made(), delivered(2)]),
            given(&[made(), delivered(2), fulfilled()]),
            given(&[made(), withdrawn()]),
        ];
        proto::spec::check_life_cycle(
            &states,
            |s: &CommitmentState| s.status,
            allows,
            |s, action: CommitmentAction| decide(&cmd(action), s, &ctx()),
        );
    }

    #[test]
    fn retitle_corrects_the_description_even_once_closed() {
        let events = when(
            &[made(), withdrawn()],
            CommitmentAction::Retitle {
                description: " Two secondees to the Birmingham hub ".into(),
            },
        );
        assert_eq!(
            events,
            vec![
                CommitmentRetitled {
                    description: "Two secondees to the Birmingham hub".into()
                }
                .into()
            ]
        );
        let same = CommitmentAction::Retitle {
            description: "Two secondees to the hub".into(),
        };
        assert_eq!(
            rejected(&[made()], same.clone()).code,
            "commitment.same_description"
        );
        assert_eq!(rejected(&[], same).code, "commitment.not_found");
    }

    // ---- the blueprint ----

    #[test]
    fn every_command_needs_an_existing_blueprint() {
        for (events, action) in [
            (vec![], make_action()),
            (vec![made()], deliver(1)),
            (vec![made()], amend(Some(3), None)),
            (vec![made(), delivered(2)], CommitmentAction::Fulfil {}),
            (vec![made()], withdraw()),
        ] {
            let err = decide(&cmd(action), &given(&events), &ctx_of(&[])).unwrap_err();
            assert_eq!(err.code, "blueprint.not_found");
            assert_eq!(err.kind, RejectionKind::NotFound);
            assert!(err.message.contains("wm-digital"), "{}", err.message);
        }
    }

    #[test]
    fn every_command_needs_an_open_blueprint() {
        let mut closed = blueprint_events();
        closed.push(
            BlueprintClosed {
                reason: "programme ended".into(),
            }
            .into(),
        );
        for (events, action) in [
            (vec![], make_action()),
            (vec![made()], deliver(1)),
            (vec![made()], amend(Some(3), None)),
            (vec![made(), delivered(2)], CommitmentAction::Fulfil {}),
            (vec![made()], withdraw()),
        ] {
            let err = decide(&cmd(action), &given(&events), &ctx_of(&closed)).unwrap_err();
            assert_eq!(err.code, "blueprint.closed");
            assert_eq!(err.kind, RejectionKind::Conflict);
        }
    }

    #[test]
    fn a_draft_blueprint_takes_commitments() {
        let draft = &blueprint_events()[..1];
        let mut events = draft.to_vec();
        events.push(PartnerJoined { org: gds() }.into());
        let out = decide(&cmd(make_action()), &given(&[]), &ctx_of(&events)).unwrap();
        assert_eq!(out, vec![made()]);
    }

    // ---- make ----

    #[test]
    fn make_a_commitment_with_trimmed_text() {
        assert_eq!(when(&[], make_action()), vec![made()]);
    }

    #[test]
    fn make_accepts_a_due_date_in_the_past() {
        let action = CommitmentAction::Make {
            partner: gds(),
            kind: CommitmentKind::EventHosting,
            description: "Host the launch".into(),
            quantity: 1,
            unit: "event".into(),
            due: date(2000, 1, 1),
        };
        assert_eq!(
            when(&[], action),
            vec![
                CommitmentMade {
                    partner: gds(),
                    kind: CommitmentKind::EventHosting,
                    description: "Host the launch".into(),
                    quantity: 1,
                    unit: "event".into(),
                    due: date(2000, 1, 1),
                }
                .into()
            ]
        );
    }

    #[test]
    fn make_twice_is_rejected() {
        let err = rejected(&[made()], make_action());
        assert_eq!(err.code, "commitment.already_exists");
        assert_eq!(err.kind, RejectionKind::Conflict);
        assert!(
            err.message.contains("commitment wm-digital/gds-secondees"),
            "{}",
            err.message
        );
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
        let err = rejected(&[], action);
        assert_eq!(err.code, "commitment.partner_not_joined");
        assert_eq!(err.field.as_deref(), Some("partner"));
        assert!(err.message.contains("birmingham"), "{}", err.message);
    }

    #[test]
    fn make_by_a_partner_that_left_is_rejected() {
        let mut events = blueprint_events();
        events.push(
            PartnerLeft {
                org: gds(),
                reason: "merged".into(),
            }
            .into(),
        );
        let err = decide(&cmd(make_action()), &given(&[]), &ctx_of(&events)).unwrap_err();
        assert_eq!(err.code, "commitment.partner_not_joined");
    }

    #[test]
    fn make_with_a_blank_description_is_rejected() {
        let err = rejected(
            &[],
            CommitmentAction::Make {
                partner: gds(),
                kind: CommitmentKind::Secondment,
                description: "   ".into(),
                quantity: 2,
                unit: "people".into(),
                due: date(2025, 6, 30),
            },
        );
        assert_eq!(err.code, "input.blank");
        assert_eq!(err.field.as_deref(), Some("description"));
    }

    fn make_with(quantity: u64, unit: &str) -> CommitmentAction {
        CommitmentAction::Make {
            partner: gds(),
            kind: CommitmentKind::TrainingOrPlacements,
            description: "Placements".into(),
            quantity,
            unit: unit.into(),
            due: date(2025, 9, 1),
        }
    }

    #[test]
    fn make_with_zero_quantity_is_rejected() {
        let err = rejected(&[], make_with(0, "placements"));
        assert_eq!(err.code, "input.not_positive");
        assert_eq!(err.field.as_deref(), Some("quantity"));
    }

    #[test]
    fn make_with_a_blank_unit_is_rejected() {
        let err = rejected(&[], make_with(10, " "));
        assert_eq!(err.code, "input.blank");
        assert_eq!(err.field.as_deref(), Some("unit"));
    }

    #[test]
    fn make_with_a_too_long_unit_is_rejected() {
        let err = rejected(&[], make_with(10, &"x".repeat(text::UNIT_MAX + 1)));
        assert_eq!(err.code, "input.too_long");
        assert_eq!(err.field.as_deref(), Some("unit"));
    }

    // ---- a commitment that does not exist ----

    #[test]
    fn commands_on_a_missing_commitment_are_rejected() {
        for action in [
            deliver(1),
            amend(Some(3), None),
            CommitmentAction::Fulfil {},
            withdraw(),
        ] {
            let err = rejected(&[], action);
            assert_eq!(err.code, "commitment.not_found");
            assert_eq!(err.kind, RejectionKind::NotFound);
            assert!(
                err.message
                    .contains("commitment wm-digital/gds-secondees does not exist"),
                "{}",
                err.message
            );
        }
    }

    // ---- record_delivery ----

    #[test]
    fn record_a_delivery() {
        let events = when(
            &[made()],
            CommitmentAction::RecordDelivery {
                quantity: 1,
                note: " first secondee started ".into(),
            },
        );
        assert_eq!(
            events,
            vec![
                CommitmentDeliveryRecorded {
                    quantity: 1,
                    note: "first secondee started".into(),
                }
                .into()
            ]
        );
    }

    #[test]
    fn over_delivery_is_allowed_and_counted() {
        assert_eq!(
            when(&[made(), delivered(2)], deliver(3)),
            vec![delivered(3)]
        );
        assert_eq!(given(&[made(), delivered(2), delivered(3)]).delivered, 5);
    }

    #[test]
    fn a_delivery_of_zero_is_rejected() {
        let err = rejected(&[made()], deliver(0));
        assert_eq!(err.code, "input.not_positive");
        assert_eq!(err.field.as_deref(), Some("quantity"));
    }

    #[test]
    fn a_delivery_note_over_the_limit_is_rejected() {
        let err = rejected(
            &[made()],
            CommitmentAction::RecordDelivery {
                quantity: 1,
                note: "n".repeat(text::NOTE_MAX + 1),
            },
        );
        assert_eq!(err.code, "input.too_long");
        assert_eq!(err.field.as_deref(), Some("note"));
    }

    #[test]
    fn a_fulfilled_commitment_takes_no_deliveries() {
        let err = rejected(&[made(), delivered(2), fulfilled()], deliver(1));
        assert_eq!(err.code, "commitment.closed");
        assert_eq!(err.kind, RejectionKind::Conflict);
        assert_eq!(
            err.message,
            "commitment wm-digital/gds-secondees is fulfilled; it cannot take deliveries"
        );
    }

    #[test]
    fn a_withdrawn_commitment_takes_no_deliveries() {
        let err = rejected(&[made(), withdrawn()], deliver(1));
        assert_eq!(err.code, "commitment.closed");
        assert_eq!(
            err.message,
            "commitment wm-digital/gds-secondees is withdrawn; it cannot take deliveries"
        );
    }

    // ---- amend ----

    #[test]
    fn amend_the_quantity() {
        assert_eq!(
            when(&[made()], amend(Some(1), None)),
            vec![
                CommitmentAmended {
                    quantity: Some(1),
                    due: None,
                    reason: "one secondee moved to another programme".into(),
                }
                .into()
            ]
        );
        assert_eq!(
            given(&[
                made(),
                CommitmentAmended {
                    quantity: Some(1),
                    due: None,
                    reason: "r".into(),
                }
                .into()
            ])
            .quantity,
            1
        );
    }

    #[test]
    fn amend_the_due_date_with_a_trimmed_reason() {
        let events = when(
            &[made()],
            CommitmentAction::Amend {
                quantity: None,
                due: Some(date(2025, 9, 30)),
                reason: " vetting took longer ".into(),
            },
        );
        assert_eq!(
            events,
            vec![
                CommitmentAmended {
                    quantity: None,
                    due: Some(date(2025, 9, 30)),
                    reason: "vetting took longer".into(),
                }
                .into()
            ]
        );
    }

    #[test]
    fn amend_records_only_what_changes() {
        let events = when(&[made()], amend(Some(2), Some(date(2025, 9, 30))));
        assert_eq!(
            events,
            vec![
                CommitmentAmended {
                    quantity: None,
                    due: Some(date(2025, 9, 30)),
                    reason: "one secondee moved to another programme".into(),
                }
                .into()
            ]
        );
    }

    #[test]
    fn amend_with_nothing_is_rejected() {
        let err = rejected(&[made()], amend(None, None));
        assert_eq!(err.code, "commitment.amend_nothing");
        assert_eq!(err.kind, RejectionKind::Invalid);
    }

    #[test]
    fn amend_to_zero_quantity_is_rejected() {
        let err = rejected(&[made()], amend(Some(0), None));
        assert_eq!(err.code, "input.not_positive");
        assert_eq!(err.field.as_deref(), Some("quantity"));
    }

    #[test]
    fn amend_that_changes_nothing_is_rejected() {
        let err = rejected(&[made()], amend(Some(2), Some(date(2025, 6, 30))));
        assert_eq!(err.code, "commitment.amend_no_change");
        let err = rejected(&[made()], amend(Some(2), None));
        assert_eq!(err.code, "commitment.amend_no_change");
    }

    #[test]
    fn amend_without_a_reason_is_rejected() {
        let err = rejected(
            &[made()],
            CommitmentAction::Amend {
                quantity: Some(3),
                due: None,
                reason: " ".into(),
            },
        );
        assert_eq!(err.code, "input.blank");
        assert_eq!(err.field.as_deref(), Some("reason"));
    }

    #[test]
    fn a_withdrawn_commitment_cannot_be_amended() {
        let err = rejected(&[made(), withdrawn()], amend(Some(3), None));
        assert_eq!(err.code, "commitment.closed");
        assert_eq!(
            err.message,
            "commitment wm-digital/gds-secondees is withdrawn; it cannot be amended"
        );
    }

    #[test]
    fn a_fulfilled_commitment_cannot_be_amended() {
        let err = rejected(&[made(), delivered(2), fulfilled()], amend(Some(3), None));
        assert_eq!(err.code, "commitment.closed");
        assert!(err.message.contains("is fulfilled"), "{}", err.message);
    }

    // ---- fulfil ----

    #[test]
    fn fulfil_once_everything_is_delivered() {
        assert_eq!(
            when(
                &[made(), delivered(1), delivered(1)],
                CommitmentAction::Fulfil {}
            ),
            vec![fulfilled()]
        );
    }

    #[test]
    fn fulfil_after_over_delivery() {
        assert_eq!(
            when(&[made(), delivered(5)], CommitmentAction::Fulfil {}),
            vec![fulfilled()]
        );
    }

    #[test]
    fn fulfil_after_the_quantity_was_amended_down() {
        let amended: EventBody = CommitmentAmended {
            quantity: Some(1),
            due: None,
            reason: "r".into(),
        }
        .into();
        assert_eq!(
            when(
                &[made(), delivered(1), amended],
                CommitmentAction::Fulfil {}
            ),
            vec![fulfilled()]
        );
    }

    #[test]
    fn fulfil_before_everything_is_delivered_is_rejected() {
        let err = rejected(&[made(), delivered(1)], CommitmentAction::Fulfil {});
        assert_eq!(err.code, "commitment.not_delivered");
        assert_eq!(err.kind, RejectionKind::Conflict);
        assert!(
            err.message.contains("commitment wm-digital/gds-secondees"),
            "{}",
            err.message
        );
        assert!(
            err.message
                .contains("1 of 2 people delivered; record the rest or amend the quantity"),
            "{}",
            err.message
        );
    }

    #[test]
    fn fulfil_twice_is_rejected() {
        let err = rejected(
            &[made(), delivered(2), fulfilled()],
            CommitmentAction::Fulfil {},
        );
        assert_eq!(err.code, "commitment.closed");
    }

    #[test]
    fn a_withdrawn_commitment_cannot_be_fulfilled() {
        let err = rejected(
            &[made(), delivered(2), withdrawn()],
            CommitmentAction::Fulfil {},
        );
        assert_eq!(err.code, "commitment.closed");
        assert!(err.message.contains("is withdrawn"), "{}", err.message);
    }

    // ---- withdraw ----

    #[test]
    fn withdraw_with_a_trimmed_reason() {
        assert_eq!(when(&[made(), delivered(1)], withdraw()), vec![withdrawn()]);
        let state = given(&[made(), delivered(1), withdrawn()]);
        assert_eq!(state.status, Some(CommitmentStatus::Withdrawn));
        assert_eq!(state.delivered, 1);
    }

    #[test]
    fn withdraw_without_a_reason_is_rejected() {
        let err = rejected(
            &[made()],
            CommitmentAction::Withdraw {
                reason: String::new(),
            },
        );
        assert_eq!(err.code, "input.blank");
        assert_eq!(err.field.as_deref(), Some("reason"));
    }

    #[test]
    fn withdraw_twice_is_rejected() {
        let err = rejected(&[made(), withdrawn()], withdraw());
        assert_eq!(err.code, "commitment.closed");
    }

    #[test]
    fn a_fulfilled_commitment_cannot_be_withdrawn() {
        let err = rejected(&[made(), delivered(2), fulfilled()], withdraw());
        assert_eq!(err.code, "commitment.closed");
        assert!(err.message.contains("is fulfilled"), "{}", err.message);
    }

    // ---- the state ----

    #[test]
    fn evolve_folds_the_whole_life() {
        let state = given(&[
            made(),
            delivered(1),
            CommitmentAmended {
                quantity: Some(3),
                due: Some(date(2025, 12, 1)),
                reason: "r".into(),
            }
            .into(),
            delivered(2),
            fulfilled(),
        ]);
        assert_eq!(
            state,
            CommitmentState {
                status: Some(CommitmentStatus::Fulfilled),
                partner: Some(gds()),
                kind: Some(CommitmentKind::Secondment),
                description: "Two secondees to the hub".into(),
                quantity: 3,
                unit: "people".into(),
                due: Some(date(2025, 12, 1)),
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
                let state = given(&events);
                match decide(&cmd(deliver(q)), &state, &ctx()) {
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
            prop_assert_eq!(given(&events).delivered, sum);
        }

        #[test]
        fn any_sequence_of_commands_is_answered_without_panicking(
            actions in proptest::collection::vec(any_action(), 0..20)
        ) {
            let mut events = Vec::new();
            for action in actions {
                let state = given(&events);
                match decide(&cmd(action), &state, &ctx()) {
                    Ok(out) => events.extend(out),
                    Err(err) => prop_assert!(!err.code.is_empty() && !err.message.is_empty()),
                }
                let state = given(&events);
                // Fulfilment only ever follows full delivery.
                if state.status == Some(CommitmentStatus::Fulfilled) {
                    prop_assert!(state.delivered >= state.quantity);
                }
            }
        }
    }
}
