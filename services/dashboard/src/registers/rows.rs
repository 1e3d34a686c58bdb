//! The columns of each register and one CSV row checked and typed.
//!
//! A register's columns are `id` and then the fields of the action that creates its things, in
//! the order the command catalogue ([`proto::spec`]) declares them. A cell is read with its
//! field's [`FieldSpec::parse`] and written with its [`FieldSpec::format`], so a CSV cell is typed
//! the way a form field or a flag is, and a field added to a creating action is a column at once.
//! A valid row is the body of the create request. Every problem is reported with its row and
//! column; rules that need recorded state, or that only the service decides (an amount above
//! zero), come back from the service when the row is sent, by row too.

use std::fmt;
use std::sync::LazyLock;

use csv::ByteRecord;
use proto::spec::{self, ActionSpec, Actions, FieldSpec, Input, KindSpec};
use proto::{BlueprintId, IdError, ThingKind, check_slug};
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// A register that can be imported and exported: the things of one kind in a blueprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Register {
    Milestones,
    Commitments,
    Pledges,
}

/// One column of a register's CSV file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// As the header row names it: [`ID`], or the field's name.
    pub name: &'static str,
    /// Whether the header must name it. Optional columns may be left out; their cells default
    /// to empty.
    pub required: bool,
    /// The creating action's field the column holds; `None` for the id.
    pub field: Option<&'static FieldSpec>,
}

/// The first column of every register: the id of the thing a row creates.
pub const ID: &str = "id";

/// Each register's columns, in [`Register::ALL`] order, built once from the catalogue.
static COLUMNS: LazyLock<[Vec<Column>; 3]> =
    LazyLock::new(|| Register::ALL.map(Register::columns_of_create));

impl Register {
    /// Every register, in the order the catalogue lists their kinds.
    pub const ALL: [Register; 3] = [
        Register::Milestones,
        Register::Commitments,
        Register::Pledges,
    ];

    /// The kind of thing one row records.
    pub fn kind(self) -> ThingKind {
        match self {
            Register::Milestones => ThingKind::Milestone,
            Register::Commitments => ThingKind::Commitment,
            Register::Pledges => ThingKind::Pledge,
        }
    }

    /// The register of things of `kind`, if they have one.
    pub fn of(kind: ThingKind) -> Option<Register> {
        Self::ALL.into_iter().find(|r| r.kind() == kind)
    }

    /// The register called `name` (`milestones`).
    pub fn named(name: &str) -> Option<Register> {
        Self::ALL.into_iter().find(|r| r.name() == name)
    }

    /// Its kind's entry in the command catalogue.
    pub fn spec(self) -> &'static KindSpec {
        spec::kind(self.kind())
    }

    /// The action each row is: the one that creates a thing of the register's kind.
    pub fn create(self) -> &'static ActionSpec {
        self.spec().create()
    }

    /// The plural name used on the command line and in API paths: `milestones`.
    pub fn name(self) -> &'static str {
        self.spec().plural
    }

    /// What one row is: `milestone`.
    pub fn thing(self) -> &'static str {
        self.kind().token()
    }

    /// The columns, in the order an export writes them: `id`, then the creating action's
    /// fields in the order the catalogue declares them.
    pub fn columns(self) -> &'static [Column] {
        &COLUMNS[self as usize]
    }

    fn columns_of_create(self) -> Vec<Column> {
        let id = Column {
            name: ID,
            required: true,
            field: None,
        };
        std::iter::once(id)
            .chain(self.create().fields.iter().map(|f| Column {
                name: f.name,
                required: f.required,
                field: Some(f),
            }))
            .collect()
    }

    /// The column called `name`.
    pub fn column(self, name: &str) -> Option<&'static Column> {
        self.columns().iter().find(|c| c.name == name)
    }

    /// `id, workstream, title, ...`, for messages.
    pub fn column_list(self) -> String {
        self.columns()
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The column naming the milestones a row's milestone depends on, which must be recorded
    /// before it: the milestone register's list of milestones.
    pub fn dependencies(self) -> Option<&'static Column> {
        if self.kind() != ThingKind::Milestone {
            return None;
        }
        self.columns()
            .iter()
            .find(|c| c.field.is_some_and(|f| f.input == Input::MilestoneList))
    }

    /// The API path that lists the register and creates its things.
    pub fn path(self, blueprint: &BlueprintId) -> String {
        format!("/api/v1/blueprints/{blueprint}/{}", self.name())
    }

    /// The rejection code the service answers when the id is already taken. Each service's
    /// decider declares its own; nothing in the catalogue says it, so it is kept here.
    pub fn exists_code(self) -> &'static str {
        match self {
            Register::Milestones => "milestone.already_planned",
            Register::Commitments => "commitment.already_exists",
            Register::Pledges => "pledge.already_exists",
        }
    }

    /// The creating action as a verb, for people: `plan`.
    pub fn verb(self) -> String {
        self.create().name.replace('_', " ")
    }
}

