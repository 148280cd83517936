//! Configurations (watchlists) under their user, and the reference-counted set of tickers that
//! any configuration watches, which ingestion reads instead of scanning.
//!
//! - `USER#<user_id>` / `CONFIG#<config_id>`: the configuration record.
//! - `WATCH` / `TICKER#<symbol>`: `watchers`, how many configurations hold the ticker.
//!
//! Every change to a configuration moves its watch counts and the user's `configs` counter in
//! the same transaction, so the counts stay exact and the per-user limit holds under
//! concurrent requests.

use std::collections::BTreeSet;

use serde_json::Value;

use super::users::{CONFIGS, profile_key, user_pk};
use super::{RECORD, decode, encode, keys};
use crate::configuration::{Configuration, ConfigurationId};
use crate::session::UserId;
use crate::store::{Condition, Item, Key, Query, SkRange, Store, StoreError, Update, WriteOp};
use crate::{Ticker, retry};

const WATCHERS: &str = "watchers";
const CONFIG_PREFIX: &str = "CONFIG#";
/// A user's configurations are read in one page; the per-user limit keeps them far below it.
const MAX_LISTED: usize = 1000;

fn config_key(user: &UserId, id: &ConfigurationId) -> Key {
    Key::new(user_pk(user), format!("{CONFIG_PREFIX}{}", id.as_str()))
}

fn watch(ticker: &Ticker, delta: i64) -> WriteOp {
    WriteOp::Update(
        Update::new(Key::new(keys::WATCH_PK, keys::watch_sk(ticker)))
            .add(WATCHERS, delta)
            .set("ticker", Value::from(ticker.as_str())),
    )
}

fn configs_counter(user: &UserId, delta: i64, condition: Condition) -> WriteOp {
    WriteOp::Update(Update::new(profile_key(user)).add(CONFIGS, delta).when(condition))
}

#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    #[error("the user already has the most configurations allowed ({0})")]
    LimitReached(usize),
    #[error("the configuration id is taken")]
    IdTaken,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Stores a new configuration if the user holds fewer than `max_configs`.
pub async fn create(
    store: &dyn Store,
    user: &UserId,
    config: &Configuration,
    max_configs: usize,
) -> Result<(), CreateError> {
    let bound = i64::try_from(max_configs).unwrap_or(i64::MAX) - 1;
    let item = Item::new(config_key(user, &config.id)).with_attr(RECORD, encode(config)?);
    let mut ops = vec![
        configs_counter(user, 1, Condition::AtMost(CONFIGS.into(), bound)),
        WriteOp::Put { item, condition: Condition::NotExists },
    ];
    ops.extend(config.symbols().iter().map(|t| watch(t, 1)));
    match retry::transient(|| store.transact(ops.clone())).await {
        Ok(()) => Ok(()),
        Err(StoreError::ConditionFailed { index: 0 }) => Err(CreateError::LimitReached(max_configs)),
        Err(StoreError::ConditionFailed { .. }) => Err(CreateError::IdTaken),
        Err(other) => Err(other.into()),
    }
}

pub async fn get(
    store: &dyn Store,
    user: &UserId,
    id: &ConfigurationId,
) -> Result<Option<Configuration>, StoreError> {
    let key = config_key(user, id);
    retry::transient(|| store.get(&key)).await?.map(|item| decode(&item)).transpose()
}

/// A user's configurations, oldest first.
pub async fn list(store: &dyn Store, user: &UserId) -> Result<Vec<Configuration>, StoreError> {
    let query = Query::partition(user_pk(user)).sk(SkRange::Prefix(CONFIG_PREFIX.into())).limit(MAX_LISTED);
    let page = retry::transient(|| store.query(&query)).await?;
    let mut configs = page.items.iter().map(decode).collect::<Result<Vec<Configuration>, _>>()?;
    configs.sort_by(|a, b| a.created_at.cmp(&b.created_at).then_with(|| a.id.cmp(&b.id)));
    Ok(configs)
}

/// Replaces `old` with `new` (same id) if nobody changed it meanwhile; returns false if
/// somebody did (or deleted it). Watch counts follow the tickers added and removed.
pub async fn replace(
    store: &dyn Store,
    user: &UserId,
    old: &Configuration,
    new: &Configuration,
) -> Result<bool, StoreError> {
    let item = Item::new(config_key(user, &new.id)).with_attr(RECORD, encode(new)?);
    let mut ops = vec![WriteOp::Put { item, condition: Condition::Equals(RECORD.into(), encode(old)?) }];
    let (before, after) = (old.symbols(), new.symbols());
    ops.extend(after.difference(&before).map(|t| watch(t, 1)));
    ops.extend(before.difference(&after).map(|t| watch(t, -1)));
    match retry::transient(|| store.transact(ops.clone())).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed { .. }) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Deletes a configuration; returns false if there was none (or it changed meanwhile: the
/// other writer's view wins, and the caller may read again).
pub async fn delete(store: &dyn Store, user: &UserId, id: &ConfigurationId) -> Result<bool, StoreError> {
    let Some(config) = get(store, user, id).await? else {
        return Ok(false);
    };
    delete_known(store, user, &config).await
}

async fn delete_known(store: &dyn Store, user: &UserId, config: &Configuration) -> Result<bool, StoreError> {
    let mut ops = vec![WriteOp::Delete {
        key: config_key(user, &config.id),
        condition: Condition::Equals(RECORD.into(), encode(config)?),
    }];
    ops.extend(config.symbols().iter().map(|t| watch(t, -1)));
    // The profile may already be gone (a sweep); the counter then has nothing to count.
    ops.push(configs_counter(user, -1, Condition::Exists));
    match retry::transient(|| store.transact(ops.clone())).await {
        Ok(()) => Ok(true),
        Err(StoreError::ConditionFailed { index: i }) if i == ops.len() - 1 => {
            ops.pop();
            match retry::transient(|| store.transact(ops.clone())).await {
                Ok(()) => Ok(true),
                Err(StoreError::ConditionFailed { .. }) => Ok(false),
                Err(other) => Err(other),
            }
        }
        Err(StoreError::ConditionFailed { .. }) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Deletes every configuration of a user (the expiry sweep); returns how many it deleted.
pub(crate) async fn delete_all(store: &dyn Store, user: &UserId) -> Result<u64, StoreError> {
    let mut deleted = 0;
    for config in list(store, user).await? {
        if delete_known(store, user, &config).await? {
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// Every ticker that at least one configuration watches.
pub async fn watched_tickers(store: &dyn Store) -> Result<BTreeSet<Ticker>, StoreError> {
    let mut tickers = BTreeSet::new();
    let mut cursor = None;
    loop {
        let query =
            Query::partition(keys::WATCH_PK).sk(SkRange::Prefix("TICKER#".into())).limit(1000).after(cursor);
        let page = retry::transient(|| store.query(&query)).await?;
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
    let key = Key::new(keys::WATCH_PK, keys::watch_sk(ticker));
    let item = retry::transient(|| store.get(&key)).await?;
    Ok(item.map_or(Ok(0), |i| i.counter(WATCHERS))? > 0)
}
