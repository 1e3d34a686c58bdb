//! Blueprints: drafted, published, closed; with workstreams, partners and targets.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;
use eventstore::{Aggregate, EventStore, Handler, StoreError};
use proto::events::*;
use proto::{
    BlueprintAction, BlueprintCommand, EventBody, OrgId, Rejection, TargetId, WorkstreamId, text,
};

use crate::directory::{Directory, require_organisation};
use crate::organisation::OrganisationState;

/// Where a blueprint is in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlueprintStatus {
    Draft,
    Published,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workstream {
    pub title: String,
    pub lead_org: OrgId,
    pub retired: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub title: String,
    pub unit: String,
    pub target_value: u64,
    pub reported: Option<u64>,
}

/// The folded state of one blueprint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlueprintState {
    /// None until drafted.
    pub status: Option<BlueprintStatus>,
    pub title: String,
    pub lead_org: Option<OrgId>,
    pub start_date: Option<NaiveDate>,
    pub target_end_date: Option<NaiveDate>,
    pub workstreams: BTreeMap<WorkstreamId, Workstream>,
    /// Organisations that joined and have not left.
    pub partners: BTreeSet<OrgId>,
    pub targets: BTreeMap<TargetId, Target>,
}

impl Aggregate for BlueprintState {
    fn evolve(&mut self, event: &EventBody) {
        match event {
            EventBody::BlueprintDrafted(e) => {
                self.status = Some(BlueprintStatus::Draft);
                self.title = e.title.clone();
                self.lead_org = Some(e.lead_org.clone());
                self.start_date = Some(e.start_date);
                self.target_end_date = Some(e.target_end_date);
            }
            EventBody::BlueprintPublished(_) => self.status = Some(BlueprintStatus::Published),
            EventBody::BlueprintClosed(_) => self.status = Some(BlueprintStatus::Closed),
            EventBody::WorkstreamAdded(e) => {
                self.workstreams.insert(
                    e.workstream.clone(),
                    Workstream {
                        title: e.title.clone(),
                        lead_org: e.lead_org.clone(),
                        retired: false,
                    },
                );
            }
            EventBody::WorkstreamRenamed(e) => {
                if let Some(w) = self.workstreams.get_mut(&e.workstream) {
                    w.title = e.title.clone();
                }
            }
            EventBody::WorkstreamRetired(e) => {
                if let Some(w) = self.workstreams.get_mut(&e.workstream) {
                    w.retired = true;
                }
            }
            EventBody::PartnerJoined(e) => {
                self.partners.insert(e.org.clone());
            }
            EventBody::PartnerLeft(e) => {
                self.partners.remove(&e.org);
            }
            EventBody::TargetSet(e) => {
                let reported = self.targets.get(&e.target).and_then(|t| t.reported);
                self.targets.insert(
                    e.target.clone(),
                    Target {
                        title: e.title.clone(),
                        unit: e.unit.clone(),
                        target_value: e.target_value,
                        reported,
                    },
                );
            }
            EventBody::TargetReported(e) => {
                if let Some(t) = self.targets.get_mut(&e.target) {
                    t.reported = Some(e.value);
                }
            }
            _ => {}
        }
    }
}

/// Organisations a blueprint command names, with whether each is registered.
pub type KnownOrganisations = HashMap<OrgId, OrganisationState>;

fn org_state<'a>(orgs: &'a KnownOrganisations, org: &OrgId) -> &'a OrganisationState {
    static UNKNOWN: std::sync::OnceLock<OrganisationState> = std::sync::OnceLock::new();
    orgs.get(org)
        .unwrap_or_else(|| UNKNOWN.get_or_init(OrganisationState::default))
}