impl fmt::Display for Register {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// On the command line a register is named as in API paths, and described by its creating
/// action.
impl clap::ValueEnum for Register {
    fn value_variants<'a>() -> &'a [Self] {
        &Self::ALL
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.name()).help(self.create().title))
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

/// Checks the id a row gives its thing.
fn check_id(register: Register, id: &str) -> Result<String, IdError> {
    check_slug(id)
        .map(|()| id.to_owned())
        .map_err(|problem| IdError {
            what: register.thing(),
            value: id.to_owned(),
            problem,
        })
}

/// Why a recorded thing or a create request's body is not a row of a register. Each case is a
/// caller's mistake or a thing no export can write; an export reports it and stops.
#[derive(Debug, thiserror::Error)]
pub enum NotARow {
    /// The action's kind of thing is not kept in a register (an organisation, a blueprint).
    #[error("{}s are not kept in a register", .kind.token())]
    NoRegister { kind: ThingKind },
    /// The action does not create a thing; only creating actions are rows.
    #[error("{action} does not create a {thing}")]
    NotCreating {
        action: &'static str,
        thing: &'static str,
    },
    /// The action could not be written as JSON.
    #[error("{thing} {id}: {source}")]
    Unwritable {
        thing: &'static str,
        id: String,
        #[source]
        source: serde_json::Error,
    },
    /// The action's JSON is not a map of its fields.
    #[error("{thing} {id}: the {action} action is not a map of fields")]
    NotAMap {
        thing: &'static str,
        id: String,
        action: &'static str,
    },
    /// The body has no `id`.
    #[error("a {thing} without an id")]
    NoId { thing: &'static str },
    /// The `id` is not a valid id of its kind.
    #[error(transparent)]
    BadId(#[from] IdError),
}

/// One valid row: the thing it creates and the body of the create request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    register: Register,
    id: String,
    /// `id` and every field the row gives a value, keyed by column name. A blank optional cell
    /// is left out, so the field takes its default.
    body: Map<String, Value>,
}

impl Row {
    /// The row that records a thing as the creating `action` does, with the id `id`: what an
    /// export writes for a recorded thing.
    pub fn from_action<A: Actions + Serialize>(id: &str, action: &A) -> Result<Row, NotARow> {
        let register = Register::of(A::KIND).ok_or(NotARow::NoRegister { kind: A::KIND })?;
        if !action.spec().creates {
            return Err(NotARow::NotCreating {
                action: action.name(),
                thing: register.thing(),
            });
        }
        // Actions are externally tagged: `{"plan": {...}}`.
        let fields = match serde_json::to_value(action) {
            Ok(Value::Object(mut tagged)) => tagged.remove(action.name()),
            Ok(_) => None,
            Err(source) => {
                return Err(NotARow::Unwritable {
                    thing: register.thing(),
                    id: id.to_owned(),
                    source,
                });
            }
        };
        let Some(Value::Object(fields)) = fields else {
            return Err(NotARow::NotAMap {
                thing: register.thing(),
                id: id.to_owned(),
                action: action.name(),
            });
        };
        let mut body = fields;
        body.insert(ID.to_owned(), Value::from(id));
        Row::from_body(register, &body)
    }

