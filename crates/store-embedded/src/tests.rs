//! The embedded adapter against the shared conformance suite, plus what only a file-backed
//! store can show: durability across reopen and clear errors for bad data dirs.

use std::sync::Arc;

use domain::store::{Condition, Item, Key, Store, StoreError};
use store_conformance::{Harness, conformance_suite, fake_clock};

use crate::{EmbeddedStore, OpenError, STORE_FILE};

async fn in_memory(_test: &str) -> Option<Harness> {
    let clock = fake_clock();
    let store = EmbeddedStore::in_memory(clock.clone()).expect("in-memory store");
    Some(Harness { store: Arc::new(store), clock })
}

mod in_memory_backend {
    use super::*;
    conformance_suite!(in_memory);
}

/// The file backend too, since that is what local mode runs on.
mod file_backend {
    use super::*;

    async fn on_disk(_test: &str) -> Option<Harness> {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = fake_clock();
        let store = EmbeddedStore::open(&dir.keep(), clock.clone()).expect("open");
        Some(Harness { store: Arc::new(store), clock })
    }

    conformance_suite!(on_disk);
}

#[tokio::test]
async fn writes_survive_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let store = EmbeddedStore::open(dir.path(), fake_clock()).expect("open");
        store.put(Item::new(Key::new("P", "s")).with_attr("v", 7), Condition::NotExists).await.expect("put");
    }
    let store = EmbeddedStore::open(dir.path(), fake_clock()).expect("reopen");
    let item = store.get(&Key::new("P", "s")).await.expect("get").expect("persisted");
    assert_eq!(item.counter("v").unwrap(), 7);
    store.health().await.expect("healthy");
}

#[test]
fn a_second_opener_is_told_the_store_is_in_use() {
    let dir = tempfile::tempdir().expect("tempdir");
    let _first = EmbeddedStore::open(dir.path(), fake_clock()).expect("open");
    let err = EmbeddedStore::open(dir.path(), fake_clock()).expect_err("second open");
    assert!(matches!(err, OpenError::InUse(_)), "{err}");
    assert!(err.to_string().contains("in use"));
}

#[test]
fn foreign_or_corrupt_data_dirs_are_refused_clearly() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("notes.txt"), "mine").expect("write");
    let err = EmbeddedStore::open(dir.path(), fake_clock()).expect_err("foreign dir");
    assert!(matches!(err, OpenError::Foreign(_)), "{err}");

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(STORE_FILE), b"this is not a database at all, just some text".repeat(100))
        .expect("write");
    let err = EmbeddedStore::open(dir.path(), fake_clock()).expect_err("garbage file");
    let message = err.to_string();
    assert!(message.contains(STORE_FILE), "names the file: {message}");

    let file = tempfile::NamedTempFile::new().expect("file");
    let err = EmbeddedStore::open(file.path(), fake_clock()).expect_err("a file, not a dir");
    assert!(matches!(err, OpenError::NotADirectory(_)), "{err}");
}

#[test]
fn a_redb_file_from_another_program_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    {
        let db = redb::Database::create(dir.path().join(STORE_FILE)).expect("create");
        let txn = db.begin_write().expect("txn");
        txn.open_table(redb::TableDefinition::<&str, u64>::new("theirs")).expect("table");
        txn.commit().expect("commit");
    }
    let err = EmbeddedStore::open(dir.path(), fake_clock()).expect_err("foreign redb");
    assert!(matches!(err, OpenError::NotOurFormat { .. }), "{err}");
}

fn faulty_store(dir: &std::path::Path) -> (EmbeddedStore, Arc<crate::fault::Switches>) {
    let switches = Arc::new(crate::fault::Switches::default());
    let path = dir.join(STORE_FILE);
    let for_backend = Arc::clone(&switches);
    let options = crate::Options { reopen_backoff: std::time::Duration::ZERO };
    let label = path.clone();
    let store = EmbeddedStore::open_with_backend(
        &label,
        move || crate::fault::Faulty::open(&path, Arc::clone(&for_backend)),
        fake_clock(),
        options,
    )
    .expect("open");
    (store, switches)
}

