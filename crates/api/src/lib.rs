//! The dashboard API: one axum `Router`, served by `lambda_http` in AWS and by
//! `axum::serve` locally. Handlers speak domain types and the store port only.

mod error;
mod params;
mod routes;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use domain::store::Store;
use domain::{Clock, Ticker};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

pub use error::ApiError;

/// Request bodies above this are refused with 413.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    /// Tickers that are always known, even before any news arrives.
    pub default_watchlist: Arc<BTreeSet<Ticker>>,
    /// Age at which an hour's news counts half in the current score.
    pub half_life: chrono::Duration,
    pub request_timeout: Duration,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, default_watchlist: BTreeSet<Ticker>) -> Self {
        Self {
            store,
            clock,
            default_watchlist: Arc::new(default_watchlist),
            half_life: chrono::Duration::hours(24),
            request_timeout: Duration::from_secs(10),
        }
    }
}

pub fn router(state: AppState) -> Router {
    let timeout = state.request_timeout;
    Router::new()
        .route("/health", get(routes::health))
        .route("/api/v2/tickers/{symbol}/sentiment", get(routes::ticker_sentiment))
        .route("/api/v2/articles", get(routes::articles))
        .method_not_allowed_fallback(routes::method_not_allowed)
        .fallback(routes::not_found)
        .with_state(state)
        .layer(CatchPanicLayer::custom(routes::panicked))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(axum::http::StatusCode::GATEWAY_TIMEOUT, timeout))
        .layer(TraceLayer::new_for_http())
}
