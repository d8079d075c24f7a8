//! The cluster-wide map between the engine and the on-disk store ([`crate::durable`]):
//! entries converted both ways, and the map loaded into a new engine at start. `durable/`
//! knows nothing of the engine; this is the one place that knows both.

use std::path::{Path, PathBuf};
use std::time::Instant;

use hearsay_proto::{Engine, Key, KvEntry, Name, Value};

use crate::durable::{DurableError, DurableStore, StoredEntry, Writer};
use crate::error::StartError;

/// Opens the durable store under `dir` and loads what it holds into the engine.
pub(crate) async fn open_durable(
    engine: &mut Engine,
    dir: &Path,
    now: Instant,
) -> Result<DurableStore, StartError> {
    let dir = dir.to_owned();
    let opened = tokio::task::spawn_blocking(move || DurableStore::open(&dir))
        .await
        .map_err(|e| {
            StartError::Store(DurableError::Open {
                path: PathBuf::new(),
                reason: e.to_string(),
            })
        })?;
    let (store, entries) = opened.map_err(StartError::Store)?;
    let stored = entries.len();
    let mut unreadable = 0usize;
    let restored: Vec<(Key, KvEntry)> = entries
        .into_iter()
        .filter_map(|s| {
            let e = from_stored(s);
            unreadable += usize::from(e.is_none());
            e
        })
        .collect();
    engine.kv_restore(now, restored);
    tracing::info!(
        path = %store.path().display(), entries = stored, live = engine.kv_len(), unreadable,
        "kv store loaded"
    );
    Ok(store)
}

/// An engine entry as the durable store keeps it.
pub(crate) fn to_stored(key: &str, e: &KvEntry) -> StoredEntry {
    StoredEntry {
        key: key.as_bytes().to_vec(),
        stamp: e.stamp,
        writer: e.writer.as_str().to_owned(),
        value: e.value.as_ref().map(|v| v.to_vec()),
    }
}

/// Logs a change that could not be handed to the writer: nobody waits on it, so a log line
/// is all that can be done (the change is still in memory and spreads).
pub(crate) fn persist_failed(w: &Writer, r: Result<(), DurableError>) {
    if let Err(e) = r {
        tracing::error!(path = %w.path().display(), error = %e, "kv store: change not persisted");
    }
}

/// A stored entry as the engine takes it; `None` for a key or writer the engine would refuse
/// (counted by the caller).
fn from_stored(s: StoredEntry) -> Option<(Key, KvEntry)> {
    let key = String::from_utf8(s.key).ok()?;
    let writer = Name::new(&s.writer).ok()?;
    Some((
        Key::from(key),
        KvEntry {
            stamp: s.stamp,
            writer,
            value: s.value.map(Value::from),
        },
    ))
}
