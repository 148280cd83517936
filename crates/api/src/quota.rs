//! `GET /api/v2/quota`: how much of each upstream's quota is used, per window, and whether its
//! circuit breaker lets calls through. Operators read it instead of scanning `QUOTA#` items;
//! it holds counts and times only, never a key.

use std::sync::Arc;

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use domain::SourceKind;
use quota::QuotaTracker;
use serde::Serialize;
use utoipa::ToSchema;

use crate::{ApiError, AppState};

#[derive(Serialize, ToSchema)]
pub struct QuotaReport {
    pub as_of: DateTime<Utc>,
    pub sources: Vec<SourceQuota>,
}

#[derive(Serialize, ToSchema)]
pub struct SourceQuota {
    /// `tiingo` or `finnhub`.
    pub source: String,
    /// `closed`, `open` or `half_open`.
    pub breaker: String,
    /// Set while the upstream's own throttling answer holds calls back.
    pub blocked_until: Option<DateTime<Utc>>,
    /// Per window: `window` (`30s`, `1h`, `1mo`, ...), `resource` (`calls`, or `symbols` for an
    /// allowance of distinct symbols), `used`, `limit`, `remaining`, `resets_at`.
    #[schema(value_type = Vec<Object>)]
    pub windows: Vec<domain::run::QuotaWindow>,
}

/// Upstream quota use per source and window, and each source's circuit breaker state.
#[utoipa::path(get, path = "/api/v2/quota", tag = "service",
    responses((status = 200, body = QuotaReport), (status = 503, body = crate::ErrorBody)))]
pub async fn quota(State(state): State<AppState>) -> Result<Response, ApiError> {
    let mut sources = Vec::new();
    for source in SourceKind::ALL {
        let tracker = QuotaTracker::new(
            Arc::clone(&state.store),
            Arc::clone(&state.clock),
            source,
            state.quotas.for_source(source).to_vec(),
        );
        let report = tracker.report().await.map_err(|e| match e {
            quota::QuotaError::Store(store) => ApiError::from(store),
            other => ApiError::Internal(domain::store::StoreError::Corrupt(other.to_string())),
        })?;
        let breaker = circuit_breaker::CircuitBreaker::new(
            Arc::clone(&state.store),
            Arc::clone(&state.clock),
            source.as_str(),
            circuit_breaker::BreakerConfig::default(),
        )
        .state()
        .await?;
        sources.push(SourceQuota {
            source: source.as_str().to_owned(),
            breaker: breaker.as_str().to_owned(),
            blocked_until: report.blocked_until,
            windows: report.limits.into_iter().map(Into::into).collect(),
        });
    }
    let mut response = Json(QuotaReport { as_of: state.clock.now(), sources }).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
