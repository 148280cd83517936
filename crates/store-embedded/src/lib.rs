//! The embedded store: the single-table design (PK/SK, GSI1, TTL) in one redb file, so local
//! mode runs the exact access patterns the DynamoDB adapter serves in AWS.
//!
//! Writes go through one writer thread that commits whatever is queued together, durably
//! (group commit): every write is on disk before it is acknowledged, and a burst of
//! concurrent writers shares one fsync instead of paying one each.
//!
//! Faults are visible and recoverable. An I/O error (a full disk) or a damaged file makes
//! the store report `Unavailable`/`Corrupt` and reopen the file, with an integrity check,
//! before it is used again; a panic inside the database engine is caught here and reported
//! as `Corrupt`, naming the file and what to do.

mod codec;
#[cfg(any(test, feature = "fault-injection"))]
pub mod fault;
mod open;
mod ranges;
mod writer;

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use async_trait::async_trait;
use domain::Clock;
use domain::store::{self, IndexName, Item, Key, Page, Query, Store, StoreError, Update, WriteOp};
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

/// Blocking reads in flight at once; more wait their turn without holding a thread.
const MAX_CONCURRENT_READS: usize = 16;

/// Why an operation failed: the request or an item (`Item`), or the database file itself
/// (`Db`: I/O, damage, a panic inside the engine), after which the store reopens the file.
pub(crate) enum Failure {
    Item(StoreError),
    Db(redb::Error),
    Panic(String),
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Self::Item(error)
    }
}

macro_rules! db_failure {
    ($($t:ty),*) => {$(
        impl From<$t> for Failure {
            fn from(error: $t) -> Self {
                Self::Db(error.into())
            }
        }
    )*};
}
db_failure!(redb::Error, redb::StorageError, redb::TableError, redb::TransactionError, redb::CommitError);

/// Where the store lives, for messages.
#[derive(Clone, Debug)]
pub(crate) struct Location(Arc<PathBuf>);

impl Location {
    fn describe(&self, failure: Failure, needs_reopen: &AtomicBool) -> StoreError {
        let path = self.0.display();
        match failure {
            Failure::Item(error) => error,
            Failure::Db(redb::Error::Corrupted(detail)) => {
                needs_reopen.store(true, Ordering::Release);
                StoreError::Corrupt(format!(
                    "store {path} is damaged ({detail}); stop the service and move the file aside \
                     to start a new store, or restore it from a backup"
                ))
            }
            Failure::Db(other) => {
                needs_reopen.store(true, Ordering::Release);
                StoreError::Unavailable(format!("store {path}: {other}"))
            }
            Failure::Panic(detail) => {
                needs_reopen.store(true, Ordering::Release);
                StoreError::Corrupt(format!(
                    "store {path} failed inside the database engine ({detail}); the file is probably \
                     damaged: stop the service and move it aside to start a new store, or restore it \
                     from a backup"
                ))
            }
        }
    }
}

/// Runs `work`, turning a panic inside it into `Failure::Panic`.
pub(crate) fn guarded<T>(work: impl FnOnce() -> Result<T, Failure>) -> Result<T, Failure> {
    std::panic::catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|payload| {
        let detail = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".into());
        Err(Failure::Panic(detail))
    })
}

/// Opens (or reopens) the database behind a store.
pub(crate) type Opener = Box<dyn Fn() -> Result<Database, OpenError> + Send + Sync>;

/// State shared by the store handles, the readers and the writer thread.
pub(crate) struct Shared {
    /// The open database; `None` while it is being reopened after a fault.
    pub db: RwLock<Option<Arc<Database>>>,
    /// Set by any operation that met a database fault; the writer thread reopens.
    pub needs_reopen: AtomicBool,
    pub location: Location,
}

impl Shared {
    fn current(&self) -> Result<Arc<Database>, StoreError> {
        let guard = self.db.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        guard.clone().ok_or_else(|| {
            StoreError::Unavailable(format!(
                "store {} is being reopened after a fault",
                self.location.0.display()
            ))
        })
    }
}

