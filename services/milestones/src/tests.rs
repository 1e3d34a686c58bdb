//! Given/when/then tests of every milestone rule.

use super::*;
use directory::Workstream;
use proptest::prelude::*;
use proto::{BlueprintId, BlueprintStatus, RejectionKind};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const TODAY: &str = "2026-06-01";

fn open_blueprint() -> BlueprintState {
    let mut bp = BlueprintState {
        status: Some(BlueprintStatus::Published),
        title: "WM".into(),
        ..Default::default()
    };
    bp.workstreams.insert(
        WorkstreamId::new("skills").unwrap(),
        Workstream {
            title: "Skills".into(),
            lead_org: OrgId::new("wmca").unwrap(),
            retired: false,
        },
    );
    bp.workstreams.insert(
        WorkstreamId::new("old").unwrap(),
        Workstream {
            title: "Old".into(),
            lead_org: OrgId::new("wmca").unwrap(),
            retired: true,
        },
    );
    bp
}

fn ctx() -> MilestoneContext {
    MilestoneContext {
        blueprint: open_blueprint(),
        owner: Some(OrganisationState {
            name: Some("GDS".into()),
            org_type: Some(OrgType::CentralGovernment),
        }),
        dependencies: HashMap::new(),
    }
}

fn given(events: &[EventBody]) -> MilestoneState {
    let mut s = MilestoneState::default();
    events.iter().for_each(|e| s.evolve(e));
    s
}

fn when(action: MilestoneAction) -> MilestoneCommand {
    MilestoneCommand {
        blueprint: BlueprintId::new("wm-digital").unwrap(),
        milestone: MilestoneId::new("academy").unwrap(),
        action,
    }
}

fn then(state: &MilestoneState, action: MilestoneAction) -> Result<Vec<EventBody>, Rejection> {
    decide(&when(action), state, &ctx(), d(TODAY))
}

fn rejected(state: &MilestoneState, action: MilestoneAction) -> Rejection {
    then(state, action).expect_err("the command should be rejected")
}

fn planned_event() -> EventBody {
    MilestonePlanned {
        workstream: WorkstreamId::new("skills").unwrap(),
        title: "GDS academy pop-up".into(),
        owner: OrgId::new("gds").unwrap(),
        depends_on: vec![],
        due: d("2026-09-30"),
    }
    .into()
}

fn plan() -> MilestoneAction {
    MilestoneAction::Plan {
        workstream: WorkstreamId::new("skills").unwrap(),
        title: "GDS academy pop-up".into(),
        owner: OrgId::new("gds").unwrap(),
        depends_on: vec![],
        due: d("2026-09-30"),
    }
}

fn started() -> Vec<EventBody> {
    vec![planned_event(), MilestoneStarted {}.into()]
}

fn done() -> Vec<EventBody> {
    let mut e = started();
    e.push(
        MilestoneCompleted {
            on: d("2026-05-01"),
            evidence: None,
        }
        .into(),
    );
    e
}

fn cancelled() -> Vec<EventBody> {
    vec![
        planned_event(),
        MilestoneCancelled {
            reason: "merged".into(),
        }
        .into(),
    ]
}

#[test]
fn plan_sets_baseline_and_forecast() {
    let events = then(&given(&[]), plan()).unwrap();
    assert_eq!(events, vec![planned_event()]);
    let s = given(&events);
    assert_eq!(s.baseline, Some(d("2026-09-30")));
    assert_eq!(s.forecast, Some(d("2026-09-30")));
    assert_eq!(s.status, Some(MilestoneStatus::Planned));
}

#[test]
fn plan_twice_is_rejected() {
    assert_eq!(
        rejected(&given(&[planned_event()]), plan()).code,
        "milestone.already_planned"
    );
}

#[test]
fn plan_on_an_unknown_blueprint_is_rejected() {
    let mut c = ctx();
    c.blueprint = BlueprintState::default();
    let err = decide(&when(plan()), &given(&[]), &c, d(TODAY)).unwrap_err();
    assert_eq!(err.code, "blueprint.not_found");
    assert_eq!(err.kind, RejectionKind::NotFound);
}

#[test]
fn any_command_on_a_closed_blueprint_is_rejected() {
    let mut c = ctx();
    c.blueprint.status = Some(BlueprintStatus::Closed);
    let err = decide(
        &when(MilestoneAction::Start {}),
        &given(&[planned_event()]),
        &c,
        d(TODAY),
    )
    .unwrap_err();
    assert_eq!(err.code, "blueprint.closed");
    assert_eq!(
        err.message,
        "blueprint wm-digital is closed; it takes no new records"
    );
}

