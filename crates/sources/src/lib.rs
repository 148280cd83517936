//! News sources: the Tiingo and Finnhub clients, the parsers for their wire formats, and the
//! bundled sample corpus that goes through those same parsers offline.

mod body;
pub mod finnhub;
pub mod guard;
mod http;
pub mod sample;
pub mod tiingo;

use std::collections::BTreeSet;
use std::sync::Arc;

use domain::article::MAX_TICKERS_PER_ARTICLE;
use domain::source::{NewsSource, SourceError};
use domain::{SourceKind, Ticker};

pub use guard::{Guard, Guards};
pub use http::{HttpConfig, REDACTED};

/// Headlines longer than this are cut (no real headline is; garbage sometimes is).
pub const MAX_TITLE_CHARS: usize = 500;
pub const MAX_SUMMARY_CHARS: usize = 2_000;

/// How much one source may hand a run, besides the byte cap on each body: a response is
/// read for at most `max_items_per_response` items (Tiingo's own page maximum is 1,000) and a
/// run keeps at most `max_items_per_run`, so a hostile or broken upstream costs bounded time
/// and memory. Every cut is reported in the run summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    pub max_items_per_response: usize,
    pub max_items_per_run: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self { max_items_per_response: 1_000, max_items_per_run: 10_000 }
    }
}

/// Valid, de-duplicated, capped tickers from upstream strings; garbage is dropped.
pub(crate) fn parse_tickers<'a>(raw: impl IntoIterator<Item = &'a str>) -> BTreeSet<Ticker> {
    raw.into_iter().filter_map(|t| Ticker::parse(t.trim()).ok()).take(MAX_TICKERS_PER_ARTICLE).collect()
}

/// Upstream text made safe to show: no control or bidi characters, white space collapsed.
pub(crate) fn clean_text(text: &str, max_chars: usize) -> Option<String> {
    domain::text::clean_display_text(text, max_chars)
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
            .field("api_key", &self.api_key)
            .finish()
    }
}

/// The live sources for whichever vendors have credentials, each behind its breaker and
/// quota.
pub fn live_sources(
    tiingo: Option<Credentials>,
    finnhub: Option<Credentials>,
    http: &HttpConfig,
    guards: &Guards,
) -> Result<Vec<Arc<dyn NewsSource>>, SourceError> {
    let mut out: Vec<Arc<dyn NewsSource>> = Vec::new();
    if let Some(c) = tiingo {
        let client = tiingo::TiingoClient::new(&c.base_url, c.api_key, http.clone())?
            .with_guard(guards.for_source(SourceKind::Tiingo, http));
        out.push(Arc::new(client));
    }
    if let Some(c) = finnhub {
        let client = finnhub::FinnhubClient::new(&c.base_url, c.api_key, http.clone())?
            .with_guard(guards.for_source(SourceKind::Finnhub, http));
        out.push(Arc::new(client));
    }
    Ok(out)
}
