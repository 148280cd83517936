//! The ingestion Lambda: one pipeline run per EventBridge scheduled event. Settings come from
//! the environment (the same `SENTIMENT_*` variables as the CLI; the store defaults to
//! DynamoDB here) and the pipeline is built once per container; each event runs it.
//!
//! A run stops starting upstream calls and writes a safety margin before the invocation's
//! deadline, so a slow upstream ends as a partial run (watermarks kept where everything was
//! stored) rather than a timed-out one. Each run returns and logs its summary and writes its
//! metrics as CloudWatch EMF lines on stdout.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_lambda_events::eventbridge::EventBridgeEvent;
use domain::run::{BreakerState, RunSummary};
use domain::{Clock, SystemClock};
use emf::names::{dimension, metric};
use emf::{MetricSet, Unit};
use ingestion::{Pipeline, PipelineError};
use lambda_runtime::{Diagnostic, LambdaEvent};
use startup::Settings;

pub use startup::parts::StartupError;

/// The metrics namespace the dashboards and alarms read.
pub use emf::names::NAMESPACE;
/// Time kept back from the deadline: for the writes in flight, the run record, the summary.
const MAX_MARGIN: Duration = Duration::from_secs(10);

#[derive(Debug, thiserror::Error)]
pub enum InvocationError {
    #[error("nothing could be fetched or stored: {0}")]
    AllSourcesFailed(String),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

impl From<InvocationError> for Diagnostic {
    fn from(error: InvocationError) -> Self {
        let error_type = match &error {
            InvocationError::AllSourcesFailed(_) => "AllSourcesFailed",
            InvocationError::Pipeline(PipelineError::Watchlist(_)) => "StoreUnavailable",
        };
        Diagnostic { error_type: error_type.into(), error_message: domain::error_report::cause_chain(&error) }
    }
}

/// What a container keeps between invocations.
pub struct Ingestion {
    pipeline: Pipeline,
    clock: Arc<dyn Clock>,
    environment: String,
}

pub async fn pipeline(settings: &Settings) -> Result<Ingestion, StartupError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let pipeline = startup::parts::ingestion(settings, Arc::clone(&clock)).await?;
    Ok(Ingestion { pipeline, clock, environment: settings.environment.clone() })
}

/// When the run must stop starting work: the deadline less a margin of a fifth of the time
/// left, at most `MAX_MARGIN`. No deadline (0, as in tests) means no limit.
pub fn stop_at(deadline_ms: u64, now: SystemTime) -> Option<Instant> {
    if deadline_ms == 0 {
        return None;
    }
    let deadline = UNIX_EPOCH + Duration::from_millis(deadline_ms);
    let left = deadline.duration_since(now).unwrap_or(Duration::ZERO);
    let margin = (left / 5).min(MAX_MARGIN);
    Some(Instant::now() + left.saturating_sub(margin))
}

/// One scheduled run. The event's content does not matter; its arrival does.
pub async fn handle(
    ingestion: &Ingestion,
    event: LambdaEvent<EventBridgeEvent>,
) -> Result<RunSummary, InvocationError> {
    tracing::info!(request_id = %event.context.request_id, detail_type = %event.payload.detail_type, "scheduled ingestion");
    let stop_at = stop_at(event.context.deadline, SystemTime::now());
    let summary = ingestion.pipeline.run_until(stop_at).await?;
    match serde_json::to_string(&summary) {
        Ok(json) => tracing::info!(summary = %json, "ingestion summary"),
        Err(error) => tracing::warn!(%error, "cannot render the ingestion summary"),
    }
    let timestamp = ingestion.clock.now().timestamp_millis();
    for line in metrics(&summary, &ingestion.environment, timestamp) {
        println!("{line}");
    }
    if summary.failed() {
        let reasons: Vec<String> = summary.sources.values().flat_map(|s| s.error_messages.clone()).collect();
        return Err(InvocationError::AllSourcesFailed(reasons.join("; ")));
    }
    Ok(summary)
}

/// The run's metrics as EMF lines: per source (dimensions `Environment`, `Source`, rolled up
/// to `Environment`), quota remaining per source and window, and the run's duration.
pub fn metrics(summary: &RunSummary, environment: &str, timestamp_ms: i64) -> Vec<String> {
    let mut sets = Vec::new();
    let duration = (summary.finished_at - summary.started_at).num_milliseconds().max(0) as f64;
    let mut run = MetricSet::new(NAMESPACE, timestamp_ms)
        .dimension(dimension::ENVIRONMENT, environment)
        .metric(metric::INGESTION_DURATION_MS, duration, Unit::Milliseconds);
    if let Some(events) = &summary.events {
        run = run.metric(metric::EVENTS_PUBLISHED, events.published as f64, Unit::Count).metric(
            metric::EVENTS_FAILED,
            events.failed as f64,
            Unit::Count,
        );
    }
    sets.push(run);
    for (source, s) in &summary.sources {
        let open = s.guard.as_ref().is_some_and(|g| g.breaker == BreakerState::Open);
        sets.push(
            MetricSet::new(NAMESPACE, timestamp_ms)
                .dimension(dimension::ENVIRONMENT, environment)
                .dimension(dimension::SOURCE, source.as_str())
                .rollup([dimension::ENVIRONMENT])
                .metric(metric::ARTICLES_FETCHED, s.fetched as f64, Unit::Count)
                .metric(metric::NEW_ARTICLES, s.new as f64, Unit::Count)
                .metric(metric::DUPLICATES_SKIPPED, s.duplicates as f64, Unit::Count)
                .metric(metric::SOURCE_ERRORS, s.errors as f64, Unit::Count)
                .metric(metric::CIRCUIT_OPEN, if open { 1.0 } else { 0.0 }, Unit::Count),
        );
        for window in s.guard.iter().flat_map(|g| &g.quota) {
            sets.push(
                MetricSet::new(NAMESPACE, timestamp_ms)
                    .dimension(dimension::ENVIRONMENT, environment)
                    .dimension(dimension::SOURCE, source.as_str())
                    .dimension(dimension::WINDOW, format!("{}-{}", window.window, window.resource))
                    .rollup([dimension::ENVIRONMENT, dimension::SOURCE])
                    .metric(metric::QUOTA_REMAINING, f64::from(window.remaining), Unit::Count),
            );
        }
    }
    sets.iter()
        .filter_map(|set| match set.to_line() {
            Ok(line) => Some(line),
            Err(error) => {
                tracing::warn!(%error, "metric line not written");
                None
            }
        })
        .collect()
}
