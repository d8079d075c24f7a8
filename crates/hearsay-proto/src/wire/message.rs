//! The message model: what nodes say to each other, independent of any encoding.
//!
//! It stays close to HashiCorp memberlist's model (ping, indirect ping, ack, nack, alive,
//! suspect, dead, push-pull, compound) so that a memberlist-compatible codec can be added beside
//! the native one without touching the engine. Two things are our own: every update carries the
//! member's *generation* (one per process start, so a restarted node is told from its ghost), and
//! anti-entropy uses a digest exchange ([`SyncDigest`] .. [`SyncEntries`]) so that its cost when
//! nothing differs does not grow with the cluster.

use std::net::SocketAddr;
use std::sync::Arc;

use super::store_message::{
    KvCopy, KvEntries, KvHeld, KvUpdate, StateEntries, StateUpdate, StoreHashes,
};
use super::user_message::{EventSummary, Graft, IHave, Prune, QueryAnswer, QueryNudge, UserMsg};
use crate::name::Name;

/// Opaque application metadata attached to a member (shared, cheap to clone).
pub type Meta = Arc<[u8]>;

/// The state a member is in, as carried on the wire and kept in the table.
///
/// The order matters: at equal generation and incarnation, a later variant overrides an
/// earlier one (dead and left beat suspect, suspect beats alive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum State {
    /// Answering probes (as far as this node knows).
    Alive = 0,
    /// Missed a probe; will be declared dead unless it refutes in time.
    Suspect = 1,
    /// Declared dead after a suspicion timed out.
    Dead = 2,
    /// Left the cluster on purpose.
    Left = 3,
}

impl State {
    /// Alive or suspect: still counted as a member that may be running.
    pub fn is_live(self) -> bool {
        matches!(self, State::Alive | State::Suspect)
    }

    /// Lower-case name, for logs and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Alive => "alive",
            State::Suspect => "suspect",
            State::Dead => "dead",
            State::Left => "left",
        }
    }
}

/// Direct probe: "are you there, `target`?". Answered by [`Ack`] with the same `seq`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ping {
    /// Matches the answer to the question.
    pub seq: u32,
    /// Whom the sender means to reach; a node that is not `target` ignores the ping
    /// (the address was reused by someone else).
    pub target: Name,
}

/// Indirect probe: "please ping `target` for me and relay the answer".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndirectPing {
    /// The requester's sequence number, echoed in the relayed [`Ack`] / [`Nack`].
    pub seq: u32,
    /// The member to probe.
    pub target: Name,
    /// Where `target` lives, so a helper that does not know it yet can still help.
    pub target_addr: SocketAddr,
    /// Whether the helper should send a [`Nack`] when `target` does not answer in time
    /// (Lifeguard: lets the requester tell "target is down" from "I am the slow one").
    pub want_nack: bool,
}

/// Positive answer to a [`Ping`], or relayed answer to an [`IndirectPing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ack {
    /// The sequence number being answered.
    pub seq: u32,
}

/// A helper's "I could not reach the target either" for an [`IndirectPing`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Nack {
    /// The sequence number being answered.
    pub seq: u32,
}

/// "`name` is alive at this address with this incarnation": joins, refutations, updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alive {
    /// The member.
    pub name: Name,
    /// Where it can be reached.
    pub addr: SocketAddr,
    /// Which start of the member this is about.
    pub generation: u64,
    /// Bumped by the member itself to refute suspicion or publish new metadata.
    pub incarnation: u32,
    /// The member's application metadata.
    pub meta: Meta,
}

/// "`from` suspects `name` (this generation, this incarnation)".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspect {
    /// The suspected member.
    pub name: Name,
    /// Which start of the member this is about.
    pub generation: u64,
    /// The incarnation being suspected.
    pub incarnation: u32,
    /// Who suspects it: distinct accusers are independent confirmations (Lifeguard).
    pub from: Name,
}

/// "`name` is dead" (declared by `from`), or "`name` left" when `from == name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dead {
    /// The member.
    pub name: Name,
    /// Which start of the member this is about.
    pub generation: u64,
    /// The incarnation declared dead.
    pub incarnation: u32,
    /// Who declared it; equal to `name` for a graceful leave.
    pub from: Name,
}

