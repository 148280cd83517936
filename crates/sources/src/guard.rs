//! What stands between a vendor client and the network: the source's circuit breaker and its
//! quota tracker, both kept in the store so every container obeys them together.
//!
//! One logical call (a page, a symbol's date range) is one breaker event; every HTTP attempt
//! of it, retries included, first reserves one unit of quota, because the vendor counts
//! attempts. A call the quota cannot cover is not made.

use std::sync::Arc;
use std::time::Duration;

use circuit_breaker::{BreakerConfig, BreakerError, CircuitBreaker, Permit};
use domain::run::{BreakerState, GuardState, QuotaWindow};
use domain::source::SourceError;
use domain::store::Store;
use domain::{Clock, SourceKind};
use quota::{QuotaError, QuotaTracker, Quotas, Unit};

use crate::HttpConfig;

/// Everything needed to guard the live clients.
#[derive(Clone)]
pub struct Guards {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub quotas: Quotas,
    pub breaker: BreakerConfig,
}

impl Guards {
    /// The guard for one source. Its breaker's probe lease outlives the longest call the
    /// HTTP settings allow (every attempt timing out, plus the backoffs), so two probes never
    /// overlap.
    pub fn for_source(&self, source: SourceKind, http: &HttpConfig) -> Guard {
        let attempts = http.retries + 1;
        let backoffs = http.retry_backoff * (http.retries * (http.retries + 1) / 2);
        let longest_call = http.timeout * attempts + backoffs;
        let config = self.breaker.with_probe_lease(longest_call + Duration::from_secs(5));
        Guard {
            clock: Arc::clone(&self.clock),
            quota: QuotaTracker::new(
                Arc::clone(&self.store),
                Arc::clone(&self.clock),
                source,
                self.quotas.for_source(source).to_vec(),
            ),
            breaker: CircuitBreaker::new(
                Arc::clone(&self.store),
                Arc::clone(&self.clock),
                source.as_str(),
                config,
            ),
        }
    }
}

pub struct Guard {
    pub quota: QuotaTracker,
    pub breaker: CircuitBreaker,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard").field("quota", &self.quota).finish_non_exhaustive()
    }
}

impl Guard {
    /// The time the quota and breaker run on (injected, so tests can move it).
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub(crate) async fn admit(&self) -> Result<Permit, SourceError> {
        self.breaker.acquire().await.map_err(|error| match error {
            BreakerError::Open { retry_after, .. } => SourceError::CircuitOpen { retry_after },
            BreakerError::Store(e) => SourceError::GuardUnavailable(format!("circuit breaker: {e}")),
        })
    }

    pub(crate) async fn reserve(&self, symbols: &[&str]) -> Result<(), SourceError> {
        self.quota.reserve(symbols).await.map_err(|error| match error {
            QuotaError::Store(e) => SourceError::GuardUnavailable(format!("quota: {e}")),
            other => SourceError::Throttled { until: other.resets_at(), message: other.to_string() },
        })
    }

    /// Teaches the breaker what the call's outcome says about the upstream's health, and
    /// the quota what a throttling answer says about our allowance.
    pub(crate) async fn settle<T>(&self, permit: Permit, result: &Result<T, SourceError>) {
        let recorded = match result {
            Ok(_) => Some(self.breaker.record_success(permit).await),
            Err(error) => match health(error) {
                Health::Failing => Some(self.breaker.record_failure(permit).await),
                Health::Answering => Some(self.breaker.record_success(permit).await),
                Health::Unknown => {
                    drop(permit);
                    None
                }
            },
        };
        if let Some(Err(error)) = recorded {
            tracing::warn!(source = %self.quota.source(), %error, "could not record the call's outcome in the circuit breaker");
        }
        if let Err(SourceError::RateLimited { message, retry_after }) = result {
            match self.quota.upstream_throttled(*retry_after, window_named(message)).await {
                Ok(until) => {
                    tracing::warn!(source = %self.quota.source(), %until, "upstream throttled us; holding off")
                }
                Err(error) => {
                    tracing::warn!(source = %self.quota.source(), %error, "could not record the upstream's throttling")
                }
            }
        }
    }
}

enum Health {
    /// Down, erroring or refusing our credentials: counts towards opening the breaker.
    Failing,
    /// It answered, even if not with news (an unknown ticker, a malformed item).
    Answering,
    /// Says nothing about its health (throttled, or we stopped waiting).
    Unknown,
}

fn health(error: &SourceError) -> Health {
    match error {
        SourceError::Upstream { status, .. } if *status >= 500 => Health::Failing,
        SourceError::Timeout { .. }
        | SourceError::Network(_)
        | SourceError::Unauthorized(_)
        | SourceError::Forbidden(_) => Health::Failing,
        SourceError::Upstream { .. } | SourceError::Malformed(_) => Health::Answering,
        SourceError::RateLimited { .. }
        | SourceError::Throttled { .. }
        | SourceError::CircuitOpen { .. }
        | SourceError::OutOfTime
        | SourceError::GuardUnavailable(_) => Health::Unknown,
    }
}

/// Tiingo's throttling messages name the allocation they hit ("hourly request allocation",
/// "500 symbol look up for this month").
fn window_named(message: &str) -> Option<Unit> {
    let message = message.to_ascii_lowercase();
    if message.contains("month") {
        Some(Unit::Month)
    } else if message.contains("daily") || message.contains(" day") {
        Some(Unit::Day)
    } else if message.contains("hour") {
        Some(Unit::Hour)
    } else if message.contains("minute") {
        Some(Unit::Minute)
    } else {
        None
    }
}

impl Guard {
    /// The breaker's state and the quota's windows now, for the run summary. Unreadable
    /// state is logged and reported as absent rather than failing the run.
    pub async fn state(&self) -> Option<GuardState> {
        let breaker = match self.breaker.state().await {
            Ok(circuit_breaker::State::Closed { .. }) => BreakerState::Closed,
            Ok(circuit_breaker::State::Open { .. }) => BreakerState::Open,
            Ok(circuit_breaker::State::HalfOpen { .. }) => BreakerState::HalfOpen,
            Err(error) => {
                tracing::warn!(%error, "cannot read the circuit breaker's state");
                return None;
            }
        };
        let report = match self.quota.report().await {
            Ok(report) => report,
            Err(error) => {
                tracing::warn!(%error, "cannot read the quota's state");
                return None;
            }
        };
        let quota = report.limits.into_iter().map(QuotaWindow::from).collect();
        Some(GuardState { breaker, quota, blocked_until: report.blocked_until })
    }
}
