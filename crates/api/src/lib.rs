//! The dashboard API: one axum `Router`, served by `lambda_http` in AWS and by
//! [`server::serve`] locally. Handlers speak domain types and the store port only.

mod accounts;
pub mod auth;
mod body;
pub mod cors;
mod error;
mod events;
pub mod guard;
pub mod limit;
pub mod openapi;
mod params;
mod quota;
pub mod request_id;
mod routes;
pub mod server;
mod views;

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use domain::store::Store;
use domain::{Clock, Ticker};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

pub use accounts::AccountLimits;
pub use error::{ApiError, ErrorBody, ErrorDetail};
pub use guard::Limits;
pub use limit::TrustedProxies;
pub use rate_limit::RateLimits;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    /// Tickers that are always known, even before any news arrives.
    pub default_watchlist: Arc<BTreeSet<Ticker>>,
    /// Age at which an hour's news counts half in the current score.
    pub half_life: chrono::Duration,
    pub limits: Limits,
    pub accounts: AccountLimits,
    pub rate_limits: RateLimits,
    pub trusted_proxies: TrustedProxies,
    /// Origins whose browsers may call the API (`SENTIMENT_CORS_ORIGINS`); empty: none.
    pub cors: cors::AllowedOrigins,
    /// Upstream quotas (`SENTIMENT_QUOTAS`), for `/api/v2/quota`.
    pub quotas: ::quota::Quotas,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, default_watchlist: BTreeSet<Ticker>) -> Self {
        Self {
            store,
            clock,
            default_watchlist: Arc::new(default_watchlist),
            half_life: chrono::Duration::hours(24),
            limits: Limits::default(),
            accounts: AccountLimits::default(),
            rate_limits: RateLimits::default(),
            trusted_proxies: TrustedProxies::None,
            cors: cors::AllowedOrigins::default(),
            quotas: ::quota::Quotas::default(),
        }
    }
}

pub fn router(state: AppState) -> Router {
    router_with_site(state, Router::new())
}

/// The API with extra routes beside it (`serve` adds the dashboard's files), behind the same
/// layers (request id, security headers, guards, rate limits). A path the extra routes do not
/// claim keeps the API's JSON 404; a header an extra route sets (its own CSP) is kept.
pub fn router_with_site(state: AppState, site: Router) -> Router {
    let guard = guard::Guard::new(state.limits.clone());
    let limiting = limit::RateLimiting {
        limiter: Arc::new(rate_limit::ActionLimiter::new(
            state.store.clone(),
            state.clock.clone(),
            state.rate_limits,
        )),
        trusted_proxies: state.trusted_proxies.clone(),
    };
    let max_body = state.limits.max_body_bytes;
    let cors = state.cors.layer();
    Router::new()
        .route("/health", get(routes::health))
        .route("/api/v2/tickers/{symbol}/sentiment", get(routes::ticker_sentiment))
        .route("/api/v2/articles", get(routes::articles))
        .route("/api/v2/events", get(events::recent))
        .route("/api/v2/openapi.json", get(openapi::openapi_json))
        .route("/api/v2/market/status", get(routes::market_status))
        .route("/api/v2/quota", get(quota::quota))
        .route("/api/v2/sentiment", get(views::public_sentiment))
        .route("/api/v2/trends", get(views::trends))
        .route("/api/v2/configurations/{config_id}/sentiment", get(views::configuration_sentiment))
        .route("/api/v2/configurations/{config_id}/sentiment/{ticker}/history", get(views::history))
        .route("/api/v2/configurations/{config_id}/heatmap", get(views::heatmap))
        .route("/api/v2/auth/anonymous", post(accounts::create_anonymous))
        .route("/api/v2/auth/session", get(accounts::session))
        .route("/api/v2/auth/extend", post(accounts::extend))
        .route("/api/v2/auth/signout", post(accounts::sign_out))
        .route(
            "/api/v2/configurations",
            get(accounts::list_configurations).post(accounts::create_configuration),
        )
        .route(
            "/api/v2/configurations/{config_id}",
            get(accounts::get_configuration)
                .patch(accounts::update_configuration)
                .delete(accounts::delete_configuration),
        )
        .method_not_allowed_fallback(routes::method_not_allowed)
        .fallback(routes::not_found)
        .with_state(state)
        .merge(site)
        .layer(DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn_with_state(limiting, limit::check))
        .layer(TraceLayer::new_for_http())
        .layer(axum::middleware::from_fn_with_state(guard, guard::check))
        .layer(CatchPanicLayer::custom(routes::panicked))
        .layer(axum::middleware::from_fn(guard::security_headers))
        .layer(cors)
        .layer(axum::middleware::from_fn(request_id::assign))
}
