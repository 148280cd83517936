use std::sync::Arc;

use chrono::{Duration as Span, TimeZone, Utc};
use domain::FakeClock;
use domain::store::Query;
use store_embedded::EmbeddedStore;

use super::*;

const HOUR: Window = Window::new(1, Unit::Hour);
const DAY: Window = Window::new(1, Unit::Day);
const MONTH: Window = Window::new(1, Unit::Month);

fn setup(limits: Vec<Limit>) -> (QuotaTracker, Arc<FakeClock>, Arc<dyn Store>) {
    let clock = Arc::new(FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 30, 23, 30, 0).unwrap()));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()).unwrap());
    (QuotaTracker::new(store.clone(), clock.clone(), SourceKind::Tiingo, limits), clock, store)
}

fn tiingo_like() -> (QuotaTracker, Arc<FakeClock>, Arc<dyn Store>) {
    setup(vec![Limit::calls(5, HOUR), Limit::calls(8, DAY)])
}

#[tokio::test]
async fn the_tightest_window_binds_and_nothing_is_charged_on_refusal() {
    let (q, clock, _) = tiingo_like();
    for _ in 0..5 {
        q.reserve(&[]).await.unwrap();
    }
    match q.reserve(&[]).await {
        Err(QuotaError::Exhausted { window, resets_at, .. }) => {
            assert_eq!(window, HOUR);
            assert_eq!(resets_at, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
        }
        other => panic!("expected hourly exhaustion, got {other:?}"),
    }
    let report = q.report().await.unwrap();
    assert_eq!((report.limits[0].used, report.limits[0].remaining), (5, 0));
    assert_eq!(report.limits[1].used, 5, "the refused call did not charge the day either");

    // Next hour (and next day, UTC): the new windows start empty.
    clock.advance(Span::minutes(31));
    for _ in 0..5 {
        q.reserve(&[]).await.unwrap();
    }
    assert_eq!(q.report().await.unwrap().limits[1].used, 5);
}

#[tokio::test]
async fn the_daily_window_binds_across_hours() {
    let (q, clock, _) = tiingo_like();
    clock.set(Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap());
    for _ in 0..5 {
        q.reserve(&[]).await.unwrap();
    }
    clock.advance(Span::hours(1));
    for _ in 0..3 {
        q.reserve(&[]).await.unwrap();
    }
    assert!(matches!(q.reserve(&[]).await, Err(QuotaError::Exhausted { window: DAY, .. })));
}

#[tokio::test]
async fn concurrent_containers_never_overspend() {
    let (q, clock, store) = tiingo_like();
    let other = Arc::new(QuotaTracker::new(store, clock, SourceKind::Tiingo, q.limits().to_vec()));
    let q = Arc::new(q);
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let tracker = if i % 2 == 0 { Arc::clone(&q) } else { Arc::clone(&other) };
            tokio::spawn(async move { tracker.reserve(&["aapl"]).await.is_ok() })
        })
        .collect();
    let mut granted = 0;
    for t in tasks {
        granted += usize::from(t.await.unwrap());
    }
    assert_eq!(granted, 5);
}

#[tokio::test]
async fn symbols_are_counted_once_per_month() {
    let (q, clock, store) = setup(vec![Limit::calls(100, DAY), Limit::symbols(3, MONTH)]);
    q.reserve(&["aapl", "msft"]).await.unwrap();
    q.reserve(&["aapl", "msft"]).await.unwrap();
    q.reserve(&["aapl", "nvda"]).await.unwrap();
    let report = q.report().await.unwrap();
    assert_eq!((report.limits[0].used, report.limits[1].used), (3, 3));
    // A fourth symbol does not fit; known ones still do.
    match q.reserve(&["tsla", "aapl"]).await {
        Err(QuotaError::Exhausted { resource: Resource::Symbols, resets_at, .. }) => {
            assert_eq!(resets_at, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
        }
        other => panic!("expected the symbol quota to bind, got {other:?}"),
    }
    q.reserve(&["msft"]).await.unwrap();
    let items = store.query(&Query::partition("QUOTA#tiingo").limit(100)).await.unwrap().items;
    let symbols: Vec<&str> = items
        .iter()
        .filter(|i| i.key.sk.starts_with("SYMBOL#"))
        .map(|i| i.key.sk.rsplit('#').next().unwrap())
        .collect();
    assert_eq!(symbols, ["aapl", "msft", "nvda"]);
    // A new month starts afresh.
    clock.advance(Span::hours(1));
    q.reserve(&["tsla"]).await.unwrap();
}

#[tokio::test]
async fn racing_reservations_charge_a_new_symbol_once() {
    let (q, clock, store) = setup(vec![Limit::calls(100, DAY), Limit::symbols(10, MONTH)]);
    let other = QuotaTracker::new(store, clock, SourceKind::Tiingo, q.limits().to_vec());
    let (a, b) = tokio::join!(q.reserve(&["aapl"]), other.reserve(&["aapl"]));
    a.unwrap();
    b.unwrap();
    let report = q.report().await.unwrap();
    assert_eq!((report.limits[0].used, report.limits[1].used), (2, 1));
}

#[tokio::test]
async fn an_upstream_throttle_blocks_until_its_reset() {
    let (q, clock, _) = tiingo_like();
    q.reserve(&[]).await.unwrap();
    let until = q.upstream_throttled(Some(std::time::Duration::from_secs(90)), None).await.unwrap();
    assert_eq!(until, clock.now() + Span::seconds(90));
    assert!(matches!(q.reserve(&[]).await, Err(QuotaError::Blocked { until: u, .. }) if u == until));
    assert_eq!(q.report().await.unwrap().blocked_until, Some(until));
    // A shorter block does not shorten it.
    q.upstream_throttled(Some(std::time::Duration::from_secs(5)), None).await.unwrap();
    assert_eq!(q.report().await.unwrap().blocked_until, Some(until));
    clock.advance(Span::seconds(90));
    q.reserve(&[]).await.unwrap();
    assert_eq!(q.report().await.unwrap().blocked_until, None);
}

#[tokio::test]
async fn a_throttle_without_a_reset_holds_to_the_end_of_the_window() {
    let (q, clock, _) = tiingo_like();
    let until = q.upstream_throttled(None, None).await.unwrap();
    assert_eq!(until, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(), "the shortest window, an hour");
    let until = q.upstream_throttled(None, Some(Unit::Month)).await.unwrap();
    assert_eq!(until, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
    clock.set(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
    q.reserve(&[]).await.unwrap();
}

#[test]
fn windows_align_to_the_epoch_and_the_calendar() {
    let at = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
    let (start, end) = MONTH.bounds(at);
    assert_eq!(start, Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
    assert_eq!(end, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
    let (start, end) = Window::new(1, Unit::Minute).bounds(at);
    assert_eq!(end - start, Span::minutes(1));
    let (start, end) = Window::new(15, Unit::Minute).bounds(at);
    assert_eq!(
        (start, end - start),
        (Utc.with_ymd_and_hms(2026, 12, 31, 23, 45, 0).unwrap(), Span::minutes(15))
    );
    let (start, end) = Window::new(30, Unit::Second).bounds(at);
    assert_eq!(
        (start, end - start),
        (Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 30).unwrap(), Span::seconds(30))
    );
    let (start, end) = Window::new(3, Unit::Month).bounds(at);
    assert_eq!(start, Utc.with_ymd_and_hms(2026, 10, 1, 0, 0, 0).unwrap());
    assert_eq!(end, Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap());
}
