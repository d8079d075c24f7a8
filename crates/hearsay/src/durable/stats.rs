//! Counters of the committer's work, readable at any time from any thread.
//!
//! The committer thread is the only one that writes them, and readers only want totals for
//! metrics and benchmarks, so relaxed atomics are enough: a snapshot may mix the counts of two
//! neighbouring commits, never invent one.

use std::sync::atomic::{AtomicU64, Ordering};

/// Running totals of the durable store since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CommitStats {
    /// Write transactions committed with full durability; each one is one `fsync` of the store
    /// file, however many writers it acknowledged.
    pub commits: u64,
    /// Entries written (inserted or replaced, tombstones included) by committed transactions.
    pub entries_written: u64,
    /// Keys physically removed by committed transactions.
    pub keys_removed: u64,
    /// Bytes of keys and records written by committed transactions (what the store was asked
    /// to hold, not what redb wrote to disk, which is whole pages).
    pub bytes_written: u64,
    /// The most entries and removals one transaction held.
    pub largest_batch: u64,
    /// Transactions that failed to commit; every waiter on such a transaction got the error,
    /// and unacknowledged entries in it were lost.
    pub commit_errors: u64,
}

impl CommitStats {
    /// Mean entries and removals per commit, or 0 before the first commit.
    pub fn mean_batch(&self) -> f64 {
        if self.commits == 0 {
            0.0
        } else {
            (self.entries_written + self.keys_removed) as f64 / self.commits as f64
        }
    }
}

/// The shared, atomic form of [`CommitStats`].
#[derive(Debug, Default)]
pub(crate) struct StatCounters {
    commits: AtomicU64,
    entries_written: AtomicU64,
    keys_removed: AtomicU64,
    bytes_written: AtomicU64,
    largest_batch: AtomicU64,
    commit_errors: AtomicU64,
}

/// What one committed transaction held, as counted by the committer.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct BatchCount {
    pub entries: u64,
    pub removals: u64,
    pub bytes: u64,
}

impl StatCounters {
    /// Counts a transaction that committed durably.
    pub(crate) fn committed(&self, batch: BatchCount) {
        self.commits.fetch_add(1, Ordering::Relaxed);
        self.entries_written
            .fetch_add(batch.entries, Ordering::Relaxed);
        self.keys_removed
            .fetch_add(batch.removals, Ordering::Relaxed);
        self.bytes_written.fetch_add(batch.bytes, Ordering::Relaxed);
        self.largest_batch
            .fetch_max(batch.entries + batch.removals, Ordering::Relaxed);
    }

    /// Counts a transaction that failed to commit.
    pub(crate) fn failed(&self) {
        self.commit_errors.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn snapshot(&self) -> CommitStats {
        let r = |c: &AtomicU64| c.load(Ordering::Relaxed);
        CommitStats {
            commits: r(&self.commits),
            entries_written: r(&self.entries_written),
            keys_removed: r(&self.keys_removed),
            bytes_written: r(&self.bytes_written),
            largest_batch: r(&self.largest_batch),
            commit_errors: r(&self.commit_errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_batch_keeps_the_maximum() {
        let c = StatCounters::default();
        c.committed(BatchCount {
            entries: 3,
            removals: 1,
            bytes: 10,
        });
        c.committed(BatchCount {
            entries: 2,
            removals: 0,
            bytes: 5,
        });
        c.failed();
        let s = c.snapshot();
        assert_eq!((s.commits, s.entries_written, s.keys_removed), (2, 5, 1));
        assert_eq!(
            (s.bytes_written, s.largest_batch, s.commit_errors),
            (15, 4, 1)
        );
        assert_eq!(s.mean_batch(), 3.0);
    }
}
