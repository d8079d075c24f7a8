//! Replicated state: per-node key/value (each member owns its keys) and a cluster-wide
//! key/value map (any member writes any key, last writer wins).
//!
//! ```text
//!  commands: state_set/state_delete      kv_put/kv_delete
//!                  |                            |
//!        node_state (versions per owner)   kv (LWW by hybrid logical clock, hlc)
//!                  \___________  ___________/
//!                              \/
//!   spread: small updates piggybacked on datagrams (a queue of their own, beside membership
//!           news); large ones pushed over streams to a few members, who pass them on once
//!   repair: every membership sync carries both stores' tree roots; a difference starts a
//!           range-tree comparison (tree) that swaps only the differing leaves' entries
//!                              |
//!   poll_store_event() -> StoreEvent (state changes for watchers, map changes to persist)
//! ```
//!
//! The engine keeps both stores in memory. Durability is the driver's job: it persists every
//! [`StoreEvent::Kv`] (and removes [`StoreEvent::KvCollected`] keys), and loads what it kept
//! with [`crate::Engine::kv_restore`] at start.

mod api;
mod copies;
mod hlc;
mod kv;
mod node_state;
mod repair;
mod spread;
pub mod tree;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::Instant;

pub use hlc::stamp_millis;
pub use kv::KvEntry;

use crate::Name;
use crate::gossip::GossipQueue;
use crate::wire::{Key, Value};
use hlc::Hlc;
use kv::ClusterKv;
use node_state::NodeStates;

/// Largest stream message of entries sent in one piece during a repair; a larger set of
/// differing leaves goes out as several messages (progress shows between them).
const TRANSFER_CHUNK_BYTES: usize = 1 << 20;

/// A change in one of the stores, for the driver.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreEvent {
    /// A member's key changed: set (`Some`), or deleted, expired or gone with its member
    /// (`None`).
    State {
        /// The member that owns the key.
        owner: Name,
        /// The key.
        key: Key,
        /// Its value now.
        value: Option<Value>,
    },
    /// An entry of the cluster-wide map changed here, by a local write (`local`) or one
    /// learned from a peer. Tombstones included: persist it as is.
    Kv {
        /// The key.
        key: Key,
        /// The entry now held.
        entry: KvEntry,
        /// Written through this node's own command.
        local: bool,
    },
    /// Tombstones collected after `tombstone_grace`: remove these keys from storage.
    KvCollected {
        /// The keys.
        keys: Vec<Key>,
    },
    /// The outcome of [`crate::Engine::kv_copy`]: `holders` members (this one included) are
    /// known to hold the entry; `complete` when as many as asked for.
    KvCopies {
        /// The token `kv_copy` returned.
        token: u64,
        /// Members known to hold the entry, this one included.
        holders: u32,
        /// Whether as many members as asked for hold it.
        complete: bool,
    },
    /// Part of a repair arrived: `received` entries from `from`, who holds `total` in all
    /// (for progress reports while a new or returning node catches up).
    KvTransfer {
        /// The peer.
        from: SocketAddr,
        /// Entries in this part.
        received: usize,
        /// Entries new to this node in this part.
        new: usize,
        /// Entries the peer holds in all.
        total: u64,
    },
}

/// Both stores and their bookkeeping, owned by the engine.
pub(crate) struct Stores {
    pub hlc: Hlc,
    pub kv: ClusterKv,
    pub states: NodeStates,
    /// Small updates waiting to be piggybacked.
    pub gossip: GossipQueue,
    pub events: VecDeque<StoreEvent>,
    /// This node's keys with a time to live, by expiry.
    pub expiries: BTreeSet<(Instant, Key)>,
    /// Expiry of each of this node's keys that has one.
    pub ttl_of: HashMap<Key, Instant>,
    /// This node's tombstones, oldest first: (deleted at, key, version).
    pub own_tombstones: VecDeque<(Instant, Key, u64)>,
    /// Next scan for collectable map tombstones.
    pub next_kv_gc: Instant,
    /// A store changed since the last timer run (by `StoreKind` index).
    pub fresh: [bool; 2],
    /// When each store last changed.
    pub news_at: [Option<Instant>; 2],
    /// Next push-pull comparison while a store is changing.
    pub next_push: Instant,
    /// Writes waiting for copies on other members, by token.
    pub copies: std::collections::BTreeMap<u64, copies::CopyWait>,
    pub next_token: u64,
}

impl Stores {
    pub fn new(now: Instant, hash_seed: u64, backlog: usize) -> Stores {
        Stores {
            hlc: Hlc::new(now, 0),
            kv: ClusterKv::default(),
            states: NodeStates::default(),
            gossip: GossipQueue::new(hash_seed, backlog),
            events: VecDeque::new(),
            expiries: BTreeSet::new(),
            ttl_of: HashMap::new(),
            own_tombstones: VecDeque::new(),
            next_kv_gc: now,
            fresh: [false; 2],
            news_at: [None; 2],
            next_push: now,
            copies: std::collections::BTreeMap::new(),
            next_token: 1,
        }
    }
}
