//! Finnhub company news: `GET /company-news?symbol&from&to`, one request per ticker, token in
//! the `X-Finnhub-Token` header. Errors are `{"error": ...}` bodies, sometimes on a 2xx.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use domain::source::{FetchRequest, Fetched, NewsSource, SourceError};
use domain::{RawArticle, SourceKind, Ticker};
use secrecy::SecretString;
use serde::Deserialize;

use crate::body::{self, Shape};
use crate::guard::Guard;
use crate::http::{HttpConfig, Vendor, excerpt};
use crate::{Limits, MAX_SUMMARY_CHARS, MAX_TITLE_CHARS, clean_text, parse_tickers};

pub const DEFAULT_BASE_URL: &str = "https://finnhub.io/api/v1";
/// When a 429 carries no usable reset header.
const DEFAULT_RATE_LIMIT_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, Deserialize)]
pub struct NewsItem {
    pub id: i64,
    pub headline: Option<String>,
    /// Unix seconds, UTC.
    pub datetime: i64,
    #[serde(default)]
    pub related: String,
    pub source: Option<String>,
    pub summary: Option<String>,
    pub url: Option<String>,
}

/// Parses a company-news body. `symbol` is the ticker asked for, used when `related` is empty.
pub fn parse_company_news(
    status: u16,
    reset_header: Option<&str>,
    now: DateTime<Utc>,
    symbol: &Ticker,
    body: &[u8],
) -> Result<Fetched, SourceError> {
    parse_capped(status, reset_header, now, symbol, body, Limits::default().max_items_per_response)
}

fn parse_capped(
    status: u16,
    reset_header: Option<&str>,
    now: DateTime<Utc>,
    symbol: &Ticker,
    body: &[u8],
    max_items: usize,
) -> Result<Fetched, SourceError> {
    let rate_limited = |message: String| SourceError::RateLimited {
        message,
        retry_after: Some(retry_after(reset_header, now)),
    };
    match body::shape(body) {
        Shape::Array if (200..300).contains(&status) => {
            Ok(body::each_item("finnhub", body, max_items, |item| normalize(item, symbol)))
        }
        Shape::Array | Shape::Object(_) if status == 429 => Err(rate_limited(excerpt(body))),
        Shape::Array => Err(SourceError::Upstream { status, message: excerpt(body) }),
        Shape::Object(fields) => {
            let error = fields.error();
            Err(match (status, error) {
                (429, e) => rate_limited(e.unwrap_or_else(|| excerpt(body))),
                (401, e) => SourceError::Unauthorized(e.unwrap_or_else(|| excerpt(body))),
                (403, e) => SourceError::Forbidden(e.unwrap_or_else(|| excerpt(body))),
                (_, Some(e)) if e.contains("limit") => rate_limited(e),
                (200..=299, None) => {
                    SourceError::Malformed(format!("expected a JSON array, got: {}", excerpt(body)))
                }
                (status, e) => SourceError::Upstream { status, message: e.unwrap_or_else(|| excerpt(body)) },
            })
        }
        Shape::Text if status == 429 => Err(SourceError::RateLimited {
            message: excerpt(body),
            retry_after: Some(DEFAULT_RATE_LIMIT_WAIT),
        }),
        Shape::Text if status >= 400 => Err(SourceError::Upstream { status, message: excerpt(body) }),
        Shape::Text => Err(SourceError::Malformed(format!("not JSON: {}", excerpt(body)))),
    }
}

/// Until `x-ratelimit-reset` (epoch seconds), else a minute.
fn retry_after(reset_header: Option<&str>, now: DateTime<Utc>) -> Duration {
    reset_header
        .and_then(|h| h.trim().parse::<i64>().ok())
        .and_then(|reset| DateTime::from_timestamp(reset, 0))
        .and_then(|reset| (reset - now).to_std().ok())
        .filter(|wait| *wait <= Duration::from_secs(3600))
        .unwrap_or(DEFAULT_RATE_LIMIT_WAIT)
}

fn normalize(item: NewsItem, symbol: &Ticker) -> Result<RawArticle, String> {
    let id = item.id;
    let title = item
        .headline
        .as_deref()
        .and_then(|t| clean_text(t, MAX_TITLE_CHARS))
        .ok_or_else(|| format!("finnhub item {id} has no headline"))?;
    // Seconds since the epoch, in UTC: never local time. Zero or absurd values are garbage.
    let published_at = DateTime::from_timestamp(item.datetime, 0)
        .filter(|t| t.timestamp() > 0)
        .ok_or_else(|| format!("finnhub item {id} has an invalid datetime"))?;
    let mut tickers = parse_tickers(item.related.split(','));
    if tickers.is_empty() {
        tickers.insert(symbol.clone());
    }
    Ok(RawArticle {
        source: SourceKind::Finnhub,
        source_item_id: id.to_string(),
        title,
        summary: item.summary.as_deref().and_then(|s| clean_text(s, MAX_SUMMARY_CHARS)),
        url: item.url.unwrap_or_default(),
        publisher: item.source.unwrap_or_default(),
        published_at,
        crawled_at: None,
        tickers,
    })
}

/// Finnhub's company news has no paging: a long range comes back cut short (a month once
/// held exactly 500 items). Ranges are asked at most this long, and an answer at least
/// `split_at` items long is asked again in halves until a day is reached.
const MAX_RANGE_DAYS: i64 = 7;
const DEFAULT_SPLIT_AT: usize = 200;

