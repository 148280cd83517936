//! Per-ticker hourly aggregates: counts by label and the sum of scores, updated atomically
//! in the same transaction that stores an article.

use chrono::{DateTime, Duration, TimeZone, Utc};

use super::{RETENTION_DAYS, decode, keys};
use crate::aggregate::{HourlyBucket, SCORE_SCALE, SourceCount, hour_of};
use crate::store::{Condition, Item, Key, Query, SkRange, Store, StoreError, Update};
use crate::{Article, SentimentLabel, SourceKind, Ticker};

fn source_fields(source: SourceKind) -> (&'static str, &'static str) {
    match source {
        SourceKind::Tiingo => ("tiingo_articles", "tiingo_score_sum"),
        SourceKind::Finnhub => ("finnhub_articles", "finnhub_score_sum"),
    }
}

/// The key of `ticker`'s bucket for the hour `article` was published in.
fn bucket_key(ticker: &Ticker, article: &Article) -> Key {
    Key::new(keys::ticker_pk(ticker), keys::hour_sk(hour_of(article.published_at)))
}

fn bucket_update(ticker: &Ticker, article: &Article) -> Update {
    let hour = hour_of(article.published_at);
    Update::new(bucket_key(ticker, article))
        .set("hour_start", hour.timestamp())
        .set("updated_at", article.ingested_at.timestamp())
        .expires_at((hour + Duration::days(RETENTION_DAYS)).timestamp())
}

fn scaled(article: &Article) -> i64 {
    (article.sentiment.score * SCORE_SCALE).round() as i64
}

/// Counts a new article (or an article newly tagged with `ticker`) in its hour: by label,
/// and under every source that reported it.
pub(crate) fn count_article(ticker: &Ticker, article: &Article) -> Update {
    let sources: Vec<SourceKind> =
        SourceKind::ALL.into_iter().filter(|s| article.is_credited_to(*s)).collect();
    count_sources(
        bucket_update(ticker, article)
            .add("articles", 1)
            .add(article.sentiment.label.as_str(), 1)
            .add("score_sum", scaled(article)),
        article,
        &sources,
    )
}

/// Counts an article already in its hour under sources that have just reported it too.
pub(crate) fn count_new_sources(ticker: &Ticker, article: &Article, sources: &[SourceKind]) -> Update {
    count_sources(bucket_update(ticker, article), article, sources)
}

fn count_sources(mut update: Update, article: &Article, sources: &[SourceKind]) -> Update {
    for &source in sources {
        let (articles, score_sum) = source_fields(source);
        update = update.add(articles, 1).add(score_sum, scaled(article));
    }
    update
}

/// Moves an article's counts in `ticker`'s hour from its old score to its new one (the same
/// hour, tickers and sources), when the article is re-scored. Only if the hour's bucket still
/// exists: an expired bucket is not brought back with the difference alone.
pub(crate) fn rescore_article(ticker: &Ticker, before: &Article, after: &Article) -> Update {
    let mut update = Update::new(bucket_key(ticker, before)).when(Condition::Exists);
    if before.sentiment.label != after.sentiment.label {
        update = update.add(before.sentiment.label.as_str(), -1).add(after.sentiment.label.as_str(), 1);
    }
    let delta = scaled(after) - scaled(before);
    update = update.add("score_sum", delta);
    for source in SourceKind::ALL.into_iter().filter(|s| before.is_credited_to(*s)) {
        update = update.add(source_fields(source).1, delta);
    }
    update
}

fn source_count(item: &Item, source: SourceKind) -> Result<SourceCount, StoreError> {
    let (articles, score_sum) = source_fields(source);
    Ok(SourceCount { articles: item.counter(articles)?, score_sum: item.counter(score_sum)? })
}

/// Buckets for hours in `[from, to]`, oldest first.
pub async fn load(
    store: &dyn Store,
    ticker: &Ticker,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<HourlyBucket>, StoreError> {
    let mut buckets = Vec::new();
    let mut cursor = None;
    loop {
        let query = Query::partition(keys::ticker_pk(ticker))
            .sk(SkRange::Between(keys::hour_sk(from), keys::hour_sk(to)))
            .limit(500)
            .after(cursor);
        let page = store.query(&query).await?;
        for item in &page.items {
            let at = |name: &str| item.counter(name).map(|secs| Utc.timestamp_opt(secs, 0).single());
            let hour = at("hour_start")?.ok_or_else(|| {
                StoreError::Corrupt(format!("aggregate {}/{} has no hour", item.key.pk, item.key.sk))
            })?;
            buckets.push(HourlyBucket {
                hour,
                positive: item.counter(SentimentLabel::Positive.as_str())?,
                negative: item.counter(SentimentLabel::Negative.as_str())?,
                neutral: item.counter(SentimentLabel::Neutral.as_str())?,
                score_sum: item.counter("score_sum")?,
                updated_at: at("updated_at")?,
                tiingo: source_count(item, SourceKind::Tiingo)?,
                finnhub: source_count(item, SourceKind::Finnhub)?,
            });
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(buckets),
        }
    }
}

/// The buckets covering exactly `[start, end]`: the hourly aggregates of every hour that starts
/// inside the window, plus the window's oldest, partial hour read article by article (each
/// such article becomes a bucket of one at its publication time). A 1-hour window at 21:10
/// therefore counts the articles from 20:10 on, not the hour 20:00-21:00 nor nothing.
pub async fn load_window(
    store: &dyn Store,
    ticker: &Ticker,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<HourlyBucket>, StoreError> {
    let first_whole = hour_of(start);
    let first_whole = if first_whole < start { first_whole + Duration::hours(1) } else { first_whole };
    // Two queries of one partition, run at once: the edge's articles and the whole hours.
    let whole_hours = async {
        if first_whole <= end { load(store, ticker, first_whole, end).await } else { Ok(Vec::new()) }
    };
    let (mut buckets, whole) =
        futures::future::try_join(edge_articles(store, ticker, start, first_whole.min(end)), whole_hours)
            .await?;
    buckets.extend(whole);
    Ok(buckets)
}

/// The articles published in `[from, until)`, each as a bucket of one.
async fn edge_articles(
    store: &dyn Store,
    ticker: &Ticker,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<HourlyBucket>, StoreError> {
    let mut buckets = Vec::new();
    if from >= until {
        return Ok(buckets);
    }
    let mut cursor = None;
    loop {
        let query = Query::partition(keys::ticker_pk(ticker))
            .sk(SkRange::Between(
                format!("{}{}", keys::TICKER_ARTICLE_PREFIX, keys::sortable_time(from)),
                format!("{}{}", keys::TICKER_ARTICLE_PREFIX, keys::sortable_time(until)),
            ))
            .limit(500)
            .after(cursor);
        let page = store.query(&query).await?;
        for item in &page.items {
            let article: Article = decode(item)?;
            if article.published_at >= from && article.published_at < until {
                buckets.push(HourlyBucket::of_article(&article));
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(buckets),
        }
    }
}

/// Whether the ticker has any stored history at all (any live aggregate).
pub async fn has_history(store: &dyn Store, ticker: &Ticker) -> Result<bool, StoreError> {
    let query = Query::partition(keys::ticker_pk(ticker))
        .sk(SkRange::Prefix(keys::TICKER_HOUR_PREFIX.into()))
        .newest_first()
        .limit(1);
    Ok(!store.query(&query).await?.items.is_empty())
}
