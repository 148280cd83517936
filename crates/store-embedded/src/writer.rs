//! The one writer thread. It takes every write queued since its last commit and commits them
//! together (group commit), so concurrent writers share one durable commit. Each queued write
//! is still all-or-nothing on its own: its conditions are checked and its new items built
//! before any of it is applied, so a failed condition leaves no trace while the others in the
//! batch commit. The thread also reopens the file after a fault.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use domain::store::{self, Condition, Item, Key, StoreError, WriteOp};
use redb::ReadableTable;
use tokio::sync::oneshot;

use crate::{Failure, GSI1, ITEMS, META, Opener, Options, Shared, codec, guarded, ranges};

/// Most writes committed together.
const MAX_BATCH: usize = 256;
/// How long a reopen waits for in-flight reads to let go of the old file.
const RELEASE_WAIT: Duration = Duration::from_secs(2);

pub(crate) enum Request {
    /// Apply these operations, all or none, and return each written item (None for deletes).
    Write { ops: Vec<WriteOp>, now: i64 },
    /// Succeed if the store can be written: after a failed write, prove it with a probe write.
    Probe,
    /// Reopen the file if a fault asked for it.
    Recover,
}

type Reply = Result<Vec<Option<Item>>, StoreError>;

struct Job {
    request: Request,
    reply: oneshot::Sender<Reply>,
}

pub(crate) struct Writer {
    sender: mpsc::Sender<Job>,
    thread: JoinHandle<()>,
}

impl Writer {
    pub fn spawn(shared: Arc<Shared>, opener: Opener, options: Options) -> std::io::Result<Self> {
        let (sender, jobs) = mpsc::channel();
        let worker = Worker { shared, opener, options, degraded: None, last_reopen: None };
        let thread =
            std::thread::Builder::new().name("store-writer".into()).spawn(move || worker.run(jobs))?;
        Ok(Self { sender, thread })
    }

    pub fn submit(&self, request: Request) -> Result<oneshot::Receiver<Reply>, StoreError> {
        let (reply, receiver) = oneshot::channel();
        self.sender
            .send(Job { request, reply })
            .map_err(|_| StoreError::Unavailable("store writer stopped".into()))?;
        Ok(receiver)
    }

    /// Lets queued writes finish, then stops the thread and closes the file.
    pub fn shut_down(self) {
        drop(self.sender);
        let _ = self.thread.join();
    }
}

struct Worker {
    shared: Arc<Shared>,
    opener: Opener,
    options: Options,
    /// Why the last write failed, until a write succeeds again.
    degraded: Option<String>,
    last_reopen: Option<Instant>,
}

/// One queued write, prepared: what each key becomes and its index entries.
struct Prepared {
    key: Key,
    previous_gsi: Option<(String, String)>,
    next: Option<(Item, Vec<u8>)>,
}

impl Worker {
    fn run(mut self, jobs: mpsc::Receiver<Job>) {
        while let Ok(first) = jobs.recv() {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match jobs.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            self.handle(batch);
        }
        // Close the file before the thread ends, so a reopen right after succeeds.
        self.shared.db.write().unwrap_or_else(|p| p.into_inner()).take();
    }

    fn handle(&mut self, batch: Vec<Job>) {
        if let Err(error) = self.ensure_open() {
            for job in batch {
                let _ = job.reply.send(Err(error.clone()));
            }
            return;
        }
        let probe = self.degraded.is_some() && batch.iter().any(|j| matches!(j.request, Request::Probe));
        let writes: Vec<(&[WriteOp], i64)> = batch
            .iter()
            .filter_map(|j| match &j.request {
                Request::Write { ops, now } => Some((ops.as_slice(), *now)),
                _ => None,
            })
            .collect();
        if writes.is_empty() && !probe {
            for job in batch {
                let _ = job.reply.send(Ok(Vec::new()));
            }
            return;
        }
        match self.commit(&writes, probe) {
            Ok(results) => {
                self.degraded = None;
                let mut results = results.into_iter();
                for job in batch {
                    let reply = match job.request {
                        Request::Write { .. } => results.next().unwrap_or(Ok(Vec::new())),
                        Request::Probe | Request::Recover => Ok(Vec::new()),
                    };
                    let _ = job.reply.send(reply);
                }
            }
            Err(failure) => {
                let error = self.shared.location.describe(failure, &self.shared.needs_reopen);
                tracing::error!(%error, writes = writes.len(), "store write failed");
                self.degraded = Some(error.to_string());
                for job in batch {
                    let _ = job.reply.send(Err(error.clone()));
                }
            }
        }
    }

    /// One durable commit of every write in the batch. The outer error is a database fault
    /// (nothing committed); the inner results are each write's own outcome.
    fn commit(&self, writes: &[(&[WriteOp], i64)], probe: bool) -> Result<Vec<Reply>, Failure> {
        let db = self.shared.current().map_err(Failure::Item)?;
        guarded(|| {
            let txn = db.begin_write()?;
            let mut results = Vec::with_capacity(writes.len());
            {
                let mut items = txn.open_table(ITEMS)?;
                let mut gsi = txn.open_table(GSI1)?;
                for (ops, now) in writes {
                    match prepare(&items, ops, *now) {
                        Ok(prepared) => {
                            let written = prepared
                                .iter()
                                .map(|p| p.next.as_ref().map(|(item, _)| item.clone()))
                                .collect();
                            apply(&mut items, &mut gsi, prepared)?;
                            results.push(Ok(written));
                        }
                        Err(Failure::Item(error)) => results.push(Err(error)),
                        Err(other) => return Err(other),
                    }
                }
                if probe {
                    let mut meta = txn.open_table(META)?;
                    let stamp = writes.first().map_or(0, |(_, now)| *now).to_string();
                    meta.insert("probe", stamp.as_str())?;
                }
            }
            txn.commit()?;
            Ok(results)
        })
    }

