//! What runs announce: a scripted sequence of runs over a fake upstream produces exactly the
//! expected shifts, without flapping, and two concurrent runs announce a shift once (on the
//! embedded store, and on DynamoDB when `SENTIMENT_TEST_DYNAMODB` names a server).
//!
//! The model scores a headline by its first word ("up" +0.8, "down" -0.8, "flat" 0), so every
//! score below is worked out by hand. Articles are published when the run that fetches them
//! starts; the score weighs each hour's bucket by 0.5^(age of the hour's start / 24 h)
//! (`docs/sentiment.md`).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::event::{Event, EventBody, EventKind, EventSink, PublishReport, ShiftReason};
use domain::model::SentimentModel;
use domain::run::{BreakerState, GuardState};
use domain::shift::ShiftRule;
use domain::source::{FetchRequest, Fetched, NewsSource, SourceError};
use domain::store::Store;
use domain::table::events as event_table;
use domain::{Clock, FakeClock, RawArticle, Sentiment, SentimentLabel, SourceKind, Ticker};
use ingestion::{Announcer, Pipeline, PipelineConfig};

struct FirstWord;

impl SentimentModel for FirstWord {
    fn version(&self) -> &str {
        "first-word"
    }
    fn score(&self, text: &str) -> Sentiment {
        let score = match text.split_whitespace().next() {
            Some("up") => 0.8,
            Some("down") => -0.8,
            _ => 0.0,
        };
        Sentiment { label: domain::aggregate::label_for(score), score, confidence: 0.9 }
    }
}

/// A source whose next answer the test sets, with a guard state the test sets.
struct Upstream {
    articles: Mutex<Vec<RawArticle>>,
    guard: Mutex<Option<GuardState>>,
}

#[async_trait]
impl NewsSource for Upstream {
    fn kind(&self) -> SourceKind {
        SourceKind::Tiingo
    }
    async fn fetch(&self, _: &FetchRequest) -> Result<Fetched, SourceError> {
        Ok(Fetched { articles: self.articles.lock().unwrap().clone(), ..Fetched::default() })
    }
    async fn guard_state(&self) -> Option<GuardState> {
        self.guard.lock().unwrap().clone()
    }
}

/// Keeps what it is given.
#[derive(Default)]
struct Collect(Mutex<Vec<Event>>);

#[async_trait]
impl EventSink for Collect {
    fn name(&self) -> &'static str {
        "collect"
    }
    async fn publish(&self, events: &[Event]) -> PublishReport {
        self.0.lock().unwrap().extend(events.iter().cloned());
        PublishReport { published: events.len(), ..PublishReport::default() }
    }
}

impl Collect {
    fn take(&self, kind: EventKind) -> Vec<Event> {
        let mut all = self.0.lock().unwrap();
        let (taken, kept): (Vec<Event>, Vec<Event>) = all.drain(..).partition(|e| e.kind() == kind);
        *all = kept;
        taken
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap()
}

fn aapl() -> Ticker {
    Ticker::parse("AAPL").unwrap()
}

struct World {
    store: Arc<dyn Store>,
    clock: Arc<FakeClock>,
    upstream: Arc<Upstream>,
    sink: Arc<Collect>,
    serial: Mutex<usize>,
}

impl World {
    fn new(store: Arc<dyn Store>, clock: Arc<FakeClock>) -> Self {
        Self {
            store,
            clock,
            upstream: Arc::new(Upstream { articles: Mutex::new(Vec::new()), guard: Mutex::new(None) }),
            sink: Arc::new(Collect::default()),
            serial: Mutex::new(0),
        }
    }

    fn pipeline(&self) -> Pipeline {
        let config = PipelineConfig {
            default_watchlist: [aapl()].into_iter().collect(),
            lookback: Duration::days(2),
            write_concurrency: 4,
        };
        Pipeline::new(
            self.store.clone(),
            vec![self.upstream.clone()],
            Arc::new(FirstWord),
            self.clock.clone(),
            config,
        )
        .with_announcer(Announcer::new(self.sink.clone(), ShiftRule::default()))
    }

    /// The upstream's next answer: `n` new AAPL articles whose headlines start with `word`,
    /// published now.
    fn news(&self, word: &str, n: usize) {
        let mut serial = self.serial.lock().unwrap();
        let mut articles = Vec::new();
        for _ in 0..n {
            *serial += 1;
            articles.push(RawArticle {
                source: SourceKind::Tiingo,
                source_item_id: format!("item-{serial}"),
                title: format!("{word} story number {serial}"),
                summary: None,
                url: format!("https://example.test/{serial}"),
                publisher: "example".into(),
                published_at: self.clock.now(),
                crawled_at: None,
                tickers: [aapl()].into_iter().collect(),
            });
        }
        *self.upstream.articles.lock().unwrap() = articles;
    }

