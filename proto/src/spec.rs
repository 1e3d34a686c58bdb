//! The command catalogue: for every kind of thing and every action, its name, its fields (with
//! their types, limits, labels, help and an example) and whether it creates the thing. It is
//! derived from the action enums of [`crate::commands`] by `#[derive(Actions)]`, so an action is
//! declared once, as a variant, and the JSON API, its OpenAPI document, the HTML forms, the
//! command line and the CSV registers are built from this table.
//!
//! How people type a value (`1,250.50` for £1,250.50, `academy, hub` for a list of milestones) is
//! part of the contract too: [`FieldSpec::parse`] turns typed text into the wire value, the same
//! way for a form, a flag and a CSV cell.

use serde_json::Value;

use crate::commit::ThingKind;
use crate::ids::{MilestoneId, OrgId, SlugProblem, TargetId, WorkstreamId, check_slug};
use crate::reply::Rejection;
use crate::text::{self, AmountError, LINK_MAX, NOTE_MAX, TITLE_MAX, UNIT_MAX};

/// An action enum whose variants are the actions on one kind of thing.
pub trait Actions {
    /// The kind of thing these actions act on.
    const KIND: ThingKind;
    /// Every action, in declaration order; the creating action comes first.
    const SPECS: &'static [ActionSpec];
    /// This action's name (`report_progress`).
    fn name(&self) -> &'static str;
    /// This action's entry in the catalogue.
    fn spec(&self) -> &'static ActionSpec {
        let name = self.name();
        Self::SPECS
            .iter()
            .find(|s| s.name == name)
            .expect("every variant is in its catalogue")
    }
}

/// A unit enum whose variants a field offers as choices.
pub trait Choices: Sized + Copy + 'static {
    /// Every choice, in declaration order.
    const CHOICES: &'static [Choice];
    /// Every variant, in the same order.
    const ALL: &'static [Self];
}

/// One choice of a [`Input::Choice`] field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Choice {
    /// As sent on the wire and typed in CSV cells and flags: `central_government`.
    pub value: &'static str,
    /// For people, in a sentence: `central government`.
    pub label: &'static str,
    /// What the choice means.
    pub help: &'static str,
}

/// One action on one kind of thing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionSpec {
    pub kind: ThingKind,
    /// The action's name on the wire: `report_progress`. Paths and the command line write it
    /// with `-`: [`ActionSpec::slug`].
    pub name: &'static str,
    /// A heading for people: `Report progress`.
    pub title: &'static str,
    /// What the action records and the rules that may refuse it.
    pub help: &'static str,
    /// Whether the action creates the thing (it is then sent to the collection with an `id`).
    pub creates: bool,
    pub fields: &'static [FieldSpec],
}

impl ActionSpec {
    /// The action as written in paths and on the command line: `report-progress`.
    pub fn slug(&self) -> String {
        self.name.replace('_', "-")
    }

    /// The OpenAPI operation id: `reportProgressMilestone`.
    pub fn operation_id(&self) -> String {
        let mut out = String::new();
        for (i, word) in self.name.split('_').chain([self.kind.token()]).enumerate() {
            let mut chars = word.chars();
            if let Some(first) = chars.next() {
                if i == 0 {
                    out.push(first);
                } else {
                    out.extend(first.to_uppercase());
                }
                out.extend(chars);
            }
        }
        out
    }

