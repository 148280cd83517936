//! What every request passes before a handler sees it, so that no client can make the
//! service do unbounded work: size limits on the request line and headers, a cap on requests
//! in flight (excess is shed at once with 503 and `Retry-After`), a time limit per request,
//! and the security headers every response carries.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::Semaphore;

use crate::ApiError;

/// The numbers behind the guards; the defaults are documented in the README.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Longest request URI (path and query). Real requests are well under 1 KiB; 8 KiB is
    /// what common proxies accept.
    pub max_uri_bytes: usize,
    /// Largest total of header names and values. 16 KiB fits any browser's cookies.
    pub max_header_bytes: usize,
    /// Largest request body a handler reads (configuration JSON is well under 1 KiB). Routes
    /// that take no body never read one, so a large body sent to them still gets the 404 or
    /// 405 it deserves.
    pub max_body_bytes: usize,
    /// Requests handled at once; beyond this they are refused with 503 before any work.
    pub max_in_flight: usize,
    /// Longest a request may take before it is answered with 504.
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_uri_bytes: 8 * 1024,
            max_header_bytes: 16 * 1024,
            max_body_bytes: 64 * 1024,
            max_in_flight: 4096,
            request_timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Clone)]
pub struct Guard {
    limits: Limits,
    in_flight: Arc<Semaphore>,
}

impl Guard {
    pub fn new(limits: Limits) -> Self {
        let in_flight = Arc::new(Semaphore::new(limits.max_in_flight.max(1)));
        Self { limits, in_flight }
    }
}

pub async fn check(State(guard): State<Guard>, request: Request, next: Next) -> Response {
    let limits = &guard.limits;
    let uri_len = request.uri().to_string().len();
    if uri_len > limits.max_uri_bytes {
        return ApiError::UriTooLong { limit: limits.max_uri_bytes }.into_response();
    }
    let header_bytes: usize = request.headers().iter().map(|(n, v)| n.as_str().len() + v.len()).sum();
    if header_bytes > limits.max_header_bytes {
        return ApiError::HeadersTooLarge { limit: limits.max_header_bytes }.into_response();
    }
    let Ok(_permit) = guard.in_flight.try_acquire() else {
        return ApiError::Overloaded { retry_after: Duration::from_secs(1) }.into_response();
    };
    match tokio::time::timeout(limits.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout { limit: limits.request_timeout }.into_response(),
    }
}

/// Headers every response carries.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: HeaderName, value: &'static str| {
        headers.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'");
    set(header::X_FRAME_OPTIONS, "DENY");
    set(header::STRICT_TRANSPORT_SECURITY, "max-age=63072000; includeSubDomains");
    set(header::REFERRER_POLICY, "no-referrer");
    response
}
