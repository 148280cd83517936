//! A sliding-window rate limiter whose counters live in the store, so every Lambda container
//! (and the local server) enforces one shared limit per client.
//!
//! It keeps one counter per fixed window and estimates the sliding window as
//! `current + previous x (share of the previous window still inside the sliding window)`.
//! A request is admitted by an atomic conditional increment that only succeeds while that
//! estimate stays within the limit, so concurrent requests never over-admit.
//!
//! Round trips: a closed window's count never changes, so each container remembers it after
//! reading it once; a client's requests then cost one conditional update each. A refused
//! client is remembered until its `Retry-After` and refused again without any store call, so a
//! flood from one address does not become a hot key.

mod actions;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use actions::{Action, ActionLimiter, RateLimits};

use chrono::{DateTime, TimeZone, Utc};
use domain::Clock;
use domain::store::{Condition, Key, Store, StoreError, Update};
use domain::table::keys;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Policy {
    /// Requests allowed per window.
    pub limit: u32,
    /// Window length, whole seconds, at least one.
    pub window: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allowed { limit: u32, remaining: u32, reset_after: Duration },
    Limited { limit: u32, retry_after: Duration },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Self::Allowed { .. })
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RateLimitError {
    #[error("client key must be 1 to 128 printable characters")]
    InvalidClient,
    #[error("rate limit policy needs a limit and a window of at least one second")]
    InvalidPolicy,
    #[error("rate limit state unavailable: {0}")]
    Store(#[from] StoreError),
}

pub struct RateLimiter {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    scope: String,
    policy: Policy,
    /// Closed windows' final counts, by (client, window start).
    closed: Mutex<HashMap<(String, i64), i64>>,
    /// Clients refused until a time (seconds), with the limit they were told.
    refused: Mutex<HashMap<String, i64>>,
}

/// Entries each in-container memory holds before it forgets what no longer matters.
const MEMORY_ENTRIES: usize = 10_000;

fn remember<K: std::hash::Hash + Eq, V>(
    map: &Mutex<HashMap<K, V>>,
    key: K,
    value: V,
    keep: impl Fn(&K, &V) -> bool,
) {
    let mut map = map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if map.len() >= MEMORY_ENTRIES {
        map.retain(|k, v| keep(k, v));
        if map.len() >= MEMORY_ENTRIES {
            map.clear();
        }
    }
    map.insert(key, value);
}

const COUNT: &str = "n";

impl RateLimiter {
    /// `scope` names what is limited (`api`, `write`, ...), so policies do not share counters.
    pub fn new(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        scope: &str,
        policy: Policy,
    ) -> Result<Self, RateLimitError> {
        if policy.limit == 0 || policy.window.as_secs() == 0 {
            return Err(RateLimitError::InvalidPolicy);
        }
        Ok(Self {
            store,
            clock,
            scope: scope.to_owned(),
            policy,
            closed: Mutex::default(),
            refused: Mutex::default(),
        })
    }

    pub fn policy(&self) -> Policy {
        self.policy
    }

    /// Counts one request by `client` if the limit allows it.
    pub async fn check(&self, client: &str) -> Result<Decision, RateLimitError> {
        if client.is_empty() || client.chars().count() > 128 || client.chars().any(char::is_control) {
            return Err(RateLimitError::InvalidClient);
        }
        let window_secs = self.policy.window.as_secs() as i64;
        let limit = i64::from(self.policy.limit);
        let now = self.clock.now();
        let now_ms = now.timestamp_millis();
        let window_ms = window_secs * 1000;
        let current_start = now_ms.div_euclid(window_ms) * window_ms / 1000;
        let elapsed = (now_ms - current_start * 1000) as f64 / window_ms as f64;
        let pk = keys::rate_limit_pk(&self.scope, client);

        let refused_until =
            self.refused.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(client).copied();
        if let Some(until_secs) = refused_until
            && until_secs > now.timestamp()
        {
            return Ok(Decision::Limited { limit: self.policy.limit, retry_after: until(now, until_secs) });
        }

        let previous_start = current_start - window_secs;
        let known = self
            .closed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(&(client.to_owned(), previous_start))
            .copied();
        let previous = match known {
            Some(count) => count,
            None => {
                let previous_key = Key::new(pk.clone(), window_sk(previous_start));
                let count = domain::retry::transient(|| self.store.get(&previous_key))
                    .await?
                    .map_or(Ok(0), |item| item.counter(COUNT))?;
                remember(&self.closed, (client.to_owned(), previous_start), count, |(_, start), _| {
                    *start >= previous_start
                });
                count
            }
        };
        let carried = (previous as f64 * (1.0 - elapsed)).floor() as i64;

        let update = Update::new(Key::new(pk.clone(), window_sk(current_start)))
            .add(COUNT, 1)
            .expires_at(current_start + 2 * window_secs)
            .when(Condition::AtMost(COUNT.into(), limit - 1 - carried));
        match domain::retry::transient(|| self.store.update(update.clone())).await {
            Ok(item) => {
                let used = item.counter(COUNT)? + carried;
                Ok(Decision::Allowed {
                    limit: self.policy.limit,
                    remaining: (limit - used).clamp(0, limit) as u32,
                    reset_after: until(now, current_start + window_secs),
                })
            }
            Err(StoreError::ConditionFailed { .. }) => {
                let current_key = Key::new(pk, window_sk(current_start));
                let current =
                    self.store.get(&current_key).await?.map_or(Ok(0), |item| item.counter(COUNT))?;
                let retry_at = retry_time(limit, previous, current, current_start, window_secs, elapsed);
                let now_secs = now.timestamp();
                remember(&self.refused, client.to_owned(), retry_at, |_, at| *at > now_secs);
                Ok(Decision::Limited { limit: self.policy.limit, retry_after: until(now, retry_at) })
            }
            Err(other) => Err(other.into()),
        }
    }
}

fn window_sk(start_secs: i64) -> String {
    format!("W#{start_secs}")
}

fn until(now: DateTime<Utc>, at_secs: i64) -> Duration {
    let at = Utc.timestamp_opt(at_secs, 0).single().unwrap_or(now);
    (at - now).to_std().unwrap_or(Duration::ZERO).max(Duration::from_secs(1))
}

/// The first whole second at which the sliding estimate drops below the limit again.
fn retry_time(limit: i64, previous: i64, current: i64, start: i64, window: i64, elapsed: f64) -> i64 {
    let limit = limit as f64;
    let (previous, current, window_f) = (previous as f64, current as f64, window as f64);
    // Still in this window: current + previous x (1 - f) < limit.
    if current < limit && previous > 0.0 {
        let f = 1.0 - (limit - current) / previous;
        if f < 1.0 && f >= elapsed {
            return start + (f * window_f).floor() as i64 + 1;
        }
    }
    // In the next window, this window's count carries over: current x (1 - g) < limit.
    let g = if current > 0.0 { (1.0 - limit / current).max(0.0) } else { 0.0 };
    start + window + (g * window_f).floor() as i64 + 1
}

#[cfg(test)]
mod tests;