#[test]
fn plan_in_an_unknown_or_retired_workstream_is_rejected() {
    let mut action = plan();
    if let MilestoneAction::Plan { workstream, .. } = &mut action {
        *workstream = WorkstreamId::new("nope").unwrap();
    }
    assert_eq!(rejected(&given(&[]), action).code, "workstream.not_found");
    let mut action = plan();
    if let MilestoneAction::Plan { workstream, .. } = &mut action {
        *workstream = WorkstreamId::new("old").unwrap();
    }
    assert_eq!(rejected(&given(&[]), action).code, "workstream.retired");
}

#[test]
fn plan_with_an_unregistered_owner_is_rejected() {
    let mut c = ctx();
    c.owner = Some(OrganisationState::default());
    let err = decide(&when(plan()), &given(&[]), &c, d(TODAY)).unwrap_err();
    assert_eq!(err.code, "organisation.not_found");
    assert_eq!(err.field.as_deref(), Some("owner"));
}

#[test]
fn plan_with_a_blank_title_is_rejected() {
    let mut action = plan();
    if let MilestoneAction::Plan { title, .. } = &mut action {
        *title = " ".into();
    }
    assert_eq!(rejected(&given(&[]), action).code, "input.blank");
}

#[test]
fn dependencies_must_exist_be_distinct_and_not_self() {
    let dep = MilestoneId::new("venue").unwrap();
    let with_deps = |deps: Vec<MilestoneId>| {
        let mut a = plan();
        if let MilestoneAction::Plan { depends_on, .. } = &mut a {
            *depends_on = deps;
        }
        a
    };
    assert_eq!(
        rejected(&given(&[]), with_deps(vec![dep.clone()])).code,
        "milestone.dependency_not_found"
    );
    assert_eq!(
        rejected(
            &given(&[]),
            with_deps(vec![MilestoneId::new("academy").unwrap()])
        )
        .code,
        "milestone.depends_on_itself"
    );

    let mut c = ctx();
    c.dependencies
        .insert(dep.clone(), given(&[planned_event()]));
    let ok = decide(
        &when(with_deps(vec![dep.clone()])),
        &given(&[]),
        &c,
        d(TODAY),
    )
    .unwrap();
    assert!(matches!(&ok[0], EventBody::MilestonePlanned(p) if p.depends_on == vec![dep.clone()]));
    let err = decide(
        &when(with_deps(vec![dep.clone(), dep])),
        &given(&[]),
        &c,
        d(TODAY),
    )
    .unwrap_err();
    assert_eq!(err.code, "milestone.duplicate_dependency");
}

#[test]
fn a_milestone_depends_on_a_bounded_number_of_others() {
    let many: Vec<MilestoneId> = (0..=crate::MAX_DEPENDENCIES)
        .map(|i| MilestoneId::new(format!("m{i}")).unwrap())
        .collect();
    let mut action = plan();
    if let MilestoneAction::Plan { depends_on, .. } = &mut action {
        *depends_on = many;
    }
    let err = rejected(&given(&[]), action);
    assert_eq!(err.code, "milestone.too_many_dependencies");
    assert_eq!(err.field.as_deref(), Some("depends_on"));
}

#[test]
fn commands_on_an_unknown_milestone_are_rejected() {
    let err = rejected(&given(&[]), MilestoneAction::Start {});
    assert_eq!(err.code, "milestone.not_found");
    assert_eq!(err.message, "milestone wm-digital/academy does not exist");
}

#[test]
fn start_a_planned_milestone() {
    assert_eq!(
        then(&given(&[planned_event()]), MilestoneAction::Start {}).unwrap(),
        vec![MilestoneStarted {}.into()]
    );
}

#[test]
fn start_twice_or_after_done_is_rejected() {
    assert_eq!(
        rejected(&given(&started()), MilestoneAction::Start {}).code,
        "milestone.already_started"
    );
    assert_eq!(
        rejected(&given(&done()), MilestoneAction::Start {}).code,
        "milestone.closed"
    );
}

#[test]
fn report_progress_within_range() {
    let events = then(
        &given(&started()),
        MilestoneAction::ReportProgress {
            percent: 40,
            note: "venue booked".into(),
        },
    )
    .unwrap();
    assert_eq!(
        events,
        vec![
            MilestoneProgressReported {
                percent: 40,
                note: "venue booked".into()
            }
            .into()
        ]
    );
    let err = rejected(
        &given(&started()),
        MilestoneAction::ReportProgress {
            percent: 101,
            note: String::new(),
        },
    );
    assert_eq!(err.code, "milestone.percent_out_of_range");
    assert_eq!(err.field.as_deref(), Some("percent"));
}

