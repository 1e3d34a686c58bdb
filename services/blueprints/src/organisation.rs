//! Organisations: registered once, reused across blueprints, and renamable.

use chrono::NaiveDate;
use directory::OrganisationState;
use eventstore::{Reads, StoreError};
use proto::{
    EventBody, OrganisationAction, OrganisationCommand, OrganisationRegistered,
    OrganisationRenamed, Rejection, text,
};
use service_runtime::Handler;

/// The organisation rules, declared once; refusals are made from these and the rules reference
/// lists them.
pub mod rules {
    proto::rules! {
        /// An organisation is registered once; its id cannot be registered again.
        ALREADY_REGISTERED: Conflict "organisation.already_registered";
        /// A rename changes the name.
        SAME_NAME: Conflict "organisation.same_name";
    }
}

/// The pure rules for organisation commands.
pub fn decide(
    cmd: &OrganisationCommand,
    state: &OrganisationState,
) -> Result<Vec<EventBody>, Rejection> {
    let id = &cmd.organisation;
    match &cmd.action {
        OrganisationAction::Register { name, org_type } => {
            if state.name.is_some() {
                return Err(rules::ALREADY_REGISTERED
                    .refuse(format!("organisation {id} is already registered")));
            }
            text::title("name", name)?;
            Ok(vec![
                OrganisationRegistered {
                    name: name.trim().to_owned(),
                    org_type: *org_type,
                }
                .into(),
            ])
        }
        OrganisationAction::Rename { name } => {
            let Some(current) = &state.name else {
                return Err(directory::checks::rules::ORGANISATION_NOT_FOUND
                    .refuse(format!("organisation {id} is not registered")));
            };
            text::title("name", name)?;
            if current == name.trim() {
                return Err(rules::SAME_NAME
                    .refuse(format!("organisation {id} is already named {current:?}")));
            }
            Ok(vec![
                OrganisationRenamed {
                    name: name.trim().to_owned(),
                }
                .into(),
            ])
        }
    }
}

/// Plugs the organisation rules into the command runtime.
#[derive(Default)]
pub struct OrganisationHandler;

impl Handler for OrganisationHandler {
    type Command = OrganisationCommand;
    type State = OrganisationState;
    type Context = ();

    async fn context(
        &self,
        _reads: Reads<'_>,
        _command: &OrganisationCommand,
    ) -> Result<(), StoreError> {
        Ok(())
    }

    fn decide(
        &self,
        command: &OrganisationCommand,
        state: &OrganisationState,
        _: &(),
        _today: NaiveDate,
    ) -> Result<Vec<EventBody>, Rejection> {
        decide(command, state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::{OrgId, OrgType};

    /// What organisation gds answers to `action` after `history`.
    fn then(
        history: &[EventBody],
        action: OrganisationAction,
    ) -> Result<Vec<EventBody>, Rejection> {
        let organisation = OrgId::new("gds").unwrap();
        let command = OrganisationCommand {
            organisation,
            action,
        };
        decide(&command, &directory::testing::fold(history))
    }

    fn register(name: &str, org_type: OrgType) -> OrganisationAction {
        OrganisationAction::Register {
            name: name.into(),
            org_type,
        }
    }

    fn rename(name: &str) -> OrganisationAction {
        OrganisationAction::Rename { name: name.into() }
    }

    fn registered() -> EventBody {
        OrganisationRegistered {
            name: "Government Digital Service".into(),
            org_type: OrgType::CentralGovernment,
        }
        .into()
    }

    #[test]
    fn register_a_new_organisation() {
        let events = then(&[], register(" GDS ", OrgType::CentralGovernment)).unwrap();
        let gds = OrganisationRegistered {
            name: "GDS".into(),
            org_type: OrgType::CentralGovernment,
        };
        assert_eq!(events, vec![gds.into()]);
    }

    #[test]
    fn rename_a_registered_organisation() {
        let events = then(&[registered()], rename("GDS")).unwrap();
        let renamed = OrganisationRenamed { name: "GDS".into() };
        assert_eq!(events, vec![renamed.into()]);
    }

    /// Each refusal is by its rule, on its field or with a message naming the organisation.
    #[test]
    fn every_refusal_names_its_rule() {
        let same = "Government Digital Service";
        for (history, action, code, field) in [
            (
                vec![registered()],
                register("GDS", OrgType::Other),
                "organisation.already_registered",
                None,
            ),
            (
                vec![],
                register("  ", OrgType::Other),
                "input.blank",
                Some("name"),
            ),
            (vec![], rename("GDS"), "organisation.not_found", None),
            (
                vec![registered()],
                rename(same),
                "organisation.same_name",
                None,
            ),
        ] {
            let refusal =
                directory::testing::refusal(then(&history, action), rules::ALL, code, field);
            assert!(
                field.is_some() || refusal.message.contains("gds"),
                "{refusal:?}"
            );
        }
    }
}
