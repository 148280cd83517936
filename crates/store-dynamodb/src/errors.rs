//! SDK errors as `StoreError`s. Messages name the operation and the kind of item (the text
//! before the first `#` of its key), never item contents or whole keys: a session's key
//! holds a hash of its token.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use domain::store::StoreError;

pub(crate) fn classify<E, R>(operation: &'static str, kind: &str, error: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    if let SdkError::ServiceError(service) = &error {
        let e = service.err();
        let code = e.code().unwrap_or("unknown");
        let message = e.message().unwrap_or("");
        return by_code(operation, kind, code, message);
    }
    // Timeouts, connection failures, unreadable responses: after the SDK's own retries.
    StoreError::Unavailable(format!("{operation} on a {kind} item: {}", DisplayErrorContext(&error)))
}

pub(crate) fn by_code(operation: &'static str, kind: &str, code: &str, message: &str) -> StoreError {
    match code {
        "ConditionalCheckFailedException" => StoreError::ConditionFailed { index: 0 },
        "TransactionConflictException" | "TransactionConflict" => {
            StoreError::Conflict(format!("{operation} on a {kind} item met a concurrent transaction"))
        }
        "ProvisionedThroughputExceededException"
        | "ThrottlingException"
        | "RequestLimitExceeded"
        | "ThrottlingError" => StoreError::Throttled(format!("{operation} on a {kind} item: {code}")),
        "ValidationException" => {
            StoreError::InvalidRequest(format!("{operation} on a {kind} item: {message}"))
        }
        "ResourceNotFoundException" => {
            StoreError::Unavailable(format!("{operation}: the table does not exist ({message})"))
        }
        _ => StoreError::Unavailable(format!("{operation} on a {kind} item failed: {code} {message}")),
    }
}
