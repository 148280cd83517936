//! The embedded store: the single-table design (PK/SK, GSI1, TTL) in one redb file, so local
//! mode runs the exact access patterns the DynamoDB adapter serves in AWS.
//!
//! Every write commits durably (redb's default immediate durability) before it returns, so a
//! killed process loses nothing it reported as written.

mod codec;
mod open;
mod ranges;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use async_trait::async_trait;
use domain::Clock;
use domain::store::{self, Condition, IndexName, Item, Key, Page, Query, Store, StoreError, Update, WriteOp};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

pub use open::OpenError;

/// (PK, SK) -> encoded item.
const ITEMS: TableDefinition<(&str, &str), &[u8]> = TableDefinition::new("items");
/// (GSI1PK, GSI1SK \0 PK \0 SK) -> (); the composite keeps entries unique and ordered by GSI1SK.
const GSI1: TableDefinition<(&str, &str), ()> = TableDefinition::new("gsi1");
/// Format marker, so a foreign redb file is refused rather than misread.
const META: TableDefinition<&str, &str> = TableDefinition::new("meta");
const FORMAT_KEY: &str = "format";
const FORMAT: &str = "sentiment-analyzer/single-table/v1";

/// The file inside the data directory.
pub const STORE_FILE: &str = "store.redb";

#[derive(Clone)]
pub struct EmbeddedStore {
    db: Arc<Database>,
    clock: Arc<dyn Clock>,
    location: Arc<Option<PathBuf>>,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore").field("location", &self.location).finish_non_exhaustive()
    }
}

impl EmbeddedStore {
    /// Opens (creating if needed) the store in `data_dir`.
    pub fn open(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Self, OpenError> {
        let db = open::open_dir(data_dir)?;
        Ok(Self { db: Arc::new(db), clock, location: Arc::new(Some(data_dir.join(STORE_FILE))) })
    }

    /// A store that lives in memory only, for tests.
    pub fn in_memory(clock: Arc<dyn Clock>) -> Result<Self, OpenError> {
        let db = open::open_in_memory()?;
        Ok(Self { db: Arc::new(db), clock, location: Arc::new(None) })
    }

    async fn blocking<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Database, i64) -> Result<T, StoreError> + Send + 'static,
    {
        let db = Arc::clone(&self.db);
        let now = self.clock.now().timestamp();
        tokio::task::spawn_blocking(move || work(&db, now))
            .await
            .map_err(|e| StoreError::Unavailable(format!("store worker failed: {e}")))?
    }
}

fn storage(error: impl Into<redb::Error>) -> StoreError {
    match error.into() {
        redb::Error::Corrupted(detail) => StoreError::Corrupt(detail),
        other => StoreError::Unavailable(other.to_string()),
    }
}

/// The live item at `key`, if any.
fn read_live<T>(table: &T, key: &Key, now: i64) -> Result<Option<Item>, StoreError>
where
    T: ReadableTable<(&'static str, &'static str), &'static [u8]>,
{
    let Some(bytes) = table.get((key.pk.as_str(), key.sk.as_str())).map_err(storage)? else {
        return Ok(None);
    };
    let item = codec::decode(key.clone(), bytes.value())?;
    Ok(store::is_live(&item, now).then_some(item))
}

fn check(condition: &Condition, current: Option<&Item>, index: usize) -> Result<(), StoreError> {
    if store::condition_holds(condition, current) {
        Ok(())
    } else {
        Err(StoreError::ConditionFailed { index })
    }
}

/// Writes `next` in place of `previous` (either may be absent), keeping GSI1 in step.
fn replace(
    items: &mut redb::Table<(&str, &str), &[u8]>,
    gsi: &mut redb::Table<(&str, &str), ()>,
    key: &Key,
    previous_gsi: Option<(String, String)>,
    next: Option<&Item>,
) -> Result<(), StoreError> {
    if let Some((gpk, composite)) = previous_gsi {
        gsi.remove((gpk.as_str(), composite.as_str())).map_err(storage)?;
    }
    match next {
        Some(item) => {
            let bytes = codec::encode(item)?;
            items.insert((key.pk.as_str(), key.sk.as_str()), bytes.as_slice()).map_err(storage)?;
            if let Some(g) = &item.gsi1 {
                let composite = ranges::gsi_composite(&g.sk, key);
                gsi.insert((g.pk.as_str(), composite.as_str()), ()).map_err(storage)?;
            }
        }
        None => {
            items.remove((key.pk.as_str(), key.sk.as_str())).map_err(storage)?;
        }
    }
    Ok(())
}

