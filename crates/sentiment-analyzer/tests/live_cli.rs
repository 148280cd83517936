//! `ingest --once --source live` through the real binary against fake vendors: what the
//! exit code and printed summary say, and exactly how many requests the fakes received.

mod support;

use serde_json::{Value, json};
use support::{command, run, text};
use wiremock::matchers::{path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Fakes {
    tiingo: MockServer,
    finnhub: MockServer,
}

impl Fakes {
    async fn start() -> Self {
        Self { tiingo: MockServer::start().await, finnhub: MockServer::start().await }
    }

    async fn requests(&self) -> (usize, usize) {
        (
            self.tiingo.received_requests().await.unwrap().len(),
            self.finnhub.received_requests().await.unwrap().len(),
        )
    }

    /// One live run over `dir` with `extra` settings; the exit code and the printed summary.
    fn ingest(&self, dir: &std::path::Path, watchlist: &str, extra: &[(&str, &str)]) -> (Option<i32>, Value) {
        let mut cmd = command(&["ingest", "--once", "--source", "live"]);
        cmd.env("TIINGO_API_KEY", "tiingo-key-1")
            .env("FINNHUB_API_KEY", "finnhub-key-2")
            .env("TIINGO_BASE_URL", self.tiingo.uri())
            .env("FINNHUB_BASE_URL", self.finnhub.uri())
            .env("SENTIMENT_DATA_DIR", dir)
            .env("SENTIMENT_WATCHLIST", watchlist)
            .env("SENTIMENT_MODEL", "linear");
        for (k, v) in extra {
            cmd.env(k, v);
        }
        let out = run(cmd);
        let stdout = text(&out.stdout);
        let summary = serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("summary is JSON ({e}): {stdout}\nstderr: {}", text(&out.stderr)));
        (out.status.code(), summary)
    }
}

fn healthy_tiingo() -> ResponseTemplate {
    let now = chrono::Utc::now();
    ResponseTemplate::new(200).set_body_json(json!([
        {"id": 1, "title": "Apple beats estimates on iPhone demand", "url": "u1", "description": null,
         "publishedDate": now.to_rfc3339(), "crawlDate": now.to_rfc3339(), "source": "reuters.com",
         "tickers": ["aapl"]},
    ]))
}

fn healthy_finnhub(id: i64, headline: &str, symbol: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!([
        {"id": id, "headline": headline, "datetime": chrono::Utc::now().timestamp(), "related": symbol,
         "source": "Yahoo", "summary": "", "url": format!("u{id}"), "category": "company", "image": ""},
    ]))
}

