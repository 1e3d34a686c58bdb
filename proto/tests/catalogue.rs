//! The command catalogue agrees with the types it is derived from: every action's name and fields
//! are those serde reads, a required field is one serde cannot do without, every example is a
//! valid command, and every choice's value is the one serde writes.

use proto::spec::{self, Actions, Choices, Input};
use proto::{
    BlueprintAction, CommitmentAction, CommitmentKind, MilestoneAction, OrgType,
    OrganisationAction, PledgeAction, Resource, ThingKind,
};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

fn check<A: Actions + DeserializeOwned + std::fmt::Debug>() {
    let kind = spec::kind(A::KIND);
    assert!(
        kind.actions[0].creates,
        "{:?}: the creating action comes first",
        A::KIND
    );
    assert_eq!(kind.actions.iter().filter(|a| a.creates).count(), 1);
    for action in A::SPECS {
        let example = action.example();
        let parsed: A =
            serde_json::from_value(json!({ action.name: example })).unwrap_or_else(|e| {
                panic!(
                    "{} {}: the example is refused: {e}",
                    A::KIND.token(),
                    action.name
                )
            });
        assert_eq!(parsed.name(), action.name);
        assert_eq!(parsed.spec(), action);
        assert_eq!(
            example.len(),
            action.fields.len(),
            "{} {}: every field has an example",
            A::KIND.token(),
            action.name
        );
        for field in action.fields {
            let mut without = example.clone();
            without.remove(field.name);
            let accepted = serde_json::from_value::<A>(json!({ action.name: without })).is_ok();
            assert_eq!(
                accepted,
                !field.required,
                "{} {}.{}: required in the catalogue is {}, but serde {} it left out",
                A::KIND.token(),
                action.name,
                field.name,
                field.required,
                if accepted { "accepts" } else { "refuses" }
            );
            assert!(!field.label.is_empty());
        }
        assert!(!action.help.is_empty() && !action.title.is_empty());
    }
}

#[test]
fn the_catalogue_is_the_types() {
    check::<OrganisationAction>();
    check::<BlueprintAction>();
    check::<MilestoneAction>();
    check::<CommitmentAction>();
    check::<PledgeAction>();
    assert_eq!(
        spec::KINDS.iter().map(|k| k.kind).collect::<Vec<_>>(),
        ThingKind::ALL
    );
}

fn check_choices<C: Choices + serde::Serialize>() {
    assert_eq!(C::ALL.len(), C::CHOICES.len());
    for (value, choice) in C::ALL.iter().zip(C::CHOICES) {
        assert_eq!(
            serde_json::to_value(value).unwrap(),
            Value::from(choice.value)
        );
        assert!(!choice.help.is_empty(), "{} has no help", choice.value);
    }
}

#[test]
fn choices_are_the_values_serde_writes() {
    check_choices::<OrgType>();
    check_choices::<CommitmentKind>();
    check_choices::<Resource>();
    assert_eq!(OrgType::Nhs.label(), "NHS");
    assert_eq!(CommitmentKind::EventHosting.value(), "event_hosting");
}

#[test]
fn names_for_paths_and_operations() {
    let replan = spec::kind(ThingKind::Milestone).action("replan").unwrap();
    assert_eq!(replan.operation_id(), "replanMilestone");
    let progress = spec::kind(ThingKind::Milestone)
        .action("report-progress")
        .unwrap();
    assert_eq!(progress.slug(), "report-progress");
    assert_eq!(progress.operation_id(), "reportProgressMilestone");
    assert!(spec::kind(ThingKind::Milestone).action("fly").is_none());
}

#[test]
fn typed_text_becomes_the_wire_value_and_back() {
    let make = spec::kind(ThingKind::Pledge).create();
    let amount = make.field("amount").unwrap();
    assert_eq!(amount.parse("£1,250.5"), Some(Ok(json!(125_050))));
    assert_eq!(amount.format(&json!(125_050)), "1250.50");
    assert!(
        amount
            .parse("lots")
            .unwrap()
            .unwrap_err()
            .to_string()
            .contains("Amount")
    );
    assert_eq!(amount.parse("  "), None);
    let resource = make.field("resource").unwrap();
    assert_eq!(resource.parse("staff-time"), Some(Ok(json!("staff_time"))));
    assert!(
        resource
            .parse("gold")
            .unwrap()
            .unwrap_err()
            .to_string()
            .contains("money, staff_time")
    );
    let plan = spec::kind(ThingKind::Milestone).create();
    let deps = plan.field("depends_on").unwrap();
    assert_eq!(deps.parse("a, b;c"), Some(Ok(json!(["a", "b", "c"]))));
    assert!(deps.parse("a a").unwrap().is_err());
    assert_eq!(deps.format(&json!(["a", "b"])), "a b");
    let percent = spec::kind(ThingKind::Milestone)
        .action("report_progress")
        .unwrap()
        .field("percent")
        .unwrap();
    assert_eq!(percent.input, Input::Percent);
    assert!(percent.parse("101").unwrap().is_err());
    assert!(
        plan.field("title")
            .unwrap()
            .parse(&"x".repeat(201))
            .unwrap()
            .is_err()
    );
}
