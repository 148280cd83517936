//! The pipeline end to end through the real binary and its HTTP API.

mod support;

use serde_json::Value;
use support::{Server, command, ingest_once, run, text};
use wiremock::matchers::{header, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[test]
fn score_prints_one_json_object_per_text() {
    let out = run(command(&[
        "score",
        "Shares soar after record profit",
        "Stock plunges on fraud probe",
        "Board meets Tuesday",
    ]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<Value> = text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["label"], "positive");
    assert_eq!(lines[1]["label"], "negative");
    for line in &lines {
        let score = line["score"].as_f64().unwrap();
        let confidence = line["confidence"].as_f64().unwrap();
        assert!((-1.0..=1.0).contains(&score) && (0.0..=1.0).contains(&confidence), "{line}");
    }
}

#[test]
fn score_reads_stdin_and_requires_input() {
    let mut child = command(&["score", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"Profit warning sends shares lower\n\nRecord sales\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(text(&out.stdout).lines().count(), 2);
    let none = run(&mut command(&["score"]));
    assert!(!none.status.success());
}

#[test]
fn ingesting_twice_adds_nothing_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let first = ingest_once(dir.path());
    // 502 stories in the sample corpus, 90 of them reported by both vendors.
    assert_eq!(first["new"], 502, "{first}");
    assert_eq!(first["sources"]["finnhub"]["credited"], 90, "{first}");
    let second = ingest_once(dir.path());
    assert_eq!(second["new"], 0, "{second}");
    assert_eq!(second["sources"]["tiingo"]["new"], 0);
    assert_eq!(second["sources"]["finnhub"]["new"], 0);
    assert_eq!(second["fetched"], first["fetched"]);
}

#[test]
fn serve_answers_from_the_sample_corpus_and_survives_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    server.wait_for_line("ingestion run finished");
    let (status, health) = server.get("/health");
    assert_eq!(status, 200);
    assert_eq!(health["store"], "ok");
    let first_new = health["last_ingestion"]["new"].as_u64().unwrap();
    assert_eq!(first_new, 502);

    let (status, aapl) = server.get("/api/v2/tickers/AAPL/sentiment?window=30d");
    assert_eq!(status, 200, "{aapl}");
    let total = aapl["counts"]["total"].as_u64().unwrap();
    assert!(total >= 20, "{aapl}");
    assert!(aapl["score"].is_number());
    let (_, articles) = server.get("/api/v2/articles?ticker=AAPL&limit=5");
    assert_eq!(articles["articles"].as_array().unwrap().len(), 5);
    let (status, body) = server.get("/api/v2/tickers/ZZZZ/sentiment");
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));

    server.signal("-INT");
    let (code, log) = server.wait();
    assert_eq!(code, Some(0), "Ctrl-C exits cleanly:\n{}", log.join("\n"));
    assert!(log.iter().any(|l| l.contains("stopped cleanly")));

    let mut again = Server::start(dir.path(), &[]);
    let (_, kept) = again.get("/api/v2/tickers/AAPL/sentiment?window=30d");
    assert_eq!(kept["counts"]["total"].as_u64(), Some(total), "data kept across restart");
    let line = again.wait_for_line("ingestion run finished");
    assert!(line.contains("new=0"), "re-ingestion adds no duplicate: {line}");
    let (_, after) = again.get("/api/v2/tickers/AAPL/sentiment?window=30d");
    assert_eq!(after["counts"]["total"].as_u64(), Some(total));
}

#[test]
fn a_killed_server_loses_nothing_it_reported() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &[]);
    server.wait_for_line("ingestion run finished");
    let (_, before) = server.get("/api/v2/articles?limit=100");
    let (_, health) = server.get("/health");
    server.signal("-KILL");
    let (code, _) = server.wait();
    assert_eq!(code, None, "killed by a signal");

    let again = Server::start(dir.path(), &["--ingest-every", "1h", "--source", "sample"]);
    let (_, after) = again.get("/api/v2/articles?limit=100");
    assert_eq!(before["articles"], after["articles"]);
    let (_, health_after) = again.get("/health");
    assert_eq!(health["last_ingestion"]["new"], health_after["last_ingestion"]["new"]);
}

#[test]
fn bad_data_dirs_and_settings_fail_clearly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("store.redb"), b"definitely not a database".repeat(200)).unwrap();
    let out = run(&mut command(&["ingest", "--once", "--data-dir", dir.path().to_str().unwrap()]));
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("store.redb") && !err.contains("panicked"), "{err}");

    let foreign = tempfile::tempdir().unwrap();
    std::fs::write(foreign.path().join("thesis.tex"), "mine").unwrap();
    let out = run(&mut command(&["ingest", "--once", "--data-dir", foreign.path().to_str().unwrap()]));
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("not empty"), "{}", text(&out.stderr));

    let empty = tempfile::tempdir().unwrap();
    let data = empty.path().to_str().unwrap();
    let out = run(&mut command(&["ingest", "--once", "--data-dir", data, "--source", "live"]));
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("TIINGO_API_KEY"), "{}", text(&out.stderr));

    let out = run(&mut command(&["ingest", "--once", "--data-dir", data, "--watchlist", "AAPL,$$$"]));
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("--watchlist"), "{}", text(&out.stderr));

    let out = run(&mut command(&["serve", "--addr", "not-an-address"]));
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
}

