//! Blueprints: drafted, published, closed; with workstreams, partners and targets.

use std::collections::HashMap;

use chrono::NaiveDate;
use directory::{BlueprintState, Directory, OrganisationState, require_organisation};
use eventstore::{StoreError, StreamReader};
use proto::events::*;
use proto::{
    BlueprintAction, BlueprintCommand, BlueprintId, BlueprintStatus, EventBody, OrgId, Rejection,
    text,
};
use service_runtime::Handler;

/// Organisations a blueprint command names, with whether each is registered.
pub type KnownOrganisations = HashMap<OrgId, OrganisationState>;

fn org_state<'a>(orgs: &'a KnownOrganisations, org: &OrgId) -> &'a OrganisationState {
    static UNKNOWN: std::sync::OnceLock<OrganisationState> = std::sync::OnceLock::new();
    orgs.get(org)
        .unwrap_or_else(|| UNKNOWN.get_or_init(OrganisationState::default))
}

/// The rules of blueprints and their workstreams, partners and targets, declared once; refusals are
/// made from these and the rules reference lists them.
pub mod rules {
    proto::rules! {
        /// A blueprint is drafted once; its id cannot be drafted again.
        ALREADY_EXISTS: Conflict "blueprint.already_exists";
        /// A blueprint is published once.
        ALREADY_PUBLISHED: Conflict "blueprint.already_published";
        /// A blueprint's target end date is not before its start date.
        END_BEFORE_START: Invalid "blueprint.end_before_start";
        /// A workstream id is used once in a blueprint, also after the workstream is retired.
        WORKSTREAM_ALREADY_EXISTS: Conflict "workstream.already_exists";
        /// An organisation joins a blueprint once.
        PARTNER_ALREADY_JOINED: Conflict "partner.already_joined";
        /// Only a partner can leave.
        PARTNER_NOT_JOINED: Conflict "partner.not_joined";
        /// A target's value is reported only once the target is set.
        TARGET_NOT_FOUND: NotFound "target.not_found";
    }
}

/// Whether a blueprint in `status` (`None`: not drafted yet) allows `action`, by its life cycle
/// alone. Forms offer exactly these actions; [`decide`] refuses the others, and may still refuse
/// an allowed one for its fields.
pub fn allows(status: Option<BlueprintStatus>, action: &str) -> bool {
    match status {
        None => action == "draft",
        Some(BlueprintStatus::Draft) => action != "draft",
        Some(BlueprintStatus::Published) => !matches!(action, "draft" | "publish"),
        Some(BlueprintStatus::Closed) => false,
    }
}

