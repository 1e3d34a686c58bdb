//! Exporting a register to CSV from the JSON read API, in exactly the columns an import reads,
//! so that importing an export records nothing new.
//!
//! A milestone's `due` is its baseline (the date it was planned with; a replan moves only the
//! forecast). Commitments export their current quantity and due date, pledges the amount pledged.

use std::io::Write;

use chrono::NaiveDate;
use proto::{
    BlueprintId, CommitmentId, CommitmentKind, MilestoneId, OrgId, PledgeId, Resource, WorkstreamId,
};
use serde::Deserialize;

use crate::client::{ApiClient, ClientError};
use dashboard::registers::rows::{CommitmentRow, MilestoneRow, PledgeRow, Register, Row};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Api(#[from] ClientError),
    #[error("cannot write the CSV: {0}")]
    Write(String),
}

impl ExportError {
    /// Whether retrying later might succeed.
    pub fn is_unavailable(&self) -> bool {
        match self {
            ExportError::Api(e) => e.is_unavailable(),
            ExportError::Write(_) => false,
        }
    }
}

#[derive(Deserialize)]
struct MilestoneOut {
    id: MilestoneId,
    workstream: WorkstreamId,
    title: String,
    owner: OrgId,
    #[serde(default)]
    depends_on: Vec<MilestoneId>,
    baseline: NaiveDate,
}

#[derive(Deserialize)]
struct CommitmentOut {
    id: CommitmentId,
    partner: OrgId,
    kind: CommitmentKind,
    description: String,
    quantity: u64,
    unit: String,
    due: NaiveDate,
}

#[derive(Deserialize)]
struct PledgeOut {
    id: PledgeId,
    sponsor: OrgId,
    resource: Resource,
    pledged: u64,
    #[serde(default)]
    workstream: Option<WorkstreamId>,
    #[serde(default)]
    conditions: String,
}

/// The register as the read API lists it, as rows.
pub async fn fetch_rows(
    client: &ApiClient,
    register: Register,
    blueprint: &BlueprintId,
) -> Result<Vec<Row>, ExportError> {
    let path = register.path(blueprint);
    Ok(match register {
        Register::Milestones => client
            .get_as::<Vec<MilestoneOut>>(&path)
            .await?
            .into_iter()
            .map(|m| {
                Row::Milestone(MilestoneRow {
                    id: m.id,
                    workstream: m.workstream,
                    title: m.title,
                    owner: m.owner,
                    due: m.baseline,
                    depends_on: m.depends_on,
                })
            })
            .collect(),
        Register::Commitments => client
            .get_as::<Vec<CommitmentOut>>(&path)
            .await?
            .into_iter()
            .map(|c| {
                Row::Commitment(CommitmentRow {
                    id: c.id,
                    partner: c.partner,
                    kind: c.kind,
                    description: c.description,
                    quantity: c.quantity,
                    unit: c.unit,
                    due: c.due,
                })
            })
            .collect(),
        Register::Pledges => client
            .get_as::<Vec<PledgeOut>>(&path)
            .await?
            .into_iter()
            .map(|p| {
                Row::Pledge(PledgeRow {
                    id: p.id,
                    sponsor: p.sponsor,
                    resource: p.resource,
                    amount: p.pledged,
                    workstream: p.workstream,
                    conditions: p.conditions,
                })
            })
            .collect(),
    })
}

/// Writes rows as CSV with a header row; returns how many rows were written.
pub fn write_csv(register: Register, rows: &[Row], out: impl Write) -> Result<u64, ExportError> {
    let write = |e: csv::Error| ExportError::Write(e.to_string());
    let mut writer = csv::Writer::from_writer(out);
    writer
        .write_record(register.columns().iter().map(|c| c.name))
        .map_err(write)?;
    for row in rows {
        writer.write_record(row.cells()).map_err(write)?;
    }
    writer
        .flush()
        .map_err(|e| ExportError::Write(e.to_string()))?;
    Ok(rows.len() as u64)
}

/// Exports a register to `out`; returns how many rows were written.
pub async fn export(
    client: &ApiClient,
    register: Register,
    blueprint: &BlueprintId,
    out: impl Write,
) -> Result<u64, ExportError> {
    let rows = fetch_rows(client, register, blueprint).await?;
    write_csv(register, &rows, out)
}
