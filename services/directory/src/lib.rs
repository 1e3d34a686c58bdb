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

use std::sync::OnceLock;

use eventstore::{Aggregate, FOLLOW_WAIT, Followed, Freshness, Reads, StateCache, StoreError};
use proto::{BlueprintId, OrgId, ThingKind, ThingRef};

/// Loads organisations and blueprints for a command's rules.
///
/// Each kind is followed ([`Followed`]): every organisation and every blueprint is folded as its
/// commits arrive, so a lookup with [`Freshness::Followed`] asks the stream nothing once the
/// follower has caught up and holds what the sender had seen. Otherwise (the follower is starting
/// or behind, or the caller asks for [`Freshness::Latest`]) a lookup reads the thing as of its
/// last commit in the stream through a bounded cache of folded states ([`StateCache`]): one
/// request for the last sequence, and a fold of only the commits after the cached state.
pub struct Directory {
    organisations: Lookups<OrganisationState>,
    blueprints: Lookups<BlueprintState>,
}

/// The lookups of one kind: followed once the first lookup starts the follower, with the stream
/// behind it.
struct Lookups<A> {
    kind: ThingKind,
    followed: OnceLock<Followed<A>>,
    latest: StateCache<A>,
}

impl<A: Aggregate> Lookups<A> {
    fn new(kind: ThingKind, capacity: usize) -> Self {
        Self {
            kind,
            followed: OnceLock::new(),
            latest: StateCache::new(capacity),
        }
    }

    async fn get(&self, reads: Reads<'_>, thing: &ThingRef) -> Result<A, StoreError> {
        if let Freshness::Followed(seen) = reads.freshness {
            let followed = self
                .followed
                .get_or_init(|| Followed::start(reads.reader.clone(), self.kind));
            if let Some(folded) = followed
                .get(&thing.subject(), seen.of(self.kind), FOLLOW_WAIT)
                .await
            {
                return Ok(folded.state.clone());
            }
        }
        let folded = self.latest.load_fresh(reads.reader, thing).await?;
        Ok(folded.state.clone())
    }
}

impl Default for Directory {
    fn default() -> Self {
        Self {
            organisations: Lookups::new(ThingKind::Organisation, 10_000),
            blueprints: Lookups::new(ThingKind::Blueprint, 1_000),
        }
    }
}

impl Directory {
    /// The organisation as `reads` asks for it; not registered if it has no commits.
    pub async fn organisation(
        &self,
        reads: Reads<'_>,
        org: &OrgId,
    ) -> Result<OrganisationState, StoreError> {
        self.organisations
            .get(reads, &ThingRef::organisation(org))
            .await
    }

    /// The blueprint as `reads` asks for it; not drafted if it has no commits.
    pub async fn blueprint(
        &self,
        reads: Reads<'_>,
        bp: &BlueprintId,
    ) -> Result<BlueprintState, StoreError> {
        self.blueprints.get(reads, &ThingRef::blueprint(bp)).await
    }
}
