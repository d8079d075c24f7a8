//! The application's own messages: user events, queries and their answers.
//!
//! A *user event* is a named payload that every member alive when it is sent receives exactly
//! once. A *query* is an event that asks matching members to answer its origin. Both travel
//! the same way: down a broadcast tree in the spirit of Plumtree (eager push along tree links,
//! batched `IHave` announcements on the others, `Graft` when an announced message does not
//! arrive, `Prune` on duplicates), or piggybacked on the gossip rounds like membership news in
//! [`EventMode::Flood`]. Anti-entropy repairs what a partition or loss made a node miss, as
//! long as the message is still in the sender's bounded retention window.
//!
//! Messages are identified by [`MsgId`] (origin, generation, sequence), never by content: the
//! same payload sent twice is delivered twice. Each node remembers, per origin, the highest
//! sequence it delivered and a window below it ([`crate::Config::event_window`]), so
//! duplicate suppression costs the same after a million messages as after one.
//!
//! The parts live in this folder, each owning its state: `dedupe.rs` (what was delivered),
//! `retention.rs` (recent messages kept for repair and grafts), `model.rs` (the types the application sees), `tree.rs` (tree neighbours and
//! their eager/lazy links), `flood.rs` (the gossip-queue way), `layer.rs` (the container the engine owns), `queries.rs` (queries this node
//! asked and is waiting on), `filter.rs` (which members a query addresses). The handlers that
//! wire them to the network are `engine/broadcasting.rs`, `engine/event_repair.rs` and
//! `engine/querying.rs`.

mod dedupe;
pub(crate) mod filter;
mod flood;
mod layer;
mod model;
mod queries;
mod retention;
mod tree;

pub(crate) use dedupe::{Seen, lacks};
pub use filter::{
    FilterError, MAX_FILTER_KEY_BYTES, MAX_FILTER_TERMS, MAX_PATTERN_BYTES, QueryFilter,
};
pub(crate) use layer::UserLayer;
pub(crate) use model::Arrival;
pub use model::{
    Answer, EventMode, IncomingQuery, MsgId, Payload, QueryParams, QueryReply, QuerySummary,
    UserEvent, UserOutput,
};
pub(crate) use queries::{AnswerError, Answerable, Noted};
pub(crate) use tree::Linked;
