//! How an item is laid out in the items table: keys in the redb key, the rest as JSON.

use domain::store::{Attrs, Gsi1Key, Item, Key, StoreError};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(skip_serializing_if = "Option::is_none")]
    gsi1pk: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    gsi1sk: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<i64>,
    attrs: Attrs,
}

pub(crate) fn encode(item: &Item) -> Result<Vec<u8>, StoreError> {
    let stored = Stored {
        gsi1pk: item.gsi1.as_ref().map(|g| g.pk.clone()),
        gsi1sk: item.gsi1.as_ref().map(|g| g.sk.clone()),
        expires_at: item.expires_at,
        attrs: item.attrs.clone(),
    };
    serde_json::to_vec(&stored).map_err(|e| StoreError::InvalidRequest(format!("cannot encode item: {e}")))
}

pub(crate) fn decode(key: Key, bytes: &[u8]) -> Result<Item, StoreError> {
    let stored: Stored = serde_json::from_slice(bytes)
        .map_err(|e| StoreError::Corrupt(format!("item {}/{} does not decode: {e}", key.pk, key.sk)))?;
    let gsi1 = match (stored.gsi1pk, stored.gsi1sk) {
        (Some(pk), Some(sk)) => Some(Gsi1Key { pk, sk }),
        _ => None,
    };
    Ok(Item { key, gsi1, expires_at: stored.expires_at, attrs: stored.attrs })
}
