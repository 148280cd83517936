//! The pipeline with the real Tiingo and Finnhub clients, their guards (quota and circuit
//! breaker) and a real embedded store, against fake vendors on loopback (wiremock). Every
//! test counts the requests the fakes received, because the vendors bill and throttle by them.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, TimeZone, Utc};
use circuit_breaker::{BreakerConfig, CircuitBreaker, State};
use domain::model::SentimentModel;
use domain::run::{BreakerState, RunSummary, SourceStatus, SourceSummary};
use domain::source::NewsSource;
use domain::store::Store;
use domain::table::{aggregates, articles};
use domain::{Article, Clock, FakeClock, Sentiment, SourceKind, Ticker};
use ingestion::{Pipeline, PipelineConfig};
use quota::Quotas;
use secrecy::SecretString;
use serde_json::{Value, json};
use sources::finnhub::FinnhubClient;
use sources::tiingo::TiingoClient;
use sources::{Guards, HttpConfig};
use store_embedded::EmbeddedStore;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "sk-live-test-0123";

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
}

/// Counts how many stories were scored, so "scores nothing" is observable.
struct CountingModel {
    inner: Arc<dyn SentimentModel>,
    scored: AtomicUsize,
}

impl SentimentModel for CountingModel {
    fn version(&self) -> &str {
        self.inner.version()
    }
    fn score(&self, text: &str) -> Sentiment {
        self.scored.fetch_add(1, Ordering::SeqCst);
        self.inner.score(text)
    }
    fn score_article(&self, headline: &str, summary: Option<&str>) -> Sentiment {
        self.scored.fetch_add(1, Ordering::SeqCst);
        self.inner.score_article(headline, summary)
    }
}

struct World {
    store: Arc<dyn Store>,
    clock: Arc<FakeClock>,
    model: Arc<CountingModel>,
    guards: Guards,
}

/// A store and clock shared by every pipeline of a test, with the given quotas and breaker.
fn world(quotas: &str, breaker: &str) -> World {
    let clock = Arc::new(FakeClock::at(now()));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()).unwrap());
    let model = Arc::new(CountingModel { inner: scoring::shipped(), scored: AtomicUsize::new(0) });
    let guards = Guards {
        store: store.clone(),
        clock: clock.clone(),
        quotas: quotas.parse::<Quotas>().unwrap(),
        breaker: breaker.parse::<BreakerConfig>().unwrap(),
    };
    World { store, clock, model, guards }
}

fn http(retries: u32) -> HttpConfig {
    HttpConfig {
        timeout: StdDuration::from_secs(2),
        retries,
        retry_backoff: StdDuration::ZERO,
        max_body_bytes: 1 << 20,
    }
}

fn tickers(list: &[&str]) -> BTreeSet<Ticker> {
    list.iter().map(|t| Ticker::parse(t).unwrap()).collect()
}

/// `XA`, `XB`, ...: `n` distinct tickers.
fn many_tickers(n: u8) -> Vec<String> {
    (0..n).map(|i| format!("X{}", char::from(b'A' + i))).collect()
}

impl World {
    fn tiingo(&self, server: &MockServer, http: HttpConfig) -> Arc<dyn NewsSource> {
        let guard = self.guards.for_source(SourceKind::Tiingo, &http);
        Arc::new(TiingoClient::new(&server.uri(), SecretString::from(KEY), http).unwrap().with_guard(guard))
    }

    fn tiingo_paged(&self, server: &MockServer, page_size: u32) -> Arc<dyn NewsSource> {
        let http = http(0);
        let guard = self.guards.for_source(SourceKind::Tiingo, &http);
        Arc::new(
            TiingoClient::new(&server.uri(), SecretString::from(KEY), http)
                .unwrap()
                .with_paging(page_size, 10)
                .with_guard(guard),
        )
    }

    fn finnhub(&self, server: &MockServer, http: HttpConfig) -> Arc<dyn NewsSource> {
        let guard = self.guards.for_source(SourceKind::Finnhub, &http);
        Arc::new(FinnhubClient::new(&server.uri(), SecretString::from(KEY), http).unwrap().with_guard(guard))
    }

    /// A pipeline over `watchlist` reading six days back: one Finnhub range per symbol.
    fn pipeline<S: AsRef<str>>(&self, sources: Vec<Arc<dyn NewsSource>>, watchlist: &[S]) -> Pipeline {
        let list: Vec<&str> = watchlist.iter().map(AsRef::as_ref).collect();
        let config = PipelineConfig {
            default_watchlist: tickers(&list),
            lookback: Duration::days(6),
            write_concurrency: 4,
        };
        let model: Arc<dyn SentimentModel> = self.model.clone();
        Pipeline::new(self.store.clone(), sources, model, self.clock.clone(), config)
    }

    fn breaker(&self, source: SourceKind) -> CircuitBreaker {
        CircuitBreaker::new(self.store.clone(), self.clock.clone(), source.as_str(), self.guards.breaker)
    }

