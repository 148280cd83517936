//! Ingestion Lambda, invoked by the EventBridge schedule.

use lambda_runtime::{Error, LambdaEvent, run, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let settings = startup::Settings::from_env(startup::Host::Lambda)?;
    let pipeline = lambda_ingestion::pipeline(&settings).await?;
    let pipeline = &pipeline;
    run(service_fn(move |event: LambdaEvent<_>| lambda_ingestion::handle(pipeline, event))).await
}
