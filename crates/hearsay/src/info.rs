//! What a node tells about itself and its members: the answers the node's task sends back to
//! the [`crate::Node`] handle. Plain data, so both sides import it and neither imports the
//! other.

use std::net::SocketAddr;
use std::time::Duration;

use hearsay_proto::{Event, Key, MemberView, Name, Stats, Value};

use crate::counters::TransportStats;
use crate::durable::CommitStats;

/// One member with the last change this node recorded about it.
#[derive(Debug, Clone)]
pub struct MemberInfo {
    /// The member as this node sees it.
    pub member: MemberView,
    /// Its most recent state change still in the node's bounded history, with the cause.
    pub last_change: Option<Event>,
}

/// One member with its recent history.
#[derive(Debug, Clone)]
pub struct MemberDetail {
    /// The member as this node sees it.
    pub member: MemberView,
    /// Its recent state changes, oldest first, each with its cause (who accused it, how many
    /// confirmed, how the news arrived).
    pub history: Vec<Event>,
}

/// Members by state, as this node sees them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateCounts {
    /// Alive members, this node included.
    pub alive: usize,
    /// Suspected members.
    pub suspect: usize,
    /// Members declared dead and not yet forgotten.
    pub dead: usize,
    /// Members that left and are not yet forgotten.
    pub left: usize,
}

/// A snapshot of the node's own state and counters.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct NodeInfo {
    /// This node's record (name, advertised address, generation, incarnation, metadata).
    pub local: MemberView,
    /// The address the sockets are bound to.
    pub bound: SocketAddr,
    /// Members by state.
    pub states: StateCounts,
    /// Lifeguard local health score (0 = healthy; higher means this node doubts its own
    /// timeliness and probes more patiently).
    pub health_score: u32,
    /// Whether a join has succeeded (or another member reached this node).
    pub joined: bool,
    /// News waiting to be piggybacked.
    pub gossip_backlog: usize,
    /// The engine's counters.
    pub stats: Stats,
    /// The runtime's counters.
    pub transport: TransportStats,
    /// Time since the node started.
    pub uptime: Duration,
    /// The cluster-wide map here: live keys, bytes of keys and values, and the root of its
    /// range tree (equal on replicas holding the same entries).
    pub kv: KvInfo,
    /// The durable store's totals (commits are fsyncs), with a data directory.
    pub durable: Option<CommitStats>,
}

/// The cluster-wide map as one node holds it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KvInfo {
    /// Live keys.
    pub keys: usize,
    /// Bytes of keys and values held (tombstones' keys included).
    pub bytes: usize,
    /// Root of the map's range tree.
    pub root: u64,
}

/// One member's per-node state: its keys and values, in key order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerKeys {
    /// The member.
    pub owner: Name,
    /// Its keys.
    pub keys: Vec<(Key, Value)>,
}
