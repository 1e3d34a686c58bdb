//! One sentence per event for history views: what changed, from what to what, and why.

use proto::{EventBody, Resource};

/// Describes an event for people reading a history. `resource` is the pledge's resource, which
/// gives confirmation and disbursement amounts their unit.
pub fn describe(event: &EventBody, resource: Option<Resource>) -> String {
    let amount = |a: u64| resource.map_or_else(|| a.to_string(), |r| r.format(a));
    use EventBody as E;
    let with_note = |text: String, note: &str| {
        if note.is_empty() {
            text
        } else {
            format!("{text}: {note}")
        }
    };
    match event {
        E::OrganisationRegistered(e) => format!("Registered {} ({})", e.name, e.org_type.label()),
        E::OrganisationRenamed(e) => format!("Renamed to {}", e.name),
        E::BlueprintDrafted(e) => format!(
            "Drafted \"{}\", {} to {}, funding target {}",
            e.title,
            e.start_date,
            e.target_end_date,
            proto::Resource::Money.format(e.funding_target)
        ),
        E::BlueprintPublished(_) => "Published".to_owned(),
        E::BlueprintClosed(e) => format!("Closed: {}", e.reason),
        E::WorkstreamAdded(e) => format!(
            "Added workstream {} \"{}\", led by {}",
            e.workstream, e.title, e.lead_org
        ),
        E::WorkstreamRenamed(e) => {
            format!("Renamed workstream {} to \"{}\"", e.workstream, e.title)
        }
        E::WorkstreamRetired(e) => format!("Retired workstream {}: {}", e.workstream, e.reason),
        E::PartnerJoined(e) => format!("{} joined as a partner", e.org),
        E::PartnerLeft(e) => format!("{} left: {}", e.org, e.reason),
        E::TargetSet(e) => format!(
            "Set target {} \"{}\": {} {}",
            e.target, e.title, e.target_value, e.unit
        ),
        E::TargetReported(e) => with_note(
            format!("Reported {} for target {}", e.value, e.target),
            &e.note,
        ),
        E::MilestonePlanned(e) => format!(
            "Planned \"{}\" for {}, owned by {}",
            e.title, e.due, e.owner
        ),
        E::MilestoneStarted(_) => "Started".to_owned(),
        E::MilestoneProgressReported(e) => {
            with_note(format!("Progress reported at {}%", e.percent), &e.note)
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
        E::CommitmentDeliveryRecorded(e) => with_note(format!("Delivered {}", e.quantity), &e.note),
        E::CommitmentAmended(e) => {
            let mut changes = Vec::new();
            if let Some(q) = e.quantity {
                changes.push(format!("quantity to {q}"));
            }
            if let Some(d) = e.due {
                changes.push(format!("due date to {d}"));
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
        E::PledgeConfirmed(e) => format!("Confirmed {}", amount(e.amount)),
        E::PledgeDisbursed(e) => with_note(format!("Disbursed {}", amount(e.amount)), &e.note),
        E::PledgeWithdrawn(e) => format!("Withdrawn: {}", e.reason),
        E::PledgeClosed(_) => "Closed".to_owned(),
    }
}
