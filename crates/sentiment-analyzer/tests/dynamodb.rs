//! The end-to-end CLI tests again, on DynamoDB: a local server (moto) that the test script
//! starts, one fresh table per test, created by `sentiment-analyzer create-table`.

mod support;

use std::process::Command;

use serde_json::Value;
use support::{Server, command, run, text};

/// A `sentiment-analyzer` command pointed at the local DynamoDB server and `table`, through
/// the same variables an operator would set.
fn on_table(args: &[&str], endpoint: &str, table: &str) -> Command {
    let mut cmd = command(args);
    cmd.env("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("SENTIMENT_STORE", "dynamodb")
        .env("SENTIMENT_TABLE", table);
    cmd
}

fn endpoint(test: &str) -> Option<String> {
    store_dynamodb::testing::endpoint(test)
}

fn create_table(endpoint: &str, table: &str) {
    let out = run(on_table(&["create-table"], endpoint, table));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains(&format!("created table {table}")), "{}", text(&out.stdout));
}

#[test]
fn create_table_creates_recognises_and_names_differences() {
    let Some(endpoint) = endpoint("create_table_creates_recognises_and_names_differences") else { return };
    let table = store_dynamodb::testing::table_name("cli");
    create_table(&endpoint, &table);
    let again = run(on_table(&["create-table"], &endpoint, &table));
    assert_eq!(again.status.code(), Some(0), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("already exists with the same schema"), "{}", text(&again.stdout));

    // A table someone made by hand, with another sort key and no index or TTL.
    let other = store_dynamodb::testing::table_name("other");
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use aws_sdk_dynamodb::types::{
            AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
        };
        let config = store_dynamodb::local_config(&endpoint).await;
        let client = aws_sdk_dynamodb::Client::new(&config);
        let attribute = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap()
        };
        let key = |name: &str, kind| {
            KeySchemaElement::builder().attribute_name(name).key_type(kind).build().unwrap()
        };
        client
            .create_table()
            .table_name(&other)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute("PK"))
            .attribute_definitions(attribute("SORT"))
            .key_schema(key("PK", KeyType::Hash))
            .key_schema(key("SORT", KeyType::Range))
            .send()
            .await
            .unwrap();
    });
    let differs = run(on_table(&["create-table"], &endpoint, &other));
    assert_eq!(differs.status.code(), Some(1));
    let err = text(&differs.stderr);
    assert!(err.contains("key schema is PK/SORT, expected PK/SK"), "{err}");
    assert!(err.contains("index GSI1 is missing") && err.contains("TTL"), "{err}");
}

fn ingest(endpoint: &str, table: &str) -> Value {
    let out = run(on_table(&["ingest", "--once", "--source", "sample"], endpoint, table));
    assert!(out.status.success(), "ingest failed: {}", text(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("summary is JSON")
}

#[test]
fn ingesting_twice_then_serving_and_restarting_on_dynamodb() {
    let Some(endpoint) = endpoint("ingesting_twice_then_serving_and_restarting_on_dynamodb") else { return };
    let table = store_dynamodb::testing::table_name("cli");
    create_table(&endpoint, &table);
    let first = ingest(&endpoint, &table);
    assert_eq!(first["new"], 502, "{first}");
    let second = ingest(&endpoint, &table);
    assert_eq!(second["new"], 0, "{second}");
    assert_eq!(second["fetched"], first["fetched"]);

    let serve = |every: &str| {
        Server::spawn(on_table(&["serve", "--addr", "127.0.0.1:0", "--every", every], &endpoint, &table))
    };
    let mut server = serve("1h");
    server.wait_for_line("ingestion run finished");
    let (status, health) = server.get("/health");
    assert_eq!((status, health["store"].as_str()), (200, Some("ok")), "{health}");
    let (status, aapl) = server.get("/api/v2/tickers/AAPL/sentiment?window=30d");
    assert_eq!(status, 200, "{aapl}");
    let total = aapl["counts"]["total"].as_u64().unwrap();
    assert!(total >= 20, "{aapl}");
    let (_, articles) = server.get("/api/v2/articles?ticker=AAPL&limit=5");
    assert_eq!(articles["articles"].as_array().unwrap().len(), 5);
    server.signal("-INT");
    let (code, log) = server.wait();
    assert_eq!(code, Some(0), "{}", log.join("\n"));

    let mut again = serve("1h");
    let line = again.wait_for_line("ingestion run finished");
    assert!(line.contains("new=0"), "restarting adds no duplicate: {line}");
    let (_, kept) = again.get("/api/v2/tickers/AAPL/sentiment?window=30d");
    assert_eq!(kept["counts"]["total"].as_u64(), Some(total), "data kept across restart");
}
