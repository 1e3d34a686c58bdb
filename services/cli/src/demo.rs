//! The demo blueprint `wm-digital`, built from the West Midlands public sector digital blueprint:
//! the organisations it names, its workstreams, milestones, partners' commitments and sponsors'
//! pledges. Its requests are data, in `demo.json`; they are recorded through the HTTP API like any
//! other data, with dates spread over the past months. Every pledge amount is illustrative, and
//! says so in its conditions.

use chrono::{Days, NaiveDate, Timelike};
use serde_json::Value;

use crate::client::{ApiClient, ClientError};

/// Id of the demo blueprint.
pub const DEMO_BLUEPRINT: &str = "wm-digital";

/// The demo's requests, in the order they are sent (`demo.json`).
#[derive(Debug, serde::Deserialize)]
struct Script {
    /// The history, recorded first.
    steps: Vec<Step>,
    /// Facts recorded after the rest of the demo although they happened weeks before: a
    /// programme office catching up, so that "as known at" an earlier instant differs from "as
    /// of" a date.
    corrections: Vec<Step>,
}

/// One request of the demo.
#[derive(Debug, serde::Deserialize)]
struct Step {
    path: String,
    /// Days before today that the fact happened.
    days_ago: u64,
    /// The body, with its dates written `today+N` or `today-N`.
    body: Value,
}

/// The demo script is part of the program; a test reads it, so that it cannot fail here.
fn script() -> Result<Script, DemoError> {
    serde_json::from_str(include_str!("demo.json")).map_err(DemoError::Script)
}

/// Why the demo was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    /// The built-in script does not parse: a bug, caught by this module's tests.
    #[error("the demo script does not parse: {0}")]
    Script(#[source] serde_json::Error),
    /// A request of the demo failed.
    #[error(transparent)]
    Api(#[from] ClientError),
}

fn date(today: NaiveDate, offset_days: i64) -> String {
    let d = if offset_days >= 0 {
        today.checked_add_days(Days::new(offset_days as u64))
    } else {
        today.checked_sub_days(Days::new(offset_days.unsigned_abs()))
    };
    d.unwrap_or(today).to_string()
}

/// `value` with every `today+N` or `today-N` written as the date it names.
fn dated(value: &Value, today: NaiveDate) -> Value {
    match value {
        Value::String(s) => match s.strip_prefix("today").map(str::parse::<i64>) {
            Some(Ok(offset)) => Value::String(date(today, offset)),
            _ => value.clone(),
        },
        Value::Array(items) => Value::Array(items.iter().map(|v| dated(v, today)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), dated(v, today)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Whether the demo blueprint is already recorded.
pub async fn exists(client: &ApiClient) -> Result<bool, ClientError> {
    match client
        .get(&format!("/api/v1/blueprints/{DEMO_BLUEPRINT}"))
        .await
    {
        Ok(_) => Ok(true),
        Err(ClientError::Rejected { status: 404, .. }) => Ok(false),
        Err(e) => Err(e),
    }
}

/// What recording the demo did.
#[derive(Debug, Clone, Copy)]
pub struct Recorded {
    /// Commands sent.
    pub commands: usize,
    /// An instant after the main history was recorded and before the back-dated corrections:
    /// `known_at` for a view without them.
    pub before_corrections: chrono::DateTime<chrono::Utc>,
}

/// Records the demo through the API, dated back from `today`. Each step has a fixed idempotency key,
/// so an interrupted run repeated with the same `today` records nothing twice (`waymark dev` keeps
/// that day in its data folder until the demo is complete). The back-dated corrections go last, in a
/// later second than the rest, so that a whole-second `known_at` tells them apart.
pub async fn record(client: &ApiClient, today: NaiveDate) -> Result<Recorded, DemoError> {
    let Script { steps, corrections } = script()?;
    send(client, today, &steps, "demo-v1").await?;
    let now = chrono::Utc::now();
    let before_corrections = now.with_nanosecond(0).unwrap_or(now) + chrono::Duration::seconds(1);
    let wait = (before_corrections - now).to_std().unwrap_or_default();
    tokio::time::sleep(wait + std::time::Duration::from_millis(10)).await;
    send(client, today, &corrections, "demo-v1-correction").await?;
    Ok(Recorded {
        commands: steps.len() + corrections.len(),
        before_corrections,
    })
}

async fn send(
    client: &ApiClient,
    today: NaiveDate,
    steps: &[Step],
    key_prefix: &str,
) -> Result<(), ClientError> {
    for (i, s) in steps.iter().enumerate() {
        let mut body = dated(&s.body, today);
        if let Value::Object(map) = &mut body {
            map.insert(
                "occurred_on".to_owned(),
                Value::String(date(today, -(s.days_ago as i64))),
            );
        }
        client
            .post(&s.path, &body, &format!("{key_prefix}-{i}"))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_parses_and_every_relative_date_is_written_out() {
        let script = script().unwrap();
        assert!(script.steps.len() > 80);
        assert_eq!(script.corrections.len(), 2);
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        for step in script.steps.iter().chain(&script.corrections) {
            assert!(step.path.starts_with("/api/v1/"), "{}", step.path);
            let body = dated(&step.body, today).to_string();
            assert!(!body.contains("\"today"), "{body}");
        }
    }

    #[test]
    fn relative_dates_count_days_either_way_and_leave_other_text_alone() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let body =
            serde_json::json!({"due": "today+31", "on": ["today-1"], "note": "today at noon"});
        assert_eq!(
            dated(&body, today),
            serde_json::json!({"due": "2027-01-01", "on": ["2026-11-30"], "note": "today at noon"})
        );
    }
}