fn fixture(name: &str) -> String {
    let path = format!("{}/../sources/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn live_ingestion_uses_both_vendors_and_never_prints_keys() {
    let tiingo = MockServer::start().await;
    let finnhub = MockServer::start().await;
    // Items dated now, so the default two-day lookback keeps them.
    let now = chrono::Utc::now();
    let tiingo_body = serde_json::json!([
        {"id": 1, "title": "Apple beats estimates on iPhone demand", "url": "u1", "description": null,
         "publishedDate": now.to_rfc3339(), "source": "reuters.com", "tickers": ["aapl"]},
    ]);
    let finnhub_body = serde_json::json!([
        {"id": 7, "headline": "APPLE BEATS ESTIMATES ON IPHONE DEMAND", "datetime": now.timestamp(),
         "related": "AAPL", "source": "Yahoo", "summary": "", "url": "u2", "category": "company", "image": ""},
        {"id": 8, "headline": "Microsoft cuts jobs in gaming unit", "datetime": now.timestamp(),
         "related": "MSFT", "source": "Yahoo", "summary": "", "url": "u3", "category": "company", "image": ""},
    ]);
    Mock::given(path("/tiingo/news"))
        .and(header("Authorization", "Token tiingo-secret-123"))
        .respond_with(ResponseTemplate::new(200).set_body_json(tiingo_body))
        .mount(&tiingo)
        .await;
    Mock::given(path("/company-news"))
        .and(header("X-Finnhub-Token", "finnhub-secret-456"))
        .respond_with(ResponseTemplate::new(200).set_body_json(finnhub_body))
        .mount(&finnhub)
        .await;

    let dir = tempfile::tempdir().unwrap();
    let out = run(command(&[
        "ingest",
        "--once",
        "--data-dir",
        dir.path().to_str().unwrap(),
        "--watchlist",
        "AAPL,MSFT",
    ])
    .env("TIINGO_API_KEY", "tiingo-secret-123")
    .env("FINNHUB_API_KEY", "finnhub-secret-456")
    .env("TIINGO_BASE_URL", tiingo.uri())
    .env("FINNHUB_BASE_URL", finnhub.uri()));
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    let summary: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(summary["new"], 2, "{summary}");
    assert_eq!(summary["sources"]["finnhub"]["credited"], 1, "{summary}");
    assert!(!stdout.contains("secret") && !stderr.contains("secret"));

    // Both vendors refusing the keys: every source failed, so the exit code says so.
    let denied = MockServer::start().await;
    Mock::given(path("/tiingo/news"))
        .respond_with(ResponseTemplate::new(403).set_body_string(fixture("tiingo/403_invalid_token.json")))
        .mount(&denied)
        .await;
    Mock::given(path("/company-news"))
        .respond_with(ResponseTemplate::new(401).set_body_string(fixture("finnhub/401_invalid_key.json")))
        .mount(&denied)
        .await;
    let out = run(command(&["ingest", "--once", "--data-dir", dir.path().to_str().unwrap()])
        .env("TIINGO_API_KEY", "tiingo-secret-123")
        .env("FINNHUB_API_KEY", "finnhub-secret-456")
        .env("TIINGO_BASE_URL", denied.uri())
        .env("FINNHUB_BASE_URL", denied.uri()));
    assert_eq!(out.status.code(), Some(1));
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["sources"]["tiingo"]["status"], "failed");
    assert_eq!(summary["sources"]["finnhub"]["status"], "failed");
    assert!(!text(&out.stdout).contains("secret") && !text(&out.stderr).contains("secret"));
}

