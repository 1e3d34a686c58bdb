//! The OpenAPI 3.1 document of the JSON API, served at `GET /api/v1/openapi.json`.
//!
//! Nothing here is written by hand beside the code: schemas are derived from the types the API
//! really reads and writes (the `proto` actions, the `projector` views, [`Problem`]), and each
//! handler declares its path, path parameters and success body with `#[utoipa::path]`. What every
//! read or every write shares is added once, by [`Conventions`]: errors, security, headers, and
//! the write bodies of each kind, taken apart from its `proto` action enum.

pub mod examples;

use std::sync::LazyLock;

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use proto::spec::{self, ActionSpec};
use proto::{
    BlueprintAction, BlueprintId, CommitmentAction, CommitmentId, MilestoneAction, MilestoneId,
    OrgId, OrganisationAction, PledgeAction, PledgeId, ThingKind,
};
use serde::Serialize;
use serde_json::Value;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{HttpMethod, Operation, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, KnownFormat, Object, ObjectBuilder, SchemaFormat,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr, Required, Schema, Type};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::commands::{AcceptedBody, plural};
use crate::problem::{ApiError, Problem};
use crate::{BODY_LIMIT, admin, api, commands};

/// The document: operations from the handlers, the rest from [`Conventions`].
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Waymark",
        description = "Record and read the delivery of public-sector blueprints: milestones, \
            partners' commitments and sponsors' pledges.\n\n\
            Reads of published and closed blueprints need no token; drafts need a viewer token. \
            Every write needs `Authorization: Bearer wm_...`. A write answers with the stream \
            sequence of its commit: pass it as `min_seq` to a read to see your own write. \
            Errors are RFC 9457 problem documents whose `code` is stable."
    ),
    paths(
        document,
        api::organisations,
        commands::create_organisation,
        api::organisation,
        api::involvement,
        commands::act_organisation,
        api::blueprints,
        commands::create_blueprint,
        api::blueprint,
        commands::act_blueprint,
        api::portfolio,
        api::dashboard,
        api::board,
        api::milestones,
        commands::create_milestone,
        api::milestone,
        commands::act_milestone,
        api::commitments,
        commands::create_commitment,
        api::commitment,
        commands::act_commitment,
        api::pledges,
        commands::create_pledge,
        api::pledge,
        commands::act_pledge,
        admin::quarantine,
        admin::replay,
        admin::void,
        admin::snapshot,
        admin::verify,
        admin::rebuild,
    ),
    components(schemas(Problem, AcceptedBody)),
    modifiers(&Conventions),
    tags(
        (name = "organisations", description = "Organisations, registered once and reused across blueprints."),
        (name = "blueprints", description = "Blueprints with their workstreams, partners and targets, and the summary sponsors read."),
        (name = "milestones", description = "Milestones: planned, started, replanned, done; with their RAG status as of a date."),
        (name = "commitments", description = "What partners committed to contribute, and what they delivered."),
        (name = "pledges", description = "What sponsors pledged, confirmed and paid."),
        (name = "operators", description = "Operator work: quarantined commits and voiding one no version can read. Admin tokens with no organisation or blueprint limit only."),
        (name = "openapi", description = "This document."),
    )
)]
pub struct ApiDoc;

static DOCUMENT: LazyLock<String> = LazyLock::new(|| {
    ApiDoc::openapi()
        .to_pretty_json()
        .expect("the OpenAPI document serialises")
});

/// The OpenAPI document of this API.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    tag = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document of this API.", body = Object))
)]
pub async fn document() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        DOCUMENT.as_str(),
    )
        .into_response()
}

/// The security scheme of API tokens.
const BEARER: &str = "bearer";

