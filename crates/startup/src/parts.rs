//! Building what the settings name, once per process (per Lambda container, in its init
//! phase): the store, the news sources, the sentiment model, the pipeline.

use std::sync::Arc;

use domain::Clock;
use domain::model::SentimentModel;
use domain::source::NewsSource;
use domain::store::Store;
use ingestion::{Pipeline, PipelineConfig};
use secrecy::SecretString;
use sources::sample::SampleSource;
use sources::{Credentials, Guards, HttpConfig};
use store_dynamodb::DynamoStore;
use store_embedded::EmbeddedStore;

use crate::settings::{KeySource, Settings, SourceChoice, StoreSettings, Vendor};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot open the store")]
    Embedded(#[from] store_embedded::OpenError),
    #[error("cannot set up DynamoDB")]
    DynamoDb(#[from] store_dynamodb::ConnectError),
    #[error("cannot load the sentiment model")]
    Model(#[from] scoring::SelectError),
    #[error("cannot build the news clients")]
    Sources(#[from] domain::source::SourceError),
    #[error("{0} is a Secrets Manager ARN; reading secrets is not available in this build")]
    SecretsUnsupported(&'static str),
    #[error(
        "live news needs TIINGO_API_KEY or FINNHUB_API_KEY (or TIINGO_SECRET_ARN / FINNHUB_SECRET_ARN) in the environment"
    )]
    NoKeys,
}

/// The store the settings name. For DynamoDB the SDK configuration comes from the standard
/// chain: `AWS_ENDPOINT_URL_DYNAMODB` for a local server, region and credentials as usual.
pub async fn store(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Arc<dyn Store>, StartupError> {
    let store: Arc<dyn Store> = match &settings.store {
        StoreSettings::Embedded { data_dir } => Arc::new(EmbeddedStore::open(data_dir, clock)?),
        StoreSettings::DynamoDb { table } => {
            let config = store_dynamodb::sdk_config().await;
            Arc::new(DynamoStore::new(&config, table, clock)?)
        }
    };
    #[cfg(feature = "fault-injection")]
    let store = crate::fault::wrap(store);
    Ok(store)
}

fn credentials(vendor: &Vendor, name: &'static str) -> Result<Option<Credentials>, StartupError> {
    match &vendor.key {
        None => Ok(None),
        Some(KeySource::Value(key)) => {
            Ok(Some(Credentials { base_url: vendor.base_url.clone(), api_key: SecretString::clone(key) }))
        }
        Some(KeySource::SecretArn(_)) => Err(StartupError::SecretsUnsupported(name)),
    }
}

/// Refuses live news without a key before any connection is made.
pub fn check_keys(settings: &Settings) -> Result<(), StartupError> {
    if settings.source == SourceChoice::Live
        && settings.tiingo.key.is_none()
        && settings.finnhub.key.is_none()
    {
        return Err(StartupError::NoKeys);
    }
    Ok(())
}

/// The news sources; live ones go through their breaker and quota, kept in `store`.
pub fn sources(
    settings: &Settings,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Result<Vec<Arc<dyn NewsSource>>, StartupError> {
    check_keys(settings)?;
    match settings.source {
        SourceChoice::Sample => Ok(SampleSource::both(clock)),
        SourceChoice::Live => {
            let guards = Guards { store, clock, quotas: settings.quotas.clone(), breaker: settings.breaker };
            Ok(sources::live_sources(
                credentials(&settings.tiingo, "TIINGO_SECRET_ARN")?,
                credentials(&settings.finnhub, "FINNHUB_SECRET_ARN")?,
                &HttpConfig::default(),
                &guards,
            )?)
        }
    }
}

/// The pipeline over an open store (`serve` shares its store with the API).
pub fn pipeline(
    settings: &Settings,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Result<Pipeline, StartupError> {
    let sources = sources(settings, Arc::clone(&store), Arc::clone(&clock))?;
    assemble(settings, sources, store, clock)
}

/// The sentiment model the settings name, loaded once; the log line says which one runs.
pub fn scorer(settings: &Settings) -> Result<scoring::Scorer, StartupError> {
    let selected = scoring::select(settings.model.kind, settings.model.dir.as_deref())?;
    tracing::info!(
        model = selected.scorer.kind().as_str(),
        version = selected.scorer.version(),
        "{}",
        selected.reason
    );
    Ok(selected.scorer)
}

/// [`scorer`] behind the domain's model port, for the pipeline.
pub fn model(settings: &Settings) -> Result<Arc<dyn SentimentModel>, StartupError> {
    Ok(Arc::new(scorer(settings)?))
}

/// Sources first, then the store: a missing key is reported before any connection is made.
pub async fn ingestion(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Pipeline, StartupError> {
    check_keys(settings)?;
    let model = model(settings)?;
    let store = store(settings, Arc::clone(&clock)).await?;
    let sources = sources(settings, Arc::clone(&store), Arc::clone(&clock))?;
    Ok(assemble_with(settings, sources, model, store, clock))
}

fn assemble(
    settings: &Settings,
    sources: Vec<Arc<dyn NewsSource>>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Result<Pipeline, StartupError> {
    let model = model(settings)?;
    Ok(assemble_with(settings, sources, model, store, clock))
}

fn assemble_with(
    settings: &Settings,
    sources: Vec<Arc<dyn NewsSource>>,
    model: Arc<dyn SentimentModel>,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Pipeline {
    if settings.source == SourceChoice::Sample {
        tracing::info!(
            "ingesting the bundled sample news (set TIINGO_API_KEY or FINNHUB_API_KEY for live news)"
        );
    }
    let config = PipelineConfig {
        default_watchlist: settings.watchlist.clone(),
        lookback: settings.lookback,
        write_concurrency: 8,
    };
    Pipeline::new(store, sources, model, clock, config)
}
