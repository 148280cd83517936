//! Tracks how much of an upstream's quota we have used, over several windows at once
//! (Finnhub: 60 calls a minute and 30 a second; Tiingo: 50 an hour, 1,000 a day and 500
//! distinct symbols a month), in the store so that every container draws on one allowance.
//!
//! Items live under `QUOTA#<source>`, which is what the runbook's "scan for QUOTA# keys"
//! finds:
//! - `CALLS#<window>#<start>`: calls made in one window (`used`);
//! - `SYMBOLS#<window>#<start>`: distinct symbols looked up in one window (`used`), with one
//!   `SYMBOL#<window>#<start>#<ticker>` item per symbol;
//! - `BLOCKED`: until when the upstream itself told us to stop (`until`, epoch ms).
//!
//! A reservation is one transaction: a conditional increment per call window, the check that
//! the source is not blocked, and, for a symbol quota, a put-if-absent per symbol not yet
//! seen this window plus the conditional increment of the symbol count. Either every window
//! has room and all are charged, or nothing is, so racing containers never overspend.

mod spec;

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use domain::store::{Condition, Item, Key, Store, StoreError, Update, WriteOp};
use domain::table::keys;
use domain::{Clock, SourceKind};
use serde::Serialize;

pub use spec::{Quotas, QuotasError};

/// The unit a window is counted in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    /// Calendar months, UTC.
    Month,
}

impl Unit {
    fn suffix(self) -> &'static str {
        match self {
            Self::Second => "s",
            Self::Minute => "m",
            Self::Hour => "h",
            Self::Day => "d",
            Self::Month => "mo",
        }
    }

    fn seconds(self) -> Option<i64> {
        match self {
            Self::Second => Some(1),
            Self::Minute => Some(60),
            Self::Hour => Some(3_600),
            Self::Day => Some(86_400),
            Self::Month => None,
        }
    }
}

/// A fixed window of `count` units, aligned to the epoch (to the calendar for months), so
/// every container computes the same window for the same instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Window {
    pub count: u32,
    pub unit: Unit,
}

impl Window {
    pub const fn new(count: u32, unit: Unit) -> Self {
        Self { count, unit }
    }

    /// `1h`, `30s`, `1mo`: the syntax `SENTIMENT_QUOTAS` uses.
    pub fn label(self) -> String {
        format!("{}{}", self.count, self.unit.suffix())
    }

    /// Start and end of the window containing `at`.
    pub fn bounds(self, at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let count = i64::from(self.count.max(1));
        match self.unit.seconds() {
            Some(unit) => {
                let span = unit * count;
                let start = at.timestamp().div_euclid(span) * span;
                let start = Utc.timestamp_opt(start, 0).single().unwrap_or(at);
                (start, start + Duration::seconds(span))
            }
            None => {
                let months = i64::from(at.year() - 1970) * 12 + i64::from(at.month0());
                let first = months.div_euclid(count) * count;
                (month_start(first).unwrap_or(at), month_start(first + count).unwrap_or(at))
            }
        }
    }
}

/// The first instant of the month `months` after January 1970.
fn month_start(months: i64) -> Option<DateTime<Utc>> {
    let year = i32::try_from(1970 + months.div_euclid(12)).ok()?;
    let month = u32::try_from(months.rem_euclid(12)).ok()? + 1;
    Utc.with_ymd_and_hms(year, month, 1, 0, 0, 0).single()
}

/// What a limit counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Resource {
    /// Requests sent.
    Calls,
    /// Distinct symbols asked about (Tiingo's monthly symbol allowance).
    Symbols,
}

impl Resource {
    fn noun(self) -> &'static str {
        match self {
            Self::Calls => "calls",
            Self::Symbols => "symbols",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Limit {
    pub max: u32,
    pub window: Window,
    pub resource: Resource,
}

impl Limit {
    pub const fn calls(max: u32, window: Window) -> Self {
        Self { max, window, resource: Resource::Calls }
    }

    pub const fn symbols(max: u32, window: Window) -> Self {
        Self { max, window, resource: Resource::Symbols }
    }
}

/// One limit's state now, as `/api/v2/quota` and the ingestion summary report it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// `1h`, `1d`, `1mo`, ...
    pub window: String,
    pub resource: Resource,
    pub used: u32,
    pub limit: u32,
    pub remaining: u32,
    pub resets_at: DateTime<Utc>,
}

impl From<Usage> for domain::run::QuotaWindow {
    fn from(u: Usage) -> Self {
        Self {
            window: u.window,
            resource: u.resource.noun().to_owned(),
            used: u.used,
            limit: u.limit,
            remaining: u.remaining,
            resets_at: u.resets_at,
        }
    }
}

/// A source's whole quota state.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    pub source: SourceKind,
    pub limits: Vec<Usage>,
    /// Set while the upstream's own throttling answer holds us off.
    pub blocked_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QuotaError {
    #[error("{upstream} quota of {max} {} per {} is spent; it resets at {resets_at}", resource.noun(), window.label())]
    Exhausted { upstream: SourceKind, window: Window, resource: Resource, max: u32, resets_at: DateTime<Utc> },
    #[error("{upstream} told us to stop until {until}")]
    Blocked { upstream: SourceKind, until: DateTime<Utc> },
    #[error("a call names more new symbols ({0}) than one reservation can record")]
    TooManySymbols(usize),
    #[error("quota state unavailable: {0}")]
    Store(#[from] StoreError),
}

impl QuotaError {
    /// When asking again can succeed, if that is known.
    pub fn resets_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Self::Exhausted { resets_at, .. } => Some(*resets_at),
            Self::Blocked { until, .. } => Some(*until),
            Self::TooManySymbols(_) | Self::Store(_) => None,
        }
    }
}