    async fn breaker_state(&self, source: SourceKind) -> State {
        self.breaker(source).state().await.unwrap()
    }

    fn scored(&self) -> usize {
        self.model.scored.load(Ordering::SeqCst)
    }

    /// Every stored article, newest first.
    async fn articles(&self) -> Vec<Article> {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let page = articles::feed(&*self.store, self.clock.now(), 100, cursor).await.unwrap();
            out.extend(page.articles);
            match page.next {
                Some(next) => cursor = Some(next),
                None => return out,
            }
        }
    }
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

fn source(summary: &RunSummary, kind: SourceKind) -> &SourceSummary {
    summary.sources.get(&kind).unwrap_or_else(|| panic!("no {kind} in {summary:#?}"))
}

fn tiingo_item(id: i64, title: &str, published: DateTime<Utc>, tickers: &[&str]) -> Value {
    json!({"id": id, "title": title, "url": format!("https://news.example/{id}"),
        "description": "", "publishedDate": published.to_rfc3339(),
        "crawlDate": published.to_rfc3339(), "source": "reuters.com",
        "tickers": tickers.iter().map(|t| t.to_ascii_lowercase()).collect::<Vec<_>>(), "tags": []})
}

fn finnhub_item(id: i64, headline: &str, published: DateTime<Utc>, related: &str) -> Value {
    json!({"category": "company", "datetime": published.timestamp(), "headline": headline, "id": id,
        "image": "", "related": related, "source": "Reuters", "summary": "",
        "url": format!("https://finnhub.example/{id}")})
}

async fn tiingo_answers(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("GET")).and(path("/tiingo/news")).respond_with(response).mount(server).await;
}

async fn finnhub_answers(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("GET")).and(path("/company-news")).respond_with(response).mount(server).await;
}

async fn finnhub_answers_for(server: &MockServer, symbol: &str, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/company-news"))
        .and(query_param("symbol", symbol))
        .respond_with(response)
        .mount(server)
        .await;
}

fn empty() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!([]))
}

const SIX: [&str; 6] = ["AAPL", "AMZN", "GOOGL", "META", "MSFT", "NVDA"];

// 1. Quota exactly at the limit.

#[tokio::test]
async fn two_concurrent_runs_make_exactly_the_quota_of_calls_and_a_third_makes_none() {
    let w = world("finnhub=3/1h", "failure_threshold=5");
    let server = MockServer::start().await;
    finnhub_answers(&server, empty()).await;
    let a = w.pipeline(vec![w.finnhub(&server, http(0))], &SIX);
    let b = w.pipeline(vec![w.finnhub(&server, http(0))], &SIX);

    let (first, second) = tokio::join!(a.run_once(), b.run_once());
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(requests(&server).await, 3, "{first:#?}\n{second:#?}");
    let statuses = [source(&first, SourceKind::Finnhub).status, source(&second, SourceKind::Finnhub).status];
    assert!(statuses.contains(&SourceStatus::Throttled), "{statuses:?}");
    let guard = source(&first, SourceKind::Finnhub).guard.clone().expect("live sources report their guard");
    let quota = guard.quota.iter().find(|q| q.window == "1h").unwrap();
    assert_eq!((quota.used, quota.limit, quota.remaining), (3, 3, 0), "{guard:?}");

    let third = w.pipeline(vec![w.finnhub(&server, http(0))], &SIX).run_once().await.unwrap();
    assert_eq!(requests(&server).await, 3, "a spent quota makes no call: {third:#?}");
    assert_eq!(source(&third, SourceKind::Finnhub).status, SourceStatus::Throttled);
    assert!(source(&third, SourceKind::Finnhub).throttled >= 1, "{third:#?}");
}

#[tokio::test]
async fn the_quota_comes_back_when_its_window_ends() {
    let w = world("finnhub=3/1h", "failure_threshold=5");
    let server = MockServer::start().await;
    finnhub_answers(&server, empty()).await;
    w.pipeline(vec![w.finnhub(&server, http(0))], &SIX).run_once().await.unwrap();
    assert_eq!(requests(&server).await, 3);
    // 12:00 is the window's start; 12:59 is still inside it.
    w.clock.advance(Duration::minutes(59));
    w.pipeline(vec![w.finnhub(&server, http(0))], &SIX).run_once().await.unwrap();
    assert_eq!(requests(&server).await, 3);
    w.clock.advance(Duration::minutes(2));
    let later = w.pipeline(vec![w.finnhub(&server, http(0))], &SIX).run_once().await.unwrap();
    assert_eq!(requests(&server).await, 6, "{later:#?}");
}

// 2. Upstream throttling.

