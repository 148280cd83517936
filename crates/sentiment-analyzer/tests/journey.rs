//! A dashboard user's journey against the real `sentiment-analyzer serve` process: an
//! anonymous session, a watchlist made, read, changed and deleted, its sentiment, signing out;
//! and a session that outlives a restart of the server.

mod support;

use serde_json::{Value, json};
use support::Server;

/// An HTTP client for one server, blocking on its own runtime (the tests are plain `#[test]`s
/// because starting and stopping the server blocks).
struct Client {
    runtime: tokio::runtime::Runtime,
    http: reqwest::Client,
    base: String,
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: Value,
}

impl Client {
    fn new(server: &Server) -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        Self { runtime, http: reqwest::Client::new(), base: server.base.clone() }
    }

    fn send(&self, method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.runtime.block_on(async {
            let response = request.send().await.expect("request sent");
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let bytes = response.bytes().await.expect("body");
            let body = if bytes.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{path}: body is not JSON ({e})"))
            };
            Answer { status, headers, body }
        })
    }

    fn new_session(&self) -> (String, String) {
        let a = self.send("POST", "/api/v2/auth/anonymous", None, Some(json!({"timezone": "Europe/Paris"})));
        assert_eq!(a.status, 201, "{}", a.body);
        let token = a.body["token"].as_str().expect("token").to_owned();
        let user = a.body["user_id"].as_str().expect("user_id").to_owned();
        (token, user)
    }
}

fn error_code(a: &Answer) -> &str {
    a.body["error"]["code"].as_str().unwrap_or_else(|| panic!("not an error body: {}", a.body))
}

fn symbols(config: &Value) -> Vec<(String, f64)> {
    config["tickers"]
        .as_array()
        .expect("tickers")
        .iter()
        .map(|t| (t["symbol"].as_str().unwrap().to_owned(), t["weight"].as_f64().unwrap()))
        .collect()
}

#[test]
fn a_user_journey_through_the_local_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--source", "sample"]);
    // Sentiment for AAPL comes from the first ingestion run; wait for it rather than a time.
    server.wait_for_line("ingestion run finished");
    let api = Client::new(&server);

    let (token, user_id) = api.new_session();
    let me = api.send("GET", "/api/v2/auth/session", Some(&token), None);
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["user_id"], user_id.as_str());
    assert_eq!(me.body["timezone"], "Europe/Paris");
    assert_eq!(me.body["configurations"], 0);

    let list = api.send("GET", "/api/v2/configurations", Some(&token), None);
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body, json!({"configurations": [], "max_allowed": 5}));
    assert_eq!(list.headers["cache-control"], "no-store");

    // BRK.B is on no default watchlist and in no news: unknown until someone watches it.
    let unknown = api.send("GET", "/api/v2/tickers/BRK.B/sentiment", None, None);
    assert_eq!((unknown.status, error_code(&unknown)), (404, "not_found"));

    let created = api.send(
        "POST",
        "/api/v2/configurations",
        Some(&token),
        Some(json!({
            "name": "  Tech and Berkshire ",
            "tickers": ["aapl", {"symbol": "brk.b", "weight": 2.5}, {"symbol": "NVDA"}],
            "timeframe_days": 30,
        })),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let config = created.body.clone();
    let id = config["config_id"].as_str().expect("config_id").to_owned();
    assert_eq!(
        symbols(&config),
        [("AAPL".to_owned(), 1.0), ("BRK.B".to_owned(), 2.5), ("NVDA".to_owned(), 1.0)],
        "symbols are upper-cased, a missing weight is 1: {config}"
    );
    assert_eq!(config["timeframe_days"], 30);
    assert_eq!(config["created_at"], config["updated_at"]);

    let read = api.send("GET", &format!("/api/v2/configurations/{id}"), Some(&token), None);
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body, config, "read back exactly as created");
    let list = api.send("GET", "/api/v2/configurations", Some(&token), None);
    assert_eq!(list.body["configurations"], json!([config]));

    // Its tickers: AAPL has news from the sample corpus, BRK.B is now known but has none.
    let aapl = api.send("GET", "/api/v2/tickers/AAPL/sentiment?window=30d", None, None);
    assert_eq!(aapl.status, 200, "{}", aapl.body);
    let counts = &aapl.body["counts"];
    let total = counts["total"].as_u64().unwrap();
    assert!(total > 0, "the sample corpus has AAPL news: {}", aapl.body);
    assert_eq!(
        counts["positive"].as_u64().unwrap()
            + counts["negative"].as_u64().unwrap()
            + counts["neutral"].as_u64().unwrap(),
        total,
        "{counts}"
    );
    let score = aapl.body["score"].as_f64().expect("a score with news");
    assert!((-1.0..=1.0).contains(&score), "{score}");
    assert_eq!(aapl.headers["cache-control"], "public, max-age=60");
    let brk = api.send("GET", "/api/v2/tickers/BRK.B/sentiment", None, None);
    assert_eq!(brk.status, 200, "a watched ticker is known: {}", brk.body);
    assert_eq!(brk.body["ticker"], "BRK.B");
    assert_eq!(brk.body["score"], Value::Null);
    assert_eq!(brk.body["counts"]["total"], 0);

    // The watchlist's own sentiment: every ticker, AAPL with data, BRK.B without.
    let mine = api.send("GET", &format!("/api/v2/configurations/{id}/sentiment"), Some(&token), None);
    assert_eq!(mine.status, 200, "{}", mine.body);
    let tickers = mine.body["tickers"].as_array().expect("tickers");
    assert_eq!(tickers.len(), 3, "{}", mine.body);
    let status_of = |symbol: &str| {
        tickers.iter().find(|t| t["ticker"] == symbol).map(|t| t["status"].as_str().unwrap_or("").to_owned())
    };
    assert_eq!(status_of("BRK.B").as_deref(), Some("no_data"));
    assert!(
        mine.body["score"].is_null()
            || mine.body["score"].as_f64().is_some_and(|s| (-1.0..=1.0).contains(&s))
    );
    assert_eq!(mine.headers["cache-control"], "no-store");

    let patched = api.send(
        "PATCH",
        &format!("/api/v2/configurations/{id}"),
        Some(&token),
        Some(json!({"name": "Tech only", "tickers": ["AAPL", {"symbol": "msft", "weight": 0.5}]})),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    assert_eq!(patched.body["config_id"], id.as_str());
    assert_eq!(patched.body["name"], "Tech only");
    assert_eq!(symbols(&patched.body), [("AAPL".to_owned(), 1.0), ("MSFT".to_owned(), 0.5)]);
    assert_eq!(patched.body["timeframe_days"], 30, "fields not sent are kept");
    assert_eq!(patched.body["created_at"], config["created_at"]);
    let read = api.send("GET", &format!("/api/v2/configurations/{id}"), Some(&token), None);
    assert_eq!(read.body, patched.body);
    let brk = api.send("GET", "/api/v2/tickers/BRK.B/sentiment", None, None);
    assert_eq!(brk.status, 404, "no one watches BRK.B any more: {}", brk.body);

    let deleted = api.send("DELETE", &format!("/api/v2/configurations/{id}"), Some(&token), None);
    assert_eq!(deleted.status, 204, "{}", deleted.body);
    assert_eq!(deleted.body, Value::Null, "204 has no body");
    let gone = api.send("GET", &format!("/api/v2/configurations/{id}"), Some(&token), None);
    assert_eq!((gone.status, error_code(&gone)), (404, "not_found"));
    let again = api.send("DELETE", &format!("/api/v2/configurations/{id}"), Some(&token), None);
    assert_eq!(again.status, 404);
    let list = api.send("GET", "/api/v2/configurations", Some(&token), None);
    assert_eq!(list.body["configurations"], json!([]));

    let out = api.send("POST", "/api/v2/auth/signout", Some(&token), None);
    assert_eq!(out.status, 204, "{}", out.body);
    for (method, path) in [
        ("GET", "/api/v2/configurations"),
        ("GET", "/api/v2/auth/session"),
        ("POST", "/api/v2/auth/extend"),
        ("POST", "/api/v2/auth/signout"),
    ] {
        let refused = api.send(method, path, Some(&token), None);
        assert_eq!((refused.status, error_code(&refused)), (401, "unauthorized"), "{method} {path}");
        assert_eq!(refused.headers["www-authenticate"], "Bearer");
        assert!(refused.headers.contains_key("x-request-id"));
    }
}

