//! The one error shape every response of this service uses, whatever produced it:
//! `{"error": {"code", "message", "request_id"}}`. Causes are logged here, once; clients get
//! a stable code and a readable message that quotes at most a short prefix of their input.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::error_report::cause_chain;
use domain::store::StoreError;
use serde::Serialize;

use crate::request_id;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Malformed input: a bad query parameter, path segment, cursor or JSON syntax.
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    #[error("{0}")]
    NotFound(String),
    /// No credentials, or not a live session.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// The request conflicts with the current state (a limit, a concurrent change).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    /// Well-formed JSON with a value that is not allowed; the message names the field.
    #[error("{message}")]
    Invalid { field: &'static str, message: String },
    #[error("too many requests; retry in {}s", retry_after.as_secs())]
    RateLimited { retry_after: Duration },
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("request body is larger than the {limit} bytes allowed")]
    PayloadTooLarge { limit: usize },
    #[error("request URI is longer than the {limit} bytes allowed")]
    UriTooLong { limit: usize },
    #[error("request headers are larger than the {limit} bytes allowed")]
    HeadersTooLarge { limit: usize },
    /// Too many requests in flight: shed before any work is done.
    #[error("the service is busy; retry in {}s", retry_after.as_secs())]
    Overloaded { retry_after: Duration },
    #[error("the request took longer than {}s", limit.as_secs())]
    Timeout { limit: Duration },
    #[error("the service is temporarily unavailable")]
    Unavailable(#[source] StoreError),
    #[error("internal error")]
    Internal(#[source] StoreError),
    /// A handler panicked; the panic itself was already reported by the panic hook.
    #[error("internal error")]
    Panicked,
}

/// The JSON body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    #[schema(value_type = String)]
    pub code: &'static str,
    pub message: String,
    /// The request field at fault, for 422 answers.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub field: Option<&'static str>,
    pub request_id: String,
}

impl ApiError {
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::BadRequest { code, message: message.into() }
    }

    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::Invalid { field, message: message.into() }
    }

    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::Conflict { code, message: message.into() }
    }

    /// The request field a validation error is about.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }

    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::BadRequest { code, .. } => (StatusCode::BAD_REQUEST, code),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            Self::Conflict { code, .. } => (StatusCode::CONFLICT, code),
            Self::UnsupportedMediaType => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            Self::Invalid { .. } => (StatusCode::UNPROCESSABLE_ENTITY, "invalid_value"),
            Self::RateLimited { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::MethodNotAllowed => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            Self::PayloadTooLarge { .. } => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            Self::UriTooLong { .. } => (StatusCode::URI_TOO_LONG, "uri_too_long"),
            Self::HeadersTooLarge { .. } => {
                (StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE, "headers_too_large")
            }
            Self::Overloaded { .. } => (StatusCode::SERVICE_UNAVAILABLE, "overloaded"),
            Self::Timeout { .. } => (StatusCode::GATEWAY_TIMEOUT, "timeout"),
            Self::Unavailable(_) => (StatusCode::SERVICE_UNAVAILABLE, "unavailable"),
            Self::Internal(_) | Self::Panicked => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Overloaded { retry_after } | Self::RateLimited { retry_after } => Some(*retry_after),
            Self::Unavailable(_) => Some(Duration::from_secs(5)),
            _ => None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::InvalidCursor => Self::bad_request("invalid_cursor", "cursor is invalid or expired"),
            StoreError::Unavailable(_) => Self::Unavailable(error),
            other => Self::Internal(other),
        }
    }
}

/// The error body for `status`, with this request's id, as bytes (for the places below the
/// router that write responses themselves).
pub fn error_json(code: &'static str, message: String) -> Vec<u8> {
    let body =
        ErrorBody { error: ErrorDetail { code, message, field: None, request_id: request_id::current() } };
    serde_json::to_vec(&body).unwrap_or_default()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code) = self.status_and_code();
        if status.is_server_error() && !matches!(self, Self::Overloaded { .. }) {
            tracing::error!(error = %cause_chain(&self), "request failed");
        }
        let retry_after = self.retry_after();
        let body = ErrorBody {
            error: ErrorDetail {
                code,
                message: self.to_string(),
                field: self.field(),
                request_id: request_id::current(),
            },
        };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(after) = retry_after
            && let Ok(value) = HeaderValue::from_str(&after.as_secs().max(1).to_string())
        {
            headers.insert(header::RETRY_AFTER, value);
        }
        response
    }
}
