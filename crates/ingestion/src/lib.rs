//! The ingestion pipeline, one run at a time:
//! tickers to watch (the default watchlist plus every ticker in any configuration) → fetch
//! from every source concurrently → normalise (done by the source adapters) → de-duplicate
//! (the same story from two sources becomes one article credited to both) → score → store
//! the article and update its tickers' hourly aggregates, atomically.
//!
//! A run is idempotent: running it again over the same input adds nothing.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use domain::model::SentimentModel;
use domain::run::{RunSummary, SourceStatus, SourceSummary};
use domain::source::{FetchRequest, NewsSource, SourceError};
use domain::store::{Store, StoreError};
use domain::table::articles::RecordOutcome;
use domain::table::stories::{self, Recorded};
use domain::table::{configurations, runs, users, watermarks};
use domain::{Clock, RawArticle, SourceKind, Ticker, normalize_title};
use futures::StreamExt;

pub mod events;

pub use events::Announcer;

#[derive(Clone, Debug)]
pub struct PipelineConfig {
    pub default_watchlist: BTreeSet<Ticker>,
    /// How far back each run asks sources for news.
    pub lookback: Duration,
    /// Article writes in flight at once.
    pub write_concurrency: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error("cannot read the watchlist from the store")]
    Watchlist(#[source] StoreError),
}

pub struct Pipeline {
    store: Arc<dyn Store>,
    sources: Vec<Arc<dyn NewsSource>>,
    model: Arc<dyn SentimentModel>,
    clock: Arc<dyn Clock>,
    config: PipelineConfig,
    announcer: Option<Announcer>,
}

/// One story as gathered in this run, before it is written: every report of it, the first
/// being its primary report (whose source is credited with "new").
struct Story {
    reports: Vec<RawArticle>,
}

/// This run's stories, found by vendor item and by headline.
#[derive(Default)]
struct Gathered {
    stories: Vec<Story>,
    by_item: HashMap<(SourceKind, String), usize>,
    by_headline: HashMap<String, Vec<usize>>,
}

impl Pipeline {
    pub fn new(
        store: Arc<dyn Store>,
        sources: Vec<Arc<dyn NewsSource>>,
        model: Arc<dyn SentimentModel>,
        clock: Arc<dyn Clock>,
        config: PipelineConfig,
    ) -> Self {
        Self { store, sources, model, clock, config, announcer: None }
    }

    /// Announces each run's events (`docs/events.md`) through `announcer`.
    pub fn with_announcer(mut self, announcer: Announcer) -> Self {
        self.announcer = Some(announcer);
        self
    }

    /// The tickers always ingested, whatever users configure.
    pub fn default_watchlist(&self) -> &BTreeSet<Ticker> {
        &self.config.default_watchlist
    }

    /// Every ticker this run should fetch news for.
    pub async fn watchlist(&self) -> Result<BTreeSet<Ticker>, PipelineError> {
        let mut tickers = self.config.default_watchlist.clone();
        tickers
            .extend(configurations::watched_tickers(&*self.store).await.map_err(PipelineError::Watchlist)?);
        Ok(tickers)
    }

    pub async fn run_once(&self) -> Result<RunSummary, PipelineError> {
        self.run_until(None).await
    }

