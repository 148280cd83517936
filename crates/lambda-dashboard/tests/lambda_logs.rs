//! The real `lambda-dashboard` binary, driven through a journey by a fake Lambda Runtime API
//! (the HTTP interface a `provided.al2023` bootstrap polls), as Lambda would drive it:
//! - every log line of an invocation is JSON and carries the AWS request id, the X-Ray trace
//!   id the runtime was handed, and the API's request id;
//! - no line, log or metric, holds the session token or the AWS credentials;
//! - each request writes one EMF line naming its route template;
//! - with a daemon address set and the DynamoDB store, each DynamoDB call reaches a UDP
//!   listener as an X-Ray subsegment of the invocation's trace.

use std::collections::VecDeque;
use std::net::UdpSocket;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader};

use tokio::sync::{Notify, oneshot};

const AWS_SECRET: &str = "aws-secret-key-never-logged";
const AWS_SESSION: &str = "aws-session-token-never-logged";

/// One invocation waiting for the bootstrap to ask for it.
struct Pending {
    id: String,
    trace: String,
    event: Value,
    answer: oneshot::Sender<Value>,
}

type Handed = (String, oneshot::Sender<Value>);

#[derive(Clone, Default)]
struct RuntimeApi {
    queue: Arc<Mutex<VecDeque<Pending>>>,
    arrived: Arc<Notify>,
    /// Invocations handed out, by id, with where their answer goes.
    waiting: Arc<Mutex<Vec<Handed>>>,
    errors: Arc<Mutex<Vec<String>>>,
}

async fn next(State(api): State<RuntimeApi>) -> impl IntoResponse {
    loop {
        let notified = api.arrived.notified();
        let pending = api.queue.lock().unwrap().pop_front();
        if let Some(pending) = pending {
            api.waiting.lock().unwrap().push((pending.id.clone(), pending.answer));
            let mut headers = HeaderMap::new();
            headers.insert("lambda-runtime-aws-request-id", pending.id.parse().unwrap());
            headers.insert("lambda-runtime-deadline-ms", "4102444800000".parse().unwrap());
            headers.insert(
                "lambda-runtime-invoked-function-arn",
                "arn:aws:lambda:us-east-1:123456789012:function:sentiment-analyzer-test-dashboard"
                    .parse()
                    .unwrap(),
            );
            headers.insert("lambda-runtime-trace-id", pending.trace.parse().unwrap());
            return (headers, pending.event.to_string());
        }
        notified.await;
    }
}

async fn respond(State(api): State<RuntimeApi>, Path(id): Path<String>, body: String) -> StatusCode {
    let sender = {
        let mut waiting = api.waiting.lock().unwrap();
        waiting.iter().position(|(waiting_id, _)| *waiting_id == id).map(|at| waiting.remove(at).1)
    };
    if let Some(sender) = sender {
        let _ = sender.send(serde_json::from_str(&body).unwrap_or(Value::Null));
    }
    StatusCode::ACCEPTED
}

async fn error(State(api): State<RuntimeApi>, body: String) -> StatusCode {
    api.errors.lock().unwrap().push(body);
    StatusCode::ACCEPTED
}

fn event(method: &str, path: &str, token: Option<&str>, body: Option<Value>) -> Value {
    let mut headers = json!({"host": "abc123.lambda-url.us-east-1.on.aws", "accept": "application/json"});
    if let Some(token) = token {
        headers["authorization"] = format!("Bearer {token}").into();
    }
    let mut event = json!({
        "version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous", "apiId": "abc123", "domainName": "abc123.lambda-url.us-east-1.on.aws",
            "domainPrefix": "abc123",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.7", "userAgent": "test"},
            "requestId": "url-request", "routeKey": "$default", "stage": "$default",
            "time": "30/Nov/2026:12:00:00 +0000", "timeEpoch": 1_795_000_000_000_i64
        },
        "isBase64Encoded": false
    });
    if let Some(body) = body {
        event["headers"]["content-type"] = "application/json".into();
        event["body"] = body.to_string().into();
    }
    event
}

/// A trace header as Lambda hands it to the runtime, unique per invocation.
fn trace_header(n: usize) -> (String, String, String) {
    let root = format!("1-6936a0c0-{n:024x}");
    let parent = format!("{:016x}", 0xabc0_0000_u64 + n as u64);
    (format!("Root={root};Parent={parent};Sampled=1"), root, parent)
}

struct Invocation {
    id: String,
    root: String,
    parent: String,
    status: u16,
    request_id: String,
}

