//! The columns of each register and one CSV row checked and typed: every rule that can be checked
//! without asking the server (slugs, dates, numbers, text limits) is checked here, and every
//! problem is reported with its row and column.

use std::fmt;

use chrono::NaiveDate;
use csv::ByteRecord;
use proto::{
    BlueprintId, CommitmentId, CommitmentKind, MilestoneId, OrgId, PledgeId, Resource,
    WorkstreamId, text,
};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use proto::text::parse_hundredths;

/// A register that can be imported and exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Register {
    Milestones,
    Commitments,
    Pledges,
}

/// One column of a register's CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    /// Whether the header must name it. Optional columns may be left out; their cells default
    /// to empty.
    pub required: bool,
}

const fn column(name: &'static str, required: bool) -> Column {
    Column { name, required }
}

const MILESTONE_COLUMNS: &[Column] = &[
    column("id", true),
    column("workstream", true),
    column("title", true),
    column("owner", true),
    column("due", true),
    column("depends_on", false),
];

const COMMITMENT_COLUMNS: &[Column] = &[
    column("id", true),
    column("partner", true),
    column("kind", true),
    column("description", true),
    column("quantity", true),
    column("unit", true),
    column("due", true),
];

const PLEDGE_COLUMNS: &[Column] = &[
    column("id", true),
    column("sponsor", true),
    column("resource", true),
    column("amount", true),
    column("workstream", false),
    column("conditions", false),
];

const KINDS: &[(&str, CommitmentKind)] = &[
    ("secondment", CommitmentKind::Secondment),
    ("event_hosting", CommitmentKind::EventHosting),
    ("sharing_code", CommitmentKind::SharingCode),
    (
        "training_or_placements",
        CommitmentKind::TrainingOrPlacements,
    ),
    ("other", CommitmentKind::Other),
];

const RESOURCES: &[(&str, Resource)] = &[
    ("money", Resource::Money),
    ("staff_time", Resource::StaffTime),
];

impl Register {
    /// The plural name used on the command line and in API paths: `milestones`.
    pub fn name(self) -> &'static str {
        match self {
            Register::Milestones => "milestones",
            Register::Commitments => "commitments",
            Register::Pledges => "pledges",
        }
    }

    /// What one row is: `milestone`.
    pub fn thing(self) -> &'static str {
        match self {
            Register::Milestones => "milestone",
            Register::Commitments => "commitment",
            Register::Pledges => "pledge",
        }
    }

    /// The columns, in the order an export writes them.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Register::Milestones => MILESTONE_COLUMNS,
            Register::Commitments => COMMITMENT_COLUMNS,
            Register::Pledges => PLEDGE_COLUMNS,
        }
    }

    /// `id, workstream, title, ...`, for messages.
    pub fn column_list(self) -> String {
        self.columns()
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The API path that lists the register and creates its things.
    pub fn path(self, blueprint: &BlueprintId) -> String {
        format!("/api/v1/blueprints/{blueprint}/{}", self.name())
    }

    /// The rejection code the service answers when the id is already taken.
    pub fn exists_code(self) -> &'static str {
        match self {
            Register::Milestones => "milestone.already_planned",
            Register::Commitments => "commitment.already_exists",
            Register::Pledges => "pledge.already_exists",
        }
    }

    /// The verb of the creating command, for people: `plan`.
    fn verb(self) -> &'static str {
        match self {
            Register::Milestones => "plan",
            Register::Commitments | Register::Pledges => "make",
        }
    }
}

impl fmt::Display for Register {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A problem with a file, at a row (the line it starts on; the header is row 1) and usually a
/// column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub row: u64,
    pub column: Option<String>,
    pub message: String,
}

impl RowError {
    pub fn at(row: u64, column: &str, message: impl Into<String>) -> Self {
        Self {
            row,
            column: Some(column.to_owned()),
            message: message.into(),
        }
    }

    pub fn row(row: u64, message: impl Into<String>) -> Self {
        Self {
            row,
            column: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for RowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.column {
            Some(c) => write!(f, "row {}, column {c}: {}", self.row, self.message),
            None => write!(f, "row {}: {}", self.row, self.message),
        }
    }
}

/// A milestone to plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MilestoneRow {
    pub id: MilestoneId,
    pub workstream: WorkstreamId,
    pub title: String,
    pub owner: OrgId,
    pub due: NaiveDate,
    pub depends_on: Vec<MilestoneId>,
}

