//! News sources: the Tiingo and Finnhub clients, the parsers for their wire formats, and the
//! bundled sample corpus that goes through those same parsers offline.

pub mod finnhub;
mod http;
pub mod sample;
pub mod tiingo;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use domain::Ticker;

pub use http::HttpConfig;

/// Upper bound on tickers credited to one article (keeps one article's write transaction small).
pub const MAX_TICKERS_PER_ARTICLE: usize = 20;
/// Headlines longer than this are cut (no real headline is; garbage sometimes is).
pub const MAX_TITLE_CHARS: usize = 500;
pub const MAX_SUMMARY_CHARS: usize = 2_000;

/// Valid, de-duplicated, capped tickers from upstream strings; garbage is dropped.
pub(crate) fn parse_tickers<'a>(raw: impl IntoIterator<Item = &'a str>) -> BTreeSet<Ticker> {
    raw.into_iter().filter_map(|t| Ticker::parse(t).ok()).take(MAX_TICKERS_PER_ARTICLE).collect()
}

pub(crate) fn clean_text(text: &str, max_chars: usize) -> Option<String> {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return None;
    }
    Some(collapsed.chars().take(max_chars).collect())
}

/// Turns a vendor's JSON array into articles, one item at a time: an item that does not
/// parse or normalise is described in `rejected` and the rest are kept.
pub(crate) fn collect_items<T: serde::de::DeserializeOwned>(
    vendor: &str,
    items: Vec<serde_json::Value>,
    normalize: impl Fn(T) -> Result<domain::RawArticle, String>,
) -> domain::source::Fetched {
    let mut fetched = domain::source::Fetched::default();
    for raw in items {
        match serde_json::from_value::<T>(raw)
            .map_err(|e| format!("{vendor} item does not parse: {e}"))
            .and_then(&normalize)
        {
            Ok(article) => fetched.articles.push(article),
            Err(reason) => fetched.rejected.push(reason),
        }
    }
    fetched
}

pub(crate) fn in_window(at: DateTime<Utc>, since: DateTime<Utc>, until: DateTime<Utc>) -> bool {
    at >= since && at <= until
}

/// Where a live vendor is and the key to use there.
pub struct Credentials {
    pub base_url: String,
    pub api_key: secrecy::SecretString,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("base_url", &self.base_url)
            .field("api_key", &"[redacted]")
            .finish()
    }
}

/// The live sources for whichever vendors have credentials.
pub fn live_sources(
    tiingo: Option<Credentials>,
    finnhub: Option<Credentials>,
    http: &HttpConfig,
) -> Result<Vec<std::sync::Arc<dyn domain::source::NewsSource>>, domain::source::SourceError> {
    let mut out: Vec<std::sync::Arc<dyn domain::source::NewsSource>> = Vec::new();
    if let Some(c) = tiingo {
        out.push(std::sync::Arc::new(tiingo::TiingoClient::new(&c.base_url, c.api_key, http.clone())?));
    }
    if let Some(c) = finnhub {
        out.push(std::sync::Arc::new(finnhub::FinnhubClient::new(&c.base_url, c.api_key, http.clone())?));
    }
    Ok(out)
}
