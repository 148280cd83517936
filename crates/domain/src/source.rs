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

/// Why a fetch failed. Messages come from upstream bodies and never carry credentials.
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
    #[error("network error: {0}")]
    Network(String),
}

impl SourceError {
    /// Whether trying again later can help; bad credentials and missing entitlements cannot.
    pub fn is_transient(&self) -> bool {
        !matches!(self, Self::Unauthorized(_) | Self::Forbidden(_))
    }
}

/// The successful part of a fetch: articles plus any per-item problems that were skipped.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fetched {
    pub articles: Vec<RawArticle>,
    /// Items that could not be used (unparseable dates, no headline, ...), described.
    pub rejected: Vec<String>,
    /// Requests that failed while others succeeded (one ticker of many, say).
    pub partial_errors: Vec<SourceError>,
}

#[async_trait]
pub trait NewsSource: Send + Sync {
    fn kind(&self) -> SourceKind;
    async fn fetch(&self, request: &FetchRequest) -> Result<Fetched, SourceError>;
}
