//! Function URL events (API Gateway HTTP API v2 payloads) through the real router.

use tower::ServiceExt;

/// A Function URL event as AWS sends it: headers as a map, the client address in
/// `requestContext.http.sourceIp`, and a body that is base64 when `isBase64Encoded`.
struct Event<'a> {
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: Vec<(&'a str, String)>,
    body: Option<&'a [u8]>,
    source_ip: &'a str,
}

impl<'a> Event<'a> {
    fn new(method: &'a str, path: &'a str) -> Self {
        Self { method, path, query: "", headers: Vec::new(), body: None, source_ip: "203.0.113.9" }
    }

    fn query(mut self, query: &'a str) -> Self {
        self.query = query;
        self
    }

    fn header(mut self, name: &'a str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// A JSON body, base64-encoded as Function URLs deliver bodies they treat as binary.
    fn json_base64(self, body: &'a [u8]) -> Self {
        Self { body: Some(body), ..self.header("content-type", "application/json") }
    }

    fn sent_from(self, source_ip: &'a str) -> Self {
        Self { source_ip, ..self }
    }

    fn to_json(&self) -> String {
        use base64::Engine;
        let mut headers = serde_json::json!({
            "host": "abc123.lambda-url.eu-west-1.on.aws",
            "accept": "application/json",
            "x-forwarded-for": self.source_ip,
        });
        for (name, value) in &self.headers {
            headers[*name] = value.as_str().into();
        }
        let mut event = serde_json::json!({
            "version": "2.0",
            "routeKey": "$default",
            "rawPath": self.path,
            "rawQueryString": self.query,
            "headers": headers,
            "requestContext": {
                "accountId": "anonymous",
                "apiId": "abc123",
                "domainName": "abc123.lambda-url.eu-west-1.on.aws",
                "domainPrefix": "abc123",
                "http": {"method": self.method, "path": self.path, "protocol": "HTTP/1.1", "sourceIp": self.source_ip, "userAgent": "test"},
                "requestId": "req-1",
                "routeKey": "$default",
                "stage": "$default",
                "time": "28/Nov/2026:12:00:00 +0000",
                "timeEpoch": 1_795_000_000_000_i64
            },
            "isBase64Encoded": false
        });
        if let Some(body) = self.body {
            event["body"] = base64::engine::general_purpose::STANDARD.encode(body).into();
            event["isBase64Encoded"] = true.into();
        }
        event.to_string()
    }
}

struct Answer {
    status: u16,
    headers: http::HeaderMap,
    body: serde_json::Value,
}

async fn send(app: &axum::Router, event: Event<'_>) -> Answer {
    let request = lambda_http::request::from_str(&event.to_json()).expect("event parses");
    let response = app
        .clone()
        .oneshot(request.map(|body| axum::body::Body::from(body.to_vec())))
        .await
        .expect("router answers");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    Answer { status, headers, body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null) }
}

async fn call(app: &axum::Router, method: &str, path: &str, query: &str) -> (u16, serde_json::Value) {
    let answer = send(app, Event::new(method, path).query(query)).await;
    (answer.status, answer.body)
}

fn settings(dir: &std::path::Path) -> startup::Settings {
    settings_with(dir, &[])
}

/// Settings as the Lambda reads them, from these variables only (never the test's environment).
fn settings_with(dir: &std::path::Path, vars: &[(&str, &str)]) -> startup::Settings {
    let dir = dir.display().to_string();
    startup::Settings::from_lookup(startup::Host::Lambda, |name| match name {
        "SENTIMENT_STORE" => Some("embedded".into()),
        "SENTIMENT_DATA_DIR" => Some(dir.clone()),
        _ => vars.iter().find(|(n, _)| *n == name).map(|(_, v)| (*v).to_owned()),
    })
    .expect("settings")
}

#[tokio::test]
async fn function_url_events_reach_the_router() {
    let dir = tempfile::tempdir().unwrap();
    let app = lambda_dashboard::app(&settings(dir.path())).await.unwrap();
    let (status, body) = call(&app, "GET", "/health", "").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["store"], "ok");
    let (status, body) = call(&app, "GET", "/api/v2/tickers/AAPL/sentiment", "window=36h").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["window"], "36h", "the query string arrives");
    let (status, body) = call(&app, "GET", "/api/v2/articles", "limit=0").await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("invalid_parameter")));
    let (status, _) = call(&app, "DELETE", "/health", "").await;
    assert_eq!(status, 405);
}

