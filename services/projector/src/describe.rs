//! One sentence per event for history views: what changed, from what to what, and why. Each
//! sentence is written when the event is projected, from the event and the thing as it stood just
//! before it.

use proto::{EventBody, Resource};

use crate::views::{BlueprintView, CommitmentView, MilestoneView, OrganisationView, PledgeView};

/// The thing an event applies to, as it stood before the event (nothing for a creating event).
#[derive(Debug, Clone, Copy)]
pub enum Before<'a> {
    Nothing,
    Organisation(&'a OrganisationView),
    Blueprint(&'a BlueprintView),
    Milestone(&'a MilestoneView),
    Commitment(&'a CommitmentView),
    Pledge(&'a PledgeView),
}

/// A view that history sentences can see as it stood before an event.
pub(crate) trait Described {
    fn before(&self) -> Before<'_>;
}

macro_rules! described {
    ($($view:ident => $variant:ident),*) => {$(
        impl Described for $view {
            fn before(&self) -> Before<'_> {
                Before::$variant(self)
            }
        }
    )*};
}
described!(
    OrganisationView => Organisation,
    BlueprintView => Blueprint,
    MilestoneView => Milestone,
    CommitmentView => Commitment,
    PledgeView => Pledge
);

fn with_note(text: String, note: &str) -> String {
    if note.is_empty() {
        text
    } else {
        format!("{text}: {note}")
    }
}

/// Describes an event for people reading a history.
pub fn describe(event: &EventBody, before: Before<'_>, occurred_on: chrono::NaiveDate) -> String {
    use EventBody as E;
    let resource = match before {
        Before::Pledge(p) => Some(p.resource),
        _ => None,
    };
    let amount = |a: u64| resource.map_or_else(|| a.to_string(), |r| r.format(a));
    match event {
        E::OrganisationRegistered(e) => format!("Registered {} ({})", e.name, e.org_type.label()),
        E::OrganisationRenamed(e) => match before {
            Before::Organisation(o) => format!("Renamed from {} to {}", o.name, e.name),
            _ => format!("Renamed to {}", e.name),
        },
        E::BlueprintDrafted(e) => format!(
            "Drafted \"{}\", {} to {}, funding target {}",
            e.title,
            e.start_date,
            e.target_end_date,
            Resource::Money.format(e.funding_target)
        ),
        E::BlueprintPublished(_) => "Published".to_owned(),
        E::BlueprintClosed(e) => format!("Closed: {}", e.reason),
        E::WorkstreamAdded(e) => format!(
            "Added workstream {} \"{}\", led by {}",
            e.workstream, e.title, e.lead_org
        ),
        E::WorkstreamRenamed(e) => {
            let old = match before {
                Before::Blueprint(b) => b
                    .workstreams
                    .iter()
                    .find(|w| w.id == e.workstream.as_str())
                    .map(|w| w.title.clone()),
                _ => None,
            };
            match old {
                Some(old) => format!(
                    "Renamed workstream {} from \"{old}\" to \"{}\"",
                    e.workstream, e.title
                ),
                None => format!("Renamed workstream {} to \"{}\"", e.workstream, e.title),
            }
        }
        E::WorkstreamRetired(e) => format!("Retired workstream {}: {}", e.workstream, e.reason),
        E::PartnerJoined(e) => format!("{} joined as a partner", e.org),
        E::PartnerLeft(e) => format!("{} left: {}", e.org, e.reason),
        E::TargetSet(e) => format!(
            "Set target {} \"{}\": {} {}",
            e.target, e.title, e.target_value, e.unit
        ),
        E::TargetReported(e) => {
            let shown = match before {
                Before::Blueprint(b) => b.targets.iter().find(|t| t.id == e.target.as_str()),
                _ => None,
            };
            let text = match shown.and_then(|t| t.reported_value.zip(t.reported_on)) {
                Some((old, on)) if on > occurred_on => format!(
                    "Reported {} for target {}, dated before the report of {old} that stands",
                    e.value, e.target
                ),
                Some((old, _)) => format!("Reported target {} from {old} to {}", e.target, e.value),
                None => format!("Reported {} for target {}", e.value, e.target),
            };
            with_note(text, &e.note)
        }
        E::MilestonePlanned(e) => format!(
            "Planned \"{}\" for {}, owned by {}",
            e.title, e.due, e.owner
        ),
        E::MilestoneStarted(_) => "Started".to_owned(),
        E::MilestoneProgressReported(e) => {
            let text = match before {
                Before::Milestone(m) if m.progress_on.is_some_and(|d| d > occurred_on) => format!(
                    "Progress reported at {}%, dated before the {}% report that stands",
                    e.percent, m.percent
                ),
                Before::Milestone(m) if m.percent != e.percent => {
                    format!("Progress from {}% to {}%", m.percent, e.percent)
                }
                _ => format!("Progress reported at {}%", e.percent),
            };
            with_note(text, &e.note)
        }
        E::MilestoneReplanned(e) => format!("Replanned from {} to {}: {}", e.from, e.to, e.reason),
        E::MilestoneCompleted(e) => match &e.evidence {
            Some(link) => format!("Completed on {} (evidence: {link})", e.on),
            None => format!("Completed on {}", e.on),
        },
        E::MilestoneCancelled(e) => format!("Cancelled: {}", e.reason),
        E::MilestoneReopened(e) => format!("Reopened: {}", e.reason),
        E::CommitmentMade(e) => format!(
            "{} committed {} {} of {} by {}: {}",
            e.partner,
            e.quantity,
            e.unit,
            e.kind.label(),
            e.due,
            e.description
        ),
        E::CommitmentDeliveryRecorded(e) => {
            let text = match before {
                Before::Commitment(c) => format!(
                    "Delivered {}, bringing {} to {} of {}",
                    e.quantity,
                    c.unit,
                    c.delivered.saturating_add(e.quantity),
                    c.quantity
                ),
                _ => format!("Delivered {}", e.quantity),
            };
            with_note(text, &e.note)
        }
        E::CommitmentAmended(e) => {
            let mut changes = Vec::new();
            let c = match before {
                Before::Commitment(c) => Some(c),
                _ => None,
            };
            if let Some(q) = e.quantity {
                changes.push(match c {
                    Some(c) => format!("quantity from {} to {q} {}", c.quantity, c.unit),
                    None => format!("quantity to {q}"),
                });
            }
            if let Some(d) = e.due {
                changes.push(match c {
                    Some(c) => format!("due date from {} to {d}", c.due),
                    None => format!("due date to {d}"),
                });
            }
            format!("Amended {}: {}", changes.join(" and "), e.reason)
        }
        E::CommitmentFulfilled(_) => "Fulfilled".to_owned(),
        E::CommitmentWithdrawn(e) => format!("Withdrawn: {}", e.reason),
        E::PledgeMade(e) => {
            let text = format!("{} pledged {}", e.sponsor, e.resource.format(e.amount));
            if e.conditions.is_empty() {
                text
            } else {
                format!("{text}, on condition: {}", e.conditions)
            }
        }
        E::PledgeConfirmed(e) => match before {
            Before::Pledge(p) if p.pledged != e.amount => {
                format!(
                    "Confirmed {} (pledged {})",
                    amount(e.amount),
                    amount(p.pledged)
                )
            }
            _ => format!("Confirmed {}", amount(e.amount)),
        },
        E::PledgeDisbursed(e) => {
            let text = match before {
                Before::Pledge(p) => format!(
                    "Disbursed {}, bringing payments to {} of {} confirmed",
                    amount(e.amount),
                    amount(p.disbursed.saturating_add(e.amount)),
                    amount(p.confirmed.unwrap_or(0))
                ),
                _ => format!("Disbursed {}", amount(e.amount)),
            };
            with_note(text, &e.note)
        }
        E::PledgeWithdrawn(e) => format!("Withdrawn: {}", e.reason),
        E::PledgeClosed(_) => "Closed".to_owned(),
        E::MilestoneRetitled(e) => match before {
            Before::Milestone(m) => format!("Retitled from \"{}\" to \"{}\"", m.title, e.title),
            _ => format!("Retitled \"{}\"", e.title),
        },
        E::CommitmentRetitled(e) => format!("Description corrected to \"{}\"", e.description),
        E::PledgeRetitled(e) => format!("Titled \"{}\"", e.title),
        E::CommitVoided(e) => format!(
            "Passed over change #{}, which cannot be read: {}",
            e.seq, e.reason
        ),
    }
}
