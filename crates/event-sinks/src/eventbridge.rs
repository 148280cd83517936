//! `SENTIMENT_EVENTS=eventbridge`: `PutEvents` on the bus `SENTIMENT_EVENT_BUS`, at most ten
//! entries and 256 KB per call (the API's limits). An entry too large on its own is reported
//! failed without being sent (it would fail its whole call). Entries the bus refused for a
//! passing reason (throttling, an internal failure) and calls that failed that way (after the
//! SDK's own retries) are tried again, up to `attempts` times in all; a refusal that cannot pass
//! (no such bus, access denied, a malformed entry) is not retried. What fails is reported,
//! never raised.

use async_trait::async_trait;
use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_eventbridge::primitives::DateTime as AwsDateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use domain::event::{Event, EventSink, PublishReport};

/// `PutEvents` takes at most this many entries.
pub const MAX_ENTRIES_PER_CALL: usize = 10;

/// `PutEvents` takes at most this many bytes per call, entries counted as AWS counts them
/// ([`entry_size`]); so no entry may be larger either.
pub const MAX_BYTES_PER_CALL: usize = 256 * 1024;

/// An entry's size as `PutEvents` counts it: 14 bytes for the time, plus the UTF-8 bytes of
/// the source, the detail type and the detail.
pub fn entry_size(entry: &PutEventsRequestEntry) -> usize {
    14 + [entry.source(), entry.detail_type(), entry.detail()]
        .iter()
        .map(|f| f.map_or(0, str::len))
        .sum::<usize>()
}

/// Error codes that say "try again later": anything else (no such bus, access denied, a
/// malformed entry) fails the same way every time.
fn passing(code: Option<&str>) -> bool {
    matches!(
        code,
        Some("ThrottlingException" | "InternalFailure" | "InternalException" | "ServiceUnavailable")
    )
}

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

    /// Entries, in order, cut into calls of at most [`MAX_ENTRIES_PER_CALL`] entries and
    /// [`MAX_BYTES_PER_CALL`] bytes; an entry too large for any call is reported failed.
    fn batches<'a>(
        &self,
        events: &'a [Event],
        report: &mut PublishReport,
    ) -> Vec<Vec<(&'a Event, PutEventsRequestEntry)>> {
        let mut batches: Vec<Vec<(&Event, PutEventsRequestEntry)>> = Vec::new();
        let mut bytes = 0;
        for event in events {
            let entry = match self.entry(event) {
                Ok(entry) => entry,
                Err(error) => {
                    report.fail(1, format!("event {}: {error}", event.id));
                    continue;
                }
            };
            let size = entry_size(&entry);
            if size > MAX_BYTES_PER_CALL {
                report.fail(
                    1,
                    format!("event {} is {size} bytes, over the {MAX_BYTES_PER_CALL} bytes an entry may be; not sent", event.id),
                );
                continue;
            }
            match batches.last_mut() {
                Some(batch) if batch.len() < MAX_ENTRIES_PER_CALL && bytes + size <= MAX_BYTES_PER_CALL => {
                    bytes += size;
                    batch.push((event, entry));
                }
                _ => {
                    bytes = size;
                    batches.push(vec![(event, entry)]);
                }
            }
        }
        batches
    }

    /// One call's worth, retried entry by entry; adds its outcome to `report`.
    async fn put_batch(&self, mut pending: Vec<(&Event, PutEventsRequestEntry)>, report: &mut PublishReport) {
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
                    let retryable = match &error {
                        SdkError::ServiceError(service) => passing(service.err().code()),
                        // Timeouts, connection and response errors may pass.
                        _ => true,
                    };
                    if !retryable {
                        break;
                    }
                }
                Ok(output) => {
                    // Results come in request order; an entry with an error code failed.
                    let results = output.entries();
                    let mut retry = Vec::new();
                    for (index, item) in pending.into_iter().enumerate() {
                        match results.get(index) {
                            Some(result) if result.error_code().is_none() => report.published += 1,
                            Some(result) => {
                                let error = format!(
                                    "entry refused: {} {}",
                                    result.error_code().unwrap_or_default(),
                                    result.error_message().unwrap_or_default()
                                );
                                if passing(result.error_code()) {
                                    retry.push(item);
                                    last_error = error;
                                } else {
                                    report.fail(
                                        1,
                                        format!("event {} not put on {}: {error}", item.0.id, self.bus),
                                    );
                                }
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
        for batch in self.batches(events, &mut report) {
            self.put_batch(batch, &mut report).await;
        }
        report
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};
    use domain::SourceKind;
    use domain::event::{Degradation, EventBody, EventKind, SourceHealth};

    use super::*;

    fn sink() -> EventBridgeSink {
        let config = aws_sdk_eventbridge::Config::builder()
            .behavior_version_latest()
            .region(aws_sdk_eventbridge::config::Region::new("us-east-1"))
            .build();
        EventBridgeSink::new(Client::from_conf(config), "bus")
    }

    fn event(n: usize, bytes: usize) -> Event {
        let occurred_at = Utc.with_ymd_and_hms(2026, 11, 30, 12, 0, 0).unwrap();
        Event {
            id: Event::id_for(EventKind::SourceDegraded, &[&n.to_string()]),
            occurred_at,
            body: EventBody::SourceDegraded(SourceHealth {
                source: SourceKind::Tiingo,
                reasons: vec![Degradation::QuotaExhausted {
                    window: "w".repeat(bytes),
                    resource: "calls".into(),
                    resets_at: occurred_at,
                }],
                previous: vec![],
            }),
        }
    }

    #[test]
    fn calls_hold_at_most_ten_entries_and_256_kb() {
        let sink = sink();
        let mut report = PublishReport::default();
        let small: Vec<Event> = (0..23).map(|n| event(n, 10)).collect();
        let sizes: Vec<usize> = sink.batches(&small, &mut report).iter().map(Vec::len).collect();
        assert_eq!(sizes, [10, 10, 3]);

        let large: Vec<Event> =
            [100_000, 100_000, 300_000, 100_000, 10].iter().enumerate().map(|(n, b)| event(n, *b)).collect();
        let batches = sink.batches(&large, &mut report);
        let ids: Vec<Vec<&str>> =
            batches.iter().map(|b| b.iter().map(|(e, _)| e.id.as_str()).collect()).collect();
        assert_eq!(
            ids,
            [
                vec![large[0].id.as_str(), large[1].id.as_str()],
                vec![large[3].id.as_str(), large[4].id.as_str()]
            ]
        );
        assert!(
            batches.iter().all(|b| b.iter().map(|(_, e)| entry_size(e)).sum::<usize>() <= MAX_BYTES_PER_CALL)
        );
        assert_eq!(report.failed, 1);
        assert!(report.errors[0].contains(&large[2].id), "{:?}", report.errors);
    }

    #[test]
    fn only_passing_refusals_are_retried() {
        assert!(passing(Some("ThrottlingException")) && passing(Some("InternalFailure")));
        assert!(!passing(Some("ResourceNotFoundException")) && !passing(Some("AccessDeniedException")));
        assert!(!passing(Some("MalformedDetail")) && !passing(None));
    }
}
