//! Finnhub company news: `GET /company-news?symbol&from&to`, one request per ticker, token in
//! the `X-Finnhub-Token` header. Errors are `{"error": ...}` bodies, sometimes on a 2xx.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::source::{FetchRequest, Fetched, NewsSource, SourceError};
use domain::{RawArticle, SourceKind, Ticker};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

use crate::http::{HttpConfig, Vendor, excerpt};
use crate::{MAX_SUMMARY_CHARS, MAX_TITLE_CHARS, clean_text, collect_items, in_window, parse_tickers};

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
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(_) if status == 429 => {
            return Err(SourceError::RateLimited {
                message: excerpt(body),
                retry_after: Some(DEFAULT_RATE_LIMIT_WAIT),
            });
        }
        Err(_) if status >= 400 => return Err(SourceError::Upstream { status, message: excerpt(body) }),
        Err(_) => return Err(SourceError::Malformed(format!("not JSON: {}", excerpt(body)))),
    };
    let error = value.get("error").and_then(Value::as_str).map(str::to_owned);
    match (status, error) {
        (429, e) => {
            return Err(SourceError::RateLimited {
                message: e.unwrap_or_else(|| excerpt(body)),
                retry_after: Some(retry_after(reset_header, now)),
            });
        }
        (401, e) => return Err(SourceError::Unauthorized(e.unwrap_or_else(|| excerpt(body)))),
        (403, e) => return Err(SourceError::Forbidden(e.unwrap_or_else(|| excerpt(body)))),
        (_, Some(e)) if e.contains("limit") => {
            return Err(SourceError::RateLimited {
                message: e,
                retry_after: Some(retry_after(reset_header, now)),
            });
        }
        (200..=299, None) => {}
        (status, e) => {
            return Err(SourceError::Upstream { status, message: e.unwrap_or_else(|| excerpt(body)) });
        }
    }
    let Value::Array(items) = value else {
        return Err(SourceError::Malformed(format!("expected a JSON array, got: {}", excerpt(body))));
    };
    Ok(collect_items("finnhub", items, |item| normalize(item, symbol)))
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
}

impl FinnhubClient {
    pub fn new(base_url: &str, token: SecretString, config: HttpConfig) -> Result<Self, SourceError> {
        let auth: (&'static str, fn(&str) -> String) = ("X-Finnhub-Token", str::to_owned);
        Ok(Self { vendor: Vendor::new(base_url, token, config, auth)? })
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
        for symbol in &request.tickers {
            let query = [("symbol", symbol.as_str()), ("from", from.as_str()), ("to", to.as_str())];
            let response = self.vendor.get("/company-news", &query).await;
            let parsed = response.and_then(|r| {
                let reset = r.headers.get("x-ratelimit-reset").and_then(|v| v.to_str().ok());
                parse_company_news(r.status, reset, Utc::now(), symbol, &r.body)
            });
            match parsed {
                Ok(fetched) => {
                    succeeded += 1;
                    out.rejected.extend(fetched.rejected);
                    out.articles.extend(fetched.articles);
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
                    out.partial_errors.push(e);
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
        out.articles.retain(|a| in_window(a.published_at, request.since, request.until));
        Ok(out)
    }
}
