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
    for bad in ["1ABC", "TOOLONGTICKER", "A%20B", "%F0%9F%93%88", "%FF", "%C3"] {
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
