//! Replaying quarantined commits once the code that reads them is fixed, without a rebuild.
//!
//! A quarantined commit is applied now, where it would have been, only when that gives the read
//! models a rebuild would: no later commit on its thing's subject has been applied since (those
//! would have seen it first). Its thing's service refuses commands while it cannot read the
//! commit, so this is the usual case; otherwise the entry stays, saying that a rebuild is needed.
//! A voided entry is never replayed.

use redb::{Database, ReadableTable};

use crate::Received;
use crate::apply::{ApplyError, apply_received, put_quarantine, quarantine_entry};
use crate::db::{DbError, HISTORY, META, QUARANTINE, REVISION_KEY};
use crate::views::QuarantineEntry;

/// What a replay did with one quarantined commit.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Replayed {
    pub seq: u64,
    pub subject: String,
    /// Applied, and so no longer quarantined.
    pub applied: bool,
    /// Why it is still quarantined.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The open (not voided) quarantine entries, oldest first: what a replay would try.
pub fn open_entries(db: &Database) -> Result<Vec<QuarantineEntry>, DbError> {
    Ok(crate::quarantined(db)?
        .into_iter()
        .filter(|e| e.voided.is_none())
        .collect())
}

/// Applies each of `commits` (quarantined commits as stored, oldest first) that can now be read
/// and applied in place, in one write transaction; the others keep their entry, with the reason
/// brought up to date. Commits that are not quarantined, or voided, are left alone.
pub fn replay(db: &Database, commits: &[Received]) -> Result<Vec<Replayed>, DbError> {
    let txn = db.begin_write()?;
    let mut out = Vec::new();
    for received in commits {
        let entry = quarantine_entry(&txn, received.seq)?;
        let Some(mut entry) = entry.filter(|e| e.voided.is_none()) else {
            continue;
        };
        let mut later = false;
        crate::db::visit_history(
            &txn.open_table(HISTORY)?,
            &received.subject,
            received.seq + 1,
            false,
            |_, _| {
                later = true;
                Ok(std::ops::ControlFlow::Break(()))
            },
        )?;
        let result = if later {
            Err(ApplyError::Unusable(
                "later commits on this thing were applied since; rebuild the read models to \
                 apply it in order"
                    .to_owned(),
            ))
        } else {
            apply_received(&txn, received)
        };
        match result {
            Ok(()) => {
                txn.open_table(QUARANTINE)?.remove(received.seq)?;
                tracing::info!(seq = received.seq, subject = %received.subject, "quarantined commit replayed");
                out.push(Replayed {
                    seq: received.seq,
                    subject: received.subject.clone(),
                    applied: true,
                    reason: None,
                });
            }
            Err(ApplyError::Unusable(reason)) => {
                entry.reason.clone_from(&reason);
                put_quarantine(&txn, &entry)?;
                out.push(Replayed {
                    seq: received.seq,
                    subject: received.subject.clone(),
                    applied: false,
                    reason: Some(reason),
                });
            }
            Err(ApplyError::Db(e)) => return Err(e),
        }
    }
    if out.iter().any(|r| r.applied) {
        let mut meta = txn.open_table(META)?;
        let revision = meta.get(REVISION_KEY)?.map_or(0, |v| v.value());
        meta.insert(REVISION_KEY, revision + 1)?;
    }
    txn.commit()?;
    Ok(out)
}