#[tokio::test]
async fn a_finnhub_429_with_a_reset_header_blocks_until_the_reset() {
    let w = world("", "failure_threshold=5");
    let server = MockServer::start().await;
    let reset = w.clock.now() + Duration::minutes(10);
    finnhub_answers(
        &server,
        ResponseTemplate::new(429)
            .insert_header("x-ratelimit-reset", reset.timestamp().to_string().as_str())
            .set_body_json(json!({"error": "API limit reached. Please try again later."})),
    )
    .await;
    let run = || w.pipeline(vec![w.finnhub(&server, http(2))], &["AAPL", "MSFT"]);

    let first = run().run_once().await.unwrap();
    assert_eq!(requests(&server).await, 1, "a 429 is neither retried nor followed by other symbols");
    let finnhub = source(&first, SourceKind::Finnhub);
    assert_eq!(finnhub.status, SourceStatus::Throttled, "{first:#?}");
    assert_eq!(finnhub.throttled, 1);
    assert!(finnhub.guard.as_ref().unwrap().blocked_until.is_some(), "{finnhub:?}");
    assert_eq!(w.breaker_state(SourceKind::Finnhub).await, State::Closed { consecutive_failures: 0 });

    let second = run().run_once().await.unwrap();
    assert_eq!(requests(&server).await, 1, "blocked: no call ({second:#?})");
    assert_eq!(source(&second, SourceKind::Finnhub).status, SourceStatus::Throttled);

    server.reset().await;
    finnhub_answers(&server, empty()).await;
    w.clock.set(reset + Duration::seconds(1));
    let third = run().run_once().await.unwrap();
    assert_eq!(requests(&server).await, 2, "calls resume after the reset: {third:#?}");
    assert_eq!(source(&third, SourceKind::Finnhub).status, SourceStatus::Ok);
}

#[tokio::test]
async fn a_finnhub_429_holds_off_for_the_time_its_reset_header_names() {
    let w = world("", "failure_threshold=5");
    let server = MockServer::start().await;
    let reset = w.clock.now() + Duration::minutes(10);
    finnhub_answers(
        &server,
        ResponseTemplate::new(429)
            .insert_header("x-ratelimit-reset", reset.timestamp().to_string().as_str())
            .set_body_json(json!({"error": "API limit reached. Please try again later."})),
    )
    .await;
    let run = || w.pipeline(vec![w.finnhub(&server, http(0))], &["AAPL"]);
    let first = run().run_once().await.unwrap();
    let blocked = source(&first, SourceKind::Finnhub).guard.as_ref().unwrap().blocked_until;
    assert_eq!(blocked, Some(reset), "the block lasts until the header's reset: {first:#?}");
    // Five minutes on, the vendor's reset is still five minutes away.
    w.clock.advance(Duration::minutes(5));
    let second = run().run_once().await.unwrap();
    assert_eq!(requests(&server).await, 1, "no call before the reset: {second:#?}");
}

#[tokio::test]
async fn a_finnhub_429_without_headers_holds_off_a_minute() {
    let w = world("", "failure_threshold=5");
    let server = MockServer::start().await;
    finnhub_answers(&server, ResponseTemplate::new(429).set_body_string("Too Many Requests")).await;
    let run = || w.pipeline(vec![w.finnhub(&server, http(2))], &["AAPL", "MSFT"]);

    let first = run().run_once().await.unwrap();
    assert_eq!(requests(&server).await, 1);
    assert_eq!(source(&first, SourceKind::Finnhub).status, SourceStatus::Throttled, "{first:#?}");
    assert_eq!(first.status, SourceStatus::Partial, "throttled is not failed");
    assert!(!first.failed());

    w.clock.advance(Duration::seconds(30));
    run().run_once().await.unwrap();
    assert_eq!(requests(&server).await, 1, "still held off");

    server.reset().await;
    finnhub_answers(&server, empty()).await;
    w.clock.advance(Duration::seconds(31));
    let third = run().run_once().await.unwrap();
    assert_eq!(requests(&server).await, 2, "{third:#?}");
    assert_eq!(source(&third, SourceKind::Finnhub).status, SourceStatus::Ok);
}

#[tokio::test]
async fn tiingos_plain_text_allocation_message_throttles_until_the_hour_ends() {
    let w = world("", "failure_threshold=5");
    let server = MockServer::start().await;
    tiingo_answers(
        &server,
        ResponseTemplate::new(200).set_body_raw(
            "You have run over your hourly request allocation. Please upgrade at https://api.tiingo.com/pricing",
            "text/plain",
        ),
    )
    .await;
    let run = || w.pipeline(vec![w.tiingo(&server, http(2))], &["AAPL"]);

    let first = run().run_once().await.unwrap();
    assert_eq!(requests(&server).await, 1);
    let tiingo = source(&first, SourceKind::Tiingo);
    assert_eq!(tiingo.status, SourceStatus::Throttled, "{first:#?}");
    assert!(!first.failed(), "{first:#?}");
    let hour_end = Utc.with_ymd_and_hms(2026, 11, 28, 13, 0, 0).unwrap();
    assert_eq!(tiingo.guard.as_ref().unwrap().blocked_until, Some(hour_end), "{tiingo:?}");

    w.clock.set(hour_end - Duration::seconds(1));
    let second = run().run_once().await.unwrap();
    assert_eq!(requests(&server).await, 1, "no call until the hour ends: {second:#?}");

    server.reset().await;
    tiingo_answers(&server, empty()).await;
    w.clock.set(hour_end + Duration::seconds(1));
    let third = run().run_once().await.unwrap();
    assert_eq!(requests(&server).await, 1, "one page, after the hour: {third:#?}");
    assert_eq!(source(&third, SourceKind::Tiingo).status, SourceStatus::Ok);
}

