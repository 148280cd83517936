//! The events issue end to end, through the real binary: two live ingestion runs over fake
//! vendors turn AAPL from positive to negative on a DynamoDB table (moto); the second run
//! publishes exactly one `SentimentShifted` on the EventBridge bus (read back through a rule to
//! an SQS queue), and `serve` on the same table lists it at `/api/v2/events`.

mod support;

use std::process::Command;

use event_sinks::testing::BusQueue;
use serde_json::{Value, json};
use support::{Server, command, run, text};
use wiremock::matchers::path;
use wiremock::{Mock, MockServer, ResponseTemplate};

struct Aws {
    endpoint: String,
    table: String,
    shifts: BusQueue,
}

impl Aws {
    /// A table (made by `create-table`), a bus, and a rule sending the bus's
    /// `SentimentShifted` events to a queue.
    async fn start(endpoint: String) -> Self {
        let config = store_dynamodb::local_config(&endpoint).await;
        let table = store_dynamodb::testing::table_name("events");
        let bus = store_dynamodb::testing::table_name("sentiment-analyzer-e2e");
        let out = run(on_aws(command(&["create-table"]), &endpoint, &table, &bus));
        assert!(out.status.success(), "{}", text(&out.stderr));
        let shifts = BusQueue::create(
            &aws_sdk_eventbridge::Client::new(&config),
            aws_sdk_sqs::Client::new(&config),
            &bus,
            r#"{"source":["sentiment-analyzer"],"detail-type":["SentimentShifted"]}"#,
        )
        .await;
        Self { endpoint, table, shifts }
    }

    /// Everything the queue holds now (moto delivers synchronously with `PutEvents`).
    async fn drain(&self) -> Vec<Value> {
        self.shifts.drain().await
    }

    fn command(&self, args: &[&str]) -> Command {
        on_aws(command(args), &self.endpoint, &self.table, &self.shifts.bus)
    }
}