/// A partner's commitment to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CommitmentRow {
    pub id: CommitmentId,
    pub partner: OrgId,
    pub kind: CommitmentKind,
    pub description: String,
    pub quantity: u64,
    pub unit: String,
    pub due: NaiveDate,
}

/// A sponsor's pledge to make; `amount` in pence or hundredths of a person-day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PledgeRow {
    pub id: PledgeId,
    pub sponsor: OrgId,
    pub resource: Resource,
    pub amount: u64,
    pub workstream: Option<WorkstreamId>,
    pub conditions: String,
}

/// One valid row. Serialised, it is exactly the body of the API's create request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Row {
    Milestone(MilestoneRow),
    Commitment(CommitmentRow),
    Pledge(PledgeRow),
}

impl Row {
    pub fn register(&self) -> Register {
        match self {
            Row::Milestone(_) => Register::Milestones,
            Row::Commitment(_) => Register::Commitments,
            Row::Pledge(_) => Register::Pledges,
        }
    }

    pub fn id(&self) -> &str {
        match self {
            Row::Milestone(m) => m.id.as_str(),
            Row::Commitment(c) => c.id.as_str(),
            Row::Pledge(p) => p.id.as_str(),
        }
    }

    /// The JSON body of the create request (`id` and the action's fields).
    pub fn body(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The row's normalised content: its fields in a fixed order, with parsed dates and amounts,
    /// so that two spellings of the same row (`1,250.5` and `1250.50`) are the same content.
    pub fn canonical(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The idempotency key the row is sent with: a digest of the blueprint, the register, the id
    /// and the normalised content. Sending the same row again is answered with the original
    /// result; a changed row gets a new key and meets the "already exists" rule.
    pub fn idempotency_key(&self, blueprint: &BlueprintId) -> String {
        let mut hasher = Sha256::new();
        for part in [
            blueprint.as_str(),
            self.register().name(),
            self.id(),
            &self.canonical(),
        ] {
            hasher.update((part.len() as u64).to_le_bytes());
            hasher.update(part.as_bytes());
        }
        let digest = hasher.finalize();
        let mut key = String::with_capacity(7 + 64);
        key.push_str("import-");
        for byte in digest.iter() {
            key.push_str(&format!("{byte:02x}"));
        }
        key
    }

    /// The row's cells in the register's column order, as an export writes them.
    pub fn cells(&self) -> Vec<String> {
        match self {
            Row::Milestone(m) => vec![
                m.id.to_string(),
                m.workstream.to_string(),
                m.title.clone(),
                m.owner.to_string(),
                m.due.to_string(),
                m.depends_on
                    .iter()
                    .map(MilestoneId::as_str)
                    .collect::<Vec<_>>()
                    .join(" "),
            ],
            Row::Commitment(c) => vec![
                c.id.to_string(),
                c.partner.to_string(),
                kind_token(c.kind).to_owned(),
                c.description.clone(),
                c.quantity.to_string(),
                c.unit.clone(),
                c.due.to_string(),
            ],
            Row::Pledge(p) => vec![
                p.id.to_string(),
                p.sponsor.to_string(),
                resource_token(p.resource).to_owned(),
                format_hundredths(p.amount),
                p.workstream
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                p.conditions.clone(),
            ],
        }
    }

    /// The names of the columns in which this row differs from `other`.
    pub fn differences(&self, other: &Row) -> Vec<&'static str> {
        let columns = self.register().columns();
        self.cells()
            .iter()
            .zip(other.cells())
            .zip(columns)
            .filter(|((a, b), _)| *a != b)
            .map(|(_, c)| c.name)
            .collect()
    }

    /// One line saying what recording this row does, for `--dry-run`.
    pub fn describe(&self, blueprint: &BlueprintId) -> String {
        let register = self.register();
        let head = format!(
            "{} {} {blueprint}/{}",
            register.verb(),
            register.thing(),
            self.id()
        );
        match self {
            Row::Milestone(m) => {
                let after = if m.depends_on.is_empty() {
                    String::new()
                } else {
                    let ids: Vec<&str> = m.depends_on.iter().map(MilestoneId::as_str).collect();
                    format!(", after {}", ids.join(", "))
                };
                format!(
                    "{head}: {:?} in workstream {}, owned by {}, due {}{after}",
                    m.title, m.workstream, m.owner, m.due
                )
            }
            Row::Commitment(c) => format!(
                "{head}: {} commits {} {} ({}) by {}: {:?}",
                c.partner,
                c.quantity,
                c.unit,
                c.kind.label(),
                c.due,
                c.description
            ),
            Row::Pledge(p) => {
                let to = p
                    .workstream
                    .as_ref()
                    .map(|w| format!(" to workstream {w}"))
                    .unwrap_or_default();
                format!(
                    "{head}: {} pledges {}{to}",
                    p.sponsor,
                    p.resource.format(p.amount)
                )
            }
        }
    }
}

/// The CSV token of a commitment kind: `event_hosting`.
pub fn kind_token(kind: CommitmentKind) -> &'static str {
    KINDS
        .iter()
        .find(|(_, k)| *k == kind)
        .map_or("other", |(t, _)| t)
}

