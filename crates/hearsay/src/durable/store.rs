//! [`DurableStore`]: opening (and checking) the store file, loading the map, and closing.

use std::io;
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use redb::{Builder, Database, ReadableDatabase, ReadableTable, ReadableTableMetadata};

use super::committer::{self, Shared, panic_message};
use super::config::StoreConfig;
use super::error::DurableError;
use super::queue::Limits;
use super::record::{self, ENTRIES, StoredEntry};
use super::stats::CommitStats;
use super::writer::Writer;

/// The name of the store file inside the data directory.
pub const STORE_FILE: &str = "kv.redb";

/// The cluster-wide map on disk: a redb file and the committer thread that writes to it.
///
/// Open it once at start, load the returned entries into the engine, then hand
/// [`DurableStore::writer`]s to whoever writes. Dropping the store (and every writer) lets the
/// committer finish what is queued in the background; [`DurableStore::close`] waits for it.
#[derive(Debug)]
pub struct DurableStore {
    writer: Writer,
    shared: Arc<Shared>,
    committer: JoinHandle<Result<(), DurableError>>,
}

impl DurableStore {
    /// Opens (or creates) `dir/kv.redb`, creating `dir` if missing, checks the whole file, and
    /// returns every stored entry, tombstones included, in key order.
    ///
    /// # What is checked, and what it costs
    ///
    /// redb only verifies page checksums when it has to recover from an unclean shutdown, so a
    /// file that was closed cleanly and damaged afterwards (a bad disk, a bad copy, a truncation)
    /// would otherwise open as if healthy, and fail later or not at all. Unless redb's recovery
    /// just did it, open therefore runs [`Database::check_integrity`]: it reads every page
    /// reachable from the last commit and verifies the checksums of both trees (our table and
    /// redb's own bookkeeping); then every record is decoded as it is loaded. Start-up thus
    /// reads the file twice. Measured with `examples/durable_writes.rs` (file in the page
    /// cache): about 120,000 entries of 100 bytes, a 45 MiB file, open in about 100 ms, of
    /// which the check is about 30 ms; from a cold cache, reading the file from disk dominates.
    ///
    /// One case passes unnoticed: after a crash, redb's recovery falls back to the previous
    /// commit when the last one fails its checksums. That is its design for a commit torn by
    /// the crash (which was never acknowledged), but damage to that last commit from outside
    /// would look the same and silently drop it (it is logged as a recovery).
    ///
    /// # Errors
    ///
    /// [`DurableError::Corrupt`] if the file is damaged in any way found (truncated, garbage in
    /// a live page, a record that does not decode, or anything that makes redb panic — the
    /// panic is caught, though the default hook still prints it), [`DurableError::Open`] if the
    /// directory or file cannot be opened or another process holds it, [`DurableError::Io`]
    /// on a read error. A damaged file is never replaced by an empty store.
    pub fn open(dir: &Path) -> Result<(DurableStore, Vec<StoredEntry>), DurableError> {
        DurableStore::open_with(dir, &StoreConfig::default())
    }

    /// [`DurableStore::open`] with settings other than the defaults.
    pub fn open_with(
        dir: &Path,
        config: &StoreConfig,
    ) -> Result<(DurableStore, Vec<StoredEntry>), DurableError> {
        open_parts(dir, config, |builder, path| builder.create(path))
    }

    /// A new handle for writing.
    pub fn writer(&self) -> Writer {
        self.writer.clone()
    }

    /// Totals of the committer so far.
    pub fn stats(&self) -> CommitStats {
        self.shared.stats.snapshot()
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.shared.path
    }

    /// Stops accepting writes (from every [`Writer`], which then get
    /// [`DurableError::Closed`]), commits everything already queued, closes the file and waits
    /// for the committer thread to end.
    ///
    /// # Errors
    ///
    /// The first commit error since the store was opened, if any: then some entries queued
    /// without acknowledgement may not be durable (acknowledged ones were told at the time).
    pub fn close(self) -> Result<(), DurableError> {
        let DurableStore {
            writer,
            shared,
            committer,
        } = self;
        shared.queue.close();
        drop(writer);
        committer.join().unwrap_or_else(|panic| {
            Err(DurableError::Commit {
                path: shared.path.clone(),
                reason: format!(
                    "the committer thread panicked: {}",
                    panic_message(panic.as_ref())
                ),
            })
        })
    }
}

