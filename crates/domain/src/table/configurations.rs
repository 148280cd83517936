//! Configurations (watchlists) under their session, and the reference-counted set of
//! tickers that any configuration watches, which ingestion reads instead of scanning.

use std::collections::BTreeSet;

use serde_json::Value;

use super::{RECORD, decode, encode, keys};
use crate::configuration::{Configuration, ConfigurationId, SessionKey};
use crate::store::{Condition, Item, Key, Query, SkRange, Store, StoreError, Update, WriteOp};
use crate::{Ticker, retry};

const WATCHERS: &str = "watchers";

fn config_key(session: &SessionKey, id: &ConfigurationId) -> Key {
    Key::new(keys::session_pk(session), keys::config_sk(id))
}

fn watch(ticker: &Ticker, delta: i64) -> WriteOp {
    WriteOp::Update(
        Update::new(Key::new(keys::WATCH_PK, keys::watch_sk(ticker)))
            .add(WATCHERS, delta)
            .set("ticker", Value::from(ticker.as_str())),
    )
}

/// Stores a new configuration; fails with `ConditionFailed` if the id is taken.
pub async fn create(
    store: &dyn Store,
    session: &SessionKey,
    config: &Configuration,
) -> Result<(), StoreError> {
    let item = Item::new(config_key(session, &config.id)).with_attr(RECORD, encode(config)?);
    let mut ops = vec![WriteOp::Put { item, condition: Condition::NotExists }];
    ops.extend(config.tickers.iter().map(|t| watch(t, 1)));
    retry::transient(|| store.transact(ops.clone())).await
}

pub async fn get(
    store: &dyn Store,
    session: &SessionKey,
    id: &ConfigurationId,
) -> Result<Option<Configuration>, StoreError> {
    store.get(&config_key(session, id)).await?.map(|item| decode(&item)).transpose()
}

/// Deletes a configuration; returns false if there was none.
pub async fn delete(
    store: &dyn Store,
    session: &SessionKey,
    id: &ConfigurationId,
) -> Result<bool, StoreError> {
    let Some(config) = get(store, session, id).await? else {
        return Ok(false);
    };
    let mut ops = vec![WriteOp::Delete {
        key: config_key(session, id),
        condition: Condition::Equals(RECORD.into(), encode(&config)?),
    }];
    ops.extend(config.tickers.iter().map(|t| watch(t, -1)));
    match retry::transient(|| store.transact(ops.clone())).await {
        Ok(()) => Ok(true),
        // Changed or deleted concurrently: the other writer's view wins.
        Err(StoreError::ConditionFailed { .. }) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Every ticker that at least one configuration watches.
pub async fn watched_tickers(store: &dyn Store) -> Result<BTreeSet<Ticker>, StoreError> {
    let mut tickers = BTreeSet::new();
    let mut cursor = None;
    loop {
        let query =
            Query::partition(keys::WATCH_PK).sk(SkRange::Prefix("TICKER#".into())).limit(1000).after(cursor);
        let page = store.query(&query).await?;
        for item in &page.items {
            if item.counter(WATCHERS)? <= 0 {
                continue;
            }
            if let Some(ticker) = item.str_attr("ticker").and_then(|t| Ticker::parse(t).ok()) {
                tickers.insert(ticker);
            }
        }
        match page.next {
            Some(next) => cursor = Some(next),
            None => return Ok(tickers),
        }
    }
}

/// Whether at least one configuration watches `ticker`.
pub async fn is_watched(store: &dyn Store, ticker: &Ticker) -> Result<bool, StoreError> {
    let item = store.get(&Key::new(keys::WATCH_PK, keys::watch_sk(ticker))).await?;
    Ok(item.map_or(Ok(0), |i| i.counter(WATCHERS))? > 0)
}
