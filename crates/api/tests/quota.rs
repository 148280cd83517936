//! `GET /api/v2/quota` through the real router, over quota state written by the same tracker
//! the ingestion clients use.

use std::collections::BTreeSet;
use std::sync::Arc;

use api::{AppState, router};
use axum::body::Body;
use axum::http::Request;
use chrono::{TimeZone, Utc};
use domain::store::Store;
use domain::{FakeClock, SourceKind};
use quota::{QuotaTracker, Quotas};
use serde_json::Value;
use store_embedded::EmbeddedStore;
use tower::ServiceExt;

#[tokio::test]
async fn quota_reports_use_limits_resets_and_blocks_per_source_and_window() {
    let clock = Arc::new(FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 30, 10, 20, 0).unwrap()));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()).unwrap());
    let quotas: Quotas = "tiingo=5/1h;2 symbols/1mo,finnhub=60/1m".parse().unwrap();
    let tiingo = QuotaTracker::new(store.clone(), clock.clone(), SourceKind::Tiingo, quotas.tiingo.clone());
    tiingo.reserve(&["aapl", "msft"]).await.unwrap();
    tiingo.reserve(&["aapl"]).await.unwrap();
    let finnhub =
        QuotaTracker::new(store.clone(), clock.clone(), SourceKind::Finnhub, quotas.finnhub.clone());
    finnhub.upstream_throttled(Some(std::time::Duration::from_secs(30)), None).await.unwrap();

    let mut state = AppState::new(store, clock, BTreeSet::new());
    state.quotas = quotas;
    let response =
        router(state).oneshot(Request::get("/api/v2/quota").body(Body::empty()).unwrap()).await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body: Value =
        serde_json::from_slice(&axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap()).unwrap();
    let sources = body["sources"].as_array().unwrap();
    assert_eq!(sources[0]["source"], "tiingo");
    assert_eq!(sources[0]["breaker"], "closed");
    assert_eq!(sources[0]["blocked_until"], Value::Null);
    let windows = &sources[0]["windows"];
    assert_eq!(windows[0]["window"], "1h");
    assert_eq!(windows[0]["resource"], "calls");
    assert_eq!((windows[0]["used"].as_u64(), windows[0]["remaining"].as_u64()), (Some(2), Some(3)));
    assert_eq!(windows[0]["resets_at"], "2026-11-30T11:00:00Z");
    assert_eq!(windows[1]["resource"], "symbols");
    assert_eq!((windows[1]["used"].as_u64(), windows[1]["limit"].as_u64()), (Some(2), Some(2)));
    assert_eq!(windows[1]["resets_at"], "2026-12-01T00:00:00Z");
    assert_eq!(sources[1]["source"], "finnhub");
    assert_eq!(sources[1]["blocked_until"], "2026-11-30T10:20:30Z");
    assert_eq!(sources[1]["windows"][0]["used"], 0);
    let text = body.to_string();
    assert!(!text.contains("key") && !text.contains("token"), "no secrets: {text}");
}