/// Opens the store with `create` making the database (tests swap in a faulty backend).
pub(crate) fn open_parts(
    dir: &Path,
    config: &StoreConfig,
    create: impl FnOnce(&Builder, &Path) -> Result<Database, redb::DatabaseError>,
) -> Result<(DurableStore, Vec<StoredEntry>), DurableError> {
    std::fs::create_dir_all(dir).map_err(|e| DurableError::Open {
        path: dir.to_path_buf(),
        reason: format!("cannot create the data directory: {e}"),
    })?;
    let path = dir.join(STORE_FILE);
    // redb asserts on some malformed files (one shorter than its header says, for instance).
    let opened = panic::catch_unwind(AssertUnwindSafe(|| open_and_load(&path, config, create)));
    let (db, entries) = opened.unwrap_or_else(|panic| {
        Err(DurableError::Corrupt {
            path: path.clone(),
            reason: format!("redb failed reading it: {}", panic_message(panic.as_ref())),
        })
    })?;
    let shared = Arc::new(Shared::new(path.clone()));
    let limits = Limits {
        max_items: config.max_batch_entries.get(),
        max_bytes: config.max_batch_bytes.get(),
        linger: config.commit_linger,
    };
    let committer =
        committer::spawn(db, shared.clone(), limits).map_err(|e| DurableError::Open {
            path,
            reason: format!("cannot start the committer thread: {e}"),
        })?;
    let store = DurableStore {
        writer: Writer::new(shared.clone()),
        shared,
        committer,
    };
    Ok((store, entries))
}

fn open_and_load(
    path: &Path,
    config: &StoreConfig,
    create: impl FnOnce(&Builder, &Path) -> Result<Database, redb::DatabaseError>,
) -> Result<(Database, Vec<StoredEntry>), DurableError> {
    // redb runs its repair on a file it has just created too; only a file that was there
    // before can have been left open by a crash.
    let existed = std::fs::metadata(path).is_ok_and(|m| m.len() > 0);
    let repaired = Arc::new(AtomicBool::new(false));
    let mut builder = Builder::new();
    builder.set_cache_size(config.cache_bytes);
    let flag = repaired.clone();
    builder.set_repair_callback(move |_| flag.store(true, Ordering::Relaxed));
    let mut db = create(&builder, path).map_err(|e| open_error(path, e.into()))?;
    match check_and_load(&mut db, path, repaired.load(Ordering::Relaxed), existed) {
        Ok(entries) => Ok((db, entries)),
        Err(e) => {
            discard(db);
            Err(e)
        }
    }
}

fn check_and_load(
    db: &mut Database,
    path: &Path,
    repaired: bool,
    existed: bool,
) -> Result<Vec<StoredEntry>, DurableError> {
    if repaired {
        // The repair walked and verified every page already; no need to do it twice.
        if existed {
            tracing::warn!(path = %path.display(), "kv store was not closed cleanly; redb recovered its last durable commit");
        }
    } else {
        match db.check_integrity() {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(path = %path.display(), "kv store failed redb's integrity check and was repaired");
            }
            Err(e) => return Err(open_error(path, e.into())),
        }
    }
    load(db, path)
}

/// Closes a database found damaged. redb's drop commits its allocator state, which asserts
/// on a damaged file; the error already found is the one worth reporting.
fn discard(db: Database) {
    let _ = panic::catch_unwind(AssertUnwindSafe(|| drop(db)));
}

/// Reads every entry of the table.
fn load(db: &Database, path: &Path) -> Result<Vec<StoredEntry>, DurableError> {
    let read = |e: redb::Error| open_error(path, e);
    let txn = db.begin_read().map_err(|e| read(e.into()))?;
    let table = match txn.open_table(ENTRIES) {
        Ok(table) => table,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(Vec::new()),
        Err(e) => return Err(read(e.into())),
    };
    let mut entries =
        Vec::with_capacity(usize::try_from(table.len().map_err(|e| read(e.into()))?).unwrap_or(0));
    for row in table.iter().map_err(|e| read(e.into()))? {
        let (key, value) = row.map_err(|e| read(e.into()))?;
        let entry =
            record::decode(key.value(), value.value()).map_err(|e| DurableError::Corrupt {
                path: path.to_path_buf(),
                reason: format!(
                    "record of key {} is unreadable: {e}",
                    record::show_key(key.value())
                ),
            })?;
        entries.push(entry);
    }
    Ok(entries)
}

