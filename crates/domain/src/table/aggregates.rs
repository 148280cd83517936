//! Per-ticker hourly aggregates: counts by label and the sum of scores, updated atomically
//! in the same transaction that stores an article.

use chrono::{DateTime, Duration, DurationRound, TimeZone, Utc};

use super::{RETENTION_DAYS, keys};
use crate::aggregate::{HourlyBucket, SCORE_SCALE};
use crate::store::{Key, Query, SkRange, Store, StoreError, Update};
use crate::{Article, SentimentLabel, Ticker};

pub(crate) fn count_article(ticker: &Ticker, article: &Article) -> Update {
    let hour = article.published_at.duration_trunc(Duration::hours(1)).unwrap_or(article.published_at);
    let label_field = article.sentiment.label.as_str();
    let scaled_score = (article.sentiment.score * SCORE_SCALE).round() as i64;
    Update::new(Key::new(keys::ticker_pk(ticker), keys::hour_sk(hour)))
        .add("articles", 1)
        .add(label_field, 1)
        .add("score_sum", scaled_score)
        .set("hour_start", hour.timestamp())
        .set("updated_at", article.ingested_at.timestamp())
        .expires_at((hour + Duration::days(RETENTION_DAYS)).timestamp())
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
            let at = |name: &str| Utc.timestamp_opt(item.counter(name), 0).single();
            let hour = at("hour_start").ok_or_else(|| {
                StoreError::Corrupt(format!("aggregate {}/{} has no hour", item.key.pk, item.key.sk))
            })?;
            buckets.push(HourlyBucket {
                hour,
                positive: item.counter(SentimentLabel::Positive.as_str()),
                negative: item.counter(SentimentLabel::Negative.as_str()),
                neutral: item.counter(SentimentLabel::Neutral.as_str()),
                score_sum: item.counter("score_sum"),
                updated_at: at("updated_at"),
            });
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
