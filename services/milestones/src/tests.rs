//! Given/when/then tests of every milestone rule.

use super::*;
use directory::Workstream;
use directory::testing::{fold, refusal};
use proptest::prelude::*;
use proto::{BlueprintId, BlueprintStatus, OrgId, RejectionKind, WorkstreamId};

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const TODAY: &str = "2026-06-01";

/// Blueprint wm-digital, published, with an active `skills` and a retired `old` workstream.
fn open_blueprint() -> BlueprintState {
    let mut bp = BlueprintState {
        status: Some(BlueprintStatus::Published),
        title: "WM".into(),
        ..Default::default()
    };
    for (id, title, retired) in [("skills", "Skills", false), ("old", "Old", true)] {
        let lead_org = OrgId::new("wmca").unwrap();
        let workstream = Workstream {
            title: title.into(),
            lead_org,
            retired,
        };
        bp.workstreams
            .insert(WorkstreamId::new(id).unwrap(), workstream);
    }
    bp
}

/// The open blueprint, and `gds` registered as the owner a plan names.
fn ctx() -> MilestoneContext {
    MilestoneContext {
        blueprint: open_blueprint(),
        owner: Some(OrganisationState {
            name: Some("GDS".into()),
            org_type: Some(proto::OrgType::CentralGovernment),
        }),
        dependencies: HashMap::new(),
    }
}

/// Milestone wm-digital/academy.
fn when(action: MilestoneAction) -> MilestoneCommand {
    MilestoneCommand {
        blueprint: BlueprintId::new("wm-digital").unwrap(),
        milestone: MilestoneId::new("academy").unwrap(),
        action,
    }
}

