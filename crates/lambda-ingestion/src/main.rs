//! Ingestion Lambda, invoked by the EventBridge schedule.

use lambda_runtime::{Error, LambdaEvent, run, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let settings = startup::Settings::from_env(startup::Host::Lambda)?;
    startup::logging::init(settings.log_format, startup::Host::Lambda);
    if let Err(error) = xray::install_from_env() {
        tracing::warn!(%error, "X-Ray subsegments off");
    }
    let pipeline = lambda_ingestion::pipeline(&settings).await?;
    let pipeline = &pipeline;
    run(service_fn(move |event: LambdaEvent<_>| lambda_ingestion::handle(pipeline, event))).await
}
