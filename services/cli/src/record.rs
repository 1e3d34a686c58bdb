//! Recording commands: `waymark <kind> <action> <TARGET> [--<field> VALUE]...`, one subcommand per
//! action of the command catalogue (`proto::spec::KINDS`). The subcommands are built from the
//! catalogue when the command line is parsed, so an action added to `proto::commands` is a
//! subcommand here with its flags, help and example; only the tests below name actions.
//! Every value is read by the field's own [`FieldSpec::parse`] while the command line is parsed,
//! so a bad amount, date or id is refused before anything is sent. The answer is printed for
//! people, or as the API's JSON with `--json`.

use std::ffi::OsStr;

use chrono::NaiveDate;
use clap::builder::{PossibleValue, TypedValueParser};
use clap::error::ErrorKind;
use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches, Subcommand};
use proto::spec::{self, ActionSpec, FieldSpec, Input, KINDS, KindSpec};
use proto::{BlueprintId, IdError, SlugProblem, ThingKind};
use serde_json::{Map, Value, json};

use crate::client::{ApiClient, ClientError};
use crate::{EXIT_REJECTED, EXIT_UNAVAILABLE};

/// Options every recording command takes.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// The dashboard's base URL.
    #[arg(
        long,
        env = "WAYMARK_URL",
        default_value = "http://127.0.0.1:8080",
        global = true
    )]
    pub url: String,
    /// API token (printed by `waymark dev`, or made with `waymark token create`); its name is
    /// recorded as the actor of every change.
    #[arg(long, env = "WAYMARK_TOKEN", global = true, hide_env_values = true)]
    pub token: Option<settings::Secret>,
    /// Idempotency key; repeat a command with the same key to retry it safely. Generated if absent.
    #[arg(long, global = true)]
    pub idempotency_key: Option<String>,
    /// The date the fact happened (default today), for recording the past.
    #[arg(long, global = true, value_name = "YYYY-MM-DD")]
    pub occurred_on: Option<NaiveDate>,
    /// Print the API's JSON answer on stdout (its problem document when refused).
    #[arg(long, global = true)]
    pub json: bool,
}

/// One recording command, as parsed: the action, the thing it acts on, the body read from its
/// flags, and the options to send it with.
#[derive(Debug, Clone)]
pub struct Recording {
    pub action: &'static ActionSpec,
    pub target: Target,
    /// The action's fields as the API takes them; fields left out are absent.
    pub body: Map<String, Value>,
    pub common: Common,
}

/// The thing a command acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// An organisation or a blueprint, by its id.
    Id(String),
    /// A milestone, commitment or pledge: `<blueprint>/<id>`.
    InBlueprint(ThingPath),
}

/// `<blueprint>/<id>`: a thing that belongs to a blueprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThingPath {
    pub blueprint: String,
    pub id: String,
}

/// Why a command line's `TARGET` names no thing; clap shows the message with the argument.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// A thing in a blueprint was named without its blueprint.
    #[error("{typed:?} must be <blueprint>/<id>, like wm-digital/hub-roles")]
    NotAPath { typed: String },
    /// The blueprint, or an organisation or blueprint named alone, is not a valid id.
    #[error(transparent)]
    BadId(#[from] IdError),
    /// The id after the blueprint is not a valid id.
    #[error("invalid id {id:?}: {problem}")]
    BadThingId {
        id: String,
        #[source]
        problem: SlugProblem,
    },
}

impl std::str::FromStr for ThingPath {
    type Err = TargetError;
    fn from_str(s: &str) -> Result<Self, TargetError> {
        let (blueprint, id) = s.split_once('/').ok_or_else(|| TargetError::NotAPath {
            typed: s.to_owned(),
        })?;
        BlueprintId::new(blueprint)?;
        proto::check_slug(id).map_err(|problem| TargetError::BadThingId {
            id: id.to_owned(),
            problem,
        })?;
        Ok(Self {
            blueprint: blueprint.to_owned(),
            id: id.to_owned(),
        })
    }
}

