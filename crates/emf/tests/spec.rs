//! The writer against the EMF specification: exact lines for the service's own metric sets,
//! every line read back and checked against the specification's structural rules, and each
//! limit breached by one.

use emf::names::{NAMESPACE, dimension, metric};
use emf::{EmfError, MAX_LINE_BYTES, Member, MetricSet, Unit};
use serde_json::{Value, json};

const T: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

fn per_source() -> MetricSet {
    MetricSet::new(NAMESPACE, T)
        .dimension(dimension::ENVIRONMENT, "prod")
        .dimension(dimension::SOURCE, "tiingo")
        .metric(metric::ARTICLES_FETCHED, 40u32, Unit::Count)
        .metric(metric::DUPLICATES_SKIPPED, 3u32, Unit::Count)
        .metric(metric::SOURCE_ERRORS, 0u32, Unit::Count)
        .metric(metric::CIRCUIT_OPEN, 0u32, Unit::Count)
        .property("runId", "run-7")
}

fn quota() -> MetricSet {
    MetricSet::new(NAMESPACE, T)
        .dimension(dimension::ENVIRONMENT, "prod")
        .dimension(dimension::SOURCE, "finnhub")
        .dimension(dimension::WINDOW, "minute")
        .rollup([dimension::ENVIRONMENT, dimension::SOURCE])
        .metric(metric::QUOTA_REMAINING, 57u64, Unit::Count)
}

fn run() -> MetricSet {
    MetricSet::new(NAMESPACE, T)
        .dimension(dimension::ENVIRONMENT, "prod")
        .metric(metric::NEW_ARTICLES, 0usize, Unit::Count)
        .metric(metric::INGESTION_DURATION_MS, 1234.5, Unit::Milliseconds)
}

fn api_latencies() -> MetricSet {
    MetricSet::new(NAMESPACE, T)
        .dimension(dimension::ENVIRONMENT, "prod")
        .dimension(dimension::ROUTE, "/api/v2/tickers/{ticker}/sentiment")
        .rollup([dimension::ENVIRONMENT])
        .metric(metric::API_LATENCY_MS, vec![12.0, 7.25, 480.0], Unit::Milliseconds)
        .property("requests", json!({"ok": 3}))
}

