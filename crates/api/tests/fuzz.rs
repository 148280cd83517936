//! Property tests of request parsing through the real router: arbitrary bodies, query strings,
//! path segments and credentials never make the service fail (no 5xx, no panic), and every
//! refusal is the one JSON error shape, with a short message that does not echo the input.

use std::collections::BTreeSet;
use std::sync::{Arc, LazyLock};

use api::{AccountLimits, AppState, RateLimits, router};
use axum::body::Body;
use axum::http::{HeaderValue, Request, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::table::{articles, keys};
use domain::{Article, ArticleId, FakeClock, Sentiment, SentimentLabel, SourceCredit, SourceKind, Ticker};
use proptest::collection::{btree_map, vec};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{Map, Value, json};
use store_embedded::EmbeddedStore;
use tower::ServiceExt;

/// Long enough for any message the service writes, too short for one that quotes the inputs
/// below, which run to hundreds of bytes.
const MAX_MESSAGE_BYTES: usize = 300;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 128,
        // Failures are kept next to this file (tests/ has no lib.rs for proptest to find).
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource("proptest-regressions"))),
        ..ProptestConfig::default()
    }
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()
}

/// One router over an in-memory store with a few articles, a live session and one of its
/// configurations; shared by the cases of a property (each test binary process builds its own).
struct Fixture {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
    token: String,
    config_id: String,
    /// Real `next_cursor`s of the feed and of AAPL's articles, to be mutated.
    cursors: Vec<String>,
}

static FIXTURE: LazyLock<Fixture> = LazyLock::new(Fixture::new);

impl Fixture {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let (app, token, config_id, cursors) = runtime.block_on(async {
            let clock = Arc::new(FakeClock::at(now()));
            let store = Arc::new(EmbeddedStore::in_memory(clock.clone()).expect("store"));
            for (i, ticker) in ["AAPL", "AAPL", "AAPL", "MSFT", "BRK.B"].iter().enumerate() {
                seed(&*store, i, ticker).await;
            }
            let watchlist: BTreeSet<Ticker> =
                ["AAPL", "MSFT"].iter().map(|t| Ticker::parse(t).unwrap()).collect();
            let mut state = AppState::new(store, clock, watchlist);
            // Limits out of the way: a refusal for volume would hide the parsing under test.
            state.rate_limits = RateLimits::parse(
                "anonymous_session=1000000/1d,config_write=1000000/1d,read=1000000/1d,default=1000000/1d",
            )
            .unwrap();
            state.accounts = AccountLimits { max_configurations: 1_000_000, ..AccountLimits::default() };
            let app = router(state);

            let (status, session) = send(&app, request("POST", "/api/v2/auth/anonymous", &[], None)).await;
            assert_eq!(status, StatusCode::CREATED, "{session:?}");
            let token = json_of(&session)["token"].as_str().unwrap().to_owned();
            let bearer = format!("Bearer {token}");
            let body = br#"{"name":"Fuzzed","tickers":["AAPL",{"symbol":"MSFT","weight":2}]}"#;
            let created = request(
                "POST",
                "/api/v2/configurations",
                &[("authorization", bearer.as_bytes()), ("content-type", b"application/json".as_slice())],
                Some(body.as_slice()),
            );
            let (status, created) = send(&app, created).await;
            assert_eq!(status, StatusCode::CREATED, "{created:?}");
            let config_id = json_of(&created)["config_id"].as_str().unwrap().to_owned();

            let mut cursors = Vec::new();
            for path in ["/api/v2/articles?limit=1", "/api/v2/articles?ticker=AAPL&limit=1"] {
                let (status, page) = send(&app, request("GET", path, &[], None)).await;
                assert_eq!(status, StatusCode::OK);
                cursors.push(json_of(&page)["next_cursor"].as_str().expect("a second page").to_owned());
            }
            (app, token, config_id, cursors)
        });
        Self { runtime, app, token, config_id, cursors }
    }
}

async fn seed(store: &dyn domain::store::Store, i: usize, ticker: &str) {
    let article = Article {
        id: ArticleId::for_title(&format!("story {i}")),
        title: format!("Story {i} about {ticker}"),
        summary: None,
        url: format!("https://example.test/{i}"),
        published_at: now() - Duration::hours(i as i64 + 1),
        tickers: [Ticker::parse(ticker).unwrap()].into_iter().collect(),
        credits: vec![SourceCredit {
            source: SourceKind::Tiingo,
            item_id: i.to_string(),
            url: format!("https://example.test/{i}"),
            publisher: "example.test".into(),
        }],
        sentiment: Sentiment { label: SentimentLabel::Positive, score: 0.5, confidence: 0.9 },
        model_version: "test".into(),
        explanation: None,
        ingested_at: now(),
    };
    articles::record(store, &article).await.unwrap();
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("JSON")
}