#[test]
fn a_session_and_its_configurations_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = Server::start(dir.path(), &["--source", "sample"]);
    let api = Client::new(&server);
    let (token, user_id) = api.new_session();
    let created = api.send(
        "POST",
        "/api/v2/configurations",
        Some(&token),
        Some(json!({"name": "Kept", "tickers": ["JPM", {"symbol": "brk.b", "weight": 3}]})),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let config = created.body;
    let before = api.send("GET", "/api/v2/auth/session", Some(&token), None);
    assert_eq!(before.status, 200);
    drop(api);

    // Stopped between ingestion runs, so what is tested is the session, not a cut-short run.
    server.wait_for_line("ingestion run finished");
    server.signal("-INT");
    let (code, log) = server.wait();
    assert_eq!(code, Some(0), "Ctrl-C exits cleanly:\n{}", log.join("\n"));

    let mut server = Server::start(dir.path(), &["--source", "sample"]);
    let api = Client::new(&server);
    let after = api.send("GET", "/api/v2/auth/session", Some(&token), None);
    assert_eq!(after.status, 200, "the token still works: {}", after.body);
    assert_eq!(after.body["user_id"], user_id.as_str());
    assert_eq!(after.body["session_expires_at"], before.body["session_expires_at"]);
    assert_eq!(after.body["configurations"], 1);
    let list = api.send("GET", "/api/v2/configurations", Some(&token), None);
    assert_eq!(list.status, 200, "{}", list.body);
    assert_eq!(list.body["configurations"], json!([config]), "the configuration is kept as it was");
    // The watch on BRK.B was kept too: it is still a known ticker.
    let brk = api.send("GET", "/api/v2/tickers/BRK.B/sentiment", None, None);
    assert_eq!(brk.status, 200, "{}", brk.body);

    // A write acknowledged just before the process is killed outright is kept as well.
    let id = config["config_id"].as_str().unwrap();
    let patched = api.send(
        "PATCH",
        &format!("/api/v2/configurations/{id}"),
        Some(&token),
        Some(json!({"timeframe_days": 90})),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    drop(api);
    server.wait_for_line("ingestion run finished");
    server.signal("-KILL");
    let (code, _) = server.wait();
    assert_eq!(code, None, "killed by a signal");

    let server = Server::start(dir.path(), &["--source", "sample"]);
    let api = Client::new(&server);
    let read = api.send("GET", &format!("/api/v2/configurations/{id}"), Some(&token), None);
    assert_eq!(read.status, 200, "{}", read.body);
    assert_eq!(read.body, patched.body);
}
