//! Importing a register from CSV in two passes over the file. The first checks every row and
//! sends nothing; the second sends the rows, a bounded number at a time, each with an idempotency
//! key derived from its content, so that running the same file again records nothing new.
//!
//! A milestone may depend on another milestone of the same file, which must be planned first.
//! Rows are therefore sent in waves: first every row whose dependencies are not in the file, then
//! the rows that depend only on those, and so on. The first wave is read straight through the
//! file; later waves seek to the rows they need. Neither pass keeps rows in memory, only ids,
//! row numbers and (for rows that must wait) file positions.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use csv::{ByteRecord, Position};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use proto::BlueprintId;
use tokio::sync::OnceCell;

use super::export;
use crate::client::{ApiClient, ClientError};
pub use dashboard::registers::check::{CheckError, Checked, check, reader_builder};
use dashboard::registers::rows::{Header, Register, Row, RowError};

/// Rows sent at once unless told otherwise.
pub const DEFAULT_CONCURRENCY: u16 = 16;
/// Files shorter than this import without a progress bar.
const PROGRESS_MIN_ROWS: u64 = 200;
/// Attempts at a row while the dashboard or a service is unavailable.
const ATTEMPTS: u32 = 4;

fn unreadable(path: &Path, e: impl std::fmt::Display) -> CheckError {
    CheckError::Unreadable(format!("cannot read {}: {e}", path.display()))
}

/// Checks every row of a file; sends nothing.
pub fn check_file(register: Register, path: &Path) -> Result<Checked, CheckError> {
    let file = File::open(path).map_err(|e| unreadable(path, e))?;
    check(register, file).map_err(|e| match e {
        CheckError::Unreadable(reason) => unreadable(path, reason),
        other => other,
    })
}

/// Writes one line per row saying what would be recorded; returns the number of rows.
pub fn dry_run(
    checked: &Checked,
    blueprint: &BlueprintId,
    path: &Path,
    out: &mut impl Write,
) -> Result<u64, CheckError> {
    writeln!(
        out,
        "would record {} {} in blueprint {blueprint} (dry run: nothing sent)",
        checked.rows, checked.register
    )
    .map_err(|e| CheckError::Unreadable(e.to_string()))?;
    let file = File::open(path).map_err(|e| unreadable(path, e))?;
    let mut rows = SequentialRows::new(checked.register, file, None)?;
    let mut n = 0;
    for item in &mut rows {
        let (row, parsed) = item.map_err(|e| unreadable(path, e))?;
        writeln!(out, "row {row}: {}", parsed.describe(blueprint))
            .map_err(|e| CheckError::Unreadable(e.to_string()))?;
        n += 1;
    }
    Ok(n)
}

/// Reads rows in file order, skipping the rows in `skip`.
struct SequentialRows<'a> {
    reader: csv::Reader<File>,
    header: Header,
    record: ByteRecord,
    skip: Option<&'a HashSet<u64>>,
}

impl<'a> SequentialRows<'a> {
    fn new(
        register: Register,
        file: File,
        skip: Option<&'a HashSet<u64>>,
    ) -> Result<Self, CheckError> {
        let mut reader = reader_builder().from_reader(file);
        let header_record = reader
            .byte_headers()
            .map_err(|e| CheckError::Unreadable(e.to_string()))?
            .clone();
        let (header, _) = Header::parse(register, &header_record);
        Ok(Self {
            reader,
            header,
            record: ByteRecord::new(),
            skip,
        })
    }
}

/// Why a row of a checked file could not be read again to be sent; sending stops there
/// ([`Stopped::File`]), and running the import again after fixing the file finishes it.
#[derive(Debug, thiserror::Error)]
enum Reread {
    /// The file could not be read as CSV.
    #[error(transparent)]
    Csv(#[from] csv::Error),
    /// The row no longer passes the checks, or is gone: the file changed since it was checked.
    #[error("row {0} changed since the file was checked")]
    Changed(u64),
}

impl Iterator for SequentialRows<'_> {
    type Item = Result<(u64, Row), Reread>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.reader.read_byte_record(&mut self.record) {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => return Some(Err(e.into())),
            }
            let row = self.record.position().map_or(0, Position::line);
            if self.skip.is_some_and(|s| s.contains(&row)) {
                continue;
            }
            return Some(
                self.header
                    .parse_row(&self.record, row)
                    .map(|r| (row, r))
                    .map_err(|_| Reread::Changed(row)),
            );
        }
    }
}

/// Reads the rows at given positions.
struct PositionedRows<'a> {
    reader: csv::Reader<File>,
    header: Header,
    record: ByteRecord,
    positions: std::slice::Iter<'a, (u64, Position)>,
}

