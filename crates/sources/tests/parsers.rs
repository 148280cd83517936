//! The wire-format parsers against recorded-shape fixtures and every documented quirk.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use domain::source::SourceError;
use domain::{SourceKind, Ticker};
use sources::{finnhub, tiingo};

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

fn aapl() -> Ticker {
    Ticker::parse("AAPL").unwrap()
}

#[test]
fn tiingo_news_parses_into_articles() {
    let fetched = tiingo::parse_news(200, &fixture("tiingo/news_200.json")).unwrap();
    assert_eq!(fetched.articles.len(), 2);
    assert!(fetched.rejected.is_empty());
    let first = &fetched.articles[0];
    assert_eq!(first.source, SourceKind::Tiingo);
    assert_eq!(first.source_item_id, "78120455");
    assert_eq!(first.published_at, Utc.with_ymd_and_hms(2025, 3, 4, 14, 5, 0).unwrap());
    let tickers: Vec<_> = first.tickers.iter().map(Ticker::as_str).collect();
    assert_eq!(tickers, ["AMD", "NVDA", "SMH"], "lower-case tickers are upper-cased");
    assert_eq!(first.publisher, "reuters.com");
    let second = &fetched.articles[1];
    assert_eq!(second.summary, None, "null description");
    assert!(second.tickers.is_empty());
}

#[test]
fn tiingo_errors_are_classified_by_body_and_status() {
    type Expect = fn(&SourceError) -> bool;
    let cases: [(u16, &str, Expect); 6] = [
        (403, "tiingo/403_missing_token.json", |e| matches!(e, SourceError::Unauthorized(_))),
        (403, "tiingo/403_invalid_token.json", |e| matches!(e, SourceError::Unauthorized(_))),
        (403, "tiingo/news_403_no_entitlement.json", |e| matches!(e, SourceError::Forbidden(_))),
        (429, "tiingo/429_hourly_limit.json", |e| matches!(e, SourceError::RateLimited { .. })),
        (200, "tiingo/200_text_symbol_limit.txt", |e| matches!(e, SourceError::RateLimited { .. })),
        (404, "tiingo/daily_404_ticker_not_found.json", |e| {
            matches!(e, SourceError::Upstream { status: 404, .. })
        }),
    ];
    for (status, path, expected) in cases {
        let err = tiingo::parse_news(status, &fixture(path)).expect_err(path);
        assert!(expected(&err), "{path}: {err:?}");
        assert!(
            !err.is_transient()
                || matches!(err, SourceError::RateLimited { .. } | SourceError::Upstream { .. })
        );
    }
}

#[test]
fn tiingo_garbage_is_an_error_not_a_panic() {
    for (status, body) in [
        (200, &b"<html>oops</html>"[..]),
        (200, b""),
        (200, b"{\"unexpected\": true}"),
        (500, b"Internal Server Error"),
        (200, b"Error: something odd"),
        (200, b"\xff\xfe\x00garbage"),
    ] {
        assert!(tiingo::parse_news(status, body).is_err(), "{}", String::from_utf8_lossy(body));
    }
}

#[test]
fn tiingo_bad_items_are_rejected_one_by_one() {
    let body = br#"[
        {"id": 1, "title": "Good", "publishedDate": "2025-03-04T14:05:00.123456+00:00", "tickers": ["aapl", "$$$"], "extra": 1},
        {"id": 2, "title": "Bad date", "publishedDate": "yesterday", "tickers": ["aapl"]},
        {"id": 3, "title": "   ", "publishedDate": "2025-03-04T14:05:00Z"},
        {"title": "No id", "publishedDate": "2025-03-04T14:05:00Z"},
        "not even an object"
    ]"#;
    let fetched = tiingo::parse_news(200, body).unwrap();
    assert_eq!(fetched.articles.len(), 1);
    assert_eq!(fetched.rejected.count, 4);
    let tickers: Vec<_> = fetched.articles[0].tickers.iter().map(Ticker::as_str).collect();
    assert_eq!(tickers, ["AAPL"], "invalid tickers are dropped");
}

