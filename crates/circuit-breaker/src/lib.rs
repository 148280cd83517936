//! A circuit breaker per upstream whose state lives in the store, so when Tiingo starts
//! failing every ingestion container backs off together.
//!
//! Closed: calls flow; `failure_threshold` consecutive failures open it.
//! Open: calls are refused until `open_for` has passed.
//! Half-open: up to `half_open_probes` callers hold probe permits at once; a probe's success
//! closes the breaker, its failure opens it again. If no probe answers within `probe_lease`
//! of the last probe granted, the next caller starts a new half-open period.
//!
//! Every change of state bumps a version, and every permit carries the version it was granted
//! under. Transitions and outcomes are conditional writes on that version, so racing
//! containers make one transition per period and a late answer from an old period never
//! counts in a new one.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, TimeZone, Utc};
use domain::Clock;
use domain::store::{Condition, Item, Key, Store, StoreError, Update};
use domain::table::keys;
use serde_json::Value;

/// How a breaker trips and recovers. The operator-facing part parses from the environment
/// (`"failure_threshold=5,open_for=60s,half_open_probes=1".parse()`); `probe_lease` follows the
/// caller's HTTP timeouts and is set with [`BreakerConfig::with_probe_lease`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerConfig {
    /// Consecutive failures, while closed, that open the breaker.
    pub failure_threshold: u32,
    /// How long an open breaker refuses calls before it lets probes through.
    pub open_for: Duration,
    /// How many callers may hold probe permits at once in one half-open period (at least 1).
    pub half_open_probes: u32,
    /// How long a probe permit holds its half-open period. It must outlive the longest upstream
    /// call a probe can make, timeouts and retries included, so two half-open periods never
    /// overlap: a probe still running when its lease ends shares the upstream with the next
    /// period's probes, and its answer is ignored as stale.
    pub probe_lease: Duration,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            failure_threshold: 5,
            open_for: Duration::from_secs(60),
            half_open_probes: 1,
            probe_lease: Duration::from_secs(30),
        }
    }
}

impl BreakerConfig {
    /// Sets the probe lease; see [`BreakerConfig::probe_lease`] for how long it must be.
    pub fn with_probe_lease(self, probe_lease: Duration) -> Self {
        Self { probe_lease, ..self }
    }
}

/// The keys the environment syntax accepts, for error messages.
const CONFIG_KEYS: &str = "failure_threshold, open_for, half_open_probes";

impl FromStr for BreakerConfig {
    type Err = String;

    /// Parses `failure_threshold=5,open_for=60s,half_open_probes=1`: any subset of the keys in
    /// any order, whitespace around items allowed; a key left out keeps its default. Durations
    /// are a whole number and a unit: `500ms`, `60s`, `5m`, `1h`.
    fn from_str(input: &str) -> Result<Self, String> {
        let mut config = Self::default();
        if input.trim().is_empty() {
            return Ok(config);
        }
        let mut given: Vec<&str> = Vec::new();
        for item in input.split(',').map(str::trim) {
            if item.is_empty() {
                return Err(format!("empty item in `{input}` (a stray comma?)"));
            }
            let (key, value) = item
                .split_once('=')
                .map(|(key, value)| (key.trim(), value.trim()))
                .ok_or_else(|| format!("`{item}` is not key=value"))?;
            if given.contains(&key) {
                return Err(format!("{key} is given more than once"));
            }
            given.push(key);
            match key {
                "failure_threshold" => config.failure_threshold = at_least_one(key, value)?,
                "open_for" => config.open_for = duration(key, value)?,
                "half_open_probes" => config.half_open_probes = at_least_one(key, value)?,
                "probe_lease" => {
                    return Err("probe_lease cannot be configured here: it follows the HTTP timeouts".into());
                }
                _ => return Err(format!("unknown key `{key}`; expected one of {CONFIG_KEYS}")),
            }
        }
        Ok(config)
    }
}

fn at_least_one(key: &str, value: &str) -> Result<u32, String> {
    match value.parse::<u32>() {
        Ok(0) => Err(format!("{key} must be at least 1, got 0")),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("{key}={value}: expected a whole number from 1 to {}", u32::MAX)),
    }
}

