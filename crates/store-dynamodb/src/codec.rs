//! Items as DynamoDB sees them: keys and TTL in their own attributes, every other attribute
//! in its native type (S, N, BOOL, NULL, L, M), so an operator reading an item in the console
//! or with `aws dynamodb get-item` sees its fields, not one JSON string.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use domain::store::{Attrs, Gsi1Key, Item, Key, StoreError, key_kind};
use domain::table::schema::{GSI1, TABLE};
use serde_json::{Map, Number, Value};

pub(crate) type Record = HashMap<String, AttributeValue>;

pub(crate) fn to_av(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(items) => AttributeValue::L(items.iter().map(to_av).collect()),
        Value::Object(map) => AttributeValue::M(map.iter().map(|(k, v)| (k.clone(), to_av(v))).collect()),
    }
}

/// A DynamoDB number: an integer when it reads as one (counters must stay exact), else a
/// finite float. DynamoDB normalises numbers, so a float with no fractional part (2.0)
/// comes back as the integer 2.
pub(crate) fn number(text: &str) -> Option<Number> {
    if let Ok(int) = text.parse::<i64>() {
        return Some(Number::from(int));
    }
    text.parse::<f64>().ok().and_then(Number::from_f64)
}

pub(crate) fn from_av(value: &AttributeValue, context: &str) -> Result<Value, StoreError> {
    Ok(match value {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => Value::Number(
            number(n).ok_or_else(|| StoreError::Corrupt(format!("{context} holds an unreadable number")))?,
        ),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::Null(_) => Value::Null,
        AttributeValue::L(items) => {
            Value::Array(items.iter().map(|v| from_av(v, context)).collect::<Result<_, _>>()?)
        }
        AttributeValue::M(map) => Value::Object(
            map.iter()
                .map(|(k, v)| Ok((k.clone(), from_av(v, context)?)))
                .collect::<Result<Map<_, _>, StoreError>>()?,
        ),
        _ => {
            return Err(StoreError::Corrupt(format!(
                "{context} holds an attribute type this program never writes"
            )));
        }
    })
}

pub(crate) fn key_record(key: &Key) -> Record {
    HashMap::from([
        (TABLE.partition_key.to_owned(), AttributeValue::S(key.pk.clone())),
        (TABLE.sort_key.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

pub(crate) fn to_record(item: &Item) -> Record {
    let mut record = key_record(&item.key);
    if let Some(g) = &item.gsi1 {
        record.insert(GSI1.partition_key.to_owned(), AttributeValue::S(g.pk.clone()));
        record.insert(GSI1.sort_key.to_owned(), AttributeValue::S(g.sk.clone()));
    }
    if let Some(at) = item.expires_at {
        record.insert(TABLE.ttl_attribute.to_owned(), AttributeValue::N(at.to_string()));
    }
    for (name, value) in &item.attrs {
        record.insert(name.clone(), to_av(value));
    }
    record
}

fn string(record: &Record, name: &str) -> Option<String> {
    match record.get(name) {
        Some(AttributeValue::S(s)) => Some(s.clone()),
        _ => None,
    }
}

/// The TTL of a stored record, if it has one.
pub(crate) fn expiry(record: &Record) -> Result<Option<i64>, StoreError> {
    match record.get(TABLE.ttl_attribute) {
        None => Ok(None),
        Some(AttributeValue::N(n)) => n
            .parse::<i64>()
            .map(Some)
            .map_err(|_| StoreError::Corrupt("an item's expires_at is not a whole number of seconds".into())),
        Some(_) => Err(StoreError::Corrupt("an item's expires_at is not a number".into())),
    }
}

pub(crate) fn from_record(record: &Record) -> Result<Item, StoreError> {
    let (Some(pk), Some(sk)) = (string(record, TABLE.partition_key), string(record, TABLE.sort_key)) else {
        return Err(StoreError::Corrupt("an item has no string PK and SK".into()));
    };
    let context = format!("a {} item", key_kind(&pk));
    let gsi1 = match (string(record, GSI1.partition_key), string(record, GSI1.sort_key)) {
        (Some(pk), Some(sk)) => Some(Gsi1Key { pk, sk }),
        _ => None,
    };
    let expires_at = expiry(record)?;
    let mut attrs = Attrs::new();
    let reserved = domain::store::RESERVED_ATTRIBUTES;
    for (name, value) in record {
        if !reserved.contains(&name.as_str()) {
            attrs.insert(name.clone(), from_av(value, &context)?);
        }
    }
    Ok(Item { key: Key { pk, sk }, gsi1, expires_at, attrs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_types_round_trip() {
        let value = serde_json::json!({
            "s": "text", "i": -9_007_199_254_740_993_i64, "f": 0.125, "b": true, "n": null,
            "l": [1, "two", {"three": 3.5}], "m": {"deep": {"deeper": [false]}},
        });
        let av = to_av(&value);
        assert!(matches!(&av, AttributeValue::M(m) if matches!(m["i"], AttributeValue::N(_))));
        assert_eq!(from_av(&av, "test").unwrap(), value);
    }

    #[test]
    fn numbers_read_as_integers_first() {
        assert_eq!(number("42"), Some(Number::from(42)));
        assert_eq!(number("9223372036854775807"), Some(Number::from(i64::MAX)));
        assert_eq!(number("0.5").and_then(|n| n.as_f64()), Some(0.5));
        assert_eq!(number("1e400"), None);
        assert_eq!(number("abc"), None);
    }

    #[test]
    fn items_keep_keys_index_and_ttl_apart_from_data() {
        let item =
            Item::new(Key::new("P", "S")).with_gsi1("G", "g").with_expiry(1_700_000_000).with_attr("v", 1);
        let record = to_record(&item);
        assert!(matches!(&record["expires_at"], AttributeValue::N(n) if n == "1700000000"));
        assert_eq!(from_record(&record).unwrap(), item);
    }
}
