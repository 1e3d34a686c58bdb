//! The write endpoints: each turns an HTTP request into a command, sends it to the owning service
//! over NATS and maps the reply. The dashboard never appends events itself.
//!
//! Routes: `POST /api/v1/organisations` (register), `POST /api/v1/organisations/{org}/{action}`,
//! `POST /api/v1/blueprints` (draft), `POST /api/v1/blueprints/{bp}/{action}`, and for milestones,
//! commitments and pledges `POST /api/v1/blueprints/{bp}/{things}` (create) and
//! `POST /api/v1/blueprints/{bp}/{things}/{id}/{action}`. The body is a JSON object with the
//! action's fields; creates also carry `id`. Any body may carry `occurred_on` (the date the fact
//! happened, default today).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use eventstore::SendError;
use proto::commands::{Command, CommandEnvelope};
use proto::spec::{self, ActionSpec};
use proto::{
    Accepted, Actor, BlueprintCommand, CommitmentCommand, MilestoneCommand, OrgId,
    OrganisationCommand, PledgeCommand, Reply, ThingKind,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::AppState;
use crate::api::InBlueprint;
use crate::auth::Caller;
use crate::problem::{ApiError, Body, Path};

/// Header carrying the caller's idempotency key.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// What a write request asks for, before it is typed.
struct Request {
    kind: ThingKind,
    /// Target fields: `blueprint`, and the thing's own id field.
    target: Map<String, Value>,
    action: String,
    body: Map<String, Value>,
}

/// The collection of `kind` in paths: `milestones`.
pub fn plural(kind: ThingKind) -> &'static str {
    spec::kind(kind).plural
}

/// The action that creates a thing of `kind`.
pub fn create_action(kind: ThingKind) -> &'static str {
    spec::kind(kind).create().name
}

/// The action called `name` on `kind` (`-` read as `_`), or the 404 that lists its actions.
fn action_spec(kind: ThingKind, name: &str) -> Result<&'static ActionSpec, ApiError> {
    let catalogue = spec::kind(kind);
    catalogue.action(name).ok_or_else(|| {
        let names: Vec<String> = catalogue.actions.iter().map(ActionSpec::slug).collect();
        ApiError::not_found(
            "route.unknown_action",
            format!(
                "a {} has no action {name:?}; its actions are {}",
                kind.token(),
                names.join(", ")
            ),
        )
    })
}

pub(crate) fn parse_body(bytes: &Bytes) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::malformed(
            "the request body must be a JSON object",
        )),
        Err(e) => Err(ApiError::malformed(format!(
            "the request body is not valid JSON: {e}"
        ))),
    }
}

pub(crate) fn require_json(headers: &HeaderMap, bytes: &Bytes) -> Result<(), ApiError> {
    if bytes.is_empty() {
        return Ok(());
    }
    let ok = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            let mime = v
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mime == "application/json" || mime.ends_with("+json")
        });
    if ok {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "request.unsupported_media_type",
            "send the command as application/json",
        ))
    }
}

/// One write, as the JSON API and the HTML forms both describe it.
pub struct Write {
    pub kind: ThingKind,
    /// The blueprint of a milestone, commitment or pledge (for a blueprint: its own id).
    pub blueprint: Option<String>,
    pub id: String,
    /// The action's name (`replan`; `-` is read as `_`).
    pub action: String,
    /// The action's fields, plus `occurred_on` when given.
    pub body: Map<String, Value>,
}

/// How a write is retried and guarded.
#[derive(Debug, Clone, Default)]
pub struct WriteMeta {
    /// Generated when absent.
    pub idempotency_key: Option<String>,
    /// The version the caller last read (`If-Match`).
    pub expected_version: Option<u64>,
}

/// A stored write.
#[derive(Debug, Clone)]
pub struct Written {
    pub accepted: Accepted,
    /// The API path of the thing written.
    pub location: String,
}

