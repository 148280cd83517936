//! Rate limiting through the real router and a real local server: per action, per client
//! address and per session, the headers on every limited response, and what happens when the
//! counters cannot be reached.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use api::{AppState, RateLimits, router};
use async_trait::async_trait;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::Request;
use chrono::{Duration, TimeZone, Utc};
use domain::FakeClock;
use domain::store::{Item, Key, Page, Query, Store, StoreError, Update, WriteOp};
use store_embedded::EmbeddedStore;
use tower::ServiceExt;

/// The embedded store, except that rate-limit counters can be made unreachable, and reads of
/// closed windows are counted.
struct Flaky {
    inner: EmbeddedStore,
    counters_down: AtomicBool,
    counter_calls: AtomicUsize,
}

#[async_trait]
impl Store for Flaky {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        if key.pk.starts_with("RATE#") {
            self.counter_calls.fetch_add(1, Ordering::SeqCst);
            if self.counters_down.load(Ordering::SeqCst) {
                return Err(StoreError::Unavailable("injected".into()));
            }
        }
        self.inner.get(key).await
    }
    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.inner.query(query).await
    }
    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.inner.transact(ops).await
    }
    async fn update(&self, update: Update) -> Result<Item, StoreError> {
        if update.key.pk.starts_with("RATE#") {
            self.counter_calls.fetch_add(1, Ordering::SeqCst);
            if self.counters_down.load(Ordering::SeqCst) {
                return Err(StoreError::Unavailable("injected".into()));
            }
        }
        self.inner.update(update).await
    }
    async fn health(&self) -> Result<(), StoreError> {
        self.inner.health().await
    }
}

fn setup(limits: &str) -> (axum::Router, Arc<FakeClock>, Arc<Flaky>) {
    let clock = Arc::new(FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 10).unwrap()));
    let store = Arc::new(Flaky {
        inner: EmbeddedStore::in_memory(clock.clone()).unwrap(),
        counters_down: AtomicBool::new(false),
        counter_calls: AtomicUsize::new(0),
    });
    let mut state = AppState::new(store.clone(), clock.clone(), BTreeSet::new());
    state.rate_limits = RateLimits::parse(limits).unwrap();
    (router(state), clock, store)
}

async fn call(
    app: &axum::Router,
    method: &str,
    path: &str,
    from: &str,
    token: Option<&str>,
) -> axum::response::Response {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let mut request = request.body(Body::empty()).unwrap();
    let peer: SocketAddr = format!("{from}:40000").parse().unwrap();
    request.extensions_mut().insert(ConnectInfo(peer));
    app.clone().oneshot(request).await.unwrap()
}

fn header(response: &axum::response::Response, name: &str) -> String {
    response.headers().get(name).map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

#[tokio::test]
async fn reads_over_the_limit_are_429_with_retry_after_and_counted_per_address() {
    let (app, clock, _) = setup("read=3/1m");
    for remaining in ["2", "1", "0"] {
        let r = call(&app, "GET", "/api/v2/articles", "203.0.113.1", None).await;
        assert_eq!(r.status(), 200);
        assert_eq!(header(&r, "x-ratelimit-limit"), "3");
        assert_eq!(header(&r, "x-ratelimit-remaining"), remaining);
        assert_eq!(header(&r, "x-ratelimit-reset"), "50", "the window ends at 09:01:00");
    }
    let r = call(&app, "GET", "/api/v2/articles", "203.0.113.1", None).await;
    assert_eq!(r.status(), 429);
    let retry: u64 = header(&r, "retry-after").parse().unwrap();
    assert!((1..=120).contains(&retry), "{retry}");
    assert_eq!(header(&r, "x-ratelimit-remaining"), "0");
    assert_eq!(header(&r, "x-ratelimit-reset"), retry.to_string());
    let body: serde_json::Value =
        serde_json::from_slice(&axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap()).unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");

    let other = call(&app, "GET", "/api/v2/articles", "203.0.113.2", None).await;
    assert_eq!(other.status(), 200, "another address has its own count");
    let health = call(&app, "GET", "/health", "203.0.113.1", None).await;
    assert_eq!(health.status(), 200, "health checks are never limited");

    clock.advance(Duration::seconds(retry as i64));
    let later = call(&app, "GET", "/api/v2/articles", "203.0.113.1", None).await;
    assert_eq!(later.status(), 200, "admitted again after Retry-After");
}

#[tokio::test]
async fn session_creation_and_configuration_writes_have_their_own_limits() {
    let (app, _, _) = setup("anonymous_session=2/1h,config_write=1/1h");
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let r = call(&app, "POST", "/api/v2/auth/anonymous", "198.51.100.7", None).await;
        assert_eq!(r.status(), 201);
        assert_eq!(header(&r, "x-ratelimit-limit"), "2");
        let body: serde_json::Value =
            serde_json::from_slice(&axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap()).unwrap();
        tokens.push(body["token"].as_str().unwrap().to_owned());
    }
    let r = call(&app, "POST", "/api/v2/auth/anonymous", "198.51.100.7", None).await;
    assert_eq!(r.status(), 429);

    // Configuration writes are counted per session, not per address.
    for token in &tokens {
        let r = call(&app, "DELETE", "/api/v2/configurations/none", "198.51.100.7", Some(token)).await;
        assert_eq!(r.status(), 404, "the first write of each session is admitted");
        let r = call(&app, "DELETE", "/api/v2/configurations/none", "198.51.100.7", Some(token)).await;
        assert_eq!(r.status(), 429);
    }
    // Reads are a different action: still admitted.
    let r = call(&app, "GET", "/api/v2/configurations", "198.51.100.7", Some(&tokens[0])).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_refused_client_is_refused_again_without_store_calls() {
    let (app, _, store) = setup("read=2/1m");
    for _ in 0..3 {
        call(&app, "GET", "/api/v2/articles", "192.0.2.9", None).await;
    }
    let before = store.counter_calls.load(Ordering::SeqCst);
    for _ in 0..50 {
        assert_eq!(call(&app, "GET", "/api/v2/articles", "192.0.2.9", None).await.status(), 429);
    }
    assert_eq!(store.counter_calls.load(Ordering::SeqCst), before, "no round trip for a known refusal");

    // An admitted request costs one round trip once the closed window is known.
    let before = store.counter_calls.load(Ordering::SeqCst);
    call(&app, "GET", "/api/v2/articles", "192.0.2.10", None).await;
    call(&app, "GET", "/api/v2/articles", "192.0.2.10", None).await;
    assert_eq!(store.counter_calls.load(Ordering::SeqCst) - before, 3, "2 for the first, 1 for the second");
}

#[tokio::test]
async fn unreachable_counters_let_reads_through_and_refuse_session_creation() {
    let (app, _, store) = setup("");
    store.counters_down.store(true, Ordering::SeqCst);
    let r = call(&app, "GET", "/api/v2/articles", "192.0.2.1", None).await;
    assert_eq!(r.status(), 200, "reads fail open");
    assert_eq!(header(&r, "x-ratelimit-limit"), "", "no limit was applied");
    let r = call(&app, "POST", "/api/v2/auth/anonymous", "192.0.2.1", None).await;
    assert_eq!(r.status(), 503, "session creation fails closed");
    assert!(!header(&r, "retry-after").is_empty());
    store.counters_down.store(false, Ordering::SeqCst);
    let r = call(&app, "POST", "/api/v2/auth/anonymous", "192.0.2.1", None).await;
    assert_eq!(r.status(), 201);
}
