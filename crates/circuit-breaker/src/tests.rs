use std::sync::Arc;

use chrono::{Duration as Span, TimeZone, Utc};
use domain::FakeClock;
use futures::future::join_all;
use store_embedded::EmbeddedStore;

use super::*;

/// Threshold 3, open for 60 s, one probe, lease 10 s.
fn config() -> BreakerConfig {
    BreakerConfig {
        failure_threshold: 3,
        open_for: Duration::from_secs(60),
        half_open_probes: 1,
        probe_lease: Duration::from_secs(10),
    }
}

fn breaker_with(config: BreakerConfig) -> (CircuitBreaker, Arc<FakeClock>, Arc<dyn Store>) {
    let clock = Arc::new(FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()));
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::in_memory(clock.clone()).unwrap());
    (CircuitBreaker::new(store.clone(), clock.clone(), "tiingo", config), clock, store)
}

fn breaker() -> (CircuitBreaker, Arc<FakeClock>, Arc<dyn Store>) {
    breaker_with(config())
}

async fn fail(b: &CircuitBreaker) {
    let permit = b.acquire().await.unwrap();
    b.record_failure(permit).await.unwrap();
}

/// Fails the breaker open (version 1) and waits out `open_for`.
async fn open_and_wait(b: &CircuitBreaker, clock: &FakeClock) {
    for _ in 0..b.config.failure_threshold {
        fail(b).await;
    }
    assert_eq!(b.snapshot().await.unwrap().state.as_str(), "open");
    clock.advance(Span::from_std(b.config.open_for).unwrap());
}

/// Many callers ask at once; returns the permits granted and the number refused.
async fn race_for_permits(b: &Arc<CircuitBreaker>, callers: usize) -> (Vec<Permit>, usize) {
    let tasks = (0..callers).map(|_| {
        let b = Arc::clone(b);
        tokio::spawn(async move { b.acquire().await })
    });
    let mut granted = Vec::new();
    let mut refused = 0;
    for result in join_all(tasks).await {
        match result.unwrap() {
            Ok(permit) => granted.push(permit),
            Err(BreakerError::Open { .. }) => refused += 1,
            Err(other) => panic!("store error: {other}"),
        }
    }
    (granted, refused)
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
    open_and_wait(&b, &clock).await;
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
    open_and_wait(&b, &clock).await;
    clock.advance(Span::seconds(1));
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
    open_and_wait(&b, &clock).await;
    let abandoned = b.acquire().await.unwrap();
    drop(abandoned); // the container died mid-call
    assert!(b.acquire().await.is_err());
    clock.advance(Span::seconds(10));
    assert!(b.acquire().await.unwrap().is_probe(), "a new probe after the lease");
}

#[tokio::test]
async fn racing_callers_take_exactly_one_probe() {
    let (b, clock, _) = breaker();
    open_and_wait(&b, &clock).await;
    let (granted, refused) = race_for_permits(&Arc::new(b), 20).await;
    assert_eq!((granted.len(), refused), (1, 19));
}