// 3. Circuit breaker.

#[tokio::test]
async fn a_failing_finnhub_opens_its_breaker_after_three_calls_and_tiingo_still_delivers() {
    let w = world("", "failure_threshold=3,open_for=60s,half_open_probes=1");
    let finnhub = MockServer::start().await;
    let tiingo = MockServer::start().await;
    finnhub_answers(&finnhub, ResponseTemplate::new(500).set_body_json(json!({"error": "internal"}))).await;
    let story = tiingo_item(1, "Apple opens a new campus", now() - Duration::hours(2), &["XA"]);
    tiingo_answers(&tiingo, ResponseTemplate::new(200).set_body_json(json!([story]))).await;
    let symbols = many_tickers(20);
    let run = || w.pipeline(vec![w.tiingo(&tiingo, http(0)), w.finnhub(&finnhub, http(0))], &symbols);

    let first = run().run_once().await.unwrap();
    assert_eq!(requests(&finnhub).await, 3, "{first:#?}");
    let f = source(&first, SourceKind::Finnhub);
    assert!(matches!(f.status, SourceStatus::CircuitOpen | SourceStatus::Failed), "{f:?}");
    assert_eq!(f.guard.as_ref().unwrap().breaker, BreakerState::Open, "{f:?}");
    let t = source(&first, SourceKind::Tiingo);
    assert_eq!((t.status, t.fetched, t.new), (SourceStatus::Ok, 1, 1), "{t:?}");
    assert_eq!(first.status, SourceStatus::Partial);
    assert_eq!(requests(&tiingo).await, 1);

    w.clock.advance(Duration::seconds(30));
    let second = run().run_once().await.unwrap();
    assert_eq!(requests(&finnhub).await, 3, "an open breaker makes no call: {second:#?}");
    assert_eq!(source(&second, SourceKind::Finnhub).status, SourceStatus::CircuitOpen);

    // Past open_for: one probe, which fails, and the breaker opens again.
    w.clock.advance(Duration::seconds(31));
    let third = run().run_once().await.unwrap();
    assert_eq!(requests(&finnhub).await, 4, "exactly one probe: {third:#?}");
    assert_eq!(source(&third, SourceKind::Finnhub).guard.as_ref().unwrap().breaker, BreakerState::Open);

    // Next time the probe succeeds: the breaker closes and every symbol is asked.
    finnhub.reset().await;
    finnhub_answers(&finnhub, empty()).await;
    w.clock.advance(Duration::seconds(61));
    let fourth = run().run_once().await.unwrap();
    assert_eq!(requests(&finnhub).await, 20, "{fourth:#?}");
    let f = source(&fourth, SourceKind::Finnhub);
    assert_eq!((f.status, f.guard.as_ref().unwrap().breaker), (SourceStatus::Ok, BreakerState::Closed));
    assert_eq!(w.breaker_state(SourceKind::Finnhub).await, State::Closed { consecutive_failures: 0 });
    assert_eq!(fourth.status, SourceStatus::Ok);
}

#[tokio::test]
async fn retries_of_a_failing_call_are_one_breaker_event_but_each_costs_quota() {
    let w = world("finnhub=100/1h", "failure_threshold=3,open_for=60s");
    let server = MockServer::start().await;
    finnhub_answers(&server, ResponseTemplate::new(503).set_body_string("busy")).await;
    let run = w.pipeline(vec![w.finnhub(&server, http(2))], &many_tickers(20)).run_once().await.unwrap();
    assert_eq!(requests(&server).await, 9, "three calls of three attempts each: {run:#?}");
    let guard = source(&run, SourceKind::Finnhub).guard.clone().unwrap();
    assert_eq!(guard.breaker, BreakerState::Open);
    assert_eq!(guard.quota.iter().find(|q| q.window == "1h").unwrap().used, 9, "{guard:?}");
}

// 4. What counts as a breaker failure.

