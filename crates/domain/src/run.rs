//! What an ingestion run did, per source: the summary `ingest` prints, the ingestion Lambda
//! returns and `/health` reports. One type for all three, so a renamed field is a compile
//! error rather than a silently missing key.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::source::Tally;
use crate::{SourceKind, Ticker};

/// Error messages kept per source; the rest are counted only.
pub const MAX_ERROR_MESSAGES: usize = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    /// Everything asked for was fetched and stored.
    Ok,
    /// Some requests or some writes failed; the rest were kept.
    Partial,
    /// Our quota, or the upstream's answer, said stop: calls were held back (not a failure).
    Throttled,
    /// The source's circuit breaker was open: it was not called.
    CircuitOpen,
    /// Nothing from this source could be fetched, or none of it could be stored.
    Failed,
}

/// A circuit breaker's state, as reported.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

/// One quota window's state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaWindow {
    /// `1h`, `1d`, `1mo`, ...
    pub window: String,
    /// `calls` or `symbols`.
    pub resource: String,
    pub used: u32,
    pub limit: u32,
    pub remaining: u32,
    pub resets_at: DateTime<Utc>,
}

/// What guards a live source, as the run left it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardState {
    pub breaker: BreakerState,
    pub quota: Vec<QuotaWindow>,
    /// Set while the upstream's own throttling answer holds us off.
    pub blocked_until: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceSummary {
    pub status: SourceStatus,
    /// Usable items the source returned.
    pub fetched: usize,
    /// Stories stored for the first time.
    pub new: usize,
    /// Stories already stored (or reported twice in this run).
    pub duplicates: usize,
    /// Of the duplicates, those that newly credited this source (or new tickers).
    pub credited: usize,
    /// Items with no ticker to file them under.
    pub skipped: usize,
    /// Items the source sent that could not be used (no id, no headline, bad dates, ...).
    #[serde(alias = "rejected")]
    pub malformed: usize,
    /// Upstream calls made, when the fetch delivered (a source whose fetch failed outright
    /// reports its error instead; its calls are not counted here). Each HTTP attempt counts
    /// against the quota; this counts logical calls.
    #[serde(default)]
    pub calls: usize,
    /// Calls not made, or refused, because a quota was spent or the upstream said wait.
    #[serde(default)]
    pub throttled: usize,
    /// Items published outside the run's time window.
    pub out_of_window: usize,
    /// Stories that could not be written to the store.
    pub write_failures: usize,
    /// Failed requests and failed writes.
    pub errors: usize,
    pub error_messages: Vec<String>,
    /// A few of the rejected items, described.
    pub rejected_examples: Vec<String>,
    /// Where the fetch stopped short of everything the source had (caps), in words.
    pub stops: Vec<String>,
    /// The breaker and quota after the run (live sources only).
    #[serde(default)]
    pub guard: Option<GuardState>,
}

impl SourceSummary {
    pub fn new(status: SourceStatus) -> Self {
        Self {
            status,
            fetched: 0,
            new: 0,
            duplicates: 0,
            credited: 0,
            skipped: 0,
            malformed: 0,
            calls: 0,
            throttled: 0,
            out_of_window: 0,
            write_failures: 0,
            errors: 0,
            error_messages: Vec::new(),
            rejected_examples: Vec::new(),
            stops: Vec::new(),
            guard: None,
        }
    }

    pub fn error(&mut self, message: String) {
        self.errors += 1;
        if self.error_messages.len() < MAX_ERROR_MESSAGES {
            self.error_messages.push(message);
        }
    }

    pub fn reject(&mut self, rejected: Tally) {
        self.malformed += rejected.count;
        let room = Tally::MAX_SAMPLES.saturating_sub(self.rejected_examples.len());
        self.rejected_examples.extend(rejected.samples.into_iter().take(room));
    }

    /// Downgrades the status to at least `status`
    /// (ok < partial < throttled < circuit open < failed).
    pub fn degrade(&mut self, status: SourceStatus) {
        let rank = |s: SourceStatus| match s {
            SourceStatus::Ok => 0,
            SourceStatus::Partial => 1,
            SourceStatus::Throttled => 2,
            SourceStatus::CircuitOpen => 3,
            SourceStatus::Failed => 4,
        };
        if rank(status) > rank(self.status) {
            self.status = status;
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    /// `ok` when every source is ok, `failed` when every source failed, else `partial`.
    pub status: SourceStatus,
    /// Why the run ended before doing everything, when it did (its time budget).
    #[serde(default)]
    pub cut_short: Option<String>,
    pub tickers: Vec<Ticker>,
    pub fetched: usize,
    pub new: usize,
    pub duplicates: usize,
    pub errors: usize,
    pub sources: BTreeMap<SourceKind, SourceSummary>,
    /// What the run announced (`docs/events.md`); absent when the pipeline announces nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub events: Option<EventsReport>,
}

/// The events a run announced, and what the sink did with them. A failure to publish never
/// fails the run; it is counted here (and in the `EventsFailed` metric).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsReport {
    /// `log`, `webhook` or `eventbridge`.
    pub sink: String,
    /// Events this run announced (each fact once across runs).
    pub announced: usize,
    pub published: usize,
    pub failed: usize,
    /// A few of the errors (store or sink), described.
    pub errors: Vec<String>,
}

impl EventsReport {
    pub fn error(&mut self, message: String) {
        if self.errors.len() < MAX_ERROR_MESSAGES {
            self.errors.push(message);
        }
    }
}

impl RunSummary {
    /// The run's status from its sources' statuses: `failed` when no source delivered
    /// (each failed, or was skipped because its breaker is open), `ok` when all did.
    pub fn status_of(sources: &BTreeMap<SourceKind, SourceSummary>) -> SourceStatus {
        if sources.is_empty() || sources.values().all(|s| s.status == SourceStatus::Ok) {
            SourceStatus::Ok
        } else if sources
            .values()
            .all(|s| matches!(s.status, SourceStatus::Failed | SourceStatus::CircuitOpen))
        {
            SourceStatus::Failed
        } else {
            SourceStatus::Partial
        }
    }

    /// True when nothing usable came out of the run: every source failed to fetch, or
    /// nothing it fetched could be stored.
    pub fn failed(&self) -> bool {
        self.status == SourceStatus::Failed
    }
}