fn duration(key: &str, value: &str) -> Result<Duration, String> {
    let garbage = || format!("{key}={value}: expected a whole number and a unit (ms, s, m, h), such as 60s");
    let unit_at = value.find(|c: char| !c.is_ascii_digit()).ok_or_else(garbage)?;
    let (number, unit) = value.split_at(unit_at);
    let number: u64 = number.parse().map_err(|_| garbage())?;
    let parsed = match unit {
        "ms" => Some(Duration::from_millis(number)),
        "s" => Some(Duration::from_secs(number)),
        "m" => number.checked_mul(60).map(Duration::from_secs),
        "h" => number.checked_mul(3600).map(Duration::from_secs),
        _ => return Err(garbage()),
    }
    .ok_or_else(|| format!("{key}={value} is too long"))?;
    if parsed.is_zero() {
        return Err(format!("{key} must be longer than zero, got {value}"));
    }
    Ok(parsed)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Closed { consecutive_failures: u32 },
    Open { until: DateTime<Utc> },
    HalfOpen { probe_until: DateTime<Utc> },
}

const CLOSED: &str = "closed";
const OPEN: &str = "open";
const HALF_OPEN: &str = "half_open";

impl State {
    /// The state's name for summaries and metrics; also how the store spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Closed { .. } => CLOSED,
            Self::Open { .. } => OPEN,
            Self::HalfOpen { .. } => HALF_OPEN,
        }
    }
}

/// The state together with the version it belongs to; the version grows by one with every
/// change of state (0 before the breaker was ever written).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub state: State,
    pub version: u64,
}

/// Permission to make one call; report its outcome with `record_success` or `record_failure`.
#[derive(Debug, PartialEq, Eq)]
#[must_use = "report the call's outcome so the breaker can learn from it"]
pub struct Permit {
    /// The version the permit was granted under; never negative (see `decode`).
    version: i64,
    probe: bool,
    failures_seen: u32,
}

impl Permit {
    pub fn is_probe(&self) -> bool {
        self.probe
    }