#[tokio::test]
async fn failures_from_many_callers_open_it_once() {
    let (b, _, _) = breaker();
    let b = Arc::new(b);
    let permits: Vec<_> = join_all((0..10).map(|_| b.acquire())).await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixty_four_concurrent_failures_open_it_exactly_once() {
    let (b, _, _) = breaker_with(BreakerConfig { failure_threshold: 5, ..config() });
    let b = Arc::new(b);
    let (permits, refused) = race_for_permits(&b, 64).await;
    assert_eq!(refused, 0, "closed: everyone may call");
    assert!(permits.iter().all(|p| p.version() == 0 && !p.is_probe()), "no item yet: version 0");
    let failures = permits.into_iter().map(|p| {
        let b = Arc::clone(&b);
        tokio::spawn(async move { b.record_failure(p).await })
    });
    for result in join_all(failures).await {
        result.unwrap().unwrap();
    }
    let snapshot = b.snapshot().await.unwrap();
    assert_eq!(snapshot.state.as_str(), "open");
    assert_eq!(snapshot.version, 1, "opened exactly once");
}

#[tokio::test]
async fn a_late_failure_from_an_earlier_period_does_not_count() {
    let (b, clock, _) = breaker();
    let late = b.acquire().await.unwrap();
    assert_eq!(late.version(), 0);
    open_and_wait(&b, &clock).await;
    let probe = b.acquire().await.unwrap();
    b.record_success(probe).await.unwrap();
    assert_eq!(b.snapshot().await.unwrap().version, 3, "opened, probed, closed");
    fail(&b).await;
    fail(&b).await;
    // Counted, this would be the third failure in a row and open the breaker.
    b.record_failure(late).await.unwrap();
    assert_eq!(
        b.snapshot().await.unwrap(),
        Snapshot { state: State::Closed { consecutive_failures: 2 }, version: 3 }
    );
}

#[tokio::test]
async fn a_late_success_from_an_earlier_period_does_not_reset_the_run() {
    let (b, clock, _) = breaker();
    fail(&b).await;
    let late = b.acquire().await.unwrap(); // saw one failure, so its success would write
    fail(&b).await;
    fail(&b).await;
    clock.advance(Span::seconds(60));
    let probe = b.acquire().await.unwrap();
    b.record_success(probe).await.unwrap();
    fail(&b).await;
    b.record_success(late).await.unwrap();
    assert_eq!(b.state().await.unwrap(), State::Closed { consecutive_failures: 1 });
}

fn two_probes() -> BreakerConfig {
    BreakerConfig { half_open_probes: 2, ..config() }
}

/// Opens a two-probe breaker, waits, and lets 20 callers race; returns the two probes.
async fn two_probes_granted(b: &Arc<CircuitBreaker>, clock: &FakeClock) -> (Permit, Permit) {
    open_and_wait(b, clock).await;
    let (mut granted, refused) = race_for_permits(b, 20).await;
    assert_eq!((granted.len(), refused), (2, 18), "exactly two probes");
    let (second, first) = (granted.pop().unwrap(), granted.pop().unwrap());
    assert!(first.is_probe() && second.is_probe());
    assert_eq!((first.version(), second.version()), (2, 2), "both in the one half-open period");
    (first, second)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_open_admits_exactly_the_configured_number_of_probes() {
    let (b, clock, _) = breaker_with(two_probes());
    let b = Arc::new(b);
    let _probes = two_probes_granted(&b, &clock).await;
    assert!(matches!(b.state().await.unwrap(), State::HalfOpen { .. }));
    assert!(matches!(b.acquire().await, Err(BreakerError::Open { .. })), "still full later");
}

#[tokio::test]
async fn a_probe_success_closes_and_the_other_probes_late_failure_is_ignored() {
    let (b, clock, _) = breaker_with(two_probes());
    let b = Arc::new(b);
    let (first, second) = two_probes_granted(&b, &clock).await;
    b.record_success(first).await.unwrap();
    let closed = Snapshot { state: State::Closed { consecutive_failures: 0 }, version: 3 };
    assert_eq!(b.snapshot().await.unwrap(), closed);
    b.record_failure(second).await.unwrap();
    assert_eq!(b.snapshot().await.unwrap(), closed, "a stale probe outcome changes nothing");
}

#[tokio::test]
async fn a_probe_failure_reopens_and_the_other_probes_late_success_is_ignored() {
    let (b, clock, _) = breaker_with(two_probes());
    let b = Arc::new(b);
    let (first, second) = two_probes_granted(&b, &clock).await;
    b.record_failure(first).await.unwrap();
    let reopened = Snapshot { state: State::Open { until: clock.now() + Span::seconds(60) }, version: 3 };
    assert_eq!(b.snapshot().await.unwrap(), reopened);
    b.record_success(second).await.unwrap();
    assert_eq!(b.snapshot().await.unwrap(), reopened, "a stale probe outcome changes nothing");
}

#[tokio::test]
async fn an_expired_probe_lease_lets_a_new_probe_through_and_voids_the_old_one() {
    let (b, clock, _) = breaker();
    open_and_wait(&b, &clock).await;
    let stuck = b.acquire().await.unwrap();
    clock.advance(Span::seconds(9));
    assert!(b.acquire().await.is_err(), "the lease still holds");
    clock.advance(Span::seconds(1));
    let fresh = b.acquire().await.unwrap();
    assert!(fresh.is_probe());
    assert_eq!((stuck.version(), fresh.version()), (2, 3), "a new half-open period");
    b.record_failure(stuck).await.unwrap();
    assert!(matches!(b.state().await.unwrap(), State::HalfOpen { .. }), "the old probe is stale");
    b.record_success(fresh).await.unwrap();
    assert_eq!(b.state().await.unwrap(), State::Closed { consecutive_failures: 0 });
}

#[tokio::test]
async fn a_later_probe_extends_the_lease_of_its_period() {
    let (b, clock, _) = breaker_with(two_probes());
    open_and_wait(&b, &clock).await;
    let _first = b.acquire().await.unwrap();
    clock.advance(Span::seconds(8));
    let second = b.acquire().await.unwrap();
    assert_eq!(second.version(), 2);
    clock.advance(Span::seconds(5));
    // The first probe's lease has run out, but the second may still be talking upstream.
    match b.acquire().await {
        Err(BreakerError::Open { retry_after, .. }) => assert_eq!(retry_after, Duration::from_secs(5)),
        other => panic!("expected a refusal, got {other:?}"),
    }
    assert_eq!(b.snapshot().await.unwrap().version, 2);
}

#[tokio::test]
async fn snapshot_reports_state_names_and_version() {
    let (b, clock, _) = breaker();
    let fresh = b.snapshot().await.unwrap();
    assert_eq!((fresh.state.as_str(), fresh.version), ("closed", 0));
    open_and_wait(&b, &clock).await;
    assert_eq!(b.snapshot().await.unwrap().version, 1);
    let _probe = b.acquire().await.unwrap();
    let probing = b.snapshot().await.unwrap();
    assert_eq!((probing.state.as_str(), probing.version), ("half_open", 2));
}

#[test]
fn config_parses_any_subset_of_keys_in_any_order() {
    let defaults = BreakerConfig::default();
    assert_eq!(
        (defaults.failure_threshold, defaults.open_for, defaults.half_open_probes, defaults.probe_lease),
        (5, Duration::from_secs(60), 1, Duration::from_secs(30))
    );
    let full: BreakerConfig = "failure_threshold=7,open_for=90s,half_open_probes=3".parse().unwrap();
    assert_eq!(
        full,
        BreakerConfig {
            failure_threshold: 7,
            open_for: Duration::from_secs(90),
            half_open_probes: 3,
            ..defaults
        }
    );
    let reordered: BreakerConfig =
        " half_open_probes = 3 ,\tfailure_threshold=7, open_for=90s ".parse().unwrap();
    assert_eq!(reordered, full);
    let cases = [
        ("", defaults),
        ("  ", defaults),
        ("open_for=500ms", BreakerConfig { open_for: Duration::from_millis(500), ..defaults }),
        ("open_for=5m", BreakerConfig { open_for: Duration::from_secs(300), ..defaults }),
        ("open_for=1h", BreakerConfig { open_for: Duration::from_secs(3600), ..defaults }),
        ("failure_threshold=1", BreakerConfig { failure_threshold: 1, ..defaults }),
    ];
    for (input, expected) in cases {
        assert_eq!(input.parse::<BreakerConfig>(), Ok(expected), "{input:?}");
    }
    let leased = full.with_probe_lease(Duration::from_secs(45));
    assert_eq!(leased, BreakerConfig { probe_lease: Duration::from_secs(45), ..full });
}

#[test]
fn config_rejects_each_kind_of_bad_value_naming_it() {
    let cases = [
        ("failure_threshold=5,retries=2", "unknown key `retries`"),
        ("open_for=60s,open_for=30s", "open_for is given more than once"),
        ("failure_threshold=0", "failure_threshold must be at least 1"),
        ("failure_threshold=-1", "failure_threshold=-1"),
        ("failure_threshold=five", "failure_threshold=five"),
        ("half_open_probes=0", "half_open_probes must be at least 1"),
        ("open_for=0s", "open_for must be longer than zero"),
        ("open_for=0ms", "open_for must be longer than zero"),
        ("open_for=60", "open_for=60: expected a whole number and a unit"),
        ("open_for=soon", "open_for=soon"),
        ("open_for=5d", "open_for=5d"),
        ("open_for=1.5s", "open_for=1.5s"),
        ("open_for=99999999999999999999h", "open_for=99999999999999999999h"),
        ("open_for=9999999999999999999h", "open_for=9999999999999999999h is too long"),
        ("failure_threshold", "`failure_threshold` is not key=value"),
        ("failure_threshold=5,", "empty item"),
        ("probe_lease=30s", "probe_lease cannot be configured here"),
    ];
    for (input, expected) in cases {
        match input.parse::<BreakerConfig>() {
            Err(message) => assert!(message.contains(expected), "{input:?}: {message}"),
            Ok(config) => panic!("{input:?} parsed as {config:?}"),
        }
    }
}
