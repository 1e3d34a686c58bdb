//! HTML forms for every command, built from the command catalogue (`proto::spec`): one renderer
//! and one converter from submitted fields to the same JSON body the API takes, so forms, the API
//! and the CLI share one declaration, one code path and one set of rules. Which forms a thing is
//! offered comes from its decider's `allows`. Forms work without JavaScript; a rejected form comes
//! back with the message next to the field it concerns and with what the user typed.

use std::collections::HashMap;

use proto::spec::{self, ActionSpec, FieldError, Input};
use proto::{SlugProblem, ThingKind, check_slug};
use serde_json::{Map, Value};

use crate::components::{Choice, sentence_case};

/// The label of the `id` field a creating form adds.
const ID_LABEL: &str = "Id (lower-case letters, digits, -)";

/// The form of `action` on `kind` (`report-progress` is read as `report_progress`).
pub fn spec(kind: ThingKind, action: &str) -> Option<&'static ActionSpec> {
    spec::kind(kind).action(action)
}

/// The creating form of a kind.
pub fn create_spec(kind: ThingKind) -> &'static ActionSpec {
    spec::kind(kind).create()
}

/// Forms that act on an existing thing of `kind`.
pub fn action_specs(kind: ThingKind) -> impl Iterator<Item = &'static ActionSpec> {
    spec::kind(kind).updates()
}

/// A submitted field that cannot be read: the form comes back with the message next to `field`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{problem}")]
pub struct FieldRefused {
    /// The name of the field at fault (`id`, or one of the action's fields).
    pub field: &'static str,
    pub problem: FormProblem,
}

/// What is wrong with a submitted field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormProblem {
    /// A creating form's id was left blank.
    #[error("Id is required")]
    NoId,
    /// A creating form's id is not a slug.
    #[error("Id {id:?} is not valid: {problem}")]
    BadId {
        id: String,
        #[source]
        problem: SlugProblem,
    },
    /// An action's field, read by the catalogue's rules.
    #[error(transparent)]
    Field(#[from] FieldError),
}

/// Converts submitted fields to the JSON body of the action, with the new `id` for a creating
/// form. Fails with the field at fault and the problem.
pub fn to_body(
    spec: &ActionSpec,
    fields: &HashMap<String, String>,
) -> Result<Map<String, Value>, FieldRefused> {
    let mut body = Map::new();
    let typed = |name: &str| fields.get(name).map(|v| v.trim()).unwrap_or("");
    let refused = |field: &'static str, problem: FormProblem| FieldRefused { field, problem };
    if spec.creates {
        let id = typed("id");
        if id.is_empty() {
            return Err(refused("id", FormProblem::NoId));
        }
        check_slug(id).map_err(|problem| {
            let id = id.to_owned();
            refused("id", FormProblem::BadId { id, problem })
        })?;
        body.insert("id".to_owned(), Value::String(id.to_owned()));
    }
    for f in spec.fields {
        match f.read(typed(f.name)) {
            Ok(Some(value)) => {
                body.insert(f.name.to_owned(), value);
            }
            Ok(None) => {}
            Err(e) => return Err(refused(f.name, e.into())),
        }
    }
    Ok(body)
}

/// A field as rendered.
#[derive(Debug, Clone)]
pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    /// What to write, with an example.
    pub hint: String,
    /// `text`, `textarea`, `date`, `number` or `select`.
    pub input: &'static str,
    pub value: String,
    pub required: bool,
    pub choices: Vec<Choice>,
    pub error: Option<String>,
}

impl FieldView {
    /// The ids of the hint and the error that describe the input, for `aria-describedby`.
    pub fn described_by(&self, form: &str) -> String {
        let hint = (!self.hint.is_empty()).then(|| format!("{form}-{}-hint", self.name));
        let error = self
            .error
            .is_some()
            .then(|| format!("{form}-{}-error", self.name));
        hint.into_iter().chain(error).collect::<Vec<_>>().join(" ")
    }
}

