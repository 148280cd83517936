use std::sync::Arc;

use chrono::{Duration as Span, TimeZone, Utc};
use domain::FakeClock;
use store_embedded::EmbeddedStore;

use super::*;

fn tiingo_like() -> (QuotaTracker, Arc<FakeClock>, Arc<dyn Store>) {
    let clock = Arc::new(FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 30, 23, 30, 0).unwrap()));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()).unwrap());
    let limits = vec![Limit { window: Window::Hour, max: 5 }, Limit { window: Window::Day, max: 8 }];
    (QuotaTracker::new(store.clone(), clock.clone(), "tiingo", limits).unwrap(), clock, store)
}

#[tokio::test]
async fn the_tightest_window_binds_and_nothing_is_charged_on_refusal() {
    let (q, clock, _) = tiingo_like();
    for _ in 0..5 {
        q.try_acquire(1).await.unwrap();
    }
    match q.try_acquire(1).await {
        Err(QuotaError::Exhausted { window: Window::Hour, resets_at, .. }) => {
            assert_eq!(resets_at, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
        }
        other => panic!("expected hourly exhaustion, got {other:?}"),
    }
    let usage = q.usage().await.unwrap();
    assert_eq!(usage[0].used, 5);
    assert_eq!(usage[1].used, 5, "the refused call did not charge the day either");

    // Next hour (and next day, UTC): the new windows start empty.
    clock.advance(Span::minutes(31));
    for _ in 0..5 {
        q.try_acquire(1).await.unwrap();
    }
    assert_eq!(q.usage().await.unwrap()[1].used, 5);
}

#[tokio::test]
async fn the_daily_window_binds_across_hours() {
    let (q, clock, _) = tiingo_like();
    clock.set(Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap());
    for _ in 0..5 {
        q.try_acquire(1).await.unwrap();
    }
    clock.advance(Span::hours(1));
    for _ in 0..3 {
        q.try_acquire(1).await.unwrap();
    }
    assert!(matches!(q.try_acquire(1).await, Err(QuotaError::Exhausted { window: Window::Day, .. })));
}

#[tokio::test]
async fn concurrent_containers_never_overspend() {
    let (q, clock, store) = tiingo_like();
    let limits = vec![Limit { window: Window::Hour, max: 5 }, Limit { window: Window::Day, max: 8 }];
    let other = Arc::new(QuotaTracker::new(store, clock, "tiingo", limits).unwrap());
    let q = Arc::new(q);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let tracker = if i % 2 == 0 { Arc::clone(&q) } else { Arc::clone(&other) };
            tokio::spawn(async move { tracker.try_acquire(1).await.is_ok() })
        })
        .collect();
    let mut granted = 0;
    for t in tasks {
        granted += usize::from(t.await.unwrap());
    }
    assert_eq!(granted, 5);
}

#[tokio::test]
async fn upstream_exhaustion_is_respected() {
    let (q, _, _) = tiingo_like();
    q.try_acquire(1).await.unwrap();
    q.mark_exhausted(Window::Hour).await.unwrap();
    assert!(matches!(q.try_acquire(1).await, Err(QuotaError::Exhausted { window: Window::Hour, .. })));
}

#[test]
fn calendar_months_roll_over_the_year() {
    let at = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
    let (start, end) = Window::Month.bounds(at);
    assert_eq!(start, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
    assert_eq!(end, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
    let (start, end) = Window::Minute.bounds(at);
    assert_eq!(end - start, Span::minutes(1));
}

#[test]
fn limits_must_be_one_per_window() {
    let clock = Arc::new(FakeClock::at(Utc::now()));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()).unwrap());
    let dup = vec![Limit { window: Window::Hour, max: 1 }, Limit { window: Window::Hour, max: 2 }];
    assert!(matches!(
        QuotaTracker::new(store.clone(), clock.clone(), "x", dup),
        Err(QuotaError::InvalidLimits)
    ));
    assert!(matches!(QuotaTracker::new(store, clock, "x", vec![]), Err(QuotaError::InvalidLimits)));
}
