//! Checking a register file: every row, every column, duplicate ids and the order milestones
//! that depend on each other must be recorded in. Nothing is sent; the CLI's import and the
//! dashboard's upload form both check a file here before recording anything.

use std::collections::{HashMap, HashSet};
use std::io;

use csv::{ByteRecord, Position, ReaderBuilder};

use super::rows::{Header, Register, RowError};

/// Why a file cannot be imported.
#[derive(Debug)]
pub enum CheckError {
    /// The file cannot be read.
    Unreadable(String),
    /// Rows (or the header) break rules; every problem is listed, in file order.
    Invalid(Vec<RowError>),
}

/// A file whose every row passed the checks, and the order to send its rows in.
#[derive(Debug)]
pub struct Checked {
    pub register: Register,
    /// Data rows in the file.
    pub rows: u64,
    /// Rows (by row number) that must wait for other rows of the file.
    pub deferred: HashSet<u64>,
    /// The waiting rows by wave (wave 1 first), with where each starts in the file.
    pub waves: Vec<Vec<(u64, Position)>>,
}

impl Checked {
    /// How many waves the rows are sent in.
    pub fn waves(&self) -> usize {
        1 + self.waves.len()
    }
}

pub fn reader_builder() -> ReaderBuilder {
    let mut builder = ReaderBuilder::new();
    builder.has_headers(true).flexible(true);
    builder
}

/// A row whose dependencies column names rows of the same file.
struct Waiting {
    id: String,
    row: u64,
    position: Position,
    depends_on: Vec<String>,
}

/// The most rows one file may hold: each is a command, recorded a few at a time.
pub const MAX_ROWS: u64 = 10_000;

/// Checks every row read from `input` (at most [`MAX_ROWS`]); sends nothing.
pub fn check(register: Register, input: impl io::Read) -> Result<Checked, CheckError> {
    let mut reader = reader_builder().from_reader(input);
    let header_record = reader
        .byte_headers()
        .map_err(|e| CheckError::Unreadable(e.to_string()))?
        .clone();
    let (header, mut errors) = Header::parse(register, &header_record);
    // The column naming milestones of the same register that must be recorded first.
    let dependencies = register.dependencies();
    // Ids seen, with the row they are on.
    let mut ids: HashMap<String, u64> = HashMap::new();
    let mut waiting: Vec<Waiting> = Vec::new();
    let mut record = ByteRecord::new();
    let mut rows = 0;
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| CheckError::Unreadable(e.to_string()))?
    {
        rows += 1;
        if rows > MAX_ROWS {
            return Err(CheckError::Unreadable(format!(
                "the file has more than {MAX_ROWS} rows; split it into smaller files"
            )));
        }
        let position = record.position().cloned().unwrap_or_else(Position::new);
        let row = position.line();
        if let Some(id) = header.raw_id(&record).filter(|id| !id.is_empty()) {
            match ids.get(id) {
                Some(first) => errors.push(RowError::at(
                    row,
                    "id",
                    format!("{id} is already on row {first}; each id may appear once"),
                )),
                None => {
                    ids.insert(id.to_owned(), row);
                }
            }
        }
        match header.parse_row(&record, row) {
            Ok(parsed) => {
                let depends_on = dependencies.map_or_else(Vec::new, |c| parsed.ids(c.name));
                if !depends_on.is_empty() {
                    waiting.push(Waiting {
                        id: parsed.id().to_owned(),
                        row,
                        position,
                        depends_on: depends_on.into_iter().map(str::to_owned).collect(),
                    });
                }
            }
            Err(problems) => errors.extend(problems),
        }
    }
    let waves = match dependencies {
        Some(column) => order_waves(&waiting, &ids, column.name, &mut errors),
        None => Vec::new(),
    };
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.row);
        return Err(CheckError::Invalid(errors));
    }
    let mut by_wave: Vec<Vec<(u64, Position)>> = Vec::new();
    let mut deferred = HashSet::new();
    for (w, wave) in waiting.into_iter().zip(waves) {
        if wave == 0 {
            continue;
        }
        if by_wave.len() < wave {
            by_wave.resize_with(wave, Vec::new);
        }
        deferred.insert(w.row);
        by_wave[wave - 1].push((w.row, w.position));
    }
    Ok(Checked {
        register,
        rows,
        deferred,
        waves: by_wave,
    })
}

/// The wave of each waiting row: 0 when none of its dependencies is in the file, else one more
/// than the latest wave among them. Circular dependencies are reported on each row of the
/// circle, in the dependencies `column`.
fn order_waves(
    waiting: &[Waiting],
    ids: &HashMap<String, u64>,
    column: &str,
    errors: &mut Vec<RowError>,
) -> Vec<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        Open,
        Done(usize),
    }
    let index: HashMap<&str, usize> = waiting
        .iter()
        .enumerate()
        .map(|(i, w)| (w.id.as_str(), i))
        .collect();
    let mut marks = vec![Mark::New; waiting.len()];
    let mut in_circle = vec![false; waiting.len()];
    for start in 0..waiting.len() {
        if marks[start] != Mark::New {
            continue;
        }
        marks[start] = Mark::Open;
        // Depth-first, without recursion: (node, next dependency to look at).
        let mut stack = vec![(start, 0usize)];
        while let Some(&mut (node, ref mut next)) = stack.last_mut() {
            let deps = &waiting[node].depends_on;
            if *next < deps.len() {
                let dep = deps[*next].as_str();
                *next += 1;
                let Some(&d) = index.get(dep) else {
                    continue;
                };
                match marks[d] {
                    Mark::New => {
                        marks[d] = Mark::Open;
                        stack.push((d, 0));
                    }
                    Mark::Open => {
                        let from = stack.iter().position(|&(n, _)| n == d).unwrap_or(0);
                        let circle: Vec<usize> = stack[from..].iter().map(|&(n, _)| n).collect();
                        let path = circle
                            .iter()
                            .chain(std::iter::once(&d))
                            .map(|&n| waiting[n].id.as_str())
                            .collect::<Vec<_>>()
                            .join(" -> ");
                        for &n in &circle {
                            if !in_circle[n] {
                                in_circle[n] = true;
                                errors.push(RowError::at(
                                    waiting[n].row,
                                    column,
                                    format!(
                                        "the dependencies go round in a circle ({path}), so none of them can be planned first"
                                    ),
                                ));
                            }
                        }
                    }
                    Mark::Done(_) => {}
                }
            } else {
                let mut wave = 0;
                for dep in deps {
                    if !ids.contains_key(dep) {
                        continue;
                    }
                    let before = match index.get(dep.as_str()).map(|&d| marks[d]) {
                        Some(Mark::Done(w)) => w,
                        _ => 0,
                    };
                    wave = wave.max(before + 1);
                }
                marks[node] = Mark::Done(wave);
                stack.pop();
            }
        }
    }
    marks
        .into_iter()
        .map(|m| match m {
            Mark::Done(w) => w,
            _ => 0,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_past_the_row_limit_is_refused_whole() {
        let mut csv = String::from("id,workstream,title,owner,due,depends_on\n");
        for i in 0..=MAX_ROWS {
            csv.push_str(&format!("m{i},skills,Milestone,gds,2027-03-01,\n"));
        }
        match check(Register::Milestones, csv.as_bytes()) {
            Err(CheckError::Unreadable(why)) => {
                assert!(why.contains("more than 10000 rows"), "{why}")
            }
            other => panic!("expected a refusal, got {:?}", other.map(|c| c.rows)),
        }
    }
}
