//! What every service's rules check against: organisations and blueprints as folded from their
//! events, the [`Directory`] that loads them, and the checks made against them ([`checks`]).
//!
//! The blueprints service changes organisations and blueprints; every service (blueprints
//! included, for the organisations a blueprint names) reads them here. Nothing here decides or
//! appends: the states fold events, the checks are pure, and the directory only reads.

pub mod blueprint;
pub mod checks;
pub mod organisation;
pub mod testing;

pub use blueprint::{BlueprintState, Target, Workstream};
pub use checks::{
    require_active_workstream, require_actor_org, require_open_blueprint, require_organisation,
};
pub use organisation::OrganisationState;

use eventstore::{StateCache, StoreError, StreamReader};
use proto::{BlueprintId, OrgId, ThingRef};

/// Loads organisations and blueprints as of the last commit in the stream, so that a rule never
/// rests on a stale one. Folded states are kept in bounded caches ([`StateCache`]): each lookup
/// asks the stream for the thing's last sequence (one request) and reads and folds only the
/// commits that came after the cached state, so an unchanged organisation or blueprint costs
/// that one request and no fold.
pub struct Directory {
    organisations: StateCache<OrganisationState>,
    blueprints: StateCache<BlueprintState>,
}

impl Default for Directory {
    fn default() -> Self {
        Self {
            organisations: StateCache::new(10_000),
            blueprints: StateCache::new(1_000),
        }
    }
}

impl Directory {
    /// The organisation as of its last commit; not registered if it has none.
    pub async fn organisation(
        &self,
        reader: &StreamReader,
        org: &OrgId,
    ) -> Result<OrganisationState, StoreError> {
        let folded = self
            .organisations
            .load_fresh(reader, &ThingRef::organisation(org))
            .await?;
        Ok(folded.state.clone())
    }

    /// The blueprint as of its last commit; not drafted if it has none.
    pub async fn blueprint(
        &self,
        reader: &StreamReader,
        bp: &BlueprintId,
    ) -> Result<BlueprintState, StoreError> {
        let folded = self
            .blueprints
            .load_fresh(reader, &ThingRef::blueprint(bp))
            .await?;
        Ok(folded.state.clone())
    }
}
