//! Events in the store: the recent-events log `/api/v2/events` reads (`EVENTS` /
//! `EVENT#<occurred, µs>#<id>`, kept `EVENT_RETENTION_DAYS`), and the state last announced per
//! ticker and per source (`EVENTSTATE#TICKER#<T>`, `EVENTSTATE#SOURCE#<source>`), which makes
//! announcing exactly once: the state moves by a write conditioned on its version, in the same
//! transaction as the event's log entry, and only the run whose write succeeds publishes.

use chrono::Duration;

use super::{RECORD, VERSION, decode, encode};
use crate::event::{Degradation, Event, WireEvent};
use crate::shift::ShiftState;
use crate::store::{Condition, Cursor, Item, Key, Query, SkRange, Store, StoreError, WriteOp};
use crate::{SourceKind, Ticker};

pub const EVENTS_PK: &str = "EVENTS";
const EVENT_PREFIX: &str = "EVENT#";
const STATE_SK: &str = "STATE";
/// Events are listed for this long after they happened.
pub const EVENT_RETENTION_DAYS: i64 = 30;

fn event_key(event: &Event) -> Key {
    Key::new(
        EVENTS_PK,
        format!("{EVENT_PREFIX}{}#{}", event.occurred_at.format("%Y-%m-%dT%H:%M:%S%.6fZ"), event.id),
    )
}

fn event_item(event: &Event) -> Result<Item, StoreError> {
    Ok(Item::new(event_key(event))
        .with_expiry((event.occurred_at + Duration::days(EVENT_RETENTION_DAYS)).timestamp())
        .with_attr(RECORD, encode(&event.to_wire())?))
}

fn ticker_state_key(ticker: &Ticker) -> Key {
    Key::new(format!("EVENTSTATE#TICKER#{ticker}"), STATE_SK)
}

fn source_state_key(source: SourceKind) -> Key {
    Key::new(format!("EVENTSTATE#SOURCE#{source}"), STATE_SK)
}

/// A state as read, with the version a write must find to replace it.
#[derive(Clone, Debug, PartialEq)]
pub struct Versioned<T> {
    pub state: T,
    pub version: i64,
}

async fn load<T: serde::de::DeserializeOwned>(
    store: &dyn Store,
    key: &Key,
) -> Result<Option<Versioned<T>>, StoreError> {
    let Some(item) = store.get(key).await? else { return Ok(None) };
    Ok(Some(Versioned { state: decode(&item)?, version: item.counter(VERSION)? }))
}

/// Replaces the state read at `read_version` (None: there was none) and logs `event` with it,
/// atomically. `Ok(false)`: another writer moved the state first; nothing was written.
async fn save<T: serde::Serialize + ?Sized>(
    store: &dyn Store,
    key: Key,
    read_version: Option<i64>,
    state: &T,
    event: Option<&Event>,
) -> Result<bool, StoreError> {
    let (condition, version) = match read_version {
        None => (Condition::NotExists, 1),
        Some(v) => (Condition::Equals(VERSION.into(), v.into()), v + 1),
    };
    let mut ops = vec![WriteOp::Put {
        item: Item::new(key).with_attr(RECORD, encode(state)?).with_attr(VERSION, version),
        condition,
    }];
    if let Some(event) = event {
        ops.push(WriteOp::Put { item: event_item(event)?, condition: Condition::NotExists });
    }
    match crate::retry::transient(|| store.transact(ops.clone())).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed { .. }) => Ok(false),
        Err(other) => Err(other),
    }
}

pub async fn ticker_state(
    store: &dyn Store,
    ticker: &Ticker,
) -> Result<Option<Versioned<ShiftState>>, StoreError> {
    load(store, &ticker_state_key(ticker)).await
}

/// See [`save`]: the shift state and, when it is a shift, its event, exactly once.
pub async fn save_ticker_state(
    store: &dyn Store,
    ticker: &Ticker,
    read_version: Option<i64>,
    state: &ShiftState,
    event: Option<&Event>,
) -> Result<bool, StoreError> {
    save(store, ticker_state_key(ticker), read_version, state, event).await
}

pub async fn source_state(
    store: &dyn Store,
    source: SourceKind,
) -> Result<Option<Versioned<Vec<Degradation>>>, StoreError> {
    load(store, &source_state_key(source)).await
}

pub async fn save_source_state(
    store: &dyn Store,
    source: SourceKind,
    read_version: Option<i64>,
    state: &[Degradation],
    event: Option<&Event>,
) -> Result<bool, StoreError> {
    save(store, source_state_key(source), read_version, state, event).await
}

/// Logs an event that has no state of its own (`IngestionCompleted`). `Ok(false)`: it is
/// already logged (same id, same time).
pub async fn log(store: &dyn Store, event: &Event) -> Result<bool, StoreError> {
    match store.put(event_item(event)?, Condition::NotExists).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed { .. }) => Ok(false),
        Err(other) => Err(other),
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct EventPage {
    pub events: Vec<Event>,
    pub next: Option<Cursor>,
    /// Logged events this code cannot read (written by a newer version, or damaged), left
    /// out of `events` with why, so one bad item does not hide the rest.
    pub unreadable: Vec<String>,
}

/// The logged events, newest first.
pub async fn recent(
    store: &dyn Store,
    limit: usize,
    cursor: Option<Cursor>,
) -> Result<EventPage, StoreError> {
    let query = Query::partition(EVENTS_PK)
        .sk(SkRange::Prefix(EVENT_PREFIX.into()))
        .newest_first()
        .limit(limit)
        .after(cursor);
    let page = store.query(&query).await?;
    let mut events = Vec::with_capacity(page.items.len());
    let mut unreadable = Vec::new();
    for item in &page.items {
        let read = decode::<WireEvent>(item)
            .map_err(|e| e.to_string())
            .and_then(|wire| Event::from_wire(&wire).map_err(|e| e.to_string()));
        match read {
            Ok(event) => events.push(event),
            Err(e) => {
                unreadable.push(format!("logged event {}/{} does not decode: {e}", item.key.pk, item.key.sk))
            }
        }
    }
    Ok(EventPage { events, next: page.next, unreadable })
}