/// A form as rendered.
#[derive(Debug, Clone)]
pub struct FormView {
    pub title: &'static str,
    pub help: &'static str,
    pub action_url: String,
    pub fields: Vec<FieldView>,
    pub csrf: String,
    pub idempotency_key: String,
    pub version: Option<u64>,
    /// A problem that concerns no single field.
    pub error: Option<String>,
    /// Whether it is the form that was just submitted (it is shown open).
    pub open: bool,
}

/// What the renderer knows to fill selects.
#[derive(Debug, Clone, Default)]
pub struct Choices {
    pub workstreams: Vec<(String, String)>,
    pub organisations: Vec<(String, String)>,
}

/// A submitted form that was refused: the values typed and the problem.
#[derive(Debug, Clone, Default)]
pub struct Refused {
    pub values: HashMap<String, String>,
    pub field: Option<String>,
    pub message: String,
    pub idempotency_key: String,
}

/// Renders `spec` posting to `action_url`, keeping what was typed when `refused` is this form.
pub fn render(
    spec: &ActionSpec,
    action_url: String,
    csrf: &str,
    version: Option<u64>,
    choices: &Choices,
    refused: Option<&Refused>,
) -> FormView {
    let field_error = |name: &str| {
        refused.and_then(|r| (r.field.as_deref() == Some(name)).then(|| r.message.clone()))
    };
    let id_field = spec
        .creates
        .then_some(("id", ID_LABEL, String::new(), Input::Slug, true));
    let fields = id_field
        .into_iter()
        .chain(spec.fields.iter().map(|f| {
            let example = match f.input {
                Input::Text { .. }
                | Input::LongText { .. }
                | Input::Organisation
                | Input::Workstream
                | Input::Choice(_) => String::new(),
                _ => format!(" For example, {}.", f.example_text()),
            };
            let hint = format!("{}{example}", f.help);
            (f.name, f.label, hint.trim().to_owned(), f.input, f.required)
        }))
        .map(|(name, label, hint, kind, required)| {
            let value = refused
                .and_then(|r| r.values.get(name).cloned())
                .unwrap_or_default();
            let options = |list: &[(String, String)]| {
                let mut out: Vec<Choice> = Vec::new();
                if !required {
                    out.push(Choice {
                        value: String::new(),
                        label: "(none)".into(),
                        selected: value.is_empty(),
                    });
                }
                out.extend(list.iter().map(|(v, l)| Choice {
                    value: v.clone(),
                    label: l.clone(),
                    selected: *v == value,
                }));
                out
            };
            let (input, choices) = match kind {
                Input::Text { .. }
                | Input::Link
                | Input::Slug
                | Input::MilestoneList
                | Input::Hundredths => ("text", vec![]),
                Input::LongText { .. } => ("textarea", vec![]),
                Input::Date => ("date", vec![]),
                Input::Count | Input::Percent => ("number", vec![]),
                Input::Workstream => ("select", options(&choices.workstreams)),
                Input::Organisation => ("select", options(&choices.organisations)),
                Input::Choice(list) => {
                    let owned: Vec<(String, String)> = list
                        .iter()
                        .map(|c| (c.value.to_owned(), sentence_case(c.label)))
                        .collect();
                    ("select", options(&owned))
                }
            };
            FieldView {
                name,
                label,
                hint,
                input,
                value,
                required,
                choices,
                error: field_error(name),
            }
        })
        .collect();
    let general = refused
        .filter(|r| {
            r.field
                .as_deref()
                .is_none_or(|f| f != "id" && spec.field(f).is_none())
        })
        .map(|r| r.message.clone());
    FormView {
        title: spec.title,
        help: spec.help,
        action_url,
        fields,
        csrf: csrf.to_owned(),
        idempotency_key: refused.map_or_else(
            || uuid::Uuid::new_v4().to_string(),
            |r| r.idempotency_key.clone(),
        ),
        version,
        error: general,
        open: refused.is_some(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// Every action of the catalogue has a form with every field, and its examples, typed in,
    /// make the action's example body.
    #[test]
    fn every_action_has_a_form_that_makes_its_body() {
        for action in spec::all_actions() {
            let view = render(action, "/x".into(), "c", None, &Choices::default(), None);
            let names: Vec<&str> = view.fields.iter().map(|f| f.name).collect();
            let mut expected: Vec<&str> = action.fields.iter().map(|f| f.name).collect();
            if action.creates {
                expected.insert(0, "id");
            }
            assert_eq!(names, expected, "{:?} {}", action.kind, action.name);
            assert_eq!(view.title, action.title);
            let mut typed: HashMap<String, String> = action
                .fields
                .iter()
                .map(|f| (f.name.to_owned(), f.example_text().to_owned()))
                .collect();
            typed.insert("id".into(), "new-thing".into());
            let mut body = to_body(action, &typed).unwrap();
            if action.creates {
                assert_eq!(body.remove("id"), Some(Value::from("new-thing")));
            }
            assert_eq!(body, action.example(), "{:?} {}", action.kind, action.name);
        }
    }

    /// What the form of `action` on `kind` makes of the fields `pairs`.
    fn typed(
        kind: ThingKind,
        action: &str,
        pairs: &[(&str, &str)],
    ) -> Result<Map<String, Value>, FieldRefused> {
        to_body(spec(kind, action).unwrap(), &fields(pairs))
    }

    #[test]
    fn fields_become_the_api_body() {
        let body = typed(
            ThingKind::Pledge,
            "make",
            &[
                ("id", "p"),
                ("sponsor", "gds"),
                ("resource", "money"),
                ("amount", "1,250.50"),
                ("workstream", ""),
            ],
        )
        .unwrap();
        assert_eq!(body["amount"], 125_050);
        assert!(!body.contains_key("workstream"));
        let body = typed(
            ThingKind::Milestone,
            "plan",
            &[
                ("id", "m"),
                ("title", "T"),
                ("workstream", "w"),
                ("owner", "gds"),
                ("due", "2027-01-01"),
                ("depends_on", "a, b c"),
            ],
        )
        .unwrap();
        assert_eq!(body["depends_on"], serde_json::json!(["a", "b", "c"]));
        let err = typed(ThingKind::Milestone, "plan", &[("id", "Not A Slug")]).unwrap_err();
        assert_eq!(err.field, "id");
        let err = typed(
            ThingKind::Milestone,
            "report-progress",
            &[("percent", "lots")],
        )
        .unwrap_err();
        assert_eq!(err.field, "percent");
        let err = typed(ThingKind::Milestone, "replan", &[("to", "2027-01-01")]).unwrap_err();
        assert_eq!(
            (err.field, err.to_string().as_str()),
            ("reason", "Reason is required")
        );
    }

    #[test]
    fn a_refused_form_keeps_what_was_typed() {
        let s = spec(ThingKind::Milestone, "replan").unwrap();
        let refused = Refused {
            values: fields(&[("to", "2027-01-01"), ("reason", "late <again>")]),
            field: Some("to".into()),
            message: "milestone wm/a is done; it cannot be replanned".into(),
            idempotency_key: "k1".into(),
        };
        let view = render(
            s,
            "/x".into(),
            "c",
            Some(3),
            &Choices::default(),
            Some(&refused),
        );
        assert_eq!(
            view.fields[0].error.as_deref(),
            Some("milestone wm/a is done; it cannot be replanned")
        );
        assert_eq!(view.fields[1].value, "late <again>");
        assert_eq!(view.idempotency_key, "k1");
        assert!(view.open);
        assert!(view.fields[0].hint.contains("For example, 2027-03-31"));
    }
}