fn request(method: &str, uri: &str, headers: &[(&str, &[u8])], body: Option<&[u8]>) -> Request<Body> {
    let mut builder = Request::builder().method(method).uri(uri);
    for (name, value) in headers {
        builder = builder.header(*name, HeaderValue::from_bytes(value).expect("valid header value"));
    }
    builder.body(body.map_or_else(Body::empty, |b| Body::from(b.to_vec()))).expect("request")
}

async fn send(app: &axum::Router, request: Request<Body>) -> (StatusCode, Vec<u8>) {
    let response = app.clone().oneshot(request).await.expect("the router is infallible");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    (status, bytes.to_vec())
}

/// Sends `request` and checks the contract every answer keeps, whatever was sent.
fn check(request: Request<Body>) -> Result<(StatusCode, Value), TestCaseError> {
    let what = format!("{} {}", request.method(), request.uri());
    let fixture = &*FIXTURE;
    let (status, bytes) = fixture.runtime.block_on(send(&fixture.app, request));
    let text = String::from_utf8_lossy(&bytes);
    // The store is in memory and never fails, so a 5xx can only be the request's doing.
    prop_assert!(!status.is_server_error(), "{what}: {status} {text}");
    if status == StatusCode::NO_CONTENT {
        prop_assert!(bytes.is_empty(), "{what}: 204 with a body");
        return Ok((status, Value::Null));
    }
    let body: Value = serde_json::from_slice(&bytes)
        .map_err(|e| TestCaseError::fail(format!("{what}: {status}, body is not JSON ({e}): {text}")))?;
    if !status.is_success() {
        let object = body.as_object().filter(|o| o.len() == 1);
        let error = object.and_then(|o| o.get("error")).and_then(Value::as_object);
        let Some(error) = error else {
            return Err(TestCaseError::fail(format!("{what}: {status}, not the error shape: {body}")));
        };
        for name in ["code", "message", "request_id"] {
            prop_assert!(
                error.get(name).and_then(Value::as_str).is_some_and(|s| !s.is_empty()),
                "{what}: {status}, error.{name} missing: {body}"
            );
        }
        prop_assert!(
            error.keys().all(|k| ["code", "message", "request_id", "field"].contains(&k.as_str())),
            "{what}: {body}"
        );
        let message = error["message"].as_str().unwrap_or_default();
        prop_assert!(
            message.len() < MAX_MESSAGE_BYTES,
            "{what}: {status}, a {}-byte message: {message}",
            message.len()
        );
    }
    Ok((status, body))
}

// ---- strategies ----

/// Text of every kind: plain, long, control characters, characters Rust escapes when quoting,
/// and nearly-valid symbols and time zones.
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>(),
        "\\PC{0,400}",
        "[\\x00-\\x1f\\x7f\"\\\\]{0,80}",
        "[\\x{80}-\\x{9f}\\x{e0000}-\\x{e007f}\\x{10fff0}-\\x{10fffd}\\x{202e}\\x{feff}]{0,80}",
        "[A-Za-z]{0,6}(\\.[A-Za-z]{0,3})?",
        "[A-Za-z_]{1,12}/[A-Za-z_]{1,14}",
        " {0,3}[a-zA-Z ]{0,60} {0,3}",
    ]
    .boxed()
}

fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f).map(Value::Number)),
        (-3i64..400).prop_map(Value::from),
        (-2.0f64..400.0).prop_map(Value::from),
    ]
    .boxed()
}

const FIELDS: [&str; 6] = ["name", "tickers", "timeframe_days", "timezone", "symbol", "weight"];

fn key() -> BoxedStrategy<String> {
    prop_oneof![prop::sample::select(FIELDS.to_vec()).prop_map(str::to_owned), text()].boxed()
}

/// Any JSON value, nested a few levels.
fn json_value() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        text().prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            vec(inner.clone(), 0..8).prop_map(Value::Array),
            btree_map(key(), inner, 0..6).prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
    .boxed()
}