/// The one path every door takes: authorise, type, send to the owning service, map the reply.
pub async fn execute(
    state: &AppState,
    caller: &Caller,
    write: Write,
    meta: WriteMeta,
) -> Result<Written, ApiError> {
    let action = action_spec(write.kind, &write.action)?.name.to_owned();
    let blueprint = match write.kind {
        ThingKind::Blueprint => Some(write.id.clone()),
        _ => write.blueprint.clone(),
    };
    let principal = caller.authorise_write(write.kind, &action, blueprint.as_deref())?;
    if let (Some(org), true, Some(bp)) =
        (&principal.org, principal.blueprints.is_empty(), &blueprint)
    {
        // An organisation's token records only where its organisation leads or partners.
        let reader = state.reader(&crate::api::ReadParams::default()).await?;
        let involved = reader
            .blueprint(bp)?
            .is_some_and(|view| principal.involved_in(&view));
        if !involved {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "auth.forbidden",
                format!(
                    "token {} records for {org} only in blueprints {org} leads or partners in",
                    principal.name
                ),
            ));
        }
    }
    let mut target = Map::new();
    if let (Some(bp), false) = (&write.blueprint, write.kind == ThingKind::Blueprint) {
        target.insert("blueprint".to_owned(), Value::String(bp.clone()));
    }
    target.insert(
        write.kind.token().to_owned(),
        Value::String(write.id.clone()),
    );
    let request = Request {
        kind: write.kind,
        target,
        action,
        body: write.body,
    };
    let actor = Actor {
        name: principal.name.clone(),
        org: principal.org.clone(),
    };
    match write.kind {
        ThingKind::Organisation => send::<OrganisationCommand>(state, actor, request, meta).await,
        ThingKind::Blueprint => send::<BlueprintCommand>(state, actor, request, meta).await,
        ThingKind::Milestone => send::<MilestoneCommand>(state, actor, request, meta).await,
        ThingKind::Commitment => send::<CommitmentCommand>(state, actor, request, meta).await,
        ThingKind::Pledge => send::<PledgeCommand>(state, actor, request, meta).await,
    }
}

fn meta_from_headers(headers: &HeaderMap) -> Result<WriteMeta, ApiError> {
    Ok(WriteMeta {
        idempotency_key: header_text(headers, IDEMPOTENCY_KEY)?,
        expected_version: expected_version(headers)?,
    })
}

/// A write request as it arrives: the caller, its headers and its body, taken in that order (the
/// thing it names comes from the path, before them).
pub struct Sent {
    state: AppState,
    caller: Caller,
    headers: HeaderMap,
    bytes: Bytes,
}

impl FromRequest<AppState> for Sent {
    type Rejection = ApiError;

    async fn from_request(
        request: axum::extract::Request,
        state: &AppState,
    ) -> Result<Self, ApiError> {
        let (mut parts, body) = request.into_parts();
        let caller = Caller::from_request_parts(&mut parts, state).await?;
        let headers = parts.headers.clone();
        let Body(bytes) =
            Body::from_request(axum::extract::Request::from_parts(parts, body), state).await?;
        Ok(Sent {
            state: state.clone(),
            caller,
            headers,
            bytes,
        })
    }
}

impl Sent {
    /// Creates a thing of `kind` (in `blueprint`), its id taken from the body.
    async fn create(
        self,
        kind: ThingKind,
        blueprint: Option<String>,
    ) -> Result<Response, ApiError> {
        // Who is asking comes before what they sent: an anonymous write learns nothing of the rules.
        self.caller.require()?;
        let mut body = self.body()?;
        let id = take_id(&mut body)?;
        let action = create_action(kind).to_owned();
        self.send(kind, blueprint, id, action, body, true).await
    }

    /// Records `action` on the thing of `kind` called `id` (in `blueprint`), as the path names
    /// them.
    async fn act(
        self,
        kind: ThingKind,
        blueprint: Option<String>,
        id: String,
        action: String,
    ) -> Result<Response, ApiError> {
        self.caller.require()?;
        let spec = action_spec(kind, &action)?;
        if spec.creates {
            return Err(ApiError::not_found(
                "route.unknown_action",
                format!(
                    "{} creates a {}: POST it to the collection, with its id in the body",
                    spec.slug(),
                    kind.token()
                ),
            ));
        }
        let body = self.body()?;
        self.send(kind, blueprint, id, action, body, false).await
    }