    /// The field called `name`.
    pub fn field(&self, name: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// An example body: every field's example, as the API takes it.
    pub fn example(&self) -> serde_json::Map<String, Value> {
        self.fields
            .iter()
            .filter_map(|f| Some((f.name.to_owned(), f.parse(f.example_text())?.ok()?)))
            .collect()
    }
}

/// The action `spec` describes, filled with its fields' examples: for tests that run every action.
///
/// # Panics
/// When the examples do not make a valid action (the catalogue's own tests prevent it).
pub fn example<A: Actions + serde::de::DeserializeOwned>(spec: &ActionSpec) -> A {
    let mut tagged = serde_json::Map::new();
    tagged.insert(spec.name.to_owned(), Value::Object(spec.example()));
    serde_json::from_value(Value::Object(tagged)).expect("the catalogue's examples are valid")
}

/// Checks, for a decider's tests, that its `allows` is the life cycle its `decide` enforces: before
/// the thing exists and in every status, each action with its example fields is refused from every
/// given state in that status when `allows` says no, and recorded from at least one when it says
/// yes.
///
/// # Panics
/// When they disagree, or when no state is given for a status.
pub fn check_life_cycle<A, S, T, O, E>(
    states: &[T],
    status_of: impl Fn(&T) -> Option<S>,
    allows: impl Fn(Option<S>, &str) -> bool,
    decide: impl Fn(&T, A) -> Result<O, E>,
) where
    A: Actions + serde::de::DeserializeOwned,
    S: Choices + PartialEq + std::fmt::Debug,
    E: std::fmt::Debug,
{
    for spec in A::SPECS {
        for status in std::iter::once(None).chain(S::ALL.iter().copied().map(Some)) {
            let outcomes: Vec<Result<O, E>> = states
                .iter()
                .filter(|s| status_of(s) == status)
                .map(|s| decide(s, example(spec)))
                .collect();
            assert!(
                !outcomes.is_empty(),
                "no state is given in status {status:?}"
            );
            let refusals: Vec<&E> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
            assert_eq!(
                refusals.len() < outcomes.len(),
                allows(status, spec.name),
                "{status:?} {}: refused with {refusals:?}",
                spec.name
            );
        }
    }
}

/// One field of an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// As in the JSON body, the form and the CSV header: `depends_on`.
    pub name: &'static str,
    /// For a form's label: `Depends on`.
    pub label: &'static str,
    /// A hint for people: what to write.
    pub help: &'static str,
    pub input: Input,
    /// Whether the field must be given; an optional field left out takes its default.
    pub required: bool,
    /// An example of what people type, when the input's own example does not fit.
    pub example: Option<&'static str>,
}

/// What kind of value a field takes, and its limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Input {
    /// One line of text of at most `max` characters.
    Text { max: usize },
    /// Paragraphs of at most `max` characters.
    LongText { max: usize },
    /// An http or https link.
    Link,
    /// A date, `YYYY-MM-DD`.
    Date,
    /// A whole number.
    Count,
    /// A whole percentage, 0 to 100.
    Percent,
    /// Pounds, or person-days for staff time, typed with up to two decimals and sent as
    /// hundredths (pence, or hundredths of a person-day).
    Hundredths,
    /// The id of a part of the blueprint named in the body (a new workstream, a target).
    Slug,
    /// A registered organisation's id.
    Organisation,
    /// The id of one of the blueprint's workstreams.
    Workstream,
    /// Milestone ids separated by spaces, commas or semicolons; sent as a list.
    MilestoneList,
    /// One of fixed choices.
    Choice(&'static [Choice]),
}

impl Input {
    /// A title or name.
    pub const TITLE: Input = Input::Text { max: TITLE_MAX };
    /// A unit such as `roles`.
    pub const UNIT: Input = Input::Text { max: UNIT_MAX };
    /// A reason, note, summary or description.
    pub const NOTE: Input = Input::LongText { max: NOTE_MAX };
    /// A link to evidence.
    pub const LINK: Input = Input::Link;
    /// An amount in pounds or person-days.
    pub const HUNDREDTHS: Input = Input::Hundredths;
    /// A percentage.
    pub const PERCENT: Input = Input::Percent;
    /// The id of a new part of the blueprint.
    pub const SLUG: Input = Input::Slug;

    /// The longest text the input takes, if it is text.
    pub fn max_len(self) -> Option<usize> {
        match self {
            Input::Text { max } | Input::LongText { max } => Some(max),
            Input::Link => Some(LINK_MAX),
            _ => None,
        }
    }

    /// What people are shown as an example when the field gives none.
    pub fn example(self) -> &'static str {
        match self {
            Input::Text { .. } | Input::LongText { .. } => "",
            Input::Link => "https://www.gov.uk/government/publications/example",
            Input::Date => "2027-03-31",
            Input::Count => "12",
            Input::Percent => "60",
            Input::Hundredths => "1,250.50",
            Input::Slug => "skills",
            Input::Organisation => "gds",
            Input::Workstream => "skills",
            Input::MilestoneList => "academy, hub-roles",
            Input::Choice(choices) => choices.first().map_or("", |c| c.value),
        }
    }
}

/// The input a field of type `Self` takes unless its declaration names another.
pub trait FieldType {
    const INPUT: Input;
    /// Whether the field may be left out (an `Option`).
    const OPTIONAL: bool = false;
}

/// Implements [`FieldType`] for each type, with the input named after it.
macro_rules! field_types {
    ($($ty:ty => $input:expr),* $(,)?) => {
        $(impl FieldType for $ty {
            const INPUT: Input = $input;
        })*
    };
}

