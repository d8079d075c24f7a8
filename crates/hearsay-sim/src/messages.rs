//! What the simulator needs from a member's application messages (user events and queries),
//! for the scenarios that send them (`--events`, `--queries`).
//!
//! hearsay's engine implements it (`engine_messages.rs`); the benchmark crate implements it
//! for its iroh-gossip adapter, which has events but no queries. The [`crate::Protocol`]
//! trait reaches it through [`crate::Protocol::messages`] and
//! [`crate::Protocol::messages_mut`], whose defaults say "none"; a scenario that sends
//! messages is refused for a protocol without them ([`crate::SimError::NoMessages`]).
//!
//! Payloads are the simulator's own: each one starts with a tag byte and the number of the
//! event or query, so that a delivery says by itself which message it is, whatever the
//! protocol's message ids look like.

use std::time::{Duration, Instant};

use hearsay_proto::Transmit;
use hearsay_proto::user::{MsgId, Payload};

/// A member's application messages. Every method takes the virtual time like the rest of
/// the member's API.
pub trait Messages {
    /// Sends `payload` as a user event to every member; false if the member refused.
    fn broadcast(&mut self, now: Instant, payload: Payload) -> bool;

    /// Asks every member `payload`, listening for answers for `timeout`; the query's number
    /// for this member (as in [`MessageOutput::Reply`] and [`MessageOutput::Done`]), or
    /// `None` if the member refused or has no queries.
    fn query(&mut self, now: Instant, payload: Payload, timeout: Duration) -> Option<u64>;

    /// Answers the query `id` (from [`MessageOutput::Query`]) with `payload`; false if the
    /// member refused (the query is over, or was answered already).
    fn respond(&mut self, now: Instant, id: &MsgId, payload: Payload) -> bool;

    /// The next thing the member reports about application messages, if any.
    fn poll_message(&mut self) -> Option<MessageOutput>;

    /// Messages carrying a payload (an event's or a query's) received so far by this start of
    /// the member, copies of ones already delivered included: the numerator of the relative
    /// message redundancy.
    fn payloads_in(&self) -> u64;

    /// How many bytes of `transmit`, sent by this member, are application-message traffic
    /// (for hearsay: user events, queries, answers, tree messages), for
    /// `event_bytes_per_member_s`. All of them (its length) when the transmit is such
    /// traffic as a whole (hearsay: its first message is one), and then its IP and UDP or TCP
    /// headers count too; otherwise the bytes of the messages riding along with others.
    fn message_bytes(&self, transmit: &Transmit) -> u64;
}

/// What a member reports about application messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageOutput {
    /// A user event delivered here for the first time (also at its origin, with 0 hops).
    Event {
        /// The event's payload.
        payload: Payload,
        /// Links it crossed to get here.
        hops: u32,
    },
    /// A query received here for the first time; the simulator answers it at once.
    Query {
        /// What [`Messages::respond`] takes.
        id: MsgId,
        /// The question.
        payload: Payload,
        /// Links it crossed to get here.
        hops: u32,
    },
    /// A response to a query this member asked.
    Reply {
        /// The query's number ([`Messages::query`]).
        query: u64,
        /// The simulation index of the member that answered, if the name is a simulator's.
        from: Option<u32>,
        /// A response rather than an acknowledgement.
        response: bool,
    },
    /// A query this member asked is over.
    Done {
        /// The query's number.
        query: u64,
        /// The timeout ended it (false: every expected member had responded).
        timed_out: bool,
    },
    /// The member dropped this many outputs because they were not drained in time.
    Missed(u64),
}