    /// One run, `minutes` after the previous one, after the upstream's next answer.
    async fn run(&self, minutes: i64, word: &str, n: usize) -> Vec<Event> {
        self.clock.advance(Duration::minutes(minutes));
        self.news(word, n);
        let summary = self.pipeline().run_once().await.unwrap();
        let report = summary.events.expect("an announcing pipeline reports its events");
        assert_eq!(report.failed, 0, "{report:?}");
        assert_eq!(self.sink.take(EventKind::IngestionCompleted).len(), 1, "one IngestionCompleted per run");
        self.sink.take(EventKind::SentimentShifted)
    }
}

fn embedded() -> World {
    let clock = Arc::new(FakeClock::at(t0()));
    World::new(Arc::new(store_embedded::EmbeddedStore::in_memory(clock.clone()).unwrap()), clock)
}

fn shift_of(event: &Event) -> (f64, SentimentLabel, f64, SentimentLabel, Vec<ShiftReason>) {
    let EventBody::SentimentShifted(s) = &event.body else { panic!("{event:?}") };
    (s.previous.score, s.previous.label, s.current.score, s.current.label, s.reasons.clone())
}

#[tokio::test]
async fn a_scripted_sequence_of_runs_announces_exactly_the_expected_shifts() {
    let w = embedded();
    // Run 1: 2 "up" articles, mean 0.8: the first score of AAPL is a baseline, not a shift.
    assert!(w.run(0, "up", 2).await.is_empty());
    // Run 2 at 12:10: 2 "flat", one bucket (12:00): 1.6 / 4 = 0.4: still positive, a change of
    // 0.4 > 0.3: a shift.
    let shifts = w.run(10, "flat", 2).await;
    assert_eq!(shifts.len(), 1);
    let (from, from_label, to, to_label, reasons) = shift_of(&shifts[0]);
    assert_eq!(
        (from_label, to_label, reasons),
        (SentimentLabel::Positive, SentimentLabel::Positive, vec![ShiftReason::Threshold])
    );
    assert!((from - 0.8).abs() < 1e-3 && (to - 0.4).abs() < 1e-3, "{from} -> {to}");
    // Run 3 at 12:20: 2 "down": (1.6 - 1.6) / 6 = 0: neutral, a shift, but the last one was
    // 10 minutes ago (one per 6 hours): nothing yet.
    assert!(w.run(10, "down", 2).await.is_empty());
    // Run 4 at 18:10, 6 hours after the shift: 2 "flat" more; the 12:00 hour sums to 0 and the
    // 18:00 hour too: score 0, neutral (below positive's 0.10), a change of 0.4: due now.
    let shifts = w.run(6 * 60 - 10, "flat", 2).await;
    assert_eq!(shifts.len(), 1, "{shifts:?}");
    let (from, _, to, to_label, reasons) = shift_of(&shifts[0]);
    assert!((from - 0.4).abs() < 1e-3 && to.abs() < 1e-9, "{from} -> {to}");
    assert_eq!(
        (to_label, reasons),
        (SentimentLabel::Neutral, vec![ShiftReason::Label, ShiftReason::Threshold])
    );
    let EventBody::SentimentShifted(detail) = &shifts[0].body else { unreachable!() };
    assert!(detail.articles.iter().all(|a| a.score < 0.0) && !detail.articles.is_empty(), "{detail:?}");
    // Run 5 at 18:20, 1 "up": the 18:00 hour (weight 0.5^(0.333/24) = 0.9904) holds 3 articles
    // summing 0.8, the 12:00 hour (0.5^(6.333/24) = 0.8328) 6 summing 0:
    // 0.9904 x 0.8 / (0.9904 x 3 + 0.8328 x 6) = 0.0994, neutral. Run 6 at 18:30, 1 more "up":
    // 0.98566 x 1.6 / (0.98566 x 4 + 0.8288 x 6) = 0.1769: plainly positive (> 0.15) but inside
    // neutral's hysteresis (0.20), a change of 0.18: no flap, nothing announced.
    assert!(w.run(10, "up", 1).await.is_empty());
    assert!(w.run(10, "up", 1).await.is_empty());
    // Run 7 at 00:30, 2 more "up": (0.98566 x 1.6 + 0.8288 x 1.6) / (0.98566 x 2 + 0.8288 x 4
    // + 0.6968 x 6) = 0.3067 > 0.20: positive, 6 h 20 min after the last shift.
    let shifts = w.run(6 * 60, "up", 2).await;
    assert_eq!(shifts.len(), 1, "{shifts:?}");
    let (_, from_label, to, to_label, _) = shift_of(&shifts[0]);
    assert_eq!((from_label, to_label), (SentimentLabel::Neutral, SentimentLabel::Positive));
    assert!((to - 0.3067).abs() < 1e-3, "{to}");
    // Every announced event is listed, newest first.
    let page = event_table::recent(&*w.store, 100, None).await.unwrap();
    let kinds: Vec<EventKind> = page.events.iter().map(Event::kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == EventKind::SentimentShifted).count(), 3);
    assert_eq!(kinds.iter().filter(|k| **k == EventKind::IngestionCompleted).count(), 7);
    assert_eq!(kinds[0], EventKind::IngestionCompleted);
    assert!(page.events.windows(2).all(|p| p[0].occurred_at >= p[1].occurred_at));
}