#[derive(Debug)]
pub struct FinnhubClient {
    vendor: Vendor,
    limits: Limits,
    split_at: usize,
}

impl FinnhubClient {
    pub fn new(base_url: &str, token: SecretString, config: HttpConfig) -> Result<Self, SourceError> {
        let auth: (&'static str, fn(&str) -> String) = ("X-Finnhub-Token", str::to_owned);
        Ok(Self {
            vendor: Vendor::new(base_url, token, config, auth)?,
            limits: Limits::default(),
            split_at: DEFAULT_SPLIT_AT,
        })
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// An answer with at least this many items is taken as possibly cut short.
    pub fn with_split_at(mut self, items: usize) -> Self {
        self.split_at = items.max(1);
        self
    }

    /// Every call goes through the source's breaker and quota.
    pub fn with_guard(mut self, guard: Guard) -> Self {
        self.vendor = self.vendor.guarded(guard);
        self
    }

    pub fn guard(&self) -> Option<&Guard> {
        self.vendor.guard()
    }

    /// One symbol over one range of days.
    async fn ask(
        &self,
        symbol: &Ticker,
        from: NaiveDate,
        to: NaiveDate,
        request: &FetchRequest,
    ) -> Result<Fetched, SourceError> {
        let from = from.format("%Y-%m-%d").to_string();
        let to = to.format("%Y-%m-%d").to_string();
        let query = [("symbol", symbol.as_str()), ("from", from.as_str()), ("to", to.as_str())];
        let max_items = self.limits.max_items_per_response;
        // A reset header is read against the clock the quota runs on.
        let now = self.vendor.guard().map_or_else(Utc::now, Guard::now);
        self.vendor
            .call("/company-news", &query, &[symbol.as_str()], request.stop_at, |r| {
                parse_capped(r.status, r.header("x-ratelimit-reset"), now, symbol, &r.body, max_items)
            })
            .await
    }
}

/// `[from, to]` in pieces of at most `MAX_RANGE_DAYS` days, newest first.
fn day_ranges(from: NaiveDate, to: NaiveDate) -> Vec<(NaiveDate, NaiveDate)> {
    let mut out = Vec::new();
    let mut end = to;
    while end >= from {
        let start = (end - chrono::Duration::days(MAX_RANGE_DAYS - 1)).max(from);
        out.push((start, end));
        match start.pred_opt() {
            Some(before) => end = before,
            None => break,
        }
    }
    out
}

#[async_trait]
impl NewsSource for FinnhubClient {
    fn kind(&self) -> SourceKind {
        SourceKind::Finnhub
    }

    async fn guard_state(&self) -> Option<domain::run::GuardState> {
        self.vendor.guard()?.state().await
    }

    async fn fetch(&self, request: &FetchRequest) -> Result<Fetched, SourceError> {
        let mut out = Fetched::default();
        let mut succeeded = 0;
        let mut seen = std::collections::HashSet::new();
        'symbols: for (position, symbol) in request.tickers.iter().enumerate() {
            if out.articles.len() >= self.limits.max_items_per_run {
                out.stops.push(format!(
                    "finnhub: stopped at {} items, the most one run takes; {} of {} symbols were not asked",
                    out.articles.len(),
                    request.tickers.len() - position,
                    request.tickers.len()
                ));
                break;
            }
            let mut ranges = day_ranges(request.since.date_naive(), request.until.date_naive());
            ranges.reverse();
            while let Some((from, to)) = ranges.pop() {
                let answer = self.ask(symbol, from, to, request).await;
                if !matches!(&answer, Err(e) if e.was_not_sent()) {
                    out.calls += 1;
                }
                match answer {
                    Ok(mut fetched) => {
                        succeeded += 1;
                        let answered = fetched.articles.len() + fetched.rejected.count;
                        // An answer cut by our own item cap is garbage, not a long range: no split.
                        if answered >= self.split_at && fetched.stops.is_empty() && from < to {
                            // Possibly cut short: ask again in halves, keeping what came.
                            let middle = from + (to - from) / 2;
                            ranges.push((from, middle));
                            if let Some(next) = middle.succ_opt() {
                                ranges.push((next, to));
                            }
                        }
                        fetched.articles.retain(|a| seen.insert(a.source_item_id.clone()));
                        out.absorb(fetched);
                    }
                    // Bad credentials, a spent allowance, an open breaker, no time left:
                    // the next symbol will not do better.
                    Err(e) if e.ends_the_run() => {
                        if succeeded == 0 {
                            return Err(e);
                        }
                        let left = request.tickers.len() - position - 1;
                        out.partial_errors.push(e);
                        if left > 0 {
                            out.stops
                                .push(format!("finnhub: {left} symbols were not asked after that error"));
                        }
                        break 'symbols;
                    }
                    Err(e) => out.partial_errors.push(e),
                }
            }
        }
        if succeeded == 0
            && let Some(first) = out.partial_errors.first()
        {
            return Err(first.clone());
        }
        out.keep_window(request.since, request.until);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_ranges_are_cut_into_weeks_newest_first() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        assert_eq!(day_ranges(day(1), day(1)), vec![(day(1), day(1))]);
        assert_eq!(day_ranges(day(1), day(15)), vec![(day(9), day(15)), (day(2), day(8)), (day(1), day(1))]);
    }
}