field_types! {
    String => Input::TITLE,
    u64 => Input::Count,
    u32 => Input::Count,
    chrono::NaiveDate => Input::Date,
    OrgId => Input::Organisation,
    WorkstreamId => Input::Workstream,
    TargetId => Input::Slug,
    Vec<MilestoneId> => Input::MilestoneList,
}
impl<T: FieldType> FieldType for Option<T> {
    const INPUT: Input = T::INPUT;
    const OPTIONAL: bool = true;
}

/// Why what a person typed is not a value of its field. Every message names the field by its
/// label and says what would be accepted: a form shows it next to the field, the command line
/// with the flag, a CSV import with the cell. Callers that only show it need no more than its
/// message; the variants say which rule the text broke.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// A required field was left blank: ask for it.
    #[error("{label} is required")]
    Required { label: &'static str },
    /// Text breaks a text rule (blank, too long, a control character, not a link); the
    /// rejection carries the rule's code, as a service would refuse it.
    #[error(transparent)]
    Text(Rejection),
    /// Not a whole number: the message shows an example.
    #[error("{label} must be a whole number, like {example}, not {typed:?}")]
    NotAWholeNumber {
        label: &'static str,
        example: &'static str,
        typed: String,
    },
    /// A whole number above the field's maximum (a percentage above 100).
    #[error("{label} must be a whole number from 0 to {max}, not {typed:?}")]
    AboveMaximum {
        label: &'static str,
        max: u64,
        typed: String,
    },
    /// Not a date written `YYYY-MM-DD`, or no such day.
    #[error("{label} must be a date like 2027-03-31, not {typed:?}")]
    NotADate { label: &'static str, typed: String },
    /// Not an amount of money or staff time; the source says how.
    #[error("{label}: {source}")]
    NotAnAmount {
        label: &'static str,
        #[source]
        source: AmountError,
    },
    /// An id (alone or in a list) that is not a slug; the problem says what is wrong with it.
    #[error("{label}: {typed:?} is not a valid id: {problem}")]
    NotAnId {
        label: &'static str,
        typed: String,
        #[source]
        problem: SlugProblem,
    },
    /// A list names the same id twice: ask for each once.
    #[error("{label}: {id} is listed twice")]
    ListedTwice { label: &'static str, id: String },
    /// Not one of the field's choices, which the message lists.
    #[error("{label} must be one of {}, not {typed:?}", choice_values(choices))]
    NotAChoice {
        label: &'static str,
        choices: &'static [Choice],
        typed: String,
    },
}

fn choice_values(choices: &[Choice]) -> String {
    choices
        .iter()
        .map(|c| c.value)
        .collect::<Vec<_>>()
        .join(", ")
}

impl FieldSpec {
    /// The example people are shown.
    pub fn example_text(&self) -> &'static str {
        self.example.unwrap_or_else(|| self.input.example())
    }

    /// Turns what a person typed into the field's wire value. Blank text is `None`: the field
    /// was left out. Errors name the field by its label and say what would be accepted.
    pub fn parse(&self, typed: &str) -> Option<Result<Value, FieldError>> {
        let raw = typed.trim();
        if raw.is_empty() {
            return None;
        }
        let label = self.label;
        let whole = |max: Option<u64>| {
            let n = raw
                .parse::<u64>()
                .ok()
                .filter(|_| raw.bytes().all(|b| b.is_ascii_digit()));
            match (n, max) {
                (Some(n), Some(max)) if n > max => Err(FieldError::AboveMaximum {
                    label,
                    max,
                    typed: raw.to_owned(),
                }),
                (Some(n), _) => Ok(Value::from(n)),
                (None, _) => Err(FieldError::NotAWholeNumber {
                    label,
                    example: self.example_text(),
                    typed: raw.to_owned(),
                }),
            }
        };
        let slug = |s: &str| {
            check_slug(s)
                .map(|()| Value::String(s.to_owned()))
                .map_err(|problem| FieldError::NotAnId {
                    label,
                    typed: s.to_owned(),
                    problem,
                })
        };
        Some(match self.input {
            Input::Text { max } | Input::LongText { max } => text::required(self.name, raw, max)
                .map(|()| Value::String(raw.to_owned()))
                .map_err(FieldError::Text),
            Input::Link => text::link(self.name, raw)
                .map(|()| Value::String(raw.to_owned()))
                .map_err(FieldError::Text),
            Input::Date => chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(|d| Value::String(d.to_string()))
                .map_err(|_| FieldError::NotADate {
                    label,
                    typed: raw.to_owned(),
                }),
            Input::Count => whole(None),
            Input::Percent => whole(Some(100)),
            Input::Hundredths => text::parse_hundredths(raw)
                .map(Value::from)
                .map_err(|source| FieldError::NotAnAmount { label, source }),
            Input::Slug | Input::Organisation | Input::Workstream => slug(raw),
            Input::MilestoneList => {
                let mut ids: Vec<Value> = Vec::new();
                for part in raw
                    .split(|c: char| c == ',' || c == ';' || c.is_whitespace())
                    .filter(|p| !p.is_empty())
                {
                    let id = match slug(part) {
                        Ok(id) => id,
                        Err(e) => return Some(Err(e)),
                    };
                    if ids.contains(&id) {
                        return Some(Err(FieldError::ListedTwice {
                            label,
                            id: part.to_owned(),
                        }));
                    }
                    ids.push(id);
                }
                Ok(Value::Array(ids))
            }
            Input::Choice(choices) => choices
                .iter()
                .find(|c| c.value == raw || c.value == raw.replace('-', "_"))
                .map(|c| Value::String(c.value.to_owned()))
                .ok_or_else(|| FieldError::NotAChoice {
                    label,
                    choices,
                    typed: raw.to_owned(),
                }),
        })
    }

    /// What a person typed, as the field's value: `Ok(None)` when an optional field is left
    /// blank, and an error naming the field when a required one is, or when the text is not valid.
    pub fn read(&self, typed: &str) -> Result<Option<Value>, FieldError> {
        match self.parse(typed) {
            Some(parsed) => parsed.map(Some),
            None if self.required => Err(FieldError::Required { label: self.label }),
            None => Ok(None),
        }
    }

    /// Writes a wire value back as people type it: the inverse of [`FieldSpec::parse`].
    pub fn format(&self, value: &Value) -> String {
        match (self.input, value) {
            (_, Value::Null) => String::new(),
            (Input::Hundredths, Value::Number(n)) => {
                n.as_u64().map(text::format_hundredths).unwrap_or_default()
            }
            (_, Value::String(s)) => s.clone(),
            (_, Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" "),
            (_, other) => other.to_string(),
        }
    }
}

/// One kind of thing: where its commands go and what its actions are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSpec {
    pub kind: ThingKind,
    /// Its collection in paths and on the command line: `milestones`.
    pub plural: &'static str,
    /// The service that owns its commands (`waymark-<service>`).
    pub service: &'static str,
    /// Whether it belongs to a blueprint (a milestone, commitment or pledge).
    pub in_blueprint: bool,
    pub actions: &'static [ActionSpec],
}

