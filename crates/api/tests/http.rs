//! The real router on a loopback port, driven over HTTP.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use api::{AppState, router};
use async_trait::async_trait;
use chrono::{Duration, TimeZone, Utc};
use domain::store::{Item, Key, Page, Query, Store, StoreError, Update, WriteOp};
use domain::table::articles;
use domain::{Article, ArticleId, FakeClock, Sentiment, SentimentLabel, SourceCredit, SourceKind, Ticker};
use serde_json::Value;
use store_embedded::EmbeddedStore;

/// A store that can be made to fail, as DynamoDB sometimes does.
struct Flaky {
    inner: EmbeddedStore,
    broken: AtomicBool,
}

impl Flaky {
    fn check(&self) -> Result<(), StoreError> {
        if self.broken.load(Ordering::SeqCst) {
            Err(StoreError::Unavailable("injected outage".into()))
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl Store for Flaky {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.check()?;
        self.inner.get(key).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.check()?;
        self.inner.query(query).await
    }
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.check()?;
        self.inner.transact(ops).await
    }
    async fn update(&self, update: Update) -> Result<Item, StoreError> {
        self.check()?;
        self.inner.update(update).await
    }
    async fn health(&self) -> Result<(), StoreError> {
        self.check()?;
        self.inner.health().await
    }
}

struct App {
    base: String,
    store: Arc<Flaky>,
    client: reqwest::Client,
}

impl App {
    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self.client.get(format!("{}{path}", self.base)).send().await.expect("request");
        let status = response.status().as_u16();
        let body = response.json::<Value>().await.unwrap_or(Value::Null);
        (status, body)
    }
}

fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
}

async fn spawn_app() -> App {
    let clock = Arc::new(FakeClock::at(now()));
    let store = Arc::new(Flaky {
        inner: EmbeddedStore::in_memory(clock.clone()).unwrap(),
        broken: AtomicBool::new(false),
    });
    let watchlist: BTreeSet<Ticker> = ["AAPL", "MSFT"].iter().map(|t| Ticker::parse(t).unwrap()).collect();
    let app = router(AppState::new(store.clone(), clock, watchlist));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    App { base, store, client: reqwest::Client::new() }
}

async fn seed(
    store: &dyn Store,
    title: &str,
    ticker: &str,
    hours_ago: i64,
    label: SentimentLabel,
    score: f64,
) -> Article {
    let article = Article {
        id: ArticleId::for_title(title),
        title: title.into(),
        summary: None,
        url: "https://example.test/a".into(),
        published_at: now() - Duration::hours(hours_ago),
        tickers: [Ticker::parse(ticker).unwrap()].into_iter().collect(),
        credits: vec![SourceCredit {
            source: SourceKind::Tiingo,
            item_id: "1".into(),
            url: "https://example.test/a".into(),
            publisher: "example.test".into(),
        }],
        sentiment: Sentiment { label, score, confidence: 0.9 },
        model_version: "test".into(),
        explanation: None,
        ingested_at: now(),
    };
    articles::record(store, &article).await.unwrap();
    article
}

#[tokio::test]
async fn health_reports_the_store() {
    let app = spawn_app().await;
    let (status, body) = app.get("/health").await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["store"], "ok");

    app.store.broken.store(true, Ordering::SeqCst);
    let (status, body) = app.get("/health").await;
    assert_eq!(status, 503);
    assert_eq!(body["status"], "unavailable");
    assert!(!body.to_string().contains("injected"), "internal causes stay in the logs");
}

#[tokio::test]
async fn ticker_sentiment_summarises_recent_articles() {
    let app = spawn_app().await;
    seed(&app.store.inner, "Apple soars", "AAPL", 1, SentimentLabel::Positive, 0.8).await;
    seed(&app.store.inner, "Apple rallies", "AAPL", 2, SentimentLabel::Positive, 0.6).await;
    seed(&app.store.inner, "Apple holds event", "AAPL", 3, SentimentLabel::Neutral, 0.0).await;
    seed(&app.store.inner, "Apple slumped last month", "AAPL", 24 * 20, SentimentLabel::Negative, -0.9).await;

    let (status, body) = app.get("/api/v2/tickers/aapl/sentiment").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["ticker"], "AAPL");
    assert_eq!(body["window"], "7d");
    assert_eq!(body["counts"]["positive"], 2);
    assert_eq!(body["counts"]["neutral"], 1);
    assert_eq!(body["counts"]["negative"], 0, "outside the 7-day window");
    assert_eq!(body["counts"]["total"], 3);
    assert_eq!(body["label"], "positive");
    let score = body["score"].as_f64().unwrap();
    assert!(score > 0.3 && score < 0.6, "{score}");
    assert!(body["last_updated"].is_string());

    let (_, month) = app.get("/api/v2/tickers/AAPL/sentiment?window=30d").await;
    assert_eq!(month["counts"]["negative"], 1);
}