/// What all reads and all writes share.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("wm_ and 64 hex digits")
                    .description(Some(
                        "An API token made with `waymark token create`; its name is recorded as \
                         the actor of every event written with it.",
                    ))
                    .build(),
            ),
        );
        let writes: Vec<(ThingKind, Writes)> = ThingKind::ALL
            .into_iter()
            .map(|k| (k, Writes::of(k)))
            .collect();
        for (_, w) in &writes {
            components.schemas.extend(w.components.iter().cloned());
        }
        for (path, item) in doc.paths.paths.iter_mut() {
            if let Some(op) = [item.get.as_mut(), item.post.as_mut()]
                .into_iter()
                .flatten()
                .find(|op| has_tag(op, "operators"))
            {
                op.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
                add_problems(op, OPERATOR_PROBLEMS);
                continue;
            }
            if let Some(op) = item.get.as_mut().filter(|op| !has_tag(op, "openapi")) {
                op.security = Some(vec![
                    SecurityRequirement::default(),
                    SecurityRequirement::new(BEARER, Vec::<String>::new()),
                ]);
                if path.ends_with('}') {
                    add_etag(op, "The thing's version, for `If-Match` on a write.");
                }
                add_problems(op, READ_PROBLEMS);
            }
            if let Some(op) = item.post.as_mut().filter(|_| !path.ends_with("/{action}")) {
                let (_, w) = writes
                    .iter()
                    .find(|(k, _)| has_tag(op, plural(*k)))
                    .expect("every write is tagged with its kind");
                w.document(op, spec::kind(w.kind).create());
            }
        }
        // One operation per action: `…/{id}/{action}` becomes `…/{id}/replan`, `…/{id}/start`.
        let generic: Vec<String> = doc
            .paths
            .paths
            .keys()
            .filter(|p| p.ends_with("/{action}"))
            .cloned()
            .collect();
        for path in generic {
            let Some(op) = doc.paths.paths.remove(&path).and_then(|item| item.post) else {
                continue;
            };
            let (_, w) = writes
                .iter()
                .find(|(k, _)| has_tag(&op, plural(*k)))
                .expect("every write is tagged with its kind");
            for action in spec::kind(w.kind).updates() {
                let mut op = op.clone();
                w.document(&mut op, action);
                doc.paths.paths.insert(
                    path.replace("{action}", &action.slug()),
                    PathItem::new(HttpMethod::Post, op),
                );
            }
        }
    }
}

/// Reads of one thing and writes answer with the thing's version.
fn add_etag(op: &mut Operation, description: &str) {
    for status in ["200", "201"] {
        if let Some(RefOr::T(response)) = op.responses.responses.get_mut(status) {
            response.headers.insert(
                "ETag".into(),
                HeaderBuilder::new()
                    .schema(string_schema().examples(["\"41\""]))
                    .description(Some(description))
                    .build(),
            );
        }
    }
}

fn has_tag(op: &Operation, tag: &str) -> bool {
    op.tags.iter().flatten().any(|t| t == tag)
}

const READ_PROBLEMS: &[u16] = &[400, 401, 403, 404, 503];
const OPERATOR_PROBLEMS: &[u16] = &[400, 401, 403, 404, 409, 415, 422, 503];
const WRITE_PROBLEMS: &[u16] = &[400, 401, 403, 404, 409, 412, 413, 415, 422, 503];

/// What each error status means, with an example problem.
fn problem_example(status: u16) -> (&'static str, ApiError) {
    let e = |s: StatusCode, code: &str, detail: &str| ApiError::new(s, code, detail);
    match status {
        400 => (
            "The request is malformed: the body is not a JSON object, or a query parameter or header is not valid.",
            ApiError::malformed(
                "the request body is not valid JSON: EOF while parsing an object at line 1 column 10",
            ),
        ),
        401 => (
            "No valid token: writes and drafts need `Authorization: Bearer <token>`.",
            e(
                StatusCode::UNAUTHORIZED,
                "auth.unauthenticated",
                "recording needs a token: send `Authorization: Bearer <token>`",
            ),
        ),
        403 => (
            "The token's role, blueprints or organisation do not allow this.",
            e(
                StatusCode::FORBIDDEN,
                "auth.forbidden",
                "token alice has the viewer role; this needs the recorder role",
            ),
        ),
        404 => (
            "Something named in the path or the body does not exist, or the action is unknown.",
            ApiError::not_found(
                "milestone.not_found",
                "milestone wm-digital/academy does not exist",
            ),
        ),
        409 => (
            "A rule forbids the change in the thing's current state; `code` names the rule.",
            e(
                StatusCode::CONFLICT,
                "milestone.closed",
                "milestone wm-digital/academy is done; it cannot be replanned",
            ),
        ),
        412 => (
            "The thing changed since the version given in `If-Match`: read it again, then decide.",
            e(
                StatusCode::PRECONDITION_FAILED,
                "command.stale_version",
                "milestone wm-digital/academy is at version 42, not 41",
            ),
        ),
        413 => (
            "The body is larger than the limit.",
            e(
                StatusCode::PAYLOAD_TOO_LARGE,
                "request.too_large",
                &format!("the request body is larger than {BODY_LIMIT} bytes"),
            ),
        ),
        415 => (
            "The body is not `application/json`.",
            e(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "request.unsupported_media_type",
                "send the command as application/json",
            ),
        ),
        422 => (
            "A value is missing or not valid; `field` names it.",
            ApiError::invalid(Some("due".into()), "due: input contains invalid characters"),
        ),
        _ => (
            "A service is not available or the read models have not caught up yet: retry (after `Retry-After` seconds), with the same `Idempotency-Key` for a write.",
            ApiError::unavailable(
                "service.unavailable",
                "no milestone service is running; retry later",
            ),
        ),
    }
}

