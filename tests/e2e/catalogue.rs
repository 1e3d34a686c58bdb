//! Every action declared in `proto` reaches every door: an operation of the API's document, a
//! form, a subcommand of the command line, and for a thing's creating action, a CSV register
//! column set. An action added to proto without them fails here.

use clap::CommandFactory;
use dashboard::forms::{self, Choices};
use dashboard::registers::rows::Register;
use proto::spec::{self, KINDS};
use serde_json::Value;
use utoipa::OpenApi;

#[test]
fn every_action_has_an_operation_a_form_a_subcommand_and_a_register() {
    let doc = serde_json::to_value(dashboard::openapi::ApiDoc::openapi()).unwrap();
    let operation_ids: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|item| item["post"]["operationId"].as_str())
        .collect();
    let cli = cli::Cli::command();
    for action in spec::all_actions() {
        let what = format!("{} {}", action.kind.token(), action.name);
        assert!(
            operation_ids.contains(&action.operation_id().as_str()),
            "{what}: no operation {} in the API's document",
            action.operation_id()
        );
        let form = forms::render(action, "/x".into(), "c", None, &Choices::default(), None);
        assert_eq!(form.title, action.title, "{what}: no form");
        assert!(
            action
                .fields
                .iter()
                .all(|f| form.fields.iter().any(|v| v.name == f.name)),
            "{what}: the form lacks a field"
        );
        let sub = cli
            .find_subcommand(action.kind.token())
            .and_then(|k| k.find_subcommand(action.slug()))
            .unwrap_or_else(|| panic!("{what}: no subcommand"));
        for field in action.fields {
            let flag = field.name.replace('_', "-");
            assert!(
                sub.get_arguments()
                    .any(|a| a.get_long() == Some(flag.as_str())),
                "{what}: no --{flag}"
            );
        }
    }
    for kind in KINDS.iter().filter(|k| k.in_blueprint) {
        let register = [
            Register::Milestones,
            Register::Commitments,
            Register::Pledges,
        ]
        .into_iter()
        .find(|r| r.name() == kind.plural)
        .unwrap_or_else(|| panic!("{}: no CSV register", kind.plural));
        let mut columns: Vec<&str> = register.columns().iter().map(|c| c.name).collect();
        let mut fields: Vec<&str> = kind.create().fields.iter().map(|f| f.name).collect();
        fields.push("id");
        columns.sort_unstable();
        fields.sort_unstable();
        assert_eq!(columns, fields, "{}: the register's columns", kind.plural);
    }
    assert!(operation_ids.iter().all(|id| !id.is_empty()) && doc["openapi"] != Value::Null);
}