fn ticker_item() -> BoxedStrategy<Value> {
    let symbol = prop_oneof![text().prop_map(Value::String), json_value()];
    let weight = prop_oneof![number(), json_value()];
    prop_oneof![
        text().prop_map(Value::String),
        (symbol, proptest::option::of(weight)).prop_map(|(symbol, weight)| {
            let mut o = Map::new();
            o.insert("symbol".into(), symbol);
            if let Some(w) = weight {
                o.insert("weight".into(), w);
            }
            Value::Object(o)
        }),
        json_value(),
    ]
    .boxed()
}

/// A body shaped like a configuration, any field of which may be wrong.
fn configuration_like() -> BoxedStrategy<Value> {
    let name = prop_oneof![text().prop_map(Value::String), json_value()];
    let tickers = prop_oneof![vec(ticker_item(), 0..14).prop_map(Value::Array), json_value()];
    let days = prop_oneof![number(), json_value()];
    (
        proptest::option::of(name),
        proptest::option::of(tickers),
        proptest::option::of(days),
        proptest::option::of((key(), json_value())),
    )
        .prop_map(|(name, tickers, days, extra)| {
            let mut o = Map::new();
            if let Some((k, v)) = extra {
                o.insert(k, v);
            }
            for (k, v) in [("name", name), ("tickers", tickers), ("timeframe_days", days)] {
                if let Some(v) = v {
                    o.insert(k.into(), v);
                }
            }
            Value::Object(o)
        })
        .boxed()
}

const VALID_CONFIG: &[u8] =
    br#"{"name":"Watch","tickers":["AAPL",{"symbol":"BRK.B","weight":1.5}],"timeframe_days":7}"#;

/// Bytes: random, text, JSON nested past any parser's depth limit, and valid bodies with a few
/// bytes changed or cut short.
fn body_bytes(valid: &'static [u8]) -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        vec(any::<u8>(), 0..600),
        text().prop_map(String::into_bytes),
        (1usize..400).prop_map(|n| format!("{}{}", "[".repeat(n), "]".repeat(n)).into_bytes()),
        (1usize..400).prop_map(|n| format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n)).into_bytes()),
        vec((any::<Index>(), any::<u8>()), 1..4).prop_map(move |edits| {
            let mut bytes = valid.to_vec();
            for (at, byte) in edits {
                let i = at.index(bytes.len());
                bytes[i] = byte;
            }
            bytes
        }),
        any::<Index>().prop_map(move |at| valid[..at.index(valid.len())].to_vec()),
    ]
    .boxed()
}

fn content_type() -> BoxedStrategy<Option<Vec<u8>>> {
    prop_oneof![
        4 => Just(Some(b"application/json".to_vec())),
        1 => Just(None),
        1 => Just(Some(b"text/plain".to_vec())),
        1 => Just(Some(b"Application/Merge-Patch+JSON; charset=utf-8".to_vec())),
        1 => vec(any::<u8>(), 0..40).prop_map(Some),
    ]
    .boxed()
}

/// Every byte but the unreserved ones as `%XX`, so any byte sequence fits in a URI.
fn percent_encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// Cursors: garbage, real ones with a few characters changed, and forgeries in the real format
/// that point elsewhere.
fn cursor() -> BoxedStrategy<String> {
    let position =
        prop_oneof![text(), Just(String::new()), "ART#[0-9T:Z#-]{0,30}", Just("\u{10ffff}".repeat(3))];
    let index = prop_oneof![Just("p".to_owned()), Just("g1".to_owned()), text()];
    let pk = prop_oneof![
        Just(keys::feed_pk(now())),
        Just(keys::ticker_pk(&Ticker::parse("AAPL").unwrap())),
        Just(keys::ticker_pk(&Ticker::parse("MSFT").unwrap())),
        text(),
    ];
    let inner = (index, pk, position).prop_map(|(i, pk, at)| json!({"i": i, "pk": pk, "at": at})).boxed();
    let month =
        prop_oneof![Just(keys::feed_pk(now())), Just(keys::feed_pk(now() - Duration::days(40))), text()];
    prop_oneof![
        text(),
        "[A-Za-z0-9_-]{0,300}",
        (any::<Index>(), vec((any::<Index>(), "[A-Za-z0-9_=+/-]"), 1..3)).prop_map(|(which, edits)| {
            let mut cursor: Vec<char> = FIXTURE.cursors[which.index(FIXTURE.cursors.len())].chars().collect();
            for (at, replacement) in edits {
                let i = at.index(cursor.len());
                cursor[i] = replacement.chars().next().unwrap();
            }
            cursor.into_iter().collect()
        }),
        inner.clone().prop_map(|i| b64(&i)),
        (month, proptest::option::of(inner))
            .prop_map(|(month, inner)| { b64(&json!({"month": month, "inner": inner.map(|i| b64(&i))})) }),
        json_value().prop_map(|v| b64(&v)),
    ]
    .boxed()
}

