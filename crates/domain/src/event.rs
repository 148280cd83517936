//! Domain events: the facts the service tells the world (`docs/events.md`), their versioned
//! wire form, and the port that publishes them (`EventSink`). The wire form is EventBridge's
//! shape (source, detail-type, detail) because it is the most demanding sink; the log and
//! webhook sinks send the same three fields, and the store keeps them for `/api/v2/events`.
//!
//! The detail types are their own structs, not internal ones such as `RunSummary`, so the
//! published schema changes only when `SCHEMA_VERSION` does.

use std::collections::BTreeMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::run::{BreakerState, RunSummary, SourceStatus};
use crate::{ArticleId, SentimentLabel, SourceKind, Ticker};

/// EventBridge `source` of every event.
pub const EVENT_SOURCE: &str = "sentiment-analyzer";
/// `detail.schema_version`: bumped on any change a consumer could notice (a field renamed,
/// removed or given another meaning). Adding a field is not such a change.
pub const SCHEMA_VERSION: u32 = 1;

/// The event's name, which is its EventBridge `detail-type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum EventKind {
    IngestionCompleted,
    SentimentShifted,
    SourceDegraded,
    SourceRecovered,
}

impl EventKind {
    pub const ALL: [EventKind; 4] =
        [Self::IngestionCompleted, Self::SentimentShifted, Self::SourceDegraded, Self::SourceRecovered];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::IngestionCompleted => "IngestionCompleted",
            Self::SentimentShifted => "SentimentShifted",
            Self::SourceDegraded => "SourceDegraded",
            Self::SourceRecovered => "SourceRecovered",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One quota window of a source, as an `IngestionCompleted` reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaRemaining {
    /// `1h`, `1d`, `1mo`, ...
    pub window: String,
    /// `calls` or `symbols`.
    pub resource: String,
    pub remaining: u32,
    pub limit: u32,
    pub resets_at: DateTime<Utc>,
}

/// One source's part of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceRun {
    pub status: SourceStatus,
    pub fetched: usize,
    pub new: usize,
    pub duplicates: usize,
    pub errors: usize,
    /// `closed`, `open` or `half_open`; absent for the bundled sample corpus (no breaker).
    pub breaker: Option<BreakerState>,
    pub quota: Vec<QuotaRemaining>,
}

/// Detail of `IngestionCompleted`: one per run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestionCompleted {
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
    pub duration_ms: i64,
    pub status: SourceStatus,
    pub cut_short: Option<String>,
    pub tickers: usize,
    pub fetched: usize,
    pub new: usize,
    pub duplicates: usize,
    pub errors: usize,
    pub sources: BTreeMap<SourceKind, SourceRun>,
}

impl IngestionCompleted {
    pub fn from_run(run: &RunSummary) -> Self {
        let sources = run
            .sources
            .iter()
            .map(|(kind, s)| {
                let quota = s
                    .guard
                    .iter()
                    .flat_map(|g| &g.quota)
                    .map(|w| QuotaRemaining {
                        window: w.window.clone(),
                        resource: w.resource.clone(),
                        remaining: w.remaining,
                        limit: w.limit,
                        resets_at: w.resets_at,
                    })
                    .collect();
                let run = SourceRun {
                    status: s.status,
                    fetched: s.fetched,
                    new: s.new,
                    duplicates: s.duplicates,
                    errors: s.errors,
                    breaker: s.guard.as_ref().map(|g| g.breaker),
                    quota,
                };
                (*kind, run)
            })
            .collect();
        Self {
            started_at: run.started_at,
            finished_at: run.finished_at,
            duration_ms: (run.finished_at - run.started_at).num_milliseconds().max(0),
            status: run.status,
            cut_short: run.cut_short.clone(),
            tickers: run.tickers.len(),
            fetched: run.fetched,
            new: run.new,
            duplicates: run.duplicates,
            errors: run.errors,
            sources,
        }
    }
}

/// An article that moved a ticker's score, as a shift names it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MovingArticle {
    pub id: ArticleId,
    pub title: String,
    pub url: String,
    pub published_at: DateTime<Utc>,
    pub score: f64,
    pub label: SentimentLabel,
}

/// A ticker's sentiment at one moment, as the shift rule sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TickerScore {
    pub score: f64,
    pub label: SentimentLabel,
    /// Articles in the window the score is computed over.
    pub articles: i64,
    pub at: DateTime<Utc>,
}

