//! How far each source's feed has been read, per ticker (`WATERMARK#<source>` / `<ticker>`),
//! so a run asks only for what is new. A watermark only moves forward, and is saved only
//! after everything read up to it is stored.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};

use crate::store::{Condition, Key, Query, Store, StoreError, Update};
use crate::{SourceKind, Ticker};

const AT: &str = "at";

fn pk(source: SourceKind) -> String {
    format!("WATERMARK#{source}")
}

pub async fn load(
    store: &dyn Store,
    source: SourceKind,
) -> Result<BTreeMap<Ticker, DateTime<Utc>>, StoreError> {
    let mut out = BTreeMap::new();
    let mut cursor = None;
    loop {
        let page = store.query(&Query::partition(pk(source)).limit(100).after(cursor)).await?;
        for item in &page.items {
            let (Ok(ticker), Some(at)) =
                (Ticker::parse(&item.key.sk), Utc.timestamp_millis_opt(item.counter(AT)?).single())
            else {
                continue;
            };
            out.insert(ticker, at);
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(out),
        }
    }
}

/// Moves each ticker's watermark up to the given time; an older time changes nothing.
pub async fn advance(
    store: &dyn Store,
    source: SourceKind,
    marks: &BTreeMap<Ticker, DateTime<Utc>>,
) -> Result<(), StoreError> {
    for (ticker, at) in marks {
        let millis = at.timestamp_millis();
        let update = Update::new(Key::new(pk(source), ticker.as_str()))
            .set(AT, millis)
            .when(Condition::AtMost(AT.into(), millis));
        match crate::retry::transient(|| store.update(update.clone())).await {
            Ok(_) | Err(StoreError::ConditionFailed { .. }) => {}
            Err(other) => return Err(other),
        }
    }
    Ok(())
}
