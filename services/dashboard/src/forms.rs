//! HTML forms for every command: one table of form specifications, one renderer and one converter
//! from submitted fields to the same JSON body the API takes, so forms, the API and the CLI share
//! one code path and one set of rules. Forms work without JavaScript; a rejected form comes back
//! with the message next to the field it concerns and with what the user typed.

use std::collections::HashMap;

use proto::ThingKind;
use serde_json::{Map, Value};

/// What kind of input a field is, and how its text becomes JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    LongText,
    Date,
    /// A whole number.
    Integer,
    /// Pounds, or person-days for staff time, sent as hundredths.
    Hundredths,
    /// Milestone ids separated by spaces or commas, sent as a list.
    IdList,
    /// One of the blueprint's workstreams.
    Workstream,
    /// Any registered organisation.
    Organisation,
    /// One of the fixed choices.
    Choice(&'static [(&'static str, &'static str)]),
}

#[derive(Debug, Clone, Copy)]
pub struct FieldSpec {
    pub name: &'static str,
    pub label: &'static str,
    pub kind: FieldKind,
    pub required: bool,
}

const fn field(name: &'static str, label: &'static str, kind: FieldKind) -> FieldSpec {
    FieldSpec {
        name,
        label,
        kind,
        required: true,
    }
}

const fn optional(name: &'static str, label: &'static str, kind: FieldKind) -> FieldSpec {
    FieldSpec {
        name,
        label,
        kind,
        required: false,
    }
}

/// A form for one action on one kind of thing.
#[derive(Debug, Clone, Copy)]
pub struct ActionSpec {
    pub kind: ThingKind,
    /// The action's name, as in the API.
    pub action: &'static str,
    pub title: &'static str,
    /// What the action records and the rule that may refuse it.
    pub help: &'static str,
    pub fields: &'static [FieldSpec],
}

const ORG_TYPES: &[(&str, &str)] = &[
    ("central_government", "Central government"),
    ("local_government", "Local government"),
    ("combined_authority", "Combined authority"),
    ("emergency_service", "Emergency service"),
    ("nhs", "NHS"),
    ("education_provider", "Education provider"),
    ("supplier", "Supplier"),
    ("other", "Other"),
];
const COMMITMENT_KINDS: &[(&str, &str)] = &[
    ("secondment", "Secondment"),
    ("event_hosting", "Event hosting"),
    ("sharing_code", "Sharing code or components"),
    ("training_or_placements", "Training or placements"),
    ("other", "Other"),
];
const RESOURCES: &[(&str, &str)] = &[
    ("money", "Money (pounds)"),
    ("staff_time", "Staff time (person-days)"),
];

use FieldKind as K;
use ThingKind as T;