    /// The row of a create request's body (`id` and the creating action's fields), as an import
    /// of its cells reads it: each value is written as its column writes it and read back, so a
    /// default (an empty list, no workstream) is a blank cell, left out. A value its field would
    /// refuse is kept as it is, and a key that is not a column is dropped.
    pub fn from_body(register: Register, body: &Map<String, Value>) -> Result<Row, NotARow> {
        let id = body.get(ID).and_then(Value::as_str).ok_or(NotARow::NoId {
            thing: register.thing(),
        })?;
        let id = check_id(register, id)?;
        let mut normal = Map::new();
        normal.insert(ID.to_owned(), Value::from(id.as_str()));
        for field in register.columns().iter().filter_map(|c| c.field) {
            let Some(value) = body.get(field.name) else {
                continue;
            };
            match field.parse(&field.format(value)) {
                None => {}
                Some(Ok(read)) => {
                    normal.insert(field.name.to_owned(), read);
                }
                Some(Err(_)) => {
                    normal.insert(field.name.to_owned(), value.clone());
                }
            }
        }
        Ok(Row {
            register,
            id,
            body: normal,
        })
    }

    pub fn register(&self) -> Register {
        self.register
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// The JSON body of the create request (`id` and the action's fields).
    pub fn body(&self) -> Value {
        Value::Object(self.body.clone())
    }

    /// The creating action's fields: the body without the id.
    pub fn fields(&self) -> Map<String, Value> {
        let mut fields = self.body.clone();
        fields.remove(ID);
        fields
    }

    /// The value of a column, unless its cell was blank.
    pub fn value(&self, column: &str) -> Option<&Value> {
        self.body.get(column)
    }

    /// The ids a list column names (none when its cell was blank).
    pub fn ids(&self, column: &str) -> Vec<&str> {
        self.value(column)
            .and_then(Value::as_array)
            .map(|ids| ids.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }

    /// The row's normalised content: its values as read (dates, amounts in hundredths, lists),
    /// in column order, so that two spellings of the same row (`1,250.5` and `1250.50`) are the
    /// same content.
    pub fn canonical(&self) -> String {
        let mut out = String::from("{");
        for column in self.register.columns() {
            let Some(value) = self.body.get(column.name) else {
                continue;
            };
            if out.len() > 1 {
                out.push(',');
            }
            out.push_str(&Value::from(column.name).to_string());
            out.push(':');
            out.push_str(&value.to_string());
        }
        out.push('}');
        out
    }

    /// The idempotency key the row is sent with: a digest of the blueprint, the register, the id
    /// and the normalised content. Sending the same row again is answered with the original
    /// result; a changed row gets a new key and meets the "already exists" rule.
    pub fn idempotency_key(&self, blueprint: &BlueprintId) -> String {
        let mut hasher = Sha256::new();
        for part in [
            blueprint.as_str(),
            self.register.name(),
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
        self.register
            .columns()
            .iter()
            .map(|c| match c.field {
                None => self.id.clone(),
                Some(field) => self
                    .body
                    .get(field.name)
                    .map(|v| field.format(v))
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// The names of the columns in which this row differs from `other`.
    pub fn differences(&self, other: &Row) -> Vec<&'static str> {
        let columns = self.register.columns();
        self.cells()
            .iter()
            .zip(other.cells())
            .zip(columns)
            .filter(|((a, b), _)| *a != b)
            .map(|(_, c)| c.name)
            .collect()
    }

    /// One line saying what recording this row does, for `--dry-run`: the action, the thing,
    /// and each value given, after its field's label.
    pub fn describe(&self, blueprint: &BlueprintId) -> String {
        let register = self.register;
        let values: Vec<String> = register
            .columns()
            .iter()
            .filter_map(|c| c.field)
            .filter_map(|field| {
                let text = field.format(self.body.get(field.name)?);
                let shown = match field.input {
                    Input::Text { .. } | Input::LongText { .. } | Input::Link => {
                        format!("{text:?}")
                    }
                    _ => text,
                };
                Some(format!("{} {shown}", in_a_sentence(field.label)))
            })
            .collect();
        format!(
            "{} {} {blueprint}/{}: {}",
            register.verb(),
            register.thing(),
            self.id,
            values.join(", ")
        )
    }
}

/// A form label as words in a sentence: `Depends on (milestone ids)` is `depends on`.
fn in_a_sentence(label: &str) -> String {
    let words = label.split(" (").next().unwrap_or(label);
    let mut chars = words.chars();
    let Some(first) = chars.next() else {
        return String::new();
    };
    // An initialism (`NHS`) keeps its capitals.
    if chars.clone().next().is_some_and(char::is_uppercase) {
        return words.to_owned();
    }
    first.to_lowercase().chain(chars).collect()
}

/// Where each of a register's columns is in the file.
#[derive(Debug, Clone)]
pub struct Header {
    register: Register,
    /// For each of the register's columns, its index in a record, if the header names it.
    index: Vec<Option<usize>>,
    /// How many fields the header has; every row must have as many.
    width: usize,
    /// Whether the header names every required column; rows of a header that does not are
    /// checked, but never valid.
    complete: bool,
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
                    complete: false,
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
        let mut complete = true;
        for (c, at) in columns.iter().zip(&index) {
            if c.required && at.is_none() {
                complete = false;
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
                complete,
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

    /// Checks one data row: its id, then each cell with its field's parser. Returns it typed, or
    /// every problem found in it.
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
        let register = self.register;
        let mut errors = Vec::new();
        let mut id = None;
        let mut body = Map::new();
        for (column, at) in register.columns().iter().zip(&self.index) {
            // A column the header leaves out is blank; a required one was reported with it.
            let Some(at) = *at else {
                continue;
            };
            let Ok(text) = std::str::from_utf8(record.get(at).unwrap_or_default()) else {
                errors.push(RowError::at(
                    row,
                    column.name,
                    "the value is not UTF-8 text; save the file as CSV UTF-8",
                ));
                continue;
            };
            let Some(field) = column.field else {
                match check_id(register, text.trim()) {
                    Ok(checked) => id = Some(checked),
                    Err(e) => errors.push(RowError::at(row, column.name, e.to_string())),
                }
                continue;
            };
            match field.read(text) {
                Ok(Some(value)) => {
                    body.insert(field.name.to_owned(), value);
                }
                Ok(None) => {}
                Err(e) => errors.push(RowError::at(row, column.name, e.to_string())),
            }
        }
        // A milestone's list of milestones names others.
        if let Some(id) = &id
            && register.kind() == ThingKind::Milestone
        {
            for field in register.columns().iter().filter_map(|c| c.field) {
                let names_itself = field.input == Input::MilestoneList
                    && body
                        .get(field.name)
                        .and_then(Value::as_array)
                        .is_some_and(|ids| ids.iter().any(|i| i.as_str() == Some(id)));
                if names_itself {
                    errors.push(RowError::at(
                        row,
                        field.name,
                        format!("{}: milestone {id} cannot name itself", field.label),
                    ));
                }
            }
        }
        match id {
            Some(id) if errors.is_empty() && self.complete => {
                body.insert(ID.to_owned(), Value::from(id.as_str()));
                Ok(Row { register, id, body })
            }
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(fields: &[&str]) -> ByteRecord {
        ByteRecord::from(fields.to_vec())
    }

    fn header(register: Register, names: &[&str]) -> Header {
        let (header, errors) = Header::parse(register, &record(names));
        assert!(errors.is_empty(), "{errors:?}");
        header
    }

    /// A header naming every column, in the register's order.
    fn full_header(register: Register) -> Header {
        let names: Vec<&str> = register.columns().iter().map(|c| c.name).collect();
        header(register, &names)
    }

    fn messages(errors: &[RowError]) -> Vec<String> {
        errors.iter().map(ToString::to_string).collect()
    }

    impl Header {
        /// The row of `cells`, at row `row`, which must be valid.
        fn valid(&self, cells: &[&str], row: u64) -> Row {
            self.parse_row(&record(cells), row)
                .unwrap_or_else(|e| panic!("row {row}: {e:?}"))
        }

        /// The problems of the row of `cells`, at row `row`, which must have some.
        fn problems(&self, cells: &[&str], row: u64) -> Vec<String> {
            match self.parse_row(&record(cells), row) {
                Ok(valid) => panic!("row {row} is valid: {valid:?}"),
                Err(errors) => messages(&errors),
            }
        }
    }

    /// Asserts that there are as many problems as `beginnings`, each beginning with its own.
    fn assert_begin_with(got: &[String], beginnings: &[&str]) {
        assert_eq!(got.len(), beginnings.len(), "{got:#?}");
        for (problem, beginning) in got.iter().zip(beginnings) {
            assert!(problem.starts_with(beginning), "{got:#?}");
        }
    }

    const MILESTONE_HEADER: &[&str] = &["id", "workstream", "title", "owner", "due", "depends_on"];

    #[test]
    fn every_register_is_the_id_and_the_fields_of_its_creating_action() {
        let in_blueprint: Vec<ThingKind> = spec::KINDS
            .iter()
            .filter(|k| k.in_blueprint)
            .map(|k| k.kind)
            .collect();
        assert_eq!(Register::ALL.map(Register::kind).to_vec(), in_blueprint);
        for register in Register::ALL {
            let create = register.create();
            assert!(
                create.creates && create.kind == register.kind(),
                "{register}"
            );
            assert_eq!(Register::of(register.kind()), Some(register));
            assert_eq!(Register::named(register.name()), Some(register));
            assert_eq!(
                <Register as clap::ValueEnum>::from_str(register.name(), false),
                Ok(register)
            );
            let columns = register.columns();
            assert_eq!(
                columns[0],
                Column {
                    name: ID,
                    required: true,
                    field: None
                }
            );
            assert_eq!(columns.len(), 1 + create.fields.len(), "{register}");
            for (column, field) in columns[1..].iter().zip(create.fields) {
                assert_eq!(column.name, field.name, "{register}");
                assert_eq!(column.required, field.required, "{register}.{}", field.name);
                assert_eq!(column.field, Some(field));
            }

            // A row written from the action's example reads back as that body.
            let mut example = create.example();
            example.insert(ID.to_owned(), json!("example"));
            let written = Row::from_body(register, &example).unwrap();
            assert_eq!(written.body(), Value::Object(example.clone()), "{register}");
            let cells = written.cells();
            let cells: Vec<&str> = cells.iter().map(String::as_str).collect();
            let read = full_header(register)
                .parse_row(&record(&cells), 2)
                .unwrap_or_else(|e| panic!("{register}: {e:?}"));
            assert_eq!(read, written, "{register}");
            assert_eq!(read.body(), Value::Object(example), "{register}");
        }
    }

    #[test]
    fn a_valid_milestone_row_becomes_the_create_body() {
        let h = header(Register::Milestones, MILESTONE_HEADER);
        let row = h.valid(
            &[
                "academy",
                "skills",
                " GDS academy ",
                "gds",
                "2027-03-31",
                "a; b c",
            ],
            2,
        );
        assert_eq!(
            row.body(),
            json!({"id": "academy", "workstream": "skills", "title": "GDS academy",
                "owner": "gds", "due": "2027-03-31", "depends_on": ["a", "b", "c"]})
        );
        assert_eq!(row.ids("depends_on"), ["a", "b", "c"]);
        assert!(!row.fields().contains_key(ID));
        // Cells come in the register's order: the creating action's.
        assert_eq!(
            row.cells(),
            [
                "academy",
                "skills",
                "GDS academy",
                "gds",
                "a b c",
                "2027-03-31"
            ]
        );
        assert_eq!(
            row.describe(&BlueprintId::new("wm").unwrap()),
            "plan milestone wm/academy: workstream skills, title \"GDS academy\", owner gds, \
             depends on a b c, due date 2027-03-31"
        );
        // A blank optional cell is left out of the body.
        let row = h.valid(&["hub", "skills", "Hub", "gds", "2027-03-31", " "], 3);
        assert_eq!(row.value("depends_on"), None);
        assert!(row.ids("depends_on").is_empty());
    }

    #[test]
    fn every_problem_of_a_row_is_reported_with_row_and_column() {
        let h = header(Register::Milestones, MILESTONE_HEADER);
        let long = "x".repeat(proto::text::TITLE_MAX + 1);
        let got = h.problems(
            &[
                "Hub.Roles",
                "skills",
                &long,
                "gds",
                "31/03/2027",
                "hub roles x.y",
            ],
            7,
        );
        assert_begin_with(
            &got,
            &[
                "row 7, column id: invalid milestone id \"Hub.Roles\": upper case",
                "row 7, column title: title is 201 characters long",
                "row 7, column depends_on: Depends on (milestone ids): \"x.y\" is not a valid id",
                "row 7, column due: Due date must be a date like 2027-03-31, not \"31/03/2027\"",
            ],
        );
    }

    #[test]
    fn dependencies_on_itself_or_twice_are_refused() {
        let h = header(Register::Milestones, MILESTONE_HEADER);
        for (depends_on, problem) in [
            ("b a", "milestone a cannot name itself"),
            ("b;b", "b is listed twice"),
        ] {
            assert_eq!(
                h.problems(&["a", "skills", "A", "gds", "2027-01-01", depends_on], 3),
                [format!(
                    "row 3, column depends_on: Depends on (milestone ids): {problem}"
                )]
            );
        }
        assert_eq!(
            Register::Milestones.dependencies().map(|c| c.name),
            Some("depends_on")
        );
        assert_eq!(Register::Pledges.dependencies(), None);
    }

    #[test]
    fn blank_required_cells_and_a_ragged_row_are_refused() {
        let h = header(Register::Milestones, MILESTONE_HEADER);
        let errors = h.problems(&["", "", "  ", "gds", "", ""], 4);
        assert_eq!(
            errors,
            [
                "row 4, column id: invalid milestone id \"\": it is empty; use 1 to 64 lower-case letters, digits and '-'",
                "row 4, column workstream: Workstream is required",
                "row 4, column title: Title is required",
                "row 4, column due: Due date is required",
            ]
        );
        let errors = h.problems(&["a", "skills"], 5);
        assert!(
            errors[0].starts_with("row 5: the row has 2 values but the header names 6"),
            "{errors:?}"
        );
    }

    #[test]
    fn header_problems_name_the_columns() {
        let (h, errors) = Header::parse(
            Register::Milestones,
            &record(&["\u{feff}id", "title", "title", "colour", "owner", "due"]),
        );
        assert_eq!(
            messages(&errors),
            [
                "row 1, column title: the column is named twice; name each column once",
                "row 1, column colour: unknown column; the columns of milestones are id, workstream, title, owner, depends_on, due",
                "row 1, column workstream: required column missing from the header row",
            ]
        );
        // Rows are still checked, but none is valid without the required columns.
        let rec = record(&["a", "A", "", "x", "gds", "2027-01-01"]);
        assert_eq!(h.parse_row(&rec, 2), Err(vec![]));
        let (_, errors) = Header::parse(Register::Pledges, &record(&[""]));
        assert!(messages(&errors)[0].starts_with("row 1: the header row is missing"));
        // Optional columns may be left out, and columns may come in any order.
        let h = header(Register::Pledges, &["amount", "resource", "sponsor", "id"]);
        let row = h.valid(&["10", "money", "gds", "fund"], 2);
        assert_eq!(
            row.body(),
            json!({"id": "fund", "sponsor": "gds", "resource": "money", "amount": 1000})
        );
        assert_eq!(row.cells(), ["fund", "gds", "money", "10.00", "", ""]);
    }

    #[test]
    fn commitments_check_kind_quantity_and_unit() {
        let h = full_header(Register::Commitments);
        let ok = h.valid(
            &[
                "secondees",
                "gds",
                "secondment",
                "Two secondees",
                "2",
                "people",
                "2027-01-31",
            ],
            2,
        );
        assert_eq!(ok.body()["kind"], "secondment");
        assert_eq!(ok.body()["quantity"], 2);
        let got = h.problems(
            &[
                "s",
                "gds",
                "lunch",
                "",
                "two",
                &"u".repeat(41),
                "2027-01-31",
            ],
            3,
        );
        assert_begin_with(
            &got,
            &[
                "row 3, column kind: Kind must be one of secondment, event_hosting",
                "row 3, column description: Description is required",
                "row 3, column quantity: Quantity must be a whole number, like 2, not \"two\"",
                "row 3, column unit: unit is 41 characters long",
            ],
        );
        let errors = h.problems(&["s", "gds", "other", "d", "-2", "u", "2027-01-31"], 4);
        assert!(errors[0].contains("must be a whole number"));
        // Whether a quantity may be zero is the service's rule, reported when the row is sent.
        let zero = h.valid(
            &["s", "gds", "event-hosting", "d", "0", "u", "2027-01-31"],
            5,
        );
        assert_eq!(zero.body()["quantity"], 0);
        assert_eq!(zero.body()["kind"], "event_hosting");
    }

    #[test]
    fn pledges_parse_amounts_in_pounds_and_days() {
        let h = full_header(Register::Pledges);
        let money = h.valid(&["fund", "gds", "money", "£1,250.5", "", ""], 2);
        assert_eq!(money.body()["amount"], 125_050);
        assert_eq!(money.value("workstream"), None);
        assert_eq!(money.value("conditions"), None);
        assert_eq!(money.cells()[3], "1250.50");
        let days = h.valid(
            &["time", "gds", "staff_time", "12.5", "skills", "If approved"],
            3,
        );
        assert_eq!(days.body()["resource"], "staff_time");
        assert_eq!(days.body()["amount"], 1250);
        assert_eq!(
            days.describe(&BlueprintId::new("wm").unwrap()),
            "make pledge wm/time: sponsor gds, resource staff_time, amount 12.50, \
             workstream skills, conditions \"If approved\""
        );
        let got = h.problems(&["x", "gds", "gold", "", "Skills", "c"], 4);
        assert_begin_with(
            &got,
            &[
                "row 4, column resource: Resource must be one of money, staff_time",
                "row 4, column amount: Amount is required",
                "row 4, column workstream: Workstream: \"Skills\" is not a valid id",
            ],
        );
        let got = h.problems(&["x", "gds", "money", "12.345", "", "bad\u{7}"], 5);
        assert_begin_with(
            &got,
            &[
                "row 5, column amount: Amount: \"12.345\" is not an amount",
                "row 5, column conditions: conditions contains a control character",
            ],
        );
    }

    #[test]
    fn the_key_follows_the_normalised_content() {
        let h = full_header(Register::Pledges);
        let bp = BlueprintId::new("wm").unwrap();
        let a = h.valid(&["fund", "gds", "money", "1,250.5", "", ""], 2);
        let b = h.valid(&["fund", "gds", "money", "1250.50", " ", ""], 9);
        let c = h.valid(&["fund", "gds", "money", "1250.51", "", ""], 2);
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
        // The content is written in column order, whatever order the file's columns are in.
        assert_eq!(
            a.canonical(),
            r#"{"id":"fund","sponsor":"gds","resource":"money","amount":125050}"#
        );
        let reordered = header(Register::Pledges, &["amount", "id", "resource", "sponsor"])
            .valid(&["1250.50", "fund", "money", "gds"], 2);
        assert_eq!(reordered.idempotency_key(&bp), key);
    }

    #[test]
    fn a_recorded_thing_is_the_row_its_export_reads_back_as() {
        let action = proto::PledgeAction::Make {
            sponsor: proto::OrgId::new("gds").unwrap(),
            resource: proto::Resource::Money,
            amount: 125_050,
            workstream: None,
            conditions: String::new(),
        };
        let recorded = Row::from_action("fund", &action).unwrap();
        let imported =
            full_header(Register::Pledges).valid(&["fund", "gds", "money", "1,250.50", "", ""], 2);
        assert_eq!(recorded, imported);
        let plan = proto::MilestoneAction::Plan {
            workstream: proto::WorkstreamId::new("skills").unwrap(),
            title: "Hub".to_owned(),
            owner: proto::OrgId::new("gds").unwrap(),
            depends_on: vec![],
            due: chrono::NaiveDate::from_ymd_opt(2027, 3, 31).unwrap(),
        };
        let recorded = Row::from_action("hub", &plan).unwrap();
        assert_eq!(recorded.register(), Register::Milestones);
        assert_eq!(recorded.value("depends_on"), None);
        assert_eq!(
            recorded.cells(),
            ["hub", "skills", "Hub", "gds", "", "2027-03-31"]
        );
        let start = proto::MilestoneAction::Start {};
        assert!(Row::from_action("hub", &start).is_err());
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