    /// The body's JSON object.
    fn body(&self) -> Result<Map<String, Value>, ApiError> {
        require_json(&self.headers, &self.bytes)?;
        parse_body(&self.bytes)
    }

    /// Executes the write and answers with what was stored; a first `created` answers 201.
    async fn send(
        self,
        kind: ThingKind,
        blueprint: Option<String>,
        id: String,
        action: String,
        body: Map<String, Value>,
        created: bool,
    ) -> Result<Response, ApiError> {
        let write = Write {
            kind,
            blueprint,
            id,
            action,
            body,
        };
        let meta = meta_from_headers(&self.headers)?;
        let written = execute(&self.state, &self.caller, write, meta).await?;
        Ok(accepted_response(written, created))
    }
}

/// Declares the write endpoints of a kind outside any blueprint, whose collection is
/// `/api/v1/$things`: `$create`, `POST` to the collection, and `$act`, `POST` to
/// `…/{$id}/{action}` with the thing's id and the action in the path.
macro_rules! standalone {
    ($create:ident: $create_doc:literal, $act:ident: $act_doc:literal, $kind:expr,
     $things:literal / $id:literal, params($($params:tt)*)) => {
        #[doc = $create_doc]
        #[utoipa::path(
            post,
            path = concat!("/api/v1/", $things),
            tag = $things
        )]
        pub async fn $create(sent: Sent) -> Result<Response, ApiError> {
            sent.create($kind, None).await
        }

        #[doc = $act_doc]
        #[utoipa::path(
            post,
            path = concat!("/api/v1/", $things, "/{", $id, "}/{action}"),
            tag = $things,
            params($($params)*)
        )]
        pub async fn $act(
            Path((id, action)): Path<(String, String)>,
            sent: Sent,
        ) -> Result<Response, ApiError> {
            sent.act($kind, None, id, action).await
        }
    };
}

standalone!(
    create_organisation: "Register an organisation.",
    act_organisation: "Record an action on an organisation.",
    ThingKind::Organisation,
    "organisations" / "id",
    params(("id" = OrgId, Path, description = "The organisation's id.", example = "gds"))
);
standalone!(
    create_blueprint: "Draft a blueprint.",
    act_blueprint: "Record an action on a blueprint: publish, close, or change workstreams, partners, targets.",
    ThingKind::Blueprint,
    "blueprints" / "bp",
    params(InBlueprint)
);

/// Declares the write endpoints of a kind of thing in a blueprint, whose collection is
/// `/api/v1/blueprints/{bp}/$things`: `$create`, `POST` to the collection, and `$act`, `POST` to
/// `…/{id}/{action}` with the blueprint, the thing's id (a `$id`, like `$example`) and the action
/// in the path.
macro_rules! in_blueprint {
    ($create:ident: $create_doc:literal, $act:ident: $act_doc:literal, $kind:expr,
     $things:literal, $what:literal: $id:ty = $example:literal) => {
        #[doc = $create_doc]
        #[utoipa::path(
            post,
            path = concat!("/api/v1/blueprints/{bp}/", $things),
            tag = $things,
            params(InBlueprint)
        )]
        pub async fn $create(Path(bp): Path<String>, sent: Sent) -> Result<Response, ApiError> {
            sent.create($kind, Some(bp)).await
        }

        #[doc = $act_doc]
        #[utoipa::path(
            post,
            path = concat!("/api/v1/blueprints/{bp}/", $things, "/{id}/{action}"),
            tag = $things,
            params(
                InBlueprint,
                ("id" = $id, Path, description = concat!("The ", $what, "'s id."), example = $example),
            )
        )]
        pub async fn $act(
            Path((bp, id, action)): Path<(String, String, String)>,
            sent: Sent,
        ) -> Result<Response, ApiError> {
            sent.act($kind, Some(bp), id, action).await
        }
    };
}

