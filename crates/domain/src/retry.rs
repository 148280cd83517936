//! Retrying what a store reports as transient: a conflicting concurrent transaction or
//! throttling (DynamoDB's `TransactionConflict`, `ProvisionedThroughputExceeded`). Each retry
//! waits a random time up to an exponentially growing cap ("full jitter"), so writers that
//! collided do not collide again in step, and gives up after a few attempts.

use std::future::Future;
use std::time::Duration;

use crate::store::StoreError;

/// Attempts in all, the first included.
pub const ATTEMPTS: u32 = 5;
const BASE: Duration = Duration::from_millis(20);
const CAP: Duration = Duration::from_secs(1);

/// Runs `op` until it succeeds, fails for good, or has been tried `ATTEMPTS` times.
pub async fn transient<T, F, Fut>(mut op: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let mut attempt = 0;
    loop {
        match op().await {
            Err(error) if error.is_retryable() && attempt + 1 < ATTEMPTS => {
                tokio::time::sleep(jitter(attempt)).await;
                attempt += 1;
            }
            other => return other,
        }
    }
}

fn jitter(attempt: u32) -> Duration {
    let cap = BASE.saturating_mul(1 << attempt.min(10)).min(CAP);
    let mut bytes = [0u8; 8];
    let random = match getrandom::fill(&mut bytes) {
        Ok(()) => u64::from_le_bytes(bytes),
        Err(_) => u64::from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .subsec_nanos(),
        ),
    };
    Duration::from_nanos(random % (cap.as_nanos() as u64).max(1))
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn transient_errors_are_retried_a_bounded_number_of_times() {
        let calls = Cell::new(0);
        let result: Result<(), _> = transient(|| {
            calls.set(calls.get() + 1);
            async { Err(StoreError::Conflict("busy".into())) }
        })
        .await;
        assert_eq!(calls.get(), ATTEMPTS);
        assert!(matches!(result, Err(StoreError::Conflict(_))));

        let calls = Cell::new(0);
        let result = transient(|| {
            calls.set(calls.get() + 1);
            let n = calls.get();
            async move { if n < 3 { Err(StoreError::Throttled("slow down".into())) } else { Ok(n) } }
        })
        .await;
        assert_eq!(result, Ok(3));
    }

    #[tokio::test(start_paused = true)]
    async fn answers_are_not_retried() {
        let calls = Cell::new(0);
        let result: Result<(), _> = transient(|| {
            calls.set(calls.get() + 1);
            async { Err(StoreError::ConditionFailed { index: 0 }) }
        })
        .await;
        assert_eq!(calls.get(), 1);
        assert_eq!(result, Err(StoreError::ConditionFailed { index: 0 }));
    }

    #[test]
    fn waits_stay_under_their_cap() {
        for attempt in 0..20 {
            assert!(jitter(attempt) <= CAP);
        }
        assert!(jitter(0) <= BASE);
    }
}
