//! HTML pages for people: blueprints, each milestone, commitment and pledge with its full history,
//! organisations, and sign-in. Signed-in recorders get a form for every command; forms post to
//! the same `execute` path as the JSON API. Every value users typed is escaped by the templates.

mod activity;
mod blueprint;
mod board;
mod organisation;
mod organisations;
mod pagination;
mod portfolio;
mod posts;
mod sign_in;
mod thing;

pub use activity::activity;
pub use blueprint::blueprint;
pub use board::{board, board_csv};
pub use organisation::organisation;
pub use organisations::organisations;
pub use portfolio::index;
pub use posts::{post_draft, post_in_blueprint, post_org_action, post_register, post_thing};
pub use sign_in::{sign_in, sign_in_form, sign_out};
pub use thing::thing;

use askama::Template;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{Html, IntoResponse, Response};
use projector::read::Reader;
use projector::views::BlueprintView;
use proto::ThingKind;

use crate::AppState;
use crate::api::{ReadParams, Windowed};
use crate::problem::Query;

use crate::forms::{Choices, Refused};
use crate::problem::ApiError;
use crate::session::Visitor;

/// What every page shows at the top: who is signed in.
pub struct Nav {
    pub user: Option<String>,
    pub role: Option<&'static str>,
    pub csrf: String,
}

impl Nav {
    pub fn of(visitor: &Visitor) -> Self {
        match &visitor.session {
            Some(s) => Nav {
                user: Some(s.principal.name.clone()),
                role: Some(s.principal.role.label()),
                csrf: s.csrf.clone(),
            },
            None => Nav {
                user: visitor.caller.0.as_ref().map(|p| p.name.clone()),
                role: visitor.caller.0.as_ref().map(|p| p.role.label()),
                csrf: String::new(),
            },
        }
    }
}

/// A page, or the problem document when it cannot be rendered.
pub(crate) fn render(status: StatusCode, template: impl Template) -> Response {
    render_sized(status, 0, template)
}

/// As [`render`], for a page that holds `large` bytes of text rendered before: the page is
/// written into room for all of it, not grown (and copied) on the way.
pub(crate) fn render_sized<T: Template>(status: StatusCode, large: usize, template: T) -> Response {
    let mut html = String::with_capacity(large + T::SIZE_HINT);
    match template.render_into(&mut html) {
        Ok(()) => (status, Html(html)).into_response(),
        Err(e) => ApiError::internal("render the page", e).into_response(),
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    nav: Nav,
    heading: String,
    message: String,
}

fn page_error(visitor: Option<&Visitor>, status: StatusCode, message: &str) -> Response {
    let nav = visitor.map_or(
        Nav {
            user: None,
            role: None,
            csrf: String::new(),
        },
        Nav::of,
    );
    let heading = status.canonical_reason().unwrap_or("Error").to_owned();
    render(
        status,
        ErrorPage {
            nav,
            heading,
            message: message.to_owned(),
        },
    )
}

/// `value` as `show` writes it, or a dash when there is none.
fn or_dash<T>(value: Option<T>, show: impl FnOnce(T) -> String) -> String {
    value.map_or_else(|| "—".to_owned(), show)
}

/// The window every page takes, for the error page of a query string that does not parse.
const WINDOW_QUERY: &str = "as_of=<YYYY-MM-DD> and known_at=<RFC 3339 instant>";

/// A query string a page takes.
pub trait Accepts: serde::de::DeserializeOwned {
    /// What it takes, for the error page of a query string that does not parse.
    fn accepts() -> String;
}

impl Accepts for ReadParams {
    fn accepts() -> String {
        WINDOW_QUERY.to_owned()
    }
}

impl<Q: Accepts> Accepts for Windowed<Q> {
    fn accepts() -> String {
        format!("{}, {WINDOW_QUERY}", Q::accepts())
    }
}

/// Who asks for a page, and the page's query string. A query string that does not parse is
/// answered with the error page saying what the page takes.
pub struct PageQuery<T = ReadParams> {
    visitor: Visitor,
    query: T,
}

impl<T: Accepts + Send> FromRequestParts<AppState> for PageQuery<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let visitor = Visitor::from_request_parts(parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(query)) => Ok(PageQuery { visitor, query }),
            Err(_) => Err(page_error(
                Some(&visitor),
                StatusCode::BAD_REQUEST,
                &format!("the query string is not valid: use {}", T::accepts()),
            )),
        }
    }
}

/// An error page for a visitor.
pub fn error_page(visitor: &Visitor, status: StatusCode, message: &str) -> Response {
    page_error(Some(visitor), status, message)
}

fn from_api(visitor: &Visitor, e: ApiError) -> Response {
    page_error(Some(visitor), e.status, &e.detail)
}

/// The page, with `status`, or the error page of the problem that stopped it.
fn show(visitor: &Visitor, status: StatusCode, page: Result<impl Template, ApiError>) -> Response {
    match page {
        Ok(page) => render(status, page),
        Err(e) => from_api(visitor, e),
    }
}

/// The error page of a path that names no page.
fn no_such_page(visitor: &Visitor) -> Response {
    page_error(
        Some(visitor),
        StatusCode::NOT_FOUND,
        "there is no such page",
    )
}

/// Whether the visitor may use forms for `kind`/`action` (signed in, with a role that may).
fn may_write(visitor: &Visitor, kind: ThingKind, action: &str, blueprint: Option<&str>) -> bool {
    visitor.session.is_some()
        && visitor
            .caller
            .authorise_write(kind, action, blueprint)
            .is_ok()
}

/// The organisations' names, by id.
struct OrgNames(std::collections::BTreeMap<String, String>);

impl OrgNames {
    fn read(reader: &Reader) -> Result<Self, ApiError> {
        let names = reader.organisations()?.into_iter().map(|o| (o.id, o.name));
        Ok(OrgNames(names.collect()))
    }

    /// The organisation's name, or its id when it is not registered.
    fn name(&self, id: &str) -> String {
        self.0.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }

    /// `Name (id)`, or the id when it is not registered.
    fn with_id(&self, id: &proto::OrgId) -> String {
        match self.0.get(id.as_str()) {
            Some(name) => format!("{name} ({id})"),
            None => id.to_string(),
        }
    }
}

fn choices(reader: &Reader, bp: Option<&BlueprintView>) -> Result<Choices, ApiError> {
    let organisations = reader
        .organisations()?
        .into_iter()
        .map(|o| (o.id.clone(), format!("{} ({})", o.name, o.id)))
        .collect();
    let workstreams = bp
        .map(|b| {
            b.workstreams
                .iter()
                .filter(|w| !w.retired)
                .map(|w| (w.id.clone(), w.title.clone()))
                .collect()
        })
        .unwrap_or_default();
    Ok(Choices {
        workstreams,
        organisations,
    })
}

/// Which submitted form was refused, and how.
type Refusal<'a> = Option<(&'a str, &'a Refused)>;

fn refused_for<'a>(refusal: Refusal<'a>, action: &str) -> Option<&'a Refused> {
    refusal.and_then(|(a, r)| (a == action).then_some(r))
}

fn collection_kind(things: &str) -> Option<ThingKind> {
    match things {
        "milestones" => Some(ThingKind::Milestone),
        "commitments" => Some(ThingKind::Commitment),
        "pledges" => Some(ThingKind::Pledge),
        _ => None,
    }
}