/// The CSV token of a resource: `staff_time`.
pub fn resource_token(resource: Resource) -> &'static str {
    RESOURCES
        .iter()
        .find(|(_, r)| *r == resource)
        .map_or("money", |(t, _)| t)
}

/// Hundredths as a decimal with two places: `125050` is `1250.50`.
pub fn format_hundredths(amount: u64) -> String {
    format!("{}.{:02}", amount / 100, amount % 100)
}

/// Where each of a register's columns is in the file.
#[derive(Debug, Clone)]
pub struct Header {
    register: Register,
    /// For each of the register's columns, its index in a record, if the header names it.
    index: Vec<Option<usize>>,
    /// How many fields the header has; every row must have as many.
    width: usize,
}

impl Header {
    /// Reads the header row; returns the header and every problem with it (unknown, repeated or
    /// missing columns). Rows can still be checked against a header with problems.
    pub fn parse(register: Register, record: &ByteRecord) -> (Header, Vec<RowError>) {
        let columns = register.columns();
        let mut index = vec![None; columns.len()];
        let mut errors = Vec::new();
        let blank = record.iter().all(|f| f.is_empty());
        if blank {
            errors.push(RowError::row(
                1,
                format!(
                    "the header row is missing; the first row must name the columns: {}",
                    register.column_list()
                ),
            ));
            return (
                Header {
                    register,
                    index,
                    width: record.len(),
                },
                errors,
            );
        }
        let mut unknown = Vec::new();
        for (i, raw) in record.iter().enumerate() {
            let name = String::from_utf8_lossy(raw);
            // A spreadsheet saving "CSV UTF-8" starts the file with a byte order mark.
            let name = name.trim_start_matches('\u{feff}').trim();
            match columns.iter().position(|c| c.name == name) {
                Some(c) if index[c].is_some() => errors.push(RowError::at(
                    1,
                    name,
                    "the column is named twice; name each column once",
                )),
                Some(c) => index[c] = Some(i),
                None => unknown.push(if name.is_empty() {
                    format!("(column {} has no name)", i + 1)
                } else {
                    name.to_owned()
                }),
            }
        }
        for name in unknown {
            errors.push(RowError::at(
                1,
                &name,
                format!(
                    "unknown column; the columns of {register} are {}",
                    register.column_list()
                ),
            ));
        }
        for (c, at) in columns.iter().zip(&index) {
            if c.required && at.is_none() {
                errors.push(RowError::at(
                    1,
                    c.name,
                    "required column missing from the header row",
                ));
            }
        }
        (
            Header {
                register,
                index,
                width: record.len(),
            },
            errors,
        )
    }

    pub fn register(&self) -> Register {
        self.register
    }