    /// Reopens the file if a fault asked for it (at most once per backoff period).
    fn ensure_open(&mut self) -> Result<(), StoreError> {
        if !self.shared.needs_reopen.load(Ordering::Acquire) {
            return Ok(());
        }
        let path = self.shared.location.0.display().to_string();
        if self.last_reopen.is_some_and(|at| at.elapsed() < self.options.reopen_backoff) {
            return Err(StoreError::Unavailable(format!(
                "store {path} failed ({}) and will be reopened shortly",
                self.degraded.as_deref().unwrap_or("fault")
            )));
        }
        self.last_reopen = Some(Instant::now());
        self.release_old()?;
        match guarded(|| (self.opener)().map_err(|e| Failure::Item(StoreError::Unavailable(e.to_string())))) {
            Ok(db) => {
                *self.shared.db.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(db));
                self.shared.needs_reopen.store(false, Ordering::Release);
                tracing::warn!(path, "store reopened after a fault");
                Ok(())
            }
            Err(failure) => {
                let error = self.shared.location.describe(failure, &self.shared.needs_reopen);
                self.shared.needs_reopen.store(true, Ordering::Release);
                tracing::error!(%error, "store could not be reopened");
                Err(error)
            }
        }
    }

    /// Takes the old database out of service and waits (briefly) until no read holds it, so
    /// its file lock is released before the file is opened again.
    fn release_old(&self) -> Result<(), StoreError> {
        let taken = self.shared.db.write().unwrap_or_else(|p| p.into_inner()).take();
        let Some(mut db) = taken else { return Ok(()) };
        let deadline = Instant::now() + RELEASE_WAIT;
        loop {
            match Arc::try_unwrap(db) {
                Ok(db) => {
                    drop(db);
                    return Ok(());
                }
                Err(still_shared) if Instant::now() < deadline => {
                    db = still_shared;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(still_shared) => {
                    *self.shared.db.write().unwrap_or_else(|p| p.into_inner()) = Some(still_shared);
                    return Err(StoreError::Unavailable(
                        "store is busy; it will be reopened on the next write".into(),
                    ));
                }
            }
        }
    }
}

fn check(condition: &Condition, current: Option<&Item>, index: usize) -> Result<(), StoreError> {
    if store::condition_holds(condition, current) {
        Ok(())
    } else {
        Err(StoreError::ConditionFailed { index })
    }
}

/// Checks every condition and builds every new item before anything is written.
fn prepare(
    items: &redb::Table<(&str, &str), &[u8]>,
    ops: &[WriteOp],
    now: i64,
) -> Result<Vec<Prepared>, Failure> {
    let mut prepared = Vec::with_capacity(ops.len());
    for (index, op) in ops.iter().enumerate() {
        let key = op.key();
        // The stored item, live or expired: its index entry must go either way.
        let stored = read_stored(items, key)?;
        let previous_gsi = stored
            .as_ref()
            .and_then(|item| item.gsi1.as_ref())
            .map(|g| (g.pk.clone(), ranges::gsi_composite(&g.sk, key)));
        let current = stored.filter(|item| store::is_live(item, now));
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
        let next = match next {
            Some(item) => {
                let bytes = codec::encode(&item)?;
                Some((item, bytes))
            }
            None => None,
        };
        prepared.push(Prepared { key: key.clone(), previous_gsi, next });
    }
    Ok(prepared)
}

/// Writes prepared items, keeping GSI1 in step. Only the database itself can fail here.
fn apply(
    items: &mut redb::Table<(&str, &str), &[u8]>,
    gsi: &mut redb::Table<(&str, &str), ()>,
    prepared: Vec<Prepared>,
) -> Result<(), Failure> {
    for Prepared { key, previous_gsi, next } in prepared {
        if let Some((gpk, composite)) = previous_gsi {
            gsi.remove((gpk.as_str(), composite.as_str()))?;
        }
        match next {
            Some((item, bytes)) => {
                items.insert((key.pk.as_str(), key.sk.as_str()), bytes.as_slice())?;
                if let Some(g) = &item.gsi1 {
                    let composite = ranges::gsi_composite(&g.sk, &key);
                    gsi.insert((g.pk.as_str(), composite.as_str()), ())?;
                }
            }
            None => {
                items.remove((key.pk.as_str(), key.sk.as_str()))?;
            }
        }
    }
    Ok(())
}

fn read_stored(items: &redb::Table<(&str, &str), &[u8]>, key: &Key) -> Result<Option<Item>, Failure> {
    match items.get((key.pk.as_str(), key.sk.as_str()))? {
        Some(bytes) => Ok(Some(codec::decode(key.clone(), bytes.value())?)),
        None => Ok(None),
    }
}