impl KindSpec {
    /// The action called `name` (`report-progress` is read as `report_progress`).
    pub fn action(&self, name: &str) -> Option<&'static ActionSpec> {
        let name = name.replace('-', "_");
        self.actions.iter().find(|a| a.name == name)
    }

    /// The action that creates a thing of this kind.
    pub fn create(&self) -> &'static ActionSpec {
        self.actions
            .iter()
            .find(|a| a.creates)
            .expect("every kind has a creating action")
    }

    /// The actions on a thing that exists.
    pub fn updates(&self) -> impl Iterator<Item = &'static ActionSpec> + use<> {
        self.actions.iter().filter(|a| !a.creates)
    }
}

/// The catalogue entry of `kind`.
pub fn kind(kind: ThingKind) -> &'static KindSpec {
    KINDS
        .iter()
        .find(|k| k.kind == kind)
        .expect("every kind is in the catalogue")
}

/// Every kind of thing, in the order they are created.
pub static KINDS: [KindSpec; 5] = {
    use crate::commands::*;
    [
        KindSpec {
            kind: ThingKind::Organisation,
            plural: "organisations",
            service: "blueprints",
            in_blueprint: false,
            actions: OrganisationAction::SPECS,
        },
        KindSpec {
            kind: ThingKind::Blueprint,
            plural: "blueprints",
            service: "blueprints",
            in_blueprint: false,
            actions: BlueprintAction::SPECS,
        },
        KindSpec {
            kind: ThingKind::Milestone,
            plural: "milestones",
            service: "milestones",
            in_blueprint: true,
            actions: MilestoneAction::SPECS,
        },
        KindSpec {
            kind: ThingKind::Commitment,
            plural: "commitments",
            service: "commitments",
            in_blueprint: true,
            actions: CommitmentAction::SPECS,
        },
        KindSpec {
            kind: ThingKind::Pledge,
            plural: "pledges",
            service: "pledges",
            in_blueprint: true,
            actions: PledgeAction::SPECS,
        },
    ]
};

/// Every action of every kind.
pub fn all_actions() -> impl Iterator<Item = &'static ActionSpec> {
    KINDS.iter().flat_map(|k| k.actions.iter())
}