#[test]
fn ingest_without_once_repeats_until_interrupted() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = command(&["ingest", "--every", "1h", "--data-dir", dir.path().to_str().unwrap()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    let summary: Value = serde_json::from_str(&first).expect("one JSON summary per line");
    assert_eq!(summary["new"], 502);
    let status = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(status.success());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

#[test]
fn a_damaged_store_is_a_clear_error_for_serve_and_ingest() {
    use std::io::{Seek, SeekFrom, Write};
    let dir = tempfile::tempdir().unwrap();
    ingest_once(dir.path());
    let file = dir.path().join("store.redb");
    let mut f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
    f.seek(SeekFrom::Start(4096)).unwrap();
    f.write_all(&[0u8; 64]).unwrap();
    drop(f);
    let data = dir.path().to_str().unwrap();
    let ingest = run(command(&["ingest", "--once", "--data-dir", data, "--source", "sample"]));
    let serve = run(command(&["serve", "--addr", "127.0.0.1:0", "--data-dir", data]));
    for (what, out) in [("ingest", ingest), ("serve", serve)] {
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what} exits 1, not a panic's 101: {err}");
        assert!(err.contains("store.redb") && err.contains("damaged"), "{what}: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
    }
}

#[test]
fn score_stops_quietly_when_its_reader_goes_away_and_skips_bad_lines() {
    use std::io::{Read, Write};
    use std::process::Stdio;
    // A reader that takes one line and leaves, as `| head -1` does.
    let mut child = command(&["score", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        for i in 0..20_000 {
            if writeln!(stdin, "Shares rise {i} percent after results").is_err() {
                break;
            }
        }
    });
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    let status = child.wait().unwrap();
    writer.join().unwrap();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    assert_eq!(status.code(), Some(0), "a closed pipe is not a failure: {stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("Broken pipe"), "{stderr}");

    let mut child = command(&["score", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"Profits jump\n\xff\xfe broken\nShares slump\n").unwrap();
    let out = child.wait_with_output().unwrap();
    let lines: Vec<Value> = text(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 2, "the good lines are scored");
    assert_eq!(lines[1]["text"], "Shares slump");
    let err = text(&out.stderr);
    assert!(err.contains("line 2") && err.contains("UTF-8"), "{err}");
    assert_eq!(out.status.code(), Some(1), "a skipped line is reported in the exit code");
}

#[test]
fn error_causes_are_printed_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    // A data dir under a regular file: creating it fails with an OS error, named once.
    let data = file.join("data");
    let out = run(command(&["ingest", "--once", "--data-dir", data.to_str().unwrap()]));
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.matches("os error 20").count(), 1, "{err}");
    assert!(err.contains("cannot open store"), "{err}");
}

#[test]
fn health_is_answered_while_idle_connections_exhaust_the_file_limit() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    // A hard limit of 256 open files, as a small container might have.
    let script = format!(
        "ulimit -n 256 && exec '{}' serve --addr 127.0.0.1:0 --data-dir '{}' --source sample",
        support::BIN,
        dir.path().display()
    );
    let mut child = std::process::Command::new("sh")
        .args(["-c", &script])
        .env_remove("RUST_LOG")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next().expect("server exited").unwrap();
        if let Some(url) = line.split("listening on http://").nth(1) {
            break url.trim().to_owned();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    // More idle connections than the process has file descriptors.
    let idle: Vec<TcpStream> = (0..400).filter_map(|_| TcpStream::connect(&addr).ok()).collect();
    assert!(idle.len() >= 300, "the kernel accepted the connections");
    let deadline = Instant::now() + Duration::from_secs(20);
    let answered = loop {
        let attempt = TcpStream::connect(&addr).and_then(|mut s| {
            s.set_read_timeout(Some(Duration::from_secs(3)))?;
            s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")?;
            let mut out = String::new();
            s.read_to_string(&mut out)?;
            Ok(out)
        });
        match attempt {
            Ok(response) if response.starts_with("HTTP/1.1 200") => break true,
            _ if Instant::now() > deadline => break false,
            _ => std::thread::sleep(Duration::from_millis(100)),
        }
    };
    drop(idle);
    let _ = child.kill();
    let _ = child.wait();
    assert!(answered, "/health must stay reachable while idle sockets flood the server");
}

/// `serve` shows the dashboard at `/` with its policy and caching, and every path it does not
/// claim keeps the API's JSON 404.
#[tokio::test(flavor = "multi_thread")]
async fn serve_shows_the_dashboard_and_keeps_the_apis_json_404s() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path(), &["--source", "sample"]);
    let client = ::reqwest::Client::new();
    let page = client.get(format!("{}/", server.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    assert_eq!(headers["cache-control"], "no-cache");
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(headers.contains_key("x-request-id"), "the API's layers run for the page too");
    let html = page.text().await.unwrap();
    let script = html.split("<script type=\"module\" src=\"").nth(1).unwrap().split('"').next().unwrap();
    let bundle = client.get(format!("{}{script}", server.base)).send().await.unwrap();
    assert_eq!(bundle.status(), 200);
    assert_eq!(bundle.headers()["content-type"], "text/javascript; charset=utf-8");
    assert!(bundle.headers()["cache-control"].to_str().unwrap().contains("immutable"));

    for path in ["/api/v2/nothing-here", "/nothing-here", "/index.htm"] {
        let response = client.get(format!("{}{path}", server.base)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{path}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found", "{path}: {body}");
    }
    let post = client.post(format!("{}/", server.base)).send().await.unwrap();
    assert_eq!(post.status(), 405);
}