impl Iterator for PositionedRows<'_> {
    type Item = Result<(u64, Row), Reread>;

    fn next(&mut self) -> Option<Self::Item> {
        let (row, position) = self.positions.next()?;
        let read = self
            .reader
            .seek(position.clone())
            .and_then(|()| self.reader.read_byte_record(&mut self.record));
        Some(match read {
            Ok(true) => self
                .header
                .parse_row(&self.record, *row)
                .map(|r| (*row, r))
                .map_err(|_| Reread::Changed(*row)),
            Ok(false) => Err(Reread::Changed(*row)),
            Err(e) => Err(e.into()),
        })
    }
}

/// What became of one row.
enum Outcome {
    Recorded,
    AlreadyRecorded,
    Rejected(RowError),
    NotSent,
}

/// Why sending stopped before the end of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stopped {
    /// The dashboard or a service stayed unavailable; running the import again finishes it.
    Unavailable(String),
    /// Every row would be refused the same way (no such blueprint, closed, not allowed).
    Refused(String),
    /// The file could not be read again, or changed since it was checked.
    File(String),
}

/// The totals of an import.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub rows: u64,
    /// Rows recorded by this run.
    pub recorded: u64,
    /// Rows already recorded: sent before with the same content, or recorded some other way
    /// with exactly the row's values.
    pub already_recorded: u64,
    /// Rows the service refused, by row.
    pub rejected: Vec<RowError>,
    /// Rows not sent because sending stopped.
    pub not_sent: u64,
    pub stopped: Option<Stopped>,
}

/// How to send.
#[derive(Debug, Clone)]
pub struct SendOptions {
    /// Rows in flight at once.
    pub concurrency: usize,
    /// Show a progress bar on standard error when it is a terminal and the file is long.
    pub progress: bool,
}

impl Default for SendOptions {
    fn default() -> Self {
        Self {
            concurrency: usize::from(DEFAULT_CONCURRENCY),
            progress: false,
        }
    }
}

/// What every row's sending shares.
struct Sender<'a> {
    client: &'a ApiClient,
    blueprint: &'a BlueprintId,
    register: Register,
    path: String,
    /// The register as recorded, loaded the first time a row meets an id that already exists.
    existing: OnceCell<Result<HashMap<String, Row>, export::ExportError>>,
    stop: AtomicBool,
    stopped: Mutex<Option<Stopped>>,
}

impl Sender<'_> {
    fn halt(&self, why: Stopped) {
        self.stop.store(true, Ordering::SeqCst);
        let mut stopped = self.stopped.lock().unwrap_or_else(PoisonError::into_inner);
        if stopped.is_none() {
            *stopped = Some(why);
        }
    }

    async fn send(&self, row_no: u64, row: Row) -> Outcome {
        let key = row.idempotency_key(self.blueprint);
        let body = row.body();
        let mut attempt = 0;
        loop {
            if self.stop.load(Ordering::SeqCst) {
                return Outcome::NotSent;
            }
            attempt += 1;
            let error = match self.client.post(&self.path, &body, &key).await {
                Ok(answer) => {
                    return if answer["duplicate"].as_bool() == Some(true) {
                        Outcome::AlreadyRecorded
                    } else {
                        Outcome::Recorded
                    };
                }
                Err(e) => e,
            };
            let retry = error.is_unavailable()
                || matches!(&error, ClientError::Rejected { code, .. } if code == "command.contended");
            if retry {
                if attempt < ATTEMPTS {
                    // Back off before trying the same key again; the key makes the retry safe.
                    tokio::time::sleep(Duration::from_millis(100 << attempt)).await;
                    continue;
                }
                if error.is_unavailable() {
                    self.halt(Stopped::Unavailable(error.to_string()));
                    return Outcome::NotSent;
                }
            }
            return self.rejected(row_no, &row, error).await;
        }
    }

    async fn rejected(&self, row_no: u64, row: &Row, error: ClientError) -> Outcome {
        let ClientError::Rejected {
            status,
            code,
            detail,
            field,
            ..
        } = error
        else {
            return Outcome::Rejected(RowError::row(row_no, error.to_string()));
        };
        if code == self.register.exists_code() {
            return self
                .compare_existing(row_no, row, format!("{detail} ({code})"))
                .await;
        }
        if matches!(code.as_str(), "blueprint.not_found" | "blueprint.closed")
            || status == 401
            || status == 403
            || code == "route.not_found"
        {
            self.halt(Stopped::Refused(format!("{detail} ({code})")));
            return Outcome::NotSent;
        }
        let column = field.filter(|f| self.register.column(f).is_some());
        Outcome::Rejected(RowError {
            row: row_no,
            column,
            message: format!("{detail} ({code})"),
        })
    }

    /// The id is taken: the row is already recorded if it says what an export of the recorded
    /// thing says, and is refused otherwise.
    async fn compare_existing(&self, row_no: u64, row: &Row, detail: String) -> Outcome {
        let existing = self
            .existing
            .get_or_init(|| async {
                export::fetch_rows(self.client, self.register, self.blueprint)
                    .await
                    .map(|rows| {
                        rows.into_iter()
                            .map(|r| (r.id().to_owned(), r))
                            .collect::<HashMap<_, _>>()
                    })
            })
            .await;
        let message = match existing {
            Ok(map) => match map.get(row.id()) {
                Some(recorded) if recorded == row => return Outcome::AlreadyRecorded,
                Some(recorded) => format!(
                    "{detail}; the recorded one differs in {}",
                    row.differences(recorded).join(", ")
                ),
                None => detail,
            },
            Err(_) => detail,
        };
        Outcome::Rejected(RowError::at(row_no, "id", message))
    }
}

