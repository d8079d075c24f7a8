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

mod hlc;
mod kv;
mod node_state;
mod per_store;
mod schedule;
pub mod tree;

use std::net::SocketAddr;
use std::time::Instant;

pub use hlc::stamp_millis;
pub use kv::KvEntry;

use crate::event::Outbox;
use crate::gossip::GossipQueue;
use crate::intern::MemoryUse;
use crate::name::Name;
use crate::wire::{Key, StoreKind, Value};
pub(crate) use hlc::Hlc;
pub(crate) use kv::ClusterKv;
pub(crate) use node_state::NodeStates;
pub(crate) use per_store::PerStore;
pub(crate) use schedule::{Copies, KvGc, OwnTombstones, PushSchedule, RepairExchanges, Ttls};

/// Largest stream message of entries sent in one piece during a repair; a larger set of
/// differing leaves goes out as several messages (progress shows between them).
pub(crate) const TRANSFER_CHUNK_BYTES: usize = 1 << 20;

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

/// Both stores and their bookkeeping, owned by the engine. Each field is a part that keeps
/// its own invariants behind its methods.
pub(crate) struct Stores {
    /// The map's hybrid logical clock.
    pub hlc: Hlc,
    /// The cluster-wide map.
    pub kv: ClusterKv,
    /// Every member's per-node state.
    pub states: NodeStates,
    /// Small updates waiting to be piggybacked.
    pub gossip: GossipQueue,
    /// Changes for the driver.
    pub events: Outbox<StoreEvent>,
    /// Time to live of this node's own keys.
    pub ttls: Ttls,
    /// This node's own state tombstones, until collected.
    pub own_tombstones: OwnTombstones,
    /// Collection of the map's tombstones.
    pub kv_gc: KvGc,
    /// Push-pull comparisons while this node's writes are fresh.
    pub push: PushSchedule,
    /// Writes waiting for copies on other members.
    pub copies: Copies,
    /// Repair exchanges this node is in (who may ask for its entries).
    pub exchanges: RepairExchanges,
}

impl Stores {
    pub fn new(now: Instant, hash_seed: u64, backlog: usize, memory: MemoryUse) -> Stores {
        Stores {
            hlc: Hlc::new(now, 0),
            kv: ClusterKv::default(),
            states: NodeStates::default(),
            gossip: GossipQueue::new(hash_seed, backlog),
            events: Outbox::new(memory),
            ttls: Ttls::default(),
            own_tombstones: OwnTombstones::default(),
            kv_gc: KvGc::new(now),
            push: PushSchedule::new(now),
            copies: Copies::default(),
            exchanges: RepairExchanges::default(),
        }
    }

    /// Leaves of each store's tree: the budget of one repair exchange.
    pub fn leaves(&self) -> PerStore<u32> {
        PerStore {
            state: self.states.tree().shape().leaves(),
            kv: self.kv.tree().shape().leaves(),
        }
    }

    /// The range tree of `store`.
    pub fn tree(&self, store: StoreKind) -> &tree::RangeTree {
        match store {
            StoreKind::State => self.states.tree(),
            StoreKind::Kv => self.kv.tree(),
        }
    }
}
