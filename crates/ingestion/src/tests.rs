use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use domain::configuration::{ConfigName, Configuration, ConfigurationId, WeightedTicker};
use domain::run::SourceStatus;
use domain::source::Fetched;
use domain::table::{aggregates, articles as article_table};
use domain::{ArticleId, FakeClock};
use sources::sample::{self, SampleSource};
use store_embedded::EmbeddedStore;

use super::*;

struct Scripted {
    kind: SourceKind,
    response: Result<Fetched, SourceError>,
    requests: Mutex<Vec<FetchRequest>>,
}

#[async_trait]
impl NewsSource for Scripted {
    fn kind(&self) -> SourceKind {
        self.kind
    }
    async fn fetch(&self, request: &FetchRequest) -> Result<Fetched, SourceError> {
        self.requests.lock().unwrap().push(request.clone());
        self.response.clone()
    }
}

fn scripted(kind: SourceKind, response: Result<Fetched, SourceError>) -> Arc<Scripted> {
    Arc::new(Scripted { kind, response, requests: Mutex::new(Vec::new()) })
}

struct World {
    store: Arc<dyn Store>,
    clock: Arc<FakeClock>,
}

fn world() -> World {
    let clock = Arc::new(FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()).unwrap());
    World { store, clock }
}

fn config() -> PipelineConfig {
    PipelineConfig {
        default_watchlist: sample::tickers().into_iter().collect(),
        lookback: Duration::days(30),
        write_concurrency: 4,
    }
}

impl World {
    fn pipeline(&self, sources: Vec<Arc<dyn NewsSource>>) -> Pipeline {
        Pipeline::new(self.store.clone(), sources, scoring::shipped(), self.clock.clone(), config())
    }

    fn sample(&self) -> Pipeline {
        self.pipeline(SampleSource::both(self.clock.clone()))
    }
}

fn raw(source: SourceKind, id: &str, title: &str, tickers: &[&str]) -> RawArticle {
    RawArticle {
        source,
        source_item_id: id.into(),
        title: title.into(),
        summary: None,
        url: format!("https://example.test/{id}"),
        publisher: "example".into(),
        published_at: Utc.with_ymd_and_hms(2026, 11, 28, 10, 30, 0).unwrap(),
        crawled_at: None,
        tickers: tickers.iter().map(|t| Ticker::parse(t).unwrap()).collect(),
    }
}

fn fetched(articles: Vec<RawArticle>) -> Result<Fetched, SourceError> {
    Ok(Fetched { articles, ..Fetched::default() })
}

#[tokio::test]
async fn a_second_run_over_the_same_input_adds_nothing() {
    let w = world();
    let first = w.sample().run_once().await.unwrap();
    // The corpus (tools/generate-sample-corpus.py): 344 Tiingo items, 2 without tickers; 250
    // Finnhub items, 90 of them stories Tiingo also has.
    assert_eq!((first.fetched, first.new, first.errors), (594, 502, 0), "{first:#?}");
    let tiingo = &first.sources[&SourceKind::Tiingo];
    let finnhub = &first.sources[&SourceKind::Finnhub];
    assert_eq!(
        (tiingo.fetched, tiingo.new, tiingo.skipped, tiingo.duplicates),
        (344, 342, 2, 0),
        "{tiingo:?}"
    );
    assert_eq!(
        (finnhub.fetched, finnhub.new, finnhub.duplicates, finnhub.credited),
        (250, 160, 90, 90),
        "{finnhub:?}"
    );

    w.clock.advance(Duration::minutes(15));
    let second = w.sample().run_once().await.unwrap();
    assert_eq!(second.new, 0, "{second:#?}");
    assert_eq!(second.fetched, first.fetched);
    assert_eq!(second.duplicates, first.fetched - tiingo.skipped);
}

