//! The local host (`api::server`) against raw sockets: what hostile or broken clients do to a
//! server that the router alone never sees.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use api::server::ServerConfig;
use api::{AppState, router};
use chrono::{TimeZone, Utc};
use domain::{FakeClock, Ticker};
use serde_json::Value;
use store_embedded::EmbeddedStore;

fn state() -> AppState {
    let clock = Arc::new(FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap()));
    let store = Arc::new(EmbeddedStore::in_memory(clock.clone()).unwrap());
    let watchlist: BTreeSet<Ticker> = [Ticker::parse("AAPL").unwrap()].into();
    AppState::new(store, clock, watchlist)
}

async fn start(state: AppState, config: ServerConfig) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(api::server::serve(listener, router(state), config, std::future::pending()));
    addr
}

fn quick() -> ServerConfig {
    ServerConfig { header_read_timeout: Duration::from_millis(300), ..ServerConfig::default() }
}

/// Reads until the server closes the connection (or `limit` passes); returns what it sent.
fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (Vec<u8>, bool) {
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return (out, true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return (out, true),
            Err(_) => return (out, false),
        }
    }
}

/// Status and JSON body of one raw HTTP/1.1 exchange.
fn exchange(addr: SocketAddr, request: &[u8]) -> (u16, Value, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream.write_all(request).unwrap();
    let (bytes, _) = read_until_closed(&mut stream, Duration::from_secs(5));
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let status = text.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = text.split("\r\n\r\n").nth(1).unwrap_or("");
    let json = serde_json::from_str(body).unwrap_or(Value::Null);
    (status, json, text)
}

#[tokio::test(flavor = "multi_thread")]
async fn silent_partial_and_idle_connections_are_closed() {
    let addr = start(state(), quick()).await;
    tokio::task::spawn_blocking(move || {
        let mut silent = TcpStream::connect(addr).unwrap();
        let mut partial = TcpStream::connect(addr).unwrap();
        partial.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow:").unwrap();
        let mut idle = TcpStream::connect(addr).unwrap();
        idle.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
        let started = Instant::now();
        for (name, stream) in
            [("silent", &mut silent), ("partial", &mut partial), ("idle keep-alive", &mut idle)]
        {
            let (_, closed) = read_until_closed(stream, Duration::from_secs(5));
            assert!(closed, "{name} connection was left open");
        }
        assert!(started.elapsed() < Duration::from_secs(5));
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn over_the_connection_cap_health_is_still_answered() {
    let config = ServerConfig {
        header_read_timeout: Duration::from_secs(20),
        max_connections: 4,
        overflow_connections: 2,
        ..ServerConfig::default()
    };
    let addr = start(state(), config).await;
    tokio::task::spawn_blocking(move || {
        // Four keep-alive connections, each answered once and then left idle, take every
        // regular slot (an answer proves the server accepted the connection).
        let hogs: Vec<TcpStream> = (0..4)
            .map(|_| {
                let mut hog = TcpStream::connect(addr).unwrap();
                hog.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
                let mut seen = Vec::new();
                let mut buf = [0u8; 4096];
                while !String::from_utf8_lossy(&seen).contains("\"status\":\"ok\"") {
                    let n = hog.read(&mut buf).unwrap();
                    assert!(n > 0, "hog connection closed early");
                    seen.extend_from_slice(&buf[..n]);
                }
                hog
            })
            .collect();
        let (status, body, _) = exchange(addr, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["status"], "ok");
        let (status, body, raw) = exchange(addr, b"GET /api/v2/articles HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(status, 503, "{raw}");
        assert_eq!(body["error"]["code"], "overloaded");
        assert!(raw.to_ascii_lowercase().contains("retry-after: 1"), "{raw}");
        drop(hogs);
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn requests_hyper_cannot_parse_get_json_errors() {
    let addr = start(state(), quick()).await;
    tokio::task::spawn_blocking(move || {
        let huge_header = format!("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n", "a".repeat(80_000));
        let huge_uri = format!("GET /{} HTTP/1.1\r\nHost: x\r\n\r\n", "a".repeat(70_000));
        let many_headers = format!("GET /health HTTP/1.1\r\nHost: x\r\n{}\r\n", "X-H: 1\r\n".repeat(150));
        for (what, request, statuses) in [
            ("garbage request line", b"NOT HTTP AT ALL\r\n\r\n".to_vec(), &[400][..]),
            ("80 KB header", huge_header.into_bytes(), &[431][..]),
            ("70 KB URI", huge_uri.into_bytes(), &[414, 431][..]),
            ("150 headers", many_headers.into_bytes(), &[431][..]),
        ] {
            let (status, body, raw) = exchange(addr, &request);
            assert!(statuses.contains(&status), "{what}: {raw}");
            assert!(body["error"]["code"].is_string(), "{what}: not the JSON error shape: {raw}");
            assert!(body["error"]["request_id"].is_string(), "{what}: {raw}");
            assert!(raw.len() < 2000, "{what}: the input is not echoed");
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn router_limits_answer_in_json_and_never_echo() {
    let addr = start(state(), quick()).await;
    tokio::task::spawn_blocking(move || {
        let long_path = format!("GET /api/v2/tickers/{}/sentiment HTTP/1.1\r\nHost: x\r\n\r\n", "A".repeat(9_000));
        let (status, body, raw) = exchange(addr, long_path.as_bytes());
        assert_eq!(status, 414, "{raw}");
        assert_eq!(body["error"]["code"], "uri_too_long");
        assert!(raw.len() < 1000, "{raw}");

        let headers = format!("GET /health HTTP/1.1\r\nHost: x\r\nX-A: {}\r\nX-B: {}\r\n\r\n", "a".repeat(9_000), "b".repeat(9_000));
        let (status, body, _) = exchange(addr, headers.as_bytes());
        assert_eq!(status, 431);
        assert_eq!(body["error"]["code"], "headers_too_large");

        let echo = format!("GET /api/v2/tickers/{}/sentiment HTTP/1.1\r\nHost: x\r\n\r\n", "Z".repeat(6_000));
        let (status, body, raw) = exchange(addr, echo.as_bytes());
        assert_eq!(status, 400, "{raw}");
        assert!(body["error"]["message"].as_str().unwrap().len() < 200, "{body}");

        // A large body sent to a GET-only route is a wrong method, not a large body.
        // Only the head is sent: the server answers without reading the 3 MB body, and a
        // client still writing it would race the server's close (a broken pipe).
        let post = format!("POST /health HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n", 3 << 20);
        let (status, body, _) = exchange(addr, post.as_bytes());
        assert_eq!(status, 405);
        assert_eq!(body["error"]["code"], "method_not_allowed");
    })
    .await
    .unwrap();
}
