//! Sessions and configurations through the real router, in process: every status the
//! contract names, and the cases across users.

use std::collections::BTreeSet;
use std::sync::Arc;

use api::{AppState, router};
use axum::body::Body;
use axum::http::{Request, header};
use chrono::{Duration, TimeZone, Utc};
use domain::FakeClock;
use domain::table::configurations;
use serde_json::{Value, json};
use store_embedded::EmbeddedStore;
use tower::ServiceExt;

struct Api {
    app: axum::Router,
    clock: Arc<FakeClock>,
    store: Arc<EmbeddedStore>,
}

fn api() -> Api {
    let clock = Arc::new(FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap()));
    let store = Arc::new(EmbeddedStore::in_memory(clock.clone()).unwrap());
    let state = AppState::new(store.clone(), clock.clone(), BTreeSet::new());
    Api { app: router(state), clock, store }
}

struct Answer {
    status: u16,
    headers: axum::http::HeaderMap,
    body: Value,
}

impl Api {
    async fn send(&self, method: &str, path: &str, auth: Option<(&str, &str)>, body: Option<&str>) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some((name, value)) = auth {
            request = request.header(name, value);
        }
        let body = match body {
            Some(text) => {
                request = request.header(header::CONTENT_TYPE, "application/json");
                Body::from(text.to_owned())
            }
            None => Body::empty(),
        };
        let response = self.app.clone().oneshot(request.body(body).unwrap()).await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        let body = if bytes.is_empty() { Value::Null } else { serde_json::from_slice(&bytes).unwrap() };
        Answer { status, headers, body }
    }

    async fn session(&self) -> (String, Value) {
        let a = self.send("POST", "/api/v2/auth/anonymous", None, None).await;
        assert_eq!(a.status, 201, "{}", a.body);
        (a.body["token"].as_str().unwrap().to_owned(), a.body)
    }

    async fn as_user(&self, token: &str, method: &str, path: &str, body: Option<Value>) -> Answer {
        let bearer = format!("Bearer {token}");
        let text = body.map(|b| b.to_string());
        self.send(method, path, Some(("authorization", &bearer)), text.as_deref()).await
    }
}

fn error_code(answer: &Answer) -> &str {
    answer.body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error body: {}", answer.body))
}

