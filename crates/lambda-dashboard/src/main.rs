//! Dashboard API Lambda (Function URL): settings and clients once per container, then each
//! event through the shared router.

use lambda_http::{Error, run};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let settings = startup::Settings::from_env(startup::Host::Lambda)?;
    startup::logging::init(settings.log_format, startup::Host::Lambda);
    if let Err(error) = xray::install_from_env() {
        tracing::warn!(%error, "X-Ray subsegments off");
    }
    let app = lambda_dashboard::app(&settings).await?;
    run(app).await
}
