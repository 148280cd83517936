//! Tiingo news: `GET /tiingo/news`, token in the `Authorization` header, limit/offset paging.
//! Tiingo signals errors in several ways (a `detail` object on any status, plain text on a
//! 200), so every response is classified by its body as well as its status.

use std::collections::HashSet;

use async_trait::async_trait;
use chrono::{DateTime, Duration, Utc};
use domain::source::{FetchRequest, Fetched, NewsSource, SourceError};
use domain::{RawArticle, SourceKind, Ticker};
use secrecy::SecretString;
use serde::Deserialize;

use crate::body::{self, Shape};
use crate::guard::Guard;
use crate::http::{HttpConfig, Vendor, excerpt};
use crate::{Limits, MAX_SUMMARY_CHARS, MAX_TITLE_CHARS, clean_text, parse_tickers};

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
    pub crawl_date: Option<String>,
    pub source: Option<String>,
    #[serde(default)]
    pub tickers: Vec<String>,
}

/// Parses a news response body into articles, rejecting (and counting) unusable items.
pub fn parse_news(status: u16, body: &[u8]) -> Result<Fetched, SourceError> {
    parse_news_capped(status, body, Limits::default().max_items_per_response)
}

fn parse_news_capped(status: u16, body: &[u8], max_items: usize) -> Result<Fetched, SourceError> {
    match body::shape(body) {
        Shape::Array if (200..300).contains(&status) => {
            Ok(body::each_item("tiingo", body, max_items, normalize))
        }
        Shape::Array => Err(SourceError::Upstream { status, message: excerpt(body) }),
        Shape::Object(fields) => Err(classify(status, fields.detail(), body)),
        Shape::Text => {
            let text = String::from_utf8_lossy(body);
            let trimmed = text.trim_start();
            if trimmed.starts_with("You have run over") || trimmed.starts_with("Error:") || status == 429 {
                Err(SourceError::RateLimited { message: excerpt(body), retry_after: None })
            } else if status >= 400 {
                Err(SourceError::Upstream { status, message: excerpt(body) })
            } else {
                Err(SourceError::Malformed(format!("not JSON: {}", excerpt(body))))
            }
        }
    }
}

/// Maps Tiingo's error conventions (a `detail` message, on any status) onto `SourceError`.
fn classify(status: u16, detail: Option<String>, body: &[u8]) -> SourceError {
    match (status, detail) {
        (_, Some(d)) if d.contains("run over") => SourceError::RateLimited { message: d, retry_after: None },
        (429, d) => {
            SourceError::RateLimited { message: d.unwrap_or_else(|| excerpt(body)), retry_after: None }
        }
        (401 | 403, Some(d)) if d.contains("permission") => SourceError::Forbidden(d),
        (401 | 403, d) => SourceError::Unauthorized(d.unwrap_or_else(|| excerpt(body))),
        (200..=299, None) => SourceError::Malformed(format!("expected a JSON array, got: {}", excerpt(body))),
        (status, d) => SourceError::Upstream { status, message: d.unwrap_or_else(|| excerpt(body)) },
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
        // A missing or unreadable crawlDate only costs the watermark its precision.
        crawled_at: item
            .crawl_date
            .as_deref()
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
            .map(|d| d.with_timezone(&Utc)),
        tickers: parse_tickers(item.tickers.iter().map(String::as_str)),
    })
}

/// How far before a ticker's watermark a run reads again, for items Tiingo files late.
pub const WATERMARK_OVERLAP: Duration = Duration::minutes(10);
/// Tickers asked about in one call. Each call's quota reservation records the symbols it names
/// in one transaction, which must stay within the store's operations per transaction.
pub const MAX_TICKERS_PER_CALL: usize = 50;

#[derive(Debug)]
pub struct TiingoClient {
    vendor: Vendor,
    page_size: u32,
    max_pages: u32,
    limits: Limits,
}

impl TiingoClient {
    pub fn new(base_url: &str, token: SecretString, config: HttpConfig) -> Result<Self, SourceError> {
        let auth: (&'static str, fn(&str) -> String) = ("Authorization", |key| format!("Token {key}"));
        Ok(Self {
            vendor: Vendor::new(base_url, token, config, auth)?,
            page_size: 100,
            max_pages: 10,
            limits: Limits::default(),
        })
    }

    pub fn with_paging(mut self, page_size: u32, max_pages: u32) -> Self {
        self.page_size = page_size.clamp(1, 1000);
        self.max_pages = max_pages.max(1);
        self
    }

    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
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
}

#[async_trait]
impl NewsSource for TiingoClient {
    fn kind(&self) -> SourceKind {
        SourceKind::Tiingo
    }

    async fn guard_state(&self) -> Option<domain::run::GuardState> {
        self.vendor.guard()?.state().await
    }

