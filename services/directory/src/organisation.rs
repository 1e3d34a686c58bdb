//! An organisation as every service's rules see it: registered or not, and its name.

use eventstore::Aggregate;
use proto::{EventBody, OrgType};

/// The folded state of one organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganisationState {
    /// None until registered.
    pub name: Option<String>,
    pub org_type: Option<OrgType>,
}

impl Aggregate for OrganisationState {
    fn evolve(&mut self, event: &EventBody) {
        match event {
            EventBody::OrganisationRegistered(e) => {
                self.name = Some(e.name.clone());
                self.org_type = Some(e.org_type);
            }
            EventBody::OrganisationRenamed(e) => self.name = Some(e.name.clone()),
            _ => {}
        }
    }
}
