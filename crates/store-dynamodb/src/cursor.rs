//! Cursors wrap DynamoDB's `LastEvaluatedKey` with the query they belong to, so a cursor
//! from another query (another partition, index or range) is refused as `InvalidCursor`
//! instead of being handed to DynamoDB.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_dynamodb::types::AttributeValue;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::store::{Cursor, IndexName, Query, SkRange, StoreError};
use domain::table::schema::{GSI1, TABLE};
use serde::{Deserialize, Serialize};

#[derive(Serialize, Deserialize)]
struct Body {
    /// "p" for the table, "g1" for GSI1.
    i: String,
    pk: String,
    /// The last evaluated key: every key attribute is a string.
    k: BTreeMap<String, String>,
}

fn index_tag(index: IndexName) -> &'static str {
    match index {
        IndexName::Primary => "p",
        IndexName::Gsi1 => "g1",
    }
}

/// The attributes holding the queried partition and sort keys.
pub(crate) fn key_names(index: IndexName) -> (&'static str, &'static str) {
    match index {
        IndexName::Primary => (TABLE.partition_key, TABLE.sort_key),
        IndexName::Gsi1 => (GSI1.partition_key, GSI1.sort_key),
    }
}

pub(crate) fn encode(query: &Query, last: &HashMap<String, AttributeValue>) -> Result<Cursor, StoreError> {
    let k = last
        .iter()
        .map(|(name, value)| match value {
            AttributeValue::S(s) => Ok((name.clone(), s.clone())),
            _ => Err(StoreError::Corrupt("a key attribute is not a string".into())),
        })
        .collect::<Result<_, _>>()?;
    let body = Body { i: index_tag(query.index).into(), pk: query.pk.clone(), k };
    let json = serde_json::to_vec(&body).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(Cursor(URL_SAFE_NO_PAD.encode(json)))
}

pub(crate) fn decode(query: &Query, cursor: &Cursor) -> Result<HashMap<String, AttributeValue>, StoreError> {
    let bytes = URL_SAFE_NO_PAD.decode(&cursor.0).map_err(|_| StoreError::InvalidCursor)?;
    let body: Body = serde_json::from_slice(&bytes).map_err(|_| StoreError::InvalidCursor)?;
    let (pk_name, sk_name) = key_names(query.index);
    let position = body.k.get(sk_name).ok_or(StoreError::InvalidCursor)?;
    let in_range = match &query.sk {
        SkRange::All => true,
        SkRange::Prefix(prefix) => position.starts_with(prefix.as_str()),
        SkRange::Between(from, to) => position >= from && position <= to,
    };
    let expected_keys: &[&str] = match query.index {
        IndexName::Primary => &[TABLE.partition_key, TABLE.sort_key],
        IndexName::Gsi1 => &[TABLE.partition_key, TABLE.sort_key, GSI1.partition_key, GSI1.sort_key],
    };
    let shape_ok =
        body.k.len() == expected_keys.len() && expected_keys.iter().all(|k| body.k.contains_key(*k));
    if body.i != index_tag(query.index)
        || body.pk != query.pk
        || body.k.get(pk_name) != Some(&query.pk)
        || !in_range
        || !shape_ok
    {
        return Err(StoreError::InvalidCursor);
    }
    Ok(body.k.into_iter().map(|(name, value)| (name, AttributeValue::S(value))).collect())
}