/// The pure rules for blueprint commands.
pub fn decide(
    cmd: &BlueprintCommand,
    state: &BlueprintState,
    orgs: &KnownOrganisations,
) -> Result<Vec<EventBody>, Rejection> {
    let id = &cmd.blueprint;
    if let (
        None,
        BlueprintAction::Draft {
            title,
            summary,
            lead_org,
            start_date,
            target_end_date,
            funding_target,
            staff_time_target,
        },
    ) = (state.status, &cmd.action)
    {
        let proposed = BlueprintDrafted {
            title: title.clone(),
            summary: summary.clone(),
            lead_org: lead_org.clone(),
            start_date: *start_date,
            target_end_date: *target_end_date,
            funding_target: *funding_target,
            staff_time_target: *staff_time_target,
        };
        return draft(id, proposed, orgs).map(|e| vec![e.into()]);
    }
    // Every other command needs an open blueprint: a closed one takes no new records, not even a
    // second draft.
    let status = directory::require_open_blueprint(id, state)?.status;
    let event: EventBody = match &cmd.action {
        BlueprintAction::Draft { .. } => {
            return Err(rules::ALREADY_EXISTS.refuse(format!("blueprint {id} already exists")));
        }
        BlueprintAction::Publish {} => {
            if status == Some(BlueprintStatus::Published) {
                return Err(
                    rules::ALREADY_PUBLISHED.refuse(format!("blueprint {id} is already published"))
                );
            }
            BlueprintPublished {}.into()
        }
        BlueprintAction::Close { reason } => {
            text::reason("reason", reason)?;
            BlueprintClosed {
                reason: reason.trim().to_owned(),
            }
            .into()
        }
        BlueprintAction::AddWorkstream {
            workstream,
            title,
            lead_org,
        } => {
            if state.workstreams.contains_key(workstream) {
                return Err(rules::WORKSTREAM_ALREADY_EXISTS
                    .refuse(format!("workstream {id}/{workstream} already exists"))
                    .on_field("workstream"));
            }
            text::title("title", title)?;
            require_organisation(lead_org, org_state(orgs, lead_org), "lead_org")?;
            WorkstreamAdded {
                workstream: workstream.clone(),
                title: title.trim().to_owned(),
                lead_org: lead_org.clone(),
            }
            .into()
        }
        BlueprintAction::RenameWorkstream { workstream, title } => {
            directory::require_active_workstream(id, state, workstream, "workstream")?;
            text::title("title", title)?;
            WorkstreamRenamed {
                workstream: workstream.clone(),
                title: title.trim().to_owned(),
            }
            .into()
        }
        BlueprintAction::RetireWorkstream { workstream, reason } => {
            directory::require_active_workstream(id, state, workstream, "workstream")?;
            text::reason("reason", reason)?;
            WorkstreamRetired {
                workstream: workstream.clone(),
                reason: reason.trim().to_owned(),
            }
            .into()
        }
        BlueprintAction::AddPartner { org } => {
            require_organisation(org, org_state(orgs, org), "org")?;
            if state.partners.contains(org) {
                return Err(rules::PARTNER_ALREADY_JOINED
                    .refuse(format!(
                        "organisation {org} is already a partner of blueprint {id}"
                    ))
                    .on_field("org"));
            }
            PartnerJoined { org: org.clone() }.into()
        }
        BlueprintAction::RemovePartner { org, reason } => {
            if !state.partners.contains(org) {
                return Err(rules::PARTNER_NOT_JOINED
                    .refuse(format!(
                        "organisation {org} is not a partner of blueprint {id}"
                    ))
                    .on_field("org"));
            }
            text::reason("reason", reason)?;
            PartnerLeft {
                org: org.clone(),
                reason: reason.trim().to_owned(),
            }
            .into()
        }
        BlueprintAction::SetTarget {
            target,
            title,
            unit,
            target_value,
        } => {
            text::title("title", title)?;
            text::required("unit", unit, text::UNIT_MAX)?;
            text::positive("target_value", *target_value)?;
            TargetSet {
                target: target.clone(),
                title: title.trim().to_owned(),
                unit: unit.trim().to_owned(),
                target_value: *target_value,
            }
            .into()
        }
        BlueprintAction::ReportTarget {
            target,
            value,
            note,
        } => {
            if !state.targets.contains_key(target) {
                return Err(rules::TARGET_NOT_FOUND
                    .refuse(format!("target {id}/{target} does not exist"))
                    .on_field("target"));
            }
            text::note("note", note)?;
            TargetReported {
                target: target.clone(),
                value: *value,
                note: note.trim().to_owned(),
            }
            .into()
        }
    };
    Ok(vec![event])
}

/// The rules for drafting a new blueprint; `proposed` holds the command's input as given.
fn draft(
    id: &BlueprintId,
    proposed: BlueprintDrafted,
    orgs: &KnownOrganisations,
) -> Result<BlueprintDrafted, Rejection> {
    text::title("title", &proposed.title)?;
    text::note("summary", &proposed.summary)?;
    let lead_org = &proposed.lead_org;
    require_organisation(lead_org, org_state(orgs, lead_org), "lead_org")?;
    let (start, end) = (proposed.start_date, proposed.target_end_date);
    if end < start {
        return Err(rules::END_BEFORE_START.refuse_on(
            "target_end_date",
            format!("blueprint {id} cannot end ({end}) before it starts ({start})"),
        ));
    }
    text::positive("funding_target", proposed.funding_target)?;
    if let Some(staff) = proposed.staff_time_target {
        text::positive("staff_time_target", staff)?;
    }
    Ok(BlueprintDrafted {
        title: proposed.title.trim().to_owned(),
        summary: proposed.summary.trim().to_owned(),
        ..proposed
    })
}

/// Plugs the blueprint rules into the command runtime.
#[derive(Default)]
pub struct BlueprintHandler {
    directory: Directory,
}

impl Handler for BlueprintHandler {
    type Command = BlueprintCommand;
    type State = BlueprintState;
    type Context = KnownOrganisations;

    async fn context(
        &self,
        reader: &StreamReader,
        command: &BlueprintCommand,
    ) -> Result<KnownOrganisations, StoreError> {
        let named = match &command.action {
            BlueprintAction::Draft { lead_org, .. }
            | BlueprintAction::AddWorkstream { lead_org, .. } => Some(lead_org),
            BlueprintAction::AddPartner { org } => Some(org),
            _ => None,
        };
        let mut orgs = KnownOrganisations::new();
        if let Some(org) = named {
            let folded = self.directory.organisation(reader, org).await?;
            orgs.insert(org.clone(), folded.state.clone());
        }
        Ok(orgs)
    }

    fn decide(
        &self,
        command: &BlueprintCommand,
        state: &BlueprintState,
        orgs: &KnownOrganisations,
        _today: NaiveDate,
    ) -> Result<Vec<EventBody>, Rejection> {
        decide(command, state, orgs)
    }
}