fn query_value() -> BoxedStrategy<Vec<u8>> {
    prop_oneof![
        text().prop_map(String::into_bytes),
        vec(any::<u8>(), 0..24),
        "-?[0-9]{1,25}".prop_map(String::into_bytes),
        "[0-9]{0,6}[hdmsHD]?".prop_map(String::into_bytes),
        cursor().prop_map(String::into_bytes),
    ]
    .boxed()
}

/// Query strings: well-formed pairs of any bytes (percent-encoded), and raw text with bad
/// escapes, duplicate keys and stray separators.
fn query() -> BoxedStrategy<String> {
    let names = prop::sample::select(vec!["ticker", "limit", "cursor", "window", "sentiment"]);
    let name = prop_oneof![names.prop_map(|n| n.as_bytes().to_vec()), vec(any::<u8>(), 0..12)];
    let pair =
        (name, query_value()).prop_map(|(k, v)| format!("{}={}", percent_encode(&k), percent_encode(&v)));
    prop_oneof![
        vec(pair, 0..5).prop_map(|pairs| pairs.join("&")),
        "[A-Za-z0-9%&=+;,._~!$'()*:@/?-]{0,200}",
        r#"(ticker|limit|cursor|window)=(%[0-9A-Fa-f]?[0-9A-Fa-f]?|[^#"<>\\^`{|}\x00-\x20\x7f-\x{10ffff}]){0,30}"#,
    ]
    .boxed()
}

/// A value for `Authorization` or `X-User-ID`: any bytes a header may hold, with or without a
/// scheme, and token-shaped strings that name no session.
fn credential() -> BoxedStrategy<Vec<u8>> {
    let any_header = vec(any::<u8>(), 0..120)
        .prop_filter("a header value", |b| HeaderValue::from_bytes(b).is_ok())
        .boxed();
    prop_oneof![
        any_header.clone(),
        (prop::sample::select(vec!["Bearer ", "bearer  ", "BEARER\t", "Basic ", "Bearer", ""]), any_header)
            .prop_map(|(scheme, rest)| [scheme.as_bytes(), rest.as_slice()].concat()),
        "(Bearer )?[A-Za-z0-9_-]{40,46}".prop_map(String::into_bytes),
        "Bearer [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}".prop_map(String::into_bytes),
        (any::<Index>(), "[A-Za-z0-9_ -]").prop_map(|(at, c)| {
            let mut token: Vec<char> = FIXTURE.token.chars().collect();
            let i = at.index(token.len());
            token[i] = c.chars().next().unwrap();
            format!("Bearer {}", token.into_iter().collect::<String>()).into_bytes()
        }),
    ]
    .prop_filter("a header value", |b| HeaderValue::from_bytes(b).is_ok())
    .boxed()
}

fn with_body(
    method: &str,
    uri: &str,
    auth: bool,
    content_type: Option<Vec<u8>>,
    body: &[u8],
) -> Request<Body> {
    let bearer = format!("Bearer {}", FIXTURE.token);
    let mut headers: Vec<(&str, &[u8])> = Vec::new();
    if auth {
        headers.push(("authorization", bearer.as_bytes()));
    }
    let content_type = content_type.filter(|c| HeaderValue::from_bytes(c).is_ok());
    if let Some(c) = &content_type {
        headers.push(("content-type", c));
    }
    request(method, uri, &headers, Some(body))
}

fn json_body(method: &str, uri: &str, auth: bool, body: &Value) -> Request<Body> {
    with_body(method, uri, auth, Some(b"application/json".to_vec()), body.to_string().as_bytes())
}