fn add_problems(op: &mut Operation, statuses: &[u16]) {
    for &status in statuses {
        let (description, example) = problem_example(status);
        let response = ResponseBuilder::new().description(description).content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .example(serde_json::to_value(example.problem()).ok())
                .build(),
        );
        op.responses
            .responses
            .insert(status.to_string(), response.build().into());
    }
}

fn string_schema() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// What the write routes of one kind accept, taken apart from its action enum.
struct Writes {
    kind: ThingKind,
    /// Each action's fields, by action name (`add_workstream`), in declaration order.
    actions: Vec<(String, Object)>,
    /// The schema of the id a create names.
    id: RefOr<Schema>,
    /// The schemas the fields refer to.
    components: Vec<(String, RefOr<Schema>)>,
}

impl Writes {
    fn of(kind: ThingKind) -> Self {
        match kind {
            ThingKind::Organisation => Self::from_types::<OrganisationAction, OrgId>(kind),
            ThingKind::Blueprint => Self::from_types::<BlueprintAction, BlueprintId>(kind),
            ThingKind::Milestone => Self::from_types::<MilestoneAction, MilestoneId>(kind),
            ThingKind::Commitment => Self::from_types::<CommitmentAction, CommitmentId>(kind),
            ThingKind::Pledge => Self::from_types::<PledgeAction, PledgeId>(kind),
        }
    }

    /// `A` is externally tagged (`{"replan": {"to": ..}}`): a oneOf of one-property objects whose
    /// property is the action's name and whose value holds the fields the HTTP body carries.
    fn from_types<A: ToSchema + Serialize, I: ToSchema>(kind: ThingKind) -> Self {
        let RefOr::T(Schema::OneOf(variants)) = A::schema() else {
            panic!("{} is not a oneOf", A::name());
        };
        let actions = variants
            .items
            .into_iter()
            .map(|v| match v {
                RefOr::T(Schema::Object(tagged)) if tagged.properties.len() == 1 => {
                    let (name, fields) = tagged.properties.into_iter().next().expect("one");
                    match fields {
                        RefOr::T(Schema::Object(fields)) => (name, fields),
                        _ => panic!("the fields of {name} are not an object"),
                    }
                }
                _ => panic!("a variant of {} is not externally tagged", A::name()),
            })
            .collect();
        let mut components = vec![(I::name().into_owned(), I::schema())];
        A::schemas(&mut components);
        Self {
            kind,
            actions,
            id: Ref::from_schema_name(I::name()).into(),
            components,
        }
    }