#[cfg(test)]
mod tests {
    //! Given/when/then tests of every blueprint rule.

    use super::*;
    use directory::Workstream;
    use eventstore::Aggregate;
    use proptest::prelude::*;
    use proto::{Actions, OrgType, RejectionKind, TargetId, WorkstreamId};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn org(id: &str) -> OrgId {
        OrgId::new(id).unwrap()
    }

    fn ws(id: &str) -> WorkstreamId {
        WorkstreamId::new(id).unwrap()
    }

    fn tgt(id: &str) -> TargetId {
        TargetId::new(id).unwrap()
    }

    /// The organisations a command may name: `wmca`, `hmcts` and `gds` are registered,
    /// `dudley-council` is known to the directory but was never registered.
    fn orgs() -> KnownOrganisations {
        let registered = |name: &str, org_type| OrganisationState {
            name: Some(name.into()),
            org_type: Some(org_type),
        };
        KnownOrganisations::from([
            (
                org("wmca"),
                registered(
                    "West Midlands Combined Authority",
                    OrgType::CombinedAuthority,
                ),
            ),
            (
                org("hmcts"),
                registered(
                    "HM Courts and Tribunals Service",
                    OrgType::CentralGovernment,
                ),
            ),
            (
                org("gds"),
                registered("Government Digital Service", OrgType::CentralGovernment),
            ),
            (org("dudley-council"), OrganisationState::default()),
        ])
    }

    fn given(events: &[EventBody]) -> BlueprintState {
        let mut s = BlueprintState::default();
        events.iter().for_each(|e| s.evolve(e));
        s
    }

    fn when(action: BlueprintAction) -> BlueprintCommand {
        BlueprintCommand {
            blueprint: BlueprintId::new("wm-digital").unwrap(),
            action,
        }
    }

    fn then(state: &BlueprintState, action: BlueprintAction) -> Result<Vec<EventBody>, Rejection> {
        decide(&when(action), state, &orgs())
    }

    fn rejected(state: &BlueprintState, action: BlueprintAction) -> Rejection {
        then(state, action).expect_err("the command should be rejected")
    }

    fn draft() -> BlueprintAction {
        BlueprintAction::Draft {
            title: "West Midlands public sector digital blueprint".into(),
            summary: "A GDS academy, an HMCTS hub and a skills pipeline".into(),
            lead_org: org("wmca"),
            start_date: d("2026-01-12"),
            target_end_date: d("2027-03-31"),
            funding_target: 250_000_000,
            staff_time_target: Some(150_000),
        }
    }

    /// A draft with one of its fields changed.
    fn draft_where(change: impl FnOnce(&mut BlueprintAction)) -> BlueprintAction {
        let mut action = draft();
        change(&mut action);
        action
    }

    fn drafted_event() -> EventBody {
        BlueprintDrafted {
            title: "West Midlands public sector digital blueprint".into(),
            summary: "A GDS academy, an HMCTS hub and a skills pipeline".into(),
            lead_org: org("wmca"),
            start_date: d("2026-01-12"),
            target_end_date: d("2027-03-31"),
            funding_target: 250_000_000,
            staff_time_target: Some(150_000),
        }
        .into()
    }

    fn drafted() -> Vec<EventBody> {
        vec![drafted_event()]
    }

    fn published() -> Vec<EventBody> {
        vec![drafted_event(), BlueprintPublished {}.into()]
    }

    /// Published, with an active `digital-hubs` workstream, a retired `hack-events` one, `hmcts`
    /// as a partner and a `tech-roles` target.
    fn running() -> Vec<EventBody> {
        let mut events = published();
        events.extend([
            WorkstreamAdded {
                workstream: ws("digital-hubs"),
                title: "Digital hubs".into(),
                lead_org: org("hmcts"),
            }
            .into(),
            WorkstreamAdded {
                workstream: ws("hack-events"),
                title: "Hack events".into(),
                lead_org: org("wmca"),
            }
            .into(),
            WorkstreamRetired {
                workstream: ws("hack-events"),
                reason: "merged into community".into(),
            }
            .into(),
            PartnerJoined { org: org("hmcts") }.into(),
            TargetSet {
                target: tgt("tech-roles"),
                title: "Tech roles created in Birmingham".into(),
                unit: "roles".into(),
                target_value: 100,
            }
            .into(),
        ]);
        events
    }

    fn closed() -> Vec<EventBody> {
        let mut events = running();
        events.push(
            BlueprintClosed {
                reason: "delivered".into(),
            }
            .into(),
        );
        events
    }