/// Detail of `SentimentShifted`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SentimentShifted {
    pub ticker: Ticker,
    /// The window the scores are computed over, like the API's `window` (`7d`).
    pub window: String,
    /// The state last announced (or first seen) for this ticker.
    pub previous: TickerScore,
    pub current: TickerScore,
    /// `current.score - previous.score`.
    pub change: f64,
    /// Why it counts as a shift: `label` (the label changed) and/or `threshold` (the score
    /// moved by more than the threshold).
    pub reasons: Vec<ShiftReason>,
    /// The articles since `previous.at` that pushed hardest in the direction of the change,
    /// at most `MAX_MOVING_ARTICLES`.
    pub articles: Vec<MovingArticle>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShiftReason {
    Label,
    Threshold,
}

/// Why a source counts as degraded.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Degradation {
    /// Its circuit breaker is open: calls are not made.
    BreakerOpen,
    /// A quota window has nothing left until `resets_at`.
    QuotaExhausted { window: String, resource: String, resets_at: DateTime<Utc> },
    /// The upstream told us to wait.
    UpstreamBlocked { until: DateTime<Utc> },
}

/// Detail of `SourceDegraded` (`reasons` not empty) and `SourceRecovered` (`reasons` empty,
/// `previous` what it recovered from).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceHealth {
    pub source: SourceKind,
    pub reasons: Vec<Degradation>,
    pub previous: Vec<Degradation>,
}

/// What happened, by kind.
#[derive(Clone, Debug, PartialEq)]
pub enum EventBody {
    IngestionCompleted(IngestionCompleted),
    SentimentShifted(SentimentShifted),
    SourceDegraded(SourceHealth),
    SourceRecovered(SourceHealth),
}

impl EventBody {
    pub fn kind(&self) -> EventKind {
        match self {
            Self::IngestionCompleted(_) => EventKind::IngestionCompleted,
            Self::SentimentShifted(_) => EventKind::SentimentShifted,
            Self::SourceDegraded(_) => EventKind::SourceDegraded,
            Self::SourceRecovered(_) => EventKind::SourceRecovered,
        }
    }
}

/// An event: a stable id (the same fact always gets the same id, so a consumer can drop a
/// repeat), when it happened, and what.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub id: String,
    pub occurred_at: DateTime<Utc>,
    pub body: EventBody,
}

/// An event as it travels: EventBridge's `source`, `detail-type` and `detail`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WireEvent {
    pub source: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub detail: Value,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EventDecodeError {
    #[error("unknown event source {0:?}")]
    Source(String),
    #[error("unknown detail-type {0:?}")]
    DetailType(String),
    #[error("detail schema_version {0} is not {SCHEMA_VERSION}")]
    Version(u64),
    #[error("detail does not match the {kind} schema: {message}")]
    Detail { kind: EventKind, message: String },
}

/// The fields every detail carries, besides its kind's own.
#[derive(Serialize, Deserialize)]
struct Envelope {
    schema_version: u32,
    event_id: String,
    occurred_at: DateTime<Utc>,
}

