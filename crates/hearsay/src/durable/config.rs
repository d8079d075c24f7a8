//! Settings of the durable store. [`StoreConfig::default`] suits a node; tests shrink the
//! batch limits to see batches split.

use std::num::NonZeroUsize;
use std::time::Duration;

/// How the durable store batches writes and caches pages.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct StoreConfig {
    /// Most entries plus removed keys in one write transaction. A single request larger than
    /// this is still committed, alone. Defaults to 65,536.
    pub max_batch_entries: NonZeroUsize,
    /// Most bytes of keys and records in one write transaction. A single request larger than
    /// this is still committed, alone. Defaults to 64 MiB.
    pub max_batch_bytes: NonZeroUsize,
    /// Memory redb may use to cache pages of the file, in bytes (redb's own default is 1 GiB,
    /// too much for a node that also holds the whole map in its engine). Defaults to 64 MiB.
    pub cache_bytes: usize,
    /// After answering a batch, how long the committer may wait for the writers it just
    /// answered to come back with their next write before it commits what is queued without
    /// them. It waits only when writers awaited the last commit, and stops waiting as soon as
    /// all of them are back, so a lone write on an idle store is committed at once. Without
    /// it, writers that await every write split into two alternating halves and each write
    /// waits for two commits. `Duration::ZERO` never waits. Defaults to 200 µs.
    pub commit_linger: Duration,
}

impl Default for StoreConfig {
    fn default() -> Self {
        const ENTRIES: NonZeroUsize = NonZeroUsize::new(64 * 1024).unwrap();
        const BYTES: NonZeroUsize = NonZeroUsize::new(64 * 1024 * 1024).unwrap();
        StoreConfig {
            max_batch_entries: ENTRIES,
            max_batch_bytes: BYTES,
            cache_bytes: 64 * 1024 * 1024,
            commit_linger: Duration::from_micros(200),
        }
    }
}