    /// `allows` is the life cycle `decide` enforces: in every status, each action of the
    /// catalogue with its example fields is refused when `allows` says no, and recorded from some
    /// state in that status when it says yes.
    #[test]
    fn allows_is_the_life_cycle_that_decide_enforces() {
        // What the examples name: the `skills` workstream, the `hmcts` partner, the `tech-roles`
        // target.
        let named = [
            WorkstreamAdded {
                workstream: ws("skills"),
                title: "Skills".into(),
                lead_org: org("gds"),
            }
            .into(),
            PartnerJoined { org: org("hmcts") }.into(),
            TargetSet {
                target: tgt("tech-roles"),
                title: "Tech roles".into(),
                unit: "roles".into(),
                target_value: 100,
            }
            .into(),
        ];
        let with_named = |mut events: Vec<EventBody>| {
            events.extend(named.iter().cloned());
            events
        };
        let states = [
            given(&[]),
            given(&drafted()),
            given(&with_named(drafted())),
            given(&published()),
            given(&with_named(published())),
            given(&closed()),
        ];
        proto::spec::check_life_cycle(
            &states,
            |s: &BlueprintState| s.status,
            allows,
            |s, action: BlueprintAction| then(s, action),
        );
    }

    /// One command of every kind, each valid on a running blueprint.
    fn every_action() -> Vec<BlueprintAction> {
        vec![
            draft(),
            BlueprintAction::Publish {},
            BlueprintAction::Close {
                reason: "delivered".into(),
            },
            BlueprintAction::AddWorkstream {
                workstream: ws("skills-pipeline"),
                title: "Skills pipeline".into(),
                lead_org: org("wmca"),
            },
            BlueprintAction::RenameWorkstream {
                workstream: ws("digital-hubs"),
                title: "Digital hubs and tech roles".into(),
            },
            BlueprintAction::RetireWorkstream {
                workstream: ws("digital-hubs"),
                reason: "done".into(),
            },
            BlueprintAction::AddPartner { org: org("gds") },
            BlueprintAction::RemovePartner {
                org: org("hmcts"),
                reason: "left".into(),
            },
            BlueprintAction::SetTarget {
                target: tgt("placements"),
                title: "College placements".into(),
                unit: "placements".into(),
                target_value: 40,
            },
            BlueprintAction::ReportTarget {
                target: tgt("tech-roles"),
                value: 37,
                note: String::new(),
            },
        ]
    }

    // ---- draft ----

    #[test]
    fn draft_a_new_blueprint() {
        let events = then(
            &given(&[]),
            draft_where(|a| {
                if let BlueprintAction::Draft { title, summary, .. } = a {
                    *title = "  West Midlands public sector digital blueprint ".into();
                    *summary = " A GDS academy, an HMCTS hub and a skills pipeline\n".into();
                }
            }),
        )
        .unwrap();
        assert_eq!(events, drafted());
        let s = given(&events);
        assert_eq!(s.status, Some(BlueprintStatus::Draft));
        assert_eq!(s.lead_org, Some(org("wmca")));
    }

    #[test]
    fn draft_without_a_staff_time_target_or_summary() {
        let events = then(
            &given(&[]),
            draft_where(|a| {
                if let BlueprintAction::Draft {
                    summary,
                    staff_time_target,
                    ..
                } = a
                {
                    *summary = String::new();
                    *staff_time_target = None;
                }
            }),
        )
        .unwrap();
        let [EventBody::BlueprintDrafted(e)] = events.as_slice() else {
            panic!("expected one drafted event, got {events:?}");
        };
        assert_eq!(e.staff_time_target, None);
        assert_eq!(e.summary, "");
    }

    #[test]
    fn draft_may_end_on_the_day_it_starts() {
        let action = draft_where(|a| {
            if let BlueprintAction::Draft {
                start_date,
                target_end_date,
                ..
            } = a
            {
                *start_date = d("2026-06-01");
                *target_end_date = d("2026-06-01");
            }
        });
        assert!(then(&given(&[]), action).is_ok());
    }

    #[test]
    fn draft_twice_is_rejected() {
        for history in [drafted(), published(), running()] {
            let err = rejected(&given(&history), draft());
            assert_eq!(err.code, "blueprint.already_exists");
            assert_eq!(err.kind, RejectionKind::Conflict);
            assert_eq!(err.message, "blueprint wm-digital already exists");
        }
    }

    #[test]
    fn draft_with_a_blank_title_is_rejected() {
        let err = rejected(
            &given(&[]),
            draft_where(|a| {
                if let BlueprintAction::Draft { title, .. } = a {
                    *title = " \t ".into();
                }
            }),
        );
        assert_eq!(err.code, "input.blank");
        assert_eq!(err.kind, RejectionKind::Invalid);
        assert_eq!(err.field.as_deref(), Some("title"));
    }

