//! Key builders. Sort keys embed times as fixed-width UTC text so byte order is time order.

use chrono::{DateTime, Utc};

use crate::{ArticleId, Ticker};

pub const ARTICLE_SK: &str = "ARTICLE";
pub const WATCH_PK: &str = "WATCH";
pub const INGEST_PK: &str = "INGEST";

/// `2026-11-28T22:05:00Z`: seconds precision, sortable as text.
pub fn sortable_time(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub fn article_pk(id: &ArticleId) -> String {
    format!("ARTICLE#{id}")
}

/// GSI1 partition for the all-tickers feed: one per month keeps partitions small and lets a
/// reader walk back month by month.
pub fn feed_pk(at: DateTime<Utc>) -> String {
    format!("FEED#{}", at.format("%Y-%m"))
}

pub fn feed_sk(published_at: DateTime<Utc>, id: &ArticleId) -> String {
    format!("{}#{id}", sortable_time(published_at))
}

pub fn ticker_pk(ticker: &Ticker) -> String {
    format!("TICKER#{ticker}")
}

pub const TICKER_ARTICLE_PREFIX: &str = "ART#";
pub const TICKER_HOUR_PREFIX: &str = "HOUR#";

pub fn ticker_article_sk(published_at: DateTime<Utc>, id: &ArticleId) -> String {
    format!("{TICKER_ARTICLE_PREFIX}{}#{id}", sortable_time(published_at))
}

pub fn hour_sk(at: DateTime<Utc>) -> String {
    format!("{TICKER_HOUR_PREFIX}{}", at.format("%Y-%m-%dT%H"))
}

pub fn watch_sk(ticker: &Ticker) -> String {
    format!("TICKER#{ticker}")
}

pub fn ingest_run_sk(started_at: DateTime<Utc>) -> String {
    format!("RUN#{}", started_at.format("%Y-%m-%dT%H:%M:%S%.6fZ"))
}

/// Shared-state keys used by the rate-limit, circuit-breaker and quota crates.
pub fn rate_limit_pk(scope: &str, client: &str) -> String {
    format!("RATE#{scope}#{client}")
}

pub fn breaker_pk(name: &str) -> String {
    format!("BREAKER#{name}")
}

pub fn quota_pk(name: &str) -> String {
    format!("QUOTA#{name}")
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn time_keys_sort_like_time() {
        let earlier = Utc.with_ymd_and_hms(2026, 9, 30, 23, 59, 59).unwrap();
        let later = Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap();
        assert!(sortable_time(earlier) < sortable_time(later));
        assert!(hour_sk(earlier) < hour_sk(later));
        assert_eq!(hour_sk(later), "HOUR#2026-10-01T00");
        assert_eq!(feed_pk(later), "FEED#2026-10");
    }
}
