//! The committer thread: group commit.
//!
//! redb is synchronous and allows one write transaction at a time, and a durable commit costs
//! an `fsync` however little it holds. So one OS thread owns the database for writing: it wakes
//! when something is queued, takes *everything* queued (up to the batch limits), writes it in
//! one transaction, commits with [`Durability::Immediate`], and only then answers every writer
//! of that batch. Writers that arrive while a commit is in flight queue up and share the next
//! one, so the number of `fsync`s adapts to the load, and an idle store commits a lone write at
//! once. Writers that await every write are also waited for, very briefly, after they are
//! answered, so that they keep sharing commits (see `Queue::take` and
//! [`StoreConfig::commit_linger`](super::StoreConfig::commit_linger)).
//!
//! A failed commit is answered to every waiter of its batch. If redb panics (a bug, or a page
//! damaged after the check at open), the panic is caught, the batch's waiters get an error, and
//! the committer stops touching the database: every later batch fails the same way.

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Arc;
use std::thread::{self, JoinHandle};

use redb::{Database, Durability};

use super::error::DurableError;
use super::queue::{Batch, Limits, Op, Queue};
use super::record::ENTRIES;
use super::stats::{BatchCount, StatCounters};

/// What the committer shares with every writer and with the store.
#[derive(Debug)]
pub(crate) struct Shared {
    pub queue: Queue,
    pub stats: StatCounters,
    /// The store file, for error messages.
    pub path: PathBuf,
}

impl Shared {
    pub(crate) fn new(path: PathBuf) -> Shared {
        Shared {
            queue: Queue::default(),
            stats: StatCounters::default(),
            path,
        }
    }

    pub(crate) fn closed(&self) -> DurableError {
        DurableError::Closed {
            path: self.path.clone(),
        }
    }

    fn commit_error(&self, reason: String) -> DurableError {
        DurableError::Commit {
            path: self.path.clone(),
            reason,
        }
    }
}

/// Starts the committer thread. It ends once the queue is closed and drained, returning the
/// first commit error it met, if any (so `close` can say whether everything became durable).
pub(crate) fn spawn(
    db: Database,
    shared: Arc<Shared>,
    limits: Limits,
) -> std::io::Result<JoinHandle<Result<(), DurableError>>> {
    thread::Builder::new()
        .name("hearsay-durable".into())
        .spawn(move || run(db, &shared, limits))
}

fn run(db: Database, shared: &Shared, limits: Limits) -> Result<(), DurableError> {
    let mut first_error = None;
    // Set once redb panicked: its state is unknown, so it is not used again.
    let mut broken: Option<String> = None;
    // Awaited requests the next batch should hold (see `Queue::take`).
    let mut expected = 0;
    // The outcome of the last transaction, which barriers report.
    let mut last = Ok(());
    while let Some(batch) = shared.queue.take(limits, expected) {
        let result = if batch.is_empty() {
            // Only barriers: whatever was queued before them went into the last transaction.
            last.clone()
        } else if let Some(reason) = &broken {
            shared.stats.failed();
            Err(shared.commit_error(reason.clone()))
        } else {
            match panic::catch_unwind(AssertUnwindSafe(|| write_batch(&db, &batch.ops))) {
                Ok(Ok(())) => {
                    shared.stats.committed(count(&batch));
                    Ok(())
                }
                Ok(Err(e)) => {
                    shared.stats.failed();
                    Err(shared.commit_error(e.to_string()))
                }
                Err(panic) => {
                    let reason = format!("redb panicked: {}", panic_message(panic.as_ref()));
                    broken = Some(reason.clone());
                    shared.stats.failed();
                    Err(shared.commit_error(reason))
                }
            }
        };
        if !batch.is_empty() {
            if let Err(e) = &result {
                tracing::error!(error = %e, entries = batch.entries, waiters = batch.acks.len(), "kv commit failed");
                first_error.get_or_insert_with(|| e.clone());
            }
            last = result.clone();
        }
        // Counted before answering, so that no answered writer is back in the queue yet.
        expected = batch.acks.len() + shared.queue.waiting();
        for ack in batch.acks {
            // A writer that stopped waiting (its future was dropped) is no error.
            let _ = ack.send(result.clone());
        }
    }
    // redb's drop writes its allocator state so the next open needs no repair. A panic there
    // (after a broken batch, say) must not turn a close into a crash: the next open repairs.
    if panic::catch_unwind(AssertUnwindSafe(|| drop(db))).is_err() {
        tracing::warn!(path = %shared.path.display(), "kv store did not close cleanly; it will be repaired at next open");
    }
    first_error.map_or(Ok(()), Err)
}

/// Writes `ops` in one transaction and commits it with an `fsync`.
fn write_batch(db: &Database, ops: &[Op]) -> Result<(), redb::Error> {
    let mut txn = db.begin_write()?;
    // The default, but the whole point of this module: say it.
    txn.set_durability(Durability::Immediate)?;
    {
        let mut table = txn.open_table(ENTRIES)?;
        for op in ops {
            match op {
                Op::Put(entries) => {
                    for entry in entries {
                        table.insert(entry.key.as_slice(), entry.record.as_slice())?;
                    }
                }
                Op::Remove(keys) => {
                    for key in keys {
                        table.remove(key.as_slice())?;
                    }
                }
            }
        }
    }
    txn.commit()?;
    Ok(())
}

fn count(batch: &Batch) -> BatchCount {
    BatchCount {
        entries: batch.entries as u64,
        removals: batch.removals as u64,
        bytes: batch.bytes as u64,
    }
}

/// The text of a caught panic, when it is a string (it nearly always is).
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}