    #[test]
    fn draft_led_by_an_unregistered_organisation_is_rejected() {
        for lead in ["dudley-council", "never-heard-of"] {
            let err = rejected(
                &given(&[]),
                draft_where(|a| {
                    if let BlueprintAction::Draft { lead_org, .. } = a {
                        *lead_org = org(lead);
                    }
                }),
            );
            assert_eq!(err.code, "organisation.not_found");
            assert_eq!(err.kind, RejectionKind::NotFound);
            assert_eq!(err.field.as_deref(), Some("lead_org"));
            assert!(err.message.contains(lead), "{}", err.message);
        }
    }

    #[test]
    fn draft_ending_before_it_starts_is_rejected() {
        let err = rejected(
            &given(&[]),
            draft_where(|a| {
                if let BlueprintAction::Draft {
                    target_end_date, ..
                } = a
                {
                    *target_end_date = d("2026-01-11");
                }
            }),
        );
        assert_eq!(err.code, "blueprint.end_before_start");
        assert_eq!(err.field.as_deref(), Some("target_end_date"));
        assert_eq!(
            err.message,
            "blueprint wm-digital cannot end (2026-01-11) before it starts (2026-01-12)"
        );
    }

    #[test]
    fn draft_with_a_zero_funding_target_is_rejected() {
        let err = rejected(
            &given(&[]),
            draft_where(|a| {
                if let BlueprintAction::Draft { funding_target, .. } = a {
                    *funding_target = 0;
                }
            }),
        );
        assert_eq!(err.code, "input.not_positive");
        assert_eq!(err.field.as_deref(), Some("funding_target"));
    }

    #[test]
    fn draft_with_a_zero_staff_time_target_is_rejected() {
        let err = rejected(
            &given(&[]),
            draft_where(|a| {
                if let BlueprintAction::Draft {
                    staff_time_target, ..
                } = a
                {
                    *staff_time_target = Some(0);
                }
            }),
        );
        assert_eq!(err.code, "input.not_positive");
        assert_eq!(err.field.as_deref(), Some("staff_time_target"));
    }

    // ---- publish and close ----

    #[test]
    fn publish_a_draft() {
        let events = then(&given(&drafted()), BlueprintAction::Publish {}).unwrap();
        assert_eq!(events, vec![BlueprintPublished {}.into()]);
        assert_eq!(given(&published()).status, Some(BlueprintStatus::Published));
    }

    #[test]
    fn publish_twice_is_rejected() {
        let err = rejected(&given(&published()), BlueprintAction::Publish {});
        assert_eq!(err.code, "blueprint.already_published");
        assert_eq!(err.kind, RejectionKind::Conflict);
    }

    #[test]
    fn publish_a_closed_blueprint_is_rejected() {
        let err = rejected(&given(&closed()), BlueprintAction::Publish {});
        assert_eq!(err.code, "blueprint.closed");
    }

    #[test]
    fn publish_an_unknown_blueprint_is_rejected() {
        let err = rejected(&given(&[]), BlueprintAction::Publish {});
        assert_eq!(err.code, "blueprint.not_found");
        assert_eq!(err.kind, RejectionKind::NotFound);
        assert_eq!(err.message, "blueprint wm-digital does not exist");
    }

    #[test]
    fn close_a_published_blueprint() {
        let events = then(
            &given(&running()),
            BlueprintAction::Close {
                reason: " Superseded by the regional digital plan ".into(),
            },
        )
        .unwrap();
        assert_eq!(
            events,
            vec![
                BlueprintClosed {
                    reason: "Superseded by the regional digital plan".into()
                }
                .into()
            ]
        );
        assert_eq!(given(&closed()).status, Some(BlueprintStatus::Closed));
    }

    #[test]
    fn close_without_a_reason_is_rejected() {
        let err = rejected(
            &given(&published()),
            BlueprintAction::Close { reason: "".into() },
        );
        assert_eq!(err.code, "input.blank");
        assert_eq!(err.field.as_deref(), Some("reason"));
    }

    #[test]
    fn every_command_on_an_unknown_blueprint_but_draft_is_rejected() {
        for action in every_action().into_iter().skip(1) {
            let name = action.name();
            let err = rejected(&given(&[]), action);
            assert_eq!(err.code, "blueprint.not_found", "{name}");
        }
    }

    #[test]
    fn every_command_on_a_closed_blueprint_is_rejected() {
        let state = given(&closed());
        for action in every_action() {
            let name = action.name();
            let err = rejected(&state, action);
            assert_eq!(err.code, "blueprint.closed", "{name}");
            assert_eq!(err.kind, RejectionKind::Conflict, "{name}");
            assert_eq!(
                err.message, "blueprint wm-digital is closed; it takes no new records",
                "{name}"
            );
        }
    }

