//! [`Writer`]: the cheap, cloneable handle through which the engine side queues changes.
//!
//! Every method queues its request *when it is called*, not when a returned future is first
//! polled, so changes reach the disk in the order the calls were made, whichever task awaits
//! first. Waiting is for acknowledgement only.

use std::future::Future;
use std::path::Path;
use std::sync::Arc;

use tokio::sync::oneshot;

use super::committer::Shared;
use super::error::DurableError;
use super::queue::Request;
use super::record::StoredEntry;
use super::stats::CommitStats;

/// A handle for writing to the durable store from any thread or task.
///
/// Clone it freely (it is an `Arc`). The committer thread stops, after writing what is queued,
/// once every `Writer` and the [`DurableStore`](super::DurableStore) are dropped, or at once
/// when the store is closed; writes after that fail with [`DurableError::Closed`].
#[derive(Debug, Clone)]
pub struct Writer {
    handle: Arc<Handle>,
}

impl Writer {
    pub(crate) fn new(shared: Arc<Shared>) -> Writer {
        Writer {
            handle: Arc::new(Handle { shared }),
        }
    }

    /// Queues `entries` and resolves once the transaction holding them has committed with an
    /// `fsync`: only then are they acknowledged. Entries replace whatever the store held for
    /// their keys; a tombstone is stored like any entry.
    ///
    /// Concurrent calls share one transaction and one `fsync` when they arrive while the
    /// previous commit is in flight. Dropping the future does not cancel the write. With no
    /// entries, this is [`Writer::flush`].
    pub fn write(
        &self,
        entries: Vec<StoredEntry>,
    ) -> impl Future<Output = Result<(), DurableError>> + Send + 'static {
        let (ack, answer) = oneshot::channel();
        let queued = self.push(Request::put(entries, Some(ack)));
        self.acknowledged(queued, answer)
    }

    /// Queues `entries` without waiting (for changes learned from peers, which a restart can
    /// learn again). Fails only if the store is closed. A commit error is then seen only in
    /// [`CommitStats::commit_errors`] and the log; [`Writer::flush`] waits for these writes.
    ///
    /// The queue is not bounded: a caller that queues faster than the disk commits holds the
    /// difference in memory. [`Writer::queued_entries`] tells how far behind the disk is.
    pub fn write_unacked(&self, entries: Vec<StoredEntry>) -> Result<(), DurableError> {
        self.push(Request::put(entries, None))
    }

    /// Queues the physical removal of `keys` (garbage collection of tombstones). Keys the
    /// store does not hold are ignored. Fails only if the store is closed.
    pub fn remove_unacked(&self, keys: Vec<Vec<u8>>) -> Result<(), DurableError> {
        self.push(Request::remove(keys))
    }

    /// Resolves once everything queued before this call (acknowledged or not) has been
    /// committed. It fails if the transaction holding the last of it failed; earlier
    /// unacknowledged failures show only in [`CommitStats::commit_errors`].
    pub fn flush(&self) -> impl Future<Output = Result<(), DurableError>> + Send + 'static {
        let (ack, answer) = oneshot::channel();
        let queued = self.push(Request::barrier(ack));
        self.acknowledged(queued, answer)
    }

    /// Entries and keys queued and not yet taken into a transaction: the backlog, for
    /// metrics or to slow down a producer of unacknowledged writes.
    pub fn queued_entries(&self) -> usize {
        self.handle.shared.queue.items()
    }

    /// Totals of the committer so far.
    pub fn stats(&self) -> CommitStats {
        self.handle.shared.stats.snapshot()
    }

    /// The store file.
    pub fn path(&self) -> &Path {
        &self.handle.shared.path
    }

    fn push(&self, request: Request) -> Result<(), DurableError> {
        let shared = &self.handle.shared;
        shared.queue.push(request).map_err(|_| shared.closed())
    }

    /// Waits for the committer's answer; a committer that stopped without answering (it
    /// panicked, or the store closed under it) reads as closed, never as a hang.
    fn acknowledged(
        &self,
        queued: Result<(), DurableError>,
        answer: oneshot::Receiver<Result<(), DurableError>>,
    ) -> impl Future<Output = Result<(), DurableError>> + Send + 'static {
        let closed = self.handle.shared.closed();
        async move {
            queued?;
            answer.await.unwrap_or(Err(closed))
        }
    }
}

/// The shared part of every clone of one writer; the last one to go closes the queue.
#[derive(Debug)]
struct Handle {
    shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.shared.queue.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_can_cross_threads() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<Writer>();
        send_sync::<super::super::DurableStore>();
    }
}