#[test]
fn progress_on_a_planned_milestone_starts_it() {
    let events = then(
        &given(&[planned_event()]),
        MilestoneAction::ReportProgress {
            percent: 10,
            note: String::new(),
        },
    )
    .unwrap();
    assert_eq!(events[0], MilestoneStarted {}.into());
    assert_eq!(
        given(&[vec![planned_event()], events].concat()).status,
        Some(MilestoneStatus::InProgress)
    );
}

#[test]
fn progress_on_a_closed_milestone_is_rejected() {
    assert_eq!(
        rejected(
            &given(&cancelled()),
            MilestoneAction::ReportProgress {
                percent: 10,
                note: String::new()
            }
        )
        .code,
        "milestone.closed"
    );
}

#[test]
fn replan_moves_the_forecast_and_keeps_the_baseline() {
    let events = then(
        &given(&started()),
        MilestoneAction::Replan {
            to: d("2026-12-01"),
            reason: "venue".into(),
        },
    )
    .unwrap();
    assert_eq!(
        events,
        vec![
            MilestoneReplanned {
                from: d("2026-09-30"),
                to: d("2026-12-01"),
                reason: "venue".into()
            }
            .into()
        ]
    );
    let s = given(&[started(), events].concat());
    assert_eq!(s.baseline, Some(d("2026-09-30")));
    assert_eq!(s.forecast, Some(d("2026-12-01")));
}

#[test]
fn replan_needs_a_reason_and_a_new_date() {
    assert_eq!(
        rejected(
            &given(&started()),
            MilestoneAction::Replan {
                to: d("2026-12-01"),
                reason: "".into()
            }
        )
        .code,
        "input.blank"
    );
    assert_eq!(
        rejected(
            &given(&started()),
            MilestoneAction::Replan {
                to: d("2026-09-30"),
                reason: "x".into()
            }
        )
        .code,
        "milestone.replan_same_date"
    );
}

#[test]
fn a_done_milestone_cannot_be_replanned() {
    let err = rejected(
        &given(&done()),
        MilestoneAction::Replan {
            to: d("2026-12-01"),
            reason: "late".into(),
        },
    );
    assert_eq!(err.code, "milestone.closed");
    assert_eq!(
        err.message,
        "milestone wm-digital/academy is done; it cannot be replanned"
    );
    assert_eq!(err.kind, RejectionKind::Conflict);
}

#[test]
fn complete_records_the_date_and_evidence() {
    let events = then(
        &given(&started()),
        MilestoneAction::Complete {
            on: d(TODAY),
            evidence: Some("https://example.org/report".into()),
        },
    )
    .unwrap();
    assert_eq!(
        events,
        vec![
            MilestoneCompleted {
                on: d(TODAY),
                evidence: Some("https://example.org/report".into())
            }
            .into()
        ]
    );
}

#[test]
fn complete_a_planned_milestone_starts_it_in_the_same_commit() {
    let events = then(
        &given(&[planned_event()]),
        MilestoneAction::Complete {
            on: d(TODAY),
            evidence: None,
        },
    )
    .unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0], MilestoneStarted {}.into());
}

#[test]
fn complete_in_the_future_or_with_a_bad_link_is_rejected() {
    assert_eq!(
        rejected(
            &given(&started()),
            MilestoneAction::Complete {
                on: d("2026-06-02"),
                evidence: None
            }
        )
        .code,
        "milestone.completed_in_future"
    );
    assert_eq!(
        rejected(
            &given(&started()),
            MilestoneAction::Complete {
                on: d(TODAY),
                evidence: Some("not a link".into())
            }
        )
        .code,
        "input.not_a_link"
    );
}

#[test]
fn complete_twice_is_rejected() {
    assert_eq!(
        rejected(
            &given(&done()),
            MilestoneAction::Complete {
                on: d(TODAY),
                evidence: None
            }
        )
        .code,
        "milestone.closed"
    );
}

#[test]
fn cancel_an_open_milestone_with_a_reason() {
    assert_eq!(
        then(
            &given(&[planned_event()]),
            MilestoneAction::Cancel {
                reason: "merged".into()
            }
        )
        .unwrap(),
        vec![
            MilestoneCancelled {
                reason: "merged".into()
            }
            .into()
        ]
    );
    assert_eq!(
        rejected(
            &given(&[planned_event()]),
            MilestoneAction::Cancel { reason: " ".into() }
        )
        .code,
        "input.blank"
    );
    assert_eq!(
        rejected(
            &given(&done()),
            MilestoneAction::Cancel { reason: "x".into() }
        )
        .code,
        "milestone.closed"
    );
}

