//! One X-Ray subsegment per DynamoDB request attempt, so the service map shows the table and
//! a trace shows each GetItem, Query or TransactWriteItems with its status and request id.
//! It rides on the SDK's interceptor hooks, so every call the client makes is covered,
//! retries included, without touching the store's code. Nothing is recorded unless the
//! invocation is traced (see the `xray` crate).

use aws_sdk_dynamodb::config::interceptors::{
    BeforeTransmitInterceptorContextRef, FinalizerInterceptorContextRef,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_types::config_bag::{Storable, StoreReplace};

/// The exceptions DynamoDB throttles with.
const THROTTLES: [&str; 3] =
    ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"];

#[derive(Debug)]
pub(crate) struct Tracing {
    pub(crate) table: String,
}

/// The attempt in flight, kept in the request's config bag between the two hooks. If the
/// call is cancelled between them, the bag drops it and the subsegment reports a fault.
#[derive(Debug)]
struct Attempt(std::sync::Mutex<Option<xray::Subsegment>>);

impl Storable for Attempt {
    type Storer = StoreReplace<Self>;
}

impl Intercept for Tracing {
    fn name(&self) -> &'static str {
        "XRaySubsegments"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(mut segment) = xray::start("DynamoDB", xray::Namespace::Aws) else { return Ok(()) };
        let operation = cfg.load::<Metadata>().map(|m| m.name().to_owned()).unwrap_or_default();
        segment.aws("operation", operation).aws("table_name", self.table.as_str());
        cfg.interceptor_state().store_put(Attempt(std::sync::Mutex::new(Some(segment))));
        Ok(())
    }

    fn read_after_attempt(
        &self,
        context: &FinalizerInterceptorContextRef<'_>,
        _components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(mut segment) = cfg.load::<Attempt>().and_then(|a| a.0.lock().ok()?.take()) else {
            return Ok(());
        };
        let response = context.response();
        if let Some(id) = response.and_then(|r| r.headers().get("x-amzn-requestid")) {
            segment.aws("request_id", id);
        }
        // DynamoDB throttles with a 400 whose body names the exception.
        let rejected = response.filter(|r| r.status().as_u16() == 400);
        let body = rejected.and_then(|r| r.body().bytes()).unwrap_or_default();
        if THROTTLES.iter().any(|name| memchr::memmem::find(body, name.as_bytes()).is_some()) {
            segment.throttled();
        }
        segment.finish(response.map(|r| r.status().as_u16()));
        Ok(())
    }
}