    /// Pages the feed newest crawled first. With a watermark for every ticker asked about,
    /// paging stops once it reaches items crawled before the oldest of them (less
    /// [`WATERMARK_OVERLAP`]), so a run reads only what is new; when it got that far (or to
    /// the end of the feed), every ticker's watermark moves up to the newest crawl seen.
    async fn fetch(&self, request: &FetchRequest) -> Result<Fetched, SourceError> {
        let mut out = Fetched::default();
        let mut first_error = None;
        let mut delivered = false;
        for group in request.tickers.chunks(MAX_TICKERS_PER_CALL) {
            match self.fetch_group(group, request).await {
                Ok(fetched) => {
                    delivered = true;
                    out.absorb(fetched);
                }
                Err(e) => {
                    let ends = e.ends_the_run();
                    first_error.get_or_insert_with(|| e.clone());
                    out.partial_errors.push(e);
                    if ends {
                        break;
                    }
                }
            }
        }
        match first_error {
            Some(e) if !delivered => Err(e),
            _ => Ok(out),
        }
    }
}

impl TiingoClient {
    /// One call's worth of tickers, paged.
    async fn fetch_group(&self, group: &[Ticker], request: &FetchRequest) -> Result<Fetched, SourceError> {
        if group.is_empty() {
            return Ok(Fetched::default());
        }
        let symbols: Vec<String> = group.iter().map(|t| t.as_str().to_ascii_lowercase()).collect();
        let symbol_refs: Vec<&str> = symbols.iter().map(String::as_str).collect();
        let tickers = symbols.join(",");
        // Paging stops at the oldest watermark (a crawl time); a ticker without one reads the
        // whole window. The date filter stays the whole window: it is on publication time,
        // and a story published before the watermark may be crawled after it.
        let resume_from = group
            .iter()
            .map(|t| request.watermarks.get(t).map(|w| *w - WATERMARK_OVERLAP))
            .collect::<Option<Vec<_>>>()
            .and_then(|marks| marks.into_iter().min());
        let start = request.since.format("%Y-%m-%d").to_string();
        let end = request.until.format("%Y-%m-%d").to_string();
        let page_size = self.page_size as usize;
        let mut out = Fetched::default();
        let mut seen = HashSet::new();
        let mut newest_crawl: Option<DateTime<Utc>> = None;
        let mut complete = false;
        for page in 0..self.max_pages {
            let offset = (page * self.page_size).to_string();
            let limit = self.page_size.to_string();
            let query = [
                ("tickers", tickers.as_str()),
                ("startDate", start.as_str()),
                ("endDate", end.as_str()),
                ("limit", limit.as_str()),
                ("offset", offset.as_str()),
                ("sortBy", "crawlDate"),
            ];
            let max_items = self.limits.max_items_per_response.max(page_size);
            let result = self
                .vendor
                .call("/tiingo/news", &query, &symbol_refs, request.stop_at, |response| {
                    parse_news_capped(response.status, &response.body, max_items)
                })
                .await;
            if !matches!(&result, Err(e) if e.was_not_sent()) {
                out.calls += 1;
            }
            let mut fetched = match result {
                Ok(fetched) => fetched,
                Err(e) if page == 0 => return Err(e),
                Err(e) => {
                    // Keep the pages already read; the run is partial, not failed.
                    out.partial_errors.push(e);
                    break;
                }
            };
            let page_len = fetched.articles.len() + fetched.rejected.count;
            let broke_off = !fetched.partial_errors.is_empty() || !fetched.stops.is_empty();
            // The feed moves while we page: an item may appear on two pages.
            fetched.articles.retain(|a| seen.insert(a.source_item_id.clone()));
            let crawls = fetched.articles.iter().filter_map(|a| a.crawled_at);
            newest_crawl = newest_crawl.into_iter().chain(crawls.clone()).max();
            let reached_watermark = resume_from.is_some_and(|mark| crawls.clone().any(|c| c < mark));
            out.absorb(fetched);
            if broke_off {
                break;
            }
            if page_len < page_size || reached_watermark {
                complete = true;
                break;
            }
            if out.articles.len() >= self.limits.max_items_per_run {
                out.stops.push(format!(
                    "tiingo: stopped at {} items, the most one run takes; older news was not fetched",
                    out.articles.len()
                ));
                break;
            }
            if page + 1 == self.max_pages {
                out.stops.push(format!(
                    "tiingo: stopped after {} pages of {page_size}, the most one run reads; older news may not have been fetched",
                    self.max_pages
                ));
            }
        }
        if complete && let Some(newest) = newest_crawl {
            for ticker in group {
                let old = request.watermarks.get(ticker).copied();
                out.watermarks.insert(ticker.clone(), old.map_or(newest, |o| o.max(newest)));
            }
        }
        // Tiingo's date filter is coarse and sometimes ignored: filter here too.
        out.keep_window(request.since, request.until);
        Ok(out)
    }
}