    #[test]
    fn every_command_is_accepted_on_a_running_blueprint_except_draft_and_publish() {
        let state = given(&running());
        for action in every_action().into_iter().skip(2) {
            let name = action.name();
            assert!(then(&state, action).is_ok(), "{name}");
        }
    }

    // ---- workstreams ----

    #[test]
    fn add_a_workstream() {
        let events = then(
            &given(&published()),
            BlueprintAction::AddWorkstream {
                workstream: ws("skills-pipeline"),
                title: " Skills pipeline: college to employer ".into(),
                lead_org: org("wmca"),
            },
        )
        .unwrap();
        assert_eq!(
            events,
            vec![
                WorkstreamAdded {
                    workstream: ws("skills-pipeline"),
                    title: "Skills pipeline: college to employer".into(),
                    lead_org: org("wmca"),
                }
                .into()
            ]
        );
        let s = given(&events);
        assert_eq!(
            s.workstreams.get(&ws("skills-pipeline")),
            Some(&Workstream {
                title: "Skills pipeline: college to employer".into(),
                lead_org: org("wmca"),
                retired: false,
            })
        );
    }

    #[test]
    fn a_draft_takes_workstreams() {
        let action = BlueprintAction::AddWorkstream {
            workstream: ws("skills-pipeline"),
            title: "Skills pipeline".into(),
            lead_org: org("wmca"),
        };
        assert!(then(&given(&drafted()), action).is_ok());
    }

    #[test]
    fn add_a_workstream_that_exists_is_rejected_even_when_retired() {
        for id in ["digital-hubs", "hack-events"] {
            let err = rejected(
                &given(&running()),
                BlueprintAction::AddWorkstream {
                    workstream: ws(id),
                    title: "Again".into(),
                    lead_org: org("wmca"),
                },
            );
            assert_eq!(err.code, "workstream.already_exists", "{id}");
            assert_eq!(err.kind, RejectionKind::Conflict);
            assert_eq!(err.field.as_deref(), Some("workstream"));
            assert_eq!(
                err.message,
                format!("workstream wm-digital/{id} already exists")
            );
        }
    }

    #[test]
    fn add_a_workstream_with_a_blank_title_is_rejected() {
        let err = rejected(
            &given(&running()),
            BlueprintAction::AddWorkstream {
                workstream: ws("skills-pipeline"),
                title: "".into(),
                lead_org: org("wmca"),
            },
        );
        assert_eq!(err.code, "input.blank");
        assert_eq!(err.field.as_deref(), Some("title"));
    }

    #[test]
    fn add_a_workstream_led_by_an_unregistered_organisation_is_rejected() {
        let err = rejected(
            &given(&running()),
            BlueprintAction::AddWorkstream {
                workstream: ws("skills-pipeline"),
                title: "Skills pipeline".into(),
                lead_org: org("dudley-council"),
            },
        );
        assert_eq!(err.code, "organisation.not_found");
        assert_eq!(err.field.as_deref(), Some("lead_org"));
    }

    #[test]
    fn rename_a_workstream() {
        let events = then(
            &given(&running()),
            BlueprintAction::RenameWorkstream {
                workstream: ws("digital-hubs"),
                title: "Digital hubs and tech roles ".into(),
            },
        )
        .unwrap();
        assert_eq!(
            events,
            vec![
                WorkstreamRenamed {
                    workstream: ws("digital-hubs"),
                    title: "Digital hubs and tech roles".into(),
                }
                .into()
            ]
        );
        let mut history = running();
        history.extend(events);
        assert_eq!(
            given(&history).workstreams[&ws("digital-hubs")].title,
            "Digital hubs and tech roles"
        );
    }

    #[test]
    fn rename_a_workstream_to_a_blank_title_is_rejected() {
        let err = rejected(
            &given(&running()),
            BlueprintAction::RenameWorkstream {
                workstream: ws("digital-hubs"),
                title: "  ".into(),
            },
        );
        assert_eq!(err.code, "input.blank");
        assert_eq!(err.field.as_deref(), Some("title"));
    }

    #[test]
    fn rename_or_retire_an_unknown_workstream_is_rejected() {
        for action in [
            BlueprintAction::RenameWorkstream {
                workstream: ws("nope"),
                title: "Nope".into(),
            },
            BlueprintAction::RetireWorkstream {
                workstream: ws("nope"),
                reason: "nope".into(),
            },
        ] {
            let name = action.name();
            let err = rejected(&given(&running()), action);
            assert_eq!(err.code, "workstream.not_found", "{name}");
            assert_eq!(err.kind, RejectionKind::NotFound, "{name}");
            assert_eq!(err.field.as_deref(), Some("workstream"), "{name}");
            assert_eq!(err.message, "workstream wm-digital/nope does not exist");
        }
    }

