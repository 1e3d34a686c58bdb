//! Blueprints: drafted, published, closed; with workstreams, partners and targets.

use std::collections::HashMap;

use chrono::NaiveDate;
use directory::{BlueprintState, Directory, OrganisationState, require_organisation};
use eventstore::{Reads, StoreError};
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
        reads: Reads<'_>,
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
            orgs.insert(org.clone(), self.directory.organisation(reads, org).await?);
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
    use directory::testing::{fold, refusal};
    use proptest::prelude::*;
    use proto::{Actions, OrgType, TargetId, WorkstreamId};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn org(id: &str) -> OrgId {
        OrgId::new(id).unwrap()
    }

    fn ws(id: &str) -> WorkstreamId {
        WorkstreamId::new(id).unwrap()
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

    /// What blueprint wm-digital answers to `action` after `history`, with [`orgs`] known.
    fn then(history: &[EventBody], action: BlueprintAction) -> Result<Vec<EventBody>, Rejection> {
        let blueprint = BlueprintId::new("wm-digital").unwrap();
        decide(
            &BlueprintCommand { blueprint, action },
            &fold(history),
            &orgs(),
        )
    }

    /// The blueprint [`drafted`] records.
    fn standard() -> BlueprintDrafted {
        BlueprintDrafted {
            title: "West Midlands public sector digital blueprint".into(),
            summary: "A GDS academy, an HMCTS hub and a skills pipeline".into(),
            lead_org: org("wmca"),
            start_date: d("2026-01-12"),
            target_end_date: d("2027-03-31"),
            funding_target: 250_000_000,
            staff_time_target: Some(150_000),
        }
    }

    /// A draft with the fields of `typed`.
    fn draft(typed: BlueprintDrafted) -> BlueprintAction {
        BlueprintAction::Draft {
            title: typed.title,
            summary: typed.summary,
            lead_org: typed.lead_org,
            start_date: typed.start_date,
            target_end_date: typed.target_end_date,
            funding_target: typed.funding_target,
            staff_time_target: typed.staff_time_target,
        }
    }

    fn add_workstream(workstream: &str, title: &str, lead_org: &str) -> BlueprintAction {
        BlueprintAction::AddWorkstream {
            workstream: ws(workstream),
            title: title.into(),
            lead_org: org(lead_org),
        }
    }

    fn rename_workstream(workstream: &str, title: &str) -> BlueprintAction {
        BlueprintAction::RenameWorkstream {
            workstream: ws(workstream),
            title: title.into(),
        }
    }

    fn retire_workstream(workstream: &str, reason: &str) -> BlueprintAction {
        BlueprintAction::RetireWorkstream {
            workstream: ws(workstream),
            reason: reason.into(),
        }
    }

    fn add_partner(id: &str) -> BlueprintAction {
        BlueprintAction::AddPartner { org: org(id) }
    }

    fn remove_partner(id: &str, reason: &str) -> BlueprintAction {
        BlueprintAction::RemovePartner {
            org: org(id),
            reason: reason.into(),
        }
    }

    fn set_target(target: &str, title: &str, unit: &str, target_value: u64) -> BlueprintAction {
        BlueprintAction::SetTarget {
            target: target.parse().unwrap(),
            title: title.into(),
            unit: unit.into(),
            target_value,
        }
    }

    fn report_target(target: &str, value: u64, note: &str) -> BlueprintAction {
        BlueprintAction::ReportTarget {
            target: target.parse().unwrap(),
            value,
            note: note.into(),
        }
    }

    fn close(reason: &str) -> BlueprintAction {
        BlueprintAction::Close {
            reason: reason.into(),
        }
    }

    fn drafted() -> Vec<EventBody> {
        vec![standard().into()]
    }

    fn published() -> Vec<EventBody> {
        vec![standard().into(), BlueprintPublished {}.into()]
    }

    /// The events of `actions`, each accepted in turn after `history`.
    fn recorded(history: Vec<EventBody>, actions: Vec<BlueprintAction>) -> Vec<EventBody> {
        actions.into_iter().fold(history, |mut events, action| {
            let new = then(&events, action).expect("a setup step is accepted");
            events.extend(new);
            events
        })
    }

    /// Published, with an active `digital-hubs` workstream, a retired `hack-events` one, `hmcts`
    /// as a partner and a `tech-roles` target.
    fn running() -> Vec<EventBody> {
        recorded(
            published(),
            vec![
                add_workstream("digital-hubs", "Digital hubs", "hmcts"),
                add_workstream("hack-events", "Hack events", "wmca"),
                retire_workstream("hack-events", "merged into community"),
                add_partner("hmcts"),
                set_target(
                    "tech-roles",
                    "Tech roles created in Birmingham",
                    "roles",
                    100,
                ),
            ],
        )
    }

    fn closed() -> Vec<EventBody> {
        recorded(running(), vec![close("delivered")])
    }

    /// `allows` is the life cycle `decide` enforces: in every status, each action of the
    /// catalogue with its example fields is refused when `allows` says no, and recorded from some
    /// state in that status when it says yes.
    #[test]
    fn allows_is_the_life_cycle_that_decide_enforces() {
        // What the examples name: the `skills` workstream, the `hmcts` partner, the `tech-roles`
        // target.
        let named = || {
            vec![
                add_workstream("skills", "Skills", "gds"),
                add_partner("hmcts"),
                set_target("tech-roles", "Tech roles", "roles", 100),
            ]
        };
        let histories = [
            vec![],
            drafted(),
            recorded(drafted(), named()),
            published(),
            recorded(published(), named()),
            closed(),
        ];
        proto::spec::check_life_cycle(
            &histories,
            |history| fold::<BlueprintState>(history).status,
            allows,
            |history, action: BlueprintAction| then(history, action),
        );
    }

    /// One command of every kind, each valid on a running blueprint.
    fn every_action() -> Vec<BlueprintAction> {
        vec![
            draft(standard()),
            BlueprintAction::Publish {},
            close("delivered"),
            add_workstream("skills-pipeline", "Skills pipeline", "wmca"),
            rename_workstream("digital-hubs", "Digital hubs and tech roles"),
            retire_workstream("digital-hubs", "done"),
            add_partner("gds"),
            remove_partner("hmcts", "left"),
            set_target("placements", "College placements", "placements", 40),
            report_target("tech-roles", 37, ""),
        ]
    }

    /// Each refusal is by its rule, on the field it concerns.
    #[test]
    fn every_refusal_names_its_rule() {
        let long_unit = "p".repeat(text::UNIT_MAX + 1);
        for (history, action, code, field) in [
            (
                vec![],
                draft(BlueprintDrafted {
                    title: " \t ".into(),
                    ..standard()
                }),
                "input.blank",
                Some("title"),
            ),
            (
                vec![],
                draft(BlueprintDrafted {
                    funding_target: 0,
                    ..standard()
                }),
                "input.not_positive",
                Some("funding_target"),
            ),
            (
                vec![],
                draft(BlueprintDrafted {
                    staff_time_target: Some(0),
                    ..standard()
                }),
                "input.not_positive",
                Some("staff_time_target"),
            ),
            (
                published(),
                BlueprintAction::Publish {},
                "blueprint.already_published",
                None,
            ),
            (
                closed(),
                BlueprintAction::Publish {},
                "blueprint.closed",
                None,
            ),
            (published(), close(""), "input.blank", Some("reason")),
            (
                running(),
                add_workstream("skills-pipeline", "", "wmca"),
                "input.blank",
                Some("title"),
            ),
            (
                running(),
                add_workstream("skills-pipeline", "Skills", "dudley-council"),
                "organisation.not_found",
                Some("lead_org"),
            ),
            (
                running(),
                rename_workstream("digital-hubs", "  "),
                "input.blank",
                Some("title"),
            ),
            (
                running(),
                rename_workstream("hack-events", "Hackathons"),
                "workstream.retired",
                Some("workstream"),
            ),
            (
                running(),
                retire_workstream("hack-events", "again"),
                "workstream.retired",
                Some("workstream"),
            ),
            (
                running(),
                retire_workstream("digital-hubs", " "),
                "input.blank",
                Some("reason"),
            ),
            (
                running(),
                add_partner("dudley-council"),
                "organisation.not_found",
                Some("org"),
            ),
            (
                running(),
                remove_partner("hmcts", ""),
                "input.blank",
                Some("reason"),
            ),
            (
                running(),
                set_target("placements", "Placements", "placements", 0),
                "input.not_positive",
                Some("target_value"),
            ),
            (
                running(),
                set_target("placements", "Placements", " ", 40),
                "input.blank",
                Some("unit"),
            ),
            (
                running(),
                set_target("placements", "Placements", &long_unit, 40),
                "input.too_long",
                Some("unit"),
            ),
            (
                running(),
                set_target("placements", "", "placements", 40),
                "input.blank",
                Some("title"),
            ),
        ] {
            refusal(then(&history, action), rules::ALL, code, field);
        }
    }

    /// The refusals whose message names the thing and what is wrong with it, word for word.
    #[test]
    fn refusals_say_what_is_wrong() {
        let ends_early = BlueprintDrafted {
            target_end_date: d("2026-01-11"),
            ..standard()
        };
        let led_by = |lead: &str| {
            draft(BlueprintDrafted {
                lead_org: org(lead),
                ..standard()
            })
        };
        for (history, action, code, field, message) in [
            (
                drafted(),
                draft(standard()),
                "blueprint.already_exists",
                None,
                "blueprint wm-digital already exists",
            ),
            (
                published(),
                draft(standard()),
                "blueprint.already_exists",
                None,
                "blueprint wm-digital already exists",
            ),
            (
                running(),
                draft(standard()),
                "blueprint.already_exists",
                None,
                "blueprint wm-digital already exists",
            ),
            (
                vec![],
                led_by("dudley-council"),
                "organisation.not_found",
                Some("lead_org"),
                "organisation dudley-council is not registered; register it first",
            ),
            (
                vec![],
                led_by("never-heard-of"),
                "organisation.not_found",
                Some("lead_org"),
                "organisation never-heard-of is not registered; register it first",
            ),
            (
                vec![],
                draft(ends_early),
                "blueprint.end_before_start",
                Some("target_end_date"),
                "blueprint wm-digital cannot end (2026-01-11) before it starts (2026-01-12)",
            ),
            (
                vec![],
                BlueprintAction::Publish {},
                "blueprint.not_found",
                None,
                "blueprint wm-digital does not exist",
            ),
            (
                running(),
                add_workstream("digital-hubs", "Again", "wmca"),
                "workstream.already_exists",
                Some("workstream"),
                "workstream wm-digital/digital-hubs already exists",
            ),
            (
                running(),
                add_workstream("hack-events", "Again", "wmca"),
                "workstream.already_exists",
                Some("workstream"),
                "workstream wm-digital/hack-events already exists",
            ),
            (
                running(),
                rename_workstream("nope", "Nope"),
                "workstream.not_found",
                Some("workstream"),
                "workstream wm-digital/nope does not exist",
            ),
            (
                running(),
                retire_workstream("nope", "nope"),
                "workstream.not_found",
                Some("workstream"),
                "workstream wm-digital/nope does not exist",
            ),
            (
                running(),
                add_partner("hmcts"),
                "partner.already_joined",
                Some("org"),
                "organisation hmcts is already a partner of blueprint wm-digital",
            ),
            (
                running(),
                remove_partner("gds", "never joined"),
                "partner.not_joined",
                Some("org"),
                "organisation gds is not a partner of blueprint wm-digital",
            ),
            (
                running(),
                report_target("placements", 3, ""),
                "target.not_found",
                Some("target"),
                "target wm-digital/placements does not exist",
            ),
        ] {
            let refused = refusal(then(&history, action), rules::ALL, code, field);
            assert_eq!(refused.message, message);
        }
    }

    // ---- draft, publish and close ----

    #[test]
    fn draft_a_new_blueprint() {
        let typed = BlueprintDrafted {
            title: "  West Midlands public sector digital blueprint ".into(),
            summary: " A GDS academy, an HMCTS hub and a skills pipeline\n".into(),
            ..standard()
        };
        let events = then(&[], draft(typed)).unwrap();
        assert_eq!(events, drafted());
        let s: BlueprintState = fold(&events);
        assert_eq!(s.status, Some(BlueprintStatus::Draft));
        assert_eq!(s.lead_org, Some(org("wmca")));
    }

    #[test]
    fn draft_without_a_staff_time_target_or_summary() {
        let typed = BlueprintDrafted {
            summary: String::new(),
            staff_time_target: None,
            ..standard()
        };
        let events = then(&[], draft(typed)).unwrap();
        let [EventBody::BlueprintDrafted(e)] = events.as_slice() else {
            panic!("expected one drafted event, got {events:?}");
        };
        assert_eq!(e.staff_time_target, None);
        assert_eq!(e.summary, "");
    }

    #[test]
    fn draft_may_end_on_the_day_it_starts() {
        let one_day = BlueprintDrafted {
            start_date: d("2026-06-01"),
            target_end_date: d("2026-06-01"),
            ..standard()
        };
        assert!(then(&[], draft(one_day)).is_ok());
    }

    #[test]
    fn publish_a_draft() {
        let state = records(
            drafted(),
            BlueprintAction::Publish {},
            BlueprintPublished {},
        );
        assert_eq!(state.status, Some(BlueprintStatus::Published));
    }

    #[test]
    fn close_a_published_blueprint() {
        let reason = "Superseded by the regional digital plan";
        let closed_event = BlueprintClosed {
            reason: reason.into(),
        };
        let state = records(running(), close(&format!(" {reason} ")), closed_event);
        assert_eq!(state.status, Some(BlueprintStatus::Closed));
    }

    #[test]
    fn every_command_on_an_unknown_blueprint_but_draft_is_rejected() {
        for action in every_action().into_iter().skip(1) {
            let name = action.name();
            let err = then(&[], action).unwrap_err();
            assert_eq!(err.code, "blueprint.not_found", "{name}");
        }
    }

    #[test]
    fn every_command_on_a_closed_blueprint_is_rejected() {
        for action in every_action() {
            let err = refusal(
                then(&closed(), action),
                rules::ALL,
                "blueprint.closed",
                None,
            );
            assert_eq!(
                err.message,
                "blueprint wm-digital is closed; it takes no new records"
            );
        }
    }

    #[test]
    fn every_command_is_accepted_on_a_running_blueprint_except_draft_and_publish() {
        let history = running();
        for action in every_action().into_iter().skip(2) {
            let name = action.name();
            assert!(then(&history, action).is_ok(), "{name}");
        }
    }

    // ---- workstreams ----

    /// Checks that `action` after `history` records exactly `event`; returns the state they
    /// leave.
    #[track_caller]
    fn records(
        history: Vec<EventBody>,
        action: BlueprintAction,
        event: impl Into<EventBody>,
    ) -> BlueprintState {
        let events = then(&history, action).unwrap();
        assert_eq!(events, vec![event.into()]);
        fold(&[history, events].concat())
    }

    #[test]
    fn add_a_workstream() {
        let title = "Skills pipeline: college to employer";
        let typed = add_workstream("skills-pipeline", &format!(" {title} "), "wmca");
        let added = WorkstreamAdded {
            workstream: ws("skills-pipeline"),
            title: title.into(),
            lead_org: org("wmca"),
        };
        let state = records(published(), typed, added);
        assert_eq!(
            state.workstreams.get(&ws("skills-pipeline")),
            Some(&Workstream {
                title: title.into(),
                lead_org: org("wmca"),
                retired: false,
            })
        );
    }

    #[test]
    fn a_draft_takes_workstreams() {
        let action = add_workstream("skills-pipeline", "Skills pipeline", "wmca");
        assert!(then(&drafted(), action).is_ok());
    }

    #[test]
    fn rename_a_workstream() {
        let title = "Digital hubs and tech roles";
        let typed = rename_workstream("digital-hubs", &format!("{title} "));
        let renamed = WorkstreamRenamed {
            workstream: ws("digital-hubs"),
            title: title.into(),
        };
        let state = records(running(), typed, renamed);
        assert_eq!(state.workstreams[&ws("digital-hubs")].title, title);
    }

    #[test]
    fn retire_a_workstream() {
        let reason = "Hub open; work moves to business as usual";
        let typed = retire_workstream("digital-hubs", &format!(" {reason} "));
        let retired = WorkstreamRetired {
            workstream: ws("digital-hubs"),
            reason: reason.into(),
        };
        assert!(records(running(), typed, retired).workstreams[&ws("digital-hubs")].retired);
    }

    // ---- partners ----

    #[test]
    fn add_a_partner() {
        let joined = PartnerJoined { org: org("gds") };
        let state = records(running(), add_partner("gds"), joined);
        assert!(state.partners.contains(&org("gds")));
    }

    #[test]
    fn remove_a_partner() {
        let left = PartnerLeft {
            org: org("hmcts"),
            reason: "Hub handed over".into(),
        };
        let state = records(
            running(),
            remove_partner("hmcts", " Hub handed over "),
            left,
        );
        assert!(state.partners.is_empty());
    }

    #[test]
    fn a_partner_that_left_may_join_again() {
        let history = recorded(running(), vec![remove_partner("hmcts", "paused")]);
        records(
            history,
            add_partner("hmcts"),
            PartnerJoined { org: org("hmcts") },
        );
    }

    // ---- targets ----

    #[test]
    fn set_a_target() {
        let typed = set_target("placements", " College placements ", " placements ", 40);
        let set = TargetSet {
            target: TargetId::new("placements").unwrap(),
            title: "College placements".into(),
            unit: "placements".into(),
            target_value: 40,
        };
        records(running(), typed, set);
    }

    #[test]
    fn setting_a_target_again_replaces_it_and_keeps_its_reported_value() {
        let tech_roles = "Tech roles created in Birmingham";
        let history = recorded(
            running(),
            vec![
                report_target("tech-roles", 37, ""),
                set_target("tech-roles", tech_roles, "roles", 120),
            ],
        );
        let state: BlueprintState = fold(&history);
        let target = &state.targets[&TargetId::new("tech-roles").unwrap()];
        assert_eq!(target.target_value, 120);
        assert_eq!(target.reported, Some(37));
    }

    #[test]
    fn report_a_target() {
        let note = "HMCTS hub: 37 of 100 roles filled";
        let reported = TargetReported {
            target: TargetId::new("tech-roles").unwrap(),
            value: 37,
            note: note.into(),
        };
        let typed = report_target("tech-roles", 37, &format!(" {note} "));
        let state = records(running(), typed, reported);
        assert_eq!(
            state.targets[&TargetId::new("tech-roles").unwrap()].reported,
            Some(37)
        );
    }

    #[test]
    fn report_zero_on_a_target() {
        assert!(then(&running(), report_target("tech-roles", 0, "")).is_ok());
    }

    proptest! {
        #[test]
        fn a_draft_is_accepted_exactly_when_its_dates_and_funding_are_sound(
            start in 0i64..1000,
            length in -400i64..400,
            funding in 0u64..3,
        ) {
            let start_date = d("2026-01-01") + chrono::Days::new(start as u64);
            let target_end_date = start_date.checked_add_signed(chrono::TimeDelta::days(length)).unwrap();
            let typed = BlueprintDrafted { start_date, target_end_date, funding_target: funding, ..standard() };
            let result = then(&[], draft(typed));
            prop_assert_eq!(result.is_ok(), length >= 0 && funding > 0, "{:?}", result);
        }
    }
}
