//! Test-only: a store that aborts the whole process when it is asked for its N+1th write, so
//! a test can kill a real `ingest` in the middle of its writes (not after it reported) and
//! check that running it again stores every story exactly once. Compiled only with the
//! `fault-injection` feature, which only the CLI's tests enable; release builds do not have
//! it. Armed by `SENTIMENT_FAULT_ABORT_AFTER_WRITES=N`.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use async_trait::async_trait;
use domain::store::{Item, Key, Page, Query, Store, StoreError, Update, WriteOp};

pub const VARIABLE: &str = "SENTIMENT_FAULT_ABORT_AFTER_WRITES";

/// Wraps `store` when the variable is set.
pub fn wrap(store: Arc<dyn Store>) -> Arc<dyn Store> {
    match std::env::var(VARIABLE).ok().and_then(|n| n.parse::<i64>().ok()) {
        Some(writes) => {
            tracing::warn!(writes, "fault injection: the process aborts at its next write after this many");
            Arc::new(AbortAfter { inner: store, left: AtomicI64::new(writes) })
        }
        None => store,
    }
}

struct AbortAfter {
    inner: Arc<dyn Store>,
    left: AtomicI64,
}

impl AbortAfter {
    fn write(&self) {
        if self.left.fetch_sub(1, Ordering::SeqCst) <= 0 {
            eprintln!("fault injection: aborting at a write");
            std::process::abort();
        }
    }
}

#[async_trait]
impl Store for AbortAfter {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        self.inner.get(key).await
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        self.inner.query(query).await
    }

    async fn transact(&self, ops: Vec<WriteOp>) -> Result<(), StoreError> {
        self.write();
        self.inner.transact(ops).await
    }

    async fn update(&self, update: Update) -> Result<Item, StoreError> {
        self.write();
        self.inner.update(update).await
    }

    async fn health(&self) -> Result<(), StoreError> {
        self.inner.health().await
    }
}