    #[test]
    fn rename_or_retire_a_retired_workstream_is_rejected() {
        for action in [
            BlueprintAction::RenameWorkstream {
                workstream: ws("hack-events"),
                title: "Hackathons".into(),
            },
            BlueprintAction::RetireWorkstream {
                workstream: ws("hack-events"),
                reason: "again".into(),
            },
        ] {
            let name = action.name();
            let err = rejected(&given(&running()), action);
            assert_eq!(err.code, "workstream.retired", "{name}");
            assert_eq!(err.kind, RejectionKind::Conflict, "{name}");
        }
    }

    #[test]
    fn retire_a_workstream() {
        let events = then(
            &given(&running()),
            BlueprintAction::RetireWorkstream {
                workstream: ws("digital-hubs"),
                reason: " Hub open; work moves to business as usual ".into(),
            },
        )
        .unwrap();
        assert_eq!(
            events,
            vec![
                WorkstreamRetired {
                    workstream: ws("digital-hubs"),
                    reason: "Hub open; work moves to business as usual".into(),
                }
                .into()
            ]
        );
        let mut history = running();
        history.extend(events);
        assert!(given(&history).workstreams[&ws("digital-hubs")].retired);
    }

    #[test]
    fn retire_a_workstream_without_a_reason_is_rejected() {
        let err = rejected(
            &given(&running()),
            BlueprintAction::RetireWorkstream {
                workstream: ws("digital-hubs"),
                reason: " ".into(),
            },
        );
        assert_eq!(err.code, "input.blank");
        assert_eq!(err.field.as_deref(), Some("reason"));
    }

    // ---- partners ----

    #[test]
    fn add_a_partner() {
        let events = then(
            &given(&running()),
            BlueprintAction::AddPartner { org: org("gds") },
        )
        .unwrap();
        assert_eq!(events, vec![PartnerJoined { org: org("gds") }.into()]);
        let mut history = running();
        history.extend(events);
        assert!(given(&history).partners.contains(&org("gds")));
    }

    #[test]
    fn add_an_unregistered_partner_is_rejected() {
        let err = rejected(
            &given(&running()),
            BlueprintAction::AddPartner {
                org: org("dudley-council"),
            },
        );
        assert_eq!(err.code, "organisation.not_found");
        assert_eq!(err.kind, RejectionKind::NotFound);
        assert_eq!(err.field.as_deref(), Some("org"));
    }

    #[test]
    fn add_a_partner_that_already_joined_is_rejected() {
        let err = rejected(
            &given(&running()),
            BlueprintAction::AddPartner { org: org("hmcts") },
        );
        assert_eq!(err.code, "partner.already_joined");
        assert_eq!(err.kind, RejectionKind::Conflict);
        assert_eq!(err.field.as_deref(), Some("org"));
        assert_eq!(
            err.message,
            "organisation hmcts is already a partner of blueprint wm-digital"
        );
    }

    #[test]
    fn remove_a_partner() {
        let events = then(
            &given(&running()),
            BlueprintAction::RemovePartner {
                org: org("hmcts"),
                reason: " Hub handed over ".into(),
            },
        )
        .unwrap();
        assert_eq!(
            events,
            vec![
                PartnerLeft {
                    org: org("hmcts"),
                    reason: "Hub handed over".into(),
                }
                .into()
            ]
        );
        let mut history = running();
        history.extend(events);
        assert!(given(&history).partners.is_empty());
    }

    #[test]
    fn a_partner_that_left_may_join_again() {
        let mut history = running();
        history.push(
            PartnerLeft {
                org: org("hmcts"),
                reason: "paused".into(),
            }
            .into(),
        );
        let events = then(
            &given(&history),
            BlueprintAction::AddPartner { org: org("hmcts") },
        )
        .unwrap();
        assert_eq!(events, vec![PartnerJoined { org: org("hmcts") }.into()]);
    }

    #[test]
    fn remove_an_organisation_that_is_not_a_partner_is_rejected() {
        let err = rejected(
            &given(&running()),
            BlueprintAction::RemovePartner {
                org: org("gds"),
                reason: "never joined".into(),
            },
        );
        assert_eq!(err.code, "partner.not_joined");
        assert_eq!(err.field.as_deref(), Some("org"));
        assert_eq!(
            err.message,
            "organisation gds is not a partner of blueprint wm-digital"
        );
    }

    #[test]
    fn remove_a_partner_without_a_reason_is_rejected() {
        let err = rejected(
            &given(&running()),
            BlueprintAction::RemovePartner {
                org: org("hmcts"),
                reason: "".into(),
            },
        );
        assert_eq!(err.code, "input.blank");
        assert_eq!(err.field.as_deref(), Some("reason"));
    }

    // ---- targets ----