impl Event {
    /// A deterministic id: the first 128 bits of SHA-256 over the kind and the parts that
    /// identify the fact (a ticker and its state version, a run's start, ...).
    pub fn id_for(kind: EventKind, parts: &[&str]) -> String {
        let mut hasher = Sha256::new();
        hasher.update(kind.as_str().as_bytes());
        for part in parts {
            hasher.update([0]);
            hasher.update(part.as_bytes());
        }
        hasher.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn ingestion_completed(run: &RunSummary) -> Self {
        let started = run.started_at.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
        Self {
            id: Self::id_for(EventKind::IngestionCompleted, &[&started]),
            occurred_at: run.finished_at,
            body: EventBody::IngestionCompleted(IngestionCompleted::from_run(run)),
        }
    }

    pub fn kind(&self) -> EventKind {
        self.body.kind()
    }

    /// The ticker or source the event is about, if any (for logs and filters).
    pub fn subject(&self) -> Option<String> {
        match &self.body {
            EventBody::IngestionCompleted(_) => None,
            EventBody::SentimentShifted(s) => Some(s.ticker.to_string()),
            EventBody::SourceDegraded(s) | EventBody::SourceRecovered(s) => Some(s.source.to_string()),
        }
    }

    /// The `detail` object: the envelope's fields, then the kind's own.
    pub fn detail(&self) -> Value {
        let body = match &self.body {
            EventBody::IngestionCompleted(d) => serde_json::to_value(d),
            EventBody::SentimentShifted(d) => serde_json::to_value(d),
            EventBody::SourceDegraded(d) | EventBody::SourceRecovered(d) => serde_json::to_value(d),
        };
        let mut detail = Map::new();
        detail.insert("schema_version".into(), SCHEMA_VERSION.into());
        detail.insert("event_id".into(), self.id.clone().into());
        detail.insert("occurred_at".into(), Value::String(self.occurred_at.to_rfc3339()));
        // The detail structs hold only strings, numbers, lists and maps with string keys, so
        // they always serialise; an empty object would still be a well-formed event.
        if let Ok(Value::Object(fields)) = body {
            detail.extend(fields);
        }
        Value::Object(detail)
    }

    pub fn to_wire(&self) -> WireEvent {
        WireEvent {
            source: EVENT_SOURCE.to_owned(),
            detail_type: self.kind().as_str().to_owned(),
            detail: self.detail(),
        }
    }

    /// Reads an event back from its wire form (the store, a queue, a webhook body).
    pub fn from_wire(wire: &WireEvent) -> Result<Self, EventDecodeError> {
        if wire.source != EVENT_SOURCE {
            return Err(EventDecodeError::Source(crate::text::preview(&wire.source)));
        }
        let kind = EventKind::parse(&wire.detail_type)
            .ok_or_else(|| EventDecodeError::DetailType(crate::text::preview(&wire.detail_type)))?;
        let bad = |e: serde_json::Error| EventDecodeError::Detail { kind, message: e.to_string() };
        let version = wire.detail.get("schema_version").and_then(Value::as_u64).unwrap_or(0);
        if version != u64::from(SCHEMA_VERSION) {
            return Err(EventDecodeError::Version(version));
        }
        let envelope = Envelope::deserialize(&wire.detail).map_err(bad)?;
        let body = match kind {
            EventKind::IngestionCompleted => {
                EventBody::IngestionCompleted(Deserialize::deserialize(&wire.detail).map_err(bad)?)
            }
            EventKind::SentimentShifted => {
                EventBody::SentimentShifted(Deserialize::deserialize(&wire.detail).map_err(bad)?)
            }
            EventKind::SourceDegraded => {
                EventBody::SourceDegraded(Deserialize::deserialize(&wire.detail).map_err(bad)?)
            }
            EventKind::SourceRecovered => {
                EventBody::SourceRecovered(Deserialize::deserialize(&wire.detail).map_err(bad)?)
            }
        };
        Ok(Self { id: envelope.event_id, occurred_at: envelope.occurred_at, body })
    }
}

/// What a sink did with a batch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishReport {
    pub published: usize,
    pub failed: usize,
    /// A few of the failures, described (no event contents beyond ids).
    pub errors: Vec<String>,
}

impl PublishReport {
    pub const MAX_ERRORS: usize = 5;

    pub fn fail(&mut self, count: usize, message: String) {
        self.failed += count;
        if self.errors.len() < Self::MAX_ERRORS {
            self.errors.push(message);
        }
    }

    pub fn merge(&mut self, other: PublishReport) {
        self.published += other.published;
        for error in other.errors {
            if self.errors.len() < Self::MAX_ERRORS {
                self.errors.push(error);
            }
        }
        self.failed += other.failed;
    }
}

/// Where events go: a log, a webhook, an EventBridge bus. A sink retries what it can and
/// reports the rest; it never fails the caller (an ingestion run never fails for an event).
#[async_trait]
pub trait EventSink: Send + Sync {
    /// `log`, `webhook`, `eventbridge`: for logs and metrics.
    fn name(&self) -> &'static str;

    async fn publish(&self, events: &[Event]) -> PublishReport;
}

/// Publishes nothing (tests, and callers that only record events).
pub struct NoSink;

