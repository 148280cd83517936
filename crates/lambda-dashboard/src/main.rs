//! Dashboard API Lambda (Function URL): settings and clients once per container, then each
//! event through the shared router.

use lambda_http::{Error, run, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let settings = startup::Settings::from_env(startup::Host::Lambda)?;
    let app = lambda_dashboard::app(&settings).await?;
    run(app).await
}
