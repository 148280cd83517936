use std::sync::Arc;

use chrono::{Duration as Span, TimeZone, Utc};
use domain::FakeClock;
use store_embedded::EmbeddedStore;

use super::*;

fn limiter(limit: u32, window_secs: u64) -> (RateLimiter, Arc<FakeClock>, Arc<dyn Store>) {
    let clock = Arc::new(FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()).unwrap());
    let policy = Policy { limit, window: Duration::from_secs(window_secs) };
    (RateLimiter::new(store.clone(), clock.clone(), "api", policy).unwrap(), clock, store)
}

#[tokio::test]
async fn admits_up_to_the_limit_then_refuses_with_retry_after() {
    let (limiter, _, _) = limiter(3, 60);
    for remaining in [2, 1, 0] {
        match limiter.check("1.2.3.4").await.unwrap() {
            Decision::Allowed { remaining: r, .. } => assert_eq!(r, remaining),
            other => panic!("expected allowed, got {other:?}"),
        }
    }
    match limiter.check("1.2.3.4").await.unwrap() {
        Decision::Limited { retry_after, limit } => {
            assert_eq!(limit, 3);
            assert!(retry_after >= Duration::from_secs(1) && retry_after <= Duration::from_secs(120));
        }
        other => panic!("expected limited, got {other:?}"),
    }
    assert!(limiter.check("5.6.7.8").await.unwrap().is_allowed(), "clients are counted apart");
}

#[tokio::test]
async fn the_previous_window_still_counts_while_it_overlaps() {
    let (limiter, clock, _) = limiter(10, 60);
    for _ in 0..10 {
        assert!(limiter.check("c").await.unwrap().is_allowed());
    }
    // 15 s into the next window, 75% of the previous window is still inside: 7 carried.
    clock.advance(Span::seconds(75));
    let allowed = futures_count(&limiter, 10).await;
    assert_eq!(allowed, 3);
    // A full window later, only the 3 new requests weigh, partially.
    clock.advance(Span::seconds(60));
    assert!(limiter.check("c").await.unwrap().is_allowed());
}

#[tokio::test]
async fn retry_after_is_honest() {
    let (limiter, clock, _) = limiter(5, 60);
    for _ in 0..5 {
        limiter.check("c").await.unwrap();
    }
    let Decision::Limited { retry_after, .. } = limiter.check("c").await.unwrap() else {
        panic!("should be limited")
    };
    clock.advance(Span::from_std(retry_after).unwrap() - Span::seconds(1));
    assert!(!limiter.check("c").await.unwrap().is_allowed(), "one second early is still limited");
    clock.advance(Span::seconds(1));
    assert!(limiter.check("c").await.unwrap().is_allowed(), "at retry_after it is admitted");
}

#[tokio::test]
async fn concurrent_requests_never_over_admit() {
    let (limiter, _, _) = limiter(25, 60);
    let limiter = Arc::new(limiter);
    let tasks: Vec<_> = (0..60)
        .map(|_| {
            let limiter = Arc::clone(&limiter);
            tokio::spawn(async move { limiter.check("shared").await.unwrap().is_allowed() })
        })
        .collect();
    let mut admitted = 0;
    for task in tasks {
        admitted += usize::from(task.await.unwrap());
    }
    assert_eq!(admitted, 25);
}

#[tokio::test]
async fn two_limiters_on_one_store_share_the_limit() {
    // Two Lambda containers: separate limiter instances, one table.
    let (first, clock, store) = limiter(4, 60);
    let second = RateLimiter::new(store, clock, "api", first.policy()).unwrap();
    assert!(first.check("c").await.unwrap().is_allowed());
    assert!(second.check("c").await.unwrap().is_allowed());
    assert!(first.check("c").await.unwrap().is_allowed());
    assert!(second.check("c").await.unwrap().is_allowed());
    assert!(!first.check("c").await.unwrap().is_allowed());
    assert!(!second.check("c").await.unwrap().is_allowed());
}

#[tokio::test]
async fn bad_clients_and_policies_are_errors() {
    let (limiter, clock, store) = limiter(1, 1);
    assert_eq!(limiter.check("").await, Err(RateLimitError::InvalidClient));
    assert_eq!(limiter.check(&"x".repeat(129)).await, Err(RateLimitError::InvalidClient));
    assert_eq!(limiter.check("a\nb").await, Err(RateLimitError::InvalidClient));
    let zero = Policy { limit: 0, window: Duration::from_secs(1) };
    assert!(matches!(RateLimiter::new(store, clock, "x", zero), Err(RateLimitError::InvalidPolicy)));
}

async fn futures_count(limiter: &RateLimiter, n: usize) -> usize {
    let mut allowed = 0;
    for _ in 0..n {
        allowed += usize::from(limiter.check("c").await.unwrap().is_allowed());
    }
    allowed
}
