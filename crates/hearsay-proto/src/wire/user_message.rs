//! The messages of the application's own traffic: user events and queries, the broadcast
//! tree's control messages, query answers and the repair summary (see [`crate::user`]).

use std::net::SocketAddr;

use crate::name::Name;
use crate::user::{MsgId, Payload, QueryFilter};

/// Longest user event or query name on the wire.
pub const MAX_EVENT_NAME_BYTES: usize = 128;
/// Largest payload the decoder accepts (the configured `max_event_bytes` may be lower).
pub const MAX_PAYLOAD_WIRE_BYTES: usize = 16 << 20;
/// Most ids in one `IHave` or `Graft`, and most origins in one `EventSummary`.
pub const MAX_IDS: usize = 4096;
/// Most missing ranges per origin in an `EventSummary`.
pub const MAX_GAPS: usize = 256;

/// A user event or query: its id, how far it travelled, and its content. Travels in a
/// datagram when it fits, else over a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserMsg {
    /// Origin, generation and sequence.
    pub id: MsgId,
    /// Links crossed before this copy was sent (the receiver delivers it at `hops + 1`).
    pub hops: u32,
    /// The event or query name.
    pub name: String,
    /// The application's bytes.
    pub payload: Payload,
    /// Present when this is a query.
    pub query: Option<QueryHeader>,
}

/// What makes a [`UserMsg`] a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryHeader {
    /// Where answers go (the origin's address).
    pub reply_to: SocketAddr,
    /// How long the origin listens, in milliseconds from when it asked.
    pub timeout_ms: u32,
    /// How many other members each answer is also sent through.
    pub relay_factor: u8,
    /// Whether receivers acknowledge before answering.
    pub want_ack: bool,
    /// Who should answer.
    pub filter: QueryFilter,
}

/// "I have these messages": sent to lazy tree links, batched. With `fetch`, sent to eager
/// links instead of a payload too large for a datagram: "fetch it from me now".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IHave {
    /// Fetch at once (the payload is too large to push in a datagram).
    pub fetch: bool,
    /// The messages, each with the hop count the sender delivered it at.
    pub ids: Vec<(MsgId, u32)>,
}

/// "Send me these messages, and push to me from now on" (an empty list only asks for the
/// link).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graft {
    /// The messages wanted.
    pub ids: Vec<MsgId>,
}

/// "Stop pushing to me; announce instead" or, with `disconnect`, "I will not be your tree
/// neighbour".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prune {
    /// Drop the link altogether (the sender has no room for it).
    pub disconnect: bool,
}

/// An acknowledgement (no payload) or response to a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryAnswer {
    /// The query.
    pub query: MsgId,
    /// Who answers.
    pub responder: Name,
    /// The response; `None` for an acknowledgement.
    pub response: Option<Payload>,
    /// Set when the receiver is a relay: forward the answer to this address (the origin).
    pub relay_to: Option<SocketAddr>,
    /// Set on an answer a relay forwarded.
    pub relayed: bool,
}

/// The origin of a query to a member whose response it lacks: "send it again" (to the
/// query's reply address, never to the sender of this message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryNudge {
    /// The query.
    pub query: MsgId,
}

/// What one origin's messages a node has delivered, for repair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginSummary {
    /// The origin.
    pub origin: Name,
    /// Which start of it.
    pub generation: u64,
    /// Highest sequence delivered.
    pub high: u64,
    /// Ranges `(first, count)` below `high`, inside the window, not delivered.
    pub gaps: Vec<(u64, u32)>,
}

/// Repair: the sender's summary of what it has delivered, so that the receiver can push what
/// the sender lacks from its retention window (and answer in kind when `reply`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventSummary {
    /// The receiver should answer with its own summary.
    pub reply: bool,
    /// How long the sender has been running, in milliseconds: it wants nothing older.
    pub age_ms: u64,
    /// Per origin.
    pub origins: Vec<OriginSummary>,
}