    /// One run that starts no upstream call and no write after `stop_at`, so it ends inside
    /// a time budget (the Lambda's deadline less a safety margin). What it did not get to is
    /// fetched again by the next run: watermarks only move past what was stored.
    pub async fn run_until(&self, stop_at: Option<Instant>) -> Result<RunSummary, PipelineError> {
        let started_at = self.clock.now();
        // Abandoned users' configurations go first, so their tickers stop being fetched.
        // A failed sweep is retried by the next run; it does not stop this one.
        match users::sweep_expired(&*self.store, started_at).await {
            Ok(swept) if swept.users > 0 => {
                tracing::info!(
                    users = swept.users,
                    configurations = swept.configurations,
                    "expired users removed"
                );
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(error = %error, "expiry sweep failed; the next run retries it"),
        }
        let tickers = self.watchlist().await?;
        let mut requests = Vec::with_capacity(self.sources.len());
        for source in &self.sources {
            let mut request = FetchRequest::new(
                tickers.iter().cloned().collect(),
                started_at - self.config.lookback,
                started_at,
            );
            request.stop_at = stop_at;
            match watermarks::load(&*self.store, source.kind()).await {
                Ok(marks) => request.watermarks = marks,
                Err(error) => {
                    tracing::warn!(source = %source.kind(), %error, "cannot read watermarks; reading the whole window")
                }
            }
            requests.push(request);
        }

        let fetches =
            futures::future::join_all(self.sources.iter().zip(&requests).map(|(s, r)| s.fetch(r))).await;
        let mut summaries: BTreeMap<SourceKind, SourceSummary> = BTreeMap::new();
        let mut gathered = Gathered::default();
        let mut marks: BTreeMap<SourceKind, BTreeMap<Ticker, DateTime<Utc>>> = BTreeMap::new();
        // Whether a fetch stopped at the time budget (error messages are capped; this is not).
        let mut out_of_time = false;
        for (source, result) in self.sources.iter().zip(fetches) {
            let kind = source.kind();
            let summary = summaries.entry(kind).or_insert_with(|| SourceSummary::new(SourceStatus::Ok));
            match result {
                Ok(fetched) => {
                    summary.reject(fetched.rejected);
                    summary.out_of_window += fetched.out_of_window;
                    summary.calls += fetched.calls;
                    summary.stops.extend(fetched.stops);
                    for error in &fetched.partial_errors {
                        out_of_time |= matches!(error, SourceError::OutOfTime);
                        summary.degrade(status_after(error, SourceStatus::Partial));
                        if error.is_throttle() {
                            summary.throttled += 1;
                        }
                        summary.error(describe(kind, error));
                    }
                    marks.insert(kind, fetched.watermarks);
                    for raw in fetched.articles {
                        summary.fetched += 1;
                        gathered.add(raw, summary);
                    }
                }
                Err(error) => {
                    out_of_time |= matches!(error, SourceError::OutOfTime);
                    summary.degrade(status_after(&error, SourceStatus::Failed));
                    if error.is_throttle() {
                        summary.throttled += 1;
                    }
                    if let SourceError::CircuitOpen { retry_after } = &error {
                        tracing::warn!(source = %kind, retry_in_secs = retry_after.as_secs(), "circuit open; source skipped this run");
                    }
                    summary.error(describe(kind, &error));
                }
            }
        }

        let store = &self.store;
        let model = &self.model;
        let score = |raw: &RawArticle| model.score_explained(&raw.title, raw.summary.as_deref());
        let score = &score;
        let outcomes: Vec<(Story, Option<Result<Recorded, StoreError>>)> =
            futures::stream::iter(gathered.stories)
                .map(|story| async move {
                    if stop_at.is_some_and(|at| Instant::now() >= at) {
                        return (story, None);
                    }
                    let outcome = stories::record(&**store, &story.reports, started_at, score).await;
                    (story, Some(outcome))
                })
                .buffer_unordered(self.config.write_concurrency.max(1))
                .collect()
                .await;
        let mut to_store: BTreeMap<SourceKind, usize> = BTreeMap::new();
        let mut unwritten: BTreeSet<SourceKind> = BTreeSet::new();
        let mut scored = 0;
        for (story, outcome) in outcomes {
            let Some(outcome) = outcome else {
                unwritten.extend(story.reports.iter().map(|r| r.source));
                continue;
            };
            if let Ok(recorded) = &outcome {
                scored += usize::from(recorded.scored);
            }
            let mut credited: Vec<SourceKind> = Vec::new();
            for report in &story.reports {
                let kind = report.source;
                let Some(summary) = summaries.get_mut(&kind) else { continue };
                let first_of_source = !credited.contains(&kind);
                credited.push(kind);
                *to_store.entry(kind).or_default() += 1;
                match &outcome {
                    Ok(_) if !first_of_source => {
                        // The same source sent this story twice (another id, same headline).
                        summary.duplicates += 1;
                    }
                    Ok(Recorded { outcome: RecordOutcome::Inserted, .. }) if credited.len() == 1 => {
                        summary.new += 1;
                    }
                    Ok(Recorded { outcome: RecordOutcome::Inserted | RecordOutcome::Credited, .. }) => {
                        summary.duplicates += 1;
                        summary.credited += 1;
                    }
                    Ok(Recorded { outcome: RecordOutcome::Duplicate, .. }) => summary.duplicates += 1,
                    Err(error) => {
                        summary.write_failures += 1;
                        summary.error(format!(
                            "storing the story of {kind} item {}: {error}",
                            report.source_item_id
                        ));
                    }
                }
            }
        }
        // A source whose stories could not be stored did not deliver, whatever it fetched.
        for (kind, summary) in &mut summaries {
            let attempted = to_store.get(kind).copied().unwrap_or(0);
            if summary.write_failures > 0 {
                summary.degrade(if summary.write_failures == attempted {
                    SourceStatus::Failed
                } else {
                    SourceStatus::Partial
                });
            }
            if unwritten.contains(kind) {
                summary.degrade(SourceStatus::Partial);
            }
        }
        // Watermarks move only past what is stored.
        for (kind, source_marks) in marks {
            let clean =
                summaries.get(&kind).is_some_and(|s| s.write_failures == 0) && !unwritten.contains(&kind);
            if clean
                && !source_marks.is_empty()
                && let Err(error) = watermarks::advance(&*self.store, kind, &source_marks).await
            {
                tracing::warn!(source = %kind, %error, "could not save watermarks; the next run reads that news again");
            }
        }
        for source in &self.sources {
            if let Some(summary) = summaries.get_mut(&source.kind()) {
                summary.guard = source.guard_state().await;
            }
        }

        let finished_at = self.clock.now();
        let cut_short = (out_of_time || !unwritten.is_empty()).then(|| {
            "the run's time budget ran out; the next run picks up what this one did not reach".to_owned()
        });
        let mut summary = RunSummary {
            started_at,
            finished_at,
            status: RunSummary::status_of(&summaries),
            cut_short,
            tickers: tickers.into_iter().collect(),
            fetched: summaries.values().map(|s| s.fetched).sum(),
            new: summaries.values().map(|s| s.new).sum(),
            duplicates: summaries.values().map(|s| s.duplicates).sum(),
            errors: summaries.values().map(|s| s.errors).sum(),
            sources: summaries,
            events: None,
        };
        if let Some(announcer) = &self.announcer {
            summary.events =
                Some(announcer.announce(&*self.store, &summary, self.clock.now(), stop_at).await);
        }
        if let Err(error) = runs::record(&*self.store, &summary).await {
            tracing::warn!(%error, "could not record the ingestion run");
        }
        tracing::info!(
            status = ?summary.status,
            fetched = summary.fetched,
            new = summary.new,
            duplicates = summary.duplicates,
            scored,
            errors = summary.errors,
            "ingestion run finished"
        );
        Ok(summary)
    }
}

impl Gathered {
    /// Folds a raw item into this run's stories: the same vendor item again (Finnhub sends
    /// one per symbol it concerns) adds its tickers; the same headline within
    /// `SAME_STORY_WITHIN` is another report of the same story.
    fn add(&mut self, raw: RawArticle, summary: &mut SourceSummary) {
        if raw.tickers.is_empty() {
            summary.skipped += 1;
            return;
        }
        let item = (raw.source, raw.source_item_id.clone());
        if let Some(&index) = self.by_item.get(&item) {
            if let Some(report) = self.stories[index]
                .reports
                .iter_mut()
                .find(|r| (r.source, &r.source_item_id) == (item.0, &item.1))
            {
                report.tickers.extend(raw.tickers);
            }
            summary.duplicates += 1;
            return;
        }
        let headline = normalize_title(&raw.title);
        let same = self.by_headline.get(&headline).and_then(|indices| {
            indices.iter().copied().find(|&i| {
                self.stories[i]
                    .reports
                    .first()
                    .is_some_and(|p| (p.published_at - raw.published_at).abs() <= stories::SAME_STORY_WITHIN)
            })
        });
        let index = match same {
            Some(index) => {
                self.stories[index].reports.push(raw);
                index
            }
            None => {
                self.stories.push(Story { reports: vec![raw] });
                let index = self.stories.len() - 1;
                self.by_headline.entry(headline).or_default().push(index);
                index
            }
        };
        self.by_item.insert(item, index);
    }
}

/// A source's status after `error`, when an error of another kind would make it `otherwise`.
fn status_after(error: &SourceError, otherwise: SourceStatus) -> SourceStatus {
    match error {
        SourceError::RateLimited { .. } | SourceError::Throttled { .. } => SourceStatus::Throttled,
        SourceError::CircuitOpen { .. } => SourceStatus::CircuitOpen,
        SourceError::OutOfTime => SourceStatus::Partial,
        _ => otherwise,
    }
}

fn describe(kind: SourceKind, error: &SourceError) -> String {
    format!("{kind}: {error}")
}

#[cfg(test)]
mod tests;