/// The variables an operator (or Terraform) sets: the table, the bus, and the AWS SDK's
/// standard endpoint, region and credentials.
fn on_aws(mut cmd: Command, endpoint: &str, table: &str, bus: &str) -> Command {
    cmd.env("AWS_ENDPOINT_URL", endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", "local")
        .env("AWS_SECRET_ACCESS_KEY", "local")
        .env("SENTIMENT_STORE", "dynamodb")
        .env("SENTIMENT_TABLE", table)
        .env("SENTIMENT_EVENTS", "eventbridge")
        .env("SENTIMENT_EVENT_BUS", bus);
    cmd
}

/// Tiingo's answer: one AAPL story per headline, published and crawled now.
fn tiingo(first_id: i64, headlines: &[&str]) -> ResponseTemplate {
    let now = chrono::Utc::now().to_rfc3339();
    let items: Vec<Value> = headlines
        .iter()
        .enumerate()
        .map(|(i, title)| {
            json!({"id": first_id + i as i64, "title": title, "url": format!("https://example.test/{}", first_id + i as i64),
                   "description": null, "publishedDate": now, "crawlDate": now, "source": "example.test",
                   "tickers": ["aapl"]})
        })
        .collect();
    ResponseTemplate::new(200).set_body_json(items)
}

const GOOD: [&str; 3] = [
    "Apple beats estimates and raises its full-year outlook",
    "Apple shares jump to a record high on strong iPhone demand",
    "Apple reports record quarterly revenue and profit growth",
];

const BAD: [&str; 8] = [
    "Apple shares plunge after a profit warning",
    "Apple cuts its revenue guidance as demand weakens",
    "Apple misses estimates as iPhone sales fall sharply",
    "Apple faces a costly antitrust fine in Europe",
    "Apple shares slump as analysts downgrade the stock",
    "Apple recalls devices over battery fire risk",
    "Apple sales decline for a third straight quarter",
    "Apple warns of weaker margins and lays off staff",
];

fn ingest(aws: &Aws, tiingo: &MockServer, finnhub: &MockServer) -> Value {
    let mut cmd = aws.command(&["ingest", "--once", "--source", "live"]);
    cmd.env("TIINGO_API_KEY", "tiingo-key-1")
        .env("FINNHUB_API_KEY", "finnhub-key-2")
        .env("TIINGO_BASE_URL", tiingo.uri())
        .env("FINNHUB_BASE_URL", finnhub.uri())
        .env("SENTIMENT_WATCHLIST", "AAPL");
    let out = run(cmd);
    assert!(out.status.success(), "{}\n{}", text(&out.stdout), text(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_that_turns_a_ticker_negative_publishes_one_shift_on_the_bus_and_in_the_api() {
    let test = "a_run_that_turns_a_ticker_negative_publishes_one_shift_on_the_bus_and_in_the_api";
    let Some(endpoint) = store_dynamodb::testing::endpoint(test) else { return };
    let aws = Aws::start(endpoint).await;
    let (tiingo_fake, finnhub_fake) = (MockServer::start().await, MockServer::start().await);
    Mock::given(path("/company-news"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&finnhub_fake)
        .await;

    // Run 1: good news. The first reading of a ticker is a baseline, not a shift.
    Mock::given(path("/tiingo/news")).respond_with(tiingo(100, &GOOD)).mount(&tiingo_fake).await;
    let first = ingest(&aws, &tiingo_fake, &finnhub_fake);
    assert_eq!(first["new"], 3, "{first}");
    assert!(aws.drain().await.is_empty(), "a first reading announces nothing");

    // Run 2: more bad news than good, in the same hour: AAPL turns negative.
    tiingo_fake.reset().await;
    Mock::given(path("/tiingo/news")).respond_with(tiingo(200, &BAD)).mount(&tiingo_fake).await;
    let second = ingest(&aws, &tiingo_fake, &finnhub_fake);
    assert_eq!(second["new"], 8, "{second}");
    let shifts = aws.drain().await;
    assert_eq!(shifts.len(), 1, "{shifts:?}");
    let shift = &shifts[0];
    assert_eq!(shift["source"], "sentiment-analyzer");
    assert_eq!(shift["detail-type"], "SentimentShifted");
    let detail = &shift["detail"];
    assert_eq!(detail["schema_version"], 1, "{detail}");
    assert_eq!(detail["ticker"], "AAPL", "{detail}");
    assert_eq!(detail["previous"]["label"], "positive", "{detail}");
    assert_eq!(detail["current"]["label"], "negative", "{detail}");
    assert_eq!(detail["current"]["articles"], 11, "{detail}");
    let movers = detail["articles"].as_array().unwrap_or_else(|| panic!("{detail}"));
    assert!(!movers.is_empty() && movers.len() <= 3, "{detail}");
    assert!(movers.iter().all(|a| BAD.contains(&a["title"].as_str().unwrap())), "{detail}");

    // Run 3: nothing new, nothing announced (no flapping, no repeat).
    let third = ingest(&aws, &tiingo_fake, &finnhub_fake);
    assert_eq!(third["new"], 0, "{third}");
    assert!(aws.drain().await.is_empty());

    // The API on the same table lists the same event (its own first run, over the same
    // fakes, finds nothing new).
    let mut serve = aws.command(&["serve", "--addr", "127.0.0.1:0", "--source", "live"]);
    serve
        .env("TIINGO_API_KEY", "tiingo-key-1")
        .env("FINNHUB_API_KEY", "finnhub-key-2")
        .env("TIINGO_BASE_URL", tiingo_fake.uri())
        .env("FINNHUB_BASE_URL", finnhub_fake.uri())
        .env("SENTIMENT_WATCHLIST", "AAPL");
    // The support's server and its client block: off the async runtime's worker.
    let detail = detail.clone();
    tokio::task::block_in_place(move || {
        let server = Server::spawn(serve);
        let (status, page) = server.get("/api/v2/events?limit=50");
        assert_eq!(status, 200, "{page}");
        let listed: Vec<&Value> =
            page["events"].as_array().unwrap().iter().filter(|e| e["type"] == "SentimentShifted").collect();
        assert_eq!(listed.len(), 1, "{page}");
        assert_eq!(listed[0]["id"], detail["event_id"], "{page}");
        assert_eq!(listed[0]["detail"], detail, "the API serves the detail exactly as published");
    });
}