fn config_path() -> String {
    format!("/api/v2/configurations/{}", FIXTURE.config_id)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn creating_configurations_from_json_values(body in prop_oneof![configuration_like(), json_value()]) {
        let (status, answer) = check(json_body("POST", "/api/v2/configurations", true, &body))?;
        if status.is_success() {
            prop_assert_eq!(status, StatusCode::CREATED);
            prop_assert!(answer["config_id"].is_string(), "{}", answer);
        }
    }

    #[test]
    fn creating_configurations_from_bytes(body in body_bytes(VALID_CONFIG), content_type in content_type()) {
        check(with_body("POST", "/api/v2/configurations", true, content_type, &body))?;
    }

    #[test]
    fn patching_a_configuration(
        body in prop_oneof![configuration_like(), json_value()],
        raw in body_bytes(br#"{"name":"Renamed","timeframe_days":30}"#),
        content_type in content_type(),
    ) {
        let (status, answer) = check(json_body("PATCH", &config_path(), true, &body))?;
        if status.is_success() {
            prop_assert_eq!(status, StatusCode::OK);
            prop_assert_eq!(answer["config_id"].as_str(), Some(FIXTURE.config_id.as_str()));
        }
        check(with_body("PATCH", &config_path(), true, content_type, &raw))?;
    }

    #[test]
    fn configuration_ids_in_the_path(id in query_value(), method in prop::sample::select(vec!["GET", "PATCH", "DELETE"])) {
        let uri = format!("/api/v2/configurations/{}", percent_encode(&id));
        let (status, _) = check(with_body(method, &uri, true, Some(b"application/json".to_vec()), b"{}"))?;
        // Only the fixture's id names a configuration; anything else is unknown, not malformed.
        if id != FIXTURE.config_id.as_bytes() {
            prop_assert_eq!(status, StatusCode::NOT_FOUND, "{}", uri);
        }
    }

    #[test]
    fn creating_sessions(
        body in prop_oneof![
            text().prop_map(|tz| json!({"timezone": tz})),
            json_value().prop_map(|tz| json!({"timezone": tz})),
            json_value(),
        ],
        raw in body_bytes(br#"{"timezone":"Europe/Paris"}"#),
        content_type in content_type(),
    ) {
        let (status, answer) = check(json_body("POST", "/api/v2/auth/anonymous", false, &body))?;
        if status.is_success() {
            prop_assert_eq!(status, StatusCode::CREATED);
            prop_assert!(answer["token"].is_string(), "{}", answer);
        }
        check(with_body("POST", "/api/v2/auth/anonymous", false, content_type, &raw))?;
    }

    #[test]
    fn article_queries(query in query()) {
        let uri = format!("/api/v2/articles?{query}");
        prop_assume!(uri.parse::<axum::http::Uri>().is_ok());
        let (status, answer) = check(request("GET", &uri, &[], None))?;
        if status.is_success() {
            prop_assert!(answer["articles"].is_array(), "{}", answer);
        }
    }

    #[test]
    fn sentiment_queries(
        symbol in prop_oneof![Just(b"AAPL".to_vec()), Just(b"brk.b".to_vec()), query_value()],
        query in query(),
    ) {
        let uri = format!("/api/v2/tickers/{}/sentiment?{query}", percent_encode(&symbol));
        prop_assume!(uri.parse::<axum::http::Uri>().is_ok());
        let (status, answer) = check(request("GET", &uri, &[], None))?;
        if status.is_success() {
            let score = answer["score"].as_f64();
            prop_assert!(score.is_none_or(|s| (-1.0..=1.0).contains(&s)), "{}", answer);
        }
    }

    #[test]
    fn credentials(
        value in credential(),
        header in prop::sample::select(vec!["authorization", "x-user-id"]),
        route in prop::sample::select(vec![
            ("GET", "/api/v2/configurations"),
            ("GET", "/api/v2/auth/session"),
            ("POST", "/api/v2/auth/extend"),
            ("POST", "/api/v2/configurations"),
        ]),
    ) {
        let (method, path) = route;
        let headers = [(header, value.as_slice()), ("content-type", b"application/json".as_slice())];
        let request = request(method, path, &headers, Some(br#"{"name":"x","tickers":["AAPL"]}"#.as_slice()));
        let (status, _) = check(request)?;
        // No value but the session's own token gets in.
        let exact = |v: &[u8]| v == FIXTURE.token.as_bytes();
        let presented = if header == "authorization" {
            value.strip_prefix(b"Bearer ".as_slice()).is_some_and(exact)
        } else {
            exact(value.trim_ascii())
        };
        if !presented {
            prop_assert_eq!(status, StatusCode::UNAUTHORIZED, "{}: {:?}", header, String::from_utf8_lossy(&value));
        }
    }
}
