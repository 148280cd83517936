//! The live clients against a real HTTP server on loopback (wiremock), fed fixture bodies.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use domain::Ticker;
use domain::source::{FetchRequest, NewsSource, SourceError};
use secrecy::SecretString;
use sources::HttpConfig;
use sources::finnhub::FinnhubClient;
use sources::tiingo::TiingoClient;
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "sk-test-0123456789";

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

fn fast() -> HttpConfig {
    HttpConfig {
        timeout: Duration::from_secs(5),
        retries: 2,
        retry_backoff: Duration::ZERO,
        max_body_bytes: 1 << 20,
    }
}

fn request(tickers: &[&str]) -> FetchRequest {
    FetchRequest::new(
        tickers.iter().map(|t| Ticker::parse(t).unwrap()).collect(),
        Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2025, 3, 6, 0, 0, 0).unwrap(),
    )
}

fn tiingo_item(id: i64) -> serde_json::Value {
    serde_json::json!({"id": id, "title": format!("Story {id}"), "url": "u", "description": "",
        "publishedDate": "2025-03-04T14:05:00Z", "crawlDate": "2025-03-04T14:05:00Z",
        "source": "reuters.com", "tickers": ["aapl"], "tags": []})
}

#[tokio::test]
async fn tiingo_sends_the_token_in_a_header_and_pages_until_a_short_page() {
    let server = MockServer::start().await;
    let page = |ids: std::ops::Range<i64>| serde_json::Value::Array(ids.map(tiingo_item).collect());
    Mock::given(method("GET"))
        .and(path("/tiingo/news"))
        .and(header("Authorization", format!("Token {SECRET}").as_str()))
        .and(query_param("tickers", "aapl,msft"))
        .and(query_param("offset", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(0..3)))
        .expect(1)
        .mount(&server)
        .await;
    // The feed moved: item 2 shows up again on the second page.
    Mock::given(method("GET"))
        .and(path("/tiingo/news"))
        .and(query_param("offset", "3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(2..4)))
        .expect(1)
        .mount(&server)
        .await;
    let client =
        TiingoClient::new(&server.uri(), SecretString::from(SECRET), fast()).unwrap().with_paging(3, 10);
    let fetched = client.fetch(&request(&["AAPL", "MSFT"])).await.unwrap();
    let ids: Vec<_> = fetched.articles.iter().map(|a| a.source_item_id.as_str()).collect();
    assert_eq!(ids, ["0", "1", "2", "3"]);
    for received in server.received_requests().await.unwrap() {
        assert!(!received.url.as_str().contains(SECRET), "token must never be in a URL");
    }
}

#[tokio::test]
async fn tiingo_retries_server_errors_but_not_auth_failures() {
    let server = MockServer::start().await;
    Mock::given(path("/tiingo/news"))
        .respond_with(ResponseTemplate::new(503).set_body_string("busy"))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(path("/tiingo/news"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("tiingo/news_200.json")))
        .mount(&server)
        .await;
    let client = TiingoClient::new(&server.uri(), SecretString::from(SECRET), fast()).unwrap();
    let fetched = client.fetch(&request(&["NVDA"])).await.unwrap();
    assert_eq!(fetched.articles.len(), 2);

    let denied = MockServer::start().await;
    Mock::given(path("/tiingo/news"))
        .respond_with(ResponseTemplate::new(403).set_body_string(fixture("tiingo/403_invalid_token.json")))
        .expect(1)
        .mount(&denied)
        .await;
    let client = TiingoClient::new(&denied.uri(), SecretString::from(SECRET), fast()).unwrap();
    let err = client.fetch(&request(&["NVDA"])).await.unwrap_err();
    assert!(matches!(err, SourceError::Unauthorized(_)), "{err:?}");
    assert!(!err.to_string().contains(SECRET));
}

#[tokio::test]
async fn tiingo_filters_dates_it_was_asked_to_filter() {
    let server = MockServer::start().await;
    let body = serde_json::json!([
        {"id": 1, "title": "in", "publishedDate": "2025-03-04T00:00:00Z", "tickers": ["aapl"]},
        {"id": 2, "title": "too old", "publishedDate": "2024-01-01T00:00:00Z", "tickers": ["aapl"]},
    ]);
    Mock::given(path("/tiingo/news"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let client = TiingoClient::new(&server.uri(), SecretString::from(SECRET), fast()).unwrap();
    let fetched = client.fetch(&request(&["AAPL"])).await.unwrap();
    assert_eq!(fetched.articles.len(), 1);
}

#[tokio::test]
async fn oversized_bodies_are_refused() {
    let server = MockServer::start().await;
    Mock::given(path("/tiingo/news"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[".to_owned() + &" ".repeat(2 << 20) + "]"))
        .mount(&server)
        .await;
    let client = TiingoClient::new(&server.uri(), SecretString::from(SECRET), fast()).unwrap();
    assert!(matches!(client.fetch(&request(&["AAPL"])).await, Err(SourceError::Malformed(_))));
}

#[tokio::test]
async fn finnhub_asks_per_symbol_and_keeps_partial_results() {
    let server = MockServer::start().await;
    Mock::given(path("/company-news"))
        .and(header("X-Finnhub-Token", SECRET))
        .and(query_param("symbol", "AAPL"))
        .and(query_param("from", "2025-03-01"))
        .respond_with(ResponseTemplate::new(200).set_body_string(fixture("finnhub/company_news_200.json")))
        .mount(&server)
        .await;
    Mock::given(path("/company-news"))
        .and(query_param("symbol", "MSFT"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .mount(&server)
        .await;
    let client = FinnhubClient::new(&server.uri(), SecretString::from(SECRET), fast()).unwrap();
    let fetched = client.fetch(&request(&["AAPL", "MSFT"])).await.unwrap();
    assert_eq!(fetched.articles.len(), 2);
    assert_eq!(fetched.partial_errors.len(), 1);
    assert!(matches!(fetched.partial_errors[0], SourceError::Upstream { status: 502, .. }));
}

#[tokio::test]
async fn finnhub_stops_at_the_first_auth_failure() {
    let server = MockServer::start().await;
    Mock::given(path("/company-news"))
        .respond_with(ResponseTemplate::new(401).set_body_string(fixture("finnhub/401_invalid_key.json")))
        .expect(1)
        .mount(&server)
        .await;
    let client = FinnhubClient::new(&server.uri(), SecretString::from(SECRET), fast()).unwrap();
    let err = client.fetch(&request(&["AAPL", "MSFT", "NVDA"])).await.unwrap_err();
    assert!(matches!(err, SourceError::Unauthorized(_)));
}

#[tokio::test]
async fn unreachable_upstreams_are_network_errors() {
    // A port that was just free: nothing listens there, so connecting is refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let uri = format!("http://127.0.0.1:{port}");
    let client = FinnhubClient::new(&uri, SecretString::from(SECRET), fast()).unwrap();
    let err = client.fetch(&request(&["AAPL"])).await.unwrap_err();
    assert!(matches!(err, SourceError::Network(_)), "{err:?}");
}

#[test]
fn debug_output_never_shows_the_token() {
    let t = TiingoClient::new("http://127.0.0.1:1", SecretString::from(SECRET), fast()).unwrap();
    let f = FinnhubClient::new("http://127.0.0.1:1", SecretString::from(SECRET), fast()).unwrap();
    assert!(!format!("{t:?}{f:?}").contains(SECRET));
}

#[tokio::test]
async fn redirects_are_not_followed_so_keys_never_leave_for_another_host() {
    let elsewhere = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .mount(&elsewhere)
        .await;
    let server = MockServer::start().await;
    let to_elsewhere =
        ResponseTemplate::new(302).insert_header("Location", format!("{}/stolen", elsewhere.uri()));
    Mock::given(path("/company-news")).respond_with(to_elsewhere.clone()).mount(&server).await;
    // A chain that comes back to the same host once must not resend the key either.
    Mock::given(path("/tiingo/news"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", format!("{}/again", server.uri())))
        .mount(&server)
        .await;

    let finnhub = FinnhubClient::new(&server.uri(), SecretString::from(SECRET), fast()).unwrap();
    let err = finnhub.fetch(&request(&["AAPL"])).await.unwrap_err();
    assert!(matches!(err, SourceError::Upstream { status: 302, .. }), "{err:?}");
    let tiingo = TiingoClient::new(&server.uri(), SecretString::from(SECRET), fast()).unwrap();
    let err = tiingo.fetch(&request(&["AAPL"])).await.unwrap_err();
    assert!(matches!(err, SourceError::Upstream { status: 302, .. }), "{err:?}");

    assert!(elsewhere.received_requests().await.unwrap().is_empty(), "nothing reached the other host");
    let paths: Vec<String> =
        server.received_requests().await.unwrap().iter().map(|r| r.url.path().to_owned()).collect();
    assert!(!paths.iter().any(|p| p == "/again"), "the redirect was not followed: {paths:?}");
}

#[tokio::test]
async fn an_error_on_a_later_page_keeps_the_pages_already_read() {
    let server = MockServer::start().await;
    let page: Vec<_> = (0..3).map(tiingo_item).collect();
    Mock::given(path("/tiingo/news"))
        .and(query_param("offset", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page))
        .mount(&server)
        .await;
    Mock::given(path("/tiingo/news"))
        .and(query_param("offset", "3"))
        .respond_with(ResponseTemplate::new(429).set_body_string(fixture("tiingo/429_hourly_limit.json")))
        .mount(&server)
        .await;
    let client =
        TiingoClient::new(&server.uri(), SecretString::from(SECRET), fast()).unwrap().with_paging(3, 10);
    let fetched = client.fetch(&request(&["AAPL"])).await.expect("first page kept");
    assert_eq!(fetched.articles.len(), 3);
    assert_eq!(fetched.partial_errors.len(), 1);
    assert!(matches!(fetched.partial_errors[0], SourceError::RateLimited { .. }));
}

#[tokio::test]
async fn paging_that_hits_its_cap_says_so() {
    let server = MockServer::start().await;
    let page: Vec<_> = (0..2).map(tiingo_item).collect();
    Mock::given(path("/tiingo/news"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page))
        .mount(&server)
        .await;
    let client =
        TiingoClient::new(&server.uri(), SecretString::from(SECRET), fast()).unwrap().with_paging(2, 3);
    let fetched = client.fetch(&request(&["AAPL"])).await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    assert_eq!(fetched.stops.len(), 1, "{:?}", fetched.stops);
    assert!(fetched.stops[0].contains("3 pages"), "{:?}", fetched.stops);
}

#[tokio::test]
async fn a_flood_of_empty_items_is_bounded_and_reported() {
    let server = MockServer::start().await;
    // Four megabytes of empty objects: under the byte cap, far over any sane item count.
    let body = format!("[{}{{}}]", "{},".repeat(1_333_332));
    Mock::given(path("/company-news"))
        .respond_with(ResponseTemplate::new(200).set_body_string(body))
        .mount(&server)
        .await;
    let config = HttpConfig { max_body_bytes: 8 << 20, ..fast() };
    let client = FinnhubClient::new(&server.uri(), SecretString::from(SECRET), config).unwrap();
    let fetched = client.fetch(&request(&["AAPL"])).await.unwrap();
    assert!(fetched.articles.is_empty());
    assert_eq!(fetched.rejected.count, sources::Limits::default().max_items_per_response);
    assert!(fetched.rejected.samples.len() <= domain::source::Tally::MAX_SAMPLES);
    assert!(fetched.stops.iter().any(|s| s.contains("1333333 items")), "{:?}", fetched.stops);
}

#[tokio::test]
async fn keys_echoed_in_error_bodies_are_redacted() {
    let server = MockServer::start().await;
    Mock::given(path("/tiingo/news"))
        .respond_with(
            ResponseTemplate::new(401).set_body_string(format!(r#"{{"detail": "Invalid token {SECRET}."}}"#)),
        )
        .mount(&server)
        .await;
    Mock::given(path("/company-news"))
        .respond_with(ResponseTemplate::new(500).set_body_string(format!("upstream saw key={SECRET}")))
        .mount(&server)
        .await;
    let tiingo = TiingoClient::new(&server.uri(), SecretString::from(SECRET), fast()).unwrap();
    let err = tiingo.fetch(&request(&["AAPL"])).await.unwrap_err();
    assert!(matches!(err, SourceError::Unauthorized(_)), "{err:?}");
    assert!(!format!("{err} {err:?}").contains(SECRET), "{err}");
    assert!(err.to_string().contains("[redacted]"), "{err}");
    let finnhub = FinnhubClient::new(&server.uri(), SecretString::from(SECRET), fast()).unwrap();
    let err = finnhub.fetch(&request(&["AAPL"])).await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains(SECRET), "{err}");
}

#[tokio::test]
async fn a_timeout_says_it_was_a_timeout() {
    let server = MockServer::start().await;
    Mock::given(path("/company-news"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]").set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let config = HttpConfig { timeout: Duration::from_millis(200), retries: 0, ..fast() };
    let client = FinnhubClient::new(&server.uri(), SecretString::from(SECRET), config).unwrap();
    let err = client.fetch(&request(&["AAPL"])).await.unwrap_err();
    assert!(matches!(err, SourceError::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("0.2s"), "{err}");
}

#[tokio::test]
async fn items_outside_the_window_are_counted() {
    let server = MockServer::start().await;
    let body = serde_json::json!([
        {"id": 1, "title": "in", "publishedDate": "2025-03-04T00:00:00Z", "tickers": ["aapl"]},
        {"id": 2, "title": "too old", "publishedDate": "2024-01-01T00:00:00Z", "tickers": ["aapl"]},
        {"id": 3, "title": "from the future", "publishedDate": "2030-01-01T00:00:00Z", "tickers": ["aapl"]},
        {"title": "no id", "publishedDate": "2025-03-04T00:00:00Z"},
    ]);
    Mock::given(path("/tiingo/news"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let client = TiingoClient::new(&server.uri(), SecretString::from(SECRET), fast()).unwrap();
    let fetched = client.fetch(&request(&["AAPL"])).await.unwrap();
    assert_eq!((fetched.articles.len(), fetched.out_of_window, fetched.rejected.count), (1, 2, 1));
}

/// A Tiingo item crawled `minutes` after 2025-03-04 12:00.
fn crawled(id: i64, minutes: i64) -> serde_json::Value {
    let at = Utc.with_ymd_and_hms(2025, 3, 4, 12, 0, 0).unwrap() + chrono::Duration::minutes(minutes);
    let stamp = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    serde_json::json!({"id": id, "title": format!("Story {id}"), "url": "u", "description": "",
        "publishedDate": stamp, "crawlDate": stamp, "source": "reuters.com", "tickers": ["aapl"], "tags": []})
}

#[tokio::test]
async fn tiingo_reads_newest_crawled_first_and_stops_at_the_watermark() {
    let server = MockServer::start().await;
    // Newest crawled first: 100, 90, 80 | 70, 60, 50 | 40, ... The watermark is at 75 minutes,
    // read again from 65 (ten minutes of overlap): the second page reaches it, so no third.
    let page =
        |minutes: [i64; 3]| serde_json::Value::Array(minutes.iter().map(|m| crawled(*m, *m)).collect());
    for (offset, minutes) in [("0", [100, 90, 80]), ("3", [70, 60, 50]), ("6", [40, 30, 20])] {
        Mock::given(path("/tiingo/news"))
            .and(query_param("sortBy", "crawlDate"))
            // The date filter is on publication, so it stays the whole window.
            .and(query_param("startDate", "2025-03-01"))
            .and(query_param("offset", offset))
            .respond_with(ResponseTemplate::new(200).set_body_json(page(minutes)))
            .mount(&server)
            .await;
    }
    let client =
        TiingoClient::new(&server.uri(), SecretString::from(SECRET), fast()).unwrap().with_paging(3, 10);
    let aapl = Ticker::parse("AAPL").unwrap();
    let mark = Utc.with_ymd_and_hms(2025, 3, 4, 13, 15, 0).unwrap();
    let mut req = request(&["AAPL"]);
    req.watermarks.insert(aapl.clone(), mark);
    let fetched = client.fetch(&req).await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 2, "stopped at the watermark");
    assert_eq!(fetched.calls, 2);
    assert_eq!(
        fetched.watermarks.get(&aapl),
        Some(&Utc.with_ymd_and_hms(2025, 3, 4, 13, 40, 0).unwrap()),
        "moves to the newest crawl seen"
    );

    // Without a watermark the whole window is read, and the mark is set at the end.
    server.reset().await;
    for (offset, minutes) in [("0", [100, 90, 80]), ("3", [70, 60, 50])] {
        Mock::given(path("/tiingo/news"))
            .and(query_param("offset", offset))
            .respond_with(ResponseTemplate::new(200).set_body_json(page(minutes)))
            .mount(&server)
            .await;
    }
    Mock::given(path("/tiingo/news"))
        .and(query_param("offset", "6"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .mount(&server)
        .await;
    let fetched = client.fetch(&request(&["AAPL"])).await.unwrap();
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
    assert_eq!(fetched.articles.len(), 6);
    assert!(fetched.watermarks.contains_key(&aapl));

    // A read cut short (an error on a later page) keeps the old watermark.
    server.reset().await;
    Mock::given(path("/tiingo/news"))
        .and(query_param("offset", "0"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page([100, 90, 80])))
        .mount(&server)
        .await;
    Mock::given(path("/tiingo/news"))
        .and(query_param("offset", "3"))
        .respond_with(ResponseTemplate::new(404).set_body_string(r#"{"detail":"Not found."}"#))
        .mount(&server)
        .await;
    let fetched = client.fetch(&req).await.unwrap();
    assert_eq!(fetched.partial_errors.len(), 1);
    assert!(fetched.watermarks.is_empty(), "{:?}", fetched.watermarks);
}

#[tokio::test]
async fn finnhub_asks_a_full_answer_again_in_halves() {
    let server = MockServer::start().await;
    let item = |id: i64, day: u32| {
        let at = Utc.with_ymd_and_hms(2025, 3, day, 12, 0, 0).unwrap().timestamp();
        serde_json::json!({"category": "company", "datetime": at, "headline": format!("Story {id}"), "id": id,
            "image": "", "related": "AAPL", "source": "Reuters", "summary": "", "url": "u"})
    };
    // The whole range answers 3 items (the split threshold): it is asked again in halves.
    Mock::given(path("/company-news"))
        .and(query_param("from", "2025-03-01"))
        .and(query_param("to", "2025-03-06"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([
            item(5, 5),
            item(4, 4),
            item(3, 3)
        ])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/company-news"))
        .and(query_param("from", "2025-03-01"))
        .and(query_param("to", "2025-03-03"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([item(3, 3), item(1, 1)])))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(path("/company-news"))
        .and(query_param("from", "2025-03-04"))
        .and(query_param("to", "2025-03-06"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([item(5, 5), item(4, 4)])))
        .expect(1)
        .mount(&server)
        .await;
    let client =
        FinnhubClient::new(&server.uri(), SecretString::from(SECRET), fast()).unwrap().with_split_at(3);
    let fetched = client.fetch(&request(&["AAPL"])).await.unwrap();
    let mut ids: Vec<_> = fetched.articles.iter().map(|a| a.source_item_id.as_str()).collect();
    ids.sort_unstable();
    assert_eq!(ids, ["1", "3", "4", "5"], "the story cut off the first answer is found, none twice");
    assert_eq!(fetched.calls, 3);
}

#[tokio::test]
async fn tiingo_asks_about_at_most_fifty_tickers_per_call() {
    let server = MockServer::start().await;
    Mock::given(path("/tiingo/news"))
        .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!([])))
        .expect(2)
        .mount(&server)
        .await;
    let names: Vec<String> = (b'A'..=b'Z')
        .flat_map(|a| (b'A'..=b'C').map(move |b| format!("Q{}{}", a as char, b as char)))
        .collect();
    let tickers: Vec<&str> = names.iter().take(60).map(String::as_str).collect();
    let client = TiingoClient::new(&server.uri(), SecretString::from(SECRET), fast()).unwrap();
    let fetched = client.fetch(&request(&tickers)).await.unwrap();
    assert_eq!(fetched.calls, 2);
    let asked: Vec<usize> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| {
            let (_, list) = r.url.query_pairs().find(|(k, _)| k == "tickers").unwrap();
            list.split(',').count()
        })
        .collect();
    assert_eq!(asked, [50, 10]);
}
