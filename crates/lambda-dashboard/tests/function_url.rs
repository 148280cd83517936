//! Function URL events (API Gateway HTTP API v2 payloads) through the real router.

use tower::ServiceExt;

fn event(method: &str, path: &str, query: &str) -> String {
    serde_json::json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {"host": "abc123.lambda-url.eu-west-1.on.aws", "accept": "application/json"},
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "abc123",
            "domainName": "abc123.lambda-url.eu-west-1.on.aws",
            "domainPrefix": "abc123",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9", "userAgent": "test"},
            "requestId": "req-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "28/Nov/2026:12:00:00 +0000",
            "timeEpoch": 1_795_000_000_000_i64
        },
        "isBase64Encoded": false
    })
    .to_string()
}

async fn call(app: &axum::Router, method: &str, path: &str, query: &str) -> (u16, serde_json::Value) {
    let request = lambda_http::request::from_str(&event(method, path, query)).expect("event parses");
    let response = app
        .clone()
        .oneshot(request.map(|body| axum::body::Body::from(body.to_vec())))
        .await
        .expect("router answers");
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null))
}

fn settings(dir: &std::path::Path) -> startup::Settings {
    startup::Settings::from_lookup(startup::Host::Lambda, |name| match name {
        "SENTIMENT_STORE" => Some("embedded".into()),
        "SENTIMENT_DATA_DIR" => Some(dir.display().to_string()),
        _ => None,
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

#[test]
fn bad_configuration_names_the_variable() {
    let err = startup::Settings::from_lookup(startup::Host::Lambda, |name| {
        (name == "SENTIMENT_WATCHLIST").then(|| "AAPL,??".to_owned())
    })
    .unwrap_err();
    assert!(err.to_string().contains("SENTIMENT_WATCHLIST"), "{err}");
}
