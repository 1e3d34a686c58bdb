//! Properties of the blueprint decider over random sequences of every action (each with the
//! catalogue's example fields): a closed blueprint accepts nothing, `evolve` takes whatever
//! `decide` produced, and folding the same events always gives the same state.

use blueprints::blueprint::{KnownOrganisations, decide};
use directory::{BlueprintState, OrganisationState};
use eventstore::Aggregate;
use proptest::prelude::*;
use proto::commands::{BlueprintAction, BlueprintCommand};
use proto::lifecycle::BlueprintStatus;
use proto::{Actions, BlueprintId, EventBody, OrgId, OrgType};

/// Every organisation the examples name, registered.
fn orgs() -> KnownOrganisations {
    ["wmca", "hmcts", "gds"]
        .into_iter()
        .map(|id| {
            let state = OrganisationState {
                name: Some(id.to_uppercase()),
                org_type: Some(OrgType::CentralGovernment),
            };
            (OrgId::new(id).unwrap(), state)
        })
        .collect()
}

fn fold(events: &[EventBody]) -> BlueprintState {
    let mut state = BlueprintState::default();
    events.iter().for_each(|e| state.evolve(e));
    state
}

fn command(index: usize) -> BlueprintCommand {
    let spec = &BlueprintAction::SPECS[index % BlueprintAction::SPECS.len()];
    BlueprintCommand {
        blueprint: BlueprintId::new("wm-digital").unwrap(),
        action: proto::spec::example(spec),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn a_closed_blueprint_accepts_nothing_and_folds_are_deterministic(
        steps in proptest::collection::vec(0usize..64, 0..40)
    ) {
        let orgs = orgs();
        let mut events: Vec<EventBody> = Vec::new();
        let mut state = BlueprintState::default();
        for step in steps {
            let cmd = command(step);
            let was_closed = state.status == Some(BlueprintStatus::Closed);
            match decide(&cmd, &state, &orgs) {
                Ok(out) => {
                    prop_assert!(!was_closed, "a closed blueprint accepted {:?}", cmd.action);
                    prop_assert!(!out.is_empty(), "an accepted command records something");
                    for event in &out {
                        state.evolve(event);
                    }
                    events.extend(out);
                }
                Err(refusal) => {
                    prop_assert!(!refusal.code.is_empty() && !refusal.message.is_empty());
                }
            }
            prop_assert_eq!(&fold(&events), &state, "folding again gives the same state");
        }
    }
}

/// The walk above reaches a closed blueprint, so the property is not vacuous.
#[test]
fn the_examples_reach_a_closed_blueprint() {
    let orgs = orgs();
    let mut state = BlueprintState::default();
    for name in ["draft", "publish", "close"] {
        let index = BlueprintAction::SPECS
            .iter()
            .position(|s| s.name == name)
            .unwrap();
        let out = decide(&command(index), &state, &orgs).unwrap();
        out.iter().for_each(|e| state.evolve(e));
    }
    assert_eq!(state.status, Some(BlueprintStatus::Closed));
}
