//! Finnhub company news: `GET /company-news?symbol&from&to`, one request per ticker, token in
//! the `X-Finnhub-Token` header. Errors are `{"error": ...}` bodies, sometimes on a 2xx.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::source::{FetchRequest, Fetched, NewsSource, SourceError};
use domain::{RawArticle, SourceKind, Ticker};
use secrecy::SecretString;
use serde::Deserialize;

use crate::body::{self, Shape};
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
        tickers,
    })
}

#[derive(Debug)]
pub struct FinnhubClient {
    vendor: Vendor,
    limits: Limits,
}

impl FinnhubClient {
    pub fn new(base_url: &str, token: SecretString, config: HttpConfig) -> Result<Self, SourceError> {
        let auth: (&'static str, fn(&str) -> String) = ("X-Finnhub-Token", str::to_owned);
        Ok(Self { vendor: Vendor::new(base_url, token, config, auth)?, limits: Limits::default() })
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }
}

#[async_trait]
impl NewsSource for FinnhubClient {
    fn kind(&self) -> SourceKind {
        SourceKind::Finnhub
    }

    async fn fetch(&self, request: &FetchRequest) -> Result<Fetched, SourceError> {
        let from = request.since.format("%Y-%m-%d").to_string();
        let to = request.until.format("%Y-%m-%d").to_string();
        let mut out = Fetched::default();
        let mut succeeded = 0;
        for (position, symbol) in request.tickers.iter().enumerate() {
            if out.articles.len() >= self.limits.max_items_per_run {
                out.stops.push(format!(
                    "finnhub: stopped at {} items, the most one run takes; {} of {} symbols were not asked",
                    out.articles.len(),
                    request.tickers.len() - position,
                    request.tickers.len()
                ));
                break;
            }
            let query = [("symbol", symbol.as_str()), ("from", from.as_str()), ("to", to.as_str())];
            let parsed = match self.vendor.get("/company-news", &query).await {
                Ok(r) => parse_capped(
                    r.status,
                    r.header("x-ratelimit-reset"),
                    Utc::now(),
                    symbol,
                    &r.body,
                    self.limits.max_items_per_response,
                ),
                Err(e) => Err(e),
            };
            match parsed {
                Ok(fetched) => {
                    succeeded += 1;
                    out.absorb(fetched);
                }
                // Bad credentials, a spent allowance or an unreachable host (after retries)
                // will not get better on the next symbol.
                Err(
                    e @ (SourceError::Unauthorized(_)
                    | SourceError::Forbidden(_)
                    | SourceError::RateLimited { .. }
                    | SourceError::Network(_)),
                ) => {
                    if succeeded == 0 {
                        return Err(e);
                    }
                    let left = request.tickers.len() - position - 1;
                    out.partial_errors.push(e);
                    if left > 0 {
                        out.stops.push(format!("finnhub: {left} symbols were not asked after that error"));
                    }
                    break;
                }
                Err(e) => out.partial_errors.push(e),
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
