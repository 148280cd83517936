//! A real EventBridge scheduled-event payload through the handler.

use lambda_runtime::{Context, Diagnostic, LambdaEvent};

const SCHEDULED_EVENT: &str = r#"{
  "version": "0",
  "id": "53dc4d37-cffa-4f76-80c9-8b7d4a4d2eaa",
  "detail-type": "Scheduled Event",
  "source": "aws.events",
  "account": "123456789012",
  "time": "2026-11-28T12:00:00Z",
  "region": "eu-west-1",
  "resources": ["arn:aws:events:eu-west-1:123456789012:rule/sentiment-analyzer-preprod-ingestion"],
  "detail": {}
}"#;

fn event() -> LambdaEvent<aws_lambda_events::eventbridge::EventBridgeEvent> {
    LambdaEvent::new(serde_json::from_str(SCHEDULED_EVENT).expect("event parses"), Context::default())
}

/// Lambda settings over the sample corpus and an embedded store in `dir`.
fn sample_settings(dir: &std::path::Path) -> startup::Settings {
    startup::Settings::from_lookup(startup::Host::Lambda, |name| match name {
        "SENTIMENT_STORE" => Some("embedded".into()),
        // Events are tested in `events.rs`; here they would go to a real EventBridge.
        "SENTIMENT_EVENTS" => Some("none".into()),
        "SENTIMENT_DATA_DIR" => Some(dir.display().to_string()),
        "SENTIMENT_SOURCE" => Some("sample".into()),
        "SENTIMENT_LOOKBACK" => Some("30d".into()),
        "SENTIMENT_ENVIRONMENT" => Some("preprod".into()),
        _ => None,
    })
    .unwrap()
}

#[tokio::test]
async fn a_scheduled_event_runs_the_pipeline_once() {
    let dir = tempfile::tempdir().unwrap();
    let settings = sample_settings(dir.path());
    let pipeline = lambda_ingestion::pipeline(&settings).await.unwrap();
    let first = lambda_ingestion::handle(&pipeline, event()).await.unwrap();
    assert_eq!(first.new, 502, "the sample corpus holds 502 stories");
    let second = lambda_ingestion::handle(&pipeline, event()).await.unwrap();
    assert_eq!(second.new, 0);
}

#[tokio::test]
async fn every_source_failing_is_a_typed_error() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing listens on this port: both vendors are unreachable.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dead = format!("http://127.0.0.1:{port}");
    let settings = startup::Settings::from_lookup(startup::Host::Lambda, |name| match name {
        "SENTIMENT_STORE" => Some("embedded".into()),
        // Events are tested in `events.rs`; here they would go to a real EventBridge.
        "SENTIMENT_EVENTS" => Some("none".into()),
        "SENTIMENT_DATA_DIR" => Some(dir.path().display().to_string()),
        "TIINGO_API_KEY" | "FINNHUB_API_KEY" => Some("k-very-secret".into()),
        "TIINGO_BASE_URL" | "FINNHUB_BASE_URL" => Some(dead.clone()),
        _ => None,
    })
    .unwrap();
    let pipeline = lambda_ingestion::pipeline(&settings).await.unwrap();
    let error = lambda_ingestion::handle(&pipeline, event()).await.unwrap_err();
    let diagnostic: Diagnostic = error.into();
    assert_eq!(diagnostic.error_type, "AllSourcesFailed");
    assert!(!diagnostic.error_message.contains("k-very-secret"));
}

#[test]
fn configuration_errors_name_what_to_fix() {
    let lambda =
        |get: &dyn Fn(&str) -> Option<String>| startup::Settings::from_lookup(startup::Host::Lambda, get);
    let keyless = lambda(&|_| None).expect("settings alone need no key");
    let none =
        tokio::runtime::Runtime::new().unwrap().block_on(lambda_ingestion::pipeline(&keyless)).err().unwrap();
    assert!(none.to_string().contains("TIINGO_API_KEY"), "{none}");
    let bad = lambda(&|n| (n == "SENTIMENT_LOOKBACK").then(|| "forever".into())).err().unwrap();
    assert!(bad.to_string().contains("SENTIMENT_LOOKBACK"), "{bad}");
    let bad = lambda(&|n| (n == "SENTIMENT_SOURCE").then(|| "rss".into())).err().unwrap();
    assert!(bad.to_string().contains("SENTIMENT_SOURCE"), "{bad}");
}

#[tokio::test]
async fn a_run_writes_its_metrics_as_emf() {
    let dir = tempfile::tempdir().unwrap();
    let settings = sample_settings(dir.path());
    let pipeline = lambda_ingestion::pipeline(&settings).await.unwrap();
    let summary = lambda_ingestion::handle(&pipeline, event()).await.unwrap();
    let lines = lambda_ingestion::metrics(&summary, "preprod", 1_764_000_000_000);
    let mut new_articles = 0.0;
    for line in &lines {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let directive = &value["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "SentimentAnalyzer");
        assert_eq!(value["_aws"]["Timestamp"], 1_764_000_000_000_i64);
        assert_eq!(value["Environment"], "preprod");
        for metric in directive["Metrics"].as_array().unwrap() {
            let name = metric["Name"].as_str().unwrap();
            assert!(value[name].is_number(), "{name} has a value in {line}");
        }
        if let Some(n) = value.get("NewArticles") {
            assert!(value["Source"].is_string());
            new_articles += n.as_f64().unwrap();
        }
    }
    assert_eq!(new_articles, summary.new as f64);
    assert!(lines.iter().any(|l| l.contains("IngestionDurationMs")));
}

#[test]
fn the_run_stops_a_margin_before_the_deadline() {
    use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
    assert_eq!(lambda_ingestion::stop_at(0, SystemTime::now()), None);
    let now = SystemTime::now();
    let in_a_minute = (now + Duration::from_secs(60)).duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
    let stop = lambda_ingestion::stop_at(in_a_minute, now).unwrap();
    let budget = stop.duration_since(Instant::now());
    assert!(budget > Duration::from_secs(45) && budget <= Duration::from_secs(50), "{budget:?}");
    let passed = (now - Duration::from_secs(1)).duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
    assert!(lambda_ingestion::stop_at(passed, now).unwrap() <= Instant::now());
}
