//! Every error the HTTP API returns, mapped to a status and an RFC 9457 problem document in this one
//! place. Messages tell the client what it did wrong; internals go to the log, not the response.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use proto::{Rejection, RejectionKind};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// An `application/problem+json` body (RFC 9457).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// `urn:waymark:problem:<code>`; the code is stable and clients may match on it.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// The HTTP status's reason phrase.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// One sentence saying what was wrong, naming the thing and the rule or field.
    pub detail: String,
    /// The stable code alone, such as `milestone.closed`.
    pub code: String,
    /// The input field the problem concerns, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// For a failure inside (a 500, or a 503 from the event store or NATS):
    /// `urn:waymark:error:<id>`, the id under which the error itself was logged. Its text is
    /// never sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// An API error: how to answer a request that did not succeed.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: String,
    pub detail: String,
    pub field: Option<String>,
    /// The id the error was logged under, for failures inside.
    pub error_id: Option<String>,
}

/// A new id to log an error under and to give the client, who can quote it.
fn error_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
}

impl ApiError {
    pub fn new(status: StatusCode, code: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            status,
            code: code.into(),
            detail: detail.into(),
            field: None,
            error_id: None,
        }
    }

    /// The request body is not valid JSON (or not a JSON object).
    pub fn malformed(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "request.malformed", detail)
    }

    /// The JSON is well formed but a value is missing or invalid.
    pub fn invalid(field: Option<String>, detail: impl Into<String>) -> Self {
        Self {
            field,
            ..Self::new(StatusCode::UNPROCESSABLE_ENTITY, "request.invalid", detail)
        }
    }

    pub fn not_found(code: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, detail)
    }

    /// A dependency (NATS, a command service, the read models) did not answer; retry later.
    pub fn unavailable(code: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::SERVICE_UNAVAILABLE, code, detail)
    }

    /// A dependency failed and said why: `err` is logged under a new id, which the problem
    /// carries as its `instance`; the client gets `detail` and never the error's text.
    pub fn unavailable_logged(
        code: impl Into<String>,
        detail: impl Into<String>,
        err: impl std::fmt::Display,
    ) -> Self {
        let id = error_id();
        let code = code.into();
        tracing::warn!(error = %err, error_id = %id, %code, "dependency unavailable");
        Self {
            error_id: Some(id),
            ..Self::unavailable(code, detail)
        }
    }

    /// Something failed inside; the error is logged under an id, the client gets a generic
    /// sentence with that id.
    pub fn internal(context: &str, err: impl std::fmt::Display) -> Self {
        let id = error_id();
        tracing::error!(error = %err, error_id = %id, context, "request failed");
        Self {
            error_id: Some(id.clone()),
            ..Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "server.internal",
                format!("failed to {context}; the error was logged as {id}"),
            )
        }
    }

    pub fn problem(&self) -> Problem {
        Problem {
            problem_type: format!("urn:waymark:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            detail: self.detail.clone(),
            code: self.code.clone(),
            field: self.field.clone(),
            instance: self
                .error_id
                .as_ref()
                .map(|id| format!("urn:waymark:error:{id}")),
        }
    }
}

impl ApiError {
    /// One of axum's own rejections (a body too large or unreadable, a path not valid UTF-8).
    fn rejected(status: StatusCode, detail: String) -> Self {
        let code = match status {
            StatusCode::PAYLOAD_TOO_LARGE => "request.too_large",
            _ => "request.malformed",
        };
        Self::new(status, code, detail)
    }
}

/// The path parameters, as `axum::extract::Path` reads them, refused as a problem.
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(t)| Path(t))
            .map_err(|e| ApiError::rejected(e.status(), e.body_text()))
    }
}

/// The query string read as `T`, or a problem that says what is wrong with it.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        serde_urlencoded::from_str(query)
            .map(Query)
            .map_err(|e| ApiError::malformed(format!("the query string is not valid: {e}")))
    }
}

/// The request body's bytes, refused as a problem when too large or unreadable.
pub struct Body(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for Body {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        Bytes::from_request(request, state)
            .await
            .map(Body)
            .map_err(|e| ApiError::rejected(e.status(), e.body_text()))
    }
}

/// The HTTP status of a refusal of each kind.
pub fn status_of(kind: RejectionKind) -> StatusCode {
    match kind {
        RejectionKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        RejectionKind::NotFound => StatusCode::NOT_FOUND,
        RejectionKind::Conflict => StatusCode::CONFLICT,
        RejectionKind::Stale => StatusCode::PRECONDITION_FAILED,
        RejectionKind::Forbidden => StatusCode::FORBIDDEN,
        RejectionKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    }
}

impl From<Rejection> for ApiError {
    fn from(r: Rejection) -> Self {
        let status = status_of(r.kind);
        if r.kind == RejectionKind::Unavailable {
            // A service that could not reach the event store says why; that is for the log, not
            // for the client.
            let id = error_id();
            tracing::warn!(code = %r.code, error = %r.message, error_id = %id, "command not completed");
            return Self {
                error_id: Some(id.clone()),
                ..Self::new(
                    status,
                    r.code,
                    format!(
                        "the command could not be completed; retry with the same Idempotency-Key \
                         (logged as {id})"
                    ),
                )
            };
        }
        Self {
            status,
            code: r.code,
            detail: r.message,
            field: r.field,
            error_id: None,
        }
    }
}

impl From<projector::DbError> for ApiError {
    fn from(e: projector::DbError) -> Self {
        ApiError::internal("read the read models", e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status == StatusCode::FORBIDDEN {
            tracing::warn!(code = %self.code, detail = %self.detail, "request refused");
        }
        let body = serde_json::to_vec(&self.problem()).unwrap_or_default();
        let mut response = (self.status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_text_is_logged_not_sent() {
        let err = ApiError::internal("read the read models", "table blueprints: io error at 0x7f");
        let problem = err.problem();
        assert!(!problem.detail.contains("0x7f"), "{}", problem.detail);
        let id = err.error_id.clone().unwrap();
        assert!(problem.detail.contains(&id));
        assert_eq!(problem.instance, Some(format!("urn:waymark:error:{id}")));

        let store = Rejection::new(
            RejectionKind::Unavailable,
            "store.unavailable",
            "the event store could not complete the command (publish to waymark.evt.x seq 41: timed out)",
        );
        let problem = ApiError::from(store).problem();
        assert_eq!(problem.status, 503);
        assert_eq!(problem.code, "store.unavailable");
        assert!(
            !problem.detail.contains("waymark.evt"),
            "{}",
            problem.detail
        );
        assert!(problem.instance.is_some());
        let nats = ApiError::unavailable_logged(
            "service.unreachable",
            "the milestone service could not be reached",
            "nats: connection reset by peer at 10.0.0.7:4222",
        );
        let problem = nats.problem();
        assert_eq!(problem.status, 503);
        assert!(!problem.detail.contains("10.0.0.7"), "{}", problem.detail);
        let id = nats.error_id.clone().unwrap();
        assert_eq!(problem.instance, Some(format!("urn:waymark:error:{id}")));
        let rule = ApiError::from(Rejection::conflict("milestone.closed", "done")).problem();
        assert_eq!((rule.detail.as_str(), rule.instance), ("done", None));
    }
}
