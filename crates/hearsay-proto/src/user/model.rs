//! The user-message layer's model: what the application sends, receives and is told.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::filter::QueryFilter;
use crate::name::Name;

/// An application payload (shared, cheap to clone).
pub type Payload = Arc<[u8]>;

/// How user events and queries spread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EventMode {
    /// Down a broadcast tree (eager push to tree neighbours, lazy announcements to the rest):
    /// about one copy of each payload per member.
    #[default]
    Tree,
    /// Piggybacked on gossip rounds to random members, `retransmit_mult * ceil(log10(N + 1))`
    /// times by every member (Serf's way): the baseline the tree is measured against.
    Flood,
}

impl EventMode {
    /// Lower-case name, as in flags and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            EventMode::Tree => "tree",
            EventMode::Flood => "flood",
        }
    }
}

impl std::str::FromStr for EventMode {
    type Err = String;
    fn from_str(s: &str) -> Result<EventMode, String> {
        match s {
            "tree" => Ok(EventMode::Tree),
            "flood" => Ok(EventMode::Flood),
            other => Err(format!(
                "event mode '{other}' is unknown; use tree or flood"
            )),
        }
    }
}

/// Identifies one message of one start of one member: never reused, never a content hash.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct MsgId {
    /// The member that sent it.
    pub origin: Name,
    /// Which start of the origin (its [`crate::LocalNode::generation`]).
    pub generation: u64,
    /// The origin's message counter for that start, from 1.
    pub seq: u64,
}

/// A user event, as delivered to the application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserEvent {
    /// Who sent it, and its place in the origin's sequence.
    pub id: MsgId,
    /// The event's name (for subscriptions by prefix).
    pub name: String,
    /// The application's bytes.
    pub payload: Payload,
    /// How many links it crossed to get here (0 at the origin).
    pub hops: u32,
    /// When this node delivered it.
    pub at: Instant,
}

/// A query this node received (and matches the filter of), to answer with
/// [`crate::Engine::respond`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncomingQuery {
    /// Who asked, and its place in the origin's sequence.
    pub id: MsgId,
    /// The query's name.
    pub name: String,
    /// The question's bytes.
    pub payload: Payload,
    /// How many links it crossed to get here.
    pub hops: u32,
    /// After this, the origin no longer listens.
    pub deadline: Instant,
}

/// What a member said back to a query this node asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The member received the query (sent when the query asked for acknowledgements).
    Ack,
    /// The member's response.
    Response(Payload),
}

/// One acknowledgement or response to a query this node asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryReply {
    /// The query's sequence number (as returned by [`crate::Engine::query`]).
    pub query: u64,
    /// Who answered.
    pub from: Name,
    /// What it said.
    pub answer: Answer,
    /// Whether it came through another member ([`QueryParams::relay_factor`]).
    pub relayed: bool,
}

/// How a query this node asked ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuerySummary {
    /// The query's sequence number.
    pub query: u64,
    /// Members that matched the filter and were alive when it was sent.
    pub expected: u32,
    /// Of those, how many acknowledged.
    pub acks: u32,
    /// Of those, how many responded.
    pub responses: u32,
    /// Matching members that did not respond (sorted), the ones that died meanwhile included.
    pub missing: Vec<Name>,
    /// Of the expected, how many died or left before answering (they are not waited for).
    pub departed: u32,
    /// True when the timeout ended it; false when every live expected member had responded.
    pub timed_out: bool,
    /// From the query to this summary.
    pub elapsed: Duration,
}

/// What to ask, of whom, and how long to listen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryParams {
    /// The query's name.
    pub name: String,
    /// The question's bytes.
    pub payload: Payload,
    /// Which members should answer (all, when empty).
    pub filter: QueryFilter,
    /// How long to wait for answers.
    pub timeout: Duration,
    /// Each answer also goes through this many random other members, in case the direct
    /// path loses it (0 = direct only).
    pub relay_factor: u8,
    /// Whether members acknowledge receipt before their handler answers.
    pub want_acks: bool,
}

impl QueryParams {
    /// A query to every member with `timeout` and acknowledgements, no relays.
    pub fn new(name: &str, payload: impl Into<Payload>, timeout: Duration) -> QueryParams {
        QueryParams {
            name: name.to_owned(),
            payload: payload.into(),
            filter: QueryFilter::default(),
            timeout,
            relay_factor: 0,
            want_acks: true,
        }
    }
}

/// What the application's messages report to the driver ([`crate::Engine::poll_user`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserOutput {
    /// A user event to deliver.
    Event(UserEvent),
    /// A query to answer (this node matches its filter).
    Query(IncomingQuery),
    /// An acknowledgement or response to a query this node asked.
    Reply(QueryReply),
    /// A query this node asked is over.
    Done(QuerySummary),
    /// The driver fell behind: this many outputs were dropped (oldest first) since the last
    /// one it took.
    Missed(u64),
}

/// How a user message arrived at the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arrival {
    /// Pushed over a tree link (or flooded): the sender is a neighbour.
    Pushed,
    /// Fetched or repaired over a stream: says nothing about links.
    Pulled,
}
