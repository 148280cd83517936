//! The single-table key design (documented in `docs/data-model.md`) and typed access to it.
//! Every adapter stores the same items; only this module builds keys.

pub mod aggregates;
pub mod articles;
pub mod configurations;
pub mod events;
pub mod keys;
pub mod runs;
pub mod schema;
pub mod stories;
pub mod users;
pub mod watermarks;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::store::{Item, StoreError};

/// Items are kept this long after the time they describe.
pub const RETENTION_DAYS: i64 = 90;

/// The attribute holding a domain record as JSON.
pub(crate) const RECORD: &str = "record";
/// Optimistic-concurrency version of an item.
pub(crate) const VERSION: &str = "version";

pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Value, StoreError> {
    serde_json::to_value(value).map_err(|e| StoreError::InvalidRequest(format!("cannot encode record: {e}")))
}

pub(crate) fn decode<T: DeserializeOwned>(item: &Item) -> Result<T, StoreError> {
    let record = item
        .attrs
        .get(RECORD)
        .ok_or_else(|| StoreError::Corrupt(format!("item {}/{} has no record", item.key.pk, item.key.sk)))?;
    T::deserialize(record).map_err(|e| {
        StoreError::Corrupt(format!("item {}/{} does not decode: {e}", item.key.pk, item.key.sk))
    })
}
