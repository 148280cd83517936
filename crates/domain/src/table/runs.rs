//! A short history of ingestion runs, so `/health` can say when data last arrived.

use chrono::Duration;

use super::{RECORD, decode, encode, keys};
use crate::run::RunSummary;
use crate::store::{Condition, Item, Key, Query, SkRange, Store, StoreError};

const RUN_HISTORY_DAYS: i64 = 7;

pub async fn record(store: &dyn Store, run: &RunSummary) -> Result<(), StoreError> {
    let item = Item::new(Key::new(keys::INGEST_PK, keys::ingest_run_sk(run.started_at)))
        .with_expiry((run.finished_at + Duration::days(RUN_HISTORY_DAYS)).timestamp())
        .with_attr(RECORD, encode(run)?);
    store.put(item, Condition::Always).await
}

pub async fn latest(store: &dyn Store) -> Result<Option<RunSummary>, StoreError> {
    let query = Query::partition(keys::INGEST_PK).sk(SkRange::Prefix("RUN#".into())).newest_first().limit(1);
    store.query(&query).await?.items.first().map(decode).transpose()
}