#[test]
fn finnhub_company_news_parses_in_utc() {
    let now = Utc::now();
    let fetched =
        finnhub::parse_company_news(200, None, now, &aapl(), &fixture("finnhub/company_news_200.json"))
            .unwrap();
    assert_eq!(fetched.articles.len(), 2);
    let first = &fetched.articles[0];
    assert_eq!(first.source, SourceKind::Finnhub);
    assert_eq!(first.published_at, Utc.timestamp_opt(1_741_097_100, 0).unwrap());
    assert_eq!(first.tickers.iter().next(), Some(&aapl()));
    assert_eq!(fetched.articles[1].summary, None, "empty summary");
}

#[test]
fn finnhub_market_news_without_related_credits_the_requested_symbol() {
    let fetched =
        finnhub::parse_company_news(200, None, Utc::now(), &aapl(), &fixture("finnhub/market_news_200.json"))
            .unwrap();
    assert!(fetched.articles.iter().all(|a| a.tickers.contains(&aapl())));
}

#[test]
fn finnhub_errors_are_classified() {
    let now = Utc.timestamp_opt(1_741_000_000, 0).unwrap();
    let t = aapl();
    let unauthorized =
        finnhub::parse_company_news(401, None, now, &t, &fixture("finnhub/401_invalid_key.json"));
    assert!(matches!(unauthorized, Err(SourceError::Unauthorized(_))));
    let premium = finnhub::parse_company_news(403, None, now, &t, &fixture("finnhub/403_premium.json"));
    assert!(matches!(premium, Err(SourceError::Forbidden(_))));
    let limited =
        finnhub::parse_company_news(429, Some("1741000030"), now, &t, &fixture("finnhub/429_limit.json"));
    match limited {
        Err(SourceError::RateLimited { retry_after, .. }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(30)))
        }
        other => panic!("{other:?}"),
    }
    let no_header = finnhub::parse_company_news(429, None, now, &t, &fixture("finnhub/429_limit.json"));
    assert!(
        matches!(no_header, Err(SourceError::RateLimited { retry_after: Some(d), .. }) if d == Duration::from_secs(60))
    );
    // An error body on a 200 is still an error.
    let sneaky = finnhub::parse_company_news(200, None, now, &t, &fixture("finnhub/429_limit.json"));
    assert!(matches!(sneaky, Err(SourceError::RateLimited { .. })));
    let object = finnhub::parse_company_news(200, None, now, &t, &fixture("finnhub/quote_200.json"));
    assert!(matches!(object, Err(SourceError::Malformed(_))));
}

#[test]
fn finnhub_bad_items_are_rejected() {
    let body = br#"[
        {"id": 1, "headline": "ok", "datetime": 1741097100, "related": "AAPL,MSFT"},
        {"id": 2, "headline": "zero time", "datetime": 0},
        {"id": 3, "headline": "", "datetime": 1741097100},
        {"id": 4, "headline": "string time", "datetime": "1741097100"}
    ]"#;
    let fetched = finnhub::parse_company_news(200, None, Utc::now(), &aapl(), body).unwrap();
    assert_eq!(fetched.articles.len(), 1);
    assert_eq!(fetched.articles[0].tickers.len(), 2);
    assert_eq!(fetched.rejected.count, 3);
}

#[test]
fn control_and_bidi_characters_never_reach_a_title() {
    let body = serde_json::json!([{
        "id": 5, "title": "Apple\u{0000} beats\u{0007} \u{202E}estimates\u{202C}\r\n today",
        "description": "\u{2066}hidden\u{2069} text\u{0000}",
        "publishedDate": "2025-03-04T14:05:00Z", "tickers": ["aapl"],
    }]);
    let fetched = tiingo::parse_news(200, body.to_string().as_bytes()).unwrap();
    let article = &fetched.articles[0];
    assert_eq!(article.title, "Apple beats estimates today");
    assert_eq!(article.summary.as_deref(), Some("hidden text"));
}