#[tokio::test]
async fn a_403_not_entitled_counts_towards_opening_the_breaker() {
    let w = world("", "failure_threshold=2,open_for=60s");
    let server = MockServer::start().await;
    finnhub_answers(
        &server,
        ResponseTemplate::new(403).set_body_json(json!({"error": "You don't have access to this resource."})),
    )
    .await;
    let run = || w.pipeline(vec![w.finnhub(&server, http(2))], &["AAPL", "MSFT"]);

    let first = run().run_once().await.unwrap();
    assert_eq!(requests(&server).await, 1, "a 403 is not retried and ends the run: {first:#?}");
    assert_eq!(source(&first, SourceKind::Finnhub).status, SourceStatus::Failed);
    assert_eq!(w.breaker_state(SourceKind::Finnhub).await, State::Closed { consecutive_failures: 1 });

    let second = run().run_once().await.unwrap();
    assert_eq!(requests(&server).await, 2);
    assert_eq!(source(&second, SourceKind::Finnhub).guard.as_ref().unwrap().breaker, BreakerState::Open);

    let third = run().run_once().await.unwrap();
    assert_eq!(requests(&server).await, 2, "{third:#?}");
    assert_eq!(source(&third, SourceKind::Finnhub).status, SourceStatus::CircuitOpen);
}

#[tokio::test]
async fn a_404_for_an_unknown_ticker_is_an_answer_not_a_failure() {
    let w = world("", "failure_threshold=2,open_for=60s");
    let server = MockServer::start().await;
    let down = || ResponseTemplate::new(500).set_body_json(json!({"error": "internal"}));
    let unknown = || ResponseTemplate::new(404).set_body_json(json!({"error": "Symbol not found"}));
    // Asked in order: a failure, an answer, a failure, an answer. Were the 404s failures (or
    // did they not reset the count), two failures in a row would open the breaker.
    finnhub_answers_for(&server, "AAPL", down()).await;
    finnhub_answers_for(&server, "MMMM", unknown()).await;
    finnhub_answers_for(&server, "NVDA", down()).await;
    finnhub_answers_for(&server, "ZZZZ", unknown()).await;

    let run = w
        .pipeline(vec![w.finnhub(&server, http(0))], &["AAPL", "MMMM", "NVDA", "ZZZZ"])
        .run_once()
        .await
        .unwrap();
    assert_eq!(requests(&server).await, 4, "{run:#?}");
    let f = source(&run, SourceKind::Finnhub);
    assert_eq!(f.guard.as_ref().unwrap().breaker, BreakerState::Closed, "{f:?}");
    assert_eq!(w.breaker_state(SourceKind::Finnhub).await, State::Closed { consecutive_failures: 0 });
}

// 5. Story identity.

#[tokio::test]
async fn the_same_headline_from_both_vendors_three_hours_apart_is_one_article_credited_to_both() {
    let w = world("", "");
    let tiingo = MockServer::start().await;
    let finnhub = MockServer::start().await;
    let headline = "Apple opens a new campus in Austin";
    tiingo_answers(
        &tiingo,
        ResponseTemplate::new(200).set_body_json(json!([tiingo_item(
            101,
            headline,
            now() - Duration::hours(5),
            &["AAPL"]
        )])),
    )
    .await;
    finnhub_answers(
        &finnhub,
        ResponseTemplate::new(200).set_body_json(json!([finnhub_item(
            9001,
            headline,
            now() - Duration::hours(2),
            "AAPL"
        )])),
    )
    .await;
    let run = w
        .pipeline(vec![w.tiingo(&tiingo, http(0)), w.finnhub(&finnhub, http(0))], &["AAPL"])
        .run_once()
        .await
        .unwrap();
    let stored = w.articles().await;
    assert_eq!(stored.len(), 1, "{stored:#?}");
    assert!(stored[0].is_credited_to(SourceKind::Tiingo) && stored[0].is_credited_to(SourceKind::Finnhub));
    assert_eq!((run.fetched, run.new, run.duplicates), (2, 1, 1), "{run:#?}");
    assert_eq!(w.scored(), 1);
}

#[tokio::test]
async fn a_vendor_reporting_a_story_in_a_later_run_credits_the_stored_article() {
    let w = world("", "");
    let tiingo = MockServer::start().await;
    let finnhub = MockServer::start().await;
    let headline = "Apple opens a new campus in Austin";
    let t = tiingo_item(101, headline, now() - Duration::hours(5), &["AAPL"]);
    tiingo_answers(&tiingo, ResponseTemplate::new(200).set_body_json(json!([t]))).await;
    let f = finnhub_item(9001, headline, now() - Duration::hours(2), "AAPL");
    finnhub_answers(&finnhub, ResponseTemplate::new(200).set_body_json(json!([f]))).await;

    w.pipeline(vec![w.tiingo(&tiingo, http(0))], &["AAPL"]).run_once().await.unwrap();
    let later = w.pipeline(vec![w.finnhub(&finnhub, http(0))], &["AAPL"]).run_once().await.unwrap();
    let f = source(&later, SourceKind::Finnhub);
    assert_eq!((f.fetched, f.new, f.duplicates, f.credited), (1, 0, 1, 1), "{f:?}");
    let stored = w.articles().await;
    assert_eq!(stored.len(), 1, "{stored:#?}");
    assert!(stored[0].is_credited_to(SourceKind::Finnhub));
    assert_eq!(w.scored(), 1, "a known story is not scored again");
}

