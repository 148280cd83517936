//! The sinks against real receivers: the log sink into a buffer, the webhook sink against a
//! local HTTP server (answering, failing, slow), the EventBridge sink against the moto server
//! of `SENTIMENT_TEST_DYNAMODB` (moto serves EventBridge and SQS on the same endpoint), read
//! back through a rule to an SQS queue.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{TimeZone, Utc};
use domain::SourceKind;
use domain::event::{Degradation, Event, EventBody, EventKind, EventSink, SourceHealth, WireEvent};
use event_sinks::{EventBridgeSink, LogSink, WebhookConfig, WebhookSink};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn event(n: usize) -> Event {
    let kind = EventKind::SourceDegraded;
    Event {
        id: Event::id_for(kind, &["finnhub", &n.to_string()]),
        occurred_at: Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap(),
        body: EventBody::SourceDegraded(SourceHealth {
            source: SourceKind::Finnhub,
            reasons: vec![Degradation::BreakerOpen],
            previous: vec![],
        }),
    }
}

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn the_log_sink_writes_one_json_line_per_event() {
    let buffer = Buffer::default();
    let sink = LogSink::to(Box::new(buffer.clone()));
    let report = sink.publish(&[event(1), event(2)]).await;
    assert_eq!((report.published, report.failed), (2, 0));
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    let wire: WireEvent = serde_json::from_str(lines[1]).unwrap();
    assert_eq!(Event::from_wire(&wire).unwrap(), event(2));
}

const TOKEN: &str = "s3cr3t-hook-token";

fn webhook(server: &MockServer, timeout: Duration) -> WebhookSink {
    let url = format!("{}/hooks/{TOKEN}", server.uri()).parse().unwrap();
    WebhookSink::new(WebhookConfig { timeout, attempts: 3, ..WebhookConfig::new(url) }).unwrap()
}

#[tokio::test]
async fn the_webhook_gets_each_event_as_its_wire_json() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(format!("/hooks/{TOKEN}")))
        .and(header("content-type", "application/json"))
        .respond_with(ResponseTemplate::new(204))
        .expect(3)
        .mount(&server)
        .await;
    let report = webhook(&server, Duration::from_secs(5)).publish(&[event(1), event(2), event(3)]).await;
    assert_eq!((report.published, report.failed), (3, 0), "{report:?}");
    let received = server.received_requests().await.unwrap();
    let mut ids: Vec<String> = received
        .iter()
        .map(|r| {
            let wire: WireEvent = serde_json::from_slice(&r.body).unwrap();
            let event = Event::from_wire(&wire).unwrap();
            assert_eq!(r.headers["x-event-id"].to_str().unwrap(), event.id);
            assert_eq!(r.headers["x-event-type"].to_str().unwrap(), "SourceDegraded");
            event.id
        })
        .collect();
    ids.sort();
    let mut expected: Vec<String> = (1..=3).map(|n| event(n).id).collect();
    expected.sort();
    assert_eq!(ids, expected);
}

#[tokio::test]
async fn a_failing_receiver_is_retried_and_then_reported_without_its_url() {
    let server = MockServer::start().await;
    // Two 503s, then it takes the event.
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .mount(&server)
        .await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(200)).mount(&server).await;
    let report = webhook(&server, Duration::from_secs(5)).publish(&[event(1)]).await;
    assert_eq!((report.published, report.failed), (1, 0), "{report:?}");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);

    let down = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(500)).mount(&down).await;
    let report = webhook(&down, Duration::from_secs(5)).publish(&[event(1)]).await;
    assert_eq!((report.published, report.failed), (0, 1));
    assert_eq!(down.received_requests().await.unwrap().len(), 3, "3 attempts in all");
    let error = &report.errors[0];
    assert!(error.contains("500") && error.contains("3 attempt"), "{error}");
    assert!(!error.contains(TOKEN), "the URL's path may hold a token: {error}");

    // A 4xx other than 408 and 429 will not pass on a second try.
    let refusing = MockServer::start().await;
    Mock::given(method("POST")).respond_with(ResponseTemplate::new(400)).mount(&refusing).await;
    let report = webhook(&refusing, Duration::from_secs(5)).publish(&[event(1)]).await;
    assert_eq!(report.failed, 1);
    assert_eq!(refusing.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_slow_receiver_times_out_and_the_event_is_reported_failed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_secs(5)))
        .mount(&server)
        .await;
    let started = std::time::Instant::now();
    let report = webhook(&server, Duration::from_millis(200)).publish(&[event(1)]).await;
    assert_eq!((report.published, report.failed), (0, 1), "{report:?}");
    assert!(report.errors[0].contains("timed out"), "{:?}", report.errors);
    assert!(!report.errors[0].contains(TOKEN));
    // Three attempts of 200 ms plus the backoff between them, not the receiver's 5 s each.
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
}