    /// The id cell of a record, trimmed, if the header has an id column and it is UTF-8.
    pub fn raw_id<'r>(&self, record: &'r ByteRecord) -> Option<&'r str> {
        let at = self.index[0]?;
        std::str::from_utf8(record.get(at)?).ok().map(str::trim)
    }

    /// Checks one data row; returns it typed, or every problem found in it.
    pub fn parse_row(&self, record: &ByteRecord, row: u64) -> Result<Row, Vec<RowError>> {
        if record.len() != self.width {
            let values = if record.len() == 1 { "value" } else { "values" };
            return Err(vec![RowError::row(
                row,
                format!(
                    "the row has {} {values} but the header names {} columns; \
                     quote any value that contains a comma",
                    record.len(),
                    self.width
                ),
            )]);
        }
        let mut cells = Cells {
            header: self,
            record,
            row,
            errors: Vec::new(),
        };
        let parsed = match self.register {
            Register::Milestones => milestone(&mut cells).map(Row::Milestone),
            Register::Commitments => commitment(&mut cells).map(Row::Commitment),
            Register::Pledges => pledge(&mut cells).map(Row::Pledge),
        };
        match parsed {
            Some(row) if cells.errors.is_empty() => Ok(row),
            _ => Err(cells.errors),
        }
    }
}

/// The cells of one record, collecting problems as columns are read.
struct Cells<'a> {
    header: &'a Header,
    record: &'a ByteRecord,
    row: u64,
    errors: Vec<RowError>,
}

impl Cells<'_> {
    /// The trimmed text of a column; `None` (with the problem noted) when it is not UTF-8, and
    /// `Some("")` when the header does not name the column.
    fn text(&mut self, column: &'static str) -> Option<&str> {
        let columns = self.header.register.columns();
        let at = columns
            .iter()
            .position(|c| c.name == column)
            .and_then(|c| self.header.index[c]);
        let Some(at) = at else {
            return Some("");
        };
        let raw = self.record.get(at).unwrap_or_default();
        match std::str::from_utf8(raw) {
            Ok(s) => Some(s.trim()),
            Err(_) => {
                self.fail(
                    column,
                    "the value is not UTF-8 text; save the file as CSV UTF-8",
                );
                None
            }
        }
    }

    /// Whether the header names a column (a missing one was reported with the header).
    fn present(&self, column: &'static str) -> bool {
        let columns = self.header.register.columns();
        columns
            .iter()
            .position(|c| c.name == column)
            .and_then(|c| self.header.index[c])
            .is_some()
    }

    fn fail(&mut self, column: &str, message: impl Into<String>) {
        self.errors.push(RowError::at(self.row, column, message));
    }

    /// A required column's value, checked by `check`.
    fn with<T>(
        &mut self,
        column: &'static str,
        check: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        if !self.present(column) {
            return None;
        }
        let value = self.text(column)?.to_owned();
        match check(&value) {
            Ok(v) => Some(v),
            Err(message) => {
                self.fail(column, message);
                None
            }
        }
    }

    /// An optional column's value, checked by `check` (an absent column reads as empty).
    fn optional<T>(
        &mut self,
        column: &'static str,
        check: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = self.text(column)?.to_owned();
        match check(&value) {
            Ok(v) => Some(v),
            Err(message) => {
                self.fail(column, message);
                None
            }
        }
    }
}

fn slug<T, E: fmt::Display>(
    make: impl FnOnce(String) -> Result<T, E>,
) -> impl FnOnce(&str) -> Result<T, String> {
    move |s| make(s.to_owned()).map_err(|e| e.to_string())
}

fn date(s: &str) -> Result<NaiveDate, String> {
    if s.is_empty() {
        return Err("a date is required, like 2027-03-31".to_owned());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|_| format!("{s:?} is not a date; use YYYY-MM-DD, like 2027-03-31"))
}

fn rule(check: Result<(), proto::Rejection>) -> Result<(), String> {
    check.map_err(|r| r.message)
}

fn milestone(cells: &mut Cells<'_>) -> Option<MilestoneRow> {
    let id = cells.with("id", slug(MilestoneId::new));
    let workstream = cells.with("workstream", slug(WorkstreamId::new));
    let title = cells.with("title", |s| {
        rule(text::title("title", s)).map(|()| s.to_owned())
    });
    let owner = cells.with("owner", slug(OrgId::new));
    let due = cells.with("due", date);
    let depends_on = cells.optional("depends_on", |s| {
        let mut ids: Vec<MilestoneId> = Vec::new();
        for part in s
            .split(|c: char| c == ';' || c == ',' || c.is_whitespace())
            .filter(|p| !p.is_empty())
        {
            let dep = MilestoneId::new(part).map_err(|e| e.to_string())?;
            if ids.contains(&dep) {
                return Err(format!("milestone {dep} is listed twice"));
            }
            ids.push(dep);
        }
        Ok(ids)
    });
    if let (Some(id), Some(deps)) = (&id, &depends_on)
        && deps.contains(id)
    {
        cells.fail(
            "depends_on",
            format!("milestone {id} cannot depend on itself"),
        );
    }
    Some(MilestoneRow {
        id: id?,
        workstream: workstream?,
        title: title?,
        owner: owner?,
        due: due?,
        depends_on: depends_on?,
    })
}