fn progress_bar(rows: u64, wanted: bool) -> ProgressBar {
    if !(wanted && rows >= PROGRESS_MIN_ROWS && io::stderr().is_terminal()) {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(rows), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{bar:40}] {pos}/{len} rows ({percent}%), eta {eta} {msg}",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Sends every row of a checked file. A row that breaks a rule only the server knows is reported
/// and the others still go; sending stops early only when every further row would fail too.
pub async fn send(
    client: &ApiClient,
    blueprint: &BlueprintId,
    checked: &Checked,
    path: &Path,
    options: &SendOptions,
) -> Report {
    let register = checked.register;
    let sender = Sender {
        client,
        blueprint,
        register,
        path: register.path(blueprint),
        existing: OnceCell::new(),
        stop: AtomicBool::new(false),
        stopped: Mutex::new(None),
    };
    let bar = progress_bar(checked.rows, options.progress);
    let mut report = Report {
        rows: checked.rows,
        ..Report::default()
    };
    let concurrency = options.concurrency.max(1);
    for wave in 0..checked.waves() {
        if sender.stop.load(Ordering::SeqCst) {
            break;
        }
        let file = match File::open(path) {
            Ok(f) => f,
            Err(e) => {
                sender.halt(Stopped::File(format!(
                    "cannot read {}: {e}",
                    path.display()
                )));
                break;
            }
        };
        let rows: Box<dyn Iterator<Item = Result<(u64, Row), Reread>>> = if wave == 0 {
            match SequentialRows::new(register, file, Some(&checked.deferred)) {
                Ok(rows) => Box::new(rows),
                Err(_) => {
                    sender.halt(Stopped::File(Reread::Changed(1).to_string()));
                    break;
                }
            }
        } else {
            let mut reader = reader_builder().from_reader(file);
            let header = match reader.byte_headers() {
                Ok(h) => Header::parse(register, h).0,
                Err(e) => {
                    sender.halt(Stopped::File(e.to_string()));
                    break;
                }
            };
            Box::new(PositionedRows {
                reader,
                header,
                record: ByteRecord::new(),
                positions: checked.waves[wave - 1].iter(),
            })
        };
        let mut outcomes = futures::stream::iter(rows)
            .map(|item| {
                let sender = &sender;
                async move {
                    match item {
                        Ok((row, parsed)) if !sender.stop.load(Ordering::SeqCst) => {
                            sender.send(row, parsed).await
                        }
                        Ok(_) => Outcome::NotSent,
                        Err(e) => {
                            sender.halt(Stopped::File(e.to_string()));
                            Outcome::NotSent
                        }
                    }
                }
            })
            .buffer_unordered(concurrency);
        while let Some(outcome) = outcomes.next().await {
            match outcome {
                Outcome::Recorded => report.recorded += 1,
                Outcome::AlreadyRecorded => report.already_recorded += 1,
                Outcome::Rejected(e) => {
                    report.rejected.push(e);
                    bar.set_message(format!("({} rejected)", report.rejected.len()));
                }
                Outcome::NotSent => report.not_sent += 1,
            }
            bar.inc(1);
        }
    }
    bar.finish_and_clear();
    // Rows of waves never started were not sent either.
    let handled =
        report.recorded + report.already_recorded + report.rejected.len() as u64 + report.not_sent;
    report.not_sent += report.rows.saturating_sub(handled);
    report.rejected.sort_by_key(|e| e.row);
    report.stopped = sender
        .stopped
        .into_inner()
        .unwrap_or_else(PoisonError::into_inner);
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(register: Register, csv: &str) -> Vec<String> {
        match check(register, csv.as_bytes()) {
            Err(CheckError::Invalid(errors)) => errors.iter().map(ToString::to_string).collect(),
            other => panic!("expected problems, got {other:?}"),
        }
    }

    const HEADER: &str = "id,workstream,title,owner,due,depends_on\n";

    /// Rows are numbered by line, the header being row one (a quoted cell may span lines), and a
    /// repeated id names the row it first stood on.
    #[test]
    fn rows_are_numbered_by_line_and_a_repeated_id_names_the_first_row() {
        for (rows, problem) in [
            (
                "a,skills,A,gds,2027-01-01,\n\"b\",skills,\"Two\nlines\",gds,2027-01-02,\nc,skills,C,gds,2027-13-01,\n",
                "row 5, column due: Due date must be a date like 2027-03-31, not \"2027-13-01\"",
            ),
            (
                "a,skills,A,gds,2027-01-01,\nb,skills,B,gds,2027-01-01,\na,skills,A2,gds,2027-01-01,\n",
                "row 4, column id: a is already on row 2; each id may appear once",
            ),
        ] {
            let csv = format!("{HEADER}{rows}");
            assert_eq!(invalid(Register::Milestones, &csv), [problem], "{rows}");
        }
    }

    #[test]
    fn header_and_row_problems_are_all_reported() {
        let csv = "id,workstream,title,colour,due\nA,skills,,red,2027-01-01\n";
        assert_eq!(
            invalid(Register::Milestones, csv),
            [
                "row 1, column colour: unknown column; the columns of milestones are id, workstream, title, owner, depends_on, due",
                "row 1, column owner: required column missing from the header row",
                "row 2, column id: invalid milestone id \"A\": upper case 'A' is not allowed; use only lower-case ASCII letters, digits and '-'",
                "row 2, column title: Title is required",
            ]
        );
    }

    #[test]
    fn an_empty_file_has_no_header() {
        let got = invalid(Register::Commitments, "");
        assert!(
            got[0].starts_with("row 1: the header row is missing"),
            "{got:?}"
        );
    }

    #[test]
    fn dependencies_inside_the_file_are_sent_in_waves() {
        // d depends on c, c on b (later in the file), b on a milestone outside the file.
        let csv = format!(
            "{HEADER}d,skills,D,gds,2027-01-01,c\nc,skills,C,gds,2027-01-01,b\na,skills,A,gds,2027-01-01,\nb,skills,B,gds,2027-01-01,elsewhere\ne,skills,E,gds,2027-01-01,a d\n"
        );
        let checked = check(Register::Milestones, csv.as_bytes()).unwrap();
        assert_eq!(checked.rows, 5);
        let waves: Vec<Vec<u64>> = checked
            .waves
            .iter()
            .map(|w| w.iter().map(|(row, _)| *row).collect())
            .collect();
        // Wave 0 (not listed): a (row 4) and b (row 5). Then c, d, e.
        assert_eq!(waves, [vec![3], vec![2], vec![6]]);
        assert_eq!(checked.deferred, HashSet::from([2, 3, 6]));
    }

    #[test]
    fn circular_dependencies_are_reported_on_each_row_of_the_circle() {
        let csv = format!(
            "{HEADER}a,skills,A,gds,2027-01-01,b\nb,skills,B,gds,2027-01-01,c\nc,skills,C,gds,2027-01-01,a\nd,skills,D,gds,2027-01-01,a\n"
        );
        let got = invalid(Register::Milestones, &csv);
        assert_eq!(got.len(), 3, "{got:#?}");
        for (row, line) in [2, 3, 4].iter().zip(&got) {
            assert!(
                line.starts_with(&format!("row {row}, column depends_on: the dependencies go round in a circle (a -> b -> c -> a)")),
                "{line}"
            );
        }
    }

    #[test]
    fn a_long_chain_is_ordered_without_recursion() {
        let mut csv = HEADER.to_owned();
        let longest = dashboard::registers::check::MAX_ROWS;
        for i in (0..longest).rev() {
            let dep = if i == 0 {
                String::new()
            } else {
                format!("m{}", i - 1)
            };
            csv.push_str(&format!("m{i},skills,M,gds,2027-01-01,{dep}\n"));
        }
        let checked = check(Register::Milestones, csv.as_bytes()).unwrap();
        assert_eq!(checked.waves() as u64, longest);
    }
}
