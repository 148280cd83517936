//! The ingestion Lambda: one pipeline run per EventBridge scheduled event. Settings come from
//! the environment (the same `SENTIMENT_*` variables as the CLI; the store defaults to
//! DynamoDB here) and the pipeline is built once per container; each event runs it.

use std::sync::Arc;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use domain::run::RunSummary;
use domain::{Clock, SystemClock};
use ingestion::{Pipeline, PipelineError};
use lambda_runtime::{Diagnostic, LambdaEvent};
use startup::Settings;

pub use startup::parts::StartupError;

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

pub async fn pipeline(settings: &Settings) -> Result<Pipeline, StartupError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    startup::parts::ingestion(settings, clock).await
}

/// One scheduled run. The event's content does not matter; its arrival does.
pub async fn handle(
    pipeline: &Pipeline,
    event: LambdaEvent<EventBridgeEvent>,
) -> Result<RunSummary, InvocationError> {
    tracing::info!(request_id = %event.context.request_id, detail_type = %event.payload.detail_type, "scheduled ingestion");
    let summary = pipeline.run_once().await?;
    if summary.failed() {
        let reasons: Vec<String> = summary.sources.values().flat_map(|s| s.error_messages.clone()).collect();
        return Err(InvocationError::AllSourcesFailed(reasons.join("; ")));
    }
    Ok(summary)
}
