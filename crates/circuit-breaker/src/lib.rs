//! A circuit breaker per upstream whose state lives in the store, so when Tiingo starts
//! failing every ingestion container backs off together.
//!
//! Closed: calls flow; `failure_threshold` consecutive failures open it.
//! Open: calls are refused until `open_for` has passed.
//! Half-open: exactly one caller holds a probe lease; its success closes the breaker, its
//! failure opens it again. A probe whose caller vanished expires after `probe_lease`.
//! Every transition is a conditional write on a version number, so racing containers agree.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use domain::Clock;
use domain::store::{Condition, Item, Key, Store, StoreError, Update};
use domain::table::keys;
use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerConfig {
    pub failure_threshold: u32,
    pub open_for: Duration,
    pub probe_lease: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self { failure_threshold: 5, open_for: Duration::from_secs(60), probe_lease: Duration::from_secs(30) }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Closed { consecutive_failures: u32 },
    Open { until: DateTime<Utc> },
    HalfOpen { probe_until: DateTime<Utc> },
}

/// Permission to make one call; report its outcome with `record_success` or `record_failure`.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "report the call's outcome so the breaker can learn from it"]
pub struct Permit {
    probe_version: Option<i64>,
    failures_seen: u32,
}

impl Permit {
    pub fn is_probe(&self) -> bool {
        self.probe_version.is_some()
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BreakerError {
    #[error("circuit open for {name}; retry in {retry_after:?}")]
    Open { name: String, retry_after: Duration },
    #[error("circuit breaker state unavailable: {0}")]
    Store(#[from] StoreError),
}

const STATE: &str = "state";
const FAILURES: &str = "failures";
const UNTIL: &str = "until";
const VERSION: &str = "version";

pub struct CircuitBreaker {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    name: String,
    config: BreakerConfig,
}

impl CircuitBreaker {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, name: &str, config: BreakerConfig) -> Self {
        Self { store, clock, name: name.to_owned(), config }
    }

    fn key(&self) -> Key {
        Key::new(keys::breaker_pk(&self.name), "STATE")
    }

    pub async fn state(&self) -> Result<State, StoreError> {
        self.store
            .get(&self.key())
            .await?
            .map_or(Ok(State::Closed { consecutive_failures: 0 }), |i| decode(&i))
    }

    /// Asks to make a call.
    pub async fn acquire(&self) -> Result<Permit, BreakerError> {
        let now = self.clock.now();
        let key = self.key();
        let item = domain::retry::transient(|| self.store.get(&key)).await?;
        let version = item.as_ref().map_or(Ok(0), |i| i.counter(VERSION))?;
        let state = item.as_ref().map_or(Ok(State::Closed { consecutive_failures: 0 }), decode)?;
        match state {
            State::Closed { consecutive_failures } => {
                Ok(Permit { probe_version: None, failures_seen: consecutive_failures })
            }
            State::Open { until } | State::HalfOpen { probe_until: until } if now < until => {
                Err(self.refuse(now, until))
            }
            State::Open { .. } | State::HalfOpen { .. } => {
                // The wait is over (or the last probe's caller vanished): try to take the probe.
                let probe_until = now + self.config.probe_lease;
                let update = Update::new(self.key())
                    .set(STATE, "half_open")
                    .set(UNTIL, probe_until.timestamp_millis())
                    .set(FAILURES, 0)
                    .add(VERSION, 1)
                    .when(Condition::Equals(VERSION.into(), Value::from(version)));
                match domain::retry::transient(|| self.store.update(update.clone())).await {
                    Ok(item) => Ok(Permit { probe_version: Some(item.counter(VERSION)?), failures_seen: 0 }),
                    Err(StoreError::ConditionFailed { .. }) => Err(self.refuse(now, probe_until)),
                    Err(other) => Err(other.into()),
                }
            }
        }
    }

    pub async fn record_success(&self, permit: Permit) -> Result<(), StoreError> {
        let update = match permit.probe_version {
            Some(version) => Update::new(self.key())
                .set(STATE, "closed")
                .set(FAILURES, 0)
                .add(VERSION, 1)
                .when(Condition::Equals(VERSION.into(), Value::from(version))),
            // Only a success that breaks a run of failures needs a write.
            None if permit.failures_seen > 0 => Update::new(self.key())
                .set(FAILURES, 0)
                .when(Condition::Equals(STATE.into(), Value::from("closed"))),
            None => return Ok(()),
        };
        ignore_lost_race(domain::retry::transient(|| self.store.update(update.clone())).await)
    }

    pub async fn record_failure(&self, permit: Permit) -> Result<(), StoreError> {
        let now = self.clock.now();
        let open_until = (now + self.config.open_for).timestamp_millis();
        if let Some(version) = permit.probe_version {
            let update = Update::new(self.key())
                .set(STATE, "open")
                .set(UNTIL, open_until)
                .set(FAILURES, 0)
                .add(VERSION, 1)
                .when(Condition::Equals(VERSION.into(), Value::from(version)));
            return ignore_lost_race(domain::retry::transient(|| self.store.update(update.clone())).await);
        }
        let counted = self
            .store
            .update(
                Update::new(self.key())
                    .add(FAILURES, 1)
                    .set_if_absent(STATE, "closed")
                    .set_if_absent(VERSION, 0),
            )
            .await?;
        let closed = counted.str_attr(STATE) == Some("closed");
        if closed && counted.counter(FAILURES)? >= i64::from(self.config.failure_threshold) {
            let update = Update::new(self.key())
                .set(STATE, "open")
                .set(UNTIL, open_until)
                .set(FAILURES, 0)
                .add(VERSION, 1)
                .when(Condition::Equals(VERSION.into(), Value::from(counted.counter(VERSION)?)));
            ignore_lost_race(domain::retry::transient(|| self.store.update(update.clone())).await)?;
        }
        Ok(())
    }

    fn refuse(&self, now: DateTime<Utc>, until: DateTime<Utc>) -> BreakerError {
        let retry_after = (until - now).to_std().unwrap_or(Duration::ZERO);
        BreakerError::Open { name: self.name.clone(), retry_after }
    }
}

/// Another container changed the state first; its transition stands.
fn ignore_lost_race(result: Result<Item, StoreError>) -> Result<(), StoreError> {
    match result {
        Ok(_) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
        Err(other) => Err(other),
    }
}

fn decode(item: &Item) -> Result<State, StoreError> {
    let until = || -> Result<DateTime<Utc>, StoreError> {
        Ok(Utc.timestamp_millis_opt(item.counter(UNTIL)?).single().unwrap_or_default())
    };
    Ok(match item.str_attr(STATE) {
        Some("open") => State::Open { until: until()? },
        Some("half_open") => State::HalfOpen { probe_until: until()? },
        _ => State::Closed {
            consecutive_failures: item.counter(FAILURES)?.clamp(0, i64::from(u32::MAX)) as u32,
        },
    })
}

#[cfg(test)]
mod tests;
