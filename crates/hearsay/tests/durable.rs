//! Black-box tests of the durable store over real files in temporary directories.

use std::fs::{self, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use hearsay::durable::{DurableError, DurableStore, STORE_FILE, StoredEntry};
use hearsay_test_support::PATIENCE;
use hearsay_test_support::wait::wait_until_blocking;

fn entry(key: &str, stamp: u64, value: &str) -> StoredEntry {
    StoredEntry::new(key, stamp, "node-a", value)
}

fn sorted(mut entries: Vec<StoredEntry>) -> Vec<StoredEntry> {
    entries.sort_by(|a, b| a.key.cmp(&b.key));
    entries
}

/// Opens, expecting an error, and returns it.
fn open_err(dir: &Path) -> DurableError {
    match DurableStore::open(dir) {
        Ok((store, entries)) => {
            let _ = store.close();
            panic!("opened a damaged store with {} entries", entries.len())
        }
        Err(e) => e,
    }
}

fn assert_refused_as_corrupt(dir: &Path) {
    let error = open_err(dir);
    assert!(matches!(error, DurableError::Corrupt { .. }), "{error:?}");
    let message = error.to_string();
    eprintln!("refused: {message}");
    assert!(
        message.contains(&dir.join(STORE_FILE).display().to_string()),
        "{message}"
    );
    assert!(
        message.contains("restore it from a backup or move it away"),
        "{message}"
    );
    assert!(!message.contains('\n'), "{message}");
}

/// A closed store of `n` entries whose values carry a findable marker.
fn store_with(dir: &Path, n: usize) {
    let (store, _) = DurableStore::open(dir).unwrap();
    let writer = store.writer();
    let entries: Vec<_> = (0..n)
        .map(|i| {
            entry(
                &format!("key-{i:06}"),
                i as u64,
                &format!("MARKER-{i:06}-{}", "v".repeat(80)),
            )
        })
        .collect();
    writer.write_unacked(entries).unwrap();
    store.close().unwrap();
}

fn overwrite(path: &Path, offset: u64, bytes: &[u8]) {
    let mut file = OpenOptions::new().write(true).open(path).unwrap();
    file.seek(SeekFrom::Start(offset)).unwrap();
    file.write_all(bytes).unwrap();
    file.sync_all().unwrap();
}

/// Deterministic garbage (no all-zero pages, which could look like free space).
fn garbage(len: usize) -> Vec<u8> {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

#[tokio::test]
async fn write_then_reopen_returns_the_same_entries_with_tombstones() {
    let dir = tempfile::tempdir().unwrap();
    let (store, loaded) = DurableStore::open(dir.path()).unwrap();
    assert!(loaded.is_empty());
    let big = StoredEntry::new(b"big".to_vec(), 5, "node-b", vec![0xa5; 1024 * 1024]);
    let binary = StoredEntry::new(vec![0, 255, 7], 6, "node-c", vec![1, 2, 3]);
    let written = vec![
        entry("a", 1, "first"),
        StoredEntry::tombstone("gone", 2, "node-b"),
        StoredEntry::new("empty", 3, "node-a", Vec::new()),
        big,
        binary,
    ];
    let writer = store.writer();
    writer.write(written.clone()).await.unwrap();
    // The store keeps the last entry it was given for a key, even with a lower stamp.
    let replaced = entry("a", 0, "second");
    writer.write(vec![replaced.clone()]).await.unwrap();
    store.close().unwrap();

    let (store, loaded) = DurableStore::open(dir.path()).unwrap();
    let mut expected = written;
    expected[0] = replaced;
    assert_eq!(loaded, sorted(expected));
    store.close().unwrap();
}

#[test]
fn many_concurrent_writers_share_fsyncs_and_every_ack_is_durable() {
    const WRITERS: usize = 16;
    const WRITES: usize = 200;
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = DurableStore::open(dir.path()).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    let acked: Vec<StoredEntry> = runtime.block_on(async {
        let tasks: Vec<_> = (0..WRITERS)
            .map(|w| {
                let writer = store.writer();
                tokio::spawn(async move {
                    let mut acked = Vec::new();
                    for i in 0..WRITES {
                        let e = StoredEntry::new(
                            format!("w{w:02}-{i:04}"),
                            i as u64,
                            format!("node-{w}"),
                            [w as u8; 100],
                        );
                        writer.write(vec![e.clone()]).await.unwrap();
                        acked.push(e);
                    }
                    acked
                })
            })
            .collect();
        let mut acked = Vec::new();
        for task in tasks {
            acked.extend(task.await.unwrap());
        }
        acked
    });
    let stats = store.stats();
    store.close().unwrap();

    assert_eq!(stats.entries_written, (WRITERS * WRITES) as u64);
    assert_eq!(stats.commit_errors, 0);
    assert!(
        stats.commits < (WRITERS * WRITES) as u64,
        "no group commit: {stats:?}"
    );
    assert!(stats.largest_batch > 1, "{stats:?}");
    let (store, loaded) = DurableStore::open(dir.path()).unwrap();
    assert_eq!(loaded, sorted(acked));
    store.close().unwrap();
}

#[tokio::test]
async fn remove_unacked_removes_keys_and_ignores_absent_ones() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = DurableStore::open(dir.path()).unwrap();
    let writer = store.writer();
    writer
        .write(vec![
            entry("keep", 1, "k"),
            StoredEntry::tombstone("dead", 2, "node-a"),
            entry("drop", 3, "d"),
        ])
        .await
        .unwrap();
    writer
        .remove_unacked(vec![
            b"dead".to_vec(),
            b"drop".to_vec(),
            b"never-was".to_vec(),
        ])
        .unwrap();
    writer.flush().await.unwrap();
    assert_eq!(store.stats().keys_removed, 3);
    store.close().unwrap();

    let (store, loaded) = DurableStore::open(dir.path()).unwrap();
    assert_eq!(loaded, vec![entry("keep", 1, "k")]);
    store.close().unwrap();
}

#[tokio::test]
async fn changes_land_in_call_order_whoever_awaits_first() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = DurableStore::open(dir.path()).unwrap();
    let writer = store.writer();
    let first = writer.write(vec![entry("k", 1, "old")]);
    writer.remove_unacked(vec![b"k".to_vec()]).unwrap();
    let last = writer.write(vec![entry("k", 2, "new")]);
    last.await.unwrap();
    first.await.unwrap();
    store.close().unwrap();
    let (store, loaded) = DurableStore::open(dir.path()).unwrap();
    assert_eq!(loaded, vec![entry("k", 2, "new")]);
    store.close().unwrap();
}