/// Every form. The first action of each kind creates the thing and takes an `id`.
pub const SPECS: &[ActionSpec] = &[
    ActionSpec {
        kind: T::Organisation,
        action: "register",
        title: "Register an organisation",
        help: "Organisations are registered once and reused across blueprints.",
        fields: &[
            field("id", "Id (lower-case letters, digits, -)", K::Text),
            field("name", "Name", K::Text),
            field("org_type", "Type", K::Choice(ORG_TYPES)),
        ],
    },
    ActionSpec {
        kind: T::Organisation,
        action: "rename",
        title: "Rename",
        help: "The new name is shown everywhere; history keeps the old one.",
        fields: &[field("name", "New name", K::Text)],
    },
    ActionSpec {
        kind: T::Blueprint,
        action: "draft",
        title: "Draft a blueprint",
        help: "A draft is visible to signed-in viewers until it is published.",
        fields: &[
            field("id", "Id (lower-case letters, digits, -)", K::Text),
            field("title", "Title", K::Text),
            optional("summary", "Summary", K::LongText),
            field("lead_org", "Lead organisation", K::Organisation),
            field("start_date", "Start date", K::Date),
            field("target_end_date", "Target end date", K::Date),
            field("funding_target", "Funding target (pounds)", K::Hundredths),
            optional(
                "staff_time_target",
                "Staff-time target (person-days)",
                K::Hundredths,
            ),
        ],
    },
    ActionSpec {
        kind: T::Blueprint,
        action: "add_workstream",
        title: "Add a workstream",
        help: "Workstream ids are unique within the blueprint.",
        fields: &[
            field("workstream", "Id", K::Text),
            field("title", "Title", K::Text),
            field("lead_org", "Lead organisation", K::Organisation),
        ],
    },
    ActionSpec {
        kind: T::Blueprint,
        action: "rename_workstream",
        title: "Rename a workstream",
        help: "A retired workstream cannot be renamed.",
        fields: &[
            field("workstream", "Workstream", K::Workstream),
            field("title", "New title", K::Text),
        ],
    },
    ActionSpec {
        kind: T::Blueprint,
        action: "retire_workstream",
        title: "Retire a workstream",
        help: "A retired workstream takes no new milestones or pledges.",
        fields: &[
            field("workstream", "Workstream", K::Workstream),
            field("reason", "Reason", K::LongText),
        ],
    },
    ActionSpec {
        kind: T::Blueprint,
        action: "add_partner",
        title: "Add a partner",
        help: "An organisation joins the blueprint.",
        fields: &[field("org", "Organisation", K::Organisation)],
    },
    ActionSpec {
        kind: T::Blueprint,
        action: "remove_partner",
        title: "Remove a partner",
        help: "A partner leaves the blueprint, with a reason.",
        fields: &[
            field("org", "Organisation", K::Organisation),
            field("reason", "Reason", K::LongText),
        ],
    },
    ActionSpec {
        kind: T::Blueprint,
        action: "set_target",
        title: "Set a target",
        help: "A measurable outcome with a unit and a target value.",
        fields: &[
            field("target", "Id", K::Text),
            field("title", "Title", K::Text),
            field("unit", "Unit", K::Text),
            field("target_value", "Target value", K::Integer),
        ],
    },
    ActionSpec {
        kind: T::Blueprint,
        action: "report_target",
        title: "Report a target's value",
        help: "Records the value reached so far.",
        fields: &[
            field("target", "Target id", K::Text),
            field("value", "Value", K::Integer),
            optional("note", "Note", K::LongText),
        ],
    },
    ActionSpec {
        kind: T::Blueprint,
        action: "publish",
        title: "Publish",
        help: "A published blueprint can be read by anyone.",
        fields: &[],
    },
    ActionSpec {
        kind: T::Blueprint,
        action: "close",
        title: "Close",
        help: "A closed blueprint takes no new records.",
        fields: &[field("reason", "Reason", K::LongText)],
    },
    ActionSpec {
        kind: T::Milestone,
        action: "plan",
        title: "Plan a milestone",
        help: "The due date becomes the baseline, which never moves.",
        fields: &[
            field("id", "Id (lower-case letters, digits, -)", K::Text),
            field("title", "Title", K::Text),
            field("workstream", "Workstream", K::Workstream),
            field("owner", "Owner", K::Organisation),
            field("due", "Due date", K::Date),
            optional("depends_on", "Depends on (milestone ids)", K::IdList),
        ],
    },
    ActionSpec {
        kind: T::Milestone,
        action: "start",
        title: "Start",
        help: "A planned milestone moves to in progress.",
        fields: &[],
    },
    ActionSpec {
        kind: T::Milestone,
        action: "report_progress",
        title: "Report progress",
        help: "0 to 100 percent; reporting on a planned milestone starts it.",
        fields: &[
            field("percent", "Percent", K::Integer),
            optional("note", "Note", K::LongText),
        ],
    },
    ActionSpec {
        kind: T::Milestone,
        action: "replan",
        title: "Replan",
        help: "Moves the forecast date; the baseline stays. A done or cancelled milestone cannot be replanned.",
        fields: &[
            field("to", "New forecast date", K::Date),
            field("reason", "Reason", K::LongText),
        ],
    },
    ActionSpec {
        kind: T::Milestone,
        action: "complete",
        title: "Complete",
        help: "The completion date cannot be in the future.",
        fields: &[
            field("on", "Done on", K::Date),
            optional("evidence", "Evidence (link)", K::Text),
        ],
    },
    ActionSpec {
        kind: T::Milestone,
        action: "cancel",
        title: "Cancel",
        help: "Only a planned or in-progress milestone can be cancelled.",
        fields: &[field("reason", "Reason", K::LongText)],
    },
    ActionSpec {
        kind: T::Milestone,
        action: "reopen",
        title: "Reopen",
        help: "A done or cancelled milestone returns to work.",
        fields: &[field("reason", "Reason", K::LongText)],
    },
    ActionSpec {
        kind: T::Commitment,
        action: "make",
        title: "Record a commitment",
        help: "What a partner promised to contribute; the partner must have joined the blueprint.",
        fields: &[
            field("id", "Id (lower-case letters, digits, -)", K::Text),
            field("partner", "Partner", K::Organisation),
            field("kind", "Kind", K::Choice(COMMITMENT_KINDS)),
            field("description", "Description", K::LongText),
            field("quantity", "Quantity", K::Integer),
            field("unit", "Unit", K::Text),
            field("due", "Due date", K::Date),
        ],
    },
    ActionSpec {
        kind: T::Commitment,
        action: "record_delivery",
        title: "Record a delivery",
        help: "Over-delivery is allowed and shown.",
        fields: &[
            field("quantity", "Quantity delivered", K::Integer),
            optional("note", "Note", K::LongText),
        ],
    },
    ActionSpec {
        kind: T::Commitment,
        action: "amend",
        title: "Amend",
        help: "Change the quantity or due date of an open commitment, with a reason.",
        fields: &[
            optional("quantity", "New quantity", K::Integer),
            optional("due", "New due date", K::Date),
            field("reason", "Reason", K::LongText),
        ],
    },
    ActionSpec {
        kind: T::Commitment,
        action: "fulfil",
        title: "Mark fulfilled",
        help: "Only once deliveries reach the promised quantity.",
        fields: &[],
    },
    ActionSpec {
        kind: T::Commitment,
        action: "withdraw",
        title: "Withdraw",
        help: "An open commitment is withdrawn, with a reason.",
        fields: &[field("reason", "Reason", K::LongText)],
    },
    ActionSpec {
        kind: T::Pledge,
        action: "make",
        title: "Record a pledge",
        help: "What a sponsor offered: money in pounds or staff time in person-days.",
        fields: &[
            field("id", "Id (lower-case letters, digits, -)", K::Text),
            field("sponsor", "Sponsor", K::Organisation),
            field("resource", "Resource", K::Choice(RESOURCES)),
            field("amount", "Amount", K::Hundredths),
            optional("workstream", "Workstream", K::Workstream),
            optional("conditions", "Conditions", K::LongText),
        ],
    },
    ActionSpec {
        kind: T::Pledge,
        action: "confirm",
        title: "Confirm",
        help: "The formally committed amount; it may differ from the pledge.",
        fields: &[field("amount", "Confirmed amount", K::Hundredths)],
    },
    ActionSpec {
        kind: T::Pledge,
        action: "disburse",
        title: "Record a disbursement",
        help: "Only after confirmation; disbursements never exceed the confirmed amount.",
        fields: &[
            field("amount", "Amount paid", K::Hundredths),
            optional("note", "Note", K::LongText),
        ],
    },
    ActionSpec {
        kind: T::Pledge,
        action: "withdraw",
        title: "Withdraw",
        help: "Before it is fully disbursed; what was paid stays counted.",
        fields: &[field("reason", "Reason", K::LongText)],
    },
    ActionSpec {
        kind: T::Pledge,
        action: "close",
        title: "Close",
        help: "Only once fully disbursed.",
        fields: &[],
    },
];

