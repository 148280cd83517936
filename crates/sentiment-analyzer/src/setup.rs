//! Turning flags into ready parts: logging, the store, the sources, the pipeline.

use std::collections::BTreeSet;
use std::sync::Arc;

pub use domain::error_report::cause_chain;
use domain::source::NewsSource;
use domain::store::Store;
use domain::{Clock, SystemClock, Ticker};
use ingestion::{Pipeline, PipelineConfig};
use secrecy::SecretString;
use sources::sample::SampleSource;
use sources::{Credentials, HttpConfig};
use store_embedded::EmbeddedStore;
use tracing_subscriber::EnvFilter;

use crate::cli::{LogFormat, PipelineArgs, SourceChoice, StoreArgs};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub fn init_tracing(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_ansi(ansi).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Reports a panic as one error log line instead of Rust's default message. Panics inside the
/// store are caught and become errors with advice; this keeps their trace readable too.
pub fn report_panics_as_errors() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let location = info.location().map(|l| format!("{}:{}", l.file(), l.line())).unwrap_or_default();
        tracing::error!(%location, "internal fault: {payload}");
    }));
}

/// Raises the soft limit on open files to the hard limit (connections are files) and returns
/// the limit in force.
pub fn raise_fd_limit() -> u64 {
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(limit) => limit,
        Err(error) => {
            tracing::warn!(%error, "cannot raise the open-file limit");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(1024, |(soft, _)| soft)
        }
    }
}

pub fn open_store(args: &StoreArgs, clock: Arc<dyn Clock>) -> Result<Arc<dyn Store>, BoxError> {
    let store = EmbeddedStore::open(&args.data_dir, clock)?;
    Ok(Arc::new(store))
}

pub fn clock() -> Arc<dyn Clock> {
    Arc::new(SystemClock)
}

pub fn watchlist(args: &PipelineArgs) -> Result<BTreeSet<Ticker>, BoxError> {
    domain::ticker::parse_ticker_list(&args.watchlist).map_err(|e| format!("--watchlist entry {e}").into())
}

fn key(name: &str) -> Option<SecretString> {
    std::env::var(name).ok().filter(|k| !k.trim().is_empty()).map(|k| SecretString::from(k.trim().to_owned()))
}

/// Picks the sources: live with whichever keys are set, sample otherwise.
pub fn sources(
    args: &PipelineArgs,
    clock: Arc<dyn Clock>,
) -> Result<(SourceChoice, Vec<Arc<dyn NewsSource>>), BoxError> {
    let tiingo = key("TIINGO_API_KEY");
    let finnhub = key("FINNHUB_API_KEY");
    let choice = match args.source {
        Some(choice) => choice,
        None if tiingo.is_some() || finnhub.is_some() => SourceChoice::Live,
        None => {
            tracing::info!("no TIINGO_API_KEY or FINNHUB_API_KEY set: using the bundled sample news");
            SourceChoice::Sample
        }
    };
    match choice {
        SourceChoice::Sample => Ok((choice, SampleSource::both(clock))),
        SourceChoice::Live => {
            if tiingo.is_none() && finnhub.is_none() {
                return Err("--source live needs TIINGO_API_KEY or FINNHUB_API_KEY in the environment".into());
            }
            let credentials = |key: Option<SecretString>, base: &str| {
                key.map(|api_key| Credentials { base_url: base.to_owned(), api_key })
            };
            let sources = sources::live_sources(
                credentials(tiingo, &args.tiingo_base_url),
                credentials(finnhub, &args.finnhub_base_url),
                &HttpConfig::default(),
            )?;
            Ok((choice, sources))
        }
    }
}

pub fn pipeline(
    args: &PipelineArgs,
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
) -> Result<Pipeline, BoxError> {
    let (choice, sources) = sources(args, clock.clone())?;
    let lookback = match (args.lookback, choice) {
        (Some(d), _) => chrono::Duration::from_std(*d).map_err(|_| "--lookback is too long")?,
        (None, SourceChoice::Sample) => chrono::Duration::days(30),
        (None, SourceChoice::Live) => chrono::Duration::days(2),
    };
    let config = PipelineConfig { default_watchlist: watchlist(args)?, lookback, write_concurrency: 8 };
    Ok(Pipeline::new(store, sources, scoring::shipped(), clock, config))
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
