//! The OpenAPI document against the running router: every documented operation is routed,
//! answers one of its documented statuses, and its JSON body has the fields the schema
//! requires.

use std::collections::BTreeSet;
use std::sync::Arc;

use api::{AppState, router};
use axum::body::Body;
use axum::http::Request;
use chrono::{TimeZone, Utc};
use domain::FakeClock;
use serde_json::{Value, json};
use store_embedded::EmbeddedStore;
use tower::ServiceExt;

async fn send(
    app: &axum::Router,
    method: &str,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(token) = token {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = match body {
        Some(b) => {
            request = request.header("content-type", "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let response = app.clone().oneshot(request.body(body).unwrap()).await.unwrap();
    let status = response.status().as_u16();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Follows `$ref`s into `components.schemas`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

/// The properties a schema requires, including those of `allOf` parts (flattened structs).
fn required(doc: &Value, schema: &Value) -> BTreeSet<String> {
    let schema = resolve(doc, schema);
    let mut names: BTreeSet<String> = schema["required"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    for part in schema["allOf"].as_array().into_iter().flatten() {
        names.extend(required(doc, part));
    }
    names
}

#[tokio::test]
async fn every_documented_operation_answers_as_documented() {
    let clock = Arc::new(FakeClock::at(Utc.with_ymd_and_hms(2026, 11, 30, 15, 0, 0).unwrap()));
    let store = Arc::new(EmbeddedStore::in_memory(clock.clone()).unwrap());
    let watchlist = [domain::Ticker::parse("AAPL").unwrap()].into_iter().collect::<BTreeSet<_>>();
    let app = router(AppState::new(store, clock, watchlist));

    let (status, doc) = send(&app, "GET", "/api/v2/openapi.json", None, None).await;
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // The field checks below are not vacuous: schemas do list their required fields.
    let config_schema = json!({"$ref": "#/components/schemas/ConfigurationResponse"});
    assert!(required(&doc, &config_schema).contains("config_id"), "{}", doc["components"]);
    let sentiment_schema = json!({"$ref": "#/components/schemas/TickerSentiment"});
    assert!(required(&doc, &sentiment_schema).contains("counts"), "flattened fields are required too");

    let (_, session) = send(&app, "POST", "/api/v2/auth/anonymous", None, None).await;
    let token = session["token"].as_str().unwrap().to_owned();
    let (_, config) = send(
        &app,
        "POST",
        "/api/v2/configurations",
        Some(&token),
        Some(json!({"name": "Contract", "tickers": ["AAPL"]})),
    )
    .await;
    let config_id = config["config_id"].as_str().unwrap().to_owned();

    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations.push((path.clone(), method.to_uppercase(), operation.clone()));
        }
    }
    // Destructive operations last: deleting the configuration, then signing out.
    operations.sort_by_key(|(path, method, _)| match (method.as_str(), path.as_str()) {
        ("DELETE", _) => 1,
        (_, "/api/v2/auth/signout") => 2,
        _ => 0,
    });
    let mut seen = BTreeSet::new();
    for (path, method, operation) in &operations {
        let concrete =
            path.replace("{config_id}", &config_id).replace("{symbol}", "AAPL").replace("{ticker}", "AAPL");
        let query = match path.as_str() {
            "/api/v2/sentiment" | "/api/v2/trends" => "?tickers=AAPL",
            _ => "",
        };
        let body = match (method.as_str(), path.as_str()) {
            ("POST", "/api/v2/configurations") => {
                Some(json!({"name": "Second", "tickers": [{"symbol": "MSFT"}]}))
            }
            ("PATCH", _) => Some(json!({"name": "Renamed"})),
            ("POST", _) => Some(json!({})),
            _ => None,
        };
        let (status, answer) = send(&app, method, &format!("{concrete}{query}"), Some(&token), body).await;
        let documented: BTreeSet<u16> =
            operation["responses"].as_object().unwrap().keys().filter_map(|k| k.parse().ok()).collect();
        assert!(
            documented.contains(&status),
            "{method} {path}: {status} is not among {documented:?}: {answer}"
        );
        assert!(status < 300, "{method} {path}: the happy path failed with {status}: {answer}");
        if let Some(schema) =
            operation["responses"][status.to_string()]["content"]["application/json"].get("schema")
        {
            for field in required(&doc, schema) {
                assert!(answer.get(&field).is_some(), "{method} {path}: no {field} in {answer}");
            }
        }
        seen.insert(format!("{method} {path}"));
    }
    for expected in [
        "GET /health",
        "GET /api/v2/openapi.json",
        "GET /api/v2/tickers/{symbol}/sentiment",
        "GET /api/v2/articles",
        "GET /api/v2/events",
        "GET /api/v2/market/status",
        "GET /api/v2/quota",
        "GET /api/v2/sentiment",
        "GET /api/v2/trends",
        "POST /api/v2/auth/anonymous",
        "GET /api/v2/auth/session",
        "POST /api/v2/auth/extend",
        "POST /api/v2/auth/signout",
        "GET /api/v2/configurations",
        "POST /api/v2/configurations",
        "GET /api/v2/configurations/{config_id}",
        "PATCH /api/v2/configurations/{config_id}",
        "DELETE /api/v2/configurations/{config_id}",
        "GET /api/v2/configurations/{config_id}/sentiment",
        "GET /api/v2/configurations/{config_id}/sentiment/{ticker}/history",
        "GET /api/v2/configurations/{config_id}/heatmap",
    ] {
        assert!(seen.contains(expected), "{expected} is not documented");
    }
    assert_eq!(seen.len(), 21, "an operation is documented that this test does not know: {seen:?}");

    // A documented error: the body is the documented error shape.
    let (status, answer) = send(&app, "GET", "/api/v2/configurations", None, None).await;
    assert_eq!(status, 401);
    for field in required(&doc, &json!({"$ref": "#/components/schemas/ErrorBody"})) {
        assert!(answer.get(&field).is_some(), "{answer}");
    }
}
