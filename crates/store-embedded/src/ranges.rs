//! Sort-key ranges, cursors and scans over the two ordered tables (items and GSI1), both
//! keyed by (partition, sort-ish text).

use std::ops::Bound;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use domain::store::{Cursor, IndexName, Key, Order, Query, SkRange, StoreError};
use redb::ReadableTable;
use serde::{Deserialize, Serialize};

use crate::Failure;

/// Separates GSI1SK, PK and SK in the GSI table's composite key.
const SEP: char = '\0';
/// Sorts after every character a key may hold; keys may not contain it.
const HIGHEST: char = char::MAX;

pub(crate) fn validate_key_chars(key: &Key) -> Result<(), StoreError> {
    let bad = |s: &str| s.contains(SEP) || s.contains(HIGHEST);
    if bad(&key.pk) || bad(&key.sk) {
        return Err(StoreError::InvalidRequest("keys may not contain NUL or U+10FFFF".into()));
    }
    Ok(())
}

pub(crate) fn gsi_composite(gsi_sk: &str, key: &Key) -> String {
    format!("{gsi_sk}{SEP}{}{SEP}{}", key.pk, key.sk)
}

fn split_composite(composite: &str) -> Option<Key> {
    let mut parts = composite.splitn(3, SEP);
    let (_gsi_sk, pk, sk) = (parts.next()?, parts.next()?, parts.next()?);
    Some(Key::new(pk, sk))
}

/// Bounds on the second key component within one partition.
/// (partition, second component) as both ordered tables key their entries.
type TableKey<'a> = (&'a str, &'a str);

pub(crate) struct Bounds {
    pk: String,
    /// The smallest possible partition key after `pk`: the exclusive end of the partition.
    next_pk: String,
    lower: Bound<String>,
    upper: Bound<String>,
}

impl Bounds {
    pub(crate) fn for_query(query: &Query) -> Result<Self, StoreError> {
        // In GSI1 the second component is "GSI1SK\0PK\0SK": every entry for a given GSI1SK
        // sorts below GSI1SK + "\u{1}", which is therefore the exclusive end of "<= GSI1SK".
        let after_equal = |sk: &str| match query.index {
            IndexName::Primary => format!("{sk}{SEP}"),
            IndexName::Gsi1 => format!("{sk}\u{1}"),
        };
        let (mut lower, mut upper) = match &query.sk {
            SkRange::All => (Bound::Unbounded, Bound::Unbounded),
            SkRange::Prefix(prefix) => {
                (Bound::Included(prefix.clone()), Bound::Excluded(format!("{prefix}{HIGHEST}")))
            }
            SkRange::Between(from, to) => (Bound::Included(from.clone()), Bound::Excluded(after_equal(to))),
        };
        if let Some(cursor) = &query.cursor {
            let (index, pk, position) = decode_cursor(cursor).ok_or(StoreError::InvalidCursor)?;
            // A cursor only continues the query it came from: same index, same partition,
            // a position inside the range (so a forged one cannot reach other item types).
            if index != query.index || pk != query.pk || !within(&lower, &upper, &position) {
                return Err(StoreError::InvalidCursor);
            }
            match query.order {
                Order::Ascending => lower = Bound::Excluded(position),
                Order::Descending => upper = Bound::Excluded(position),
            }
        }
        Ok(Self { pk: query.pk.clone(), next_pk: format!("{}{SEP}", query.pk), lower, upper })
    }

    fn is_empty(&self) -> bool {
        let low = match &self.lower {
            Bound::Included(s) | Bound::Excluded(s) => s.as_str(),
            Bound::Unbounded => return false,
        };
        match &self.upper {
            Bound::Included(high) => low > high.as_str(),
            Bound::Excluded(high) => low >= high.as_str(),
            Bound::Unbounded => false,
        }
    }

    fn as_tuples(&self) -> (Bound<TableKey<'_>>, Bound<TableKey<'_>>) {
        let pk = self.pk.as_str();
        let lower = match &self.lower {
            Bound::Included(s) => Bound::Included((pk, s.as_str())),
            Bound::Excluded(s) => Bound::Excluded((pk, s.as_str())),
            Bound::Unbounded => Bound::Included((pk, "")),
        };
        let upper = match &self.upper {
            Bound::Included(s) => Bound::Included((pk, s.as_str())),
            Bound::Excluded(s) => Bound::Excluded((pk, s.as_str())),
            Bound::Unbounded => Bound::Excluded((self.next_pk.as_str(), "")),
        };
        (lower, upper)
    }
}

fn within(lower: &Bound<String>, upper: &Bound<String>, position: &str) -> bool {
    let above = match lower {
        Bound::Included(low) => position >= low.as_str(),
        Bound::Excluded(low) => position > low.as_str(),
        Bound::Unbounded => true,
    };
    let below = match upper {
        Bound::Included(high) => position <= high.as_str(),
        Bound::Excluded(high) => position < high.as_str(),
        Bound::Unbounded => true,
    };
    above && below
}

pub(crate) struct Scan {
    pub keys: Vec<Key>,
    pub next: Option<Cursor>,
}

/// Reads up to `limit` entries of one partition in order; `next` is set when more remain.
pub(crate) fn scan<T, V>(table: &T, query: &Query, bounds: &Bounds) -> Result<Scan, Failure>
where
    T: ReadableTable<(&'static str, &'static str), V>,
    V: redb::Value + 'static,
{
    let mut scan = Scan { keys: Vec::new(), next: None };
    if bounds.is_empty() {
        return Ok(scan);
    }
    let range = table.range::<(&str, &str)>(bounds.as_tuples())?;
    let entries: Box<dyn Iterator<Item = _>> = match query.order {
        Order::Ascending => Box::new(range),
        Order::Descending => Box::new(range.rev()),
    };
    let mut last_position = None;
    for entry in entries {
        let (key, _) = entry?;
        let (pk, second) = key.value();
        if scan.keys.len() == query.limit {
            scan.next =
                last_position.map(|position: String| encode_cursor(query.index, &query.pk, &position));
            break;
        }
        let item_key = match query.index {
            IndexName::Primary => Key::new(pk, second),
            IndexName::Gsi1 => split_composite(second).ok_or_else(|| {
                Failure::Item(StoreError::Corrupt(format!("bad GSI1 entry in partition {pk}")))
            })?,
        };
        scan.keys.push(item_key);
        last_position = Some(second.to_owned());
    }
    Ok(scan)
}

#[derive(Serialize, Deserialize)]
struct CursorBody {
    /// "p" for the table, "g1" for GSI1.
    i: String,
    pk: String,
    at: String,
}

pub(crate) fn encode_cursor(index: IndexName, pk: &str, position: &str) -> Cursor {
    let i = match index {
        IndexName::Primary => "p",
        IndexName::Gsi1 => "g1",
    };
    let body = CursorBody { i: i.into(), pk: pk.into(), at: position.into() };
    Cursor(URL_SAFE_NO_PAD.encode(serde_json::to_vec(&body).unwrap_or_default()))
}

pub(crate) fn decode_cursor(cursor: &Cursor) -> Option<(IndexName, String, String)> {
    let bytes = URL_SAFE_NO_PAD.decode(&cursor.0).ok()?;
    let body: CursorBody = serde_json::from_slice(&bytes).ok()?;
    let index = match body.i.as_str() {
        "p" => IndexName::Primary,
        "g1" => IndexName::Gsi1,
        _ => return None,
    };
    Some((index, body.pk, body.at))
}