#[tokio::test]
async fn anonymous_sessions_are_created_with_an_unguessable_token() {
    let api = api();
    for body in [None, Some("{}"), Some(r#"{"timezone": "Europe/Paris"}"#)] {
        let a = api.send("POST", "/api/v2/auth/anonymous", None, body).await;
        assert_eq!(a.status, 201, "{body:?}: {}", a.body);
        assert_eq!(a.headers[header::CACHE_CONTROL], "no-store");
        let b = &a.body;
        assert_eq!(b["auth_type"], "anonymous");
        assert_ne!(b["token"], b["user_id"]);
        assert!(b["token"].as_str().unwrap().len() >= 22, "at least 128 bits");
        assert_eq!(b["created_at"], "2026-11-30T09:00:00Z");
        assert_eq!(b["session_expires_at"], "2026-12-30T09:00:00Z");
    }
    let a = api.send("POST", "/api/v2/auth/anonymous", None, Some(r#"{"timezone": "Mars/Olympus"}"#)).await;
    assert_eq!((a.status, error_code(&a)), (422, "invalid_value"));
    assert_eq!(a.body["error"]["field"], "timezone");
    let a = api.send("POST", "/api/v2/auth/anonymous", None, Some(r#"{"timezone": 3}"#)).await;
    assert_eq!(a.status, 422);
}

#[tokio::test]
async fn only_a_live_token_authenticates() {
    let api = api();
    let (token, created) = api.session().await;
    let user_id = created["user_id"].as_str().unwrap();

    let me = api.as_user(&token, "GET", "/api/v2/auth/session", None).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["user_id"], user_id);
    // The header existing dashboard clients send works too.
    let legacy = api.send("GET", "/api/v2/auth/session", Some(("x-user-id", &token)), None).await;
    assert_eq!(legacy.status, 200);

    for (name, value) in [
        ("x-user-id", user_id.to_owned()),
        ("authorization", format!("Bearer {user_id}")),
        ("authorization", format!("Bearer {}", "A".repeat(43))),
        ("authorization", "Bearer".to_owned()),
        ("authorization", format!("Basic {token}")),
    ] {
        let a = api.send("GET", "/api/v2/configurations", Some((name, &value)), None).await;
        assert_eq!((a.status, error_code(&a)), (401, "unauthorized"), "{name}: {value}");
        assert_eq!(a.headers[header::WWW_AUTHENTICATE], "Bearer");
    }
    let a = api.send("GET", "/api/v2/configurations", None, None).await;
    assert_eq!(a.status, 401);

    // Expiry: the token stops working the second its session ends.
    api.clock.advance(Duration::days(30));
    let a = api.as_user(&token, "GET", "/api/v2/auth/session", None).await;
    assert_eq!(a.status, 401);
}

#[tokio::test]
async fn extending_slides_expiry_and_signing_out_revokes_at_once() {
    let api = api();
    let (token, _) = api.session().await;
    api.as_user(&token, "POST", "/api/v2/configurations", Some(json!({"name": "Tech", "tickers": ["AAPL"]})))
        .await;
    api.clock.advance(Duration::days(20));
    let a = api.as_user(&token, "POST", "/api/v2/auth/extend", None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["session_expires_at"], "2027-01-19T09:00:00Z");
    api.clock.advance(Duration::days(20));
    let a = api.as_user(&token, "GET", "/api/v2/configurations", None).await;
    assert_eq!(a.status, 200, "the extended session still works: {}", a.body);
    assert_eq!(a.body["configurations"].as_array().unwrap().len(), 1, "and keeps its data");

    let a = api.as_user(&token, "POST", "/api/v2/auth/signout", None).await;
    assert_eq!(a.status, 204);
    let a = api.as_user(&token, "GET", "/api/v2/configurations", None).await;
    assert_eq!(a.status, 401);
    let a = api.as_user(&token, "POST", "/api/v2/auth/signout", None).await;
    assert_eq!(a.status, 401);
}

#[tokio::test]
async fn configurations_accept_both_ticker_shapes_and_round_trip() {
    let api = api();
    let (token, _) = api.session().await;
    let body = json!({
        "name": "  Big tech  ",
        "tickers": ["aapl", {"symbol": "MSFT", "weight": 2.5}, {"symbol": "brk.b"}],
        "timeframe_days": 30
    });
    let created = api.as_user(&token, "POST", "/api/v2/configurations", Some(body)).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let c = &created.body;
    assert_eq!(c["name"], "Big tech");
    assert_eq!(
        c["tickers"],
        json!([{"symbol": "AAPL", "weight": 1.0}, {"symbol": "MSFT", "weight": 2.5}, {"symbol": "BRK.B", "weight": 1.0}])
    );
    assert_eq!(c["timeframe_days"], 30);
    assert_eq!(c["created_at"], "2026-11-30T09:00:00Z");
    let id = c["config_id"].as_str().unwrap();

    let got = api.as_user(&token, "GET", &format!("/api/v2/configurations/{id}"), None).await;
    assert_eq!((got.status, &got.body), (200, c));
    let list = api.as_user(&token, "GET", "/api/v2/configurations", None).await;
    assert_eq!(list.body, json!({"configurations": [c], "max_allowed": 5}));

    api.clock.advance(Duration::minutes(5));
    let patched = api
        .as_user(&token, "PATCH", &format!("/api/v2/configurations/{id}"), Some(json!({"tickers": ["NVDA"]})))
        .await;
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["name"], "Big tech", "untouched fields stay");
    assert_eq!(patched.body["tickers"], json!([{"symbol": "NVDA", "weight": 1.0}]));
    assert_eq!(patched.body["updated_at"], "2026-11-30T09:05:00Z");
    let watched = configurations::watched_tickers(&*api.store).await.unwrap();
    assert_eq!(watched.iter().map(|t| t.as_str()).collect::<Vec<_>>(), ["NVDA"]);

    let deleted = api.as_user(&token, "DELETE", &format!("/api/v2/configurations/{id}"), None).await;
    assert_eq!(deleted.status, 204);
    let gone = api.as_user(&token, "GET", &format!("/api/v2/configurations/{id}"), None).await;
    assert_eq!(gone.status, 404);
    assert!(configurations::watched_tickers(&*api.store).await.unwrap().is_empty());
}

#[tokio::test]
async fn invalid_values_name_their_field() {
    let api = api();
    let (token, _) = api.session().await;
    let cases = [
        (json!({"tickers": ["AAPL"]}), "name"),
        (json!({"name": "   ", "tickers": ["AAPL"]}), "name"),
        (json!({"name": "x".repeat(51), "tickers": ["AAPL"]}), "name"),
        (json!({"name": "n"}), "tickers"),
        (json!({"name": "n", "tickers": []}), "tickers"),
        (json!({"name": "n", "tickers": "AAPL"}), "tickers"),
        (json!({"name": "n", "tickers": ["AAPL", "aapl"]}), "tickers"),
        (json!({"name": "n", "tickers": ["TOOLONG"]}), "tickers"),
        (json!({"name": "n", "tickers": [" AAPL"]}), "tickers"),
        (json!({"name": "n", "tickers": [{"symbol": "AAPL", "weight": 0}]}), "tickers"),
        (json!({"name": "n", "tickers": [{"symbol": "AAPL", "weight": -1}]}), "tickers"),
        (json!({"name": "n", "tickers": [{"symbol": "AAPL", "weight": "1"}]}), "tickers"),
        (json!({"name": "n", "tickers": [{"weight": 1}]}), "tickers"),
        (json!({"name": "n", "tickers": [7]}), "tickers"),
        (json!({"name": "n", "tickers": ["AAPL"], "timeframe_days": 0}), "timeframe_days"),
        (json!({"name": "n", "tickers": ["AAPL"], "timeframe_days": 366}), "timeframe_days"),
        (json!({"name": "n", "tickers": ["AAPL"], "timeframe_days": 1.5}), "timeframe_days"),
        (json!({"name": 5, "tickers": ["AAPL"]}), "name"),
    ];
    for (body, field) in cases {
        let a = api.as_user(&token, "POST", "/api/v2/configurations", Some(body.clone())).await;
        assert_eq!(a.status, 422, "{body}: {}", a.body);
        assert_eq!(a.body["error"]["field"], field, "{body}: {}", a.body);
    }
    let a = api.as_user(&token, "POST", "/api/v2/configurations", Some(json!([1, 2]))).await;
    assert_eq!(a.status, 422);
    assert!(configurations::watched_tickers(&*api.store).await.unwrap().is_empty(), "nothing was stored");
}

#[tokio::test]
async fn malformed_oversized_and_non_json_bodies() {
    let api = api();
    let (token, _) = api.session().await;
    let bearer = format!("Bearer {token}");
    let auth = Some(("authorization", bearer.as_str()));
    for bad in [r#"{"name": "#, "{'name': 1}", "nul\u{0}", r#"{"name": "a"} trailing"#] {
        let a = api.send("POST", "/api/v2/configurations", auth, Some(bad)).await;
        assert_eq!((a.status, error_code(&a)), (400, "malformed_json"), "{bad:?}");
    }
    let huge = format!(r#"{{"name": "{}", "tickers": ["AAPL"]}}"#, "x".repeat(70 * 1024));
    let a = api.send("POST", "/api/v2/configurations", auth, Some(&huge)).await;
    assert_eq!((a.status, error_code(&a)), (413, "payload_too_large"));

    let request = Request::post("/api/v2/configurations")
        .header("authorization", &bearer)
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(r#"{"name": "n", "tickers": ["AAPL"]}"#))
        .unwrap();
    let response = api.app.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), 415);

    let a = api.send("PUT", "/api/v2/configurations", auth, None).await;
    assert_eq!((a.status, error_code(&a)), (405, "method_not_allowed"));
}

#[tokio::test]
async fn per_user_limits_are_409_and_hold_under_concurrent_creates() {
    let api = api();
    let (token, _) = api.session().await;
    let eleven: Vec<String> = (0..11).map(|i| format!("T{}", (b'A' + i) as char)).collect();
    let a = api
        .as_user(&token, "POST", "/api/v2/configurations", Some(json!({"name": "n", "tickers": eleven})))
        .await;
    assert_eq!((a.status, error_code(&a)), (409, "ticker_limit"));
    assert!(a.body["error"]["message"].as_str().unwrap().contains("10 tickers"), "{}", a.body);

    // 16 creates at once against a limit of 5: exactly 5 succeed, the rest are 409s.
    let attempts = (0..16).map(|i| {
        api.as_user(
            &token,
            "POST",
            "/api/v2/configurations",
            Some(json!({"name": format!("c{i}"), "tickers": ["AAPL"]})),
        )
    });
    let answers = futures::future::join_all(attempts).await;
    let created = answers.iter().filter(|a| a.status == 201).count();
    let refused: Vec<_> = answers.iter().filter(|a| a.status == 409).collect();
    assert_eq!(
        (created, refused.len()),
        (5, 11),
        "{:?}",
        answers.iter().map(|a| a.status).collect::<Vec<_>>()
    );
    assert!(refused.iter().all(|a| error_code(a) == "configuration_limit"));
    let list = api.as_user(&token, "GET", "/api/v2/configurations", None).await;
    assert_eq!(list.body["configurations"].as_array().unwrap().len(), 5);
    let me = api.as_user(&token, "GET", "/api/v2/auth/session", None).await;
    assert_eq!(me.body["configurations"], 5);

    // Deleting one frees a slot.
    let id = list.body["configurations"][0]["config_id"].as_str().unwrap().to_owned();
    api.as_user(&token, "DELETE", &format!("/api/v2/configurations/{id}"), None).await;
    let a = api
        .as_user(
            &token,
            "POST",
            "/api/v2/configurations",
            Some(json!({"name": "again", "tickers": ["AAPL"]})),
        )
        .await;
    assert_eq!(a.status, 201);
}

#[tokio::test]
async fn another_users_configuration_is_404_for_every_method() {
    let api = api();
    let (alice, _) = api.session().await;
    let (bob, _) = api.session().await;
    let a = api
        .as_user(&alice, "POST", "/api/v2/configurations", Some(json!({"name": "mine", "tickers": ["AAPL"]})))
        .await;
    let id = a.body["config_id"].as_str().unwrap();
    let path = format!("/api/v2/configurations/{id}");
    for (method, body) in [("GET", None), ("PATCH", Some(json!({"name": "stolen"}))), ("DELETE", None)] {
        let a = api.as_user(&bob, method, &path, body).await;
        assert_eq!((a.status, error_code(&a)), (404, "not_found"), "{method}");
    }
    let list = api.as_user(&bob, "GET", "/api/v2/configurations", None).await;
    assert_eq!(list.body["configurations"], json!([]));
    let mine = api.as_user(&alice, "GET", &path, None).await;
    assert_eq!(mine.body["name"], "mine");
    for weird in ["not-a-uuid", "%FF%FE", "..%2F..%2Fetc"] {
        let a = api.as_user(&alice, "GET", &format!("/api/v2/configurations/{weird}"), None).await;
        assert_eq!(a.status, 404, "{weird}");
    }
}

#[tokio::test]
async fn market_status_is_public_and_follows_the_clock() {
    let api = api();
    // Monday 2026-11-30 09:00 UTC is 04:00 in New York: pre-market has just begun.
    let a = api.send("GET", "/api/v2/market/status", None, None).await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.body["session"], "pre");
    assert_eq!(a.body["is_open"], false);
    assert_eq!(a.body["next_open"], "2026-11-30T14:30:00Z");
    assert!(a.headers[header::CACHE_CONTROL].to_str().unwrap().starts_with("public"));
    api.clock.advance(Duration::hours(6));
    let a = api.send("GET", "/api/v2/market/status", None, None).await;
    assert_eq!((a.body["session"].as_str(), a.body["is_open"].as_bool()), (Some("open"), Some(true)));
    assert_eq!(a.body["next_close"], "2026-11-30T21:00:00Z");
}

#[tokio::test]
async fn cors_answers_only_allowed_origins() {
    let clock = Arc::new(FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap()));
    let store = Arc::new(EmbeddedStore::in_memory(clock.clone()).unwrap());
    let mut state = AppState::new(store, clock, BTreeSet::new());
    state.cors = api::cors::AllowedOrigins::parse("https://dash.example.com").unwrap();
    let app = router(state);
    let preflight = |origin: &'static str| {
        Request::builder()
            .method("OPTIONS")
            .uri("/api/v2/configurations")
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .body(Body::empty())
            .unwrap()
    };
    let allowed = app.clone().oneshot(preflight("https://dash.example.com")).await.unwrap();
    assert_eq!(allowed.headers()["access-control-allow-origin"], "https://dash.example.com");
    let methods = allowed.headers()["access-control-allow-methods"].to_str().unwrap().to_owned();
    assert!(methods.contains("POST") && methods.contains("PATCH") && methods.contains("DELETE"), "{methods}");
    let denied = app.clone().oneshot(preflight("https://evil.example.net")).await.unwrap();
    assert!(denied.headers().get("access-control-allow-origin").is_none());

    let get = Request::get("/api/v2/market/status")
        .header("origin", "https://dash.example.com")
        .body(Body::empty())
        .unwrap();
    let response = app.clone().oneshot(get).await.unwrap();
    assert_eq!(response.headers()["access-control-allow-origin"], "https://dash.example.com");
    let exposed = response.headers()["access-control-expose-headers"].to_str().unwrap().to_owned();
    assert!(exposed.contains("retry-after") && exposed.contains("x-ratelimit-remaining"), "{exposed}");
    assert_eq!(response.headers()["strict-transport-security"], "max-age=63072000; includeSubDomains");
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}