async fn two_concurrent_runs_announce_a_shift_once(w: World) {
    w.run(0, "up", 3).await;
    // Both runs see "down" news that turns AAPL negative; each decides on its own.
    w.clock.advance(Duration::minutes(15));
    w.news("down", 6);
    let (first, second) = (w.pipeline(), w.pipeline());
    let (a, b) = tokio::join!(first.run_once(), second.run_once());
    let (a, b) = (a.unwrap().events.unwrap(), b.unwrap().events.unwrap());
    let shifts = w.sink.take(EventKind::SentimentShifted);
    assert_eq!(shifts.len(), 1, "announced {} and {}: {shifts:?}", a.announced, b.announced);
    let (_, from, _, to, _) = shift_of(&shifts[0]);
    assert_eq!((from, to), (SentimentLabel::Positive, SentimentLabel::Negative));
    let logged = event_table::recent(&*w.store, 100, None).await.unwrap().events;
    assert_eq!(logged.iter().filter(|e| e.kind() == EventKind::SentimentShifted).count(), 1);
    assert_eq!(logged.iter().find(|e| e.kind() == EventKind::SentimentShifted).unwrap().id, shifts[0].id);
}

#[tokio::test]
async fn two_concurrent_runs_announce_a_shift_once_embedded() {
    two_concurrent_runs_announce_a_shift_once(embedded()).await;
}

#[tokio::test]
async fn two_concurrent_runs_announce_a_shift_once_on_dynamodb() {
    let clock = Arc::new(FakeClock::at(t0()));
    let Some(store) = store_dynamodb::testing::fresh_store(
        "two_concurrent_runs_announce_a_shift_once_on_dynamodb",
        clock.clone(),
    )
    .await
    else {
        return;
    };
    two_concurrent_runs_announce_a_shift_once(World::new(Arc::new(store), clock)).await;
}

#[tokio::test]
async fn a_source_degrades_and_recovers_once_each() {
    let w = embedded();
    let guard = |breaker, remaining: u32| GuardState {
        breaker,
        quota: vec![domain::run::QuotaWindow {
            window: "1h".into(),
            resource: "calls".into(),
            used: 50 - remaining,
            limit: 50,
            remaining,
            resets_at: w.clock.now() + Duration::minutes(30),
        }],
        blocked_until: None,
    };
    let degraded = |w: &World| {
        let mut found: BTreeMap<EventKind, usize> = BTreeMap::new();
        for kind in [EventKind::SourceDegraded, EventKind::SourceRecovered] {
            found.insert(kind, w.sink.take(kind).len());
        }
        (found[&EventKind::SourceDegraded], found[&EventKind::SourceRecovered])
    };
    *w.upstream.guard.lock().unwrap() = Some(guard(BreakerState::Closed, 40));
    w.run(0, "flat", 1).await;
    assert_eq!(degraded(&w), (0, 0), "healthy from the start: nothing to say");
    *w.upstream.guard.lock().unwrap() = Some(guard(BreakerState::Open, 40));
    w.run(15, "flat", 1).await;
    assert_eq!(degraded(&w), (1, 0));
    w.run(15, "flat", 1).await;
    assert_eq!(degraded(&w), (0, 0), "still open: announced already");
    *w.upstream.guard.lock().unwrap() = Some(guard(BreakerState::Open, 0));
    w.run(15, "flat", 1).await;
    assert_eq!(degraded(&w), (1, 0), "a new reason: the quota is spent");
    *w.upstream.guard.lock().unwrap() = Some(guard(BreakerState::HalfOpen, 12));
    w.run(15, "flat", 1).await;
    assert_eq!(degraded(&w), (0, 1));
}