fn commitment(cells: &mut Cells<'_>) -> Option<CommitmentRow> {
    let id = cells.with("id", slug(CommitmentId::new));
    let partner = cells.with("partner", slug(OrgId::new));
    let kind = cells.with("kind", |s| {
        KINDS
            .iter()
            .find(|(t, _)| *t == s)
            .map(|(_, k)| *k)
            .ok_or_else(|| {
                let tokens: Vec<&str> = KINDS.iter().map(|(t, _)| *t).collect();
                format!("{s:?} is not a kind; use one of {}", tokens.join(", "))
            })
    });
    let description = cells.with("description", |s| {
        rule(text::reason("description", s)).map(|()| s.to_owned())
    });
    let quantity = cells.with("quantity", |s| {
        let q: u64 = s
            .parse()
            .ok()
            .filter(|_| s.chars().all(|c| c.is_ascii_digit()))
            .ok_or_else(|| format!("{s:?} is not a whole number, like 2"))?;
        rule(text::positive("quantity", q)).map(|()| q)
    });
    let unit = cells.with("unit", |s| {
        rule(text::required("unit", s, text::UNIT_MAX)).map(|()| s.to_owned())
    });
    let due = cells.with("due", date);
    Some(CommitmentRow {
        id: id?,
        partner: partner?,
        kind: kind?,
        description: description?,
        quantity: quantity?,
        unit: unit?,
        due: due?,
    })
}

