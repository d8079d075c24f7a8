//! What the simulator needs from a member's replicated stores, for the scenarios that drive
//! them (`--kv-*`, `--state-keys`).
//!
//! Only hearsay's engine has stores (see `engine_stores.rs`); foca has none. So the
//! [`crate::Protocol`] trait reaches them through [`crate::Protocol::stores`] and
//! [`crate::Protocol::stores_mut`], whose defaults say "none", and a scenario that needs them
//! is refused for a protocol without them ([`crate::SimError::NoStores`]).

use std::time::Instant;

use hearsay_proto::{Key, KvEntry, Transmit, Value};

/// A member's replicated stores: per-node state (each member owns its keys) and the
/// cluster-wide last-writer-wins map. Every method takes the virtual time like the rest of
/// the member's API.
pub trait Stores {
    /// Anchors the member's wall clock (the physical part of map stamps): `unix_ms` at `now`.
    /// The simulator gives every member the same simulated wall clock.
    fn set_wall_clock(&mut self, now: Instant, unix_ms: u64);

    /// Loads map entries quietly (no events, no gossip), as a node restoring its disk.
    fn kv_restore(&mut self, now: Instant, entries: &[(Key, KvEntry)]);

    /// Writes `key` in the cluster-wide map; false if the member refused.
    fn kv_put(&mut self, now: Instant, key: &str, value: Value) -> bool;

    /// Root of the map's tree: equal on two members holding the same entries.
    fn kv_root(&self) -> u64;

    /// Sets one of the member's own keys; false if the member refused.
    fn state_set(&mut self, now: Instant, key: &str, value: Value) -> bool;

    /// Root of the per-node state tree: equal on two members holding the same states.
    fn state_root(&self) -> u64;

    /// (owner, key) pairs with a value this member holds, its own included.
    fn state_entries(&self) -> usize;

    /// Drains the member's store events (the simulator has no use for them, but an engine
    /// whose events are not drained drops the oldest and counts them); returns how many.
    fn drain_events(&mut self) -> usize;

    /// What `transmit`, sent by this member, carries that the store figures count.
    fn carried(&self, transmit: &Transmit) -> Carried;
}

/// What one transmit carries, for traffic figures split by purpose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Carried {
    /// Payload bytes of store messages: a whole stream frame of a store kind (updates pushed
    /// over streams, repair hashes and entries), or the framed store updates piggybacked in a
    /// datagram (kind, length and body of each; the datagram's own header not included).
    pub store_bytes: u64,
    /// The transmit starts an anti-entropy exchange (hearsay: a `SyncDigest`).
    pub starts_sync: bool,
}
