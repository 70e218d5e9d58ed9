//! One error type for the whole API and its wire format: RFC 9457 problem+json with a stable
//! `code` and the request id (DESIGN.md §4.7). Unknown errors are 500 and logged with their
//! cause; an exhausted or unreachable database is 503.

use actix_web::http::{header, Method, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;
use zs_domain::{DomainError, FieldViolation};
use zs_persistence::StoreError;

use crate::request_id::current_request_id;

/// One failing field of a request.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    /// JSON pointer to the field in the request body (or `/<name>` of a query parameter).
    #[schema(example = "/region_code")]
    pub pointer: String,
    /// Machine-readable rule that failed.
    #[schema(example = "region_code")]
    pub code: String,
    /// Human-readable explanation.
    pub detail: String,
}

/// An error response (RFC 9457 `application/problem+json`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// URI naming the kind of problem.
    #[serde(rename = "type")]
    #[schema(example = "urn:zhaoshang:problem:validation-failed")]
    pub problem_type: String,
    /// Short summary of the kind of problem.
    #[schema(example = "Unprocessable Content")]
    pub title: String,
    /// HTTP status code.
    #[schema(example = 422)]
    pub status: u16,
    /// What went wrong in this request.
    pub detail: String,
    /// Stable machine-readable code (UPPER_SNAKE).
    #[schema(example = "VALIDATION_FAILED")]
    pub code: String,
    /// Id of the request (also in the `X-Request-Id` header); quote it to support.
    pub request_id: String,
    /// For 422: every failing field at once.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[schema(nullable = false)]
    pub errors: Vec<ProblemField>,
    /// For 412: the current version of the resource.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub current_version: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(Vec<FieldViolation>),
    #[error("{detail}")]
    BadRequest { code: &'static str, detail: String },
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("request body larger than {limit} bytes")]
    PayloadTooLarge { limit: usize },
    #[error("{detail}")]
    Unauthorized { code: &'static str, detail: String },
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed(Vec<Method>),
    #[error("{detail}")]
    Conflict { code: &'static str, detail: String },
    #[error("precondition failed")]
    PreconditionFailed { current: i64 },
    #[error("too many failed attempts")]
    Locked { retry_after_secs: i64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn bad_request(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::BadRequest { code, detail: detail.into() }
    }

    pub fn unauthorized(code: &'static str, detail: impl Into<String>) -> Self {
        ApiError::Unauthorized { code, detail: detail.into() }
    }

    pub fn invalid(pointer: &str, code: &str, detail: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldViolation::new(pointer, code, detail)])
    }

    fn parts(&self) -> (&'static str, String) {
        match self {
            ApiError::Validation(v) => ("VALIDATION_FAILED", format!("{} field(s) failed validation", v.len())),
            ApiError::BadRequest { code, detail } => (code, detail.clone()),
            ApiError::UnsupportedMediaType(d) => ("UNSUPPORTED_MEDIA_TYPE", d.clone()),
            ApiError::PayloadTooLarge { limit } => {
                ("PAYLOAD_TOO_LARGE", format!("the request body exceeds {limit} bytes"))
            }
            ApiError::Unauthorized { code, detail } => (code, detail.clone()),
            ApiError::Forbidden(d) => ("FORBIDDEN", d.clone()),
            ApiError::NotFound => ("NOT_FOUND", "no such resource".to_owned()),
            ApiError::MethodNotAllowed(allowed) => (
                "METHOD_NOT_ALLOWED",
                format!("allowed methods: {}", allowed.iter().map(Method::as_str).collect::<Vec<_>>().join(", ")),
            ),
            ApiError::Conflict { code, detail } => (code, detail.clone()),
            ApiError::PreconditionFailed { current } => {
                ("PRECONDITION_FAILED", format!("the resource has changed; its current version is {current}"))
            }
            ApiError::Locked { retry_after_secs } => {
                ("TOO_MANY_ATTEMPTS", format!("too many failed attempts; try again in {retry_after_secs} s"))
            }
            ApiError::Unavailable(_) => {
                ("SERVICE_UNAVAILABLE", "the database is unavailable; retry shortly".to_owned())
            }
            ApiError::Internal(_) => {
                ("INTERNAL", "an unexpected error occurred; quote the request id to support".to_owned())
            }
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let (code, detail) = self.parts();
        Problem {
            problem_type: format!("urn:zhaoshang:problem:{}", code.to_ascii_lowercase().replace('_', "-")),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            request_id: current_request_id(),
            errors: match self {
                ApiError::Validation(v) => v
                    .iter()
                    .map(|f| ProblemField {
                        pointer: f.pointer.clone(),
                        code: f.code.clone(),
                        detail: f.detail.clone(),
                    })
                    .collect(),
                _ => vec![],
            },
            current_version: match self {
                ApiError::PreconditionFailed { current } => Some(*current),
                _ => None,
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized { .. } => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed { .. } => StatusCode::PRECONDITION_FAILED,
            ApiError::Locked { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            ApiError::Internal(cause) => tracing::error!(cause = %cause, "internal error"),
            ApiError::Unavailable(cause) => tracing::warn!(cause = %cause, "database unavailable"),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        match self {
            ApiError::MethodNotAllowed(allowed) => {
                let allow = allowed.iter().map(Method::as_str).collect::<Vec<_>>().join(", ");
                res.insert_header((header::ALLOW, allow));
            }
            ApiError::Unauthorized { .. } => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"zhaoshang\""));
            }
            ApiError::Locked { retry_after_secs } => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Unavailable(_) => {
                res.insert_header((header::RETRY_AFTER, "2"));
            }
            _ => {}
        }
        res.json(self.problem())
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Validation(v) => ApiError::Validation(v),
            DomainError::NotFound => ApiError::NotFound,
            DomainError::Forbidden(d) => ApiError::Forbidden(d),
            DomainError::Conflict { code, detail } => ApiError::Conflict { code, detail },
            DomainError::PreconditionFailed { current } => ApiError::PreconditionFailed { current },
            DomainError::Unauthorized(d) => ApiError::unauthorized("UNAUTHORIZED", d),
            DomainError::Locked { retry_after_secs } => ApiError::Locked { retry_after_secs },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Domain(d) => d.into(),
            StoreError::Unavailable(cause) => ApiError::Unavailable(cause),
            StoreError::Duplicate(cause) => ApiError::Conflict {
                code: "ALREADY_EXISTS",
                detail: format!("the change conflicts with an existing record ({cause})"),
            },
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(format!("blocking task failed: {e}"))
    }
}

impl From<validator::ValidationErrors> for ApiError {
    fn from(e: validator::ValidationErrors) -> Self {
        ApiError::Validation(validation_violations(&e))
    }
}

/// Flattens validator's errors into field violations with JSON pointers.
pub fn validation_violations(e: &validator::ValidationErrors) -> Vec<FieldViolation> {
    let mut out = vec![];
    for (field, errs) in e.field_errors() {
        for err in errs {
            let detail = err.message.as_ref().map(ToString::to_string).unwrap_or_else(|| match err.code.as_ref() {
                "length" => "has the wrong length".to_owned(),
                "range" => "is out of range".to_owned(),
                other => format!("fails rule {other}"),
            });
            out.push(FieldViolation::new(format!("/{field}"), &err.code, detail));
        }
    }
    out.sort_by(|a, b| a.pointer.cmp(&b.pointer));
    out
}

/// Answers actix's own query-string failures as problem+json 400.
pub fn query_error(err: actix_web::error::QueryPayloadError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    ApiError::bad_request("INVALID_QUERY", format!("invalid query string: {err}")).into()
}

/// Answers actix's own path failures as problem+json 404 (no such resource).
pub fn path_error(_err: actix_web::error::PathError, _req: &actix_web::HttpRequest) -> actix_web::Error {
    ApiError::NotFound.into()
}
