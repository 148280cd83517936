//! Vendor calls as X-Ray subsegments: each HTTP attempt reaches a real UDP listener playing
//! the X-Ray daemon, named by the vendor's host, with the URL's path but never its query or
//! the key, and the status that classifies it.

use std::net::UdpSocket;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use domain::Ticker;
use domain::source::{FetchRequest, NewsSource};
use secrecy::SecretString;
use serde_json::Value;
use sources::HttpConfig;
use sources::finnhub::FinnhubClient;
use wiremock::matchers::{path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "sk-trace-0123456789";

#[tokio::test]
async fn each_vendor_attempt_is_a_subsegment_without_the_query_or_the_key() {
    let daemon = UdpSocket::bind("127.0.0.1:0").unwrap();
    daemon.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    xray::install(xray::Daemon::new(&daemon.local_addr().unwrap().to_string()).unwrap());
    xray::set_current(xray::TraceHeader::parse(
        "Root=1-6936a0c0-00000000000000000000beef;Parent=00000000000000aa;Sampled=1",
    ));

    let server = MockServer::start().await;
    Mock::given(path("/company-news"))
        .and(query_param("symbol", "AAPL"))
        .respond_with(ResponseTemplate::new(200).set_body_string("[]"))
        .mount(&server)
        .await;
    Mock::given(path("/company-news"))
        .and(query_param("symbol", "MSFT"))
        .respond_with(ResponseTemplate::new(502).set_body_string("bad gateway"))
        .mount(&server)
        .await;
    let config = HttpConfig {
        timeout: Duration::from_secs(5),
        retries: 1,
        retry_backoff: Duration::ZERO,
        max_body_bytes: 1 << 20,
    };
    let client = FinnhubClient::new(&server.uri(), SecretString::from(SECRET), config).unwrap();
    let request = FetchRequest::new(
        vec![Ticker::parse("AAPL").unwrap(), Ticker::parse("MSFT").unwrap()],
        Utc.with_ymd_and_hms(2025, 3, 1, 0, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2025, 3, 6, 0, 0, 0).unwrap(),
    );
    client.fetch(&request).await.unwrap();

    // One attempt for AAPL, two (one retry) for MSFT's 502.
    let mut statuses = Vec::new();
    let mut buffer = [0u8; 65_536];
    for _ in 0..3 {
        let n = daemon.recv(&mut buffer).expect("a subsegment per attempt");
        let text = std::str::from_utf8(&buffer[..n]).unwrap();
        assert!(!text.contains(SECRET), "{text}");
        let document: Value = serde_json::from_str(text.split_once('\n').unwrap().1).unwrap();
        assert_eq!(document["name"], "127.0.0.1");
        assert_eq!(document["namespace"], "remote");
        assert_eq!(document["trace_id"], "1-6936a0c0-00000000000000000000beef");
        assert_eq!(document["parent_id"], "00000000000000aa");
        assert_eq!(document["http"]["request"]["method"], "GET");
        assert_eq!(document["http"]["request"]["url"], format!("{}/company-news", server.uri()));
        let status = document["http"]["response"]["status"].as_u64().unwrap();
        assert_eq!(document["fault"], status >= 500, "{document}");
        statuses.push(status);
    }
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 502, 502]);
}
