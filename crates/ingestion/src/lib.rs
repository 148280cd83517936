//! The ingestion pipeline, one run at a time:
//! tickers to watch (the default watchlist plus every ticker in any configuration) → fetch
//! from every source concurrently → normalise (done by the source adapters) → de-duplicate
//! (the same story from two sources becomes one article credited to both) → score → store
//! the article and update its tickers' hourly aggregates, atomically.
//!
//! A run is idempotent: running it again over the same input adds nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use domain::model::SentimentModel;
use domain::source::{FetchRequest, NewsSource, SourceError};
use domain::store::{Store, StoreError};
use domain::table::articles::{self, RecordOutcome};
use domain::table::{configurations, runs};
use domain::{Article, ArticleId, Clock, RawArticle, SourceKind, Ticker};
use futures::StreamExt;
use serde::Serialize;

/// Error messages kept per source in a summary; the rest are counted only.
const MAX_ERROR_MESSAGES: usize = 10;

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
    #[error("cannot read the watchlist from the store: {0}")]
    Watchlist(StoreError),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceStatus {
    Ok,
    Partial,
    Failed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceSummary {
    pub status: SourceStatus,
    /// Usable items the source returned.
    pub fetched: usize,
    /// Stories stored for the first time.
    pub new: usize,
    /// Stories already stored (or reported twice in this run).
    pub duplicates: usize,
    /// Of the duplicates, those that newly credited this source (or new tickers).
    pub credited: usize,
    /// Items with no ticker to file them under.
    pub skipped: usize,
    /// Items the source sent that could not be parsed.
    pub rejected: usize,
    /// Failed requests and failed writes.
    pub errors: usize,
    pub error_messages: Vec<String>,
}

impl SourceSummary {
    fn new(status: SourceStatus) -> Self {
        Self {
            status,
            fetched: 0,
            new: 0,
            duplicates: 0,
            credited: 0,
            skipped: 0,
            rejected: 0,
            errors: 0,
            error_messages: Vec::new(),
        }
    }

    fn error(&mut self, message: String) {
        self.errors += 1;
        if self.error_messages.len() < MAX_ERROR_MESSAGES {
            self.error_messages.push(message);
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunSummary {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub tickers: Vec<Ticker>,
    pub fetched: usize,
    pub new: usize,
    pub duplicates: usize,
    pub errors: usize,
    pub sources: BTreeMap<SourceKind, SourceSummary>,
}

impl RunSummary {
    /// True when no source delivered anything usable (every fetch failed).
    pub fn all_sources_failed(&self) -> bool {
        !self.sources.is_empty() && self.sources.values().all(|s| s.status == SourceStatus::Failed)
    }
}

pub struct Pipeline {
    store: Arc<dyn Store>,
    sources: Vec<Arc<dyn NewsSource>>,
    model: Arc<dyn SentimentModel>,
    clock: Arc<dyn Clock>,
    config: PipelineConfig,
}

/// One story as gathered in this run, before it is written.
struct Pending {
    article: Article,
    /// Sources that reported it in this run, in source order; the first is credited with "new".
    reporters: Vec<SourceKind>,
}

impl Pipeline {
    pub fn new(
        store: Arc<dyn Store>,
        sources: Vec<Arc<dyn NewsSource>>,
        model: Arc<dyn SentimentModel>,
        clock: Arc<dyn Clock>,
        config: PipelineConfig,
    ) -> Self {
        Self { store, sources, model, clock, config }
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
        let started_at = self.clock.now();
        let tickers = self.watchlist().await?;
        let request = FetchRequest {
            tickers: tickers.iter().cloned().collect(),
            since: started_at - self.config.lookback,
            until: started_at,
        };

        let fetches = futures::future::join_all(self.sources.iter().map(|s| s.fetch(&request))).await;
        let mut summaries: BTreeMap<SourceKind, SourceSummary> = BTreeMap::new();
        let mut pending: BTreeMap<ArticleId, Pending> = BTreeMap::new();
        for (source, result) in self.sources.iter().zip(fetches) {
            let kind = source.kind();
            let summary = summaries.entry(kind).or_insert_with(|| SourceSummary::new(SourceStatus::Ok));
            match result {
                Ok(fetched) => {
                    summary.rejected += fetched.rejected.len();
                    if !fetched.partial_errors.is_empty() {
                        summary.status = SourceStatus::Partial;
                    }
                    for error in &fetched.partial_errors {
                        summary.error(error.to_string());
                    }
                    for raw in fetched.articles {
                        summary.fetched += 1;
                        self.gather(raw, summary, &mut pending, started_at);
                    }
                }
                Err(error) => {
                    summary.status = SourceStatus::Failed;
                    summary.error(describe(kind, &error));
                }
            }
        }

        let store = &self.store;
        let outcomes: Vec<(Pending, Result<RecordOutcome, StoreError>)> =
            futures::stream::iter(pending.into_values())
                .map(|p| async move {
                    let outcome = articles::record(&**store, &p.article).await;
                    (p, outcome)
                })
                .buffer_unordered(self.config.write_concurrency.max(1))
                .collect()
                .await;
        for (p, outcome) in outcomes {
            for (position, kind) in p.reporters.iter().enumerate() {
                let Some(summary) = summaries.get_mut(kind) else { continue };
                match &outcome {
                    Ok(RecordOutcome::Inserted) if position == 0 => summary.new += 1,
                    Ok(RecordOutcome::Inserted | RecordOutcome::Credited) => {
                        summary.duplicates += 1;
                        summary.credited += 1;
                    }
                    Ok(RecordOutcome::Duplicate) => summary.duplicates += 1,
                    Err(error) => summary.error(format!("storing article {}: {error}", p.article.id)),
                }
            }
        }

        let finished_at = self.clock.now();
        let summary = RunSummary {
            started_at,
            finished_at,
            tickers: tickers.into_iter().collect(),
            fetched: summaries.values().map(|s| s.fetched).sum(),
            new: summaries.values().map(|s| s.new).sum(),
            duplicates: summaries.values().map(|s| s.duplicates).sum(),
            errors: summaries.values().map(|s| s.errors).sum(),
            sources: summaries,
        };
        let run = runs::IngestionRun {
            started_at,
            finished_at,
            summary: serde_json::to_value(&summary).unwrap_or_default(),
        };
        if let Err(error) = runs::record(&*self.store, &run).await {
            tracing::warn!(%error, "could not record the ingestion run");
        }
        tracing::info!(
            fetched = summary.fetched,
            new = summary.new,
            duplicates = summary.duplicates,
            errors = summary.errors,
            "ingestion run finished"
        );
        Ok(summary)
    }

    /// Scores a raw item and folds it into this run's pending articles.
    fn gather(
        &self,
        raw: RawArticle,
        summary: &mut SourceSummary,
        pending: &mut BTreeMap<ArticleId, Pending>,
        now: DateTime<Utc>,
    ) {
        if raw.tickers.is_empty() {
            summary.skipped += 1;
            return;
        }
        let id = raw.id();
        if let Some(existing) = pending.get_mut(&id) {
            if existing.article.is_credited_to(raw.source) {
                // The same source sent the story twice in one run.
                summary.duplicates += 1;
            } else {
                existing.article.credits.push(raw.credit());
                existing.article.tickers.extend(raw.tickers.iter().cloned());
                existing.reporters.push(raw.source);
            }
            return;
        }
        let sentiment = self.model.score(&raw.text_to_score());
        let article = Article {
            id: id.clone(),
            title: raw.title.clone(),
            summary: raw.summary.clone(),
            url: raw.url.clone(),
            published_at: raw.published_at,
            tickers: raw.tickers.clone(),
            credits: vec![raw.credit()],
            sentiment,
            model_version: self.model.version().to_owned(),
            ingested_at: now,
        };
        pending.insert(id, Pending { article, reporters: vec![raw.source] });
    }
}

fn describe(kind: SourceKind, error: &SourceError) -> String {
    format!("{kind}: {error}")
}

#[cfg(test)]
mod tests;