impl Dead {
    /// A member announcing its own departure.
    pub fn is_leave(&self) -> bool {
        self.from == self.name
    }
}

/// One member's full record, as exchanged in state transfers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberState {
    /// The member.
    pub name: Name,
    /// Where it can be reached.
    pub addr: SocketAddr,
    /// Which start of the member this is about.
    pub generation: u64,
    /// Its incarnation.
    pub incarnation: u32,
    /// Alive, suspect, dead or left.
    pub state: State,
    /// Its application metadata.
    pub meta: Meta,
}

/// Full state transfer over a stream: sent by a joining node to a seed (`join = true`) and
/// answered in kind. A seed of a large cluster may answer with a sample (`complete = false`),
/// and the joiner then pulls the full state from a member of that sample, so joins do not pile
/// up on the seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushPull {
    /// True for the request of a joining node.
    pub join: bool,
    /// True when the sender's whole table is included.
    pub complete: bool,
    /// True when the receiver should answer with its own state.
    pub reply: bool,
    /// The sender's members (always including the sender itself).
    pub members: Vec<MemberState>,
}

/// Anti-entropy, step 1: the sender's digest of its live members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncDigest {
    /// XOR of the entry hashes of every alive or suspect member.
    pub root: u64,
    /// How many alive or suspect members the sender has.
    pub live: u32,
    /// Root of the sender's per-node state tree ([`crate::store`]); a receiver whose root
    /// differs starts that store's repair.
    pub state_root: u64,
    /// Root of the sender's cluster-wide map tree.
    pub kv_root: u64,
}

/// Anti-entropy, step 2 (digests differed): the receiver's per-bucket digests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncBuckets {
    /// One XOR hash per bucket, [`crate::digest::BUCKETS`] of them.
    pub hashes: Vec<u64>,
}

/// Anti-entropy, steps 3 and 4: the members in the buckets that differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncEntries {
    /// The buckets these entries cover (so the receiver can answer with its own).
    pub buckets: Vec<u16>,
    /// True when the receiver should answer with its entries for the same buckets.
    pub reply: bool,
    /// The sender's members in those buckets, tombstones included.
    pub members: Vec<MemberState>,
}

/// Every message hearsay sends. Datagrams carry several (a probe plus piggybacked updates);
/// a stream carries exactly one.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Message {
    /// See [`Ping`].
    Ping(Ping),
    /// See [`IndirectPing`].
    IndirectPing(IndirectPing),
    /// See [`Ack`].
    Ack(Ack),
    /// See [`Nack`].
    Nack(Nack),
    /// See [`Alive`].
    Alive(Alive),
    /// See [`Suspect`].
    Suspect(Suspect),
    /// See [`Dead`].
    Dead(Dead),
    /// See [`PushPull`] (stream only).
    PushPull(PushPull),
    /// See [`SyncDigest`] (stream only).
    SyncDigest(SyncDigest),
    /// See [`SyncBuckets`] (stream only).
    SyncBuckets(SyncBuckets),
    /// See [`SyncEntries`] (stream only).
    SyncEntries(SyncEntries),
    /// See [`StateUpdate`].
    StateUpdate(StateUpdate),
    /// See [`KvUpdate`].
    KvUpdate(KvUpdate),
    /// See [`StoreHashes`] (stream only).
    StoreHashes(StoreHashes),
    /// See [`KvEntries`] (stream only).
    KvEntries(KvEntries),
    /// See [`StateEntries`] (stream only).
    StateEntries(StateEntries),
    /// See [`KvCopy`] (stream only).
    KvCopy(KvCopy),
    /// See [`KvHeld`] (stream only).
    KvHeld(KvHeld),
    /// See [`UserMsg`].
    UserMsg(UserMsg),
    /// See [`IHave`].
    IHave(IHave),
    /// See [`Graft`].
    Graft(Graft),
    /// See [`Prune`].
    Prune(Prune),
    /// See [`QueryAnswer`].
    QueryAnswer(QueryAnswer),
    /// See [`EventSummary`] (stream only).
    EventSummary(EventSummary),
    /// See [`QueryNudge`].
    QueryNudge(QueryNudge),
}