/// Sorts a redb error met while opening or reading into what the operator should do.
fn open_error(path: &Path, error: redb::Error) -> DurableError {
    let path: PathBuf = path.to_path_buf();
    match error {
        redb::Error::Corrupted(reason) => DurableError::Corrupt { path, reason },
        redb::Error::UpgradeRequired(version) => DurableError::Corrupt {
            path,
            reason: format!("it is in redb file format {version}, which this version cannot read"),
        },
        // redb's answer to a file that does not start with its magic number.
        redb::Error::Io(e) if e.kind() == io::ErrorKind::InvalidData => DurableError::Corrupt {
            path,
            reason: "not a redb file (bad magic number)".into(),
        },
        redb::Error::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => DurableError::Corrupt {
            path,
            reason: format!("the file is too short: {e}"),
        },
        redb::Error::TableTypeMismatch { .. } | redb::Error::TableIsMultimap(_) => {
            DurableError::Corrupt {
                path,
                reason: format!("unexpected table layout: {error}"),
            }
        }
        redb::Error::DatabaseAlreadyOpen => DurableError::Open {
            path,
            reason: "it is already open (by another process, or another store in this one)".into(),
        },
        redb::Error::Io(e) => DurableError::Open {
            path,
            reason: e.to_string(),
        },
        other => DurableError::Io {
            path,
            reason: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::fs::OpenOptions;
    use std::io;

    use redb::StorageBackend;
    use redb::backends::FileBackend;

    use super::*;

    /// A file backend whose writes and syncs fail once `failing` is set (a full or dying disk).
    #[derive(Debug)]
    struct FailingDisk {
        file: FileBackend,
        failing: Arc<AtomicBool>,
    }

    impl FailingDisk {
        fn check(&self) -> io::Result<()> {
            if self.failing.load(Ordering::Relaxed) {
                Err(io::Error::other("injected disk failure"))
            } else {
                Ok(())
            }
        }
    }

    impl StorageBackend for FailingDisk {
        fn len(&self) -> io::Result<u64> {
            self.file.len()
        }
        fn read(&self, offset: u64, out: &mut [u8]) -> io::Result<()> {
            self.file.read(offset, out)
        }
        fn set_len(&self, len: u64) -> io::Result<()> {
            self.check()?;
            self.file.set_len(len)
        }
        fn sync_data(&self) -> io::Result<()> {
            self.check()?;
            self.file.sync_data()
        }
        fn write(&self, offset: u64, data: &[u8]) -> io::Result<()> {
            self.check()?;
            self.file.write(offset, data)
        }
        fn close(&self) -> io::Result<()> {
            self.file.close()
        }
    }

    fn entry(key: &str) -> StoredEntry {
        StoredEntry::new(key, 1, "w", "v")
    }

    #[tokio::test]
    async fn a_failed_commit_is_reported_to_every_waiter_and_at_close() {
        let dir = tempfile::tempdir().unwrap();
        let failing = Arc::new(AtomicBool::new(false));
        let disk = failing.clone();
        let (store, _) = open_parts(dir.path(), &StoreConfig::default(), move |builder, path| {
            let file = OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(path)?;
            builder.create_with_backend(FailingDisk {
                file: FileBackend::new(file)?,
                failing: disk,
            })
        })
        .unwrap();
        let writer = store.writer();
        writer.write(vec![entry("before")]).await.unwrap();

        failing.store(true, Ordering::Relaxed);
        let waiters: Vec<_> = (0..4)
            .map(|i| writer.write(vec![entry(&format!("k{i}"))]))
            .collect();
        for waiter in waiters {
            let error = waiter.await.unwrap_err();
            assert!(matches!(error, DurableError::Commit { .. }), "{error:?}");
            assert!(
                error.to_string().contains("the write is not durable"),
                "{error}"
            );
        }
        writer.write_unacked(vec![entry("unacked")]).unwrap();
        assert!(matches!(
            writer.flush().await,
            Err(DurableError::Commit { .. })
        ));
        let stats = store.stats();
        assert_eq!(stats.commits, 1);
        assert!(stats.commit_errors >= 1, "{stats:?}");
        assert!(matches!(store.close(), Err(DurableError::Commit { .. })));
    }

    #[test]
    fn close_waits_for_everything_queued() {
        let dir = tempfile::tempdir().unwrap();
        let (store, _) = DurableStore::open(dir.path()).unwrap();
        let writer = store.writer();
        for i in 0..100 {
            writer
                .write_unacked(vec![entry(&format!("k{i:03}"))])
                .unwrap();
        }
        store.close().unwrap();
        assert_eq!(writer.stats().entries_written, 100);
    }
}
