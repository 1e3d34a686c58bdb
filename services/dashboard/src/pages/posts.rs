//! Form posts: every form goes through the same `execute` as the JSON API.

use std::collections::HashMap;

use axum::extract::{Form, FromRequest, Path, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use proto::ThingKind;

use crate::AppState;
use crate::api::ReadParams;

use super::blueprint::blueprint_page;
use super::organisations::organisations_page;
use super::portfolio::index_page;
use super::thing::thing_page;
use super::*;
use crate::commands::{Write, WriteMeta, create_action, execute, plural};
use crate::forms::{self, Refused};
use crate::session::{Visitor, csrf_matches};

pub(super) type Fields =
    Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>;

/// Checks the session and CSRF token of a form post; returns the fields, or the page to show.
pub(super) fn check_form(
    visitor: &Visitor,
    fields: Fields,
) -> Result<HashMap<String, String>, (StatusCode, &'static str)> {
    let Some(session) = &visitor.session else {
        return Err((StatusCode::UNAUTHORIZED, "sign in to record"));
    };
    let Ok(Form(fields)) = fields else {
        return Err((StatusCode::BAD_REQUEST, "the form could not be read"));
    };
    let given = fields.get("csrf").map(String::as_str).unwrap_or("");
    if !csrf_matches(&session.csrf, given) {
        tracing::warn!(user = %session.principal.name, "form refused: CSRF token missing or wrong");
        return Err((
            StatusCode::FORBIDDEN,
            "the form has expired or did not come from this site; reload the page and try again",
        ));
    }
    Ok(fields)
}

fn meta(fields: &HashMap<String, String>) -> WriteMeta {
    WriteMeta {
        idempotency_key: fields
            .get("idempotency_key")
            .filter(|k| !k.is_empty())
            .cloned(),
        expected_version: fields.get("version").and_then(|v| v.parse().ok()),
    }
}

/// What a form records: an action on a thing of `kind`, in `blueprint`. Without `id`, the id is
/// the form's `id` field (a form that creates the thing).
struct Command {
    kind: ThingKind,
    blueprint: Option<String>,
    id: Option<String>,
    action: String,
}

impl Command {
    /// The form that creates a thing of `kind`.
    fn create(kind: ThingKind, blueprint: Option<&str>) -> Self {
        Self {
            kind,
            blueprint: blueprint.map(str::to_owned),
            id: None,
            action: create_action(kind).to_owned(),
        }
    }

    /// The form of `action` (as its path spells it, `-` for `_`) on thing `id`.
    fn act(kind: ThingKind, blueprint: Option<&str>, id: &str, action: &str) -> Self {
        Self {
            kind,
            blueprint: blueprint.map(str::to_owned),
            id: Some(id.to_owned()),
            action: action.replace('-', "_"),
        }
    }
}

/// Runs a submitted form: on success, the thing's page; on refusal, `refused` renders it again.
async fn submit(
    state: &AppState,
    visitor: &Visitor,
    fields: HashMap<String, String>,
    Command {
        kind,
        blueprint,
        id,
        action,
    }: Command,
) -> Result<String, (StatusCode, Refused)> {
    let refuse = |status: StatusCode, field: Option<String>, message: String| {
        (
            status,
            Refused {
                values: fields.clone(),
                field,
                message,
                idempotency_key: fields.get("idempotency_key").cloned().unwrap_or_default(),
            },
        )
    };
    let Some(spec) = forms::spec(kind, &action) else {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            None,
            format!("there is no form {action:?}"),
        ));
    };
    let mut body = forms::to_body(spec, &fields).map_err(|e| {
        refuse(
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(e.field.to_owned()),
            e.to_string(),
        )
    })?;
    let id = match id {
        Some(id) => id,
        None => match body.remove("id") {
            Some(serde_json::Value::String(s)) => s,
            _ => {
                return Err(refuse(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some("id".into()),
                    "Id is required".into(),
                ));
            }
        },
    };
    let write = Write {
        kind,
        blueprint: blueprint.clone(),
        id: id.clone(),
        action: spec.name.to_owned(),
        body,
    };
    match execute(state, &visitor.caller, write, meta(&fields)).await {
        Ok(written) => Ok(match (kind, blueprint) {
            (ThingKind::Organisation, _) => {
                format!("/organisations?min_seq={}", written.accepted.seq)
            }
            (ThingKind::Blueprint, _) => {
                format!("/blueprints/{id}?min_seq={}", written.accepted.seq)
            }
            (_, Some(bp)) => format!(
                "/blueprints/{bp}/{}/{id}?min_seq={}",
                plural(kind),
                written.accepted.seq
            ),
            (_, None) => "/".to_owned(),
        }),
        Err(e) => Err(refuse(e.status, e.field.clone(), e.detail)),
    }
}

