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
#[serde(rename_all = "lowercase")]
pub enum SourceStatus {
    /// Everything asked for was fetched and stored.
    Ok,
    /// Some requests or some writes failed; the rest were kept.
    Partial,
    /// Nothing from this source could be fetched, or none of it could be stored.
    Failed,
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
    pub rejected: usize,
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
            rejected: 0,
            out_of_window: 0,
            write_failures: 0,
            errors: 0,
            error_messages: Vec::new(),
            rejected_examples: Vec::new(),
            stops: Vec::new(),
        }
    }

    pub fn error(&mut self, message: String) {
        self.errors += 1;
        if self.error_messages.len() < MAX_ERROR_MESSAGES {
            self.error_messages.push(message);
        }
    }

    pub fn reject(&mut self, rejected: Tally) {
        self.rejected += rejected.count;
        let room = Tally::MAX_SAMPLES.saturating_sub(self.rejected_examples.len());
        self.rejected_examples.extend(rejected.samples.into_iter().take(room));
    }

    /// Downgrades the status to at least `status` (ok < partial < failed).
    pub fn degrade(&mut self, status: SourceStatus) {
        let rank = |s: SourceStatus| match s {
            SourceStatus::Ok => 0,
            SourceStatus::Partial => 1,
            SourceStatus::Failed => 2,
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
    pub tickers: Vec<Ticker>,
    pub fetched: usize,
    pub new: usize,
    pub duplicates: usize,
    pub errors: usize,
    pub sources: BTreeMap<SourceKind, SourceSummary>,
}

impl RunSummary {
    /// The run's status from its sources' statuses.
    pub fn status_of(sources: &BTreeMap<SourceKind, SourceSummary>) -> SourceStatus {
        if sources.is_empty() || sources.values().all(|s| s.status == SourceStatus::Ok) {
            SourceStatus::Ok
        } else if sources.values().all(|s| s.status == SourceStatus::Failed) {
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
