//! The same sample ingestion on the embedded store and on DynamoDB (moto), served by the
//! same router at the same instant: every answer must be the same, byte for byte.

use std::collections::BTreeSet;
use std::sync::Arc;

use api::{AppState, router};
use chrono::{TimeZone, Utc};
use domain::store::Store;
use domain::{FakeClock, Ticker};
use ingestion::{Pipeline, PipelineConfig};
use sources::sample::SampleSource;
use store_embedded::EmbeddedStore;
use tower::ServiceExt;

async fn ingest(store: Arc<dyn Store>, clock: Arc<FakeClock>) -> BTreeSet<Ticker> {
    let watchlist: BTreeSet<Ticker> = sources::sample::tickers().into_iter().collect();
    let config = PipelineConfig {
        default_watchlist: watchlist.clone(),
        lookback: chrono::Duration::days(30),
        write_concurrency: 8,
    };
    let pipeline = Pipeline::new(store, SampleSource::both(clock.clone()), scoring::shipped(), clock, config);
    let summary = pipeline.run_once().await.expect("ingestion");
    assert!(summary.new > 300 && summary.errors == 0, "{summary:#?}");
    watchlist
}

async fn answer(app: &axum::Router, path: &str) -> (u16, String) {
    let request = axum::http::Request::get(path).body(axum::body::Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 8 << 20).await.unwrap();
    let mut body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    // The fields allowed to differ: each error names its own request, and each store
    // writes its own cursors (whether there is a next page must agree).
    if let Some(error) = body.get_mut("error") {
        error["request_id"] = serde_json::Value::Null;
    }
    if let Some(cursor) = body.get_mut("next_cursor") {
        *cursor = serde_json::Value::Bool(!cursor.is_null());
    }
    (status, body.to_string())
}

async fn raw_cursor(app: &axum::Router, path: &str) -> Option<String> {
    let request = axum::http::Request::get(path).body(axum::body::Body::empty()).unwrap();
    let response = app.clone().oneshot(request).await.unwrap();
    let bytes = axum::body::to_bytes(response.into_body(), 8 << 20).await.unwrap();
    let body: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    body["next_cursor"].as_str().map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn dynamodb_and_embedded_answer_alike() {
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 21, 10, 0).unwrap();
    let clock = Arc::new(FakeClock::at(now));
    let Some(dynamo) =
        store_dynamodb::testing::fresh_store("dynamodb_and_embedded_answer_alike", clock.clone()).await
    else {
        return;
    };
    let counted = dynamo.clone();
    let dynamo: Arc<dyn Store> = Arc::new(dynamo);
    let embedded: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()).unwrap());
    let watchlist = ingest(embedded.clone(), clock.clone()).await;
    ingest(dynamo.clone(), clock.clone()).await;
    let apps = [embedded, dynamo].map(|store| router(AppState::new(store, clock.clone(), watchlist.clone())));

    let mut paths =
        vec!["/api/v2/articles?limit=100".to_owned(), "/api/v2/tickers/ZZZZ/sentiment".to_owned()];
    for ticker in &watchlist {
        for window in ["1h", "24h", "7d", "30d"] {
            paths.push(format!("/api/v2/tickers/{ticker}/sentiment?window={window}"));
        }
        paths.push(format!("/api/v2/articles?ticker={ticker}&limit=100"));
    }
    let mut compared = 0;
    for path in &paths {
        let (a, b) = (answer(&apps[0], path).await, answer(&apps[1], path).await);
        assert!(a == b, "{path} differs:\n embedded {a:?}\n dynamodb {b:?}");
        compared += 1;
    }
    // Cursors are each store's own, but following them visits the same articles.
    for app in &apps {
        let mut seen = Vec::new();
        let mut path = "/api/v2/articles?ticker=AAPL&limit=7".to_owned();
        loop {
            let (status, body) = answer(app, &path).await;
            assert_eq!(status, 200);
            let body: serde_json::Value = serde_json::from_str(&body).unwrap();
            seen.extend(body["articles"].as_array().unwrap().iter().map(|a| a["id"].clone()));
            let cursor = raw_cursor(app, &path).await;
            match cursor.as_deref() {
                Some(cursor) => path = format!("/api/v2/articles?ticker=AAPL&limit=7&cursor={cursor}"),
                None => break,
            }
        }
        let (_, all) = answer(app, "/api/v2/articles?ticker=AAPL&limit=100").await;
        let all: serde_json::Value = serde_json::from_str(&all).unwrap();
        let ids: Vec<_> = all["articles"].as_array().unwrap().iter().map(|a| a["id"].clone()).collect();
        assert_eq!(seen, ids);
    }
    assert!(compared > 40);

    // Round trips per request (docs/performance.md), besides rate limiting: a ticker's sentiment is one query of its
    // whole hourly buckets, one of the articles at the window's edges and one of its newest
    // articles (the drivers), made concurrently; an article page is one query of the index;
    // nothing is read item by item.
    for (path, expected) in [
        ("/api/v2/tickers/AAPL/sentiment?window=7d", 3),
        ("/api/v2/tickers/AAPL/sentiment?window=24h", 3),
        ("/api/v2/articles?ticker=AAPL&limit=20", 1),
        ("/api/v2/articles?limit=20", 1),
    ] {
        let before = counted.calls().total();
        let queries = counted.calls().query.load(std::sync::atomic::Ordering::Relaxed);
        let updates = counted.calls().update_item.load(std::sync::atomic::Ordering::Relaxed);
        let (status, _) = answer(&apps[1], path).await;
        assert_eq!(status, 200, "{path}");
        let made = counted.calls().total() - before;
        let made_queries = counted.calls().query.load(std::sync::atomic::Ordering::Relaxed) - queries;
        // One more: the rate limiter's conditional UpdateItem (this client's closed window
        // is already known to the container).
        assert_eq!((made, made_queries), (expected + 1, expected), "{path}: DynamoDB calls (total, queries)");
        assert_eq!(
            counted.calls().update_item.load(std::sync::atomic::Ordering::Relaxed) - updates,
            1,
            "{path}"
        );
    }
}