    /// The operation of one action: its id, summary, request body with an example, parameters,
    /// responses and security, all from the catalogue and the action's type.
    fn document(&self, op: &mut Operation, action: &ActionSpec) {
        let act = !action.creates;
        let fields = self
            .actions
            .iter()
            .find(|(name, _)| name == action.name)
            .map(|(_, fields)| fields.clone())
            .expect("every action of the catalogue is a variant of its type");
        let body = self.body(action, fields);
        op.operation_id = Some(action.operation_id());
        op.summary = Some(action.title.to_owned());
        op.description = Some(action.help.to_owned());
        let mut example = serde_json::Map::new();
        if !act {
            example.insert("id".into(), examples::new_id(self.kind).into());
        }
        example.extend(action.example());
        let example = ExampleBuilder::new()
            .summary(format!("{} {}", action.slug(), self.kind.token()))
            .value(Some(Value::Object(example)));
        op.request_body = Some(
            RequestBodyBuilder::new()
                .required(Some(if act && action.fields.iter().all(|f| !f.required) {
                    Required::False
                } else {
                    Required::True
                }))
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(body))
                        .examples_from_iter([(action.slug(), example)])
                        .build(),
                )
                .build(),
        );
        let params = op.parameters.get_or_insert_with(Vec::new);
        params.extend(write_headers());
        op.security = Some(vec![SecurityRequirement::new(BEARER, Vec::<String>::new())]);
        let accepted = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .header(
                    "Location",
                    HeaderBuilder::new()
                        .schema(string_schema())
                        .description(Some("The API path of the thing written."))
                        .build(),
                )
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("AcceptedBody")))
                        .example(serde_json::to_value(examples::accepted(self.kind)).ok())
                        .build(),
                )
                .build()
        };
        let responses = &mut op.responses.responses;
        if act {
            responses.insert("200".into(), accepted("Recorded (or, for a retried `Idempotency-Key`, recorded before: `duplicate` is true).").into());
        } else {
            responses.insert(
                "201".into(),
                accepted("Recorded: the thing exists from this commit on.").into(),
            );
            responses.insert("200".into(), accepted("Recorded before under the same `Idempotency-Key`: the original result, with `duplicate` true.").into());
        }
        add_etag(op, "The thing's version after the command, for `If-Match`.");
        add_problems(op, WRITE_PROBLEMS);
    }

    /// An action's fields as an HTTP body: with `occurred_on`, and for a create, the new `id`;
    /// each field described and limited as the catalogue declares it, and no other field taken.
    fn body(&self, action: &ActionSpec, mut fields: Object) -> Object {
        fields.title = None;
        for (name, schema) in fields.properties.iter_mut() {
            let (Some(field), RefOr::T(Schema::Object(schema))) = (action.field(name), schema)
            else {
                continue;
            };
            if schema.description.is_none() && !field.help.is_empty() {
                schema.description = Some(field.help.to_owned());
            }
            if schema.max_length.is_none() {
                schema.max_length = field.input.max_len();
            }
            if field.input == proto::Input::Percent {
                schema.maximum = Some(100.into());
            }
        }
        fields.properties.insert(
            "occurred_on".into(),
            string_schema()
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
                .description(Some("The date the fact happened; today when absent."))
                .into(),
        );
        if action.creates {
            fields.properties.insert("id".into(), self.id.clone());
            fields.required.insert(0, "id".into());
            fields.description = Some(format!("A new {} and its fields.", self.kind.token()));
        }
        fields.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
        fields
    }
}

fn write_headers() -> [utoipa::openapi::path::Parameter; 2] {
    let header = |name: &str, description: &str, schema: ObjectBuilder| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(Required::False)
            .description(Some(description))
            .schema(Some(schema))
            .build()
    };
    [
        header(
            "Idempotency-Key",
            "Chosen by the caller (printable ASCII, no spaces): a command sent again with the same \
             key on the same thing is stored once and answered with the first result. Generated \
             when absent.",
            string_schema()
                .pattern(Some(format!("^[!-~]{{1,{}}}$", proto::IDEMPOTENCY_KEY_MAX)))
                .examples(["2f1c7e0a-5b0e-4c8e-9a51-3d0f6f1f9d20"]),
        ),
        header(
            "If-Match",
            "The version (`ETag`) last read: the command is refused with 412 if the thing has \
             changed since.",
            string_schema()
                .pattern(Some("^(W/)?\"?[0-9]{1,19}\"?$"))
                .examples(["\"41\""]),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_document_builds() {
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        assert_eq!(doc["openapi"], "3.1.0");
    }
}
