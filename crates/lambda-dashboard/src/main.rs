//! Dashboard API Lambda (Function URL): configuration and clients once per container, then
//! each event through the shared router.

use lambda_http::{Error, run, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = lambda_dashboard::Config::from_env()?;
    let app = lambda_dashboard::app(&config)?;
    run(app).await
}