#[test]
fn reopen_returns_to_the_state_before_closing() {
    let reopen = || MilestoneAction::Reopen {
        reason: "evidence was wrong".into(),
    };
    let events = then(&given(&done()), reopen()).unwrap();
    assert_eq!(
        given(&[done(), events].concat()).status,
        Some(MilestoneStatus::InProgress)
    );
    let events = then(&given(&cancelled()), reopen()).unwrap();
    assert_eq!(
        given(&[cancelled(), events].concat()).status,
        Some(MilestoneStatus::Planned)
    );
}

#[test]
fn reopen_an_open_milestone_or_without_reason_is_rejected() {
    assert_eq!(
        rejected(
            &given(&started()),
            MilestoneAction::Reopen { reason: "x".into() }
        )
        .code,
        "milestone.not_closed"
    );
    assert_eq!(
        rejected(
            &given(&done()),
            MilestoneAction::Reopen { reason: "".into() }
        )
        .code,
        "input.blank"
    );
}

fn any_action() -> impl Strategy<Value = MilestoneAction> {
    let date = (0i64..400).prop_map(|n| d("2026-01-01") + chrono::Days::new(n as u64));
    prop_oneof![
        Just(MilestoneAction::Start {}),
        (0u32..150).prop_map(|percent| MilestoneAction::ReportProgress {
            percent,
            note: String::new()
        }),
        date.clone().prop_map(|to| MilestoneAction::Replan {
            to,
            reason: "r".into()
        }),
        date.prop_map(|on| MilestoneAction::Complete { on, evidence: None }),
        Just(MilestoneAction::Cancel { reason: "c".into() }),
        Just(MilestoneAction::Reopen { reason: "o".into() }),
    ]
}

proptest! {
    /// Whatever sequence of commands is accepted, the baseline never moves and progress stays
    /// within 0 to 100.
    #[test]
    fn baseline_never_moves(actions in proptest::collection::vec(any_action(), 0..30)) {
        let mut state = given(&[planned_event()]);
        for action in actions {
            if let Ok(events) = then(&state, action) {
                prop_assert!(!events.is_empty());
                events.iter().for_each(|e| state.evolve(e));
            }
            prop_assert_eq!(state.baseline, Some(d("2026-09-30")));
            prop_assert!(state.percent <= 100);
        }
    }
}

/// `allows` is the life cycle `decide` enforces: in every status, each action of the catalogue
/// with its example fields is refused when `allows` says no, and recorded when it says yes.
#[test]
fn allows_is_the_life_cycle_that_decide_enforces() {
    let mut ctx = ctx();
    ctx.dependencies.insert(
        MilestoneId::new("hub-lease").unwrap(),
        given(&[planned_event()]),
    );
    let today = d("2027-12-31");
    let states = [
        given(&[]),
        given(&[planned_event()]),
        given(&started()),
        given(&done()),
        given(&cancelled()),
    ];
    for state in &states {
        for spec in <MilestoneAction as proto::Actions>::SPECS {
            let action: MilestoneAction = proto::spec::example(spec);
            let outcome = decide(&when(action), state, &ctx, today);
            assert_eq!(
                outcome.is_ok(),
                allows(state.status, spec.name),
                "{:?} {}: {outcome:?}",
                state.status,
                spec.name
            );
        }
    }
}

#[test]
fn retitle_corrects_the_title_in_any_status_but_not_to_the_same() {
    for state in [
        given(&[planned_event()]),
        given(&done()),
        given(&cancelled()),
    ] {
        let events = then(
            &state,
            MilestoneAction::Retitle {
                title: " GDS academy: first cohort ".into(),
            },
        )
        .unwrap();
        assert_eq!(
            events,
            vec![
                MilestoneRetitled {
                    title: "GDS academy: first cohort".into()
                }
                .into()
            ]
        );
    }
    let err = rejected(
        &given(&[planned_event()]),
        MilestoneAction::Retitle {
            title: "GDS academy pop-up".into(),
        },
    );
    assert_eq!(err.code, "milestone.same_title");
    let err = rejected(&given(&[]), MilestoneAction::Retitle { title: "T".into() });
    assert_eq!(err.code, "milestone.not_found");
}
