//! Exporting a register to CSV from the JSON read API, in exactly the columns an import reads,
//! so that importing an export records nothing new.
//!
//! The API lists each thing as its read model ([`projector::views`]), which says the creating
//! action that would record the thing as it stands ([`AsCreated`]): a milestone's `due` is its
//! baseline (the date it was planned with; a replan moves only the forecast), a commitment's
//! quantity and due date are the current ones, a pledge's amount is the amount pledged. That
//! action's body is the row, written through the register's columns.

use std::io::Write;

use projector::views::{AsCreated, CommitmentView, MilestoneView, PledgeView};
use proto::BlueprintId;
use serde::de::DeserializeOwned;

use crate::client::{ApiClient, ClientError};
use dashboard::registers::rows::{Register, Row};

/// Why an export failed.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Api(#[from] ClientError),
    /// A listed thing cannot be written as a row.
    #[error("cannot export the register: {0}")]
    Listed(String),
    #[error("cannot write the CSV: {0}")]
    Write(String),
}

impl ExportError {
    /// Whether retrying later might succeed.
    pub fn is_unavailable(&self) -> bool {
        match self {
            ExportError::Api(e) => e.is_unavailable(),
            ExportError::Listed(_) | ExportError::Write(_) => false,
        }
    }
}

/// The register as the read API lists it, as rows.
pub async fn fetch_rows(
    client: &ApiClient,
    register: Register,
    blueprint: &BlueprintId,
) -> Result<Vec<Row>, ExportError> {
    match register {
        Register::Milestones => listed::<MilestoneView>(client, register, blueprint).await,
        Register::Commitments => listed::<CommitmentView>(client, register, blueprint).await,
        Register::Pledges => listed::<PledgeView>(client, register, blueprint).await,
    }
}

/// Reads the list as views of type `V` (the API adds figures of its own, which are ignored) and
/// makes each the row of its creating action.
async fn listed<V: AsCreated + DeserializeOwned>(
    client: &ApiClient,
    register: Register,
    blueprint: &BlueprintId,
) -> Result<Vec<Row>, ExportError> {
    let views: Vec<V> = client.get_as(&register.path(blueprint)).await?;
    views
        .iter()
        .map(|view| {
            let id = view.thing_id();
            let action = view
                .as_created()
                .map_err(|e| ExportError::Listed(format!("{} {id}: {e}", register.thing())))?;
            let row =
                Row::from_action(id, &action).map_err(|e| ExportError::Listed(e.to_string()))?;
            if row.register() != register {
                return Err(ExportError::Listed(format!(
                    "{} {id} is not a row of {register}",
                    row.register().thing()
                )));
            }
            Ok(row)
        })
        .collect()
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
