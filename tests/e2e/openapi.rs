//! The OpenAPI document at `/api/v1/openapi.json` describes exactly the routes the server serves,
//! and the write bodies it gives as examples are accepted.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use tests::{Answer, TestApp};

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

async fn document(app: &TestApp) -> Value {
    let answer = app.get_as(None, "/api/v1/openapi.json").await;
    assert_eq!(answer.status, 200, "served without a token: {answer:?}");
    answer.body
}

/// Every (method, path template) the document describes, with its operation.
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            if METHODS.contains(&method.as_str()) {
                out.push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    out
}

/// A concrete path for a template, with the ids of the story the examples tell.
fn fill(template: &str) -> String {
    let id = if template.starts_with("/api/v1/organisations") {
        "gds"
    } else if template.contains("/milestones/") {
        "academy"
    } else if template.contains("/commitments/") {
        "secondees"
    } else {
        "academy-fund"
    };
    // Sequence 1 holds a readable commit: voiding it is refused by a rule, not for its shape.
    template
        .replace("{bp}", "wm-digital")
        .replace("{id}", id)
        .replace("{seq}", "1")
}

async fn send(app: &TestApp, method: &str, path: &str, body: Value) -> Answer {
    match method {
        "GET" => app.get(path).await,
        "POST" => app.post(path, body).await,
        other => panic!("the API has no {other} routes"),
    }
}

#[tokio::test]
async fn the_document_describes_exactly_the_routes_served() {
    let app = TestApp::spawn().await;
    let doc = document(&app).await;
    let version = doc["openapi"].as_str().expect("openapi version");
    assert!(version.starts_with("3.1."), "OpenAPI 3.1.x, not {version}");

    let documented: BTreeSet<(String, String)> = operations(&doc)
        .into_iter()
        .map(|(method, path, _)| (method, path))
        .collect();
    // The router takes `…/{action}`; the document has one operation per action of the catalogue.
    let served: BTreeSet<(String, String)> = dashboard::API_ROUTES
        .iter()
        .flat_map(|r| {
            let paths: Vec<String> = match r.path.strip_suffix("{action}") {
                Some(prefix) => {
                    let kind = proto::spec::KINDS
                        .iter()
                        .find(|k| {
                            let of_kind = match (k.in_blueprint, k.kind) {
                                (true, _) => {
                                    format!("/api/v1/blueprints/{{bp}}/{}/{{id}}/", k.plural)
                                }
                                (false, proto::ThingKind::Blueprint) => {
                                    "/api/v1/blueprints/{bp}/".into()
                                }
                                (false, _) => format!("/api/v1/{}/{{id}}/", k.plural),
                            };
                            prefix == of_kind
                        })
                        .expect("an action route names its kind");
                    kind.updates()
                        .map(|a| format!("{prefix}{}", a.slug()))
                        .collect()
                }
                None => vec![r.path.to_owned()],
            };
            paths.into_iter().map(move |p| (r.method.to_string(), p))
        })
        .collect();
    let only_documented: Vec<_> = documented.difference(&served).collect();
    let only_served: Vec<_> = served.difference(&documented).collect();
    assert!(
        only_documented.is_empty() && only_served.is_empty(),
        "documented but not in API_ROUTES: {only_documented:?}; in API_ROUTES but not documented: \
         {only_served:?}"
    );

    // Every reference resolves.
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"").skip(1) {
        let name = reference.split('"').next().unwrap();
        let name = name.strip_prefix("#/components/schemas/").expect(name);
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{name} is referred to but not defined"
        );
    }

    // Each documented route is really routed: an unrouted path is a `route.not_found` problem.
    for (method, path, op) in operations(&doc) {
        let answer = send(&app, &method, &fill(&path), json!({})).await;
        assert!(
            answer.body["code"] != "route.not_found" && answer.status != 405,
            "{method} {path} is documented but not served: {answer:?}"
        );
        if method == "POST" {
            assert!(
                op["operationId"].is_string(),
                "POST {path} has no operationId"
            );
            assert!(op["requestBody"]["content"]["application/json"]["schema"].is_object());
            assert!(op["responses"]["422"].is_object() && op["security"].is_array());
        }
    }
    let unrouted = app
        .post("/api/v1/blueprints/wm/milestones/a/start/again", json!({}))
        .await;
    assert_eq!(unrouted.body["code"], "route.not_found", "{unrouted:?}");
}

#[tokio::test]
async fn every_documented_write_body_is_accepted() {
    let app = TestApp::with_blueprint("wm-digital").await;
    let doc = document(&app).await;
    let mut posted = 0;
    for (method, path, op) in operations(&doc) {
        if method != "POST" {
            continue;
        }
        let examples = op["requestBody"]["content"]["application/json"]["examples"]
            .as_object()
            .unwrap_or_else(|| panic!("POST {path} has examples"));
        assert_eq!(examples.len(), 1, "POST {path}: one example per operation");
        for (name, example) in examples {
            let answer = app.post(&fill(&path), example["value"].clone()).await;
            // A rule may refuse it in this state (404, 409); its shape must never be refused.
            let refused_shape = matches!(answer.status, 400 | 415)
                || answer.body["code"] == "request.invalid"
                || answer.body["code"] == "route.unknown_action";
            assert!(!refused_shape, "POST {path} example {name}: {answer:?}");
            assert!(
                answer.status < 500,
                "POST {path} example {name}: {answer:?}"
            );
            posted += 1;
        }
    }
    assert!(posted >= 29, "every action has an example; posted {posted}");
}
