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
use domain::run::{RunSummary, SourceStatus, SourceSummary};
use domain::source::{FetchRequest, NewsSource, SourceError};
use domain::store::{Store, StoreError};
use domain::table::articles::{self, RecordOutcome};
use domain::table::{configurations, runs, users};
use domain::{Article, ArticleId, Clock, RawArticle, SourceKind, Ticker};
use futures::StreamExt;

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
                    summary.reject(fetched.rejected);
                    summary.out_of_window += fetched.out_of_window;
                    summary.stops.extend(fetched.stops);
                    if !fetched.partial_errors.is_empty() {
                        summary.degrade(SourceStatus::Partial);
                    }
                    for error in &fetched.partial_errors {
                        summary.error(describe(kind, error));
                    }
                    for raw in fetched.articles {
                        summary.fetched += 1;
                        self.gather(raw, summary, &mut pending, started_at);
                    }
                }
                Err(error) => {
                    summary.degrade(SourceStatus::Failed);
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
        let mut to_store: BTreeMap<SourceKind, usize> = BTreeMap::new();
        for (p, outcome) in outcomes {
            for (position, kind) in p.reporters.iter().enumerate() {
                let Some(summary) = summaries.get_mut(kind) else { continue };
                *to_store.entry(*kind).or_default() += 1;
                match &outcome {
                    Ok(RecordOutcome::Inserted) if position == 0 => summary.new += 1,
                    Ok(RecordOutcome::Inserted | RecordOutcome::Credited) => {
                        summary.duplicates += 1;
                        summary.credited += 1;
                    }
                    Ok(RecordOutcome::Duplicate) => summary.duplicates += 1,
                    Err(error) => {
                        summary.write_failures += 1;
                        summary.error(format!("storing article {}: {error}", p.article.id));
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
        }

        let finished_at = self.clock.now();
        let summary = RunSummary {
            started_at,
            finished_at,
            status: RunSummary::status_of(&summaries),
            tickers: tickers.into_iter().collect(),
            fetched: summaries.values().map(|s| s.fetched).sum(),
            new: summaries.values().map(|s| s.new).sum(),
            duplicates: summaries.values().map(|s| s.duplicates).sum(),
            errors: summaries.values().map(|s| s.errors).sum(),
            sources: summaries,
        };
        if let Err(error) = runs::record(&*self.store, &summary).await {
            tracing::warn!(%error, "could not record the ingestion run");
        }
        tracing::info!(
            status = ?summary.status,
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
            let merge = existing.article.merge_report(&raw.credit(), &raw.tickers);
            if merge.new_credit {
                existing.reporters.push(raw.source);
            } else {
                // The same source sent the story twice in one run (Finnhub does, once per
                // symbol it concerns): it is one story, now filed under both symbols.
                summary.duplicates += 1;
            }
            return;
        }
        let sentiment = self.model.score_article(&raw.title, raw.summary.as_deref());
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