/// What milestone wm-digital/academy answers to `action` after `history`, today, in [`ctx`].
fn then(history: &[EventBody], action: MilestoneAction) -> Result<Vec<EventBody>, Rejection> {
    decide(&when(action), &fold(history), &ctx(), d(TODAY))
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

/// A plan in `workstream`, titled `title`, after `depends_on`, owned by gds and due on 30
/// September 2026.
fn plan_with(workstream: &str, title: &str, depends_on: Vec<MilestoneId>) -> MilestoneAction {
    MilestoneAction::Plan {
        workstream: WorkstreamId::new(workstream).unwrap(),
        title: title.into(),
        owner: OrgId::new("gds").unwrap(),
        depends_on,
        due: d("2026-09-30"),
    }
}

/// The plan that [`planned_event`] records.
fn plan() -> MilestoneAction {
    plan_with("skills", "GDS academy pop-up", vec![])
}

/// [`plan`], after the milestones `deps`.
fn plan_after(deps: &[&str]) -> MilestoneAction {
    let deps = deps.iter().map(|d| MilestoneId::new(*d).unwrap()).collect();
    plan_with("skills", "GDS academy pop-up", deps)
}

fn progress(percent: u32, note: &str) -> MilestoneAction {
    MilestoneAction::ReportProgress {
        percent,
        note: note.into(),
    }
}

fn replan(to: &str, reason: &str) -> MilestoneAction {
    MilestoneAction::Replan {
        to: d(to),
        reason: reason.into(),
    }
}

fn complete(on: &str, evidence: Option<&str>) -> MilestoneAction {
    MilestoneAction::Complete {
        on: d(on),
        evidence: evidence.map(Into::into),
    }
}

fn cancel(reason: &str) -> MilestoneAction {
    MilestoneAction::Cancel {
        reason: reason.into(),
    }
}

fn reopen(reason: &str) -> MilestoneAction {
    MilestoneAction::Reopen {
        reason: reason.into(),
    }
}

fn retitle(title: &str) -> MilestoneAction {
    MilestoneAction::Retitle {
        title: title.into(),
    }
}

fn planned() -> Vec<EventBody> {
    vec![planned_event()]
}

fn started() -> Vec<EventBody> {
    vec![planned_event(), MilestoneStarted {}.into()]
}

fn done() -> Vec<EventBody> {
    let completed = MilestoneCompleted {
        on: d("2026-05-01"),
        evidence: None,
    };
    [started(), vec![completed.into()]].concat()
}

fn cancelled() -> Vec<EventBody> {
    let cancelled = MilestoneCancelled {
        reason: "merged".into(),
    };
    vec![planned_event(), cancelled.into()]
}

#[test]
fn plan_sets_baseline_and_forecast() {
    let events = then(&[], plan()).unwrap();
    assert_eq!(events, vec![planned_event()]);
    let s: MilestoneState = fold(&events);
    assert_eq!(s.baseline, Some(d("2026-09-30")));
    assert_eq!(s.forecast, Some(d("2026-09-30")));
    assert_eq!(s.status, Some(MilestoneStatus::Planned));
}

/// Each refusal is by its rule, on the field it concerns; those whose message matters have
/// tests of their own below.
#[test]
fn every_refusal_names_its_rule() {
    let many: Vec<String> = (0..=MAX_DEPENDENCIES).map(|i| format!("m{i}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    for (history, action, code, field) in [
        (planned(), plan(), "milestone.already_planned", None),
        (
            vec![],
            plan_with("nope", "T", vec![]),
            "workstream.not_found",
            Some("workstream"),
        ),
        (
            vec![],
            plan_with("old", "T", vec![]),
            "workstream.retired",
            Some("workstream"),
        ),
        (
            vec![],
            plan_with("skills", " ", vec![]),
            "input.blank",
            Some("title"),
        ),
        (
            vec![],
            plan_after(&["venue"]),
            "milestone.dependency_not_found",
            Some("depends_on"),
        ),
        (
            vec![],
            plan_after(&["academy"]),
            "milestone.depends_on_itself",
            Some("depends_on"),
        ),
        (
            vec![],
            plan_after(&many),
            "milestone.too_many_dependencies",
            Some("depends_on"),
        ),
        (
            started(),
            MilestoneAction::Start {},
            "milestone.already_started",
            None,
        ),
        (done(), MilestoneAction::Start {}, "milestone.closed", None),
        (
            started(),
            progress(101, ""),
            "milestone.percent_out_of_range",
            Some("percent"),
        ),
        (cancelled(), progress(10, ""), "milestone.closed", None),
        (
            started(),
            replan("2026-12-01", ""),
            "input.blank",
            Some("reason"),
        ),
        (
            started(),
            replan("2026-09-30", "x"),
            "milestone.replan_same_date",
            Some("to"),
        ),
        (
            started(),
            complete("2026-06-02", None),
            "milestone.completed_in_future",
            Some("on"),
        ),
        (
            started(),
            complete(TODAY, Some("not a link")),
            "input.not_a_link",
            Some("evidence"),
        ),
        (done(), complete(TODAY, None), "milestone.closed", None),
        (planned(), cancel(" "), "input.blank", Some("reason")),
        (done(), cancel("x"), "milestone.closed", None),
        (started(), reopen("x"), "milestone.not_closed", None),
        (done(), reopen(""), "input.blank", Some("reason")),
        (
            planned(),
            retitle("GDS academy pop-up"),
            "milestone.same_title",
            Some("title"),
        ),
        (vec![], retitle("T"), "milestone.not_found", None),
    ] {
        refusal(then(&history, action), rules::ALL, code, field);
    }
}

#[test]
fn plan_on_an_unknown_blueprint_is_rejected() {
    let mut c = ctx();
    c.blueprint = BlueprintState::default();
    let err = decide(&when(plan()), &MilestoneState::default(), &c, d(TODAY));
    refusal(err, rules::ALL, "blueprint.not_found", None);
}

#[test]
fn any_command_on_a_closed_blueprint_is_rejected() {
    let mut c = ctx();
    c.blueprint.status = Some(BlueprintStatus::Closed);
    let start = when(MilestoneAction::Start {});
    let err = decide(&start, &fold(&planned()), &c, d(TODAY));
    let err = refusal(err, rules::ALL, "blueprint.closed", None);
    assert_eq!(
        err.message,
        "blueprint wm-digital is closed; it takes no new records"
    );
}

#[test]
fn plan_with_an_unregistered_owner_is_rejected() {
    let mut c = ctx();
    c.owner = Some(OrganisationState::default());
    let err = decide(&when(plan()), &MilestoneState::default(), &c, d(TODAY));
    refusal(err, rules::ALL, "organisation.not_found", Some("owner"));
}

#[test]
fn dependencies_are_planned_milestones_each_named_once() {
    let dep = MilestoneId::new("venue").unwrap();
    let mut c = ctx();
    c.dependencies.insert(dep.clone(), fold(&planned()));
    let state = MilestoneState::default();
    let ok = decide(&when(plan_after(&["venue"])), &state, &c, d(TODAY)).unwrap();
    assert!(matches!(&ok[0], EventBody::MilestonePlanned(p) if p.depends_on == vec![dep]));
    let twice = decide(&when(plan_after(&["venue", "venue"])), &state, &c, d(TODAY));
    refusal(
        twice,
        rules::ALL,
        "milestone.duplicate_dependency",
        Some("depends_on"),
    );
}

#[test]
fn commands_on_an_unknown_milestone_are_rejected() {
    let err = refusal(
        then(&[], MilestoneAction::Start {}),
        rules::ALL,
        "milestone.not_found",
        None,
    );
    assert_eq!(err.message, "milestone wm-digital/academy does not exist");
}

#[test]
fn start_a_planned_milestone() {
    assert_eq!(
        then(&planned(), MilestoneAction::Start {}).unwrap(),
        vec![MilestoneStarted {}.into()]
    );
}

#[test]
fn report_progress_within_range() {
    let reported = MilestoneProgressReported {
        percent: 40,
        note: "venue booked".into(),
    };
    assert_eq!(
        then(&started(), progress(40, "venue booked")).unwrap(),
        vec![reported.into()]
    );
}

#[test]
fn progress_on_a_planned_milestone_starts_it() {
    let events = then(&planned(), progress(10, "")).unwrap();
    assert_eq!(events[0], MilestoneStarted {}.into());
    let state: MilestoneState = fold(&[planned(), events].concat());
    assert_eq!(state.status, Some(MilestoneStatus::InProgress));
}

#[test]
fn replan_moves_the_forecast_and_keeps_the_baseline() {
    let events = then(&started(), replan("2026-12-01", "venue")).unwrap();
    let replanned = MilestoneReplanned {
        from: d("2026-09-30"),
        to: d("2026-12-01"),
        reason: "venue".into(),
    };
    assert_eq!(events, vec![replanned.into()]);
    let s: MilestoneState = fold(&[started(), events].concat());
    assert_eq!(s.baseline, Some(d("2026-09-30")));
    assert_eq!(s.forecast, Some(d("2026-12-01")));
}

#[test]
fn a_done_milestone_cannot_be_replanned() {
    let err = then(&done(), replan("2026-12-01", "late"));
    let err = refusal(err, rules::ALL, "milestone.closed", None);
    assert_eq!(
        err.message,
        "milestone wm-digital/academy is done; it cannot be replanned"
    );
    assert_eq!(err.kind, RejectionKind::Conflict);
}

#[test]
fn complete_records_the_date_and_evidence() {
    let evidence = Some("https://example.org/report");
    let completed = MilestoneCompleted {
        on: d(TODAY),
        evidence: evidence.map(Into::into),
    };
    assert_eq!(
        then(&started(), complete(TODAY, evidence)).unwrap(),
        vec![completed.into()]
    );
}

#[test]
fn complete_a_planned_milestone_starts_it_in_the_same_commit() {
    let events = then(&planned(), complete(TODAY, None)).unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0], MilestoneStarted {}.into());
}