#[test]
fn golden_lines() {
    assert_eq!(
        per_source().to_line().unwrap(),
        concat!(
            r#"{"_aws":{"Timestamp":1767225600000,"CloudWatchMetrics":[{"Namespace":"SentimentAnalyzer","#,
            r#""Dimensions":[["Environment","Source"]],"Metrics":[{"Name":"ArticlesFetched","Unit":"Count"},"#,
            r#"{"Name":"DuplicatesSkipped","Unit":"Count"},{"Name":"SourceErrors","Unit":"Count"},"#,
            r#"{"Name":"CircuitOpen","Unit":"Count"}]}]},"Environment":"prod","Source":"tiingo","#,
            r#""ArticlesFetched":40,"DuplicatesSkipped":3,"SourceErrors":0,"CircuitOpen":0,"runId":"run-7"}"#,
        )
    );
    assert_eq!(
        quota().to_line().unwrap(),
        concat!(
            r#"{"_aws":{"Timestamp":1767225600000,"CloudWatchMetrics":[{"Namespace":"SentimentAnalyzer","#,
            r#""Dimensions":[["Environment","Source","Window"],["Environment","Source"]],"#,
            r#""Metrics":[{"Name":"QuotaRemaining","Unit":"Count"}]}]},"#,
            r#""Environment":"prod","Source":"finnhub","Window":"minute","QuotaRemaining":57}"#,
        )
    );
    assert!(run().to_line().unwrap().ends_with(r#""NewArticles":0,"IngestionDurationMs":1234.5}"#));
}

/// The specification's structural rules, checked on the parsed line.
fn assert_conforms(line: &str) {
    assert!(!line.contains('\n'), "one line: {line}");
    assert!(line.len() <= MAX_LINE_BYTES);
    let root: Value = serde_json::from_str(line).expect("a line is one JSON value");
    let root = root.as_object().expect("the root node is an object");
    let aws = root["_aws"].as_object().expect("_aws is an object");
    let mut aws_keys: Vec<&str> = aws.keys().map(String::as_str).collect();
    aws_keys.sort_unstable();
    assert_eq!(aws_keys, ["CloudWatchMetrics", "Timestamp"], "no other members in _aws");
    assert!(aws["Timestamp"].as_u64().is_some(), "Timestamp is a non-negative integer of ms");
    let directives = aws["CloudWatchMetrics"].as_array().expect("CloudWatchMetrics is an array");
    assert!(!directives.is_empty());
    let units: Vec<&str> = Unit::ALL.iter().map(|u| u.as_str()).collect();
    for directive in directives {
        let directive = directive.as_object().expect("a MetricDirective is an object");
        let mut keys: Vec<&str> = directive.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["Dimensions", "Metrics", "Namespace"], "no other members in a directive");
        let namespace = directive["Namespace"].as_str().expect("Namespace is a string");
        assert!((1..=1024).contains(&namespace.chars().count()));

        let sets = directive["Dimensions"].as_array().expect("Dimensions is an array");
        assert!(!sets.is_empty(), "Dimensions has at least one dimension set");
        for set in sets {
            let set = set.as_array().expect("Dimensions is an array of arrays");
            assert!(set.len() <= 30);
            for name in set {
                let name = name.as_str().expect("a dimension reference is a string");
                assert!((1..=250).contains(&name.chars().count()));
                let value = root.get(name).unwrap_or_else(|| panic!("dimension {name} is a root member"));
                let value = value.as_str().unwrap_or_else(|| panic!("dimension {name} has a string value"));
                assert!(value.chars().count() <= 1024);
            }
        }

        let metrics = directive["Metrics"].as_array().expect("Metrics is an array");
        assert!(metrics.len() <= 100);
        for definition in metrics {
            let definition = definition.as_object().expect("a MetricDefinition is an object");
            let name = definition["Name"].as_str().expect("Name is a string");
            assert!((1..=1024).contains(&name.chars().count()));
            if let Some(unit) = definition.get("Unit") {
                assert!(units.contains(&unit.as_str().expect("Unit is a string")), "{unit}");
            }
            match root.get(name).unwrap_or_else(|| panic!("metric {name} is a root member")) {
                Value::Number(_) => {}
                Value::Array(values) => {
                    assert!(!values.is_empty() && values.len() <= 100);
                    assert!(values.iter().all(Value::is_number), "metric {name}: numbers only");
                }
                other => panic!("metric {name} is {other}, not a number or array of numbers"),
            }
        }
    }
}

#[test]
fn every_line_meets_the_specification() {
    let no_dimensions = MetricSet::new("Other/Namespace", 0).metric("Widgets", 1.5e-3, Unit::None);
    for set in [per_source(), quota(), run(), api_latencies(), no_dimensions.clone()] {
        assert_conforms(&set.to_line().unwrap());
    }
    // A set without dimensions is one empty dimension set: the metric with no dimensions.
    let parsed: Value = serde_json::from_str(&no_dimensions.to_line().unwrap()).unwrap();
    assert_eq!(parsed["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json!([[]]));
    // Properties ride along as written; arrays stay arrays.
    let parsed: Value = serde_json::from_str(&api_latencies().to_line().unwrap()).unwrap();
    assert_eq!(parsed["ApiLatencyMs"], json!([12, 7.25, 480]));
    assert_eq!(parsed["requests"], json!({"ok": 3}));
    assert_eq!(
        parsed["_aws"]["CloudWatchMetrics"][0]["Dimensions"],
        json!([["Environment", "Route"], ["Environment"]])
    );
    // Every unit is written as the specification spells it.
    for unit in Unit::ALL {
        assert_conforms(&MetricSet::new(NAMESPACE, T).metric("M", 1u32, unit).to_line().unwrap());
    }
    assert_eq!(Unit::BytesPerSecond.as_str(), "Bytes/Second");
}

#[test]
fn sets_with_different_dimension_values_are_separate_lines() {
    let mut out = Vec::new();
    for source in ["tiingo", "finnhub"] {
        MetricSet::new(NAMESPACE, T)
            .dimension(dimension::ENVIRONMENT, "prod")
            .dimension(dimension::SOURCE, source)
            .metric(metric::ARTICLES_FETCHED, 1u32, Unit::Count)
            .write_to(&mut out)
            .unwrap();
    }
    let text = String::from_utf8(out).unwrap();
    assert!(text.ends_with('\n'));
    let sources: Vec<String> = text
        .lines()
        .map(|line| {
            assert_conforms(line);
            serde_json::from_str::<Value>(line).unwrap()["Source"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(sources, ["tiingo", "finnhub"]);
}

fn err(set: MetricSet) -> EmfError {
    set.to_line().expect_err("the set breaks a rule")
}

fn metrics(n: usize) -> MetricSet {
    (0..n).fold(MetricSet::new(NAMESPACE, T), |set, i| set.metric(format!("M{i}"), i, Unit::Count))
}

fn dimensions(n: usize) -> MetricSet {
    (0..n).fold(MetricSet::new(NAMESPACE, T), |set, i| set.dimension(format!("D{i}"), "v")).metric(
        "M",
        1u32,
        Unit::Count,
    )
}

#[test]
fn limits_on_metrics_dimensions_and_values() {
    assert_conforms(&metrics(100).to_line().unwrap());
    assert!(matches!(err(metrics(101)), EmfError::TooManyMetrics { count: 101 }));
    assert!(matches!(err(metrics(0)), EmfError::NoMetrics));

    assert_conforms(&dimensions(30).to_line().unwrap());
    assert!(matches!(err(dimensions(31)), EmfError::TooManyDimensions { count: 31 }));

    let values = |n: usize| MetricSet::new(NAMESPACE, T).metric("M", vec![1.0; n], Unit::Count);
    assert_conforms(&values(100).to_line().unwrap());
    assert!(matches!(err(values(101)), EmfError::TooManyValues { count: 101, .. }));
    assert!(matches!(err(values(0)), EmfError::NoValues { .. }));
}

#[test]
fn limits_on_names_and_values() {
    let long = |n: usize| "é".repeat(n); // two bytes each: the limits count characters
    let with_metric = |set: MetricSet| set.metric("M", 1u32, Unit::Count);

    assert!(with_metric(MetricSet::new(long(1024), T)).to_line().is_ok());
    assert!(matches!(
        err(with_metric(MetricSet::new(long(1025), T))),
        EmfError::TooLong { member: Member::Namespace, chars: 1025, max: 1024, .. }
    ));
    assert!(matches!(
        err(with_metric(MetricSet::new("", T))),
        EmfError::Empty { member: Member::Namespace, .. }
    ));

    let dimension =
        |name: String, value: String| with_metric(MetricSet::new(NAMESPACE, T).dimension(name, value));
    assert!(dimension(long(250), long(1024)).to_line().is_ok());
    assert!(matches!(
        err(dimension(long(251), "v".into())),
        EmfError::TooLong { member: Member::DimensionName, max: 250, .. }
    ));
    let e = err(dimension("Route".into(), long(1025)));
    assert!(matches!(&e, EmfError::TooLong { member: Member::DimensionValue, name, .. } if name == "Route"));
    assert!(!e.to_string().contains('é'), "the message names the dimension, not its value: {e}");
    assert!(matches!(
        err(dimension(String::new(), "v".into())),
        EmfError::Empty { member: Member::DimensionName, .. }
    ));
    assert!(matches!(
        err(dimension("Source".into(), String::new())),
        EmfError::Empty { member: Member::DimensionValue, name } if name == "Source"
    ));

    let metric = |name: String| MetricSet::new(NAMESPACE, T).metric(name, 1u32, Unit::Count);
    assert!(metric(long(1024)).to_line().is_ok());
    assert!(matches!(err(metric(long(1025))), EmfError::TooLong { member: Member::MetricName, .. }));
    assert!(matches!(err(metric(String::new())), EmfError::Empty { member: Member::MetricName, .. }));
    assert!(matches!(
        err(metric("M".into()).property("", 1)),
        EmfError::Empty { member: Member::PropertyName, .. }
    ));
}

#[test]
fn one_name_per_root_member() {
    let base = || MetricSet::new(NAMESPACE, T).dimension("Source", "tiingo").metric("M", 1u32, Unit::Count);
    for (set, name) in [
        (base().metric("M", 2u32, Unit::Count), "M"),
        (base().dimension("Source", "finnhub"), "Source"),
        (base().metric("Source", 2u32, Unit::Count), "Source"),
        (base().property("M", "text"), "M"),
        (base().property("_aws", json!({})), "_aws"),
        (base().dimension("_aws", "x"), "_aws"),
    ] {
        assert!(matches!(err(set), EmfError::DuplicateName { name: n } if n == name));
    }
}

#[test]
fn rollups_are_distinct_subsets() {
    let base = || {
        MetricSet::new(NAMESPACE, T).dimension("A", "1").dimension("B", "2").metric("M", 1u32, Unit::Count)
    };
    assert!(base().rollup(["A"]).rollup(Vec::<String>::new()).to_line().is_ok());
    assert!(matches!(err(base().rollup(["C"])), EmfError::UnknownDimension { name } if name == "C"));
    // The full set again, in another order, would publish every value twice.
    assert!(matches!(err(base().rollup(["B", "A"])), EmfError::DuplicateDimensionSet { .. }));
    assert!(matches!(err(base().rollup(["A"]).rollup(["A"])), EmfError::DuplicateDimensionSet { .. }));
    assert!(matches!(err(base().rollup(["A", "A"])), EmfError::DuplicateName { .. }));
}

#[test]
fn values_json_cannot_carry_are_errors() {
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let one = MetricSet::new(NAMESPACE, T).metric("Latency", bad, Unit::Milliseconds);
        assert!(matches!(err(one), EmfError::NotFinite { metric } if metric == "Latency"));
        let many = MetricSet::new(NAMESPACE, T).metric("Latency", vec![1.0, bad], Unit::Milliseconds);
        assert!(matches!(err(many), EmfError::NotFinite { .. }));
    }
    // Numbers that are finite but not whole stay exact.
    let line = MetricSet::new(NAMESPACE, T).metric("M", vec![-0.0, 0.1, 1e300, -2.5], Unit::None).to_line();
    let parsed: Value = serde_json::from_str(&line.unwrap()).unwrap();
    assert_eq!(parsed["M"], json!([0, 0.1, 1e300, -2.5]));
}

#[test]
fn timestamp_size_and_writer_failures() {
    assert!(matches!(
        err(MetricSet::new(NAMESPACE, -1).metric("M", 1u32, Unit::Count)),
        EmfError::NegativeTimestamp { timestamp_ms: -1 }
    ));
    let huge = MetricSet::new(NAMESPACE, T)
        .metric("M", 1u32, Unit::Count)
        .property("blob", "x".repeat(MAX_LINE_BYTES));
    assert!(matches!(err(huge), EmfError::TooLarge { max: MAX_LINE_BYTES, .. }));

    struct Broken;
    impl std::io::Write for Broken {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let e = run().write_to(&mut Broken).unwrap_err();
    assert!(matches!(e, EmfError::Io(_)));
    assert!(std::error::Error::source(&e).is_some(), "the I/O cause is kept");
    // A set that breaks a rule writes nothing at all.
    let mut out = Vec::new();
    assert!(metrics(101).write_to(&mut out).is_err());
    assert!(out.is_empty());
}
