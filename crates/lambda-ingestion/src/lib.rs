//! The ingestion Lambda: one pipeline run per EventBridge scheduled event. Configuration is
//! read once per container and the pipeline built once; each event runs it.
//!
//! Store: as for the dashboard, this build uses the embedded store under `DATA_DIR` until
//! the DynamoDB adapter lands in its own issue.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use aws_lambda_events::eventbridge::EventBridgeEvent;
use domain::run::RunSummary;
use domain::ticker::{DEFAULT_WATCHLIST, parse_ticker_list};
use domain::{Clock, SystemClock, Ticker};
use ingestion::{Pipeline, PipelineConfig, PipelineError};
use lambda_runtime::{Diagnostic, LambdaEvent};
use secrecy::SecretString;
use sources::sample::SampleSource;
use sources::{Credentials, HttpConfig};
use store_embedded::EmbeddedStore;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{variable}: {message}")]
    Invalid { variable: &'static str, message: String },
    #[error("set TIINGO_API_KEY or FINNHUB_API_KEY (or SOURCE=sample for the bundled corpus)")]
    NoSource,
    #[error("cannot open the store: {0}")]
    Store(#[from] store_embedded::OpenError),
    #[error("cannot build the news clients: {0}")]
    Client(#[from] domain::source::SourceError),
}

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
        Diagnostic { error_type: error_type.into(), error_message: error.to_string() }
    }
}

pub struct Config {
    pub data_dir: PathBuf,
    pub watchlist: BTreeSet<Ticker>,
    pub lookback: chrono::Duration,
    pub sample: bool,
    pub tiingo: Option<Credentials>,
    pub finnhub: Option<Credentials>,
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()))
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let invalid = |variable, message: String| ConfigError::Invalid { variable, message };
        let watchlist = parse_ticker_list(&get("WATCHLIST").unwrap_or_else(|| DEFAULT_WATCHLIST.into()))
            .map_err(|message| invalid("WATCHLIST", message))?;
        let lookback_hours = match get("LOOKBACK_HOURS") {
            None => 48,
            Some(raw) => {
                raw.trim().parse::<i64>().ok().filter(|h| (1..=24 * 30).contains(h)).ok_or_else(|| {
                    invalid("LOOKBACK_HOURS", "a whole number of hours from 1 to 720".into())
                })?
            }
        };
        let sample = match get("SOURCE").as_deref() {
            None | Some("live") => false,
            Some("sample") => true,
            Some(other) => return Err(invalid("SOURCE", format!("must be live or sample, got {other:?}"))),
        };
        let credentials = |key: &str, url: &str, default: &str| {
            get(key).map(|k| Credentials {
                base_url: get(url).unwrap_or_else(|| default.to_owned()),
                api_key: SecretString::from(k.trim().to_owned()),
            })
        };
        let tiingo = credentials("TIINGO_API_KEY", "TIINGO_BASE_URL", sources::tiingo::DEFAULT_BASE_URL);
        let finnhub = credentials("FINNHUB_API_KEY", "FINNHUB_BASE_URL", sources::finnhub::DEFAULT_BASE_URL);
        if !sample && tiingo.is_none() && finnhub.is_none() {
            return Err(ConfigError::NoSource);
        }
        Ok(Self {
            data_dir: PathBuf::from(get("DATA_DIR").unwrap_or_else(|| "/tmp/sentiment-analyzer".into())),
            watchlist,
            lookback: chrono::Duration::hours(lookback_hours),
            sample,
            tiingo,
            finnhub,
        })
    }
}

pub fn pipeline(config: Config) -> Result<Pipeline, ConfigError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = Arc::new(EmbeddedStore::open(&config.data_dir, clock.clone())?);
    let sources = if config.sample {
        SampleSource::both(clock.clone())
    } else {
        sources::live_sources(config.tiingo, config.finnhub, &HttpConfig::default())?
    };
    let pipeline_config = PipelineConfig {
        default_watchlist: config.watchlist,
        lookback: config.lookback,
        write_concurrency: 8,
    };
    Ok(Pipeline::new(store, sources, scoring::shipped(), clock, pipeline_config))
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
