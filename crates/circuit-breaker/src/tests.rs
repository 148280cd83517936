use std::sync::Arc;

use chrono::{Duration as Span, TimeZone, Utc};
use domain::FakeClock;
use store_embedded::EmbeddedStore;

use super::*;

fn breaker() -> (CircuitBreaker, Arc<FakeClock>, Arc<dyn Store>) {
    let clock = Arc::new(FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()).unwrap());
    let config = BreakerConfig {
        failure_threshold: 3,
        open_for: Duration::from_secs(60),
        probe_lease: Duration::from_secs(10),
    };
    (CircuitBreaker::new(store.clone(), clock.clone(), "tiingo", config), clock, store)
}

async fn fail(b: &CircuitBreaker) {
    let permit = b.acquire().await.unwrap();
    b.record_failure(permit).await.unwrap();
}

#[tokio::test]
async fn opens_after_consecutive_failures_and_refuses_calls() {
    let (b, _, _) = breaker();
    fail(&b).await;
    fail(&b).await;
    assert_eq!(b.state().await.unwrap(), State::Closed { consecutive_failures: 2 });
    fail(&b).await;
    assert!(matches!(b.state().await.unwrap(), State::Open { .. }));
    match b.acquire().await {
        Err(BreakerError::Open { retry_after, name }) => {
            assert_eq!(name, "tiingo");
            assert_eq!(retry_after, Duration::from_secs(60));
        }
        other => panic!("expected open, got {other:?}"),
    }
}

#[tokio::test]
async fn a_success_resets_the_failure_run() {
    let (b, _, _) = breaker();
    fail(&b).await;
    fail(&b).await;
    let permit = b.acquire().await.unwrap();
    b.record_success(permit).await.unwrap();
    fail(&b).await;
    fail(&b).await;
    assert_eq!(b.state().await.unwrap(), State::Closed { consecutive_failures: 2 });
}

#[tokio::test]
async fn half_open_admits_one_probe_whose_success_closes() {
    let (b, clock, store) = breaker();
    for _ in 0..3 {
        fail(&b).await;
    }
    clock.advance(Span::seconds(60));
    let probe = b.acquire().await.unwrap();
    assert!(probe.is_probe());
    assert!(matches!(b.state().await.unwrap(), State::HalfOpen { .. }));
    // A second container sharing the store gets no second probe.
    let other = CircuitBreaker::new(store, clock.clone(), "tiingo", BreakerConfig::default());
    assert!(matches!(other.acquire().await, Err(BreakerError::Open { .. })));
    b.record_success(probe).await.unwrap();
    assert_eq!(b.state().await.unwrap(), State::Closed { consecutive_failures: 0 });
    assert!(!other.acquire().await.unwrap().is_probe());
}

#[tokio::test]
async fn a_failed_probe_reopens() {
    let (b, clock, _) = breaker();
    for _ in 0..3 {
        fail(&b).await;
    }
    clock.advance(Span::seconds(61));
    let probe = b.acquire().await.unwrap();
    b.record_failure(probe).await.unwrap();
    match b.state().await.unwrap() {
        State::Open { until } => assert_eq!(until, clock.now() + Span::seconds(60)),
        other => panic!("expected open, got {other:?}"),
    }
}

#[tokio::test]
async fn an_abandoned_probe_lease_expires() {
    let (b, clock, _) = breaker();
    for _ in 0..3 {
        fail(&b).await;
    }
    clock.advance(Span::seconds(60));
    let abandoned = b.acquire().await.unwrap();
    drop(abandoned); // the container died mid-call
    assert!(b.acquire().await.is_err());
    clock.advance(Span::seconds(10));
    assert!(b.acquire().await.unwrap().is_probe(), "a new probe after the lease");
}

#[tokio::test]
async fn racing_callers_take_exactly_one_probe() {
    let (b, clock, _) = breaker();
    for _ in 0..3 {
        fail(&b).await;
    }
    clock.advance(Span::seconds(60));
    let b = Arc::new(b);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let b = Arc::clone(&b);
            tokio::spawn(async move { b.acquire().await.is_ok() })
        })
        .collect();
    let mut granted = 0;
    for t in tasks {
        granted += usize::from(t.await.unwrap());
    }
    assert_eq!(granted, 1);
}

#[tokio::test]
async fn failures_from_many_callers_open_it_once() {
    let (b, _, _) = breaker();
    let b = Arc::new(b);
    let permits: Vec<_> = futures::future::join_all((0..10).map(|_| b.acquire())).await;
    let tasks: Vec<_> = permits
        .into_iter()
        .map(|p| {
            let b = Arc::clone(&b);
            tokio::spawn(async move { b.record_failure(p.unwrap()).await })
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert!(matches!(b.state().await.unwrap(), State::Open { .. }));
}