#[tokio::test]
async fn aggregates_count_each_story_once() {
    let w = world();
    w.sample().run_once().await.unwrap();
    w.sample().run_once().await.unwrap();
    let aapl = Ticker::parse("AAPL").unwrap();
    let now = w.clock.now();
    let buckets = aggregates::load(&*w.store, &aapl, now - Duration::days(60), now).await.unwrap();
    let counted: i64 = buckets.iter().map(|b| b.articles()).sum();
    let mut stored = 0;
    let mut by_source = [0_i64; 2];
    let mut cursor = None;
    loop {
        let page = article_table::for_ticker(&*w.store, &aapl, 100, cursor).await.unwrap();
        stored += page.articles.len() as i64;
        for article in &page.articles {
            for (i, source) in SourceKind::ALL.into_iter().enumerate() {
                by_source[i] += i64::from(article.is_credited_to(source));
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert!(stored > 20);
    assert_eq!(counted, stored, "hourly aggregates agree with the stored articles");
    let tiingo: i64 = buckets.iter().map(|b| b.tiingo.articles).sum();
    let finnhub: i64 = buckets.iter().map(|b| b.finnhub.articles).sum();
    assert_eq!([tiingo, finnhub], by_source, "per-source counts agree with the articles' credits");
    assert!(tiingo + finnhub > stored, "some stories were reported by both sources");
}

#[tokio::test]
async fn a_second_source_reporting_a_known_story_is_counted_for_that_source_only() {
    let w = world();
    let story = |kind| scripted(kind, fetched(vec![raw(kind, "7", "Nvidia unveils a new chip", &["nvda"])]));
    w.pipeline(vec![story(SourceKind::Tiingo)]).run_once().await.unwrap();
    w.pipeline(vec![story(SourceKind::Finnhub)]).run_once().await.unwrap();
    w.pipeline(vec![story(SourceKind::Finnhub)]).run_once().await.unwrap();
    let nvda = Ticker::parse("NVDA").unwrap();
    let now = w.clock.now();
    let buckets = aggregates::load(&*w.store, &nvda, now - Duration::days(3), now).await.unwrap();
    let total: i64 = buckets.iter().map(|b| b.articles()).sum();
    let tiingo: i64 = buckets.iter().map(|b| b.tiingo.articles).sum();
    let finnhub: i64 = buckets.iter().map(|b| b.finnhub.articles).sum();
    assert_eq!((total, tiingo, finnhub), (1, 1, 1));
    let score_sum: i64 = buckets.iter().map(|b| b.score_sum).sum();
    assert_eq!(buckets.iter().map(|b| b.finnhub.score_sum).sum::<i64>(), score_sum);
}

#[tokio::test]
async fn the_same_story_from_two_sources_is_one_article_credited_to_both() {
    let w = world();
    let tiingo = scripted(
        SourceKind::Tiingo,
        fetched(vec![raw(SourceKind::Tiingo, "1", "Apple beats estimates!", &["aapl"])]),
    );
    let finnhub = scripted(
        SourceKind::Finnhub,
        fetched(vec![raw(SourceKind::Finnhub, "9", "APPLE beats estimates", &["AAPL", "MSFT"])]),
    );
    let summary = w.pipeline(vec![tiingo, finnhub]).run_once().await.unwrap();
    assert_eq!(summary.new, 1);
    assert_eq!(summary.sources[&SourceKind::Finnhub].duplicates, 1);
    let id = ArticleId::for_title("Apple beats estimates");
    let article = article_table::get(&*w.store, &id).await.unwrap().unwrap();
    let credited: Vec<_> = article.credits.iter().map(|c| c.source).collect();
    assert_eq!(credited, [SourceKind::Tiingo, SourceKind::Finnhub]);
    assert_eq!(article.tickers.len(), 2, "tickers from both reports");
}

#[tokio::test]
async fn a_later_report_from_another_source_credits_without_recounting() {
    let w = world();
    let story = |s| raw(s, "1", "Nvidia raises guidance", &["NVDA"]);
    let only_tiingo = scripted(SourceKind::Tiingo, fetched(vec![story(SourceKind::Tiingo)]));
    w.pipeline(vec![only_tiingo]).run_once().await.unwrap();
    let finnhub = scripted(SourceKind::Finnhub, fetched(vec![story(SourceKind::Finnhub)]));
    let summary = w.pipeline(vec![finnhub]).run_once().await.unwrap();
    let f = &summary.sources[&SourceKind::Finnhub];
    assert_eq!((f.new, f.duplicates, f.credited), (0, 1, 1));
    let nvda = Ticker::parse("NVDA").unwrap();
    let now = w.clock.now();
    let buckets = aggregates::load(&*w.store, &nvda, now - Duration::days(1), now).await.unwrap();
    assert_eq!(buckets.iter().map(|b| b.articles()).sum::<i64>(), 1);
}

#[tokio::test]
async fn one_failing_source_does_not_stop_the_other() {
    let w = world();
    let down = scripted(SourceKind::Tiingo, Err(SourceError::Unauthorized("Invalid token.".into())));
    let up = scripted(
        SourceKind::Finnhub,
        fetched(vec![raw(SourceKind::Finnhub, "1", "Tesla recalls vehicles", &["TSLA"])]),
    );
    let summary = w.pipeline(vec![down, up]).run_once().await.unwrap();
    assert_eq!(summary.sources[&SourceKind::Tiingo].status, SourceStatus::Failed);
    assert!(summary.sources[&SourceKind::Tiingo].error_messages[0].contains("Invalid token"));
    assert_eq!(summary.new, 1);
    assert!(!summary.failed());

    let both_down = vec![
        scripted(SourceKind::Tiingo, Err(SourceError::Network("refused".into()))) as Arc<dyn NewsSource>,
        scripted(SourceKind::Finnhub, Err(SourceError::Network("refused".into()))),
    ];
    assert!(w.pipeline(both_down).run_once().await.unwrap().failed());
}

fn watchlist_of(tickers: &[&str]) -> Configuration {
    let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
    Configuration {
        id: ConfigurationId::generate().unwrap(),
        name: ConfigName::parse("Mine").unwrap(),
        tickers: tickers
            .iter()
            .map(|t| WeightedTicker { symbol: Ticker::parse(t).unwrap(), weight: 1.0 })
            .collect(),
        timeframe_days: 7,
        created_at: now,
        updated_at: now,
    }
}

async fn asked_for(w: &World) -> Vec<String> {
    let source = scripted(SourceKind::Tiingo, fetched(vec![]));
    w.pipeline(vec![source.clone()]).run_once().await.unwrap();
    source.requests.lock().unwrap()[0].tickers.iter().map(|t| t.to_string()).collect()
}

#[tokio::test]
async fn configured_tickers_are_fetched_too() {
    let w = world();
    let user = users::create_session(&*w.store, w.clock.now(), Duration::days(30), None).await.unwrap();
    let config = watchlist_of(&["IBM", "AAPL"]);
    configurations::create(&*w.store, &user.session.user_id, &config, 5).await.unwrap();
    assert!(asked_for(&w).await.contains(&"IBM".to_owned()));

    // Once no configuration watches it, it is no longer fetched.
    configurations::delete(&*w.store, &user.session.user_id, &config.id).await.unwrap();
    assert!(!asked_for(&w).await.contains(&"IBM".to_owned()));
}

#[tokio::test]
async fn an_abandoned_users_tickers_stop_being_fetched_when_the_session_expires() {
    let w = world();
    let ttl = Duration::hours(2);
    let leaving = users::create_session(&*w.store, w.clock.now(), ttl, None).await.unwrap();
    let staying = users::create_session(&*w.store, w.clock.now(), Duration::days(30), None).await.unwrap();
    configurations::create(&*w.store, &leaving.session.user_id, &watchlist_of(&["IBM", "ORCL"]), 5)
        .await
        .unwrap();
    configurations::create(&*w.store, &leaving.session.user_id, &watchlist_of(&["IBM"]), 5).await.unwrap();
    configurations::create(&*w.store, &staying.session.user_id, &watchlist_of(&["ORCL"]), 5).await.unwrap();
    let asked = asked_for(&w).await;
    assert!(asked.contains(&"IBM".to_owned()) && asked.contains(&"ORCL".to_owned()), "{asked:?}");

    // The session expires (TTL runs no code); the next run's sweep removes the user's data.
    w.clock.advance(ttl + Duration::minutes(1));
    assert!(users::authenticate(&*w.store, &leaving.token).await.unwrap().is_none());
    let asked = asked_for(&w).await;
    assert!(!asked.contains(&"IBM".to_owned()), "{asked:?}");
    assert!(asked.contains(&"ORCL".to_owned()), "still watched by the other user: {asked:?}");
    assert!(users::user(&*w.store, &leaving.session.user_id).await.unwrap().is_none());
    assert!(configurations::list(&*w.store, &leaving.session.user_id).await.unwrap().is_empty());
    assert_eq!(configurations::list(&*w.store, &staying.session.user_id).await.unwrap().len(), 1);

    // Sweeping again changes nothing.
    let again = users::sweep_expired(&*w.store, w.clock.now()).await.unwrap();
    assert_eq!(again, users::SweepReport::default());
}

#[tokio::test]
async fn extending_a_session_keeps_its_tickers_past_the_first_expiry() {
    let w = world();
    let ttl = Duration::hours(2);
    let user = users::create_session(&*w.store, w.clock.now(), ttl, None).await.unwrap();
    configurations::create(&*w.store, &user.session.user_id, &watchlist_of(&["IBM"]), 5).await.unwrap();
    w.clock.advance(Duration::hours(1));
    let extended = users::extend(&*w.store, &user.token, &user.session, w.clock.now(), Duration::days(3))
        .await
        .unwrap()
        .expect("live session");
    w.clock.advance(Duration::days(2));
    assert!(asked_for(&w).await.contains(&"IBM".to_owned()));
    assert_eq!(users::authenticate(&*w.store, &user.token).await.unwrap(), Some(extended));

    // Signing out makes the data due at once.
    let session = users::authenticate(&*w.store, &user.token).await.unwrap().unwrap();
    assert!(users::sign_out(&*w.store, &user.token, &session, w.clock.now()).await.unwrap());
    assert!(users::authenticate(&*w.store, &user.token).await.unwrap().is_none());
    w.clock.advance(Duration::seconds(1));
    assert!(!asked_for(&w).await.contains(&"IBM".to_owned()));
}

#[tokio::test]
async fn concurrent_runs_store_each_story_once() {
    let w = world();
    let (a, b) = (w.sample(), w.sample());
    let (first, second) = tokio::join!(a.run_once(), b.run_once());
    let (first, second) = (first.unwrap(), second.unwrap());
    let alone = {
        let fresh = world();
        fresh.sample().run_once().await.unwrap().new
    };
    assert_eq!(first.new + second.new, alone, "racing runs together store what one run would");
    assert_eq!(first.errors + second.errors, 0);
}

#[tokio::test]
async fn one_source_reporting_a_story_under_two_symbols_files_it_under_both() {
    let w = world();
    let story =
        |symbol: &str| raw(SourceKind::Finnhub, "42", "Apple and Microsoft sign cloud deal", &[symbol]);
    let finnhub = scripted(SourceKind::Finnhub, fetched(vec![story("AAPL"), story("MSFT")]));
    let summary = w.pipeline(vec![finnhub.clone()]).run_once().await.unwrap();
    assert_eq!(summary.new, 1);
    let article = article_table::get(&*w.store, &ArticleId::for_title("Apple and Microsoft sign cloud deal"))
        .await
        .unwrap()
        .unwrap();
    let tickers: Vec<_> = article.tickers.iter().map(Ticker::as_str).collect();
    assert_eq!(tickers, ["AAPL", "MSFT"]);
    let now = w.clock.now();
    for symbol in ["AAPL", "MSFT"] {
        let ticker = Ticker::parse(symbol).unwrap();
        let buckets = aggregates::load(&*w.store, &ticker, now - Duration::days(1), now).await.unwrap();
        assert_eq!(buckets.iter().map(|b| b.articles()).sum::<i64>(), 1, "{symbol} counts the story once");
    }
}

#[tokio::test]
async fn a_story_stored_under_one_symbol_is_repaired_by_a_later_report_under_another() {
    let w = world();
    let story =
        |symbol: &str| raw(SourceKind::Finnhub, "42", "Apple and Microsoft sign cloud deal", &[symbol]);
    w.pipeline(vec![scripted(SourceKind::Finnhub, fetched(vec![story("AAPL")]))]).run_once().await.unwrap();
    let second = w
        .pipeline(vec![scripted(SourceKind::Finnhub, fetched(vec![story("AAPL"), story("MSFT")]))])
        .run_once()
        .await
        .unwrap();
    assert_eq!(second.sources[&SourceKind::Finnhub].credited, 1, "{second:#?}");
    let msft = Ticker::parse("MSFT").unwrap();
    let page = article_table::for_ticker(&*w.store, &msft, 10, None).await.unwrap();
    assert_eq!(page.articles.len(), 1);
}

/// A store whose writes fail, as a full disk makes them.
struct FullDisk {
    inner: Arc<dyn Store>,
}

#[async_trait]
impl Store for FullDisk {
    async fn get(&self, key: &domain::store::Key) -> Result<Option<domain::store::Item>, StoreError> {
        self.inner.get(key).await
    }
    async fn query(&self, query: &domain::store::Query) -> Result<domain::store::Page, StoreError> {
        self.inner.query(query).await
    }
    async fn transact(&self, _: Vec<domain::store::WriteOp>) -> Result<(), StoreError> {
        Err(StoreError::Unavailable("No space left on device (os error 28)".into()))
    }
    async fn update(&self, _: domain::store::Update) -> Result<domain::store::Item, StoreError> {
        Err(StoreError::Unavailable("No space left on device (os error 28)".into()))
    }
    async fn health(&self) -> Result<(), StoreError> {
        self.inner.health().await
    }
}

#[tokio::test]
async fn writes_that_fail_make_the_run_fail_not_ok() {
    let w = world();
    let full: Arc<dyn Store> = Arc::new(FullDisk { inner: w.store.clone() });
    let pipeline = Pipeline::new(
        full,
        SampleSource::both(w.clock.clone()),
        scoring::shipped(),
        w.clock.clone(),
        config(),
    );
    let summary = pipeline.run_once().await.unwrap();
    assert!(summary.fetched > 0);
    assert_eq!(summary.new, 0);
    assert!(summary.failed(), "{summary:#?}");
    for source in summary.sources.values() {
        assert_eq!(source.status, SourceStatus::Failed);
        assert!(source.write_failures > 0 && source.errors >= source.write_failures);
        assert!(source.error_messages[0].contains("No space left"), "{:?}", source.error_messages);
    }
}

/// A store that reports its first transactions as conflicting with concurrent ones, the way
/// DynamoDB cancels racing `TransactWriteItems`.
struct Conflicting {
    inner: Arc<dyn Store>,
    conflicts_left: std::sync::atomic::AtomicUsize,
}

#[async_trait]
impl Store for Conflicting {
    async fn get(&self, key: &domain::store::Key) -> Result<Option<domain::store::Item>, StoreError> {
        self.inner.get(key).await
    }
    async fn query(&self, query: &domain::store::Query) -> Result<domain::store::Page, StoreError> {
        self.inner.query(query).await
    }
    async fn transact(&self, ops: Vec<domain::store::WriteOp>) -> Result<(), StoreError> {
        use std::sync::atomic::Ordering;
        if self.conflicts_left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok()
        {
            return Err(StoreError::Conflict("injected TransactionConflict".into()));
        }
        self.inner.transact(ops).await
    }
    async fn update(&self, update: domain::store::Update) -> Result<domain::store::Item, StoreError> {
        self.inner.update(update).await
    }
    async fn health(&self) -> Result<(), StoreError> {
        self.inner.health().await
    }
}

#[tokio::test(start_paused = true)]
async fn conflicting_transactions_are_retried_and_counted_once() {
    let w = world();
    let store: Arc<dyn Store> = Arc::new(Conflicting {
        inner: w.store.clone(),
        conflicts_left: std::sync::atomic::AtomicUsize::new(3),
    });
    let story = raw(SourceKind::Tiingo, "1", "Nvidia beats on data centre demand", &["NVDA"]);
    let pipeline = Pipeline::new(
        store,
        vec![scripted(SourceKind::Tiingo, fetched(vec![story]))],
        scoring::shipped(),
        w.clock.clone(),
        config(),
    );
    let summary = pipeline.run_once().await.unwrap();
    assert_eq!((summary.new, summary.errors), (1, 0), "{summary:#?}");
    let nvda = Ticker::parse("NVDA").unwrap();
    let now = w.clock.now();
    let buckets = aggregates::load(&*w.store, &nvda, now - Duration::days(1), now).await.unwrap();
    assert_eq!(buckets.iter().map(|b| b.articles()).sum::<i64>(), 1);
}

/// The same races on DynamoDB (moto), where each run's writes really interleave.
mod on_dynamodb {
    use super::*;

    async fn dynamo_world(test: &str) -> Option<World> {
        let clock = Arc::new(FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()));
        let store = store_dynamodb::testing::fresh_store(test, clock.clone()).await?;
        Some(World { store: Arc::new(store), clock })
    }

    /// The sample corpus for two tickers: stories from both vendors, shared between them
    /// and across sources, small enough for a server that copies its table per transaction.
    fn two_tickers(w: &World) -> Pipeline {
        let config = PipelineConfig {
            default_watchlist: ["TSLA", "JPM"].iter().map(|t| Ticker::parse(t).unwrap()).collect(),
            ..config()
        };
        Pipeline::new(
            w.store.clone(),
            SampleSource::both(w.clock.clone()),
            scoring::shipped(),
            w.clock.clone(),
            config,
        )
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_runs_store_each_story_once_with_exact_aggregates() {
        let Some(w) = dynamo_world("concurrent_runs_on_dynamodb").await else { return };
        let (a, b) = (two_tickers(&w), two_tickers(&w));
        let (first, second) = tokio::join!(a.run_once(), b.run_once());
        let (first, second) = (first.unwrap(), second.unwrap());
        let alone = two_tickers(&world()).run_once().await.unwrap();
        assert!(alone.new > 40 && alone.duplicates > 5, "a corpus with cross-source stories: {alone:#?}");
        assert_eq!(first.new + second.new, alone.new, "racing runs together store what one run would");
        assert_eq!(first.errors + second.errors, 0, "{first:#?} {second:#?}");
        for symbol in ["TSLA", "JPM"] {
            let ticker = Ticker::parse(symbol).unwrap();
            let now = w.clock.now();
            let counted: i64 = aggregates::load(&*w.store, &ticker, now - Duration::days(60), now)
                .await
                .unwrap()
                .iter()
                .map(|b| b.articles())
                .sum();
            let mut stored = 0;
            let mut cursor = None;
            loop {
                let page = article_table::for_ticker(&*w.store, &ticker, 100, cursor).await.unwrap();
                stored += page.articles.len() as i64;
                match page.next {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            assert_eq!(counted, stored, "{symbol}: aggregates agree with the stored articles");
        }
    }
}

#[tokio::test]
async fn a_story_naming_dozens_of_symbols_is_filed_under_at_most_twenty() {
    let w = world();
    let names: Vec<String> = (b'A'..=b'Z')
        .flat_map(|a| (b'A'..=b'B').map(move |b| format!("Q{}{}", a as char, b as char)))
        .collect();
    let tickers: Vec<&str> = names.iter().take(30).map(String::as_str).collect();
    let source = scripted(
        SourceKind::Finnhub,
        fetched(vec![raw(SourceKind::Finnhub, "1", "Markets rally", &tickers)]),
    );
    let summary = w.pipeline(vec![source]).run_once().await.unwrap();
    assert_eq!((summary.new, summary.errors), (1, 0), "{summary:#?}");
    let stored =
        article_table::get(&*w.store, &ArticleId::for_title("Markets rally")).await.unwrap().unwrap();
    assert_eq!(stored.tickers.len(), domain::article::MAX_TICKERS_PER_ARTICLE);
}

#[tokio::test]
async fn a_run_out_of_time_says_it_was_cut_short() {
    let w = world();
    let late = scripted(SourceKind::Tiingo, Err(SourceError::OutOfTime));
    let summary = w.pipeline(vec![late]).run_once().await.unwrap();
    assert!(summary.cut_short.is_some(), "{summary:#?}");

    // Past the budget before writing: nothing is written and the run says why.
    let w = world();
    let source = scripted(
        SourceKind::Finnhub,
        fetched(vec![raw(SourceKind::Finnhub, "1", "Markets rally", &["AAPL"])]),
    );
    let summary = w.pipeline(vec![source]).run_until(Some(std::time::Instant::now())).await.unwrap();
    assert_eq!(summary.new, 0);
    assert!(summary.cut_short.is_some(), "{summary:#?}");
    assert_eq!(summary.sources[&SourceKind::Finnhub].status, SourceStatus::Partial);
}