fn pledge(cells: &mut Cells<'_>) -> Option<PledgeRow> {
    let id = cells.with("id", slug(PledgeId::new));
    let sponsor = cells.with("sponsor", slug(OrgId::new));
    let resource = cells.with("resource", |s| {
        RESOURCES
            .iter()
            .find(|(t, _)| *t == s)
            .map(|(_, r)| *r)
            .ok_or_else(|| format!("{s:?} is not a resource; use money or staff_time"))
    });
    let amount = cells.with("amount", |s| {
        let a = parse_hundredths(s)?;
        rule(text::positive("amount", a)).map(|()| a)
    });
    let workstream = cells.optional("workstream", |s| {
        if s.is_empty() {
            Ok(None)
        } else {
            WorkstreamId::new(s).map(Some).map_err(|e| e.to_string())
        }
    });
    let conditions = cells.optional("conditions", |s| {
        rule(text::note("conditions", s)).map(|()| s.to_owned())
    });
    Some(PledgeRow {
        id: id?,
        sponsor: sponsor?,
        resource: resource?,
        amount: amount?,
        workstream: workstream?,
        conditions: conditions?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(fields: &[&str]) -> ByteRecord {
        ByteRecord::from(fields.to_vec())
    }

    fn header(register: Register, names: &[&str]) -> Header {
        let (header, errors) = Header::parse(register, &record(names));
        assert!(errors.is_empty(), "{errors:?}");
        header
    }

    fn messages(errors: &[RowError]) -> Vec<String> {
        errors.iter().map(ToString::to_string).collect()
    }

    const MILESTONE_HEADER: &[&str] = &["id", "workstream", "title", "owner", "due", "depends_on"];

    #[test]
    fn a_valid_milestone_row_becomes_the_create_body() {
        let h = header(Register::Milestones, MILESTONE_HEADER);
        let row = h
            .parse_row(
                &record(&[
                    "academy",
                    "skills",
                    " GDS academy ",
                    "gds",
                    "2027-03-31",
                    "a; b c",
                ]),
                2,
            )
            .unwrap();
        assert_eq!(
            row.body(),
            serde_json::json!({"id": "academy", "workstream": "skills", "title": "GDS academy",
                "owner": "gds", "due": "2027-03-31", "depends_on": ["a", "b", "c"]})
        );
        assert_eq!(
            row.cells(),
            [
                "academy",
                "skills",
                "GDS academy",
                "gds",
                "2027-03-31",
                "a b c"
            ]
        );
    }

    #[test]
    fn every_problem_of_a_row_is_reported_with_row_and_column() {
        let h = header(Register::Milestones, MILESTONE_HEADER);
        let long = "x".repeat(text::TITLE_MAX + 1);
        let errors = h
            .parse_row(
                &record(&[
                    "Hub.Roles",
                    "skills",
                    &long,
                    "gds",
                    "31/03/2027",
                    "hub roles x.y",
                ]),
                7,
            )
            .unwrap_err();
        let got = messages(&errors);
        assert_eq!(got.len(), 4, "{got:#?}");
        assert!(
            got[0].starts_with("row 7, column id: invalid milestone id \"Hub.Roles\""),
            "{got:#?}"
        );
        assert!(
            got[1].starts_with("row 7, column title: title is 201 characters long"),
            "{got:#?}"
        );
        assert!(
            got[2].starts_with("row 7, column due: \"31/03/2027\" is not a date"),
            "{got:#?}"
        );
        assert!(
            got[3].starts_with("row 7, column depends_on: invalid milestone id \"x.y\""),
            "{got:#?}"
        );
    }

    #[test]
    fn dependencies_on_itself_or_twice_are_refused() {
        let h = header(Register::Milestones, MILESTONE_HEADER);
        let errors = h
            .parse_row(&record(&["a", "skills", "A", "gds", "2027-01-01", "a"]), 3)
            .unwrap_err();
        assert_eq!(
            messages(&errors),
            ["row 3, column depends_on: milestone a cannot depend on itself"]
        );
        let errors = h
            .parse_row(
                &record(&["a", "skills", "A", "gds", "2027-01-01", "b;b"]),
                3,
            )
            .unwrap_err();
        assert_eq!(
            messages(&errors),
            ["row 3, column depends_on: milestone b is listed twice"]
        );
    }

    #[test]
    fn blank_required_text_and_a_ragged_row_are_refused() {
        let h = header(Register::Milestones, MILESTONE_HEADER);
        let errors = h
            .parse_row(&record(&["a", "", "  ", "gds", "", ""]), 4)
            .unwrap_err();
        let got = messages(&errors);
        assert!(
            got[0].starts_with("row 4, column workstream: invalid workstream id"),
            "{got:?}"
        );
        assert_eq!(got[1], "row 4, column title: title must not be blank");
        assert_eq!(
            got[2],
            "row 4, column due: a date is required, like 2027-03-31"
        );
        let errors = h.parse_row(&record(&["a", "skills"]), 5).unwrap_err();
        assert!(
            messages(&errors)[0].starts_with("row 5: the row has 2 values but the header names 6"),
            "{errors:?}"
        );
    }

    #[test]
    fn header_problems_name_the_columns() {
        let (_, errors) = Header::parse(
            Register::Milestones,
            &record(&["\u{feff}id", "title", "title", "colour", "owner", "due"]),
        );
        assert_eq!(
            messages(&errors),
            [
                "row 1, column title: the column is named twice; name each column once",
                "row 1, column colour: unknown column; the columns of milestones are id, workstream, title, owner, due, depends_on",
                "row 1, column workstream: required column missing from the header row",
            ]
        );
        let (_, errors) = Header::parse(Register::Pledges, &record(&[""]));
        assert!(messages(&errors)[0].starts_with("row 1: the header row is missing"));
        // Optional columns may be left out, and columns may come in any order.
        header(Register::Pledges, &["amount", "resource", "sponsor", "id"]);
    }

    #[test]
    fn commitments_check_kind_quantity_and_unit() {
        let h = header(
            Register::Commitments,
            &[
                "id",
                "partner",
                "kind",
                "description",
                "quantity",
                "unit",
                "due",
            ],
        );
        let ok = h
            .parse_row(
                &record(&[
                    "secondees",
                    "gds",
                    "secondment",
                    "Two secondees",
                    "2",
                    "people",
                    "2027-01-31",
                ]),
                2,
            )
            .unwrap();
        assert_eq!(ok.body()["kind"], "secondment");
        let errors = h
            .parse_row(
                &record(&["s", "gds", "lunch", "", "0", &"u".repeat(41), "2027-01-31"]),
                3,
            )
            .unwrap_err();
        let got = messages(&errors);
        assert_eq!(got.len(), 4, "{got:#?}");
        assert!(
            got[0]
                .starts_with("row 3, column kind: \"lunch\" is not a kind; use one of secondment")
        );
        assert_eq!(
            got[1],
            "row 3, column description: description must not be blank"
        );
        assert_eq!(
            got[2],
            "row 3, column quantity: quantity must be greater than zero"
        );
        assert!(got[3].starts_with("row 3, column unit: unit is 41 characters long"));
        let errors = h
            .parse_row(
                &record(&["s", "gds", "other", "d", "-2", "u", "2027-01-31"]),
                4,
            )
            .unwrap_err();
        assert!(messages(&errors)[0].contains("is not a whole number"));
    }

    #[test]
    fn pledges_parse_amounts_in_pounds_and_days() {
        let h = header(
            Register::Pledges,
            &[
                "id",
                "sponsor",
                "resource",
                "amount",
                "workstream",
                "conditions",
            ],
        );
        let money = h
            .parse_row(&record(&["fund", "gds", "money", "£1,250.5", "", ""]), 2)
            .unwrap();
        assert_eq!(money.body()["amount"], 125_050);
        assert_eq!(money.body()["workstream"], Value::Null);
        assert_eq!(money.cells()[3], "1250.50");
        let days = h
            .parse_row(
                &record(&["time", "gds", "staff_time", "12.5", "skills", "If approved"]),
                3,
            )
            .unwrap();
        assert_eq!(days.body()["resource"], "staff_time");
        assert_eq!(days.body()["amount"], 1250);
        let errors = h
            .parse_row(&record(&["x", "gds", "gold", "0", "Skills", "c"]), 4)
            .unwrap_err();
        let got = messages(&errors);
        assert_eq!(got.len(), 3, "{got:#?}");
        assert!(got[0].starts_with("row 4, column resource: \"gold\" is not a resource"));
        assert_eq!(
            got[1],
            "row 4, column amount: amount must be greater than zero"
        );
        assert!(got[2].starts_with("row 4, column workstream: invalid workstream id \"Skills\""));
        let errors = h
            .parse_row(&record(&["x", "gds", "money", "12.345", "", "bad\u{7}"]), 5)
            .unwrap_err();
        let got = messages(&errors);
        assert!(got[0].starts_with("row 5, column amount: \"12.345\" is not an amount"));
        assert_eq!(
            got[1],
            "row 5, column conditions: conditions contains a control character"
        );
    }

    #[test]
    fn the_key_follows_the_normalised_content() {
        let h = header(
            Register::Pledges,
            &[
                "id",
                "sponsor",
                "resource",
                "amount",
                "workstream",
                "conditions",
            ],
        );
        let bp = BlueprintId::new("wm").unwrap();
        let a = h
            .parse_row(&record(&["fund", "gds", "money", "1,250.5", "", ""]), 2)
            .unwrap();
        let b = h
            .parse_row(&record(&["fund", "gds", "money", "1250.50", "", ""]), 9)
            .unwrap();
        let c = h
            .parse_row(&record(&["fund", "gds", "money", "1250.51", "", ""]), 2)
            .unwrap();
        assert_eq!(a.idempotency_key(&bp), b.idempotency_key(&bp));
        assert_ne!(a.idempotency_key(&bp), c.idempotency_key(&bp));
        assert_ne!(
            a.idempotency_key(&bp),
            a.idempotency_key(&BlueprintId::new("other").unwrap())
        );
        let key = a.idempotency_key(&bp);
        assert!(
            key.len() <= proto::IDEMPOTENCY_KEY_MAX && key.starts_with("import-"),
            "{key}"
        );
        assert_eq!(a.differences(&c), ["amount"]);
    }

    #[test]
    fn non_utf8_is_reported() {
        let h = header(Register::Milestones, MILESTONE_HEADER);
        let rec = ByteRecord::from(vec![
            b"a".to_vec(),
            b"skills".to_vec(),
            b"caf\xe9".to_vec(),
            b"gds".to_vec(),
            b"2027-01-01".to_vec(),
            Vec::new(),
        ]);
        let errors = h.parse_row(&rec, 2).unwrap_err();
        assert_eq!(
            messages(&errors),
            ["row 2, column title: the value is not UTF-8 text; save the file as CSV UTF-8"]
        );
    }
}
