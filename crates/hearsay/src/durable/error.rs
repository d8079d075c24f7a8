//! Errors of the durable store.
//!
//! Every message is one line that names the file and says what to do, because these end up in
//! an operator's log at start-up or when a write fails. Causes from redb are kept as text so
//! that one commit error can be cloned to every writer waiting on that commit.

use std::path::PathBuf;

/// Why the durable store could not open, or why a write was not made durable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DurableError {
    /// The data directory or the store file could not be opened or created (permissions, a
    /// missing mount, another process holding the file). Nothing was changed on disk.
    #[error(
        "cannot open kv store {path}: {reason} (check that the data directory exists, is writable, and that no other node uses it)"
    )]
    Open {
        /// The store file (or the data directory when that is what failed).
        path: PathBuf,
        /// What the operating system or redb said.
        reason: String,
    },
    /// The store file is damaged: truncated, overwritten, or holding a record this version
    /// cannot read. Nothing was loaded and nothing was changed on disk.
    #[error(
        "kv store {path} is corrupt ({reason}): restore it from a backup or move it away to start empty"
    )]
    Corrupt {
        /// The store file.
        path: PathBuf,
        /// What was found wrong, naming the key when one record is at fault.
        reason: String,
    },
    /// Reading the store failed with an I/O error (not a sign of corruption by itself).
    #[error("cannot read kv store {path}: {reason} (check the disk and try again)")]
    Io {
        /// The store file.
        path: PathBuf,
        /// What the operating system or redb said.
        reason: String,
    },
    /// A write transaction failed to commit; none of its entries are durable. Later commits
    /// usually fail the same way until the node is restarted (redb refuses further writes after
    /// an I/O error).
    #[error(
        "kv store {path}: commit failed ({reason}); the write is not durable (check free disk space and the disk, then restart the node)"
    )]
    Commit {
        /// The store file.
        path: PathBuf,
        /// What redb said.
        reason: String,
    },
    /// The store was closed (or its committer thread ended) before this write was queued or
    /// committed; the write is not durable.
    #[error("kv store {path} is closed; the write was not made durable (reopen the store)")]
    Closed {
        /// The store file.
        path: PathBuf,
    },
}
