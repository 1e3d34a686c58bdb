//! The upload form: a register (milestones, commitments or pledges) as a CSV file, checked row by
//! row exactly as `waymark import` checks it, then recorded through the same `execute` path as
//! every other write, each row with an idempotency key derived from its content (so uploading the
//! same file again records nothing new). Nothing is recorded when any row has a problem.

use std::collections::HashMap;

use askama::Template;
use axum::extract::multipart::{Field, MultipartRejection};
use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use csv::ByteRecord;
use futures::StreamExt;
use proto::BlueprintId;

use crate::AppState;
use crate::commands::{Write, WriteMeta, execute};
use crate::pages::{Nav, render};
use crate::registers::check::{CheckError, check, reader_builder};
use crate::registers::rows::{Header, Register, Row, RowError};
use crate::session::{Visitor, csrf_matches};

/// Largest file accepted, in bytes.
pub const UPLOAD_LIMIT: usize = 20 * 1024 * 1024;
/// Rows recorded at once.
const IN_FLIGHT: usize = 16;

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    nav: Nav,
    blueprint: String,
    register: String,
    check_only: bool,
    rows: u64,
    recorded: u64,
    already: u64,
    problems: Vec<String>,
}

/// Why a checked file could not be read again in the order to record it. The bytes were checked
/// moments before, so either case is a bug; nothing is recorded and the page shows the message.
#[derive(Debug, thiserror::Error)]
enum Reread {
    /// The CSV could not be read.
    #[error(transparent)]
    Csv(#[from] csv::Error),
    /// Rows no longer pass the checks; every problem, in file order.
    #[error("{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Rows(Vec<RowError>),
}

/// Every row of a checked file with its row number, in the order to record them: rows with no
/// dependency in the file first, then each wave of rows that depend on earlier ones.
fn rows_in_order(
    register: Register,
    bytes: &[u8],
    deferred_waves: &[Vec<u64>],
) -> Result<Vec<Vec<(u64, Row)>>, Reread> {
    let mut reader = reader_builder().from_reader(bytes);
    let header_record = reader.byte_headers()?.clone();
    let (header, _) = Header::parse(register, &header_record);
    let later: HashMap<u64, usize> = deferred_waves
        .iter()
        .enumerate()
        .flat_map(|(w, rows)| rows.iter().map(move |r| (*r, w + 1)))
        .collect();
    let mut waves: Vec<Vec<(u64, Row)>> = vec![Vec::new(); deferred_waves.len() + 1];
    let mut record = ByteRecord::new();
    while reader.read_byte_record(&mut record)? {
        let row_no = record.position().map_or(0, |p| p.line());
        let row = header.parse_row(&record, row_no).map_err(Reread::Rows)?;
        waves[later.get(&row_no).copied().unwrap_or(0)].push((row_no, row));
    }
    Ok(waves)
}

/// Largest form field other than the file, in bytes.
const FIELD_LIMIT: usize = 1024;

/// Why an upload is refused before its file is checked: the status and message of the error page.
type Refused = (StatusCode, String);

fn unreadable(status: StatusCode, why: String) -> Refused {
    (status, format!("the upload could not be read: {why}"))
}

/// The rest of `field`, or `too_long` once it is longer than `limit` bytes.
async fn read_whole(
    field: &mut Field<'_>,
    limit: usize,
    too_long: impl FnOnce() -> Refused,
) -> Result<Vec<u8>, Refused> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field
        .chunk()
        .await
        .map_err(|e| unreadable(e.status(), e.body_text()))?
    {
        if bytes.len() + chunk.len() > limit {
            return Err(too_long());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// The blueprint, the form's fields, and its file with the register the file is of. Who is
/// asking, the blueprint, the CSRF token, the register and the right to record it are all checked
/// before a byte of the file is read (the form sends those fields first), and the file is read a
/// chunk at a time within [`UPLOAD_LIMIT`].
async fn receive(
    visitor: &Visitor,
    bp: &str,
    multipart: Result<Multipart, MultipartRejection>,
) -> Result<(BlueprintId, HashMap<String, String>, Register, Vec<u8>), Refused> {
    let Some(session) = &visitor.session else {
        return Err((StatusCode::UNAUTHORIZED, "sign in to import".to_owned()));
    };
    let Ok(blueprint) = bp.parse::<BlueprintId>() else {
        return Err((
            StatusCode::NOT_FOUND,
            format!("there is no blueprint {bp:?}"),
        ));
    };
    let mut multipart = multipart.map_err(|e| unreadable(e.status(), e.body_text()))?;
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut file: Option<(Register, Vec<u8>)> = None;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| unreadable(e.status(), e.body_text()))?
    {
        let name = field.name().unwrap_or("").to_owned();
        if name != "file" {
            let value = read_whole(&mut field, FIELD_LIMIT, || {
                let message = format!("the field {name:?} is too long");
                (StatusCode::BAD_REQUEST, message)
            })
            .await?;
            fields.insert(name, String::from_utf8_lossy(&value).into_owned());
            continue;
        }
        if !csrf_matches(
            &session.csrf,
            fields.get("csrf").map(String::as_str).unwrap_or(""),
        ) {
            return Err((
                StatusCode::FORBIDDEN,
                "the form has expired or did not come from this site; reload the page and try again"
                    .to_owned(),
            ));
        }
        let Some(register) = fields.get("register").and_then(|r| Register::named(r)) else {
            return Err((
                StatusCode::UNPROCESSABLE_ENTITY,
                "choose milestones, commitments or pledges (before the file)".to_owned(),
            ));
        };
        visitor
            .caller
            .authorise_write(
                register.kind(),
                register.create().name,
                Some(blueprint.as_str()),
            )
            .map_err(|e| (e.status, e.detail))?;
        let bytes = read_whole(&mut field, UPLOAD_LIMIT, || {
            let message = format!("the file is larger than {} MiB", UPLOAD_LIMIT / 1024 / 1024);
            (StatusCode::PAYLOAD_TOO_LARGE, message)
        })
        .await?;
        file = Some((register, bytes));
    }
    let Some((register, file)) = file else {
        return Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            "choose a CSV file to import".to_owned(),
        ));
    };
    Ok((blueprint, fields, register, file))
}

