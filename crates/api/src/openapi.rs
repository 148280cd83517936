//! `GET /api/v2/openapi.json`: the OpenAPI 3 document, generated from the handlers'
//! `#[utoipa::path]` attributes and the typed request and response structs.
//! `tests/openapi.rs` checks it against the running router.

use axum::Json;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};

use crate::{accounts, routes, views};

/// Counts of articles by label (`domain::aggregate::LabelCounts`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LabelCountsSchema {
    pub positive: i64,
    pub negative: i64,
    pub neutral: i64,
    pub total: i64,
}

/// The NYSE session at this instant (`domain::market::MarketStatus`).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MarketStatusSchema {
    pub exchange: String,
    /// `pre`, `open`, `after_hours` or `closed`.
    pub session: String,
    pub is_open: bool,
    pub is_trading_day: bool,
    /// The holiday the exchange is closed for today, if any.
    pub holiday: Option<String>,
    pub early_close: bool,
    pub timezone: String,
    pub local_time: String,
    pub next_open: chrono::DateTime<chrono::Utc>,
    pub next_close: chrono::DateTime<chrono::Utc>,
    pub next_change: chrono::DateTime<chrono::Utc>,
}

/// A ticker in a configuration request: a symbol, or a symbol with a weight (default 1).
#[derive(Deserialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum TickerInput {
    Symbol(String),
    Weighted {
        symbol: String,
        /// Greater than 0 and finite; default 1.
        weight: Option<f64>,
    },
}

/// `POST /api/v2/configurations`.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct CreateConfiguration {
    /// 1 to 50 characters after trimming.
    pub name: String,
    /// 1 to the per-user ticker limit; symbols are upper-cased; no duplicates.
    pub tickers: Vec<TickerInput>,
    /// 1 to 365; default 7.
    pub timeframe_days: Option<u16>,
}

/// `PATCH /api/v2/configurations/{config_id}`: any subset of the fields.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct UpdateConfiguration {
    pub name: Option<String>,
    pub tickers: Option<Vec<TickerInput>>,
    pub timeframe_days: Option<u16>,
}

/// `POST /api/v2/auth/anonymous`; the body may also be absent.
#[derive(Deserialize, ToSchema)]
#[allow(dead_code)]
pub struct CreateSession {
    /// An IANA time zone name such as `Europe/Paris`.
    pub timezone: Option<String>,
}

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "x_user_id",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("X-User-ID"))),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Sentiment Analyzer API", description = "Per-ticker sentiment from financial news."),
    paths(
        routes::health,
        routes::ticker_sentiment,
        routes::articles,
        crate::events::recent,
        routes::market_status,
        crate::quota::quota,
        views::public_sentiment,
        views::trends,
        accounts::create_anonymous,
        accounts::session,
        accounts::extend,
        accounts::sign_out,
        accounts::list_configurations,
        accounts::create_configuration,
        accounts::get_configuration,
        accounts::update_configuration,
        accounts::delete_configuration,
        views::configuration_sentiment,
        views::history,
        views::heatmap,
        openapi_json,
    ),
    components(schemas(crate::ErrorBody, crate::ErrorDetail, LabelCountsSchema)),
    modifiers(&Security),
    tags(
        (name = "public", description = "No session needed; cacheable"),
        (name = "sessions", description = "Anonymous sessions"),
        (name = "configurations", description = "A user's watchlists and their sentiment"),
        (name = "service", description = "Health and the contract itself"),
    )
)]
pub struct ApiDoc;

/// This document.
#[utoipa::path(get, path = "/api/v2/openapi.json", tag = "service",
    responses((status = 200, description = "OpenAPI 3 document", content_type = "application/json")))]
pub async fn openapi_json() -> Response {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let mut response = Json(doc).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    response
}