in_blueprint!(
    create_milestone: "Record a new milestone.",
    act_milestone: "Record an action on a milestone.",
    ThingKind::Milestone,
    "milestones",
    "milestone": proto::MilestoneId = "academy"
);
in_blueprint!(
    create_commitment: "Record a new commitment.",
    act_commitment: "Record an action on a commitment.",
    ThingKind::Commitment,
    "commitments",
    "commitment": proto::CommitmentId = "secondees"
);
in_blueprint!(
    create_pledge: "Record a new pledge.",
    act_pledge: "Record an action on a pledge.",
    ThingKind::Pledge,
    "pledges",
    "pledge": proto::PledgeId = "academy-fund"
);

fn take_id(body: &mut Map<String, Value>) -> Result<String, ApiError> {
    match body.remove("id") {
        Some(Value::String(id)) => Ok(id),
        Some(_) => Err(ApiError::invalid(Some("id".into()), "id must be a string")),
        None => Err(ApiError::invalid(Some("id".into()), "missing field `id`")),
    }
}

/// Types the request as `C`, naming the field at fault when it does not fit.
fn typed<C: DeserializeOwned>(request: &mut Request) -> Result<(C, Option<NaiveDate>), ApiError> {
    let occurred_on = match request.body.remove("occurred_on") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.parse::<NaiveDate>().map_err(|_| {
            ApiError::invalid(
                Some("occurred_on".into()),
                format!("occurred_on must be a date like 2026-03-31, not {s:?}"),
            )
        })?),
        Some(_) => {
            return Err(ApiError::invalid(
                Some("occurred_on".into()),
                "occurred_on must be a date like 2026-03-31",
            ));
        }
    };
    let spec = action_spec(request.kind, &request.action)?;
    let fields: Vec<&str> = spec.fields.iter().map(|f| f.name).collect();
    refuse_unknown(&request.body, &fields, &spec.slug())?;
    let action = spec.name;
    let inner = std::mem::take(&mut request.body);
    let mut tagged = Map::new();
    tagged.insert(action.to_owned(), Value::Object(inner));
    let mut whole = request.target.clone();
    whole.insert("action".to_owned(), Value::Object(tagged));
    let command = serde_path_to_error::deserialize::<_, C>(Value::Object(whole)).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        // The path is `action.<name>.<field>` inside the action, or a target field.
        let field = match path.strip_prefix("action.") {
            Some(rest) => rest.split_once('.').map_or("", |(_, f)| f).to_owned(),
            None => path.clone(),
        };
        let field = if field.is_empty() || field == "." {
            None
        } else {
            Some(field)
        };
        let detail = match &field {
            Some(f) if !message.contains(f.as_str()) => format!("{f}: {message}"),
            _ => message,
        };
        ApiError::invalid(field, detail)
    })?;
    Ok((command, occurred_on))
}

/// Refuses a field of `body` that is not one of `fields`, naming it and the fields `what` takes.
pub(crate) fn refuse_unknown(
    body: &Map<String, Value>,
    fields: &[&str],
    what: &str,
) -> Result<(), ApiError> {
    let Some(unknown) = body.keys().find(|k| !fields.contains(&k.as_str())) else {
        return Ok(());
    };
    let known = match fields {
        [] => "it takes no fields".to_owned(),
        _ => format!("its fields are {}", fields.join(", ")),
    };
    Err(ApiError::invalid(
        Some(unknown.clone()),
        format!("{what} has no field `{unknown}`; {known}"),
    ))
}

fn header_text(headers: &HeaderMap, name: &str) -> Result<Option<String>, ApiError> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(|s| Some(s.trim().to_owned()))
            .map_err(|_| ApiError::malformed(format!("the {name} header must be visible ASCII"))),
    }
}

/// Reads `If-Match: "12"` as the version the caller last read.
fn expected_version(headers: &HeaderMap) -> Result<Option<u64>, ApiError> {
    let Some(raw) = header_text(headers, header::IF_MATCH.as_str())? else {
        return Ok(None);
    };
    let trimmed = raw.trim_start_matches("W/").trim_matches('"');
    trimmed.parse::<u64>().map(Some).map_err(|_| {
        ApiError::malformed(format!(
            "If-Match must be a version ETag such as \"12\", not {raw:?}"
        ))
    })
}