const USED: &str = "used";
const UNTIL: &str = "until";
const CHECKED: &str = "checked";
const BLOCKED_SK: &str = "BLOCKED";
/// How many times a reservation is retried after losing a race on a symbol item.
const MAX_SYMBOL_RACES: usize = 4;
/// Symbols a single reservation may add (the transaction also holds the windows).
const MAX_NEW_SYMBOLS: usize = 90;

pub struct QuotaTracker {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    source: SourceKind,
    limits: Vec<Limit>,
}

impl std::fmt::Debug for QuotaTracker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("QuotaTracker").field("source", &self.source).field("limits", &self.limits).finish()
    }
}

impl QuotaTracker {
    /// `limits` come from [`Quotas`], which has already refused duplicates and zeros.
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, source: SourceKind, limits: Vec<Limit>) -> Self {
        Self { store, clock, source, limits }
    }

    pub fn source(&self) -> SourceKind {
        self.source
    }

    pub fn limits(&self) -> &[Limit] {
        &self.limits
    }

    fn pk(&self) -> String {
        keys::quota_pk(self.source.as_str())
    }

    fn window_key(&self, limit: &Limit, start: DateTime<Utc>) -> Key {
        let kind = match limit.resource {
            Resource::Calls => "CALLS",
            Resource::Symbols => "SYMBOLS",
        };
        Key::new(self.pk(), format!("{kind}#{}#{}", limit.window.label(), keys::sortable_time(start)))
    }

    fn symbol_key(&self, limit: &Limit, start: DateTime<Utc>, symbol: &str) -> Key {
        Key::new(
            self.pk(),
            format!("SYMBOL#{}#{}#{symbol}", limit.window.label(), keys::sortable_time(start)),
        )
    }

    fn blocked_key(&self) -> Key {
        Key::new(self.pk(), BLOCKED_SK)
    }

    /// Reserves one call that asks about `symbols`, or nothing if any limit lacks room or the
    /// upstream has told us to wait.
    pub async fn reserve(&self, symbols: &[&str]) -> Result<(), QuotaError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let now = self.clock.now();
            let (ops, meaning) = self.reservation(now, symbols).await?;
            match domain::retry::transient(|| self.store.transact(ops.clone())).await {
                Ok(()) => return Ok(()),
                Err(StoreError::ConditionFailed { index }) => match meaning.get(index) {
                    // Another run recorded the same symbol first: read again and retry.
                    Some(Meaning::Symbol) if attempt < MAX_SYMBOL_RACES => continue,
                    Some(Meaning::Blocked) => {
                        let until = self.blocked_until().await?.unwrap_or(now);
                        return Err(QuotaError::Blocked { upstream: self.source, until });
                    }
                    Some(Meaning::Limit(limit)) => return Err(self.exhausted(limit, now)),
                    Some(Meaning::Symbol) | None => {
                        return Err(StoreError::Conflict("symbol quota kept changing".into()).into());
                    }
                },
                Err(other) => return Err(other.into()),
            }
        }
    }

    fn exhausted(&self, limit: &Limit, now: DateTime<Utc>) -> QuotaError {
        QuotaError::Exhausted {
            upstream: self.source,
            window: limit.window,
            resource: limit.resource,
            max: limit.max,
            resets_at: limit.window.bounds(now).1,
        }
    }

    /// The transaction for one reservation, and what each of its operations stands for.
    async fn reservation(
        &self,
        now: DateTime<Utc>,
        symbols: &[&str],
    ) -> Result<(Vec<WriteOp>, Vec<Meaning>), QuotaError> {
        let mut ops = Vec::new();
        let mut meaning = Vec::new();
        // Touching the block item makes "not blocked" part of the same atomic decision.
        ops.push(WriteOp::Update(
            Update::new(self.blocked_key())
                .set(CHECKED, now.timestamp_millis())
                .when(Condition::AtMost(UNTIL.into(), now.timestamp_millis())),
        ));
        meaning.push(Meaning::Blocked);
        for limit in &self.limits {
            let (start, end) = limit.window.bounds(now);
            let expires = (end + Duration::days(1)).timestamp();
            match limit.resource {
                Resource::Calls => {
                    ops.push(WriteOp::Update(
                        Update::new(self.window_key(limit, start))
                            .add(USED, 1)
                            .expires_at(expires)
                            .when(Condition::AtMost(USED.into(), i64::from(limit.max) - 1)),
                    ));
                    meaning.push(Meaning::Limit(*limit));
                }
                Resource::Symbols => {
                    let fresh = self.unseen_symbols(limit, start, symbols).await?;
                    if fresh.is_empty() {
                        continue;
                    }
                    if fresh.len() > MAX_NEW_SYMBOLS {
                        return Err(QuotaError::TooManySymbols(fresh.len()));
                    }
                    let added = i64::try_from(fresh.len()).unwrap_or(i64::MAX);
                    ops.push(WriteOp::Update(
                        Update::new(self.window_key(limit, start))
                            .add(USED, added)
                            .expires_at(expires)
                            .when(Condition::AtMost(USED.into(), i64::from(limit.max) - added)),
                    ));
                    meaning.push(Meaning::Limit(*limit));
                    for symbol in fresh {
                        let item = Item::new(self.symbol_key(limit, start, &symbol)).with_expiry(expires);
                        ops.push(WriteOp::Put { item, condition: Condition::NotExists });
                        meaning.push(Meaning::Symbol);
                    }
                }
            }
        }
        Ok((ops, meaning))
    }

    /// The symbols not yet charged in this window.
    async fn unseen_symbols(
        &self,
        limit: &Limit,
        start: DateTime<Utc>,
        symbols: &[&str],
    ) -> Result<Vec<String>, StoreError> {
        let wanted: BTreeSet<&str> = symbols.iter().copied().collect();
        let reads = futures::future::join_all(wanted.iter().map(|symbol| {
            let key = self.symbol_key(limit, start, symbol);
            async move { domain::retry::transient(|| self.store.get(&key)).await.map(|i| (symbol, i)) }
        }))
        .await;
        let mut fresh = Vec::new();
        for read in reads {
            let (symbol, item) = read?;
            if item.is_none() {
                fresh.push((*symbol).to_owned());
            }
        }
        Ok(fresh)
    }

    /// Records that the upstream itself said stop (a 429, or a 200 that is a throttling
    /// message), so every container holds off: until `retry_after` from now when the answer
    /// said, else until the end of the `hint` window (Tiingo names "hourly" or "monthly"),
    /// else until the end of the shortest call window.
    pub async fn upstream_throttled(
        &self,
        retry_after: Option<std::time::Duration>,
        hint: Option<Unit>,
    ) -> Result<DateTime<Utc>, QuotaError> {
        let now = self.clock.now();
        let until = match (retry_after, hint) {
            (Some(wait), _) => now + Duration::from_std(wait).unwrap_or(Duration::minutes(1)),
            (None, Some(unit)) => Window::new(1, unit).bounds(now).1,
            (None, None) => self
                .limits
                .iter()
                .filter(|l| l.resource == Resource::Calls)
                .map(|l| l.window.bounds(now).1)
                .min()
                .unwrap_or(now + Duration::minutes(1)),
        };
        let update = Update::new(self.blocked_key())
            .set(UNTIL, until.timestamp_millis())
            .expires_at((until + Duration::days(1)).timestamp())
            // A longer block already recorded stands.
            .when(Condition::AtMost(UNTIL.into(), until.timestamp_millis()));
        match domain::retry::transient(|| self.store.update(update.clone())).await {
            Ok(_) | Err(StoreError::ConditionFailed { .. }) => Ok(until),
            Err(other) => Err(other.into()),
        }
    }

    async fn blocked_until(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        let now = self.clock.now();
        let Some(item) = self.store.get(&self.blocked_key()).await? else { return Ok(None) };
        let until = item.counter(UNTIL)?;
        Ok(Utc.timestamp_millis_opt(until).single().filter(|t| *t > now))
    }

    /// Every limit's use in its current window, and any block.
    pub async fn report(&self) -> Result<Report, QuotaError> {
        let now = self.clock.now();
        let mut limits = Vec::with_capacity(self.limits.len());
        for limit in &self.limits {
            let (start, end) = limit.window.bounds(now);
            let used =
                self.store.get(&self.window_key(limit, start)).await?.map_or(Ok(0), |i| i.counter(USED))?;
            let used = u32::try_from(used.max(0)).unwrap_or(u32::MAX);
            limits.push(Usage {
                window: limit.window.label(),
                resource: limit.resource,
                used,
                limit: limit.max,
                remaining: limit.max.saturating_sub(used),
                resets_at: end,
            });
        }
        Ok(Report { source: self.source, limits, blocked_until: self.blocked_until().await? })
    }
}

#[derive(Clone, Copy, Debug)]
enum Meaning {
    Blocked,
    Limit(Limit),
    Symbol,
}

#[cfg(test)]
mod tests;
