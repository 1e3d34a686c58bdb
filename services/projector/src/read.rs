//! Queries over the read models, each in one MVCC read transaction (so a page never mixes two
//! checkpoints), with the time-dependent status computed for the date asked.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use redb::{Database, ReadableDatabase};
use serde::{Deserialize, Serialize};

use crate::db::{
    self, BLUEPRINTS, COMMITMENTS, DbError, HISTORY, META, MILESTONES, ORGANISATIONS, PLEDGES,
};
use crate::status::{Assessed, Rag, RagRules, assess_milestones, confidence};
use crate::views::*;

/// A blueprint with its milestones' RAG counts and delivery confidence as of a date.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BlueprintSummary {
    #[serde(flatten)]
    pub blueprint: BlueprintView,
    pub as_of: NaiveDate,
    pub rag: BTreeMap<String, u64>,
    pub confidence: Assessed,
    /// Sum of forecast minus baseline over open and done milestones, in days.
    pub total_slippage_days: i64,
    /// Milestones done out of those not cancelled.
    pub progress: Progress,
    pub checkpoint: u64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

/// A milestone with its RAG as of a date.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssessedMilestone {
    #[serde(flatten)]
    pub milestone: MilestoneView,
    pub rag: Rag,
    pub rag_reasons: Vec<String>,
    pub slippage_days: i64,
}

/// A commitment with whether it is overdue as of a date.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AssessedCommitment {
    #[serde(flatten)]
    pub commitment: CommitmentView,
    pub overdue: bool,
}

/// Reads from one read transaction.
pub struct Reader {
    txn: redb::ReadTransaction,
}

impl Reader {
    pub fn new(db: &Database) -> Result<Self, DbError> {
        Ok(Self {
            txn: db.begin_read()?,
        })
    }

    pub fn checkpoint(&self) -> Result<u64, DbError> {
        Ok(self
            .txn
            .open_table(META)?
            .get(db::CHECKPOINT_KEY)?
            .map(|v| v.value())
            .unwrap_or(0))
    }

    pub fn organisations(&self) -> Result<Vec<OrganisationView>, DbError> {
        db::scan_all(&self.txn.open_table(ORGANISATIONS)?)
    }

    pub fn organisation(&self, id: &str) -> Result<Option<OrganisationView>, DbError> {
        db::get(&self.txn.open_table(ORGANISATIONS)?, id)
    }

    pub fn blueprints(&self) -> Result<Vec<BlueprintView>, DbError> {
        db::scan_all(&self.txn.open_table(BLUEPRINTS)?)
    }

    pub fn blueprint(&self, id: &str) -> Result<Option<BlueprintView>, DbError> {
        db::get(&self.txn.open_table(BLUEPRINTS)?, id)
    }

    pub fn milestones(&self, bp: &str) -> Result<Vec<MilestoneView>, DbError> {
        db::scan_prefix(&self.txn.open_table(MILESTONES)?, bp)
    }

    pub fn milestone(&self, bp: &str, id: &str) -> Result<Option<MilestoneView>, DbError> {
        db::get(&self.txn.open_table(MILESTONES)?, &format!("{bp}/{id}"))
    }

    pub fn commitments(&self, bp: &str) -> Result<Vec<CommitmentView>, DbError> {
        db::scan_prefix(&self.txn.open_table(COMMITMENTS)?, bp)
    }

    pub fn commitment(&self, bp: &str, id: &str) -> Result<Option<CommitmentView>, DbError> {
        db::get(&self.txn.open_table(COMMITMENTS)?, &format!("{bp}/{id}"))
    }

    pub fn pledges(&self, bp: &str) -> Result<Vec<PledgeView>, DbError> {
        db::scan_prefix(&self.txn.open_table(PLEDGES)?, bp)
    }

    pub fn pledge(&self, bp: &str, id: &str) -> Result<Option<PledgeView>, DbError> {
        db::get(&self.txn.open_table(PLEDGES)?, &format!("{bp}/{id}"))
    }

    /// The history of the thing stored on `subject`, oldest first.
    pub fn history(&self, subject: &str) -> Result<Vec<HistoryEntry>, DbError> {
        let table = self.txn.open_table(HISTORY)?;
        let mut out = Vec::new();
        for entry in table.range((subject, 0u64)..=(subject, u64::MAX))? {
            let (_, v) = entry?;
            out.push(db::decode(v.value())?);
        }
        Ok(out)
    }

    /// Milestones of a blueprint with their RAG as of `today`.
    pub fn assessed_milestones(
        &self,
        bp: &str,
        today: NaiveDate,
        rules: &RagRules,
    ) -> Result<Vec<AssessedMilestone>, DbError> {
        let milestones = self.milestones(bp)?;
        let mut assessed = assess_milestones(&milestones, today, rules);
        Ok(milestones
            .into_iter()
            .map(|m| {
                let a = assessed.remove(&m.id).unwrap_or(Assessed {
                    rag: Rag::Green,
                    reasons: vec![],
                });
                let slippage_days = m.slippage_days();
                AssessedMilestone {
                    milestone: m,
                    rag: a.rag,
                    rag_reasons: a.reasons,
                    slippage_days,
                }
            })
            .collect())
    }

    pub fn assessed_commitments(
        &self,
        bp: &str,
        today: NaiveDate,
    ) -> Result<Vec<AssessedCommitment>, DbError> {
        Ok(self
            .commitments(bp)?
            .into_iter()
            .map(|c| {
                let overdue =
                    c.status == CommitmentStatus::Made && c.due < today && c.delivered < c.quantity;
                AssessedCommitment {
                    commitment: c,
                    overdue,
                }
            })
            .collect())
    }

    /// The summary of a blueprint as of `today`.
    pub fn summary(
        &self,
        bp: &str,
        today: NaiveDate,
        rules: &RagRules,
    ) -> Result<Option<BlueprintSummary>, DbError> {
        let Some(blueprint) = self.blueprint(bp)? else {
            return Ok(None);
        };
        let milestones = self.milestones(bp)?;
        let assessed = assess_milestones(&milestones, today, rules);
        let mut rag = BTreeMap::new();
        for a in assessed.values() {
            *rag.entry(a.rag.label().to_owned()).or_insert(0) += 1;
        }
        let confidence = confidence(&blueprint, &assessed, today, rules);
        let total_slippage_days = milestones
            .iter()
            .filter(|m| m.status != MilestoneStatus::Cancelled)
            .map(MilestoneView::slippage_days)
            .sum();
        let counts = blueprint.milestones;
        let progress = Progress {
            done: counts.done,
            total: counts.planned + counts.in_progress + counts.done,
        };
        Ok(Some(BlueprintSummary {
            blueprint,
            as_of: today,
            rag,
            confidence,
            total_slippage_days,
            progress,
            checkpoint: self.checkpoint()?,
        }))
    }
}