#[tokio::test]
async fn the_same_headline_five_days_apart_is_two_articles() {
    let w = world("", "");
    let tiingo = MockServer::start().await;
    let headline = "Fed leaves rates unchanged";
    let items = json!([
        tiingo_item(202, headline, now() - Duration::hours(1), &["SPY"]),
        tiingo_item(201, headline, now() - Duration::days(5) - Duration::hours(1), &["SPY"]),
    ]);
    tiingo_answers(&tiingo, ResponseTemplate::new(200).set_body_json(items)).await;
    let run = w.pipeline(vec![w.tiingo(&tiingo, http(0))], &["SPY"]).run_once().await.unwrap();
    assert_eq!((run.fetched, run.new), (2, 2), "{run:#?}");
    assert_eq!(w.articles().await.len(), 2);

    // And in separate runs: the old one stored first, the new one later.
    let w = world("", "");
    let old = MockServer::start().await;
    let old_item = tiingo_item(201, headline, now() - Duration::days(5) - Duration::hours(1), &["SPY"]);
    tiingo_answers(&old, ResponseTemplate::new(200).set_body_json(json!([old_item]))).await;
    w.pipeline(vec![w.tiingo(&old, http(0))], &["SPY"]).run_once().await.unwrap();
    let new = MockServer::start().await;
    let new_item = tiingo_item(202, headline, now() - Duration::hours(1), &["SPY"]);
    tiingo_answers(&new, ResponseTemplate::new(200).set_body_json(json!([new_item]))).await;
    let later = w.pipeline(vec![w.tiingo(&new, http(0))], &["SPY"]).run_once().await.unwrap();
    assert_eq!(later.new, 1, "{later:#?}");
    assert_eq!(w.articles().await.len(), 2);
}

#[tokio::test]
async fn a_tiingo_item_on_two_pages_and_in_two_runs_is_one_article_and_a_rerun_scores_nothing() {
    let w = world("", "");
    let server = MockServer::start().await;
    let item = |id: i64, hours: i64| {
        tiingo_item(id, &format!("Story number {id}"), now() - Duration::hours(hours), &["AAPL"])
    };
    let page = |offset: &str, body: Value| {
        Mock::given(path("/tiingo/news"))
            .and(query_param("offset", offset))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
    };
    // The feed moved while we paged: item 302 shows up on both pages.
    page("0", json!([item(301, 1), item(302, 2)])).mount(&server).await;
    page("2", json!([item(302, 2), item(303, 3)])).mount(&server).await;
    page("4", json!([])).mount(&server).await;

    let first = w.pipeline(vec![w.tiingo_paged(&server, 2)], &["AAPL"]).run_once().await.unwrap();
    assert_eq!(requests(&server).await, 3);
    assert_eq!((first.fetched, first.new), (3, 3), "{first:#?}");
    assert_eq!(w.scored(), 3);

    w.clock.advance(Duration::minutes(15));
    let second = w.pipeline(vec![w.tiingo_paged(&server, 2)], &["AAPL"]).run_once().await.unwrap();
    assert_eq!(second.new, 0, "{second:#?}");
    assert_eq!(second.duplicates, second.fetched, "{second:#?}");
    // The watermark (item 301's crawl) stops paging at the first older item: one page.
    assert_eq!(second.fetched, 2, "{second:#?}");
    assert_eq!(requests(&server).await, 4);
    assert_eq!(w.scored(), 3, "an unchanged feed is not scored again");
    assert_eq!(w.articles().await.len(), 3);
}

/// Both vendors: four stories, three of them reported by both, one Finnhub item sent under
/// two symbols.
async fn mixed_feed() -> (MockServer, MockServer) {
    let tiingo = MockServer::start().await;
    let finnhub = MockServer::start().await;
    let at = |hours: i64| now() - Duration::hours(hours);
    let t = json!([
        tiingo_item(1, "Apple beats earnings expectations", at(3), &["AAPL"]),
        tiingo_item(2, "Microsoft cloud revenue slows", at(4), &["MSFT"]),
        tiingo_item(3, "Nvidia shares surge on AI demand", at(5), &["NVDA", "AAPL"]),
    ]);
    tiingo_answers(&tiingo, ResponseTemplate::new(200).set_body_json(t)).await;
    let nvda = finnhub_item(13, "Nvidia shares surge on AI demand", at(5), "NVDA,AAPL");
    let aapl = json!([
        finnhub_item(11, "Apple beats earnings expectations", at(2), "AAPL"),
        finnhub_item(12, "Apple faces an EU fine", at(6), "AAPL"),
        nvda.clone(),
    ]);
    finnhub_answers_for(&finnhub, "AAPL", ResponseTemplate::new(200).set_body_json(aapl)).await;
    let msft = json!([finnhub_item(14, "Microsoft cloud revenue slows", at(4), "MSFT")]);
    finnhub_answers_for(&finnhub, "MSFT", ResponseTemplate::new(200).set_body_json(msft)).await;
    finnhub_answers_for(&finnhub, "NVDA", ResponseTemplate::new(200).set_body_json(json!([nvda]))).await;
    (tiingo, finnhub)
}