/// The spec of `action` on `kind`.
pub fn spec(kind: ThingKind, action: &str) -> Option<&'static ActionSpec> {
    let action = action.replace('-', "_");
    SPECS.iter().find(|s| s.kind == kind && s.action == action)
}

/// The creating form of a kind (the one with an `id` field).
pub fn create_spec(kind: ThingKind) -> Option<&'static ActionSpec> {
    SPECS
        .iter()
        .find(|s| s.kind == kind && s.fields.first().is_some_and(|f| f.name == "id"))
}

/// Forms that act on an existing thing of `kind`.
pub fn action_specs(kind: ThingKind) -> impl Iterator<Item = &'static ActionSpec> {
    SPECS
        .iter()
        .filter(move |s| s.kind == kind && s.fields.first().is_none_or(|f| f.name != "id"))
}

/// Whether a thing in `status` (as shown on its page: `planned`, `in progress`, ...) is offered
/// the form for `action`. This only spares people forms their thing's state will refuse; the
/// services' rules decide, and a refusal still explains itself.
pub fn offered(kind: ThingKind, status: &str, action: &str) -> bool {
    match (kind, status) {
        (T::Milestone, "planned") => action != "reopen",
        (T::Milestone, "in progress") => !matches!(action, "start" | "reopen"),
        (T::Milestone, _) => action == "reopen",
        (T::Commitment, "made") => true,
        (T::Pledge, "pledged") => matches!(action, "confirm" | "withdraw"),
        (T::Pledge, "confirmed") => matches!(action, "disburse" | "withdraw" | "close"),
        _ => false,
    }
}