pub(super) fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

/// A form post as it arrives: who sent it and the fields it carries, read after whatever the
/// path names.
pub struct Posted {
    state: AppState,
    visitor: Visitor,
    fields: Fields,
}

impl FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (visitor, fields) = <(Visitor, Fields)>::from_request(request, state).await?;
        Ok(Posted {
            state: state.clone(),
            visitor,
            fields,
        })
    }
}

impl Posted {
    /// Checks the session and CSRF token, then records `command` (`None`: the form posts to no
    /// page) and redirects to what it recorded, or has `again` render the form's page with the
    /// refusal.
    async fn record(
        self,
        command: Option<Command>,
        again: impl AsyncFnOnce(&AppState, &Visitor, &Refused, StatusCode) -> Response,
    ) -> Response {
        let Posted {
            state,
            visitor,
            fields,
        } = self;
        let fields = match check_form(&visitor, fields) {
            Ok(f) => f,
            Err((status, message)) => return page_error(Some(&visitor), status, message),
        };
        let Some(command) = command else {
            return no_such_page(&visitor);
        };
        match submit(&state, &visitor, fields, command).await {
            Ok(to) => see_other(&to),
            Err((status, refused)) => again(&state, &visitor, &refused, status).await,
        }
    }
}

/// `POST /blueprints`: draft a blueprint from the index page.
pub async fn post_draft(posted: Posted) -> Response {
    let draft = Command::create(ThingKind::Blueprint, None);
    let again = async |state: &AppState, visitor: &Visitor, refused: &Refused, status| {
        let refusal = Some((create_action(ThingKind::Blueprint), refused));
        index_page(state, visitor, &Default::default(), refusal, status).await
    };
    posted.record(Some(draft), again).await
}

/// `POST /organisations`: register an organisation.
pub async fn post_register(posted: Posted) -> Response {
    let register = Command::create(ThingKind::Organisation, None);
    post_organisation(posted, register).await
}

/// `POST /organisations/{org}/{action}`.
pub async fn post_org_action(
    Path((id, action)): Path<(String, String)>,
    posted: Posted,
) -> Response {
    let command = Command::act(ThingKind::Organisation, None, &id, &action);
    post_organisation(posted, command).await
}

async fn post_organisation(posted: Posted, command: Command) -> Response {
    let (id, action) = (
        command.id.clone().unwrap_or_default(),
        command.action.clone(),
    );
    let again = async |state: &AppState, visitor: &Visitor, refused: &Refused, status| {
        let refusal = Some((id.as_str(), action.as_str(), refused));
        organisations_page(state, visitor, refusal, status).await
    };
    posted.record(Some(command), again).await
}

/// `POST /blueprints/{bp}/{segment}`: create a milestone, commitment or pledge, or act on the
/// blueprint itself.
pub async fn post_in_blueprint(
    Path((bp, segment)): Path<(String, String)>,
    posted: Posted,
) -> Response {
    let (command, refusal_key) = match collection_kind(&segment) {
        Some(kind) => (
            Command::create(kind, Some(&bp)),
            format!("{segment}:{}", create_action(kind)),
        ),
        None => {
            let command = Command::act(ThingKind::Blueprint, None, &bp, &segment);
            let key = command.action.clone();
            (command, key)
        }
    };
    let again = async |state: &AppState, visitor: &Visitor, refused: &Refused, status| {
        let refusal = Some((refusal_key.as_str(), refused));
        blueprint_page(state, visitor, &bp, &Default::default(), refusal, status).await
    };
    posted.record(Some(command), again).await
}

/// `POST /blueprints/{bp}/{things}/{id}/{action}`.
pub async fn post_thing(
    Path((bp, things, id, action)): Path<(String, String, String, String)>,
    posted: Posted,
) -> Response {
    let command = collection_kind(&things).map(|kind| Command::act(kind, Some(&bp), &id, &action));
    let action = action.replace('-', "_");
    let again = async |state: &AppState, visitor: &Visitor, refused: &Refused, status| {
        let refusal = Some((action.as_str(), refused));
        let thing = (bp.as_str(), things.as_str(), id.as_str());
        thing_page(
            state,
            visitor,
            thing,
            &ReadParams::default(),
            refusal,
            status,
        )
        .await
    };
    posted.record(command, again).await
}