/// Tuning for opening a store; the defaults suit local mode.
#[derive(Clone, Debug)]
pub struct Options {
    /// The shortest time between two attempts to reopen a failed store.
    pub reopen_backoff: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self { reopen_backoff: Duration::from_secs(2) }
    }
}

struct Handle {
    shared: Arc<Shared>,
    clock: Arc<dyn Clock>,
    readers: tokio::sync::Semaphore,
    writer: Mutex<Option<writer::Writer>>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        // Join the writer so the file is closed (and its lock released) when the last handle
        // goes: reopening the same directory right after must work.
        if let Some(writer) = self.writer.get_mut().unwrap_or_else(|p| p.into_inner()).take() {
            writer.shut_down();
        }
    }
}

#[derive(Clone)]
pub struct EmbeddedStore {
    handle: Arc<Handle>,
}

impl std::fmt::Debug for EmbeddedStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedStore")
            .field("location", &self.handle.shared.location.0)
            .finish_non_exhaustive()
    }
}

impl EmbeddedStore {
    /// Opens (creating if needed) the store in `data_dir`.
    pub fn open(data_dir: &Path, clock: Arc<dyn Clock>) -> Result<Self, OpenError> {
        Self::open_with_options(data_dir, clock, Options::default())
    }

    pub fn open_with_options(
        data_dir: &Path,
        clock: Arc<dyn Clock>,
        options: Options,
    ) -> Result<Self, OpenError> {
        let file = open::prepare_dir(data_dir)?;
        let path = file.clone();
        let opener: Opener = Box::new(move || open::open_file(&path));
        Self::start(file, opener, clock, options)
    }

    /// A store on a caller-provided redb backend, reopened through `backend` after a fault.
    /// For tests that inject I/O faults (a disk that fills up, then frees space).
    /// With the `fault-injection` feature, `fault::Faulty` is such a backend.
    pub fn open_with_backend<B, F>(
        label: &Path,
        backend: F,
        clock: Arc<dyn Clock>,
        options: Options,
    ) -> Result<Self, OpenError>
    where
        B: redb::StorageBackend,
        F: Fn() -> std::io::Result<B> + Send + Sync + 'static,
    {
        let path = label.to_owned();
        let opener: Opener = Box::new(move || {
            let backend = backend().map_err(|source| OpenError::Io { path: path.clone(), source })?;
            open::open_backend(&path, backend)
        });
        Self::start(label.to_owned(), opener, clock, options)
    }

    /// A store that lives in memory only, for tests.
    pub fn in_memory(clock: Arc<dyn Clock>) -> Result<Self, OpenError> {
        let label = PathBuf::from(":memory:");
        let opener: Opener =
            Box::new(|| open::open_backend(Path::new(":memory:"), redb::backends::InMemoryBackend::new()));
        Self::start(label, opener, clock, Options::default())
    }

    fn start(
        label: PathBuf,
        opener: Opener,
        clock: Arc<dyn Clock>,
        options: Options,
    ) -> Result<Self, OpenError> {
        let db = opener()?;
        let shared = Arc::new(Shared {
            db: RwLock::new(Some(Arc::new(db))),
            needs_reopen: AtomicBool::new(false),
            location: Location(Arc::new(label)),
        });
        let writer = writer::Writer::spawn(Arc::clone(&shared), opener, options)
            .map_err(|source| OpenError::Io { path: shared.location.0.as_ref().clone(), source })?;
        Ok(Self {
            handle: Arc::new(Handle {
                shared,
                clock,
                readers: tokio::sync::Semaphore::new(MAX_CONCURRENT_READS),
                writer: Mutex::new(Some(writer)),
            }),
        })
    }

    fn now(&self) -> i64 {
        self.handle.clock.now().timestamp()
    }

