//! Opening a data directory: create it if new, refuse what is not ours, check the file's
//! integrity, explain failures.

use std::path::{Path, PathBuf};

use redb::{Database, DatabaseError, ReadableDatabase};

use crate::{FORMAT, FORMAT_KEY, GSI1, ITEMS, META, STORE_FILE, guarded};

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("data dir {0} exists but is not a directory")]
    NotADirectory(PathBuf),
    #[error(
        "data dir {0} is not empty and holds no sentiment-analyzer store; \
         use an empty directory or one this program created"
    )]
    Foreign(PathBuf),
    #[error(
        "store file {0} is empty (0 bytes), so it was probably truncated and its data is lost; \
         move it aside (or delete it) to start a new store, or restore it from a backup"
    )]
    Empty(PathBuf),
    #[error("{path} is not a sentiment-analyzer store: {detail}")]
    NotOurFormat { path: PathBuf, detail: String },
    #[error(
        "store {path} is damaged ({detail}); move it aside to start a new store, or restore it \
         from a backup"
    )]
    Corrupt { path: PathBuf, detail: String },
    #[error("store {0} is in use by another process (is a server already running on this data dir?)")]
    InUse(PathBuf),
    #[error("cannot open store {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open store {path}: {detail}")]
    Other { path: PathBuf, detail: String },
}

/// Checks the data directory (creating it if needed) and returns the store file's path.
pub(crate) fn prepare_dir(data_dir: &Path) -> Result<PathBuf, OpenError> {
    if data_dir.exists() && !data_dir.is_dir() {
        return Err(OpenError::NotADirectory(data_dir.to_owned()));
    }
    std::fs::create_dir_all(data_dir)
        .map_err(|source| OpenError::Io { path: data_dir.to_owned(), source })?;
    let file = data_dir.join(STORE_FILE);
    match std::fs::metadata(&file) {
        Ok(meta) if meta.len() == 0 => return Err(OpenError::Empty(file)),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut entries = std::fs::read_dir(data_dir)
                .map_err(|source| OpenError::Io { path: data_dir.to_owned(), source })?;
            if entries.next().is_some() {
                return Err(OpenError::Foreign(data_dir.to_owned()));
            }
        }
        Err(source) => return Err(OpenError::Io { path: file, source }),
    }
    Ok(file)
}

/// Opens the store file, verifying every page's checksum first: a file damaged outside redb
/// is refused with `Corrupt` here rather than panicking on first use.
pub(crate) fn open_file(file: &Path) -> Result<Database, OpenError> {
    let db = caught(file, || Database::builder().set_check_integrity_on_open(true).create(file))?;
    initialise(db, file)
}

pub(crate) fn open_backend(label: &Path, backend: impl redb::StorageBackend) -> Result<Database, OpenError> {
    let db =
        caught(label, || Database::builder().set_check_integrity_on_open(true).create_with_backend(backend))?;
    initialise(db, label)
}

/// Runs an open, mapping its errors, and a panic inside redb, to `OpenError`.
fn caught(
    path: &Path,
    open: impl FnOnce() -> Result<Database, DatabaseError>,
) -> Result<Database, OpenError> {
    match guarded(|| Ok(open())) {
        Ok(result) => result.map_err(|e| database_error(path, e)),
        Err(_) => Err(OpenError::Corrupt {
            path: path.to_owned(),
            detail: "the database engine failed while reading it".into(),
        }),
    }
}

fn database_error(path: &Path, error: DatabaseError) -> OpenError {
    let path = path.to_owned();
    match error {
        DatabaseError::DatabaseAlreadyOpen => OpenError::InUse(path),
        DatabaseError::Storage(redb::StorageError::Io(source)) => OpenError::Io { path, source },
        DatabaseError::Storage(redb::StorageError::Corrupted(detail)) => OpenError::Corrupt { path, detail },
        other => {
            let detail = other.to_string();
            // redb reports a file without its magic number as an invalid/corrupt database.
            if detail.contains("magic") || detail.contains("invalid") || detail.contains("Invalid") {
                OpenError::NotOurFormat { path, detail }
            } else {
                OpenError::Other { path, detail }
            }
        }
    }
}

/// Creates the tables and format marker in a new store, or checks the marker in an old one.
fn initialise(db: Database, path: &Path) -> Result<Database, OpenError> {
    let other = |e: redb::Error| OpenError::Other { path: path.to_owned(), detail: e.to_string() };
    let existing = {
        let txn = db.begin_read().map_err(|e| other(e.into()))?;
        match txn.open_table(META) {
            Ok(meta) => meta.get(FORMAT_KEY).map_err(|e| other(e.into()))?.map(|v| v.value().to_owned()),
            Err(redb::TableError::TableDoesNotExist(_)) => None,
            Err(e) => {
                return Err(OpenError::NotOurFormat { path: path.to_owned(), detail: e.to_string() });
            }
        }
    };
    match existing {
        Some(format) if format == FORMAT => Ok(db),
        Some(format) => Err(OpenError::NotOurFormat {
            path: path.to_owned(),
            detail: format!("it holds format '{format}', this program reads '{FORMAT}'"),
        }),
        None => {
            let has_tables = {
                let txn = db.begin_read().map_err(|e| other(e.into()))?;
                txn.list_tables().map_err(|e| other(e.into()))?.next().is_some()
            };
            if has_tables {
                return Err(OpenError::NotOurFormat {
                    path: path.to_owned(),
                    detail: "a redb database written by another program".into(),
                });
            }
            let txn = db.begin_write().map_err(|e| other(e.into()))?;
            {
                txn.open_table(ITEMS).map_err(|e| other(e.into()))?;
                txn.open_table(GSI1).map_err(|e| other(e.into()))?;
                let mut meta = txn.open_table(META).map_err(|e| other(e.into()))?;
                meta.insert(FORMAT_KEY, FORMAT).map_err(|e| other(e.into()))?;
            }
            txn.commit().map_err(|e| other(e.into()))?;
            Ok(db)
        }
    }
}