#[tokio::test]
async fn a_watched_ticker_without_news_has_no_score_yet() {
    let app = spawn_app().await;
    let (status, body) = app.get("/api/v2/tickers/MSFT/sentiment").await;
    assert_eq!(status, 200);
    assert_eq!(body["score"], Value::Null);
    assert_eq!(body["counts"]["total"], 0);
}

#[tokio::test]
async fn bad_and_unknown_tickers_get_json_errors() {
    let app = spawn_app().await;
    let (status, body) = app.get("/api/v2/tickers/ZZZZQ/sentiment").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    for bad in [
        "1ABC",
        "TOOLONGTICKER",
        "A%20B",
        "%F0%9F%93%88",
        "%FF",
        "%C3",
        "AAPL%20",
        "AAPL%0a",
        "%20AAPL",
        "AAPL%09",
    ] {
        let (status, body) = app.get(&format!("/api/v2/tickers/{bad}/sentiment")).await;
        assert_eq!(status, 400, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "invalid_ticker");
    }
    for window in
        ["0h", "91d", "7w", "d", "-1d", "+1d", "99999999999999999999d", "%FF", "7%C3%A9", "%E2%82%AC", ""]
    {
        let (status, body) = app.get(&format!("/api/v2/tickers/AAPL/sentiment?window={window}")).await;
        assert_eq!(status, 400, "{window}: {body}");
        assert_eq!(body["error"]["code"], "invalid_parameter");
    }
}

#[tokio::test]
async fn articles_come_newest_first_and_page() {
    let app = spawn_app().await;
    for i in 0..5 {
        seed(&app.store.inner, &format!("Apple story {i}"), "AAPL", i, SentimentLabel::Neutral, 0.0).await;
    }
    seed(&app.store.inner, "Microsoft story", "MSFT", 10, SentimentLabel::Positive, 0.5).await;

    let (status, body) = app.get("/api/v2/articles?ticker=AAPL&limit=2").await;
    assert_eq!(status, 200);
    let titles: Vec<_> = body["articles"].as_array().unwrap().iter().map(|a| a["title"].clone()).collect();
    assert_eq!(titles, ["Apple story 0", "Apple story 1"]);
    assert_eq!(body["articles"][0]["sentiment"]["label"], "neutral");
    assert_eq!(body["articles"][0]["sources"][0]["source"], "tiingo");

    let mut seen = titles.len();
    let mut cursor = body["next_cursor"].as_str().map(str::to_owned);
    while let Some(c) = cursor {
        let (status, page) = app.get(&format!("/api/v2/articles?ticker=AAPL&limit=2&cursor={c}")).await;
        assert_eq!(status, 200);
        seen += page["articles"].as_array().unwrap().len();
        cursor = page["next_cursor"].as_str().map(str::to_owned);
    }
    assert_eq!(seen, 5);

    let (_, feed) = app.get("/api/v2/articles?limit=100").await;
    let feed = feed["articles"].as_array().unwrap();
    assert_eq!(feed.len(), 6, "the feed spans all tickers");
    assert_eq!(feed.last().unwrap()["title"], "Microsoft story");
}

