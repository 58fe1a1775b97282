//! One error type for every HTTP answer that is not a success, rendered as RFC 9457
//! problem+json in exactly one place.
//!
//! Services map their own domain errors into [`AppError`]; they choose the variant, this
//! module only knows how each variant looks on the wire. Internal causes are logged with their
//! chain and never sent to the client.

use std::time::Duration;

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

/// The problem+json body (RFC 9457).
#[derive(Debug, Clone, Serialize, serde::Deserialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem; stable for clients to switch on.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong with this request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// One entry per invalid field, for validation errors.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

/// A rule broken by one field of the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct FieldError {
    /// The field's name as the client sent it.
    pub field: String,
    /// The rule it breaks.
    pub message: String,
}

impl FieldError {
    /// An error for `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Every non-success answer a service gives.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Malformed request: unreadable JSON, a wrong type, a missing field.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Missing, invalid or expired credentials.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// Authenticated, but not allowed.
    #[error("forbidden")]
    Forbidden,
    /// Nothing at this address.
    #[error("not found")]
    NotFound,
    /// The method is not served at this address.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The request clashes with the current state (duplicate, stale, impossible).
    #[error("conflict: {0}")]
    Conflict(String),
    /// An `If-Match` precondition failed.
    #[error("precondition failed")]
    PreconditionFailed,
    /// The body is over the size limit.
    #[error("payload too large")]
    PayloadTooLarge,
    /// A streamed body went over its route's own limit; the detail says what became of what
    /// came before.
    #[error("payload too large: {0}")]
    BodyTooLarge(String),
    /// The body is not JSON.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// The body is not the media type its route reads (named here).
    #[error("not {0}")]
    NotMediaType(&'static str),
    /// The request target (path and query) is over the length limit.
    #[error("URI too long")]
    UriTooLong,
    /// Well-formed, but it breaks rules; one entry per field.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// Too many attempts; try again after the given time.
    #[error("too many requests")]
    TooManyRequests {
        /// Sent as `Retry-After` in whole seconds.
        retry_after: Duration,
    },
    /// A dependency is down or the request took too long.
    #[error("service unavailable")]
    Unavailable,
    /// Anything unexpected. Logged in full, answered as a bare 500.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A validation error on a single field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, message)])
    }

    /// The status this error answers with.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge | Self::BodyTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType | Self::NotMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::UriTooLong => StatusCode::URI_TOO_LONG,
            Self::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn slug(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad-request",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not-found",
            Self::MethodNotAllowed => "method-not-allowed",
            Self::Conflict(_) => "conflict",
            Self::PreconditionFailed => "precondition-failed",
            Self::PayloadTooLarge | Self::BodyTooLarge(_) => "payload-too-large",
            Self::UnsupportedMediaType | Self::NotMediaType(_) => "unsupported-media-type",
            Self::UriTooLong => "uri-too-long",
            Self::Validation(_) => "validation",
            Self::TooManyRequests { .. } => "too-many-requests",
            Self::Unavailable => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            Self::BadRequest(detail) | Self::Conflict(detail) | Self::BodyTooLarge(detail) => {
                Some(detail.clone())
            }
            Self::NotMediaType(media) => Some(format!("send the body as {media}")),
            Self::Unauthorized(detail) => Some((*detail).to_owned()),
            Self::Forbidden => Some("you are not allowed to do this".into()),
            Self::PayloadTooLarge => Some("the request body is over the size limit".into()),
            Self::UnsupportedMediaType => Some("send the body as application/json".into()),
            Self::UriTooLong => Some("the request's path and query are over the length limit".into()),
            Self::Validation(_) => Some("the request breaks one or more rules".into()),
            Self::PreconditionFailed => Some("the resource has changed since you read it".into()),
            _ => None,
        }
    }

    /// The body this error answers with.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        Problem {
            kind: format!("urn:shopper:problem:{}", self.slug()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: self.detail(),
            errors: match self {
                Self::Validation(errors) => errors.clone(),
                _ => Vec::new(),
            },
        }
    }
}

/// A database error nobody expected: a 500, logged with its cause. Expected outcomes (a unique
/// key taken, a row missing) are mapped by the caller before `?` reaches this.
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.into())
    }
}

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let Self::Internal(cause) = &self {
            // `{:#}` prints the whole context chain; it stays in the log.
            tracing::error!(error = format!("{cause:#}"), "request failed");
        }
        let problem = self.problem();
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let mut response = (self.status(), body).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        match &self {
            Self::Unauthorized(_) => {
                headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            }
            Self::TooManyRequests { retry_after } => {
                let seconds = retry_after.as_secs_f64().ceil().max(1.0) as u64;
                headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
            _ => {}
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_errors_list_each_field() {
        let problem = AppError::invalid("password", "must be at least 8 characters").problem();
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors, [FieldError::new("password", "must be at least 8 characters")]);
    }

    #[test]
    fn internal_errors_never_carry_their_cause() {
        let problem = AppError::Internal(anyhow::anyhow!("SELECT secret FROM users")).problem();
        assert_eq!(problem.status, 500);
        assert!(problem.detail.is_none());
        assert!(!serde_json::to_string(&problem).unwrap().contains("SELECT"));
    }
}
