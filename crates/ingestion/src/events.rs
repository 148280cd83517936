//! What a run announces (`docs/events.md`): a `SentimentShifted` per watched ticker whose
//! sentiment shifted (the rule is `domain::shift`), `SourceDegraded` / `SourceRecovered` when
//! a source's guard changed, and one `IngestionCompleted`. Each is logged in the store, and
//! the states they move are written conditionally, before anything is published, so two
//! concurrent runs never announce the same fact twice. Nothing here fails the run: a store or
//! sink error is logged and counted in the run's `events` report.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use domain::aggregate::{self, label_for};
use domain::event::{
    Degradation, Event, EventBody, EventKind, EventSink, SentimentShifted, SourceHealth, TickerScore,
};
use domain::run::{BreakerState, EventsReport, GuardState, RunSummary};
use domain::shift::{self, Decision, ShiftRule};
use domain::store::{Store, StoreError};
use domain::table::{aggregates, articles, events as event_table};
use domain::{SourceKind, Ticker};

/// Concurrent ticker evaluations.
const CONCURRENCY: usize = 8;
/// Attempts to move a state another run keeps moving under us.
const ATTEMPTS: usize = 3;
/// Articles read to find those that moved a shift.
const ARTICLES_READ: usize = 200;

/// How a pipeline announces: where events go and when a ticker has shifted.
#[derive(Clone)]
pub struct Announcer {
    pub sink: Arc<dyn EventSink>,
    pub rule: ShiftRule,
    /// The recency half-life of the score (the API's, 24 hours).
    pub half_life: Duration,
}

impl Announcer {
    pub fn new(sink: Arc<dyn EventSink>, rule: ShiftRule) -> Self {
        Self { sink, rule, half_life: Duration::hours(24) }
    }

    /// Announces what the finished run `summary` changed, at `now`, giving up at `stop_at`
    /// (the run's deadline): announcing never makes a run overrun its invocation. Cut off
    /// before a ticker's state was saved, the ticker is judged again by the next run; cut off
    /// between a saved state and its publication, that event is in the store and
    /// `/api/v2/events` but was not published (`docs/events.md`, "Exactly once, as far as the
    /// store allows").
    pub async fn announce(
        &self,
        store: &dyn Store,
        summary: &RunSummary,
        now: DateTime<Utc>,
        stop_at: Option<std::time::Instant>,
    ) -> EventsReport {
        let work = self.announce_all(store, summary, now);
        let Some(at) = stop_at else { return work.await };
        match tokio::time::timeout_at(at.into(), work).await {
            Ok(report) => report,
            Err(_) => {
                let mut report =
                    EventsReport { sink: self.sink.name().to_owned(), ..EventsReport::default() };
                report.error("out of time: announcing was cut off at the run's deadline".to_owned());
                tracing::warn!(sink = self.sink.name(), "announcing was cut off at the run's deadline");
                report
            }
        }
    }

    async fn announce_all(
        &self,
        store: &dyn Store,
        summary: &RunSummary,
        now: DateTime<Utc>,
    ) -> EventsReport {
        let mut report = EventsReport { sink: self.sink.name().to_owned(), ..EventsReport::default() };
        let mut events = Vec::new();

        for (source, s) in &summary.sources {
            let Some(guard) = &s.guard else { continue };
            match source_change(store, *source, guard, now).await {
                Ok(Some(event)) => events.push(event),
                Ok(None) => {}
                Err(error) => report.error(format!("source state of {source}: {error}")),
            }
        }

        // Chunks of futures rather than a buffered stream: a stream of closures over borrowed
        // tickers is not `Send` for every lifetime, which `tokio::spawn` of a run needs.
        let mut shifts: Vec<(&Ticker, Result<Option<Event>, StoreError>)> = Vec::new();
        for group in summary.tickers.chunks(CONCURRENCY) {
            let outcomes = futures::future::join_all(group.iter().map(|t| self.shift(store, t, now))).await;
            shifts.extend(group.iter().zip(outcomes));
        }
        for (ticker, outcome) in shifts {
            match outcome {
                Ok(Some(event)) => events.push(event),
                Ok(None) => {}
                Err(error) => report.error(format!("shift state of {ticker}: {error}")),
            }
        }

        let completed = Event::ingestion_completed(summary);
        match event_table::log(store, &completed).await {
            Ok(true) => events.push(completed),
            Ok(false) => {}
            Err(error) => {
                // Not in the store, still worth telling the world.
                report.error(format!("logging IngestionCompleted: {error}"));
                events.push(completed);
            }
        }

        report.announced = events.len();
        for event in &events {
            tracing::debug!(event = %event.kind(), id = %event.id, subject = ?event.subject(), "announcing");
        }
        let published = self.sink.publish(&events).await;
        report.published = published.published;
        report.failed = published.failed;
        for error in published.errors {
            report.error(error);
        }
        if report.failed > 0 || !report.errors.is_empty() {
            tracing::warn!(
                sink = self.sink.name(),
                failed = report.failed,
                errors = ?report.errors,
                "announcing had errors (store or sink)"
            );
        }
        report
    }