    async fn read<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Database, i64) -> Result<T, Failure> + Send + 'static,
    {
        let _permit = self
            .handle
            .readers
            .acquire()
            .await
            .map_err(|_| StoreError::Unavailable("store is shutting down".into()))?;
        if self.handle.shared.needs_reopen.load(Ordering::Acquire) {
            self.writer(writer::Request::Recover).await?;
        }
        let db = self.handle.shared.current()?;
        let now = self.now();
        let outcome = tokio::task::spawn_blocking(move || guarded(|| work(&db, now)))
            .await
            .map_err(|e| StoreError::Unavailable(format!("store worker failed: {e}")))?;
        outcome.map_err(|failure| {
            self.handle.shared.location.describe(failure, &self.handle.shared.needs_reopen)
        })
    }

    async fn writer(&self, request: writer::Request) -> Result<Vec<Option<Item>>, StoreError> {
        let receiver = {
            let writer = self.handle.writer.lock().unwrap_or_else(|p| p.into_inner());
            let writer =
                writer.as_ref().ok_or_else(|| StoreError::Unavailable("store is shut down".into()))?;
            writer.submit(request)?
        };
        receiver.await.map_err(|_| StoreError::Unavailable("store writer stopped".into()))?
    }

    async fn write(&self, ops: Vec<WriteOp>) -> Result<Vec<Option<Item>>, StoreError> {
        self.writer(writer::Request::Write { ops, now: self.now() }).await
    }
}

/// The live item at `key`, if any.
fn read_live<T>(table: &T, key: &Key, now: i64) -> Result<Option<Item>, Failure>
where
    T: ReadableTable<(&'static str, &'static str), &'static [u8]>,
{
    let Some(bytes) = table.get((key.pk.as_str(), key.sk.as_str()))? else {
        return Ok(None);
    };
    let item = codec::decode(key.clone(), bytes.value())?;
    Ok(store::is_live(&item, now).then_some(item))
}

#[async_trait]
impl Store for EmbeddedStore {
    async fn get(&self, key: &Key) -> Result<Option<Item>, StoreError> {
        store::validate_key(key)?;
        let key = key.clone();
        self.read(move |db, now| {
            let txn = db.begin_read()?;
            let items = txn.open_table(ITEMS)?;
            read_live(&items, &key, now)
        })
        .await
    }

    async fn query(&self, query: &Query) -> Result<Page, StoreError> {
        store::validate_query(query)?;
        let query = query.clone();
        self.read(move |db, now| {
            let txn = db.begin_read()?;
            let items = txn.open_table(ITEMS)?;
            let bounds = ranges::Bounds::for_query(&query)?;
            let scan = match query.index {
                IndexName::Primary => ranges::scan(&items, &query, &bounds)?,
                IndexName::Gsi1 => ranges::scan(&txn.open_table(GSI1)?, &query, &bounds)?,
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
        self.write(ops).await.map(|_| ())
    }

    async fn update(&self, update: Update) -> Result<Item, StoreError> {
        store::validate_key(&update.key)?;
        store::validate_update(&update)?;
        ranges::validate_key_chars(&update.key)?;
        let mut results = self.write(vec![WriteOp::Update(update)]).await?;
        results.pop().flatten().ok_or_else(|| StoreError::Unavailable("update produced no item".into()))
    }

    /// Healthy when the file reads and, if a write has failed since the last good one, a
    /// probe write now succeeds: `/health` reports a full disk instead of "ok".
    async fn health(&self) -> Result<(), StoreError> {
        self.writer(writer::Request::Probe).await?;
        self.read(|db, _| {
            let txn = db.begin_read()?;
            let meta = txn.open_table(META)?;
            match meta.get(FORMAT_KEY)? {
                Some(format) if format.value() == FORMAT => Ok(()),
                _ => Err(StoreError::Corrupt("store format marker is missing".into()).into()),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests;
