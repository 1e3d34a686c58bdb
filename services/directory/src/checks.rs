//! The checks every service's rules make against organisations and blueprints.

use proto::{BlueprintId, BlueprintStatus, OrgId, Rejection, WorkstreamId};

use crate::blueprint::BlueprintState;

/// The rules every service checks against blueprints, workstreams and organisations, declared once.
pub mod rules {
    proto::rules! {
        /// A record names a blueprint that was drafted.
        BLUEPRINT_NOT_FOUND: NotFound "blueprint.not_found";
        /// A closed blueprint takes no new records of any kind.
        BLUEPRINT_CLOSED: Conflict "blueprint.closed";
        /// An organisation named by a record, or renamed, is registered.
        ORGANISATION_NOT_FOUND: NotFound "organisation.not_found";
        /// A record names a workstream of its blueprint.
        WORKSTREAM_NOT_FOUND: NotFound "workstream.not_found";
        /// A retired workstream takes no new milestones or pledges.
        WORKSTREAM_RETIRED: Conflict "workstream.retired";
        /// A token limited to one organisation records only that organisation's things.
        OTHER_ORGANISATION: Forbidden "actor.other_organisation";
    }
}
use crate::organisation::OrganisationState;

/// The blueprint must exist and not be closed: a closed blueprint takes no new records.
pub fn require_open_blueprint<'a>(
    id: &BlueprintId,
    bp: &'a BlueprintState,
) -> Result<&'a BlueprintState, Rejection> {
    match bp.status {
        None => Err(rules::BLUEPRINT_NOT_FOUND.refuse(format!("blueprint {id} does not exist"))),
        Some(BlueprintStatus::Closed) => Err(rules::BLUEPRINT_CLOSED
            .refuse(format!("blueprint {id} is closed; it takes no new records"))),
        Some(_) => Ok(bp),
    }
}

/// The organisation must be registered.
pub fn require_organisation(
    org: &OrgId,
    state: &OrganisationState,
    field: &str,
) -> Result<(), Rejection> {
    if state.name.is_none() {
        return Err(rules::ORGANISATION_NOT_FOUND
            .refuse(format!(
                "organisation {org} is not registered; register it first"
            ))
            .on_field(field));
    }
    Ok(())
}

/// The workstream must exist in the blueprint and not be retired.
pub fn require_active_workstream(
    bp_id: &BlueprintId,
    bp: &BlueprintState,
    ws: &WorkstreamId,
    field: &str,
) -> Result<(), Rejection> {
    match bp.workstreams.get(ws) {
        None => Err(rules::WORKSTREAM_NOT_FOUND
            .refuse(format!("workstream {bp_id}/{ws} does not exist"))
            .on_field(field)),
        Some(w) if w.retired => Err(rules::WORKSTREAM_RETIRED
            .refuse(format!(
                "workstream {bp_id}/{ws} is retired; it takes no new records"
            ))
            .on_field(field)),
        Some(_) => Ok(()),
    }
}

/// An actor limited to one organisation may only change what belongs to that organisation.
pub fn require_actor_org(
    actor: &proto::Actor,
    owner: Option<&OrgId>,
    thing: &str,
) -> Result<(), Rejection> {
    match (&actor.org, owner) {
        (Some(mine), Some(theirs)) if mine != theirs => {
            Err(rules::OTHER_ORGANISATION.refuse(format!(
                "{} records for {mine} only; {thing} belongs to {theirs}",
                actor.name
            )))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proto::{Actor, RejectionKind};

    #[test]
    fn a_limited_actor_may_change_only_its_own_organisations_things() {
        let gds = OrgId::new("gds").unwrap();
        let wmca = OrgId::new("wmca").unwrap();
        let limited = Actor {
            name: "gds-partner".into(),
            org: Some(gds.clone()),
        };
        assert!(require_actor_org(&limited, Some(&gds), "commitment wm/x").is_ok());
        let err = require_actor_org(&limited, Some(&wmca), "commitment wm/x").unwrap_err();
        assert_eq!(err.kind, RejectionKind::Forbidden);
        assert_eq!(err.code, "actor.other_organisation");
        assert!(require_actor_org(&Actor::named("pm"), Some(&wmca), "commitment wm/x").is_ok());
    }
}
