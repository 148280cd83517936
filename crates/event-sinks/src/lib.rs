//! Adapters of the domain's `EventSink` port (`SENTIMENT_EVENTS`): `log` writes one JSON line
//! per event, `webhook` POSTs each event to a URL, `eventbridge` puts them on a bus. Each
//! sends the event's wire form (`source`, `detail-type`, `detail`; `docs/events.md`), retries
//! what may succeed on a second try, and reports the rest: a sink never fails its caller.

pub mod eventbridge;
pub mod log;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod webhook;

pub use eventbridge::EventBridgeSink;
pub use log::LogSink;
pub use webhook::{WebhookConfig, WebhookSink};

/// Waits before retry `attempt` (0-based): 100 ms, 200 ms, 400 ms, ... at most 2 s. The
/// callers are a run's final step; a short, bounded wait is worth more than jitter here.
pub(crate) fn backoff(attempt: u32) -> std::time::Duration {
    std::time::Duration::from_millis(100u64.saturating_mul(1 << attempt.min(5)).min(2000))
}