async fn send<C>(
    state: &AppState,
    actor: Actor,
    mut request: Request,
    meta: WriteMeta,
) -> Result<Written, ApiError>
where
    C: Command + Serialize + DeserializeOwned,
{
    let (command, occurred_on) = typed::<C>(&mut request)?;
    let thing = command.target();
    let mut envelope = CommandEnvelope {
        idempotency_key: meta
            .idempotency_key
            .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
        actor,
        expected_version: meta.expected_version,
        occurred_on,
        seen: Default::default(),
        command,
    };
    let sent = state.send_command(C::KIND, &mut envelope).await;
    let blueprint = thing.blueprint.as_ref().map(tracing::field::display);
    let name = thing.display_name();
    match &sent {
        Ok(a) => tracing::info!(command = %request.action, kind = thing.kind.token(), blueprint,
            thing = %name, actor = %envelope.actor.name, seq = a.seq, duplicate = a.duplicate,
            "write stored"),
        Err(e) => tracing::info!(command = %request.action, kind = thing.kind.token(), blueprint,
            thing = %name, actor = %envelope.actor.name, status = e.status.as_u16(), code = %e.code,
            "write not stored"),
    }
    let accepted = sent?;
    Ok(Written {
        accepted,
        location: location(&thing),
    })
}

/// The API path of a thing.
pub(crate) fn location(thing: &proto::ThingRef) -> String {
    match &thing.blueprint {
        Some(bp) if thing.kind != ThingKind::Blueprint => {
            format!(
                "/api/v1/blueprints/{bp}/{}/{}",
                plural(thing.kind),
                thing.id
            )
        }
        _ => format!("/api/v1/{}/{}", plural(thing.kind), thing.id),
    }
}

/// The answer to a stored write.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AcceptedBody {
    #[serde(flatten)]
    pub accepted: Accepted,
    /// The API path of the thing written.
    pub location: String,
}

pub(crate) fn accepted_response(
    Written { accepted, location }: Written,
    created: bool,
) -> Response {
    let status = if created && !accepted.duplicate {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let etag = HeaderValue::from_str(&format!("\"{}\"", accepted.version));
    let location_value = HeaderValue::from_str(&location);
    let mut response = (status, Json(AcceptedBody { accepted, location })).into_response();
    if let Ok(v) = etag {
        response.headers_mut().insert(header::ETAG, v);
    }
    if let Ok(v) = location_value {
        response.headers_mut().insert(header::LOCATION, v);
    }
    response
}

impl AppState {
    /// Sends a command envelope to the service owning `kind` and waits for its reply.
    pub async fn send_command<C: Serialize>(
        &self,
        kind: ThingKind,
        envelope: &mut CommandEnvelope<C>,
    ) -> Result<Accepted, ApiError> {
        self.answer(kind, self.commands.send(kind, envelope).await)
    }

    /// What a service's reply (or its absence) means to an HTTP client.
    pub fn answer(
        &self,
        kind: ThingKind,
        reply: Result<Reply, SendError>,
    ) -> Result<Accepted, ApiError> {
        match reply {
            Ok(Reply::Accepted(a)) => {
                self.stream_end.saw(a.seq);
                Ok(a)
            }
            Ok(Reply::Rejected(r)) => Err(r.into()),
            Err(SendError::Encode(e)) => Err(ApiError::internal("encode the command", e)),
            Err(SendError::BadReply(e)) => Err(ApiError::internal("read the service's reply", e)),
            Err(SendError::NoService) => Err(ApiError::unavailable(
                "service.unavailable",
                format!("no {} service is running; retry later", kind.token()),
            )),
            Err(SendError::TimedOut) => Err(ApiError::unavailable(
                "service.timeout",
                format!(
                    "the {} service did not answer in time; retry with the same Idempotency-Key",
                    kind.token()
                ),
            )),
            Err(SendError::Unreachable(e)) => Err(ApiError::unavailable_logged(
                "service.unreachable",
                format!("the {} service could not be reached", kind.token()),
                e,
            )),
        }
    }
}
