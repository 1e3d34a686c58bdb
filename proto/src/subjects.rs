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

/// `waymark.evt._org.organisation.*` or `waymark.evt.*.<kind>.*`: the subjects of every thing of
/// `kind`.
pub fn kind_wildcard(kind: ThingKind) -> String {
    match kind {
        ThingKind::Organisation => format!("waymark.evt.{ORGANISATIONS_SCOPE}.organisation.*"),
        kind => format!("waymark.evt.*.{}.*", kind.token()),
    }
}

/// `waymark.cmd.<kind>`: where commands for one kind of thing are sent.
pub fn command_subject(kind: ThingKind) -> String {
    format!("waymark.cmd.{}", kind.token())
}

/// The thing whose commits `subject` holds: the inverse of [`event_subject`]. None for a subject
/// that is not a thing's (wrong prefix, unknown kind, a token that is not a slug).
pub fn thing_of_subject(subject: &str) -> Option<ThingRef> {
    let mut tokens = subject.strip_prefix("waymark.evt.")?.split('.');
    let (scope, kind, id) = (tokens.next()?, tokens.next()?, tokens.next()?);
    if tokens.next().is_some() {
        return None;
    }
    let kind = ThingKind::from_token(kind)?;
    let thing = match (scope, kind) {
        (ORGANISATIONS_SCOPE, ThingKind::Organisation) => {
            ThingRef::organisation(&crate::ids::OrgId::new(id).ok()?)
        }
        (ORGANISATIONS_SCOPE, _) | (_, ThingKind::Organisation) => return None,
        (bp, ThingKind::Blueprint) if bp == id => {
            ThingRef::blueprint(&crate::ids::BlueprintId::new(bp).ok()?)
        }
        (_, ThingKind::Blueprint) => return None,
        (bp, kind) => {
            use crate::ids::{BlueprintId, CommitmentId, MilestoneId, PledgeId};
            let bp = BlueprintId::new(bp).ok()?;
            match kind {
                ThingKind::Milestone => ThingRef::milestone(&bp, &MilestoneId::new(id).ok()?),
                ThingKind::Commitment => ThingRef::commitment(&bp, &CommitmentId::new(id).ok()?),
                _ => ThingRef::pledge(&bp, &PledgeId::new(id).ok()?),
            }
        }
    };
    Some(thing)
}

/// `waymark.cmd.<kind>.void`: where an operator's request to void an unreadable commit on a thing
/// of one kind is sent; the kind's own service appends the record.
pub fn void_subject(kind: ThingKind) -> String {
    format!("{}.void", command_subject(kind))
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
        assert_eq!(
            kind_wildcard(ThingKind::Organisation),
            "waymark.evt._org.organisation.*"
        );
        assert_eq!(
            kind_wildcard(ThingKind::Blueprint),
            "waymark.evt.*.blueprint.*"
        );
        for thing in [&m, &o, &ThingRef::blueprint(&bp)] {
            assert_eq!(
                thing_of_subject(&event_subject(thing)).as_ref(),
                Some(thing)
            );
        }
    }

    #[test]
    fn a_subject_that_is_not_a_things_names_no_thing() {
        for subject in [
            "waymark.evt.wm.milestone",
            "waymark.evt.wm.milestone.a.b",
            "waymark.evt.wm.rocket.a",
            "waymark.evt._org.milestone.a",
            "waymark.evt.wm.organisation.gds",
            "waymark.evt.wm.blueprint.other",
            "waymark.evt.wm.milestone.Not_A_Slug",
            "waymark.cmd.milestone",
        ] {
            assert_eq!(thing_of_subject(subject), None, "{subject}");
        }
    }
}
