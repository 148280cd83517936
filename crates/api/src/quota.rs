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
    pub windows: Vec<QuotaWindow>,
}

#[derive(Serialize, ToSchema)]
pub struct QuotaWindow {
    /// `30s`, `1m`, `1h`, `1d`, `1mo`, ...
    pub window: String,
    /// `calls`, or `symbols` for an allowance of distinct symbols.
    pub resource: String,
    pub used: u32,
    pub limit: u32,
    pub remaining: u32,
    pub resets_at: DateTime<Utc>,
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
            windows: report
                .limits
                .into_iter()
                .map(|u| QuotaWindow {
                    window: u.window,
                    resource: match u.resource {
                        quota::Resource::Calls => "calls".to_owned(),
                        quota::Resource::Symbols => "symbols".to_owned(),
                    },
                    used: u.used,
                    limit: u.limit,
                    remaining: u.remaining,
                    resets_at: u.resets_at,
                })
                .collect(),
        });
    }
    let mut response = Json(QuotaReport { as_of: state.clock.now(), sources }).into_response();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