#[tokio::test]
async fn sessions_and_configurations_from_base64_bodies() {
    let dir = tempfile::tempdir().unwrap();
    let app = lambda_dashboard::app(&settings(dir.path())).await.unwrap();

    let created = send(
        &app,
        Event::new("POST", "/api/v2/auth/anonymous").json_base64(br#"{"timezone":"Europe/Paris"}"#),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(created.body["auth_type"], "anonymous");
    assert_eq!(created.headers["cache-control"], "no-store");
    let token = created.body["token"].as_str().expect("token").to_owned();
    let user_id = created.body["user_id"].as_str().expect("user_id").to_owned();
    let me = send(
        &app,
        Event::new("GET", "/api/v2/auth/session").header("authorization", format!("Bearer {token}")),
    )
    .await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["user_id"], user_id.as_str());
    assert_eq!(me.body["timezone"], "Europe/Paris", "the decoded body was read");

    let bearer = send(
        &app,
        Event::new("POST", "/api/v2/configurations")
            .header("authorization", format!("Bearer {token}"))
            .json_base64(
                br#"{"name":"Bearer","tickers":["aapl",{"symbol":"BRK.B","weight":2}],"timeframe_days":14}"#,
            ),
    )
    .await;
    assert_eq!(bearer.status, 201, "{}", bearer.body);
    assert_eq!(bearer.body["name"], "Bearer");
    assert_eq!(
        bearer.body["tickers"],
        serde_json::json!([{"symbol": "AAPL", "weight": 1.0}, {"symbol": "BRK.B", "weight": 2.0}])
    );
    assert_eq!(bearer.body["timeframe_days"], 14);

    let legacy = send(
        &app,
        Event::new("POST", "/api/v2/configurations")
            .header("x-user-id", token.clone())
            .json_base64(br#"{"name":"Legacy header","tickers":[{"symbol":"msft"}]}"#),
    )
    .await;
    assert_eq!(legacy.status, 201, "{}", legacy.body);
    assert_eq!(legacy.body["tickers"], serde_json::json!([{"symbol": "MSFT", "weight": 1.0}]));
    assert_eq!(legacy.body["timeframe_days"], 7, "the default timeframe");

    let list =
        send(&app, Event::new("GET", "/api/v2/configurations").header("x-user-id", token.clone())).await;
    assert_eq!(list.status, 200, "{}", list.body);
    let names: Vec<&str> =
        list.body["configurations"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names.len(), 2, "both belong to the token's user: {}", list.body);
    assert!(names.contains(&"Bearer") && names.contains(&"Legacy header"), "{names:?}");

    // The user id is not a credential, in either header.
    let by_id = send(
        &app,
        Event::new("POST", "/api/v2/configurations")
            .header("x-user-id", user_id.clone())
            .json_base64(br#"{"name":"Nope","tickers":["AAPL"]}"#),
    )
    .await;
    assert_eq!((by_id.status, by_id.body["error"]["code"].as_str()), (401, Some("unauthorized")));
    // A base64 body that decodes to something other than JSON is the client's error.
    let garbled = send(
        &app,
        Event::new("POST", "/api/v2/configurations")
            .header("authorization", format!("Bearer {token}"))
            .json_base64(b"\xff\xfe{not json"),
    )
    .await;
    assert_eq!((garbled.status, garbled.body["error"]["code"].as_str()), (400, Some("malformed_json")));
}

#[tokio::test]
async fn each_source_ip_has_its_own_rate_limit() {
    let dir = tempfile::tempdir().unwrap();
    // A day-long window, so that no window boundary falls between the requests below.
    let settings = settings_with(dir.path(), &[("SENTIMENT_RATE_LIMITS", "read=2/1d")]);
    let app = lambda_dashboard::app(&settings).await.unwrap();
    fn read(ip: &str) -> Event<'_> {
        Event::new("GET", "/api/v2/market/status").sent_from(ip)
    }

    for remaining in ["1", "0"] {
        let a = send(&app, read("198.51.100.7")).await;
        assert_eq!(a.status, 200, "{}", a.body);
        assert_eq!(a.headers["x-ratelimit-limit"], "2");
        assert_eq!(a.headers["x-ratelimit-remaining"], remaining);
    }
    let refused = send(&app, read("198.51.100.7")).await;
    assert_eq!((refused.status, refused.body["error"]["code"].as_str()), (429, Some("rate_limited")));
    assert!(refused.headers.contains_key("retry-after"), "{:?}", refused.headers);
    assert_eq!(refused.headers["x-ratelimit-remaining"], "0");

    // Another address, and the X-Forwarded-For the untrusted client sent is not believed.
    let other = send(&app, read("2001:db8::1")).await;
    assert_eq!(other.status, 200, "{}", other.body);
    assert_eq!(other.headers["x-ratelimit-remaining"], "1");
    let spoofed = send(&app, read("198.51.100.7").header("x-forwarded-for", "192.0.2.200")).await;
    assert_eq!(spoofed.status, 429, "{}", spoofed.body);
    // Creating a session is another action, with a count of its own.
    let session = send(&app, Event::new("POST", "/api/v2/auth/anonymous").sent_from("198.51.100.7")).await;
    assert_eq!(session.status, 201, "{}", session.body);
}

#[test]
fn bad_configuration_names_the_variable() {
    let err = startup::Settings::from_lookup(startup::Host::Lambda, |name| {
        (name == "SENTIMENT_WATCHLIST").then(|| "AAPL,??".to_owned())
    })
    .unwrap_err();
    assert!(err.to_string().contains("SENTIMENT_WATCHLIST"), "{err}");
}
