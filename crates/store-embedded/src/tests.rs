//! The embedded adapter against the shared conformance suite, plus what only a file-backed
//! store can show: durability across reopen and clear errors for bad data dirs.

use std::sync::Arc;

use domain::store::{Condition, Item, Key, Store};
use store_conformance::{Harness, conformance_suite, fake_clock};

use crate::{EmbeddedStore, OpenError, STORE_FILE};

async fn in_memory() -> Harness {
    let clock = fake_clock();
    let store = EmbeddedStore::in_memory(clock.clone()).expect("in-memory store");
    Harness { store: Arc::new(store), clock }
}

mod in_memory_backend {
    use super::*;
    conformance_suite!(in_memory);
}

/// The file backend too, since that is what local mode runs on.
mod file_backend {
    use super::*;

    async fn on_disk() -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = fake_clock();
        let store = EmbeddedStore::open(&dir.keep(), clock.clone()).expect("open");
        Harness { store: Arc::new(store), clock }
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
    assert_eq!(item.counter("v"), 7);
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