#[tokio::test]
async fn writes_after_close_fail_as_closed() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = DurableStore::open(dir.path()).unwrap();
    let writer = store.writer();
    writer.write_unacked(vec![entry("queued", 1, "q")]).unwrap();
    store.close().unwrap();
    assert!(matches!(
        writer.write(vec![entry("late", 2, "l")]).await,
        Err(DurableError::Closed { .. })
    ));
    assert!(matches!(
        writer.remove_unacked(vec![b"queued".to_vec()]),
        Err(DurableError::Closed { .. })
    ));
    drop(writer);
    let (store, loaded) = DurableStore::open(dir.path()).unwrap();
    assert_eq!(loaded, vec![entry("queued", 1, "q")]);
    store.close().unwrap();
}

#[test]
fn dropping_store_and_writers_still_commits_what_was_queued() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = DurableStore::open(dir.path()).unwrap();
    store
        .writer()
        .write_unacked(vec![entry("k", 1, "v")])
        .unwrap();
    drop(store);
    // The committer finishes in the background; the file lock tells when it let go.
    let mut opened = None;
    wait_until_blocking("the committer lets go of the file", PATIENCE, || {
        match DurableStore::open(dir.path()) {
            Ok(store) => opened = Some(store),
            Err(DurableError::Open { .. }) => {}
            Err(e) => panic!("{e}"),
        }
        opened.is_some()
    });
    let (store, loaded) = opened.unwrap();
    assert_eq!(loaded, vec![entry("k", 1, "v")]);
    store.close().unwrap();
}

#[test]
fn a_store_open_twice_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = DurableStore::open(dir.path()).unwrap();
    let error = open_err(dir.path());
    assert!(matches!(error, DurableError::Open { .. }), "{error:?}");
    assert!(error.to_string().contains("already open"), "{error}");
    store.close().unwrap();
}

#[test]
fn a_missing_data_directory_is_created() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b/data");
    let (store, loaded) = DurableStore::open(&nested).unwrap();
    assert!(loaded.is_empty());
    assert_eq!(store.path(), nested.join(STORE_FILE));
    store.close().unwrap();
}

#[test]
fn a_truncated_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    store_with(dir.path(), 2_000);
    let path = dir.path().join(STORE_FILE);
    let len = fs::metadata(&path).unwrap().len();
    OpenOptions::new()
        .write(true)
        .open(&path)
        .unwrap()
        .set_len(len / 2)
        .unwrap();
    assert_refused_as_corrupt(dir.path());
}

#[test]
fn garbage_over_a_live_record_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    store_with(dir.path(), 2_000);
    let path = dir.path().join(STORE_FILE);
    let bytes = fs::read(&path).unwrap();
    let at = bytes
        .windows(13)
        .position(|w| w == b"MARKER-001000")
        .expect("marker in file");
    overwrite(&path, at as u64, &garbage(512));
    assert_refused_as_corrupt(dir.path());
}

#[test]
fn garbage_over_the_middle_of_the_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    store_with(dir.path(), 2_000);
    let path = dir.path().join(STORE_FILE);
    let len = fs::metadata(&path).unwrap().len();
    overwrite(&path, len / 2, &garbage(64 * 1024));
    assert_refused_as_corrupt(dir.path());
}

#[test]
fn a_file_that_is_not_a_store_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(STORE_FILE), garbage(10_000)).unwrap();
    assert_refused_as_corrupt(dir.path());
}

#[test]
fn an_unreadable_record_is_refused_naming_its_key() {
    let dir = tempfile::tempdir().unwrap();
    store_with(dir.path(), 3);
    {
        // Write a record in a layout this version does not know, as a newer version might.
        let db = redb::Database::create(dir.path().join(STORE_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        {
            let table: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("entries");
            let mut table = txn.open_table(table).unwrap();
            table
                .insert(b"from-the-future".as_slice(), [9u8, 0, 0].as_slice())
                .unwrap();
        }
        txn.commit().unwrap();
    }
    let error = open_err(dir.path());
    assert!(matches!(error, DurableError::Corrupt { .. }), "{error:?}");
    let message = error.to_string();
    assert!(message.contains("\"from-the-future\""), "{message}");
    assert!(message.contains("unknown record format 9"), "{message}");
}

#[test]
fn garbage_over_the_file_header_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    store_with(dir.path(), 100);
    // Past the magic number: the commit slots and their checksums.
    overwrite(&dir.path().join(STORE_FILE), 16, &garbage(400));
    assert_refused_as_corrupt(dir.path());
}
