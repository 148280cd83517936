//! The news source port, implemented by the Tiingo, Finnhub and bundled sample adapters.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

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
    /// Per ticker, how far this source's feed has already been read (Tiingo's `crawlDate`),
    /// so a run asks only for what is new.
    pub watermarks: BTreeMap<Ticker, DateTime<Utc>>,
    /// No upstream call starts after this, and one in flight is abandoned at it, so a run
    /// ends inside its time budget (a Lambda's deadline less a margin).
    pub stop_at: Option<Instant>,
}

impl FetchRequest {
    pub fn new(tickers: Vec<Ticker>, since: DateTime<Utc>, until: DateTime<Utc>) -> Self {
        Self { tickers, since, until, watermarks: BTreeMap::new(), stop_at: None }
    }

    /// Whether the time budget is spent.
    pub fn out_of_time(&self) -> bool {
        self.stop_at.is_some_and(|at| Instant::now() >= at)
    }
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
    /// Our own quota tracker refused the call: it was not made.
    #[error("quota: {message}")]
    Throttled { message: String, until: Option<DateTime<Utc>> },
    /// The source's circuit breaker is open: the call was not made.
    #[error("circuit open; retry in {}s", retry_after.as_secs())]
    CircuitOpen { retry_after: Duration },
    /// The run's time budget ran out before or during the call.
    #[error("the run's time budget ran out")]
    OutOfTime,
    /// The shared quota or breaker state could not be read, so the call was not risked.
    #[error("call guard unavailable: {0}")]
    GuardUnavailable(String),
}

impl SourceError {
    /// Whether trying again later can help; bad credentials and missing entitlements cannot.
    pub fn is_transient(&self) -> bool {
        !matches!(self, Self::Unauthorized(_) | Self::Forbidden(_))
    }

    /// The call was refused before it was sent (quota, breaker, time, guard state).
    pub fn was_not_sent(&self) -> bool {
        matches!(self, Self::Throttled { .. } | Self::CircuitOpen { .. } | Self::GuardUnavailable(_))
    }

    /// The upstream, or our quota for it, says wait: not a failure of the source.
    pub fn is_throttle(&self) -> bool {
        matches!(self, Self::RateLimited { .. } | Self::Throttled { .. })
    }

    /// Whether no later call in this run can succeed either, so the adapter should stop
    /// asking: bad credentials, a spent allowance, an open breaker, no time left.
    pub fn ends_the_run(&self) -> bool {
        matches!(
            self,
            Self::Unauthorized(_)
                | Self::Forbidden(_)
                | Self::RateLimited { .. }
                | Self::Throttled { .. }
                | Self::CircuitOpen { .. }
                | Self::OutOfTime
                | Self::GuardUnavailable(_)
        )
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
    /// Per ticker, how far the feed is now read, for sources that keep watermarks. Only set
    /// when the read reached the old watermark (nothing in between was skipped).
    pub watermarks: BTreeMap<Ticker, DateTime<Utc>>,
    /// Upstream calls made.
    pub calls: usize,
}

impl Fetched {
    /// Folds another fetch's results into this one.
    pub fn absorb(&mut self, other: Fetched) {
        self.articles.extend(other.articles);
        self.rejected.absorb(other.rejected);
        self.out_of_window += other.out_of_window;
        self.stops.extend(other.stops);
        self.partial_errors.extend(other.partial_errors);
        self.watermarks.extend(other.watermarks);
        self.calls += other.calls;
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

    /// The breaker and quota guarding this source, for live sources.
    async fn guard_state(&self) -> Option<crate::run::GuardState> {
        None
    }
}