/// The pure rules for blueprint commands.
pub fn decide(
    cmd: &BlueprintCommand,
    state: &BlueprintState,
    orgs: &KnownOrganisations,
) -> Result<Vec<EventBody>, Rejection> {
    let id = &cmd.blueprint;
    if let BlueprintAction::Draft {
        title,
        summary,
        lead_org,
        start_date,
        target_end_date,
        funding_target,
        staff_time_target,
    } = &cmd.action
    {
        if state.status.is_some() {
            return Err(Rejection::conflict(
                "blueprint.already_exists",
                format!("blueprint {id} already exists"),
            ));
        }
        text::title("title", title)?;
        text::note("summary", summary)?;
        require_organisation(lead_org, org_state(orgs, lead_org), "lead_org")?;
        if target_end_date < start_date {
            return Err(Rejection::invalid(
                "blueprint.end_before_start",
                "target_end_date",
                format!(
                    "blueprint {id} cannot end ({target_end_date}) before it starts ({start_date})"
                ),
            ));
        }
        text::positive("funding_target", *funding_target)?;
        if let Some(staff) = staff_time_target {
            text::positive("staff_time_target", *staff)?;
        }
        return Ok(vec![
            BlueprintDrafted {
                title: title.trim().to_owned(),
                summary: summary.trim().to_owned(),
                lead_org: lead_org.clone(),
                start_date: *start_date,
                target_end_date: *target_end_date,
                funding_target: *funding_target,
                staff_time_target: *staff_time_target,
            }
            .into(),
        ]);
    }
    let status = crate::directory::require_open_blueprint(id, state)?.status;
    let event: EventBody = match &cmd.action {
        BlueprintAction::Draft { .. } => unreachable!("handled above"),
        BlueprintAction::Publish => {
            if status == Some(BlueprintStatus::Published) {
                return Err(Rejection::conflict(
                    "blueprint.already_published",
                    format!("blueprint {id} is already published"),
                ));
            }
            BlueprintPublished {}.into()
        }
        BlueprintAction::Close { reason } => {
            text::reason("reason", reason)?;
            BlueprintClosed {
                reason: reason.trim().to_owned(),
            }
            .into()
        }
        BlueprintAction::AddWorkstream {
            workstream,
            title,
            lead_org,
        } => {
            if state.workstreams.contains_key(workstream) {
                return Err(Rejection::conflict(
                    "workstream.already_exists",
                    format!("workstream {id}/{workstream} already exists"),
                )
                .on_field("workstream"));
            }
            text::title("title", title)?;
            require_organisation(lead_org, org_state(orgs, lead_org), "lead_org")?;
            WorkstreamAdded {
                workstream: workstream.clone(),
                title: title.trim().to_owned(),
                lead_org: lead_org.clone(),
            }
            .into()
        }
        BlueprintAction::RenameWorkstream { workstream, title } => {
            crate::directory::require_active_workstream(id, state, workstream, "workstream")?;
            text::title("title", title)?;
            WorkstreamRenamed {
                workstream: workstream.clone(),
                title: title.trim().to_owned(),
            }
            .into()
        }
        BlueprintAction::RetireWorkstream { workstream, reason } => {
            crate::directory::require_active_workstream(id, state, workstream, "workstream")?;
            text::reason("reason", reason)?;
            WorkstreamRetired {
                workstream: workstream.clone(),
                reason: reason.trim().to_owned(),
            }
            .into()
        }
        BlueprintAction::AddPartner { org } => {
            require_organisation(org, org_state(orgs, org), "org")?;
            if state.partners.contains(org) {
                return Err(Rejection::conflict(
                    "partner.already_joined",
                    format!("organisation {org} is already a partner of blueprint {id}"),
                )
                .on_field("org"));
            }
            PartnerJoined { org: org.clone() }.into()
        }
        BlueprintAction::RemovePartner { org, reason } => {
            if !state.partners.contains(org) {
                return Err(Rejection::conflict(
                    "partner.not_joined",
                    format!("organisation {org} is not a partner of blueprint {id}"),
                )
                .on_field("org"));
            }
            text::reason("reason", reason)?;
            PartnerLeft {
                org: org.clone(),
                reason: reason.trim().to_owned(),
            }
            .into()
        }
        BlueprintAction::SetTarget {
            target,
            title,
            unit,
            target_value,
        } => {
            text::title("title", title)?;
            text::required("unit", unit, text::UNIT_MAX)?;
            text::positive("target_value", *target_value)?;
            TargetSet {
                target: target.clone(),
                title: title.trim().to_owned(),
                unit: unit.trim().to_owned(),
                target_value: *target_value,
            }
            .into()
        }
        BlueprintAction::ReportTarget {
            target,
            value,
            note,
        } => {
            if !state.targets.contains_key(target) {
                return Err(Rejection::not_found(
                    "target.not_found",
                    format!("target {id}/{target} does not exist"),
                )
                .on_field("target"));
            }
            text::note("note", note)?;
            TargetReported {
                target: target.clone(),
                value: *value,
                note: note.trim().to_owned(),
            }
            .into()
        }
    };
    Ok(vec![event])
}

/// Plugs the blueprint rules into the command runtime.
#[derive(Default)]
pub struct BlueprintHandler {
    directory: Directory,
}

impl Handler for BlueprintHandler {
    type Command = BlueprintCommand;
    type State = BlueprintState;
    type Context = KnownOrganisations;

    async fn context(
        &self,
        store: &EventStore,
        command: &BlueprintCommand,
    ) -> Result<KnownOrganisations, StoreError> {
        let named = match &command.action {
            BlueprintAction::Draft { lead_org, .. }
            | BlueprintAction::AddWorkstream { lead_org, .. } => Some(lead_org),
            BlueprintAction::AddPartner { org } => Some(org),
            _ => None,
        };
        let mut orgs = KnownOrganisations::new();
        if let Some(org) = named {
            let folded = self.directory.organisation(store, org).await?;
            orgs.insert(org.clone(), folded.state.clone());
        }
        Ok(orgs)
    }

    fn decide(
        &self,
        command: &BlueprintCommand,
        state: &BlueprintState,
        orgs: &KnownOrganisations,
        _today: NaiveDate,
    ) -> Result<Vec<EventBody>, Rejection> {
        decide(command, state, orgs)
    }
}