    /// The breaker version the permit was granted under.
    pub fn version(&self) -> u64 {
        self.version.unsigned_abs()
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
/// Probe tickets handed out in the current half-open period; may overshoot the limit.
const PROBES: &str = "probes";

/// How often `acquire` re-reads after losing a race before it stands back. A race is only
/// lost when the version moved, i.e. another caller made progress.
const RACE_ROUNDS: usize = 3;

pub struct CircuitBreaker {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    name: String,
    config: BreakerConfig,
}

/// What the stored item says, decoded once.
struct Seen {
    state: State,
    version: i64,
    probes: i64,
}

enum Attempt {
    Granted(Permit),
    Refused {
        until: DateTime<Utc>,
    },
    /// The version moved between our read and our write; read again.
    Raced,
}

impl CircuitBreaker {
    pub fn new(store: Arc<dyn Store>, clock: Arc<dyn Clock>, name: &str, config: BreakerConfig) -> Self {
        Self { store, clock, name: name.to_owned(), config }
    }

    fn key(&self) -> Key {
        Key::new(keys::breaker_pk(&self.name), "STATE")
    }

    pub async fn state(&self) -> Result<State, StoreError> {
        Ok(self.snapshot().await?.state)
    }

    /// The state and its version, e.g. for a run summary or a metrics line.
    pub async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let seen = self.read().await?;
        Ok(Snapshot { state: seen.state, version: seen.version.unsigned_abs() })
    }

    /// Asks to make a call: a plain permit while closed, a probe permit while half-open slots
    /// remain, `BreakerError::Open` otherwise. After losing `RACE_ROUNDS` races in a row to
    /// other callers it refuses with a zero `retry_after`.
    pub async fn acquire(&self) -> Result<Permit, BreakerError> {
        for _ in 0..RACE_ROUNDS {
            let now = self.clock.now();
            let seen = self.read().await?;
            match self.try_acquire(now, &seen).await? {
                Attempt::Granted(permit) => return Ok(permit),
                Attempt::Refused { until } => return Err(self.refuse(now, until)),
                Attempt::Raced => {}
            }
        }
        // The state kept changing under us: other callers are probing, so stand back.
        Err(BreakerError::Open { name: self.name.clone(), retry_after: Duration::ZERO })
    }

    async fn try_acquire(&self, now: DateTime<Utc>, seen: &Seen) -> Result<Attempt, StoreError> {
        match seen.state {
            State::Closed { consecutive_failures } => Ok(Attempt::Granted(Permit {
                version: seen.version,
                probe: false,
                failures_seen: consecutive_failures,
            })),
            State::Open { until } if now < until => Ok(Attempt::Refused { until }),
            State::HalfOpen { probe_until } if now < probe_until => {
                self.join_probe_period(now, seen, probe_until).await
            }
            // The wait is over, or no probe answered within its lease: start a half-open period.
            State::Open { .. } | State::HalfOpen { .. } => {
                let update = Update::new(self.key())
                    .set(STATE, HALF_OPEN)
                    .set(UNTIL, millis(later(now, self.config.probe_lease)))
                    .set(PROBES, 1)
                    .set(FAILURES, 0)
                    .add(VERSION, 1)
                    .when(still(seen.version));
                match self.write(update).await {
                    Ok(item) => Ok(Attempt::Granted(Permit {
                        version: item.counter(VERSION)?,
                        probe: true,
                        failures_seen: 0,
                    })),
                    Err(StoreError::ConditionFailed { .. }) => Ok(Attempt::Raced),
                    Err(other) => Err(other),
                }
            }
        }
    }

    /// Takes one of the remaining probe permits of the current half-open period, if any.
    ///
    /// One update can carry one condition, and "still this period" and "fewer than n probes"
    /// are two. So the condition is the version, which pins the period, and the probe count
    /// is a ticket dispenser: the atomic `add probes 1` hands each caller a distinct number,
    /// tickets 1..=n are permits (the caller that opened the period holds 1) and later ones
    /// are refusals. At most n callers of one period can hold a ticket in 1..=n, so never more
    /// than n probes per period; the count may overshoot n, which is harmless because every
    /// period starts by setting it. (Conditioning on `AtMost(probes, n-1)` and checking the
    /// version afterwards would be no safer and worse: an increment that lands in a newer
    /// period would take one of that period's slots without using it.)
    ///
    /// A granted ticket then moves the lease to `now + probe_lease` (never earlier), so the
    /// period lasts as long as its last probe may run. That is a second write, conditional on
    /// the same version; if it fails the period has ended and the ticket is worthless.
    async fn join_probe_period(
        &self,
        now: DateTime<Utc>,
        seen: &Seen,
        until: DateTime<Utc>,
    ) -> Result<Attempt, StoreError> {
        let allowed = i64::from(self.config.half_open_probes.max(1));
        if seen.probes >= allowed {
            return Ok(Attempt::Refused { until });
        }
        let ticket = Update::new(self.key()).add(PROBES, 1).when(still(seen.version));
        let ticket = match self.write(ticket).await {
            Ok(item) => item.counter(PROBES)?,
            Err(StoreError::ConditionFailed { .. }) => return Ok(Attempt::Raced),
            Err(other) => return Err(other),
        };
        if ticket > allowed {
            return Ok(Attempt::Refused { until });
        }
        let lease = Update::new(self.key())
            .set(UNTIL, millis(until.max(later(now, self.config.probe_lease))))
            .when(still(seen.version));
        match self.write(lease).await {
            Ok(_) => Ok(Attempt::Granted(Permit { version: seen.version, probe: true, failures_seen: 0 })),
            Err(StoreError::ConditionFailed { .. }) => Ok(Attempt::Raced),
            Err(other) => Err(other),
        }
    }

    /// Reports a successful call. An outcome from an earlier period is ignored.
    pub async fn record_success(&self, permit: Permit) -> Result<(), StoreError> {
        let update = if permit.probe {
            Update::new(self.key())
                .set(STATE, CLOSED)
                .set(FAILURES, 0)
                .set(PROBES, 0)
                .add(VERSION, 1)
                .when(still(permit.version))
        } else if permit.failures_seen > 0 {
            // Only a success that breaks a run of failures needs a write.
            Update::new(self.key()).set(FAILURES, 0).when(still(permit.version))
        } else {
            return Ok(());
        };
        ignore_stale(self.write(update).await)
    }

    /// Reports a failed call. An outcome from an earlier period is ignored.
    pub async fn record_failure(&self, permit: Permit) -> Result<(), StoreError> {
        let now = self.clock.now();
        if permit.probe {
            return ignore_stale(self.write(self.trip(now, permit.version)).await);
        }
        // Versions only grow, so "at most the permit's version" means "still that closed
        // period"; unlike `Equals` it also holds for an absent item (version 0), which this
        // write then creates.
        let count = Update::new(self.key())
            .add(FAILURES, 1)
            .set_if_absent(STATE, CLOSED)
            .set_if_absent(VERSION, 0)
            .when(Condition::AtMost(VERSION.into(), permit.version));
        let failures = match self.write(count).await {
            Ok(item) => item.counter(FAILURES)?,
            Err(StoreError::ConditionFailed { .. }) => return Ok(()),
            Err(other) => return Err(other),
        };
        if failures >= i64::from(self.config.failure_threshold) {
            // Every caller that saw the threshold tries; the version condition lets one win.
            ignore_stale(self.write(self.trip(now, permit.version)).await)?;
        }
        Ok(())
    }

    /// Opens the breaker, if it is still at `version`.
    fn trip(&self, now: DateTime<Utc>, version: i64) -> Update {
        Update::new(self.key())
            .set(STATE, OPEN)
            .set(UNTIL, millis(later(now, self.config.open_for)))
            .set(FAILURES, 0)
            .set(PROBES, 0)
            .add(VERSION, 1)
            .when(still(version))
    }

    async fn read(&self) -> Result<Seen, StoreError> {
        let key = self.key();
        let item = domain::retry::transient(|| self.store.get(&key)).await?;
        decode(item.as_ref())
    }

    async fn write(&self, update: Update) -> Result<Item, StoreError> {
        domain::retry::transient(|| self.store.update(update.clone())).await
    }

    fn refuse(&self, now: DateTime<Utc>, until: DateTime<Utc>) -> BreakerError {
        let retry_after = (until - now).to_std().unwrap_or(Duration::ZERO);
        BreakerError::Open { name: self.name.clone(), retry_after }
    }
}

/// The breaker is still at `version`: no transition happened since.
fn still(version: i64) -> Condition {
    Condition::Equals(VERSION.into(), Value::from(version))
}

/// A failed condition means the permit's period is over; another transition stands.
fn ignore_stale(result: Result<Item, StoreError>) -> Result<(), StoreError> {
    match result {
        Ok(_) | Err(StoreError::ConditionFailed { .. }) => Ok(()),
        Err(other) => Err(other),
    }
}

/// `now + by`, saturating instead of panicking on absurd durations.
fn later(now: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    TimeDelta::from_std(by).ok().and_then(|by| now.checked_add_signed(by)).unwrap_or(DateTime::<Utc>::MAX_UTC)
}

fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(format!("circuit breaker item: {what}"))
}

fn decode(item: Option<&Item>) -> Result<Seen, StoreError> {
    let Some(item) = item else {
        return Ok(Seen { state: State::Closed { consecutive_failures: 0 }, version: 0, probes: 0 });
    };
    let version = item.counter(VERSION)?;
    if version < 0 {
        return Err(corrupt("version is negative"));
    }
    let until = || -> Result<DateTime<Utc>, StoreError> {
        Utc.timestamp_millis_opt(item.counter(UNTIL)?)
            .single()
            .ok_or_else(|| corrupt("until is out of range"))
    };
    let state = match item.attrs.get(STATE).map(Value::as_str) {
        None | Some(Some(CLOSED)) => State::Closed {
            consecutive_failures: u32::try_from(item.counter(FAILURES)?.max(0)).unwrap_or(u32::MAX),
        },
        Some(Some(OPEN)) => State::Open { until: until()? },
        Some(Some(HALF_OPEN)) => State::HalfOpen { probe_until: until()? },
        Some(_) => return Err(corrupt("unknown state")),
    };
    Ok(Seen { state, version, probes: item.counter(PROBES)? })
}

#[cfg(test)]
mod tests;
