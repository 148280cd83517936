//! Re-scoring after a model change keeps every aggregate exact: a store ingested with model A
//! and then re-scored with model B holds the same articles and the same hourly aggregates
//! (counts by label, score sums, per source) as a store that ingested the same news with B.
//! On the embedded store, and on DynamoDB when `SENTIMENT_TEST_DYNAMODB` names a server.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::model::{Scored, SentimentModel};
use domain::source::{FetchRequest, Fetched, NewsSource, SourceError};
use domain::store::Store;
use domain::table::{aggregates, articles};
use domain::{Explanation, FakeClock, RawArticle, Sentiment, SourceKind, Ticker, WordEffect};
use ingestion::{Pipeline, PipelineConfig};

/// Scores a headline by the words "up" and "down" in it, with a tilt, and explains by them.
struct Words {
    version: &'static str,
    up: f64,
}

impl SentimentModel for Words {
    fn version(&self) -> &str {
        self.version
    }
    fn score(&self, text: &str) -> Sentiment {
        self.score_explained(text, None).sentiment
    }
    fn score_explained(&self, headline: &str, _: Option<&str>) -> Scored {
        let ups = headline.matches("up").count() as f64;
        let downs = headline.matches("down").count() as f64;
        let score = (ups * self.up - downs * 0.35).clamp(-1.0, 1.0);
        let mut words = Vec::new();
        if ups > 0.0 {
            words.push(WordEffect { word: "up".into(), effect: ups * self.up });
        }
        Scored {
            sentiment: Sentiment { label: domain::aggregate::label_for(score), score, confidence: 0.7 },
            explanation: Some(Explanation { words }),
            model_version: self.version.to_owned(),
        }
    }
}

const OLD: Words = Words { version: "words-v1", up: 0.3 };
const NEW: Words = Words { version: "words-v2", up: 0.1 };

struct Upstream {
    kind: SourceKind,
    articles: Vec<RawArticle>,
}

