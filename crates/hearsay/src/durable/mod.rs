//! The cluster-wide key/value map on disk: a redb file under the node's data directory,
//! written by one committer thread with group commit.
//!
//! ```text
//!  engine side (any task)                      committer thread            disk
//!  Writer::write(entries).await ──┐
//!  Writer::write(entries).await ──┼─▶ queue ─▶ take everything queued ─▶ one redb write
//!  Writer::write_unacked(entries) ┤            (≤ 64k entries, 64 MiB)    transaction,
//!  Writer::remove_unacked(keys) ──┘                                       commit + fsync
//!        ▲                                              │
//!        └──────── ack (Ok or the commit error) ◀───────┘  to every waiter of the batch
//! ```
//!
//! The engine decides last-writer-wins; this module stores whatever entry it was given last
//! for a key, tombstones included, and physically removes keys only when asked (tombstone
//! garbage collection). A write is acknowledged only once the transaction holding it has been
//! committed with an `fsync`, and writers that arrive while a commit is in flight share the
//! next one, so sixteen concurrent writers cost far fewer than sixteen `fsync`s. (After
//! answering a batch, the committer also waits a few hundred microseconds at most for the
//! writers it just answered, so that they stay in one batch: see
//! [`StoreConfig::commit_linger`].)
//!
//! At open the whole file is checked (see [`DurableStore::open`]): a damaged store is an
//! error that says so, never an empty map.
//!
//! Nothing here knows the engine's types; records use their own versioned layout
//! (see `record.rs`).
//!
//! # Example
//!
//! ```
//! use hearsay::durable::{DurableStore, StoredEntry};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dir = tempfile::tempdir()?;
//! let (store, loaded) = DurableStore::open(dir.path())?;
//! assert!(loaded.is_empty());
//!
//! let writer = store.writer();
//! writer.write(vec![StoredEntry::new("colour", 1 << 16, "node-a", "blue")]).await?;
//! writer.write_unacked(vec![StoredEntry::tombstone("size", 2 << 16, "node-b")])?;
//! store.close()?; // commits what is queued and waits
//!
//! let (store, loaded) = DurableStore::open(dir.path())?;
//! assert_eq!(loaded.len(), 2);
//! assert!(loaded[1].is_tombstone());
//! # store.close()?;
//! # Ok(())
//! # }
//! ```

mod committer;
mod config;
mod error;
mod queue;
mod record;
mod stats;
mod store;
mod writer;

pub use config::StoreConfig;
pub use error::DurableError;
pub use record::StoredEntry;
pub use stats::CommitStats;
pub use store::{DurableStore, STORE_FILE};
pub use writer::Writer;