const MIXED: [&str; 3] = ["AAPL", "MSFT", "NVDA"];

#[tokio::test]
async fn a_second_run_over_an_unchanged_feed_scores_nothing() {
    let w = world("", "");
    let (tiingo, finnhub) = mixed_feed().await;
    let run = || w.pipeline(vec![w.tiingo(&tiingo, http(0)), w.finnhub(&finnhub, http(0))], &MIXED);
    let first = run().run_once().await.unwrap();
    assert_eq!(first.new, 4, "{first:#?}");
    assert_eq!(w.scored(), 4);
    assert_eq!(w.articles().await.len(), 4);

    w.clock.advance(Duration::minutes(15));
    let second = run().run_once().await.unwrap();
    assert_eq!(second.new, 0, "{second:#?}");
    assert_eq!(second.duplicates, second.fetched, "{second:#?}");
    assert_eq!(w.scored(), 4, "nothing scored twice");
    assert_eq!(w.articles().await.len(), 4);
}

// 6. Concurrent runs.

async fn buckets(w: &World) -> Vec<(String, Vec<domain::aggregate::HourlyBucket>)> {
    let mut out = Vec::new();
    for ticker in MIXED {
        let ticker = Ticker::parse(ticker).unwrap();
        let mut found =
            aggregates::load(&*w.store, &ticker, now() - Duration::days(7), now() + Duration::hours(1))
                .await
                .unwrap();
        for bucket in &mut found {
            bucket.updated_at = None;
        }
        out.push((ticker.to_string(), found));
    }
    out
}

#[tokio::test]
async fn two_concurrent_runs_store_each_story_once_with_a_single_runs_aggregates() {
    let (tiingo, finnhub) = mixed_feed().await;

    let single = world("", "");
    single
        .pipeline(vec![single.tiingo(&tiingo, http(0)), single.finnhub(&finnhub, http(0))], &MIXED)
        .run_once()
        .await
        .unwrap();

    let w = world("", "");
    let a = w.pipeline(vec![w.tiingo(&tiingo, http(0)), w.finnhub(&finnhub, http(0))], &MIXED);
    let b = w.pipeline(vec![w.tiingo(&tiingo, http(0)), w.finnhub(&finnhub, http(0))], &MIXED);
    let (first, second) = tokio::join!(a.run_once(), b.run_once());
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.new + second.new, 4, "{first:#?}\n{second:#?}");
    // Both runs may score a story before either stores it (scoring comes before the write);
    // never more than once per run.
    assert!((4..=8).contains(&w.scored()), "scored {} times", w.scored());

    let stored = w.articles().await;
    let titles: BTreeSet<&str> = stored.iter().map(|a| a.title.as_str()).collect();
    assert_eq!(stored.len(), 4, "{stored:#?}");
    assert_eq!(titles.len(), 4);
    let both = stored
        .iter()
        .filter(|a| a.is_credited_to(SourceKind::Tiingo) && a.is_credited_to(SourceKind::Finnhub))
        .count();
    assert_eq!(both, 3, "{stored:#?}");
    assert_eq!(buckets(&w).await, buckets(&single).await);
}

// 7. Broken answers.