#[async_trait]
impl NewsSource for Upstream {
    fn kind(&self) -> SourceKind {
        self.kind
    }
    async fn fetch(&self, _: &FetchRequest) -> Result<Fetched, SourceError> {
        Ok(Fetched { articles: self.articles.clone(), ..Fetched::default() })
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

fn ticker(s: &str) -> Ticker {
    Ticker::parse(s).unwrap()
}

const TICKERS: [&str; 3] = ["AAPL", "MSFT", "NVDA"];
const WORDS: [&str; 4] = ["up", "down", "up up", "flat"];

/// 24 stories over 12 hours, under one to three tickers; Tiingo reports every one, Finnhub
/// every third (so some aggregates count a story under both sources).
fn news(kind: SourceKind) -> Vec<RawArticle> {
    (0..24)
        .filter(|i| kind == SourceKind::Tiingo || i % 3 == 0)
        .map(|i| RawArticle {
            source: kind,
            source_item_id: format!("{kind}-{i}"),
            title: format!("Story {i} goes {} today", WORDS[i % WORDS.len()]),
            summary: None,
            url: format!("https://example.test/{kind}/{i}"),
            publisher: "example".into(),
            published_at: t0() - Duration::minutes(30 * i as i64),
            crawled_at: None,
            tickers: TICKERS.iter().take(1 + i % 3).map(|s| ticker(s)).collect(),
        })
        .collect()
}

async fn ingest(store: Arc<dyn Store>, clock: Arc<FakeClock>, model: Words) {
    let sources: Vec<Arc<dyn NewsSource>> = vec![
        Arc::new(Upstream { kind: SourceKind::Tiingo, articles: news(SourceKind::Tiingo) }),
        Arc::new(Upstream { kind: SourceKind::Finnhub, articles: news(SourceKind::Finnhub) }),
    ];
    let config = PipelineConfig {
        default_watchlist: TICKERS.iter().map(|s| ticker(s)).collect(),
        lookback: Duration::days(2),
        write_concurrency: 4,
    };
    let summary = Pipeline::new(store, sources, Arc::new(model), clock, config).run_once().await.unwrap();
    assert_eq!(summary.new, 24, "{summary:?}");
}

async fn everything(store: &dyn Store) -> (Vec<domain::Article>, Vec<Vec<domain::aggregate::HourlyBucket>>) {
    let page = articles::feed(store, t0(), 100, None).await.unwrap();
    let mut buckets = Vec::new();
    for t in TICKERS {
        buckets.push(aggregates::load(store, &ticker(t), t0() - Duration::days(1), t0()).await.unwrap());
    }
    (page.articles, buckets)
}

async fn rescoring_keeps_aggregates_exact(old: Arc<dyn Store>, fresh: Arc<dyn Store>, clock: Arc<FakeClock>) {
    ingest(old.clone(), clock.clone(), OLD).await;
    ingest(fresh.clone(), clock.clone(), NEW).await;
    let before = everything(&*old).await;
    assert_ne!(
        before,
        everything(&*fresh).await,
        "the two models must disagree for the test to mean anything"
    );

    let progress = Mutex::new(Vec::new());
    let done = articles::rescore(&*old, &NEW, t0(), false, |d| progress.lock().unwrap().push(d.examined))
        .await
        .unwrap();
    assert_eq!((done.examined, done.rescored, done.current, done.expired), (24, 24, 0, 0), "{done:?}");
    assert_eq!(progress.into_inner().unwrap(), (1..=24).collect::<Vec<_>>());
    assert_eq!(everything(&*old).await, everything(&*fresh).await);

    // Nothing left to do; forcing re-scores with the same model and changes nothing.
    let again = articles::rescore(&*old, &NEW, t0(), false, |_| {}).await.unwrap();
    assert_eq!((again.rescored, again.current), (0, 24));
    let forced = articles::rescore(&*old, &NEW, t0(), true, |_| {}).await.unwrap();
    assert_eq!(forced.rescored, 24);
    assert_eq!(everything(&*old).await, everything(&*fresh).await);

    // And back: the old model's store again.
    articles::rescore(&*old, &OLD, t0(), false, |_| {}).await.unwrap();
    assert_eq!(everything(&*old).await, before);
}

#[tokio::test]
async fn rescoring_keeps_aggregates_exact_embedded() {
    let clock = Arc::new(FakeClock::at(t0()));
    let store = |c: &Arc<FakeClock>| -> Arc<dyn Store> {
        Arc::new(store_embedded::EmbeddedStore::in_memory(c.clone()).unwrap())
    };
    rescoring_keeps_aggregates_exact(store(&clock), store(&clock), clock).await;
}

#[tokio::test]
async fn rescoring_keeps_aggregates_exact_on_dynamodb() {
    let clock = Arc::new(FakeClock::at(t0()));
    let Some(old) = store_dynamodb::testing::fresh_store("rescore_old", clock.clone()).await else { return };
    let Some(fresh) = store_dynamodb::testing::fresh_store("rescore_fresh", clock.clone()).await else {
        return;
    };
    rescoring_keeps_aggregates_exact(Arc::new(old), Arc::new(fresh), clock).await;
}

/// A re-score that races ingestion of the same stories (credits from a second source land
/// while it runs) still leaves each story counted once, under the new score.
#[tokio::test]
async fn rescoring_during_ingestion_counts_each_story_once() {
    let clock = Arc::new(FakeClock::at(t0()));
    let old: Arc<dyn Store> = Arc::new(store_embedded::EmbeddedStore::in_memory(clock.clone()).unwrap());
    let fresh: Arc<dyn Store> = Arc::new(store_embedded::EmbeddedStore::in_memory(clock.clone()).unwrap());
    // The old store first hears only from Tiingo, then Finnhub's reports race the re-score.
    let tiingo: Vec<Arc<dyn NewsSource>> =
        vec![Arc::new(Upstream { kind: SourceKind::Tiingo, articles: news(SourceKind::Tiingo) })];
    let config = PipelineConfig {
        default_watchlist: TICKERS.iter().map(|s| ticker(s)).collect(),
        lookback: Duration::days(2),
        write_concurrency: 4,
    };
    Pipeline::new(old.clone(), tiingo, Arc::new(OLD), clock.clone(), config.clone())
        .run_once()
        .await
        .unwrap();
    let finnhub: Vec<Arc<dyn NewsSource>> =
        vec![Arc::new(Upstream { kind: SourceKind::Finnhub, articles: news(SourceKind::Finnhub) })];
    let credit = Pipeline::new(old.clone(), finnhub, Arc::new(NEW), clock.clone(), config);
    let (rescored, credited) =
        tokio::join!(articles::rescore(&*old, &NEW, t0(), false, |_| {}), credit.run_once());
    rescored.unwrap();
    credited.unwrap();
    // Whatever interleaving happened, a second pass leaves nothing behind.
    articles::rescore(&*old, &NEW, t0(), false, |_| {}).await.unwrap();
    ingest(fresh.clone(), clock, NEW).await;
    assert_eq!(everything(&*old).await, everything(&*fresh).await);
}
