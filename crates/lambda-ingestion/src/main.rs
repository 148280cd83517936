//! Ingestion Lambda, invoked by the EventBridge schedule.

use lambda_runtime::{Error, LambdaEvent, run, service_fn, tracing};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let config = lambda_ingestion::Config::from_env()?;
    let pipeline = lambda_ingestion::pipeline(config)?;
    let pipeline = &pipeline;
    run(service_fn(move |event: LambdaEvent<_>| lambda_ingestion::handle(pipeline, event))).await
}
