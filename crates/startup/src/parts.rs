//! Building what the settings name, once per process (per Lambda container, in its init
//! phase): the store, the news sources, the sentiment model, the pipeline.

use std::sync::Arc;

use domain::Clock;
use domain::event::{EventSink, NoSink};
use domain::model::SentimentModel;
use domain::source::NewsSource;
use domain::store::Store;
use ingestion::{Pipeline, PipelineConfig};
use secrecy::SecretString;
use sources::sample::SampleSource;
use sources::{Credentials, Guards, HttpConfig};
use store_dynamodb::DynamoStore;
use store_embedded::EmbeddedStore;

use crate::secrets::{SecretError, Secrets};
use crate::settings::{
    self, EventSettings, EventSinkChoice, Host, KeySource, Settings, SourceChoice, StoreSettings, Vendor,
};

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
    #[error("cannot read a news vendor's API key from Secrets Manager")]
    Secret(#[from] SecretError),
    #[error("cannot set up the webhook event sink: {0}")]
    Webhook(String),
    #[error("SENTIMENT_EVENTS=eventbridge in Lambda needs SENTIMENT_EVENT_BUS, the bus Terraform creates")]
    NoEventBus,
    #[error("SENTIMENT_EVENTS=eventbridge needs an AWS region (AWS_REGION) to find the bus")]
    NoEventBusRegion,
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

/// A vendor's key: from the environment, or read from the Secrets Manager secret that
/// `arn_variable` names (see [`crate::secrets`] for what the secret may hold).
async fn credentials(
    vendor: &Vendor,
    arn_variable: &'static str,
    secrets: &Secrets,
) -> Result<Option<Credentials>, StartupError> {
    let api_key = match &vendor.key {
        None => return Ok(None),
        Some(KeySource::Value(key)) => SecretString::clone(key),
        Some(KeySource::SecretArn(arn)) => secrets.api_key(arn_variable, arn).await?,
    };
    Ok(Some(Credentials { base_url: vendor.base_url.clone(), api_key }))
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

/// The news sources; live ones go through their breaker and quota, kept in `store`. Live
/// keys held in Secrets Manager are read here, once per call (once per Lambda container, in
/// its init phase).
pub async fn sources(
    settings: &Settings,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Result<Vec<Arc<dyn NewsSource>>, StartupError> {
    check_keys(settings)?;
    match settings.source {
        SourceChoice::Sample => Ok(SampleSource::both(clock)),
        SourceChoice::Live => {
            let secrets = Secrets::standard();
            let (tiingo, finnhub) = tokio::try_join!(
                credentials(&settings.tiingo, settings::TIINGO_SECRET_ARN.name, &secrets),
                credentials(&settings.finnhub, settings::FINNHUB_SECRET_ARN.name, &secrets),
            )?;
            let guards = Guards { store, clock, quotas: settings.quotas.clone(), breaker: settings.breaker };
            Ok(sources::live_sources(tiingo, finnhub, &HttpConfig::default(), &guards)?)
        }
    }
}

/// The pipeline over an open store (`serve` shares its store with the API).
pub async fn pipeline(
    settings: &Settings,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Result<Pipeline, StartupError> {
    let sources = sources(settings, Arc::clone(&store), Arc::clone(&clock)).await?;
    let announcer = announcer(settings).await?;
    Ok(assemble(settings, sources, store, clock)?.with_announcer(announcer))
}

/// Where events go (`SENTIMENT_EVENTS`). For EventBridge the SDK configuration comes from the
/// standard chain (`AWS_ENDPOINT_URL_EVENTBRIDGE` for a local server).
pub async fn event_sink(settings: &Settings) -> Result<Arc<dyn EventSink>, StartupError> {
    // The sink, and where it sends events as the log may show it.
    let (sink, destination): (Arc<dyn EventSink>, String) = match &settings.events.sink {
        EventSinkChoice::None => (Arc::new(NoSink), "none".into()),
        EventSinkChoice::Log => (Arc::new(event_sinks::LogSink::stderr()), "log".into()),
        EventSinkChoice::Webhook(config) => (
            Arc::new(event_sinks::WebhookSink::new(config.clone()).map_err(StartupError::Webhook)?),
            config.redacted(),
        ),
        EventSinkChoice::EventBridge => {
            let bus = match (&settings.events.bus, settings.host) {
                (Some(bus), _) => bus.clone(),
                (None, Host::Cli) => EventSettings::LOCAL_BUS.to_owned(),
                (None, Host::Lambda) => return Err(StartupError::NoEventBus),
            };
            let config = store_dynamodb::sdk_config().await;
            if config.region().is_none() {
                return Err(StartupError::NoEventBusRegion);
            }
            let client = aws_sdk_eventbridge::Client::new(&config);
            let destination = format!("bus {bus}");
            (Arc::new(event_sinks::EventBridgeSink::new(client, bus)), destination)
        }
    };
    tracing::info!(sink = sink.name(), "events: {destination}");
    Ok(sink)
}

/// What announces each run's events: the sink and the shift rule the settings name.
pub async fn announcer(settings: &Settings) -> Result<ingestion::Announcer, StartupError> {
    Ok(ingestion::Announcer::new(event_sink(settings).await?, settings.events.rule))
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

/// A missing key is reported before any connection is made; the store is opened before the
/// sources, whose breakers and quotas live in it.
pub async fn ingestion(settings: &Settings, clock: Arc<dyn Clock>) -> Result<Pipeline, StartupError> {
    check_keys(settings)?;
    let model = model(settings)?;
    let store = store(settings, Arc::clone(&clock)).await?;
    let sources = sources(settings, Arc::clone(&store), Arc::clone(&clock)).await?;
    let announcer = announcer(settings).await?;
    Ok(assemble_with(settings, sources, model, store, clock).with_announcer(announcer))
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

#[cfg(test)]
mod tests {
    //! Keys from Secrets Manager, against the local moto server the test script starts
    //! (`SENTIMENT_TEST_DYNAMODB`; moto serves Secrets Manager on the same endpoint).

    use secrecy::ExposeSecret;

    use super::*;

    const VARIABLE: &str = "TIINGO_SECRET_ARN";

    struct Local {
        secrets: Secrets,
        admin: aws_sdk_secretsmanager::Client,
    }

    async fn local(test: &str) -> Option<Local> {
        let endpoint = store_dynamodb::testing::endpoint(test)?;
        let config = store_dynamodb::local_config(&endpoint).await;
        Some(Local {
            admin: aws_sdk_secretsmanager::Client::new(&config),
            secrets: Secrets::with_config(config),
        })
    }

    impl Local {
        /// A new secret holding `value`; its ARN.
        async fn put(&self, value: &str) -> String {
            let name = store_dynamodb::testing::table_name("sentiment-test/tiingo-api-key");
            let created = self.admin.create_secret().name(name).secret_string(value).send().await.unwrap();
            created.arn.expect("moto returns the ARN")
        }

        async fn credentials(&self, arn: String) -> Result<Option<Credentials>, StartupError> {
            let vendor =
                Vendor { base_url: "https://api.tiingo.com".into(), key: Some(KeySource::SecretArn(arn)) };
            credentials(&vendor, VARIABLE, &self.secrets).await
        }
    }

    fn key(credentials: &Option<Credentials>) -> &str {
        credentials.as_ref().expect("a key").api_key.expose_secret()
    }

    /// The whole report an operator would see: Display of every cause, and Debug.
    fn report(error: &StartupError) -> String {
        let mut text = format!("{error:?}");
        let mut cause: Option<&dyn std::error::Error> = Some(error);
        while let Some(e) = cause {
            text.push_str(&format!(" | {e}"));
            cause = e.source();
        }
        text
    }

    #[tokio::test]
    async fn a_plain_secret_is_the_key_and_never_printed() {
        let Some(local) = local("a_plain_secret_is_the_key_and_never_printed").await else { return };
        let arn = local.put("k-plain-7f3a9c").await;
        let credentials = local.credentials(arn).await.unwrap();
        assert_eq!(key(&credentials), "k-plain-7f3a9c");
        assert_eq!(credentials.as_ref().unwrap().base_url, "https://api.tiingo.com");
        let debug = format!("{credentials:?}");
        assert!(debug.contains("api.tiingo.com") && !debug.contains("k-plain-7f3a9c"), "{debug}");
    }

    #[tokio::test]
    async fn a_json_secret_gives_its_key_field() {
        let Some(local) = local("a_json_secret_gives_its_key_field").await else { return };
        for (value, expected) in [
            (r#"{"api_key":"k-json-1"}"#, "k-json-1"),
            (r#"{"apiKey":"k-json-2","rotated":"2026-11-01"}"#, "k-json-2"),
            (r#"{"key":"k-json-3"}"#, "k-json-3"),
        ] {
            let arn = local.put(value).await;
            let credentials = local.credentials(arn).await.unwrap();
            assert_eq!(key(&credentials), expected);
            assert!(!format!("{credentials:?}").contains(expected));
        }
    }

    #[tokio::test]
    async fn a_missing_secret_names_the_variable_and_the_error_kind() {
        let Some(local) = local("a_missing_secret_names_the_variable_and_the_error_kind").await else {
            return;
        };
        let arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:sentiment-test/absent-AbCdEf";
        let error = local.credentials(arn.into()).await.unwrap_err();
        assert!(
            matches!(&error, StartupError::Secret(SecretError::Read { variable: VARIABLE, .. })),
            "{error:?}"
        );
        let report = report(&error);
        assert!(report.contains(VARIABLE), "{report}");
        assert!(report.contains("sentiment-test/absent-AbCdEf"), "{report}");
        assert!(report.contains("ResourceNotFoundException"), "{report}");
    }

    #[tokio::test]
    async fn an_unreachable_secrets_manager_says_why() {
        use aws_config::retry::RetryConfig;
        use aws_sdk_secretsmanager::config::{Credentials as AwsCredentials, Region};
        // Nothing listens on this port.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(format!("http://127.0.0.1:{port}"))
            .region(Region::new("us-east-1"))
            .credentials_provider(AwsCredentials::new("local", "local", None, None, "local"))
            .retry_config(RetryConfig::disabled())
            .load()
            .await;
        let vendor = Vendor {
            base_url: "https://finnhub.io/api/v1".into(),
            key: Some(KeySource::SecretArn(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:sa/finnhub-api-key-AbCdEf".into(),
            )),
        };
        let error =
            credentials(&vendor, "FINNHUB_SECRET_ARN", &Secrets::with_config(config)).await.unwrap_err();
        let report = report(&error);
        assert!(
            report.contains("FINNHUB_SECRET_ARN") && report.contains("sa/finnhub-api-key-AbCdEf"),
            "{report}"
        );
        assert!(report.contains("dispatch failure") && report.contains("Connection refused"), "{report}");
    }

    #[tokio::test]
    async fn unusable_secrets_are_startup_errors_without_their_text() {
        let Some(local) = local("unusable_secrets_are_startup_errors_without_their_text").await else {
            return;
        };
        for (value, expected) in [
            (" \n ", "Empty"),
            (r#"{"token":"k-wrong-field-51"}"#, "NoKeyField"),
            (r#"{"api_key":"k-broken-json-52"#, "NotJson"),
        ] {
            let arn = local.put(value).await;
            let error = local.credentials(arn).await.unwrap_err();
            let StartupError::Secret(secret_error) = &error else { panic!("{error:?}") };
            assert!(format!("{secret_error:?}").starts_with(&format!("{expected} {{")), "{value}: {error:?}");
            let report = report(&error);
            assert!(report.contains(VARIABLE), "{report}");
            assert!(!report.contains("k-wrong-field") && !report.contains("k-broken-json"), "{report}");
        }

        // A secret holding only binary data has no key either.
        let name = store_dynamodb::testing::table_name("sentiment-test/binary");
        let created = local
            .admin
            .create_secret()
            .name(name)
            .secret_binary(aws_sdk_secretsmanager::primitives::Blob::new(b"k-binary-53".to_vec()))
            .send()
            .await
            .unwrap();
        let error = local.credentials(created.arn.unwrap()).await.unwrap_err();
        assert!(matches!(error, StartupError::Secret(SecretError::Empty { .. })), "{error:?}");
    }
}