    fn set_target(title: &str, unit: &str, target_value: u64) -> BlueprintAction {
        BlueprintAction::SetTarget {
            target: tgt("placements"),
            title: title.into(),
            unit: unit.into(),
            target_value,
        }
    }

    #[test]
    fn set_a_target() {
        let events = then(
            &given(&running()),
            set_target(" College placements ", " placements ", 40),
        )
        .unwrap();
        assert_eq!(
            events,
            vec![
                TargetSet {
                    target: tgt("placements"),
                    title: "College placements".into(),
                    unit: "placements".into(),
                    target_value: 40,
                }
                .into()
            ]
        );
    }

    #[test]
    fn setting_a_target_again_replaces_it_and_keeps_its_reported_value() {
        let mut history = running();
        history.push(
            TargetReported {
                target: tgt("tech-roles"),
                value: 37,
                note: String::new(),
            }
            .into(),
        );
        let events = then(
            &given(&history),
            BlueprintAction::SetTarget {
                target: tgt("tech-roles"),
                title: "Tech roles created in Birmingham".into(),
                unit: "roles".into(),
                target_value: 120,
            },
        )
        .unwrap();
        history.extend(events);
        let s = given(&history);
        assert_eq!(s.targets[&tgt("tech-roles")].target_value, 120);
        assert_eq!(s.targets[&tgt("tech-roles")].reported, Some(37));
    }

    #[test]
    fn set_a_target_with_a_zero_value_is_rejected() {
        let err = rejected(
            &given(&running()),
            set_target("Placements", "placements", 0),
        );
        assert_eq!(err.code, "input.not_positive");
        assert_eq!(err.field.as_deref(), Some("target_value"));
    }

    #[test]
    fn set_a_target_with_a_blank_unit_is_rejected() {
        let err = rejected(&given(&running()), set_target("Placements", " ", 40));
        assert_eq!(err.code, "input.blank");
        assert_eq!(err.field.as_deref(), Some("unit"));
    }

    #[test]
    fn set_a_target_with_a_unit_too_long_is_rejected() {
        let unit = "p".repeat(text::UNIT_MAX + 1);
        let err = rejected(&given(&running()), set_target("Placements", &unit, 40));
        assert_eq!(err.code, "input.too_long");
        assert_eq!(err.field.as_deref(), Some("unit"));
    }

    #[test]
    fn set_a_target_with_a_blank_title_is_rejected() {
        let err = rejected(&given(&running()), set_target("", "placements", 40));
        assert_eq!(err.code, "input.blank");
        assert_eq!(err.field.as_deref(), Some("title"));
    }

    #[test]
    fn report_a_target() {
        let events = then(
            &given(&running()),
            BlueprintAction::ReportTarget {
                target: tgt("tech-roles"),
                value: 37,
                note: " HMCTS hub: 37 of 100 roles filled ".into(),
            },
        )
        .unwrap();
        assert_eq!(
            events,
            vec![
                TargetReported {
                    target: tgt("tech-roles"),
                    value: 37,
                    note: "HMCTS hub: 37 of 100 roles filled".into(),
                }
                .into()
            ]
        );
        let mut history = running();
        history.extend(events);
        assert_eq!(
            given(&history).targets[&tgt("tech-roles")].reported,
            Some(37)
        );
    }

    #[test]
    fn report_zero_on_a_target() {
        let action = BlueprintAction::ReportTarget {
            target: tgt("tech-roles"),
            value: 0,
            note: String::new(),
        };
        assert!(then(&given(&running()), action).is_ok());
    }

    #[test]
    fn report_an_unknown_target_is_rejected() {
        let err = rejected(
            &given(&running()),
            BlueprintAction::ReportTarget {
                target: tgt("placements"),
                value: 3,
                note: String::new(),
            },
        );
        assert_eq!(err.code, "target.not_found");
        assert_eq!(err.kind, RejectionKind::NotFound);
        assert_eq!(err.field.as_deref(), Some("target"));
        assert_eq!(err.message, "target wm-digital/placements does not exist");
    }

    proptest! {
        #[test]
        fn a_draft_is_accepted_exactly_when_its_dates_and_funding_are_sound(
            start in 0i64..1000,
            length in -400i64..400,
            funding in 0u64..3,
        ) {
            let start_date = d("2026-01-01") + chrono::Days::new(start as u64);
            let end = start_date.checked_add_signed(chrono::TimeDelta::days(length)).unwrap();
            let action = draft_where(|a| {
                if let BlueprintAction::Draft { start_date: s, target_end_date, funding_target, .. } = a {
                    *s = start_date;
                    *target_end_date = end;
                    *funding_target = funding;
                }
            });
            let result = then(&given(&[]), action);
            prop_assert_eq!(result.is_ok(), length >= 0 && funding > 0, "{:?}", result);
        }
    }
}
