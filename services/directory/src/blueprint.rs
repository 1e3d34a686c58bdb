//! A blueprint as every service's rules see it: its status, workstreams, partners and targets,
//! folded from its events. The rules that change a blueprint are the blueprints service's.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use eventstore::Aggregate;
use proto::{BlueprintStatus, EventBody, OrgId, TargetId, WorkstreamId};

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
