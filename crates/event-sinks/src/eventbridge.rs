//! `SENTIMENT_EVENTS=eventbridge`: `PutEvents` on the bus `SENTIMENT_EVENT_BUS`, ten entries
//! per call (the API's limit). Entries the bus refused (`FailedEntryCount`, an error code per
//! entry) and calls that failed outright (after the SDK's own retries) are tried again, up to
//! `attempts` times in all; what still fails is reported, never raised.

use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::DisplayErrorContext;
use aws_sdk_eventbridge::primitives::DateTime as AwsDateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use domain::event::{Event, EventSink, PublishReport};

/// `PutEvents` takes at most this many entries.
pub const MAX_ENTRIES_PER_CALL: usize = 10;

pub struct EventBridgeSink {
    client: Client,
    bus: String,
    attempts: u32,
}

impl EventBridgeSink {
    pub fn new(client: Client, bus: impl Into<String>) -> Self {
        Self { client, bus: bus.into(), attempts: 3 }
    }

    pub fn bus(&self) -> &str {
        &self.bus
    }

    fn entry(&self, event: &Event) -> Result<PutEventsRequestEntry, String> {
        let wire = event.to_wire();
        let detail = serde_json::to_string(&wire.detail).map_err(|e| e.to_string())?;
        Ok(PutEventsRequestEntry::builder()
            .event_bus_name(&self.bus)
            .source(wire.source)
            .detail_type(wire.detail_type)
            .detail(detail)
            .time(AwsDateTime::from_millis(event.occurred_at.timestamp_millis()))
            .build())
    }

    /// One batch of at most ten, retried entry by entry; adds its outcome to `report`.
    async fn put_batch(&self, batch: &[&Event], report: &mut PublishReport) {
        let mut pending: Vec<(&Event, PutEventsRequestEntry)> = Vec::with_capacity(batch.len());
        for event in batch {
            match self.entry(event) {
                Ok(entry) => pending.push((event, entry)),
                Err(error) => report.fail(1, format!("event {}: {error}", event.id)),
            }
        }
        let mut attempt = 0;
        let mut last_error = String::new();
        while !pending.is_empty() && attempt < self.attempts.max(1) {
            if attempt > 0 {
                tokio::time::sleep(crate::backoff(attempt - 1)).await;
            }
            attempt += 1;
            let entries: Vec<PutEventsRequestEntry> = pending.iter().map(|(_, e)| e.clone()).collect();
            match self.client.put_events().set_entries(Some(entries)).send().await {
                Err(error) => {
                    last_error = format!("PutEvents failed: {}", DisplayErrorContext(&error));
                }
                Ok(output) => {
                    // Results come in request order; an entry with an error code failed.
                    let results = output.entries();
                    let mut retry = Vec::new();
                    for (index, item) in pending.into_iter().enumerate() {
                        match results.get(index) {
                            Some(result) if result.error_code().is_none() => report.published += 1,
                            Some(result) => {
                                last_error = format!(
                                    "entry refused: {} {}",
                                    result.error_code().unwrap_or_default(),
                                    result.error_message().unwrap_or_default()
                                );
                                retry.push(item);
                            }
                            None => {
                                last_error = "PutEvents answered fewer entries than it was sent".into();
                                retry.push(item);
                            }
                        }
                    }
                    pending = retry;
                }
            }
        }
        if !pending.is_empty() {
            let ids: Vec<&str> = pending.iter().map(|(e, _)| e.id.as_str()).collect();
            report.fail(
                pending.len(),
                format!(
                    "{} event(s) not put on {} after {attempt} attempt(s) ({}): {last_error}",
                    ids.len(),
                    self.bus,
                    ids.join(", ")
                ),
            );
        }
    }
}

#[async_trait]
impl EventSink for EventBridgeSink {
    fn name(&self) -> &'static str {
        "eventbridge"
    }

    async fn publish(&self, events: &[Event]) -> PublishReport {
        let mut report = PublishReport::default();
        let events: Vec<&Event> = events.iter().collect();
        for batch in events.chunks(MAX_ENTRIES_PER_CALL) {
            self.put_batch(batch, &mut report).await;
        }
        report
    }
}
