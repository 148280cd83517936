//! `GET /api/v2/events` through the real router, after real ingestion runs: a run that turns
//! AAPL from positive to negative shows its `SentimentShifted`, newest first, with the detail
//! as published.

use std::sync::{Arc, Mutex};

use api::{AppState, router};
use async_trait::async_trait;
use axum::body::Body;
use axum::http::Request;
use chrono::{Duration, TimeZone, Utc};
use domain::event::NoSink;
use domain::model::SentimentModel;
use domain::shift::ShiftRule;
use domain::source::{FetchRequest, Fetched, NewsSource, SourceError};
use domain::{Clock, FakeClock, RawArticle, Sentiment, SourceKind, Ticker};
use ingestion::{Announcer, Pipeline, PipelineConfig};
use serde_json::Value;
use store_embedded::EmbeddedStore;
use tower::ServiceExt;

struct FirstWord;

impl SentimentModel for FirstWord {
    fn version(&self) -> &str {
        "first-word"
    }
    fn score(&self, text: &str) -> Sentiment {
        let score = if text.starts_with("up") { 0.8 } else { -0.8 };
        Sentiment { label: domain::aggregate::label_for(score), score, confidence: 0.9 }
    }
}

struct Upstream(Mutex<Vec<RawArticle>>);

#[async_trait]
impl NewsSource for Upstream {
    fn kind(&self) -> SourceKind {
        SourceKind::Finnhub
    }
    async fn fetch(&self, _: &FetchRequest) -> Result<Fetched, SourceError> {
        Ok(Fetched { articles: self.0.lock().unwrap().clone(), ..Fetched::default() })
    }
}

async fn get(app: &axum::Router, uri: &str) -> (u16, Value) {
    let response = app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// An embedded store, the fake upstream, and an announcing pipeline watching AAPL over them.
struct World {
    clock: Arc<FakeClock>,
    store: Arc<dyn domain::store::Store>,
    aapl: Ticker,
    upstream: Arc<Upstream>,
    pipeline: Pipeline,
}

fn world() -> World {
    let clock = Arc::new(FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()));
    let store: Arc<dyn domain::store::Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()).unwrap());
    let aapl = Ticker::parse("AAPL").unwrap();
    let upstream = Arc::new(Upstream(Mutex::new(Vec::new())));
    let pipeline = Pipeline::new(
        store.clone(),
        vec![upstream.clone()],
        Arc::new(FirstWord),
        clock.clone(),
        PipelineConfig {
            default_watchlist: [aapl.clone()].into(),
            lookback: Duration::days(1),
            write_concurrency: 2,
        },
    )
    .with_announcer(Announcer::new(Arc::new(NoSink), ShiftRule::default()));
    World { clock, store, aapl, upstream, pipeline }
}

#[tokio::test]
async fn a_ticker_turning_negative_shows_in_the_events_feed() {
    let World { clock, store, aapl, upstream, pipeline } = world();
    let news = |word: &str, n: usize, from: usize| {
        (from..from + n)
            .map(|i| RawArticle {
                source: SourceKind::Finnhub,
                source_item_id: i.to_string(),
                title: format!("{word} news {i}"),
                summary: None,
                url: format!("https://example.test/{i}"),
                publisher: "example".into(),
                published_at: clock.now(),
                crawled_at: None,
                tickers: [aapl.clone()].into(),
            })
            .collect::<Vec<_>>()
    };
    // Positive (0.8), then 3 "down" among 5: (1.6 - 2.4) / 5 = -0.16: negative only past -0.10
    // for a positive reference, so negative; a change of 0.96.
    *upstream.0.lock().unwrap() = news("up", 2, 0);
    pipeline.run_once().await.unwrap();
    clock.advance(Duration::minutes(15));
    *upstream.0.lock().unwrap() = news("down", 3, 2);
    let summary = pipeline.run_once().await.unwrap();
    assert_eq!(summary.events.unwrap().announced, 2, "a shift and the run");

    let app = router(AppState::new(store, clock.clone(), [aapl].into()));
    let (status, body) = get(&app, "/api/v2/events?limit=2").await;
    assert_eq!(status, 200, "{body}");
    let events = body["events"].as_array().unwrap();
    assert_eq!(events.len(), 2);
    let shifted = events.iter().find(|e| e["type"] == "SentimentShifted").expect("the shift is listed");
    let detail = &shifted["detail"];
    assert_eq!(detail["schema_version"], 1);
    assert_eq!(detail["event_id"], shifted["id"]);
    assert_eq!(detail["ticker"], "AAPL");
    assert_eq!(
        (detail["previous"]["label"].as_str(), detail["current"]["label"].as_str()),
        (Some("positive"), Some("negative"))
    );
    assert_eq!(detail["current"]["score"], -0.16);
    assert_eq!(detail["articles"].as_array().unwrap().len(), 3);
    // Two runs' IngestionCompleted and the shift: a next page holds the older run.
    let cursor = body["next_cursor"].as_str().expect("more events");
    let (_, next) = get(&app, &format!("/api/v2/events?limit=5&cursor={cursor}")).await;
    let older: Vec<&str> =
        next["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(older, ["IngestionCompleted"]);

    let (status, body) = get(&app, "/api/v2/events?limit=0").await;
    assert_eq!(status, 400, "{body}");
}

/// An event this version cannot read (a newer schema written during a rollout, or a damaged
/// item) is left out of the feed; the rest still list.
#[tokio::test]
async fn an_unreadable_logged_event_is_left_out_not_a_500() {
    use domain::store::{Condition, Item, Key};
    let World { clock, store, aapl, pipeline, .. } = world();
    pipeline.run_once().await.unwrap();
    // Newer than the run's event, so first in the feed: a detail type this version lacks.
    let future = serde_json::json!({"source": "sentiment-analyzer", "detail-type": "SomethingNew", "detail": {"schema_version": 2}});
    let key = Key::new(domain::table::events::EVENTS_PK, "EVENT#2026-11-30T13:00:00Z#ffff");
    store.put(Item::new(key).with_attr("record", future), Condition::Always).await.unwrap();

    let app = router(AppState::new(store, clock, [aapl].into()));
    let (status, body) = get(&app, "/api/v2/events").await;
    assert_eq!(status, 200, "{body}");
    let kinds: Vec<&str> =
        body["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["IngestionCompleted"], "{body}");
}