#[async_trait]
impl EventSink for NoSink {
    fn name(&self) -> &'static str {
        "none"
    }

    async fn publish(&self, _events: &[Event]) -> PublishReport {
        PublishReport::default()
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;
    use crate::run::{GuardState, QuotaWindow, SourceSummary};

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 30, h, 0, 0).unwrap()
    }

    fn shifted() -> Event {
        let score = |score, label, h| TickerScore { score, label, articles: 12, at: at(h) };
        Event {
            id: Event::id_for(EventKind::SentimentShifted, &["NVDA", "2"]),
            occurred_at: at(12),
            body: EventBody::SentimentShifted(SentimentShifted {
                ticker: Ticker::parse("NVDA").unwrap(),
                window: "7d".into(),
                previous: score(0.42, SentimentLabel::Positive, 9),
                current: score(-0.19, SentimentLabel::Negative, 12),
                change: -0.61,
                reasons: vec![ShiftReason::Label, ShiftReason::Threshold],
                articles: vec![MovingArticle {
                    id: ArticleId::for_title("Nvidia export licences revoked"),
                    title: "Nvidia export licences revoked".into(),
                    url: "https://example.test/a".into(),
                    published_at: at(11),
                    score: -0.91,
                    label: SentimentLabel::Negative,
                }],
            }),
        }
    }

    #[test]
    fn the_wire_form_is_the_documented_shape_and_reads_back() {
        let event = shifted();
        let wire = event.to_wire();
        let json = serde_json::to_value(&wire).unwrap();
        assert_eq!(json["source"], "sentiment-analyzer");
        assert_eq!(json["detail-type"], "SentimentShifted");
        let detail = &json["detail"];
        assert_eq!(detail["schema_version"], 1);
        assert_eq!(detail["event_id"].as_str().unwrap().len(), 32);
        assert_eq!(detail["ticker"], "NVDA");
        assert_eq!(
            detail["previous"],
            json!({"score": 0.42, "label": "positive", "articles": 12, "at": "2026-11-30T09:00:00Z"})
        );
        assert_eq!(detail["reasons"], json!(["label", "threshold"]));
        assert_eq!(detail["articles"][0]["label"], "negative");
        assert_eq!(Event::from_wire(&wire).unwrap(), event);
    }

    #[test]
    fn every_kind_round_trips_and_ids_are_stable() {
        let mut summary = SourceSummary::new(SourceStatus::Ok);
        summary.guard = Some(GuardState {
            breaker: BreakerState::Closed,
            quota: vec![QuotaWindow {
                window: "1h".into(),
                resource: "calls".into(),
                used: 3,
                limit: 50,
                remaining: 47,
                resets_at: at(13),
            }],
            blocked_until: None,
        });
        let run = RunSummary {
            started_at: at(12),
            finished_at: at(12) + chrono::Duration::milliseconds(4210),
            status: SourceStatus::Ok,
            cut_short: None,
            tickers: vec![Ticker::parse("AAPL").unwrap()],
            fetched: 1,
            new: 1,
            duplicates: 0,
            errors: 0,
            sources: [(SourceKind::Tiingo, summary)].into_iter().collect(),
            events: None,
        };
        let completed = Event::ingestion_completed(&run);
        assert_eq!(completed.id, Event::ingestion_completed(&run).id);
        let detail = completed.detail();
        assert_eq!(detail["duration_ms"], 4210);
        assert_eq!(detail["sources"]["tiingo"]["breaker"], "closed");
        assert_eq!(detail["sources"]["tiingo"]["quota"][0]["remaining"], 47);
        let health = SourceHealth {
            source: SourceKind::Finnhub,
            reasons: vec![Degradation::BreakerOpen, Degradation::UpstreamBlocked { until: at(13) }],
            previous: vec![],
        };
        let degraded = Event {
            id: "a".repeat(32),
            occurred_at: at(12),
            body: EventBody::SourceDegraded(health.clone()),
        };
        assert_eq!(degraded.detail()["reasons"][0], json!({"kind": "breaker_open"}));
        let recovered = Event {
            id: "b".repeat(32),
            occurred_at: at(13),
            body: EventBody::SourceRecovered(SourceHealth {
                reasons: vec![],
                previous: health.reasons,
                ..health
            }),
        };
        for event in [completed, shifted(), degraded, recovered] {
            assert_eq!(Event::from_wire(&event.to_wire()).unwrap(), event, "{}", event.kind());
        }
        assert_ne!(
            Event::id_for(EventKind::SentimentShifted, &["NVDA", "2"]),
            Event::id_for(EventKind::SentimentShifted, &["NVDA", "3"])
        );
    }

    #[test]
    fn foreign_or_newer_events_are_refused_with_a_reason() {
        let mut wire = shifted().to_wire();
        wire.detail["schema_version"] = json!(2);
        assert_eq!(Event::from_wire(&wire), Err(EventDecodeError::Version(2)));
        let mut wire = shifted().to_wire();
        wire.detail_type = "SentimentSifted".into();
        assert!(matches!(Event::from_wire(&wire), Err(EventDecodeError::DetailType(_))));
        let mut wire = shifted().to_wire();
        wire.detail["ticker"] = json!("$$$");
        assert!(matches!(Event::from_wire(&wire), Err(EventDecodeError::Detail { .. })));
    }
}
