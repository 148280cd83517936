//! Builds the dashboard API for Lambda: settings from the environment (the same `SENTIMENT_*`
//! variables as the CLI; the store defaults to DynamoDB here), clients built once per
//! container, then the same router the local server uses.

use std::sync::Arc;

use domain::{Clock, SystemClock};
use startup::Settings;

pub use startup::parts::StartupError;

pub async fn app(settings: &Settings) -> Result<axum::Router, StartupError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let store = startup::parts::store(settings, clock.clone()).await?;
    let mut state = api::AppState::new(store, clock, settings.watchlist.clone());
    state.accounts = settings.accounts.clone();
    Ok(api::router(state))
}