#[test]
fn cancel_an_open_milestone_with_a_reason() {
    let cancelled = MilestoneCancelled {
        reason: "merged".into(),
    };
    assert_eq!(
        then(&planned(), cancel("merged")).unwrap(),
        vec![cancelled.into()]
    );
}

#[test]
fn reopen_returns_to_the_state_before_closing() {
    for (closed, before) in [
        (done(), MilestoneStatus::InProgress),
        (cancelled(), MilestoneStatus::Planned),
    ] {
        let events = then(&closed, reopen("evidence was wrong")).unwrap();
        let state: MilestoneState = fold(&[closed, events].concat());
        assert_eq!(state.status, Some(before));
    }
}

#[test]
fn retitle_corrects_the_title_in_any_status() {
    let retitled = MilestoneRetitled {
        title: "GDS academy: first cohort".into(),
    };
    for history in [planned(), done(), cancelled()] {
        let events = then(&history, retitle(" GDS academy: first cohort ")).unwrap();
        assert_eq!(events, vec![retitled.clone().into()]);
    }
}

fn any_action() -> impl Strategy<Value = MilestoneAction> {
    let date = (0i64..400).prop_map(|n| d("2026-01-01") + chrono::Days::new(n as u64));
    prop_oneof![
        Just(MilestoneAction::Start {}),
        (0u32..150).prop_map(|percent| progress(percent, "")),
        date.clone().prop_map(|to| MilestoneAction::Replan {
            to,
            reason: "r".into()
        }),
        date.prop_map(|on| MilestoneAction::Complete { on, evidence: None }),
        Just(cancel("c")),
        Just(reopen("o")),
    ]
}

proptest! {
    /// Whatever sequence of commands is accepted, the baseline never moves, progress stays
    /// within 0 to 100, `evolve` takes every event `decide` produced, and folding the events
    /// again gives the state built step by step.
    #[test]
    fn baseline_never_moves(actions in proptest::collection::vec(any_action(), 0..30)) {
        let mut history = planned();
        let mut state: MilestoneState = fold(&history);
        for action in actions {
            if let Ok(events) = decide(&when(action), &state, &ctx(), d(TODAY)) {
                prop_assert!(!events.is_empty());
                events.iter().for_each(|e| state.evolve(e));
                history.extend(events);
            }
            prop_assert_eq!(state.baseline, Some(d("2026-09-30")));
            prop_assert!(state.percent <= 100);
            prop_assert_eq!(&fold::<MilestoneState>(&history), &state, "folding is deterministic");
        }
    }
}

/// `allows` is the life cycle `decide` enforces: in every status, each action of the catalogue
/// with its example fields is refused when `allows` says no, and recorded when it says yes.
#[test]
fn allows_is_the_life_cycle_that_decide_enforces() {
    let mut ctx = ctx();
    let hub_lease = MilestoneId::new("hub-lease").unwrap();
    ctx.dependencies.insert(hub_lease, fold(&planned()));
    let today = d("2027-12-31");
    let states: Vec<MilestoneState> = [vec![], planned(), started(), done(), cancelled()]
        .iter()
        .map(|history| fold(history))
        .collect();
    proto::spec::check_life_cycle(
        &states,
        |s: &MilestoneState| s.status,
        allows,
        |s, action: MilestoneAction| decide(&when(action), s, &ctx, today),
    );
}