fn big_item(i: usize) -> Item {
    Item::new(Key::new("BULK", format!("k{i:05}"))).with_attr("text", "x".repeat(4096))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_reported_and_the_store_recovers_when_space_returns() {
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, switches) = faulty_store(dir.path());
    store.put(big_item(0), Condition::Always).await.expect("write before the disk fills");
    store.health().await.expect("healthy");

    switches.full.store(true, Ordering::SeqCst);
    let err = store.put(big_item(1), Condition::Always).await.expect_err("disk is full");
    assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    assert!(err.to_string().contains("os error 28"), "{err}");
    let health = store.health().await.expect_err("health tells the truth");
    assert!(matches!(health, StoreError::Unavailable(_)), "{health:?}");
    assert!(store.put(big_item(2), Condition::Always).await.is_err(), "still full");

    switches.full.store(false, Ordering::SeqCst);
    store.health().await.expect("recovered by itself once space returned");
    store.put(big_item(3), Condition::Always).await.expect("writes work again");
    for i in [0, 3] {
        assert!(store.get(&big_item(i).key).await.expect("get").is_some(), "item {i} kept");
    }
    for i in [1, 2] {
        assert!(store.get(&big_item(i).key).await.expect("get").is_none(), "failed write {i} left nothing");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_inside_the_engine_becomes_a_corrupt_error() {
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, switches) = faulty_store(dir.path());
    store.put(big_item(0), Condition::Always).await.expect("put");
    // Enough data that reads miss redb's cache and reach the backend.
    for i in 1..200 {
        store.put(big_item(i), Condition::Always).await.expect("put");
    }
    drop(store);
    let (store, switches_again) = faulty_store(dir.path());
    drop(switches);
    switches_again.panic_on_read.store(true, Ordering::SeqCst);
    let err = store.get(&big_item(150).key).await.expect_err("engine panicked");
    assert!(matches!(err, StoreError::Corrupt(_)), "{err:?}");
    assert!(err.to_string().contains(STORE_FILE) && err.to_string().contains("move it aside"), "{err}");
    switches_again.panic_on_read.store(false, Ordering::SeqCst);
    let item = store.get(&big_item(150).key).await.expect("reopened after the fault");
    assert!(item.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_share_commits() {
    use std::sync::atomic::Ordering;
    let dir = tempfile::tempdir().expect("tempdir");
    let (store, switches) = faulty_store(dir.path());
    let before = switches.syncs.load(Ordering::SeqCst);
    const WRITERS: usize = 200;
    let tasks: Vec<_> = (0..WRITERS)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                store.put(Item::new(Key::new("G", format!("{i}"))), Condition::NotExists).await
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("put");
    }
    let syncs = switches.syncs.load(Ordering::SeqCst) - before;
    let page = store.query(&domain::store::Query::partition("G").limit(1000)).await.expect("query");
    assert_eq!(page.items.len(), WRITERS, "every acknowledged write is there");
    // redb syncs up to twice per durable commit; one commit per write would be 200-400.
    assert!(syncs < WRITERS, "group commit: {syncs} syncs for {WRITERS} writes");
}

/// Fills a data dir with a store holding data, and returns the store file's path.
fn store_with_data(dir: &std::path::Path) -> std::path::PathBuf {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        let store = EmbeddedStore::open(dir, fake_clock()).expect("open");
        for i in 0..300 {
            store.put(big_item(i), Condition::Always).await.expect("put");
        }
    });
    dir.join(STORE_FILE)
}

#[test]
fn a_damaged_file_is_refused_with_its_path_not_a_panic() {
    use std::io::{Seek, SeekFrom, Write};
    // 64 zero bytes at several offsets: inside the header, the first pages, the middle.
    for offset in [4096_u64, 8192, 65_536, 600_000] {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = store_with_data(dir.path());
        let mut f = std::fs::OpenOptions::new().write(true).open(&file).expect("open file");
        f.seek(SeekFrom::Start(offset)).expect("seek");
        f.write_all(&[0u8; 64]).expect("damage");
        drop(f);
        match EmbeddedStore::open(dir.path(), fake_clock()) {
            Err(err) => {
                let message = err.to_string();
                assert!(message.contains(STORE_FILE), "offset {offset}: names the file: {message}");
            }
            Ok(store) => {
                // Damage redb could repair (a stale copy of the header, free space) is fine,
                // as long as what is there reads back or fails cleanly.
                let rt = tokio::runtime::Runtime::new().expect("runtime");
                rt.block_on(async {
                    for i in 0..300 {
                        if let Err(err) = store.get(&big_item(i).key).await {
                            assert!(matches!(err, StoreError::Corrupt(_)), "offset {offset}: {err:?}");
                        }
                    }
                });
            }
        }
    }
}

#[test]
fn an_empty_store_file_is_refused_not_silently_replaced() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(STORE_FILE), b"").expect("write");
    let err = EmbeddedStore::open(dir.path(), fake_clock()).expect_err("0-byte file");
    assert!(matches!(err, OpenError::Empty(_)), "{err}");
    assert!(err.to_string().contains("0 bytes"), "{err}");
}
