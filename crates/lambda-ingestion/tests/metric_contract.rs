//! The metric contract between the code and the monitoring Terraform: every metric the
//! CloudWatch dashboard charts or an alarm reads in the service's namespace, with the
//! dimension names it is read under, is one the code really writes with exactly those
//! dimensions. A renamed metric, a dropped dimension or a chart of something nobody emits
//! fails here rather than drawing an empty graph or an alarm that never fires.
//!
//! The emitted side comes from the real emitters: an ingestion run's lines (with a live
//! source's breaker and quota state) and the dashboard API's per-request line. The read side
//! is parsed from `infrastructure/terraform/modules/monitoring/*.tf`.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};

/// A metric and the dimension names it is written or read under.
type Reading = (String, BTreeSet<String>);

fn emitted_by(lines: &[String], into: &mut BTreeSet<Reading>) {
    for line in lines {
        let value: Value = serde_json::from_str(line).unwrap();
        let directive = &value["_aws"]["CloudWatchMetrics"][0];
        for metric in directive["Metrics"].as_array().unwrap() {
            for set in directive["Dimensions"].as_array().unwrap() {
                let dims = set.as_array().unwrap().iter().map(|d| d.as_str().unwrap().to_owned()).collect();
                into.insert((metric["Name"].as_str().unwrap().to_owned(), dims));
            }
        }
    }
}

async fn emitted() -> BTreeSet<Reading> {
    let dir = tempfile::tempdir().unwrap();
    let settings = startup::Settings::from_lookup(startup::Host::Lambda, |name| match name {
        "SENTIMENT_STORE" => Some("embedded".into()),
        // Events are tested in `events.rs`; here they would go to a real EventBridge.
        "SENTIMENT_EVENTS" => Some("none".into()),
        "SENTIMENT_DATA_DIR" => Some(dir.path().display().to_string()),
        "SENTIMENT_SOURCE" => Some("sample".into()),
        _ => None,
    })
    .unwrap();
    let pipeline = lambda_ingestion::pipeline(&settings).await.unwrap();
    let event = lambda_runtime::LambdaEvent::new(
        serde_json::from_value(json!({
            "version": "0", "id": "1", "detail-type": "Scheduled Event", "source": "aws.events",
            "account": "123456789012", "time": "2026-11-30T12:00:00Z", "region": "us-east-1",
            "resources": [], "detail": {}
        }))
        .unwrap(),
        lambda_runtime::Context::default(),
    );
    let summary = lambda_ingestion::handle(&pipeline, event).await.unwrap();
    // The sample corpus has no breaker or quota; give each source a live source's state.
    let mut summary = serde_json::to_value(&summary).unwrap();
    for (_, source) in summary["sources"].as_object_mut().unwrap() {
        source["guard"] = json!({
            "breaker": "open", "blocked_until": null,
            "quota": [{"window": "1h", "resource": "calls", "used": 3, "limit": 50, "remaining": 47,
                       "resets_at": "2026-11-30T13:00:00Z"}]
        });
    }
    let summary = serde_json::from_value(summary).unwrap();
    let mut readings = BTreeSet::new();
    emitted_by(&lambda_ingestion::metrics(&summary, "preprod", 1_764_000_000_000), &mut readings);

    let clock: Arc<dyn domain::Clock> = Arc::new(domain::SystemClock);
    let api = lambda_dashboard::metrics::ApiMetrics {
        environment: "preprod".into(),
        clock,
        sink: Arc::new(|_: &str| {}),
    };
    let line = api.line("/api/v2/configurations", 429, 12.5, Some("req")).unwrap();
    emitted_by(&[line], &mut readings);
    readings
}

fn monitoring_module() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../infrastructure/terraform/modules/monitoring")
}

fn quoted(token: &str) -> Option<String> {
    let token = token.trim().trim_end_matches(']').trim();
    token.strip_prefix('"')?.strip_suffix('"').map(str::to_owned)
}

/// `[local.ns, "Metric", "Dim", value, "Dim", value, { stat = ... }]` on the dashboard.
fn dashboard_reading(line: &str) -> Option<Reading> {
    let rest = &line[line.find("[local.ns,")? + "[local.ns,".len()..];
    let rest = rest.split('{').next().unwrap_or(rest);
    let tokens: Vec<&str> = rest.split(',').collect();
    let metric = quoted(tokens.first()?)?;
    let dims = tokens.iter().skip(1).step_by(2).filter_map(|t| quoted(t)).collect();
    Some((metric, dims))
}

