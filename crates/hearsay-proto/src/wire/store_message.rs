//! Messages of the replicated stores: per-node state and the cluster-wide key/value map.
//!
//! News travels as single updates ([`StateUpdate`], [`KvUpdate`]): piggybacked on datagrams
//! when small, pushed over streams when large. Anti-entropy compares the two stores' range
//! trees ([`crate::store::tree`]): [`StoreHashes`] carries hashes of tree nodes, and the
//! entries of the leaves that differ follow in [`KvEntries`] or [`StateEntries`], so the cost
//! of a repair follows the number of differences, not the size of the store.

use std::sync::Arc;

use crate::name::Name;

/// A key of either store: UTF-8 text of 1 to [`MAX_KEY_BYTES`] bytes (shared, cheap to clone).
pub type Key = Arc<str>;
/// A value of either store: opaque bytes (shared, cheap to clone).
pub type Value = Arc<[u8]>;

/// Longest key, in bytes, that any node sends or accepts.
pub const MAX_KEY_BYTES: usize = 512;
/// Largest value the decoder accepts, whatever the configuration (the configured
/// `max_value_bytes` is at most this).
pub const MAX_VALUE_WIRE_BYTES: usize = 16 << 20;

/// Which store a tree message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreKind {
    /// Per-node state: each member owns its keys.
    State = 0,
    /// The cluster-wide key/value map.
    Kv = 1,
}

impl StoreKind {
    /// Both stores, in wire order.
    pub const ALL: [StoreKind; 2] = [StoreKind::State, StoreKind::Kv];
}

/// One change to a member's own state: `key` of `owner` (this start of it, `generation`) is
/// now `value` (or deleted, when `None`), at the owner's `version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateUpdate {
    /// The member that owns the key.
    pub owner: Name,
    /// Which start of the owner.
    pub generation: u64,
    /// The owner's counter, raised by every set and delete; higher wins.
    pub version: u64,
    /// The key.
    pub key: Key,
    /// The value, or `None` for a delete (a tombstone).
    pub value: Option<Value>,
}

/// One entry of the cluster-wide map: `key` was written by `writer` at hybrid logical clock
/// `stamp`. The highest `(stamp, writer)` wins everywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvUpdate {
    /// The key.
    pub key: Key,
    /// Hybrid logical clock stamp: milliseconds since the Unix epoch in the high 48 bits, a
    /// counter in the low 16.
    pub stamp: u64,
    /// The node that wrote it (breaks ties between equal stamps).
    pub writer: Name,
    /// The value, or `None` for a delete (a tombstone).
    pub value: Option<Value>,
}

/// Anti-entropy of a store: the sender's hashes of some nodes of its range tree. Node ids
/// below the store's group count are groups; the rest are leaves (see
/// [`crate::store::tree::Shape`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreHashes {
    /// Which store.
    pub store: StoreKind,
    /// Tree node ids, ascending.
    pub ids: Vec<u32>,
    /// One hash per id.
    pub hashes: Vec<u64>,
}

/// Anti-entropy of the cluster-wide map: every entry the sender holds in some leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvEntries {
    /// The leaves covered, whole.
    pub leaves: Vec<u32>,
    /// True when the receiver should answer with its own entries of the same leaves.
    pub reply: bool,
    /// How many entries the sender holds in all (for progress reports of a large transfer).
    pub total: u64,
    /// The entries, tombstones included.
    pub entries: Vec<KvUpdate>,
}

/// One key of a member's state, in a state transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateRecord {
    /// The key.
    pub key: Key,
    /// The owner's version of the last change to it.
    pub version: u64,
    /// The value, or `None` for a tombstone.
    pub value: Option<Value>,
}

/// A member's whole state as the sender holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerState {
    /// The member.
    pub owner: Name,
    /// Which start of it.
    pub generation: u64,
    /// Tombstones up to this version have been collected by the owner: a replica that knows
    /// an older floor must replace its copy with this one instead of merging (or deleted keys
    /// would come back).
    pub floor: u64,
    /// Every key, tombstones included.
    pub entries: Vec<StateRecord>,
}

/// Anti-entropy of per-node state: the members' states the sender holds in some leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateEntries {
    /// The leaves covered, whole.
    pub leaves: Vec<u32>,
    /// True when the receiver should answer with its own states of the same leaves.
    pub reply: bool,
    /// The members' states.
    pub owners: Vec<OwnerState>,
}

/// A copy of one map entry sent to a chosen member, who answers [`KvHeld`] once it holds the
/// entry (or a newer one): how a write is acknowledged only once several members hold it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KvCopy {
    /// Chosen by the sender; echoed in the answer.
    pub token: u64,
    /// The entry.
    pub update: KvUpdate,
}

/// "I hold the entry of copy `token`" (or a newer one of that key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvHeld {
    /// The token of the [`KvCopy`] answered.
    pub token: u64,
}