// ---- the subcommands, from the catalogue ----

/// The id of the positional argument naming the thing; upper case, so that it never meets a
/// field's name.
const TARGET: &str = "TARGET";

impl Subcommand for Recording {
    fn augment_subcommands(cmd: Command) -> Command {
        cmd.subcommands(KINDS.iter().map(kind_command))
    }

    fn augment_subcommands_for_update(cmd: Command) -> Command {
        Self::augment_subcommands(cmd)
    }

    fn has_subcommand(name: &str) -> bool {
        KINDS.iter().any(|k| k.kind.token() == name)
    }
}

impl FromArgMatches for Recording {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Self::from_arg_matches_mut(&mut matches.clone())
    }

    fn from_arg_matches_mut(matches: &mut ArgMatches) -> Result<Self, clap::Error> {
        let missing = || {
            clap::Error::raw(
                ErrorKind::MissingSubcommand,
                "a kind of thing and an action are required",
            )
        };
        let (kind_name, mut kind_matches) = matches.remove_subcommand().ok_or_else(missing)?;
        let kind = KINDS
            .iter()
            .find(|k| k.kind.token() == kind_name)
            .ok_or_else(|| {
                clap::Error::raw(
                    ErrorKind::InvalidSubcommand,
                    format!("{kind_name:?} is not a kind of thing"),
                )
            })?;
        let (action_name, mut m) = kind_matches.remove_subcommand().ok_or_else(missing)?;
        let action = kind.action(&action_name).ok_or_else(|| {
            clap::Error::raw(
                ErrorKind::InvalidSubcommand,
                format!("{action_name:?} is not an action on {}", kind.plural),
            )
        })?;
        let target = m
            .remove_one::<Target>(TARGET)
            .ok_or_else(|| clap::Error::raw(ErrorKind::MissingRequiredArgument, "no target"))?;
        let body = action
            .fields
            .iter()
            .filter_map(|f| {
                let value = m.remove_one::<Value>(f.name)?;
                (!value.is_null()).then(|| (f.name.to_owned(), value))
            })
            .collect();
        let common = Common::from_arg_matches_mut(&mut m)?;
        Ok(Self {
            action,
            target,
            body,
            common,
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}

/// `waymark <kind>`: the kind's actions, and the options they share.
fn kind_command(kind: &'static KindSpec) -> Command {
    let titles: Vec<String> = kind.actions.iter().map(|a| in_sentence(a.title)).collect();
    // The options first: their derive would also set the command's about. They are listed
    // after each action's own flags, and before `--help`.
    Common::augment_args(Command::new(kind.kind.token()).next_display_order(900))
        .next_display_order(0)
        .about(format!("Record {}: {}.", kind.plural, titles.join(", ")))
        .long_about(None)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .subcommands(kind.actions.iter().map(|a| action_command(kind, a)))
}

/// `waymark <kind> <action>`: the thing, then one flag per field.
fn action_command(kind: &'static KindSpec, action: &'static ActionSpec) -> Command {
    let token = kind.kind.token();
    let target_help = match (kind.in_blueprint, action.creates) {
        (true, true) => format!(
            "The new {token}: its blueprint's id, '/', and an id unique within the blueprint \
             (lower-case letters, digits and '-')"
        ),
        (true, false) => format!("The {token}: its blueprint's id, '/', and its own id"),
        (false, true) => {
            format!("The new {token}'s id: lower-case letters, digits and '-'")
        }
        (false, false) => format!("The {token}'s id"),
    };
    let target = Arg::new(TARGET)
        .value_name(target_name(kind))
        .required(true)
        .help(target_help)
        .value_parser(move |typed: &str| read_target(kind, typed));
    let mut usage = format!("waymark {token} {} <{}>", action.slug(), target_name(kind));
    for field in action.fields.iter().filter(|f| f.required) {
        usage.push_str(&format!(" --{} <{}>", flag(field), value_name(field)));
    }
    usage.push_str(" [OPTIONS]");
    Command::new(action.slug())
        .override_usage(usage)
        .about(action.title)
        .long_about(action.help)
        .after_help(format!("Example:\n  {}", example_line(kind, action)))
        .arg(target)
        .args(action.fields.iter().map(field_arg))
}

/// The flag of one field: `--depends-on <MILESTONES>`.
fn field_arg(field: &'static FieldSpec) -> Arg {
    // A help text that already names the label (`The new forecast date.`) is shown alone.
    let help = if field.help.is_empty() {
        field.label.to_owned()
    } else if field
        .help
        .to_lowercase()
        .contains(&field.label.to_lowercase())
    {
        field.help.to_owned()
    } else {
        format!("{}. {}", field.label, field.help)
    };
    Arg::new(field.name)
        .long(flag(field))
        .value_name(value_name(field))
        .help(help)
        .required(field.required)
        .action(ArgAction::Set)
        .value_parser(FieldValue(field))
}

/// A field's flag, without the dashes: `depends-on`.
fn flag(field: &FieldSpec) -> String {
    field.name.replace('_', "-")
}

/// What a field's value is, for the usage line.
fn value_name(field: &FieldSpec) -> String {
    match field.input {
        Input::Text { .. } | Input::LongText { .. } => "TEXT".to_owned(),
        Input::Link => "URL".to_owned(),
        Input::Date => "DATE".to_owned(),
        Input::Count => "NUMBER".to_owned(),
        Input::Percent => "PERCENT".to_owned(),
        Input::Hundredths => "POUNDS_OR_DAYS".to_owned(),
        Input::Slug => "ID".to_owned(),
        Input::Organisation => "ORGANISATION".to_owned(),
        Input::Workstream => "WORKSTREAM".to_owned(),
        Input::MilestoneList => "MILESTONES".to_owned(),
        Input::Choice(_) => field.name.to_uppercase(),
    }
}

/// What the target is, for the usage line: `BLUEPRINT/MILESTONE`, `ORGANISATION`.
fn target_name(kind: &KindSpec) -> String {
    let own = kind.kind.token().to_uppercase();
    if kind.in_blueprint {
        format!("BLUEPRINT/{own}")
    } else {
        own
    }
}

/// An id to show in examples.
fn example_id(kind: ThingKind) -> &'static str {
    match kind {
        ThingKind::Organisation => "hmcts",
        ThingKind::Blueprint => "wm-digital",
        ThingKind::Milestone => "hub-100-roles",
        ThingKind::Commitment => "gds-secondees",
        ThingKind::Pledge => "wmca-fund",
    }
}

/// An example target: `wm-digital/hub-100-roles`.
fn example_target(kind: &KindSpec) -> String {
    let id = example_id(kind.kind);
    if kind.in_blueprint {
        format!("{}/{id}", example_id(ThingKind::Blueprint))
    } else {
        id.to_owned()
    }
}

/// An example of the action, with every field's example, as words grouped as they are read: the
/// kind, the action, the target, then each flag with its value.
fn example_words(kind: &KindSpec, action: &ActionSpec) -> Vec<Vec<String>> {
    let mut words = vec![
        vec![kind.kind.token().to_owned()],
        vec![action.slug()],
        vec![example_target(kind)],
    ];
    for field in action.fields {
        let example = field.example_text();
        if !example.trim().is_empty() {
            words.push(vec![format!("--{}", flag(field)), example.to_owned()]);
        }
    }
    words
}

/// The example as it is typed at a shell, wrapped at about 100 columns.
fn example_line(kind: &KindSpec, action: &ActionSpec) -> String {
    const WIDTH: usize = 98;
    let mut out = String::from("waymark");
    let mut column = out.len() + 2;
    for group in example_words(kind, action) {
        let piece = group
            .iter()
            .map(|w| shell_word(w))
            .collect::<Vec<_>>()
            .join(" ");
        if column + 1 + piece.len() > WIDTH {
            out.push_str(" \\\n    ");
            column = 4;
        } else {
            out.push(' ');
            column += 1;
        }
        column += piece.chars().count();
        out.push_str(&piece);
    }
    out
}

/// A word as typed at a shell: bare when it is safe, else quoted.
fn shell_word(word: &str) -> String {
    let bare = |c: char| c.is_ascii_alphanumeric() || "-_.,/:@%+=".contains(c);
    if !word.is_empty() && word.chars().all(bare) {
        word.to_owned()
    } else if !word.contains(['"', '$', '`', '\\', '!']) {
        format!("\"{word}\"")
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// A title as written inside a sentence: `Add a workstream` becomes `add a workstream`; a title
/// that starts with an acronym keeps it.
fn in_sentence(title: &str) -> String {
    let mut chars = title.chars();
    match (chars.next(), chars.next()) {
        (Some(first), Some(second)) if !second.is_uppercase() => {
            first.to_lowercase().chain([second]).chain(chars).collect()
        }
        _ => title.to_owned(),
    }
}

/// Reads a field's flag with the field's own rules. Blank text leaves an optional field out
/// (`Value::Null`, dropped from the body); a required field cannot be blank. A choice lists its
/// values, with their help, in `--help` and in errors.
#[derive(Debug, Clone, Copy)]
struct FieldValue(&'static FieldSpec);

impl TypedValueParser for FieldValue {
    type Value = Value;

    fn parse_ref(
        &self,
        cmd: &Command,
        arg: Option<&Arg>,
        value: &OsStr,
    ) -> Result<Value, clap::Error> {
        let field = self.0;
        let read = move |typed: &str| field.read(typed).map(|v| v.unwrap_or(Value::Null));
        TypedValueParser::parse_ref(&read, cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        match self.0.input {
            Input::Choice(choices) => Some(Box::new(
                choices
                    .iter()
                    .map(|c| PossibleValue::new(c.value).help(c.help)),
            )),
            _ => None,
        }
    }
}

/// Reads the thing a command of `kind` acts on: an id, or `<blueprint>/<id>` for a thing in a
/// blueprint.
fn read_target(kind: &KindSpec, typed: &str) -> Result<Target, TargetError> {
    if kind.in_blueprint {
        typed.parse().map(Target::InBlueprint)
    } else {
        proto::check_slug(typed)
            .map(|()| Target::Id(typed.to_owned()))
            .map_err(|problem| {
                TargetError::BadId(IdError {
                    what: kind.kind.token(),
                    value: typed.to_owned(),
                    problem,
                })
            })
    }
}

// ---- from a command to a request ----

/// What to send: the API path and the JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Post {
    pub path: String,
    pub body: Value,
}

impl Recording {
    /// The request this command sends, and the options to send it with. A creating action is
    /// sent to the collection with the new `id`; any other to `<collection>/<id>/<action>`, or
    /// to `/api/v1/blueprints/<id>/<action>` for an action on a blueprint.
    pub fn into_post(self) -> (Post, Common) {
        let Self {
            action,
            target,
            mut body,
            common,
        } = self;
        let plural = spec::kind(action.kind).plural;
        let (collection, id) = match target {
            Target::Id(id) => (format!("/api/v1/{plural}"), id),
            Target::InBlueprint(thing) => (
                format!("/api/v1/blueprints/{}/{plural}", thing.blueprint),
                thing.id,
            ),
        };
        let path = if action.creates {
            body.insert("id".to_owned(), Value::String(id));
            collection
        } else {
            format!("{collection}/{id}/{}", action.slug())
        };
        if let Some(on) = common.occurred_on {
            body.insert("occurred_on".to_owned(), json!(on));
        }
        let body = Value::Object(body);
        (Post { path, body }, common)
    }
}

// ---- sending and answering ----

/// What a command prints, and its exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Prints the output; returns the exit code.
    pub fn emit(self) -> i32 {
        print!("{}", self.stdout);
        eprint!("{}", self.stderr);
        self.code
    }
}

/// Renders the API's answer: a sentence for people, or the JSON as received with `json`.
pub fn render(answer: Result<Value, ClientError>, json: bool) -> Output {
    match answer {
        Ok(answer) => {
            let stdout = if json {
                format!("{answer}\n")
            } else {
                let events = answer["events"]
                    .as_array()
                    .map(|e| {
                        e.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .unwrap_or_default();
                let again = if answer["duplicate"].as_bool() == Some(true) {
                    " (already recorded with this key)"
                } else {
                    ""
                };
                format!("recorded {events} at commit {}{again}\n", answer["seq"])
            };
            Output {
                code: 0,
                stdout,
                stderr: String::new(),
            }
        }
        Err(e) => {
            let stdout = match &e {
                ClientError::Rejected { problem, .. } if json => format!("{problem}\n"),
                _ => String::new(),
            };
            Output {
                code: if e.is_unavailable() {
                    EXIT_UNAVAILABLE
                } else {
                    EXIT_REJECTED
                },
                stdout,
                stderr: format!("waymark: {e}\n"),
            }
        }
    }
}

/// Sends one recording command; returns what to print and the exit code.
pub async fn run(recording: Recording) -> Output {
    let (post, common) = recording.into_post();
    let client = ApiClient::new(&common.url)
        .with_token(common.token.as_ref().map(|t| t.expose().to_owned()));
    let key = common
        .idempotency_key
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    render(client.post(&post.path, &post.body, &key).await, common.json)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cli, Commands};
    use clap::{CommandFactory, Parser};

    fn parse_argv<S: AsRef<str>>(words: &[S]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("waymark").chain(words.iter().map(AsRef::as_ref)))
    }

    fn parse(line: &str) -> Result<Cli, clap::Error> {
        parse_argv(&line.split_whitespace().collect::<Vec<_>>())
    }

    fn recording_of<S: AsRef<str>>(words: &[S]) -> Recording {
        let line = words
            .iter()
            .map(AsRef::as_ref)
            .collect::<Vec<_>>()
            .join(" ");
        let cli = parse_argv(words).unwrap_or_else(|e| panic!("{line}: {e}"));
        let Commands::Record(recording) = cli.command else {
            panic!("{line} is not a recording command")
        };
        recording
    }

    fn post_of(line: &str) -> Post {
        recording_of(&line.split_whitespace().collect::<Vec<_>>())
            .into_post()
            .0
    }

    /// The words of `kind action target` with every field's example.
    fn with_examples(kind: &KindSpec, action: &ActionSpec, target: &str) -> Vec<String> {
        let mut words = vec![
            kind.kind.token().to_owned(),
            action.slug(),
            target.to_owned(),
        ];
        for field in action.fields {
            words.push(format!("--{}", field.name.replace('_', "-")));
            words.push(field.example_text().to_owned());
        }
        words
    }

    /// Every action of every kind in the catalogue, from the command line to the request it sends:
    /// typed with every field's example, it sends the catalogue's example body.
    #[test]
    fn every_command_builds_its_request() {
        let mut checked = 0;
        for kind in &KINDS {
            let (target, id) = match kind.kind {
                ThingKind::Organisation => ("gds", "gds"),
                ThingKind::Blueprint => ("wm", "wm"),
                _ => ("wm/x", "x"),
            };
            for action in kind.actions {
                let words = with_examples(kind, action, target);
                let recording = recording_of(&words);
                assert_eq!(recording.action, action, "{words:?}");
                let (post, _) = recording.into_post();
                let slug = action.slug();
                let plural = kind.plural;
                let path = match (kind.kind, action.creates) {
                    (ThingKind::Organisation | ThingKind::Blueprint, true) => {
                        format!("/api/v1/{plural}")
                    }
                    (ThingKind::Organisation | ThingKind::Blueprint, false) => {
                        format!("/api/v1/{plural}/{id}/{slug}")
                    }
                    (_, true) => format!("/api/v1/blueprints/wm/{plural}"),
                    (_, false) => format!("/api/v1/blueprints/wm/{plural}/x/{slug}"),
                };
                let mut body = action.example();
                if action.creates {
                    body.insert("id".to_owned(), json!(id));
                }
                assert_eq!(
                    post,
                    Post {
                        path,
                        body: Value::Object(body)
                    },
                    "{words:?}"
                );
                checked += 1;
            }
        }
        assert_eq!(checked, spec::all_actions().count());

        // A few by hand, in the API's own words.
        let table = [
            (
                "organisation register gds --name GDS --org-type central-government",
                "/api/v1/organisations",
                json!({"id": "gds", "name": "GDS", "org_type": "central_government"}),
            ),
            (
                "blueprint add-workstream wm --workstream skills --title Skills --lead-org gds",
                "/api/v1/blueprints/wm/add-workstream",
                json!({"workstream": "skills", "title": "Skills", "lead_org": "gds"}),
            ),
            (
                "milestone plan wm/hub --workstream skills --title Hub --owner gds \
                 --due 2027-03-31 --depends-on a,b",
                "/api/v1/blueprints/wm/milestones",
                json!({"id": "hub", "workstream": "skills", "title": "Hub", "owner": "gds",
                       "due": "2027-03-31", "depends_on": ["a", "b"]}),
            ),
            (
                "milestone report-progress wm/hub --percent 40 --note Half",
                "/api/v1/blueprints/wm/milestones/hub/report-progress",
                json!({"percent": 40, "note": "Half"}),
            ),
            (
                "milestone complete wm/hub --on 2026-05-01 --occurred-on 2026-05-02",
                "/api/v1/blueprints/wm/milestones/hub/complete",
                json!({"on": "2026-05-01", "occurred_on": "2026-05-02"}),
            ),
            (
                "commitment amend wm/sec --due 2027-02-28 --reason Venue",
                "/api/v1/blueprints/wm/commitments/sec/amend",
                json!({"due": "2027-02-28", "reason": "Venue"}),
            ),
            (
                "pledge make wm/time --sponsor gds --resource staff-time --amount 12.5 \
                 --workstream skills",
                "/api/v1/blueprints/wm/pledges",
                json!({"id": "time", "sponsor": "gds", "resource": "staff_time", "amount": 1250,
                       "workstream": "skills"}),
            ),
            (
                "pledge confirm wm/fund --amount £250,000",
                "/api/v1/blueprints/wm/pledges/fund/confirm",
                json!({"amount": 25_000_000u64}),
            ),
            (
                "pledge close wm/fund --json",
                "/api/v1/blueprints/wm/pledges/fund/close",
                json!({}),
            ),
        ];
        for (line, path, body) in table {
            let expected = Post {
                path: path.to_owned(),
                body,
            };
            assert_eq!(post_of(line), expected, "{line}");
        }

        // A blank optional field is left out.
        let blank = recording_of(&["commitment", "record-delivery", "wm/c", "--quantity", "1"]);
        let blank_note = recording_of(&[
            "commitment",
            "record-delivery",
            "wm/c",
            "--quantity",
            "1",
            "--note",
            " ",
        ]);
        assert_eq!(blank.body, blank_note.body);
        assert_eq!(Value::Object(blank.body), json!({"quantity": 1}));
    }

    #[test]
    fn the_command_line_is_consistent_and_every_subcommand_says_what_it_records() {
        let cli = Cli::command();
        cli.clone().debug_assert();
        fn walk(cmd: &clap::Command, path: &str) {
            for sub in cmd.get_subcommands() {
                let path = format!("{path} {}", sub.get_name());
                let about = sub.get_about().map(ToString::to_string).unwrap_or_default();
                let long = sub
                    .get_long_about()
                    .map(ToString::to_string)
                    .unwrap_or_default();
                assert!(
                    about.len() > 20 || (!about.is_empty() && long.len() > 20),
                    "`{path}` needs an about text"
                );
                walk(sub, &path);
            }
        }
        walk(&cli, "waymark");

        for kind in &KINDS {
            let group = cli.find_subcommand(kind.kind.token()).unwrap();
            let about = group.get_about().unwrap().to_string();
            assert!(about.starts_with("Record "), "{about}");
            assert_eq!(group.get_subcommands().count(), kind.actions.len());
            for action in kind.actions {
                let cmd = group.find_subcommand(action.slug()).unwrap();
                assert!(about.contains(&in_sentence(action.title)), "{about}");
                assert_eq!(cmd.get_about().unwrap().to_string(), action.title);
                assert_eq!(cmd.get_long_about().unwrap().to_string(), action.help);
                let help = cmd.clone().render_long_help().to_string();
                assert!(help.contains(action.help), "{help}");
                assert!(help.contains(&example_line(kind, action)), "{help}");
                for field in action.fields {
                    assert!(help.contains(&format!("--{}", flag(field))), "{help}");
                    assert!(
                        help.contains(field.label) || help.contains(field.help),
                        "{help}"
                    );
                }
                // The example in the help is a command that works.
                let words: Vec<String> = example_words(kind, action).concat();
                let recording = recording_of(&words);
                assert_eq!(recording.action, action);
                assert_eq!(recording.body, action.example());
            }
        }

        let help = long_help(&cli, "milestone", "replan");
        assert!(help.contains("The baseline never moves"), "{help}");
        assert!(
            help.replace(" \\\n    ", " ").contains(
                "waymark milestone replan wm-digital/hub-100-roles --to 2027-03-31 \
                 --reason \"Fit-out of the hub was delayed.\""
            ),
            "{help}"
        );
        assert!(
            help.contains(
                "waymark milestone replan <BLUEPRINT/MILESTONE> --to <DATE> --reason <TEXT>"
            ),
            "{help}"
        );
        assert!(help.contains("--to <DATE>"), "{help}");
        let help = long_help(&cli, "milestone", "plan");
        assert!(help.contains("<BLUEPRINT/MILESTONE>"), "{help}");
        assert!(help.contains("--depends-on <MILESTONES>"), "{help}");
        assert!(
            help.contains(" \\\n    "),
            "a long example is wrapped: {help}"
        );
    }

    /// The long help of `waymark <kind> <action>`.
    fn long_help(cli: &Command, kind: &str, action: &str) -> String {
        cli.find_subcommand(kind)
            .and_then(|k| k.find_subcommand(action))
            .unwrap()
            .clone()
            .render_long_help()
            .to_string()
    }

    #[test]
    fn choices_use_the_api_spelling_and_list_their_choices() {
        let cli = Cli::command();
        let mut fields = 0;
        for kind in &KINDS {
            for action in kind.actions {
                for field in action.fields {
                    let Input::Choice(choices) = field.input else {
                        continue;
                    };
                    fields += 1;
                    let cmd = cli
                        .find_subcommand(kind.kind.token())
                        .and_then(|k| k.find_subcommand(action.slug()))
                        .unwrap();
                    let arg = cmd
                        .get_arguments()
                        .find(|a| a.get_id() == field.name)
                        .unwrap();
                    let listed = arg.get_possible_values();
                    assert_eq!(listed.len(), choices.len());
                    let help = cmd.clone().render_long_help().to_string();
                    for (value, choice) in listed.iter().zip(choices.iter()) {
                        assert_eq!(value.get_name(), choice.value);
                        assert_eq!(
                            value.get_help().map(ToString::to_string).as_deref(),
                            Some(choice.help)
                        );
                        assert!(help.contains(choice.value) && help.contains(choice.help));
                        // Typed as the API spells it, or with `-` for `_`.
                        for typed in [choice.value.to_owned(), choice.value.replace('_', "-")] {
                            let mut words = with_examples(kind, action, "wm/x");
                            let at = words
                                .iter()
                                .position(|w| *w == format!("--{}", flag(field)))
                                .unwrap();
                            words[at + 1] = typed;
                            if !kind.in_blueprint {
                                words[2] = "x".to_owned();
                            }
                            assert_eq!(recording_of(&words).body[field.name], json!(choice.value));
                        }
                    }
                }
            }
        }
        assert!(
            fields >= 3,
            "the organisation type, commitment kind and resource"
        );
        let bad = parse("organisation register x --name X --org-type council")
            .unwrap_err()
            .to_string();
        assert!(
            bad.contains("central_government") && bad.contains("education_provider"),
            "{bad}"
        );
    }

    #[test]
    fn amounts_and_ids_are_checked_before_sending() {
        let err = |line: &str| parse(line).unwrap_err().to_string();
        assert!(err("pledge confirm wm/f --amount 1.234").contains("not an amount"));
        assert!(err("pledge confirm wm/f").contains("--amount"));
        assert!(
            err("pledge make wm/f --sponsor gds --resource gold --amount 1")
                .contains("money, staff_time")
        );
        assert!(err("blueprint add-partner wm --org G.D.S").contains("is not a valid id"));
        assert!(err("organisation rename G.D.S --name X").contains("invalid organisation id"));
        assert!(err("commitment record-delivery wm/c --quantity 1.5").contains("whole number"));
        assert!(err("milestone report-progress wm/m --percent 101").contains("0 to 100"));
        assert!(
            err("milestone replan wm/m --to 31/03/2027 --reason r").contains("like 2027-03-31")
        );
        assert!(err("milestone complete wm/m").contains("--on"));
        assert!(err("milestone plan wm/m --workstream s --title T --owner gds --due 2027-01-01 --depends-on a,a").contains("listed twice"));
        assert!(err("milestone start wm").contains("<blueprint>/<id>"));
        assert!(err("milestone start wm/Hub").contains("invalid id"));
        let blank = parse_argv(&["milestone", "cancel", "wm/m", "--reason", " "]).unwrap_err();
        assert!(blank.to_string().contains("Reason is required"), "{blank}");
        assert_eq!(blank.exit_code(), 2);
    }
    #[test]
    fn json_output_is_the_api_answer_or_its_problem() {
        let answer = json!({"seq": 7, "events": ["milestone.started"], "duplicate": false});
        let ok = render(Ok(answer.clone()), true);
        assert_eq!(ok.code, 0);
        assert_eq!(serde_json::from_str::<Value>(&ok.stdout).unwrap(), answer);
        let again = json!({"seq": 7, "events": ["milestone.started"], "duplicate": true});
        assert_eq!(
            render(Ok(again), false).stdout,
            "recorded milestone.started at commit 7 (already recorded with this key)\n"
        );

        let problem = json!({"type": "urn:waymark:problem:milestone.closed", "status": 409,
                             "code": "milestone.closed",
                             "detail": "milestone wm/hub is done; it cannot be replanned"});
        let rejected = || ClientError::Rejected {
            status: 409,
            code: "milestone.closed".into(),
            detail: "milestone wm/hub is done; it cannot be replanned".into(),
            field: None,
            problem: problem.clone(),
        };
        let refused = render(Err(rejected()), true);
        assert_eq!(refused.code, EXIT_REJECTED);
        assert_eq!(
            serde_json::from_str::<Value>(&refused.stdout).unwrap(),
            problem
        );
        assert!(refused.stderr.contains("cannot be replanned"));
        assert_eq!(render(Err(rejected()), false).stdout, "");

        let away = ClientError::Transport {
            url: "http://127.0.0.1:9".into(),
            reason: "connection refused".into(),
        };
        let away = render(Err(away), true);
        assert_eq!((away.code, away.stdout.as_str()), (EXIT_UNAVAILABLE, ""));
    }
}