#[tokio::test]
async fn a_truncated_body_keeps_the_items_before_the_break_and_the_run_is_partial() {
    let w = world("", "");
    let tiingo = MockServer::start().await;
    let finnhub = MockServer::start().await;
    let whole = tiingo_item(1, "Apple beats earnings expectations", now() - Duration::hours(1), &["AAPL"]);
    let body = format!("[{whole}, {{\"id\": 2, \"title\": \"Cut off he");
    tiingo_answers(&tiingo, ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;
    let item = finnhub_item(7, "Apple faces an EU fine", now() - Duration::hours(1), "AAPL");
    let body = format!("[{item}, {{\"id\": 8, \"headl");
    finnhub_answers(&finnhub, ResponseTemplate::new(200).set_body_raw(body, "application/json")).await;

    let run = w
        .pipeline(vec![w.tiingo(&tiingo, http(2)), w.finnhub(&finnhub, http(2))], &["AAPL"])
        .run_once()
        .await
        .unwrap();
    for kind in SourceKind::ALL {
        let s = source(&run, kind);
        assert_eq!((s.status, s.fetched, s.new, s.errors), (SourceStatus::Partial, 1, 1, 1), "{kind}: {s:?}");
    }
    assert_eq!((requests(&tiingo).await, requests(&finnhub).await), (1, 1), "malformed is not retried");
    assert_eq!(w.breaker_state(SourceKind::Finnhub).await, State::Closed { consecutive_failures: 0 });
}

#[tokio::test]
async fn an_item_without_an_id_is_counted_malformed_and_the_rest_is_kept() {
    let w = world("", "");
    let tiingo = MockServer::start().await;
    let finnhub = MockServer::start().await;
    let at = now() - Duration::hours(1);
    let mut no_id = tiingo_item(0, "No id here", at, &["AAPL"]);
    no_id.as_object_mut().unwrap().remove("id");
    let t = json!([tiingo_item(1, "Apple beats earnings expectations", at, &["AAPL"]), no_id]);
    tiingo_answers(&tiingo, ResponseTemplate::new(200).set_body_json(t)).await;
    let mut no_id = finnhub_item(0, "No id either", at, "AAPL");
    no_id.as_object_mut().unwrap().remove("id");
    let f = json!([no_id, finnhub_item(7, "Apple faces an EU fine", at, "AAPL")]);
    finnhub_answers(&finnhub, ResponseTemplate::new(200).set_body_json(f)).await;

    let run = w
        .pipeline(vec![w.tiingo(&tiingo, http(0)), w.finnhub(&finnhub, http(0))], &["AAPL"])
        .run_once()
        .await
        .unwrap();
    for kind in SourceKind::ALL {
        let s = source(&run, kind);
        assert_eq!((s.status, s.fetched, s.new, s.malformed), (SourceStatus::Ok, 1, 1, 1), "{kind}: {s:?}");
        assert_eq!(s.rejected_examples.len(), 1, "{s:?}");
    }
    assert_eq!(w.articles().await.len(), 2);
}

#[tokio::test]
async fn a_burst_of_server_errors_then_success_is_retried_into_an_ok_run() {
    let w = world("", "failure_threshold=2");
    let server = MockServer::start().await;
    Mock::given(path("/company-news"))
        .respond_with(ResponseTemplate::new(500).set_body_string("oops"))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    let item = finnhub_item(7, "Apple faces an EU fine", now() - Duration::hours(1), "AAPL");
    finnhub_answers(&server, ResponseTemplate::new(200).set_body_json(json!([item]))).await;

    let run = w.pipeline(vec![w.finnhub(&server, http(2))], &["AAPL"]).run_once().await.unwrap();
    assert_eq!(requests(&server).await, 3);
    let f = source(&run, SourceKind::Finnhub);
    assert_eq!((f.status, f.fetched, f.new, f.errors), (SourceStatus::Ok, 1, 1, 0), "{f:?}");
    assert_eq!(f.guard.as_ref().unwrap().quota.iter().find(|q| q.window == "1m").unwrap().used, 3, "{f:?}");
    assert_eq!(w.breaker_state(SourceKind::Finnhub).await, State::Closed { consecutive_failures: 0 });
}

#[tokio::test]
async fn an_upstream_slower_than_the_timeout_fails_the_source_after_its_retries() {
    let w = world("", "failure_threshold=5");
    let tiingo = MockServer::start().await;
    let finnhub = MockServer::start().await;
    let slow = || empty().set_delay(StdDuration::from_millis(1500));
    tiingo_answers(&tiingo, slow()).await;
    finnhub_answers(&finnhub, slow()).await;
    let config = HttpConfig { timeout: StdDuration::from_millis(300), ..http(1) };

    let run = w
        .pipeline(vec![w.tiingo(&tiingo, config.clone()), w.finnhub(&finnhub, config)], &["AAPL", "MSFT"])
        .run_once()
        .await
        .unwrap();
    assert_eq!(requests(&tiingo).await, 2, "one page, two attempts");
    assert_eq!(requests(&finnhub).await, 4, "two symbols, two attempts each");
    for kind in SourceKind::ALL {
        let s = source(&run, kind);
        assert_eq!(s.status, SourceStatus::Failed, "{kind}: {s:?}");
        assert!(s.error_messages.iter().any(|m| m.contains("no answer within")), "{s:?}");
    }
    assert!(run.failed());
    assert_eq!(w.breaker_state(SourceKind::Finnhub).await, State::Closed { consecutive_failures: 2 });
    assert_eq!(w.breaker_state(SourceKind::Tiingo).await, State::Closed { consecutive_failures: 1 });
}

// The summary's account of calls.

#[tokio::test]
async fn the_summary_does_not_count_calls_the_quota_refused() {
    // Documented on SourceSummary::calls: "Upstream calls made".
    let w = world("finnhub=3/1h", "failure_threshold=5");
    let server = MockServer::start().await;
    finnhub_answers(&server, empty()).await;
    let quota_run = w.pipeline(vec![w.finnhub(&server, http(0))], &SIX).run_once().await.unwrap();
    assert_eq!(requests(&server).await, 3);
    assert_eq!(source(&quota_run, SourceKind::Finnhub).calls, 3, "the refused fourth call was not made");
}
