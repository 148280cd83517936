//! Tracks how much of an upstream's quota we have used, over several windows at once
//! (Finnhub: 60 a minute; Tiingo: 50 an hour, 1,000 a day, 500 symbols a month), in the store
//! so that every container draws on one allowance. Items are `QUOTA#<name>` / `<WINDOW>#<start>`,
//! which is what the runbook's "scan for QUOTA# keys" finds.
//!
//! A debit is one transaction of conditional increments, one per window: either every window
//! has room and all are charged, or nothing is.

use std::sync::Arc;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use domain::Clock;
use domain::store::{Condition, Key, Store, StoreError, Update, WriteOp};
use domain::table::keys;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Window {
    Minute,
    Hour,
    Day,
    /// Calendar month, UTC.
    Month,
}

impl Window {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minute => "MINUTE",
            Self::Hour => "HOUR",
            Self::Day => "DAY",
            Self::Month => "MONTH",
        }
    }

    /// Start and end of the window containing `at`.
    pub fn bounds(self, at: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
        let floor = |secs: i64| {
            let start = at.timestamp().div_euclid(secs) * secs;
            let start = Utc.timestamp_opt(start, 0).single().unwrap_or(at);
            (start, start + Duration::seconds(secs))
        };
        match self {
            Self::Minute => floor(60),
            Self::Hour => floor(3600),
            Self::Day => floor(86_400),
            Self::Month => {
                let start = Utc.with_ymd_and_hms(at.year(), at.month(), 1, 0, 0, 0).single().unwrap_or(at);
                let (y, m) = if at.month() == 12 { (at.year() + 1, 1) } else { (at.year(), at.month() + 1) };
                let end = Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single().unwrap_or(at);
                (start, end)
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub window: Window,
    pub max: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Usage {
    pub window: Window,
    pub used: u32,
    pub max: u32,
    pub resets_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum QuotaError {
    #[error("{name} quota exhausted for this {window:?} window; resets at {resets_at}")]
    Exhausted { name: String, window: Window, resets_at: DateTime<Utc> },
    #[error("a quota needs at least one limit, one per window kind")]
    InvalidLimits,
    #[error("quota state unavailable: {0}")]
    Store(#[from] StoreError),
}

const USED: &str = "used";

pub struct QuotaTracker {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    name: String,
    limits: Vec<Limit>,
}

impl QuotaTracker {
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        name: &str,
        limits: Vec<Limit>,
    ) -> Result<Self, QuotaError> {
        let distinct = limits.iter().all(|a| limits.iter().filter(|b| b.window == a.window).count() == 1);
        if limits.is_empty() || !distinct {
            return Err(QuotaError::InvalidLimits);
        }
        Ok(Self { store, clock, name: name.to_owned(), limits })
    }

    fn key(&self, window: Window, start: DateTime<Utc>) -> Key {
        Key::new(
            keys::quota_pk(&self.name),
            format!("{}#{}", window.as_str(), start.format("%Y-%m-%dT%H:%M")),
        )
    }

    /// Charges `units` to every window, or nothing if any window lacks room.
    pub async fn try_acquire(&self, units: u32) -> Result<(), QuotaError> {
        let now = self.clock.now();
        let ops: Vec<WriteOp> = self
            .limits
            .iter()
            .map(|limit| {
                let (start, end) = limit.window.bounds(now);
                WriteOp::Update(
                    Update::new(self.key(limit.window, start))
                        .add(USED, i64::from(units))
                        .expires_at((end + Duration::days(1)).timestamp())
                        .when(Condition::AtMost(USED.into(), i64::from(limit.max) - i64::from(units))),
                )
            })
            .collect();
        match domain::retry::transient(|| self.store.transact(ops.clone())).await {
            Ok(()) => Ok(()),
            Err(StoreError::ConditionFailed { index }) => {
                let window = self.limits.get(index).map_or(Window::Minute, |l| l.window);
                Err(QuotaError::Exhausted {
                    name: self.name.clone(),
                    window,
                    resets_at: window.bounds(now).1,
                })
            }
            Err(other) => Err(other.into()),
        }
    }

    /// Records that the upstream itself says a window is spent (a 429 we did not predict),
    /// so every container stops asking until it resets.
    pub async fn mark_exhausted(&self, window: Window) -> Result<(), QuotaError> {
        let Some(limit) = self.limits.iter().find(|l| l.window == window) else { return Ok(()) };
        let (start, end) = window.bounds(self.clock.now());
        let update = Update::new(self.key(window, start))
            .set(USED, i64::from(limit.max))
            .expires_at((end + Duration::days(1)).timestamp());
        domain::retry::transient(|| self.store.update(update.clone())).await?;
        Ok(())
    }

    pub async fn usage(&self) -> Result<Vec<Usage>, QuotaError> {
        let now = self.clock.now();
        let mut out = Vec::with_capacity(self.limits.len());
        for limit in &self.limits {
            let (start, end) = limit.window.bounds(now);
            let used =
                self.store.get(&self.key(limit.window, start)).await?.map_or(Ok(0), |i| i.counter(USED))?;
            out.push(Usage {
                window: limit.window,
                used: used.clamp(0, i64::from(u32::MAX)) as u32,
                max: limit.max,
                resets_at: end,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