#[tokio::test]
async fn a_journey_logs_ids_never_secrets_and_writes_metrics_and_traces() {
    let api = RuntimeApi::default();
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/response", post(respond))
        .route("/2018-06-01/runtime/invocation/{id}/error", post(error))
        .route("/2018-06-01/runtime/init/error", post(error))
        .with_state(api.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let runtime_address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let daemon = UdpSocket::bind("127.0.0.1:0").unwrap();
    daemon.set_nonblocking(true).unwrap();
    let data = tempfile::tempdir().unwrap();

    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_lambda-dashboard"));
    command
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_LAMBDA_RUNTIME_API", runtime_address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "sentiment-analyzer-test-dashboard")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "stream")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "/aws/lambda/sentiment-analyzer-test-dashboard")
        .env("AWS_XRAY_DAEMON_ADDRESS", daemon.local_addr().unwrap().to_string())
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "AKIATESTNEVERLOGGED0")
        .env("AWS_SECRET_ACCESS_KEY", AWS_SECRET)
        .env("AWS_SESSION_TOKEN", AWS_SESSION)
        .env("SENTIMENT_ENVIRONMENT", "test")
        // The most it ever logs: Lambda's TRACE, which the service caps at DEBUG (at TRACE
        // the runtime would log each raw event, tokens included).
        .env("AWS_LAMBDA_LOG_LEVEL", "TRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let clock: Arc<dyn domain::Clock> = Arc::new(domain::SystemClock);
    let dynamodb = store_dynamodb::testing::fresh_store("lambda_logs", clock).await;
    match (&dynamodb, std::env::var(store_dynamodb::testing::ENDPOINT_VARIABLE)) {
        (Some(store), Ok(endpoint)) => {
            command
                .env("SENTIMENT_STORE", "dynamodb")
                .env("SENTIMENT_TABLE", store.table())
                .env("AWS_ENDPOINT_URL_DYNAMODB", endpoint);
        }
        _ => {
            command.env("SENTIMENT_STORE", "embedded").env("SENTIMENT_DATA_DIR", data.path());
        }
    }
    let mut child = command.spawn().expect("the bootstrap starts");
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<(&'static str, String)>();
    let streams: [(&'static str, Box<dyn std::io::Read + Send>); 2] = [
        ("stdout", Box::new(child.stdout.take().unwrap())),
        ("stderr", Box::new(child.stderr.take().unwrap())),
    ];
    for (stream, reader) in streams {
        let lines_tx = lines_tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(reader).lines().map_while(Result::ok) {
                let _ = lines_tx.send((stream, line));
            }
        });
    }
    drop(lines_tx);
    // Stops the bootstrap even when an assertion below fails.
    struct Stop(std::process::Child);
    impl Drop for Stop {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let child = Stop(child);

    let mut invocations: Vec<Invocation> = Vec::new();
    let mut invoke = async |event: Value| -> (u16, Value) {
        let n = invocations.len() + 1;
        let (trace, root, parent) = trace_header(n);
        let id = format!("c0ffee00-0000-4000-8000-{n:012}");
        let (answer, answered) = oneshot::channel();
        api.queue.lock().unwrap().push_back(Pending { id: id.clone(), trace, event, answer });
        api.arrived.notify_waiters();
        let response = tokio::time::timeout(Duration::from_secs(60), answered)
            .await
            .unwrap_or_else(|_| {
                panic!("no answer to invocation {n}; runtime errors: {:?}", api.errors.lock().unwrap())
            })
            .unwrap();
        let status = response["statusCode"].as_u64().unwrap_or_default() as u16;
        let body =
            response["body"].as_str().and_then(|b| serde_json::from_str(b).ok()).unwrap_or(Value::Null);
        let request_id = response["headers"]["x-request-id"].as_str().unwrap_or_default().to_owned();
        invocations.push(Invocation { id, root, parent, status, request_id });
        (status, body)
    };

    let (status, session) = invoke(event("POST", "/api/v2/auth/anonymous", None, None)).await;
    assert_eq!(status, 201, "{session}");
    let token = session["token"].as_str().unwrap().to_owned();
    let created =
        json!({"name": "Tech", "tickers": ["AAPL", {"symbol": "MSFT", "weight": 2.0}], "timeframe_days": 7});
    let (status, config) = invoke(event("POST", "/api/v2/configurations", Some(&token), Some(created))).await;
    assert_eq!(status, 201, "{config}");
    let config_id = config["config_id"].as_str().unwrap().to_owned();
    assert_eq!(invoke(event("GET", "/api/v2/configurations", Some(&token), None)).await.0, 200);
    let path = format!("/api/v2/configurations/{config_id}/sentiment");
    assert_eq!(invoke(event("GET", &path, Some(&token), None)).await.0, 200);
    assert_eq!(invoke(event("GET", "/api/v2/tickers/AAPL/sentiment", None, None)).await.0, 200);
    assert_eq!(invoke(event("GET", "/api/v2/no-such-route", None, None)).await.0, 404);
    assert_eq!(invoke(event("POST", "/api/v2/auth/signout", Some(&token), None)).await.0, 204);
    assert_eq!(invoke(event("GET", "/api/v2/configurations", Some(&token), None)).await.0, 401);

    drop(child);
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    for (stream, line) in lines_rx {
        if stream == "stdout" { stdout.push(line) } else { stderr.push(line) }
    }
    assert!(api.errors.lock().unwrap().is_empty(), "runtime errors: {:?}", api.errors.lock().unwrap());

    // No secret anywhere: not the token, not the AWS credentials.
    for line in stdout.iter().chain(&stderr) {
        for secret in [token.as_str(), AWS_SECRET, AWS_SESSION, "Bearer "] {
            assert!(!line.contains(secret), "a line holds a secret ({secret:.8}…): {line}");
        }
    }

    // Every log line is JSON; every line of an invocation carries its three ids.
    let logs: Vec<Value> = stderr
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}")))
        .collect();
    for invocation in &invocations {
        let lines: Vec<&Value> =
            logs.iter().filter(|l| l["aws_request_id"] == invocation.id.as_str()).collect();
        let from_the_router = lines
            .iter()
            .filter(|l| l["target"].as_str().is_some_and(|t| t.starts_with("tower_http")))
            .count();
        assert!(from_the_router >= 1, "the router logged nothing for {}: {lines:?}", invocation.id);
        for line in &lines {
            assert_eq!(line["trace_id"], invocation.root.as_str(), "{line}");
            if line["target"].as_str().is_some_and(|t| t.starts_with("tower_http") || t.starts_with("api")) {
                assert!(line["request_id"].as_str().is_some_and(|id| id.len() >= 8), "no request id: {line}");
            }
        }
    }
    // Lines of the service's own code and its HTTP layers always carry the ids; lines without
    // them come only from start-up and the connection machinery (pools, TLS, DNS).
    let ours = ["tower_http", "api", "lambda_dashboard", "store_dynamodb", "domain", "rate_limit"];
    for line in &logs {
        let target = line["target"].as_str().unwrap_or_default();
        if ours.iter().any(|ours| target == *ours || target.starts_with(&format!("{ours}::"))) {
            assert!(
                line.get("aws_request_id").is_some() && line.get("trace_id").is_some(),
                "ids missing: {line}"
            );
        }
    }

    // One EMF line per request, by route template.
    let metrics: Vec<Value> = stdout
        .iter()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|l| l.get("_aws").is_some())
        .collect();
    assert_eq!(metrics.len(), invocations.len(), "{stdout:?}");
    let routes: Vec<&str> = metrics.iter().map(|m| m["Route"].as_str().unwrap()).collect();
    assert_eq!(
        routes,
        [
            "/api/v2/auth/anonymous",
            "/api/v2/configurations",
            "/api/v2/configurations",
            "/api/v2/configurations/{config_id}/sentiment",
            "/api/v2/tickers/{symbol}/sentiment",
            "unmatched",
            "/api/v2/auth/signout",
            "/api/v2/configurations",
        ]
    );
    for (metric, invocation) in metrics.iter().zip(&invocations) {
        assert_eq!(metric["Environment"], "test");
        assert_eq!(metric["ApiRequests"], 1);
        assert_eq!(metric["status"], invocation.status);
        assert_eq!(metric["Api5xx"], u8::from(invocation.status >= 500));
        assert_eq!(metric["Api429"], u8::from(invocation.status == 429));
        assert!(metric["ApiLatencyMs"].as_f64().is_some_and(|ms| ms >= 0.0));
        let directive = &metric["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "SentimentAnalyzer");
        assert_eq!(directive["Dimensions"], json!([["Environment", "Route"], ["Environment"]]));
        assert_eq!(metric["request_id"], invocation.request_id.as_str(), "the line names the x-request-id");
    }

    // With DynamoDB, each invocation's store calls are subsegments of its trace.
    if let Some(store) = &dynamodb {
        let mut segments = Vec::new();
        let mut buffer = [0u8; 65_536];
        while let Ok(n) = daemon.recv(&mut buffer) {
            let text = std::str::from_utf8(&buffer[..n]).unwrap();
            for secret in [token.as_str(), AWS_SECRET, AWS_SESSION] {
                assert!(!text.contains(secret), "a subsegment holds a secret: {text}");
            }
            let (header, document) = text.split_once('\n').unwrap();
            assert_eq!(header, r#"{"format": "json", "version": 1}"#);
            segments.push(serde_json::from_str::<Value>(document).unwrap());
        }
        for invocation in invocations.iter().filter(|i| i.status != 404) {
            let mine: Vec<&Value> =
                segments.iter().filter(|s| s["trace_id"] == invocation.root.as_str()).collect();
            assert!(!mine.is_empty(), "no subsegment for {}", invocation.id);
            for segment in mine {
                assert_eq!(segment["parent_id"], invocation.parent.as_str());
                assert_eq!(segment["name"], "DynamoDB");
                assert_eq!(segment["namespace"], "aws");
                assert!(segment["aws"]["operation"].as_str().is_some_and(|op| !op.is_empty()), "{segment}");
                assert_eq!(segment["aws"]["table_name"], store.table());
            }
        }
    }
}