#[tokio::test]
async fn nothing_listening_is_a_reported_failure() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let url = format!("http://127.0.0.1:{port}/hooks/{TOKEN}").parse().unwrap();
    let sink = WebhookSink::new(WebhookConfig { attempts: 2, ..WebhookConfig::new(url) }).unwrap();
    let report = sink.publish(&[event(1), event(2)]).await;
    assert_eq!((report.published, report.failed), (0, 2));
    assert!(report.errors.iter().all(|e| !e.contains(TOKEN)), "{:?}", report.errors);
}

mod eventbridge {
    use event_sinks::testing::BusQueue;

    use super::*;

    #[tokio::test]
    async fn events_arrive_on_the_bus_in_the_documented_shape() {
        let test = "events_arrive_on_the_bus_in_the_documented_shape";
        let Some(endpoint) = store_dynamodb::testing::endpoint(test) else { return };
        let config = store_dynamodb::local_config(&endpoint).await;
        let events = aws_sdk_eventbridge::Client::new(&config);
        let bus = store_dynamodb::testing::table_name("sentiment-analyzer-test");
        let queue = BusQueue::create(
            &events,
            aws_sdk_sqs::Client::new(&config),
            &bus,
            r#"{"source":["sentiment-analyzer"]}"#,
        )
        .await;

        // 23 events: three PutEvents calls of at most 10.
        let sent: Vec<Event> = (0..23).map(event).collect();
        let report = EventBridgeSink::new(events.clone(), bus.clone()).publish(&sent).await;
        assert_eq!((report.published, report.failed), (23, 0), "{report:?}");

        let mut received: Vec<Event> = Vec::new();
        for envelope in queue.drain().await {
            assert_eq!(envelope["source"], "sentiment-analyzer");
            assert_eq!(envelope["detail-type"], "SourceDegraded");
            assert_eq!(envelope["detail"]["schema_version"], 1);
            let wire = WireEvent {
                source: envelope["source"].as_str().unwrap().into(),
                detail_type: envelope["detail-type"].as_str().unwrap().into(),
                detail: envelope["detail"].clone(),
            };
            received.push(Event::from_wire(&wire).unwrap());
        }
        received.sort_by(|a, b| a.id.cmp(&b.id));
        let mut expected = sent.clone();
        expected.sort_by(|a, b| a.id.cmp(&b.id));
        assert_eq!(received, expected);
    }

    /// An event whose window name is `bytes` long: large events, for the size limits.
    fn large(n: usize, bytes: usize) -> Event {
        let mut e = event(n);
        e.body = EventBody::SourceDegraded(SourceHealth {
            source: SourceKind::Tiingo,
            reasons: vec![Degradation::QuotaExhausted {
                window: "w".repeat(bytes),
                resource: "calls".into(),
                resets_at: e.occurred_at,
            }],
            previous: vec![],
        });
        e
    }

    #[tokio::test]
    async fn calls_stay_under_256_kb_and_an_entry_over_it_fails_alone() {
        let test = "calls_stay_under_256_kb_and_an_entry_over_it_fails_alone";
        let Some(endpoint) = store_dynamodb::testing::endpoint(test) else { return };
        let config = store_dynamodb::local_config(&endpoint).await;
        let events = aws_sdk_eventbridge::Client::new(&config);
        let bus = store_dynamodb::testing::table_name("sentiment-analyzer-size");
        events.create_event_bus().name(&bus).send().await.unwrap();
        // Three of 100 KB cannot share one call; one of 300 KB cannot be sent at all.
        let sent = vec![large(1, 100_000), large(2, 100_000), large(3, 300_000), large(4, 100_000), event(5)];
        let report = EventBridgeSink::new(events, bus).publish(&sent).await;
        assert_eq!((report.published, report.failed), (4, 1), "{report:?}");
        assert!(report.errors[0].contains(&sent[2].id) && report.errors[0].contains("bytes"), "{report:?}");
    }

    #[tokio::test]
    async fn a_bus_that_is_not_there_is_reported_never_raised() {
        let test = "a_bus_that_is_not_there_is_reported_never_raised";
        let Some(endpoint) = store_dynamodb::testing::endpoint(test) else { return };
        let config = store_dynamodb::local_config(&endpoint).await;
        let client = aws_sdk_eventbridge::Client::new(&config);
        let sink = EventBridgeSink::new(client, "no-such-bus-3f9a");
        let report = sink.publish(&(0..12).map(event).collect::<Vec<_>>()).await;
        assert_eq!(report.published + report.failed, 12, "{report:?}");
        assert_eq!(report.failed, 12, "{report:?}");
    }
}