/// Converts submitted fields to the JSON body of the action. Returns the field errors found.
pub fn to_body(
    spec: &ActionSpec,
    fields: &HashMap<String, String>,
) -> Result<Map<String, Value>, (String, String)> {
    let mut body = Map::new();
    for f in spec.fields {
        let raw = fields.get(f.name).map(|v| v.trim()).unwrap_or("");
        if raw.is_empty() {
            if f.required {
                return Err((f.name.to_owned(), format!("{} is required", f.label)));
            }
            continue;
        }
        let value = match f.kind {
            K::Integer => raw.parse::<u64>().map(Value::from).map_err(|_| {
                (
                    f.name.to_owned(),
                    format!("{} must be a whole number, not {raw:?}", f.label),
                )
            })?,
            K::Hundredths => proto::text::parse_hundredths(raw)
                .map(Value::from)
                .map_err(|e| (f.name.to_owned(), e))?,
            K::IdList => Value::from(
                raw.split(|c: char| c == ',' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect::<Vec<_>>(),
            ),
            _ => Value::String(raw.to_owned()),
        };
        body.insert(f.name.to_owned(), value);
    }
    Ok(body)
}

/// A choice in a select.
#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// A field as rendered.
#[derive(Debug, Clone)]
pub struct FieldView {
    pub name: &'static str,
    pub label: &'static str,
    /// `text`, `textarea`, `date`, `number` or `select`.
    pub input: &'static str,
    pub value: String,
    pub required: bool,
    pub choices: Vec<Choice>,
    pub error: Option<String>,
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
    let fields = spec
        .fields
        .iter()
        .map(|f| {
            let value = refused
                .and_then(|r| r.values.get(f.name).cloned())
                .unwrap_or_default();
            let options = |list: &[(String, String)]| {
                let mut out: Vec<Choice> = Vec::new();
                if !f.required {
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
            let (input, choices) = match f.kind {
                K::Text | K::IdList => ("text", vec![]),
                K::LongText => ("textarea", vec![]),
                K::Date => ("date", vec![]),
                K::Integer => ("number", vec![]),
                K::Hundredths => ("text", vec![]),
                K::Workstream => ("select", options(&choices.workstreams)),
                K::Organisation => ("select", options(&choices.organisations)),
                K::Choice(list) => {
                    let owned: Vec<(String, String)> = list
                        .iter()
                        .map(|(v, l)| ((*v).to_owned(), (*l).to_owned()))
                        .collect();
                    ("select", options(&owned))
                }
            };
            FieldView {
                name: f.name,
                label: f.label,
                input,
                value,
                required: f.required,
                choices,
                error: field_error(f.name),
            }
        })
        .collect();
    let general = refused
        .filter(|r| {
            r.field
                .as_deref()
                .is_none_or(|f| !spec.fields.iter().any(|s| s.name == f))
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

    #[test]
    fn every_command_has_a_form() {
        let names: Vec<(ThingKind, &str)> = SPECS.iter().map(|s| (s.kind, s.action)).collect();
        let expect = |kind, actions: &[&str]| {
            for a in actions {
                assert!(names.contains(&(kind, *a)), "{kind:?} {a} has no form");
            }
        };
        expect(ThingKind::Organisation, &["register", "rename"]);
        expect(
            ThingKind::Blueprint,
            &[
                "draft",
                "publish",
                "close",
                "add_workstream",
                "rename_workstream",
                "retire_workstream",
                "add_partner",
                "remove_partner",
                "set_target",
                "report_target",
            ],
        );
        expect(
            ThingKind::Milestone,
            &[
                "plan",
                "start",
                "report_progress",
                "replan",
                "complete",
                "cancel",
                "reopen",
            ],
        );
        expect(
            ThingKind::Commitment,
            &["make", "record_delivery", "amend", "fulfil", "withdraw"],
        );
        expect(
            ThingKind::Pledge,
            &["make", "confirm", "disburse", "withdraw", "close"],
        );
    }

    #[test]
    fn forms_follow_the_life_cycle() {
        let offered = |kind, status| {
            action_specs(kind)
                .filter(|s| super::offered(kind, status, s.action))
                .map(|s| s.action)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            offered(ThingKind::Milestone, "planned"),
            ["start", "report_progress", "replan", "complete", "cancel"]
        );
        assert_eq!(
            offered(ThingKind::Milestone, "in progress"),
            ["report_progress", "replan", "complete", "cancel"]
        );
        assert_eq!(offered(ThingKind::Milestone, "done"), ["reopen"]);
        assert_eq!(
            offered(ThingKind::Commitment, "withdrawn"),
            Vec::<&str>::new()
        );
        assert_eq!(
            offered(ThingKind::Pledge, "confirmed"),
            ["disburse", "withdraw", "close"]
        );
    }

    #[test]
    fn fields_become_the_api_body() {
        let s = spec(ThingKind::Pledge, "make").unwrap();
        let body = to_body(
            s,
            &fields(&[
                ("id", "p"),
                ("sponsor", "gds"),
                ("resource", "money"),
                ("amount", "1,250.50"),
                ("workstream", ""),
            ]),
        )
        .unwrap();
        assert_eq!(body["amount"], 125_050);
        assert!(!body.contains_key("workstream"));
        let s = spec(ThingKind::Milestone, "plan").unwrap();
        let body = to_body(
            s,
            &fields(&[
                ("id", "m"),
                ("title", "T"),
                ("workstream", "w"),
                ("owner", "gds"),
                ("due", "2027-01-01"),
                ("depends_on", "a, b c"),
            ]),
        )
        .unwrap();
        assert_eq!(body["depends_on"], serde_json::json!(["a", "b", "c"]));
        let err = to_body(
            spec(ThingKind::Milestone, "report-progress").unwrap(),
            &fields(&[("percent", "lots")]),
        )
        .unwrap_err();
        assert_eq!(err.0, "percent");
        let err = to_body(
            spec(ThingKind::Milestone, "replan").unwrap(),
            &fields(&[("to", "2027-01-01")]),
        )
        .unwrap_err();
        assert_eq!(err, ("reason".to_owned(), "Reason is required".to_owned()));
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
    }
}