/// `POST /blueprints/{bp}/import`: the file's rows checked, then recorded unless the form asks
/// only for the check.
pub async fn upload(
    State(state): State<AppState>,
    Path(bp): Path<String>,
    visitor: Visitor,
    multipart: Result<Multipart, MultipartRejection>,
) -> Response {
    let (blueprint, fields, register, file) = match receive(&visitor, &bp, multipart).await {
        Ok(received) => received,
        Err((status, message)) => return crate::pages::error_page(&visitor, status, &message),
    };
    let check_only = fields.get("check_only").is_some_and(|v| !v.is_empty());
    let mut result = ImportPage {
        nav: Nav::of(&visitor),
        blueprint: blueprint.to_string(),
        register: register.name().to_owned(),
        check_only,
        rows: 0,
        recorded: 0,
        already: 0,
        problems: Vec::new(),
    };
    let checked = match check(register, file.as_slice()) {
        Ok(c) => c,
        Err(CheckError::Unreadable(why)) => {
            result
                .problems
                .push(format!("the file could not be read: {why}"));
            return render(StatusCode::UNPROCESSABLE_ENTITY, result);
        }
        Err(CheckError::Invalid(errors)) => {
            result.problems = errors.iter().map(ToString::to_string).collect();
            return render(StatusCode::UNPROCESSABLE_ENTITY, result);
        }
    };
    result.rows = checked.rows;
    if check_only {
        return render(StatusCode::OK, result);
    }
    let deferred: Vec<Vec<u64>> = checked
        .waves
        .iter()
        .map(|w| w.iter().map(|(row, _)| *row).collect())
        .collect();
    let waves = match rows_in_order(register, &file, &deferred) {
        Ok(w) => w,
        Err(why) => {
            result.problems.push(why.to_string());
            return render(StatusCode::UNPROCESSABLE_ENTITY, result);
        }
    };
    for wave in waves {
        let outcomes: Vec<(u64, Result<bool, RowError>)> = futures::stream::iter(wave)
            .map(|(row_no, row)| {
                let (state, caller, blueprint) = (&state, &visitor.caller, &blueprint);
                async move {
                    let write = Write {
                        kind: register.kind(),
                        blueprint: Some(blueprint.to_string()),
                        id: row.id().to_owned(),
                        action: register.create().name.to_owned(),
                        body: row.fields(),
                    };
                    let meta = WriteMeta {
                        idempotency_key: Some(row.idempotency_key(blueprint)),
                        expected_version: None,
                    };
                    let outcome = match execute(state, caller, write, meta).await {
                        Ok(w) => Ok(w.accepted.duplicate),
                        Err(e) => Err(match e.field {
                            Some(f) => RowError::at(row_no, &f, e.detail),
                            None => RowError::row(row_no, e.detail),
                        }),
                    };
                    (row_no, outcome)
                }
            })
            .buffer_unordered(IN_FLIGHT)
            .collect()
            .await;
        let mut problems: Vec<RowError> = Vec::new();
        for (_, outcome) in outcomes {
            match outcome {
                Ok(true) => result.already += 1,
                Ok(false) => result.recorded += 1,
                Err(e) => problems.push(e),
            }
        }
        problems.sort_by_key(|e| e.row);
        result
            .problems
            .extend(problems.iter().map(ToString::to_string));
    }
    let status = if result.problems.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(status, result)
}
