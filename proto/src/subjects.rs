//! NATS subjects. Every token that comes from input is a validated slug, so no input can add a token.

use crate::commit::{ThingKind, ThingRef};

/// Name of the one stream that holds every event.
pub const STREAM: &str = "WAYMARK_EVENTS";
/// Subjects the stream captures.
pub const EVENTS_WILDCARD: &str = "waymark.evt.>";
/// Blueprint token under which organisations live; it has an underscore, so no slug can equal it.
pub const ORGANISATIONS_SCOPE: &str = "_org";

/// `waymark.evt.<blueprint|_org>.<kind>.<id>`: where the commits of one thing are stored.
pub fn event_subject(thing: &ThingRef) -> String {
    let scope = thing
        .blueprint
        .as_ref()
        .map_or(ORGANISATIONS_SCOPE, |b| b.as_str());
    format!("waymark.evt.{scope}.{}.{}", thing.kind.token(), thing.id)
}

/// `waymark.cmd.<kind>`: where commands for one kind of thing are sent.
pub fn command_subject(kind: ThingKind) -> String {
    format!("waymark.cmd.{}", kind.token())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{BlueprintId, OrgId};

    #[test]
    fn subjects_have_fixed_token_counts() {
        let bp = BlueprintId::new("wm-digital").unwrap();
        let m = ThingRef::milestone(&bp, &"hub-roles".parse().unwrap());
        assert_eq!(
            event_subject(&m),
            "waymark.evt.wm-digital.milestone.hub-roles"
        );
        let o = ThingRef::organisation(&OrgId::new("gds").unwrap());
        assert_eq!(event_subject(&o), "waymark.evt._org.organisation.gds");
        assert_eq!(
            event_subject(&ThingRef::blueprint(&bp)),
            "waymark.evt.wm-digital.blueprint.wm-digital"
        );
        assert_eq!(command_subject(ThingKind::Pledge), "waymark.cmd.pledge");
    }
}