#[tokio::test(flavor = "multi_thread")]
async fn healthy_vendors_give_an_ok_run_with_one_call_per_page_and_symbol() {
    let fakes = Fakes::start().await;
    Mock::given(path("/tiingo/news")).respond_with(healthy_tiingo()).mount(&fakes.tiingo).await;
    Mock::given(path("/company-news"))
        .and(query_param("symbol", "AAPL"))
        .respond_with(healthy_finnhub(7, "APPLE BEATS ESTIMATES ON IPHONE DEMAND", "AAPL"))
        .mount(&fakes.finnhub)
        .await;
    Mock::given(path("/company-news"))
        .and(query_param("symbol", "MSFT"))
        .respond_with(healthy_finnhub(8, "Microsoft cuts jobs in gaming unit", "MSFT"))
        .mount(&fakes.finnhub)
        .await;
    let dir = tempfile::tempdir().unwrap();

    let (code, summary) = fakes.ingest(dir.path(), "AAPL,MSFT", &[]);
    assert_eq!(code, Some(0), "{summary:#}");
    assert_eq!(summary["status"], "ok", "{summary:#}");
    assert_eq!((summary["fetched"].as_u64(), summary["new"].as_u64()), (Some(3), Some(2)), "{summary:#}");
    assert_eq!(summary["sources"]["finnhub"]["guard"]["breaker"], "closed", "{summary:#}");
    assert_eq!(fakes.requests().await, (1, 2));

    let (code, again) = fakes.ingest(dir.path(), "AAPL,MSFT", &[]);
    assert_eq!(code, Some(0));
    assert_eq!(again["new"], 0, "{again:#}");
    assert_eq!(fakes.requests().await, (2, 4));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_down_finnhub_opens_its_breaker_and_the_run_is_partial_not_failed() {
    let fakes = Fakes::start().await;
    Mock::given(path("/tiingo/news")).respond_with(healthy_tiingo()).mount(&fakes.tiingo).await;
    Mock::given(path("/company-news"))
        .respond_with(ResponseTemplate::new(500).set_body_string("down"))
        .mount(&fakes.finnhub)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let breaker = [("SENTIMENT_CIRCUIT_BREAKER", "failure_threshold=2,open_for=10m")];

    let (code, summary) = fakes.ingest(dir.path(), "AAPL,AMZN,MSFT,NVDA", &breaker);
    assert_eq!(code, Some(0), "tiingo delivered: {summary:#}");
    assert_eq!(summary["status"], "partial", "{summary:#}");
    let finnhub = &summary["sources"]["finnhub"];
    assert!(finnhub["status"] == "circuit_open" || finnhub["status"] == "failed", "{finnhub:#}");
    assert_eq!(finnhub["guard"]["breaker"], "open", "{finnhub:#}");
    assert_eq!(summary["sources"]["tiingo"]["new"], 1, "{summary:#}");
    // Two calls (the threshold) of three attempts each (the default two retries).
    assert_eq!(fakes.requests().await, (1, 6));

    let (code, again) = fakes.ingest(dir.path(), "AAPL,AMZN,MSFT,NVDA", &breaker);
    assert_eq!(code, Some(0), "{again:#}");
    assert_eq!(again["sources"]["finnhub"]["status"], "circuit_open", "{again:#}");
    assert_eq!(fakes.requests().await, (2, 6), "the open breaker outlives the process");
}

#[tokio::test(flavor = "multi_thread")]
async fn both_vendors_down_is_a_failed_run_and_exit_code_one() {
    let fakes = Fakes::start().await;
    Mock::given(path("/tiingo/news"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .mount(&fakes.tiingo)
        .await;
    Mock::given(path("/company-news"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .mount(&fakes.finnhub)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let (code, summary) = fakes.ingest(dir.path(), "AAPL", &[]);
    assert_eq!(code, Some(1), "{summary:#}");
    assert_eq!(summary["status"], "failed", "{summary:#}");
    assert_eq!(fakes.requests().await, (3, 3), "one call each, three attempts");
}

#[tokio::test(flavor = "multi_thread")]
async fn throttling_is_reported_as_throttled_and_holds_later_runs_back() {
    let fakes = Fakes::start().await;
    Mock::given(path("/tiingo/news")).respond_with(healthy_tiingo()).mount(&fakes.tiingo).await;
    Mock::given(path("/company-news"))
        .respond_with(ResponseTemplate::new(429).set_body_string("Too Many Requests"))
        .mount(&fakes.finnhub)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let quotas = [("SENTIMENT_QUOTAS", "tiingo=1/1d")];

    let (code, summary) = fakes.ingest(dir.path(), "AAPL,MSFT", &quotas);
    assert_eq!(code, Some(0), "{summary:#}");
    assert_eq!(summary["sources"]["tiingo"]["status"], "ok", "{summary:#}");
    assert_eq!(summary["sources"]["finnhub"]["status"], "throttled", "{summary:#}");
    assert!(summary["sources"]["finnhub"]["guard"]["blocked_until"].is_string(), "{summary:#}");
    assert_eq!(fakes.requests().await, (1, 1));

    // Tiingo's daily call is spent and Finnhub said wait: nothing is asked, nothing failed.
    let (code, again) = fakes.ingest(dir.path(), "AAPL,MSFT", &quotas);
    assert_eq!(code, Some(0), "{again:#}");
    assert_eq!(again["sources"]["tiingo"]["status"], "throttled", "{again:#}");
    assert_eq!(again["sources"]["finnhub"]["status"], "throttled", "{again:#}");
    assert_eq!(fakes.requests().await, (1, 1));
}
