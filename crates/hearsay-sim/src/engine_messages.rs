//! hearsay's engine as [`Messages`], and telling its user-message traffic apart.
//!
//! As for the store figures (`engine_stores.rs`), the wire format makes the split cheap: a
//! stream frame is the version byte, the kind byte and the body; a datagram is the version
//! byte and then `kind, body length (varint), body` per message. User messages are kinds 19
//! to 24 (`UserMsg`, `IHave`, `Graft`, `Prune`, `QueryAnswer`, `EventSummary`). The tests
//! encode real messages with the engine's codec, so a change of kind numbers or framing
//! fails here rather than skewing figures quietly.

use std::time::{Duration, Instant};

use hearsay_proto::user::{Answer, MsgId, Payload, QueryParams, UserOutput};
use hearsay_proto::{Engine, Transmit, TransmitKind};

use crate::addr::index_of_name;
use crate::messages::{MessageOutput, Messages};

/// User message kinds on the wire.
const USER_KINDS: std::ops::RangeInclusive<u8> = 19..=24;

/// The name of every event and query the simulator sends.
const NAME: &str = "sim";

impl Messages for Engine {
    fn broadcast(&mut self, now: Instant, payload: Payload) -> bool {
        Engine::broadcast(self, now, NAME, payload).is_ok()
    }

    fn query(&mut self, now: Instant, payload: Payload, timeout: Duration) -> Option<u64> {
        let mut params = QueryParams::new(NAME, payload, timeout);
        params.want_acks = false;
        Engine::query(self, now, params).ok()
    }

    fn respond(&mut self, now: Instant, id: &MsgId, payload: Payload) -> bool {
        Engine::respond(self, now, id, payload).is_ok()
    }

    fn poll_message(&mut self) -> Option<MessageOutput> {
        Some(match self.poll_user()? {
            UserOutput::Event(e) => MessageOutput::Event {
                payload: e.payload,
                hops: e.hops,
            },
            UserOutput::Query(q) => MessageOutput::Query {
                id: q.id,
                payload: q.payload,
                hops: q.hops,
            },
            UserOutput::Reply(r) => MessageOutput::Reply {
                query: r.query,
                from: index_of_name(r.from.as_str()),
                response: matches!(r.answer, Answer::Response(_)),
            },
            UserOutput::Done(d) => MessageOutput::Done {
                query: d.query,
                timed_out: d.timed_out,
            },
            UserOutput::Missed(n) => MessageOutput::Missed(n),
        })
    }

    fn payloads_in(&self) -> u64 {
        self.stats().user_payloads_in
    }

    fn message_bytes(&self, transmit: &Transmit) -> u64 {
        user_bytes(transmit.kind, &transmit.bytes)
    }
}

/// Bytes of user-message traffic in an encoded hearsay transmit: all of it when its first
/// message is a user message, else the framed user messages in it. Malformed input (the
/// engine never sends any) counts as carrying nothing from the first bad frame on.
pub(crate) fn user_bytes(kind: TransmitKind, bytes: &[u8]) -> u64 {
    let first = bytes.get(1).copied().unwrap_or(0);
    if USER_KINDS.contains(&first) {
        return bytes.len() as u64;
    }
    if kind == TransmitKind::Stream {
        return 0;
    }
    let mut user = 0;
    let mut at = 1; // after the version byte
    while at < bytes.len() {
        let kind = bytes[at];
        let Some((body, header)) = crate::engine_stores::varint(&bytes[at + 1..]) else {
            break;
        };
        let frame = 1 + header as u64 + body;
        if USER_KINDS.contains(&kind) {
            user += frame;
        }
        at = at.saturating_add(frame as usize);
    }
    user
}