/// The GSI entry stored for `key` right now, live or expired (it must be removed either way).
fn stored_gsi(
    items: &redb::Table<(&str, &str), &[u8]>,
    key: &Key,
) -> Result<Option<(String, String)>, StoreError> {
    let Some(bytes) = items.get((key.pk.as_str(), key.sk.as_str())).map_err(storage)? else {
        return Ok(None);
    };
    let item = codec::decode(key.clone(), bytes.value())?;
    Ok(item.gsi1.map(|g| (g.pk, ranges::gsi_composite(&g.sk, key))))
}

fn write_all(db: &Database, ops: &[WriteOp], now: i64) -> Result<Vec<Option<Item>>, StoreError> {
    let txn = db.begin_write().map_err(storage)?;
    let mut results = Vec::with_capacity(ops.len());
    {
        let mut items = txn.open_table(ITEMS).map_err(storage)?;
        let mut gsi = txn.open_table(GSI1).map_err(storage)?;
        for (index, op) in ops.iter().enumerate() {
            let key = op.key();
            let current = read_live(&items, key, now)?;
            let previous_gsi = stored_gsi(&items, key)?;
            let next = match op {
                WriteOp::Put { item, condition } => {
                    check(condition, current.as_ref(), index)?;
                    Some(item.clone())
                }
                WriteOp::Update(update) => {
                    check(&update.condition, current.as_ref(), index)?;
                    Some(store::apply_update(update, current)?)
                }
                WriteOp::Delete { condition, .. } => {
                    check(condition, current.as_ref(), index)?;
                    None
                }
            };
            replace(&mut items, &mut gsi, key, previous_gsi, next.as_ref())?;
            results.push(next);
        }
    }
    // Dropping an uncommitted transaction (the early returns above) aborts it.
    txn.commit().map_err(storage)?;
    Ok(results)
}

#[async_trait]
impl Store for EmbeddedStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        store::validate_key(key)?;
        let key = key.clone();
        self.blocking(move |db, now| {
            let txn = db.begin_read().map_err(storage)?;
            let items = txn.open_table(ITEMS).map_err(storage)?;
            read_live(&items, &key, now)
        })
        .await
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        store::validate_query(query)?;
        let query = query.clone();
        self.blocking(move |db, now| {
            let txn = db.begin_read().map_err(storage)?;
            let items = txn.open_table(ITEMS).map_err(storage)?;
            let bounds = ranges::Bounds::for_query(&query)?;
            let scan = match query.index {
                IndexName::Primary => ranges::scan(&items, &query, &bounds)?,
                IndexName::Gsi1 => ranges::scan(&txn.open_table(GSI1).map_err(storage)?, &query, &bounds)?,
            };
            let mut page = Page { items: Vec::with_capacity(scan.keys.len()), next: scan.next };
            for key in scan.keys {
                if let Some(item) = read_live(&items, &key, now)? {
                    page.items.push(item);
                }
            }
            Ok(page)
        })
        .await
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        store::validate_transaction(&ops)?;
        for op in &ops {
            ranges::validate_key_chars(op.key())?;
        }
        self.blocking(move |db, now| write_all(db, &ops, now).map(|_| ())).await
    }

    async fn update(&self, update: Update) -> Result<Item, StoreError> {
        store::validate_key(&update.key)?;
        ranges::validate_key_chars(&update.key)?;
        self.blocking(move |db, now| {
            let mut results = write_all(db, &[WriteOp::Update(update)], now)?;
            results.pop().flatten().ok_or_else(|| StoreError::Unavailable("update produced no item".into()))
        })
        .await
    }

    async fn health(&self) -> Result<(), StoreError> {
        self.blocking(|db, _| {
            let txn = db.begin_read().map_err(storage)?;
            let meta = txn.open_table(META).map_err(storage)?;
            match meta.get(FORMAT_KEY).map_err(storage)? {
                Some(format) if format.value() == FORMAT => Ok(()),
                _ => Err(StoreError::Corrupt("store format marker is missing".into())),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests;