#[tokio::test]
async fn bad_article_queries_get_json_errors() {
    let app = spawn_app().await;
    for (query, code) in [
        ("limit=0", "invalid_parameter"),
        ("limit=101", "invalid_parameter"),
        ("limit=ten", "invalid_parameter"),
        ("ticker=$$$", "invalid_ticker"),
        ("cursor=garbage", "invalid_cursor"),
        ("cursor=%FF%FE", "invalid_cursor"),
        ("limit=%FF", "invalid_parameter"),
        ("ticker=AAPL&cursor=eyJpIjoicCIsInBrIjoiVElDS0VSI01TRlQiLCJhdCI6IngifQ", "invalid_cursor"),
    ] {
        let (status, body) = app.get(&format!("/api/v2/articles?{query}")).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(body["error"]["code"], code, "{query}");
    }
    let (status, _) = app.get("/api/v2/articles?ticker=NOPE").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn unknown_routes_and_methods_get_json_errors() {
    let app = spawn_app().await;
    let (status, body) = app.get("/api/v1/whatever").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    let response = app.client.post(format!("{}/health", app.base)).body("{}").send().await.unwrap();
    assert_eq!(response.status().as_u16(), 405);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
}

#[tokio::test]
async fn a_store_outage_is_a_503_not_a_500() {
    let app = spawn_app().await;
    app.store.broken.store(true, Ordering::SeqCst);
    for path in ["/api/v2/articles", "/api/v2/tickers/AAPL/sentiment", "/api/v2/articles?ticker=AAPL"] {
        let (status, body) = app.get(path).await;
        assert_eq!(status, 503, "{path}: {body}");
        assert_eq!(body["error"]["code"], "unavailable");
    }
}

/// A store whose queries wait until released, to hold requests in flight.
struct Held {
    inner: EmbeddedStore,
    entered: tokio::sync::Semaphore,
    release: tokio::sync::Semaphore,
}

#[async_trait]
impl Store for Held {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.entered.add_permits(1);
        let _ = self.release.acquire().await.map_err(|_| StoreError::Unavailable("closed".into()))?;
        self.inner.query(query).await
    }
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.inner.transact(ops).await
    }
    async fn update(&self, update: Update) -> Result<Item, StoreError> {
        self.inner.update(update).await
    }
    async fn health(&self) -> Result<(), StoreError> {
        self.inner.health().await
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_beyond_the_in_flight_cap_are_shed_with_retry_after() {
    let clock = Arc::new(FakeClock::at(now()));
    let store = Arc::new(Held {
        inner: EmbeddedStore::in_memory(clock.clone()).unwrap(),
        entered: tokio::sync::Semaphore::new(0),
        release: tokio::sync::Semaphore::new(0),
    });
    let watchlist: BTreeSet<Ticker> = [Ticker::parse("AAPL").unwrap()].into();
    let mut state = AppState::new(store.clone(), clock, watchlist);
    state.limits.max_in_flight = 2;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(state)).await });
    let client = reqwest::Client::new();
    let url = format!("{base}/api/v2/tickers/AAPL/sentiment");
    let held: Vec<_> = (0..2).map(|_| tokio::spawn(client.get(&url).send())).collect();
    // Both are inside the store now, holding the two slots.
    let _ = store.entered.acquire_many(2).await.unwrap();
    let shed = client.get(&url).send().await.unwrap();
    assert_eq!(shed.status().as_u16(), 503);
    assert_eq!(shed.headers()["retry-after"], "1");
    let body: Value = shed.json().await.unwrap();
    assert_eq!(body["error"]["code"], "overloaded");
    store.release.add_permits(2);
    for request in held {
        assert_eq!(request.await.unwrap().unwrap().status().as_u16(), 200);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn health_is_503_while_writes_fail_and_recovers_by_itself() {
    use std::sync::atomic::Ordering;
    use store_embedded::fault::{Faulty, Switches};
    let dir = tempfile::tempdir().unwrap();
    let switches = Arc::new(Switches::default());
    let path = dir.path().join("store.redb");
    let (label, for_backend) = (path.clone(), switches.clone());
    let clock = Arc::new(FakeClock::at(now()));
    let store = Arc::new(
        EmbeddedStore::open_with_backend(
            &label,
            move || Faulty::open(&path, for_backend.clone()),
            clock.clone(),
            store_embedded::Options { reopen_backoff: std::time::Duration::ZERO },
        )
        .unwrap(),
    );
    let app = router(AppState::new(store.clone(), clock, BTreeSet::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let health = || async { reqwest::get(format!("{base}/health")).await.unwrap().status().as_u16() };

    assert_eq!(health().await, 200);
    switches.full.store(true, Ordering::SeqCst);
    let failed = seed_result(&*store, "Written to a full disk").await;
    assert!(failed.is_err());
    assert_eq!(health().await, 503, "a store that cannot write is not healthy");
    switches.full.store(false, Ordering::SeqCst);
    assert_eq!(health().await, 200, "healthy again once space returns");
    assert!(seed_result(&*store, "Written after recovery").await.is_ok());
}

async fn seed_result(store: &dyn Store, title: &str) -> Result<articles::RecordOutcome, StoreError> {
    let article = Article {
        id: ArticleId::for_title(title),
        title: title.into(),
        summary: None,
        url: "https://example.test/a".into(),
        published_at: now(),
        tickers: [Ticker::parse("AAPL").unwrap()].into_iter().collect(),
        credits: vec![SourceCredit {
            source: SourceKind::Tiingo,
            item_id: "1".into(),
            url: "https://example.test/a".into(),
            publisher: "example.test".into(),
        }],
        sentiment: Sentiment { label: SentimentLabel::Neutral, score: 0.0, confidence: 0.9 },
        model_version: "test".into(),
        explanation: None,
        ingested_at: now(),
    };
    articles::record(store, &article).await
}

#[tokio::test]
async fn a_window_covers_exactly_its_length_at_any_minute() {
    // At 21:10, five articles published 30-34 minutes earlier are inside the last hour.
    let at = Utc.with_ymd_and_hms(2026, 11, 28, 21, 10, 0).unwrap();
    let clock = Arc::new(FakeClock::at(at));
    let store = Arc::new(EmbeddedStore::in_memory(clock.clone()).unwrap());
    let publish = |title: &str, minutes_ago: i64, score: f64| {
        let store = store.clone();
        let title = title.to_owned();
        async move {
            let mut article = Article {
                id: ArticleId::for_title(&title),
                title,
                summary: None,
                url: "u".into(),
                published_at: at - Duration::minutes(minutes_ago),
                tickers: [Ticker::parse("AAPL").unwrap()].into_iter().collect(),
                credits: vec![SourceCredit {
                    source: SourceKind::Finnhub,
                    item_id: "1".into(),
                    url: "u".into(),
                    publisher: "p".into(),
                }],
                sentiment: Sentiment { label: SentimentLabel::Positive, score, confidence: 0.9 },
                model_version: "test".into(),
                explanation: None,
                ingested_at: at,
            };
            if score < 0.0 {
                article.sentiment.label = SentimentLabel::Negative;
            }
            articles::record(&*store, &article).await.unwrap();
        }
    };
    for i in 0..5 {
        publish(&format!("Recent story {i}"), 30 + i, 0.5).await;
    }
    // 61 minutes ago: outside the hour, but in its clock hour (20:00-21:00) like the others.
    publish("Just too old", 61, -0.9).await;
    // Spread over the last week, one exactly at its start (inside) and one a minute before.
    for i in 0..15 {
        publish(&format!("Older story {i}"), 60 * 10 * (i + 1), 0.2).await;
    }
    publish("Exactly a week old", 7 * 24 * 60, 0.2).await;
    publish("A week and a minute old", 7 * 24 * 60 + 1, 0.2).await;

    let watchlist: BTreeSet<Ticker> = [Ticker::parse("AAPL").unwrap()].into();
    let app = router(AppState::new(store.clone(), clock, watchlist));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let get = |window: &str| {
        let url = format!("{base}/api/v2/tickers/AAPL/sentiment?window={window}");
        async move { reqwest::get(url).await.unwrap().json::<Value>().await.unwrap() }
    };
    let hour = get("1h").await;
    assert_eq!(hour["counts"]["total"], 5, "{hour}");
    assert_eq!(hour["counts"]["negative"], 0, "{hour}");
    assert!((hour["score"].as_f64().unwrap() - 0.5).abs() < 1e-3, "{hour}");
    let two_hours = get("2h").await;
    assert_eq!(two_hours["counts"]["total"], 6, "{two_hours}");
    let week = get("7d").await;
    assert_eq!(week["counts"]["total"], 22, "5 recent + 1 + 15 older + exactly a week: {week}");
}
