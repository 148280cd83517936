//! Builds the dashboard API for Lambda: configuration from the environment, clients built
//! once per container, then the same router the local server uses.
//!
//! Store: this build keeps data in the embedded store under `DATA_DIR` (default
//! `/tmp/sentiment-analyzer`), i.e. per container. The DynamoDB adapter (its own issue)
//! replaces this with the shared table; nothing else here changes.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;

use domain::ticker::{DEFAULT_WATCHLIST, parse_ticker_list};
use domain::{Clock, SystemClock, Ticker};
use store_embedded::EmbeddedStore;

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{variable}: {message}")]
    Invalid { variable: &'static str, message: String },
    #[error("cannot open the store: {0}")]
    Store(#[from] store_embedded::OpenError),
}

#[derive(Debug, Clone)]
pub struct Config {
    pub data_dir: PathBuf,
    pub watchlist: BTreeSet<Ticker>,
}

impl Config {
    /// Reads `DATA_DIR` and `WATCHLIST` (comma separated), failing fast on bad values.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(get("DATA_DIR").unwrap_or_else(|| "/tmp/sentiment-analyzer".into()));
        let raw = get("WATCHLIST").unwrap_or_else(|| DEFAULT_WATCHLIST.into());
        let watchlist = parse_ticker_list(&raw)
            .map_err(|message| ConfigError::Invalid { variable: "WATCHLIST", message })?;
        Ok(Self { data_dir, watchlist })
    }
}

pub fn app(config: &Config) -> Result<axum::Router, ConfigError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = Arc::new(EmbeddedStore::open(&config.data_dir, clock.clone())?);
    Ok(api::router(api::AppState::new(store, clock, config.watchlist.clone())))
}