    /// The ticker's score now against the state last announced; a shift is logged with the
    /// state's move, and returned only to the run whose write won.
    pub async fn shift(
        &self,
        store: &dyn Store,
        ticker: &Ticker,
        now: DateTime<Utc>,
    ) -> Result<Option<Event>, StoreError> {
        let start = now - self.rule.window;
        let buckets = aggregates::load_window(store, ticker, start, now).await?;
        let summary = aggregate::summarize(&buckets, now, self.half_life);
        let Some(score) = summary.score else { return Ok(None) };
        let score = shift::round4(score);
        let current = TickerScore { score, label: label_for(score), articles: summary.counts.total, at: now };
        for _ in 0..ATTEMPTS {
            let read = event_table::ticker_state(store, ticker).await?;
            let decision = self.rule.decide(read.as_ref().map(|r| &r.state), &current);
            let version = read.as_ref().map(|r| r.version);
            match decision {
                Decision::Hold | Decision::RateLimited => return Ok(None),
                Decision::Baseline(state) => {
                    if event_table::save_ticker_state(store, ticker, None, &state, None).await? {
                        return Ok(None);
                    }
                }
                Decision::Shift { next, reasons } => {
                    let Some(read) = read else { return Ok(None) };
                    let previous = read.state.last;
                    let change = shift::round4(next.last.score - previous.score);
                    let page = articles::for_ticker(store, ticker, ARTICLES_READ, None).await?;
                    let moved = shift::moving_articles(&page.articles, previous.at.max(start), change);
                    let new_version = (read.version + 1).to_string();
                    let event = Event {
                        id: Event::id_for(EventKind::SentimentShifted, &[ticker.as_str(), &new_version]),
                        occurred_at: now,
                        body: EventBody::SentimentShifted(SentimentShifted {
                            ticker: ticker.clone(),
                            window: window_label(self.rule.window),
                            previous,
                            current: next.last.clone(),
                            change,
                            reasons,
                            articles: moved,
                        }),
                    };
                    if event_table::save_ticker_state(store, ticker, version, &next, Some(&event)).await? {
                        return Ok(Some(event));
                    }
                }
            }
            // Another run moved the state first: decide again against what it wrote.
        }
        Ok(None)
    }
}

/// `7d`, `36h`, `90m`: the window as the API writes it.
fn window_label(window: Duration) -> String {
    let minutes = window.num_minutes();
    if minutes % (24 * 60) == 0 {
        format!("{}d", minutes / (24 * 60))
    } else if minutes % 60 == 0 {
        format!("{}h", minutes / 60)
    } else {
        format!("{minutes}m")
    }
}

/// Why a source is degraded now, from its guard as the run left it.
pub fn degradations(guard: &GuardState, now: DateTime<Utc>) -> Vec<Degradation> {
    let mut reasons = Vec::new();
    if guard.breaker == BreakerState::Open {
        reasons.push(Degradation::BreakerOpen);
    }
    for window in &guard.quota {
        if window.remaining == 0 && window.resets_at > now {
            reasons.push(Degradation::QuotaExhausted {
                window: window.window.clone(),
                resource: window.resource.clone(),
                resets_at: window.resets_at,
            });
        }
    }
    if let Some(until) = guard.blocked_until.filter(|until| *until > now) {
        reasons.push(Degradation::UpstreamBlocked { until });
    }
    reasons
}

/// What a degradation is, without its times: a window that resets and fills again is the same
/// reason, not a new one.
fn reason_key(reason: &Degradation) -> String {
    match reason {
        Degradation::BreakerOpen => "breaker_open".into(),
        Degradation::QuotaExhausted { window, resource, .. } => format!("quota:{window}:{resource}"),
        Degradation::UpstreamBlocked { .. } => "upstream_blocked".into(),
    }
}

/// `SourceDegraded` when a reason appeared, `SourceRecovered` when the last one went.
async fn source_change(
    store: &dyn Store,
    source: SourceKind,
    guard: &GuardState,
    now: DateTime<Utc>,
) -> Result<Option<Event>, StoreError> {
    let reasons = degradations(guard, now);
    let keys: BTreeSet<String> = reasons.iter().map(reason_key).collect();
    for _ in 0..ATTEMPTS {
        let read = event_table::source_state(store, source).await?;
        let previous = read.as_ref().map(|r| r.state.clone()).unwrap_or_default();
        let previous_keys: BTreeSet<String> = previous.iter().map(reason_key).collect();
        if keys == previous_keys {
            return Ok(None);
        }
        let version = read.as_ref().map(|r| r.version);
        let next_version = (version.unwrap_or(0) + 1).to_string();
        let kind = if !keys.is_subset(&previous_keys) {
            Some(EventKind::SourceDegraded)
        } else if keys.is_empty() {
            Some(EventKind::SourceRecovered)
        } else {
            None
        };
        let event = kind.map(|kind| {
            let health = SourceHealth { source, reasons: reasons.clone(), previous: previous.clone() };
            Event {
                id: Event::id_for(kind, &[source.as_str(), &next_version]),
                occurred_at: now,
                body: match kind {
                    EventKind::SourceRecovered => EventBody::SourceRecovered(health),
                    _ => EventBody::SourceDegraded(health),
                },
            }
        });
        if event_table::save_source_state(store, source, version, &reasons, event.as_ref()).await? {
            return Ok(event);
        }
    }
    Ok(None)
}