/// `SEARCH('{${local.ns},Dim,Dim} MetricName=\"Metric\" ...')` on the dashboard.
fn search_reading(line: &str) -> Option<Reading> {
    let schema = &line[line.find("{${local.ns},")? + "{${local.ns},".len()..];
    let dims = schema[..schema.find('}')?].split(',').map(|d| d.trim().to_owned()).collect();
    let name = &line[line.find("MetricName=\\\"")? + "MetricName=\\\"".len()..];
    Some((name[..name.find('\\')?].to_owned(), dims))
}

/// `namespace = var.metric_namespace, metric_name = "Metric", ..., dimensions = ...` in an alarm.
fn alarm_reading(line: &str) -> Option<Reading> {
    if !line.contains("namespace = var.metric_namespace") {
        return None;
    }
    let name = &line[line.find("metric_name = \"")? + "metric_name = \"".len()..];
    let metric = name[..name.find('"')?].to_owned();
    let dimensions = &line[line.find("dimensions =")?..];
    let mut dims = BTreeSet::new();
    if dimensions.contains("local.app_dimensions") {
        dims.insert("Environment".to_owned());
    }
    for extra in dimensions.split('{').skip(1) {
        if let Some((dim, _)) = extra.split_once('=') {
            dims.insert(dim.trim().to_owned());
        }
    }
    Some((metric, dims))
}

fn read_by_terraform() -> BTreeSet<(String, Reading)> {
    let mut readings = BTreeSet::new();
    for file in ["dashboard.tf", "alarms.tf"] {
        let text = std::fs::read_to_string(monitoring_module().join(file)).unwrap();
        for (n, line) in text.lines().enumerate() {
            let place = format!("{file}:{}", n + 1);
            for reading in
                [dashboard_reading(line), search_reading(line), alarm_reading(line)].into_iter().flatten()
            {
                readings.insert((place.clone(), reading));
            }
        }
    }
    readings
}

#[test]
fn terraform_reads_the_namespace_the_code_writes() {
    let variables = std::fs::read_to_string(monitoring_module().join("variables.tf")).unwrap();
    let block = &variables[variables.find("variable \"metric_namespace\"").expect("the variable")..];
    let default = block.lines().find_map(|l| l.trim().strip_prefix("default")).expect("a default");
    assert_eq!(default.trim().trim_start_matches('=').trim(), format!("\"{}\"", emf::names::NAMESPACE));
}

#[tokio::test]
async fn every_metric_terraform_reads_is_one_the_code_writes() {
    let emitted = emitted().await;
    let read = read_by_terraform();
    // The parser must see the metrics the runbook's tables rest on, or it proves nothing.
    let names: BTreeSet<&str> = read.iter().map(|(_, (metric, _))| metric.as_str()).collect();
    for expected in
        ["ApiLatencyMs", "Api5xx", "Api429", "ApiRequests", "NewArticles", "CircuitOpen", "QuotaRemaining"]
    {
        assert!(
            names.contains(expected),
            "the monitoring module no longer reads {expected}? parsed: {names:?}"
        );
    }
    let missing: Vec<String> = read
        .iter()
        .filter(|(_, reading)| !emitted.contains(reading))
        .map(|(place, (metric, dims))| format!("{place}: {metric} by {dims:?}"))
        .collect();
    assert!(
        missing.is_empty(),
        "read by Terraform but never written:\n{}\nwritten: {emitted:#?}",
        missing.join("\n")
    );
}

#[test]
fn the_parser_reads_each_form() {
    let dims = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<BTreeSet<_>>();
    assert_eq!(
        dashboard_reading(r#"  [local.ns, "ArticlesFetched", "Environment", local.env, "Source", source],"#),
        Some(("ArticlesFetched".into(), dims(&["Environment", "Source"])))
    );
    assert_eq!(
        dashboard_reading(r#"[local.ns, "ApiLatencyMs", "Environment", local.env, { stat = "p95" }],"#),
        Some(("ApiLatencyMs".into(), dims(&["Environment"])))
    );
    assert_eq!(
        search_reading(
            r#"expression = "SEARCH('{${local.ns},Environment,Route} MetricName=\"ApiLatencyMs\" Environment=\"${local.env}\"', 'p95', 300)""#
        ),
        Some(("ApiLatencyMs".into(), dims(&["Environment", "Route"])))
    );
    assert_eq!(
        alarm_reading(
            r#"x = { namespace = var.metric_namespace, metric_name = "CircuitOpen", stat = "Maximum", dimensions = merge(local.app_dimensions, { Source = source }) }"#
        ),
        Some(("CircuitOpen".into(), dims(&["Environment", "Source"])))
    );
    assert_eq!(alarm_reading(r#"{ namespace = local.lambda_namespace, metric_name = "Errors" }"#), None);
}
