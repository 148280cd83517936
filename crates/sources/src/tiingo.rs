//! Tiingo news: `GET /tiingo/news`, token in the `Authorization` header, limit/offset paging.
//! Tiingo signals errors in several ways (a `detail` object on any status, plain text on a
//! 200), so every response is classified by its body as well as its status.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use domain::source::{FetchRequest, Fetched, NewsSource, SourceError};
use domain::{RawArticle, SourceKind};
use secrecy::SecretString;
use serde::Deserialize;
use serde_json::Value;

use crate::http::{HttpConfig, Vendor, excerpt};
use crate::{MAX_SUMMARY_CHARS, MAX_TITLE_CHARS, clean_text, collect_items, in_window, parse_tickers};

pub const DEFAULT_BASE_URL: &str = "https://api.tiingo.com";

/// One news item as Tiingo sends it. Unknown fields are ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewsItem {
    pub id: i64,
    pub title: Option<String>,
    pub url: Option<String>,
    pub description: Option<String>,
    pub published_date: String,
    pub source: Option<String>,
    #[serde(default)]
    pub tickers: Vec<String>,
}

/// Parses a news response body into articles, rejecting (and describing) unusable items.
pub fn parse_news(status: u16, body: &[u8]) -> Result<Fetched, SourceError> {
    let value = classify(status, body)?;
    let Value::Array(items) = value else {
        return Err(SourceError::Malformed(format!("expected a JSON array, got: {}", excerpt(body))));
    };
    Ok(collect_items("tiingo", items, normalize))
}

/// Maps Tiingo's error conventions onto `SourceError`; returns the JSON on success.
fn classify(status: u16, body: &[u8]) -> Result<Value, SourceError> {
    let text = String::from_utf8_lossy(body);
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        let trimmed = text.trim_start();
        if trimmed.starts_with("You have run over") || trimmed.starts_with("Error:") || status == 429 {
            return Err(SourceError::RateLimited { message: excerpt(body), retry_after: None });
        }
        if status >= 400 {
            return Err(SourceError::Upstream { status, message: excerpt(body) });
        }
        return Err(SourceError::Malformed(format!("not JSON: {}", excerpt(body))));
    };
    let detail = value.get("detail").and_then(Value::as_str).map(str::to_owned);
    match (status, detail) {
        (_, Some(d)) if d.contains("run over") => {
            Err(SourceError::RateLimited { message: d, retry_after: None })
        }
        (429, d) => {
            Err(SourceError::RateLimited { message: d.unwrap_or_else(|| excerpt(body)), retry_after: None })
        }
        (401 | 403, Some(d)) if d.contains("permission") => Err(SourceError::Forbidden(d)),
        (401 | 403, d) => Err(SourceError::Unauthorized(d.unwrap_or_else(|| excerpt(body)))),
        (200..=299, None) => Ok(value),
        (status, d) => Err(SourceError::Upstream { status, message: d.unwrap_or_else(|| excerpt(body)) }),
    }
}

fn normalize(item: NewsItem) -> Result<RawArticle, String> {
    let id = item.id;
    let title = item
        .title
        .as_deref()
        .and_then(|t| clean_text(t, MAX_TITLE_CHARS))
        .ok_or_else(|| format!("tiingo item {id} has no title"))?;
    let published_at = DateTime::parse_from_rfc3339(&item.published_date)
        .map_err(|_| format!("tiingo item {id} has an unreadable publishedDate"))?
        .with_timezone(&Utc);
    Ok(RawArticle {
        source: SourceKind::Tiingo,
        source_item_id: id.to_string(),
        title,
        summary: item.description.as_deref().and_then(|d| clean_text(d, MAX_SUMMARY_CHARS)),
        url: item.url.unwrap_or_default(),
        publisher: item.source.unwrap_or_default(),
        published_at,
        tickers: parse_tickers(item.tickers.iter().map(String::as_str)),
    })
}

#[derive(Debug)]
pub struct TiingoClient {
    vendor: Vendor,
    page_size: u32,
    max_pages: u32,
}

impl TiingoClient {
    pub fn new(base_url: &str, token: SecretString, config: HttpConfig) -> Result<Self, SourceError> {
        let auth: (&'static str, fn(&str) -> String) = ("Authorization", |key| format!("Token {key}"));
        Ok(Self { vendor: Vendor::new(base_url, token, config, auth)?, page_size: 100, max_pages: 10 })
    }

    pub fn with_paging(mut self, page_size: u32, max_pages: u32) -> Self {
        self.page_size = page_size.clamp(1, 1000);
        self.max_pages = max_pages.max(1);
        self
    }
}

#[async_trait]
impl NewsSource for TiingoClient {
    fn kind(&self) -> SourceKind {
        SourceKind::Tiingo
    }

    async fn fetch(&self, request: &FetchRequest) -> Result<Fetched, SourceError> {
        if request.tickers.is_empty() {
            return Ok(Fetched::default());
        }
        let tickers =
            request.tickers.iter().map(|t| t.as_str().to_ascii_lowercase()).collect::<Vec<_>>().join(",");
        let start = request.since.format("%Y-%m-%d").to_string();
        let end = request.until.format("%Y-%m-%d").to_string();
        let mut out = Fetched::default();
        let mut seen = HashSet::new();
        for page in 0..self.max_pages {
            let offset = (page * self.page_size).to_string();
            let limit = self.page_size.to_string();
            let query = [
                ("tickers", tickers.as_str()),
                ("startDate", start.as_str()),
                ("endDate", end.as_str()),
                ("limit", limit.as_str()),
                ("offset", offset.as_str()),
                ("sortBy", "publishedDate"),
            ];
            let response = self.vendor.get("/tiingo/news", &query).await?;
            let fetched = parse_news(response.status, &response.body)?;
            let page_len = fetched.articles.len() + fetched.rejected.len();
            out.rejected.extend(fetched.rejected);
            // The feed moves while we page: an item may appear on two pages.
            out.articles
                .extend(fetched.articles.into_iter().filter(|a| seen.insert(a.source_item_id.clone())));
            if page_len < self.page_size as usize {
                break;
            }
        }
        // Tiingo's date filter is coarse and sometimes ignored: filter here too.
        out.articles.retain(|a| in_window(a.published_at, request.since, request.until));
        Ok(out)
    }
}
