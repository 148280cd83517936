//! Fault injection for tests: a redb backend over a real file that can be made to fail like
//! a full disk (writes and growth refused with ENOSPC) or to panic on reads as a damaged file
//! can make the engine do, and that counts its fsyncs. Enabled by the `fault-injection`
//! feature; production builds do not contain it.

use std::fs::File;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use redb::backends::FileBackend;
use redb::{BackendError, StorageBackend};

#[derive(Debug, Default)]
pub struct Switches {
    pub full: AtomicBool,
    pub panic_on_read: AtomicBool,
    pub syncs: AtomicUsize,
}

#[derive(Debug)]
pub struct Faulty {
    inner: FileBackend,
    switches: Arc<Switches>,
}

impl Faulty {
    pub fn open(path: &std::path::Path, switches: Arc<Switches>) -> std::io::Result<Self> {
        let file = File::options().read(true).write(true).create(true).truncate(false).open(path)?;
        let inner = FileBackend::new(file).map_err(std::io::Error::other)?;
        Ok(Self { inner, switches })
    }

    fn full(&self) -> Result<(), std::io::Error> {
        if self.switches.full.load(Ordering::SeqCst) {
            Err(std::io::Error::from_raw_os_error(28))
        } else {
            Ok(())
        }
    }
}

impl StorageBackend for Faulty {
    fn len(&self) -> Result<u64, std::io::Error> {
        self.inner.len()
    }
    fn read(&self, offset: u64, out: &mut [u8]) -> Result<(), std::io::Error> {
        assert!(!self.switches.panic_on_read.load(Ordering::SeqCst), "injected engine panic");
        self.inner.read(offset, out)
    }
    fn set_len(&self, len: u64) -> Result<(), std::io::Error> {
        if len > self.inner.len()? {
            self.full()?;
        }
        self.inner.set_len(len)
    }
    fn sync_data(&self) -> Result<(), std::io::Error> {
        self.switches.syncs.fetch_add(1, Ordering::SeqCst);
        self.full()?;
        self.inner.sync_data()
    }
    fn write(&self, offset: u64, data: &[u8]) -> Result<(), std::io::Error> {
        self.full()?;
        self.inner.write(offset, data)
    }
    fn close(&self) -> Result<(), std::io::Error> {
        self.inner.close()
    }
    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_range(start, end)
    }
    fn try_lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_shared_range(start, end)
    }
    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_range(start, end)
    }
    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_shared_range(start, end)
    }
    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.unlock_range(start, end)
    }
    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.query_lock_range(start, end)
    }
}
