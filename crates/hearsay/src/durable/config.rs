//! Settings of the durable store. [`StoreConfig::default`] suits a node; tests shrink the
//! batch limits to see batches split.

use std::num::NonZeroUsize;

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
}

impl Default for StoreConfig {
    fn default() -> Self {
        const ENTRIES: NonZeroUsize = NonZeroUsize::new(64 * 1024).unwrap();
        const BYTES: NonZeroUsize = NonZeroUsize::new(64 * 1024 * 1024).unwrap();
        StoreConfig {
            max_batch_entries: ENTRIES,
            max_batch_bytes: BYTES,
            cache_bytes: 64 * 1024 * 1024,
        }
    }
}
