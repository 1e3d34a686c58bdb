//! Organisations: registered once, reused across blueprints, and renamable.

use chrono::NaiveDate;
use directory::OrganisationState;
use eventstore::{StoreError, StreamReader};
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
        _reader: &StreamReader,
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
    use eventstore::Aggregate;
    use proto::{OrgId, OrgType};

    fn given(events: &[EventBody]) -> OrganisationState {
        let mut s = OrganisationState::default();
        events.iter().for_each(|e| s.evolve(e));
        s
    }

    fn cmd(action: OrganisationAction) -> OrganisationCommand {
        OrganisationCommand {
            organisation: OrgId::new("gds").unwrap(),
            action,
        }
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
        let events = decide(
            &cmd(OrganisationAction::Register {
                name: " GDS ".into(),
                org_type: OrgType::CentralGovernment,
            }),
            &given(&[]),
        )
        .unwrap();
        assert_eq!(
            events,
            vec![
                OrganisationRegistered {
                    name: "GDS".into(),
                    org_type: OrgType::CentralGovernment
                }
                .into()
            ]
        );
    }

    #[test]
    fn register_twice_is_rejected() {
        let err = decide(
            &cmd(OrganisationAction::Register {
                name: "GDS".into(),
                org_type: OrgType::Other,
            }),
            &given(&[registered()]),
        )
        .unwrap_err();
        assert_eq!(err.code, "organisation.already_registered");
        assert!(err.message.contains("gds"));
    }

    #[test]
    fn register_with_a_blank_name_is_rejected() {
        let err = decide(
            &cmd(OrganisationAction::Register {
                name: "  ".into(),
                org_type: OrgType::Other,
            }),
            &given(&[]),
        )
        .unwrap_err();
        assert_eq!(err.code, "input.blank");
        assert_eq!(err.field.as_deref(), Some("name"));
    }

    #[test]
    fn rename_a_registered_organisation() {
        let events = decide(
            &cmd(OrganisationAction::Rename { name: "GDS".into() }),
            &given(&[registered()]),
        )
        .unwrap();
        assert_eq!(
            events,
            vec![OrganisationRenamed { name: "GDS".into() }.into()]
        );
    }

    #[test]
    fn rename_an_unknown_organisation_is_rejected() {
        let err = decide(
            &cmd(OrganisationAction::Rename { name: "GDS".into() }),
            &given(&[]),
        )
        .unwrap_err();
        assert_eq!(err.code, "organisation.not_found");
    }

    #[test]
    fn rename_to_the_same_name_is_rejected() {
        let err = decide(
            &cmd(OrganisationAction::Rename {
                name: "Government Digital Service".into(),
            }),
            &given(&[registered()]),
        )
        .unwrap_err();
        assert_eq!(err.code, "organisation.same_name");
    }
}
