//! The news source port, implemented by the Tiingo, Finnhub and bundled sample adapters.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{RawArticle, SourceKind, Ticker};

#[derive(Clone, Debug, PartialEq)]
pub struct FetchRequest {
    pub tickers: Vec<Ticker>,
    /// Oldest publication time of interest; upstream date filters are coarse (whole days)
    /// and sometimes ignored, so adapters also filter on it themselves.
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// Why a fetch failed. Messages come from upstream bodies with every known credential
/// removed before they are built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SourceError {
    #[error("not authorised: {0}")]
    Unauthorized(String),
    #[error("not entitled: {0}")]
    Forbidden(String),
    #[error("rate limited: {message}")]
    RateLimited { message: String, retry_after: Option<Duration> },
    #[error("upstream error (HTTP {status}): {message}")]
    Upstream { status: u16, message: String },
    #[error("malformed upstream response: {0}")]
    Malformed(String),
    #[error("no answer within {}s", after.as_secs_f64())]
    Timeout { after: Duration },
    #[error("network error: {0}")]
    Network(String),
}

impl SourceError {
    /// Whether trying again later can help; bad credentials and missing entitlements cannot.
    pub fn is_transient(&self) -> bool {
        !matches!(self, Self::Unauthorized(_) | Self::Forbidden(_))
    }
}

/// A count of things that went one way, with the first few described.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: usize,
    pub samples: Vec<String>,
}

impl Tally {
    /// Descriptions kept; the rest are only counted, so two million bad items cost a number.
    pub const MAX_SAMPLES: usize = 5;

    pub fn add(&mut self, describe: impl FnOnce() -> String) {
        self.count += 1;
        if self.samples.len() < Self::MAX_SAMPLES {
            self.samples.push(describe());
        }
    }

    pub fn absorb(&mut self, other: Tally) {
        self.count += other.count;
        let room = Self::MAX_SAMPLES.saturating_sub(self.samples.len());
        self.samples.extend(other.samples.into_iter().take(room));
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// The successful part of a fetch, and an account of everything that was not kept.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fetched {
    pub articles: Vec<RawArticle>,
    /// Items that could not be used (no id, unparseable dates, no headline, ...).
    pub rejected: Tally,
    /// Items published outside the requested window.
    pub out_of_window: usize,
    /// Why the fetch stopped before the upstream ran out (page or item caps), so a reader
    /// knows more news may exist.
    pub stops: Vec<String>,
    /// Requests that failed while others succeeded (one ticker of many, a later page).
    pub partial_errors: Vec<SourceError>,
}

impl Fetched {
    /// Folds another fetch's results into this one.
    pub fn absorb(&mut self, other: Fetched) {
        self.articles.extend(other.articles);
        self.rejected.absorb(other.rejected);
        self.out_of_window += other.out_of_window;
        self.stops.extend(other.stops);
        self.partial_errors.extend(other.partial_errors);
    }

    /// Keeps the articles published in `[since, until]` and counts the rest.
    pub fn keep_window(&mut self, since: DateTime<Utc>, until: DateTime<Utc>) {
        let before = self.articles.len();
        self.articles.retain(|a| a.published_at >= since && a.published_at <= until);
        self.out_of_window += before - self.articles.len();
    }
}

#[async_trait]
pub trait NewsSource: Send + Sync {
    fn kind(&self) -> SourceKind;
    async fn fetch(&self, request: &FetchRequest) -> Result<Fetched, SourceError>;
}
