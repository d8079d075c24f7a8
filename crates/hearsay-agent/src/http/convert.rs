//! From the node's snapshots to the API's JSON shapes.
//!
//! The node reports monotonic instants; the API speaks wall-clock milliseconds, so every
//! conversion goes through [`Node::wall_time`]. Kept apart from the handlers so that the
//! shapes of `GET /v1/members`, `GET /v1/members/{name}` and the event stream cannot drift.

use std::fmt::Write as _;
use std::time::{Instant, UNIX_EPOCH};

use hearsay::{Key, KvEntry, Name, Node};

use crate::schema::{self, ValueField, stamp_unix_ms};

/// A member's record.
pub(crate) fn member(node: &Node, m: &hearsay::MemberView) -> schema::Member {
    let (meta, meta_hex) = match hearsay::meta::decode(&m.meta) {
        Some(pairs) => (Some(pairs), None),
        None => (None, Some(hex(&m.meta))),
    };
    schema::Member {
        name: m.name.as_str().to_owned(),
        address: m.addr,
        state: state(m.state),
        incarnation: m.incarnation,
        generation: m.generation,
        meta,
        meta_hex,
        since_unix_ms: unix_ms(node, m.since),
    }
}

/// One entry of the member list.
pub(crate) fn summary(node: &Node, info: &hearsay::MemberInfo) -> schema::MemberSummary {
    schema::MemberSummary {
        member: member(node, &info.member),
        last_change: info.last_change.as_ref().map(|e| change(node, e)),
    }
}

/// A member with its history.
pub(crate) fn detail(node: &Node, d: &hearsay::MemberDetail) -> schema::MemberDetail {
    schema::MemberDetail {
        member: member(node, &d.member),
        history: d.history.iter().map(|e| change(node, e)).collect(),
    }
}

/// One change, as listed in a history.
pub(crate) fn change(node: &Node, e: &hearsay::Event) -> schema::Change {
    schema::Change {
        kind: kind(e.kind),
        at_unix_ms: unix_ms(node, e.at),
        state: state(e.member.state),
        incarnation: e.member.incarnation,
        generation: e.member.generation,
        cause: cause(&e.cause),
    }
}

/// One change, as streamed.
pub(crate) fn event(node: &Node, e: &hearsay::Event) -> schema::Event {
    schema::Event {
        kind: kind(e.kind),
        at_unix_ms: unix_ms(node, e.at),
        member: member(node, &e.member),
        cause: cause(&e.cause),
    }
}

/// The node's own state and counters.
pub(crate) fn info(node: &Node, i: &hearsay::NodeInfo) -> schema::Info {
    schema::Info {
        local: member(node, &i.local),
        bound: i.bound,
        states: schema::StateCounts {
            alive: i.states.alive,
            suspect: i.states.suspect,
            dead: i.states.dead,
            left: i.states.left,
        },
        health_score: i.health_score,
        joined: i.joined,
        gossip_backlog: i.gossip_backlog,
        uptime_ms: u64::try_from(i.uptime.as_millis()).unwrap_or(u64::MAX),
        engine: engine(&i.stats),
        transport: transport(&i.transport),
    }
}

/// A live entry of the map, as listed; `None` for a tombstone.
pub(crate) fn kv_item(key: &Key, e: &KvEntry) -> Option<schema::KvItem> {
    Some(schema::KvItem {
        key: key.to_string(),
        value: ValueField::of(e.value.as_deref()?),
        stamp: e.stamp,
        at_unix_ms: stamp_unix_ms(e.stamp),
        writer: e.writer.as_str().to_owned(),
    })
}

/// A write of the map (a put or a delete), as answered to the writer.
pub(crate) fn kv_write(key: String, e: &KvEntry) -> schema::KvWrite {
    schema::KvWrite {
        key,
        stamp: e.stamp,
        at_unix_ms: stamp_unix_ms(e.stamp),
        writer: e.writer.as_str().to_owned(),
        deleted: e.value.is_none(),
    }
}

/// A change of the map, as watched.
pub(crate) fn kv_change(key: &Key, e: &KvEntry, local: bool) -> schema::KvChange {
    schema::KvChange {
        key: key.to_string(),
        value: value_or_none(e.value.as_deref()),
        deleted: e.value.is_none(),
        stamp: e.stamp,
        at_unix_ms: stamp_unix_ms(e.stamp),
        writer: e.writer.as_str().to_owned(),
        local,
    }
}

/// A change of a member's state, as watched.
pub(crate) fn state_change(owner: &Name, key: &Key, value: Option<&[u8]>) -> schema::StateChange {
    schema::StateChange {
        owner: owner.as_str().to_owned(),
        key: key.to_string(),
        value: value_or_none(value),
        deleted: value.is_none(),
    }
}

/// The engine's state as the API names it.
pub(crate) fn state(s: hearsay::State) -> schema::State {
    match s {
        hearsay::State::Alive => schema::State::Alive,
        hearsay::State::Suspect => schema::State::Suspect,
        hearsay::State::Dead => schema::State::Dead,
        hearsay::State::Left => schema::State::Left,
    }
}

fn kind(k: hearsay::EventKind) -> schema::EventKind {
    match k {
        hearsay::EventKind::Up => schema::EventKind::Up,
        hearsay::EventKind::Updated => schema::EventKind::Updated,
        hearsay::EventKind::Suspect => schema::EventKind::Suspect,
        hearsay::EventKind::Recovered => schema::EventKind::Recovered,
        hearsay::EventKind::Down => schema::EventKind::Down,
        hearsay::EventKind::Left => schema::EventKind::Left,
        hearsay::EventKind::Removed => schema::EventKind::Removed,
        hearsay::EventKind::Refuted => schema::EventKind::Refuted,
    }
}

fn cause(c: &hearsay::Cause) -> schema::Cause {
    let (via, peer) = match c.via {
        hearsay::Via::Local => (schema::Via::Local, None),
        hearsay::Via::Gossip(from) => (schema::Via::Gossip, Some(from)),
        hearsay::Via::Sync(with) => (schema::Via::Sync, Some(with)),
    };
    schema::Cause {
        via,
        peer,
        accuser: c.accuser.as_ref().map(|n| n.as_str().to_owned()),
        confirmations: c.confirmations,
        local_health: c.local_health,
    }
}

fn engine(s: &hearsay::Stats) -> schema::EngineCounters {
    schema::EngineCounters {
        counters: s.counters().map(|c| (c.name.to_owned(), c.value)).collect(),
        dropped: s
            .dropped_by_reason()
            .filter(|(_, n)| *n > 0)
            .map(|(reason, n)| (reason.as_str().to_owned(), n))
            .collect(),
    }
}

fn transport(t: &hearsay::TransportStats) -> schema::TransportCounters {
    schema::TransportCounters {
        streams_accepted: t.streams_accepted,
        streams_dialed: t.streams_dialed,
        stream_limit: t.stream_limit,
        outbound_limit: t.outbound_limit,
        stream_malformed: t.stream_malformed,
        stream_timeouts: t.stream_timeouts,
        stream_oversized: t.stream_oversized,
        stream_truncated: t.stream_truncated,
        dial_failures: t.dial_failures,
        send_errors: t.send_errors,
        fault_dropped: t.fault_dropped,
        fault_delayed: t.fault_delayed,
        query_replies_shed: t.query_replies_shed,
        user_outputs_missed: t.user_outputs_missed,
    }
}

/// A message's identity.
pub(crate) fn message_id(id: &hearsay::MsgId) -> schema::MessageId {
    schema::MessageId {
        origin: id.origin.as_str().to_owned(),
        generation: id.generation,
        seq: id.seq,
    }
}

/// A user event as delivered here.
pub(crate) fn user_event(node: &Node, e: &hearsay::UserEvent) -> schema::UserEvent {
    schema::UserEvent {
        name: e.name.clone(),
        origin: e.id.origin.as_str().to_owned(),
        generation: e.id.generation,
        seq: e.id.seq,
        hops: e.hops,
        at_unix_ms: unix_ms(node, e.at),
        value: ValueField::of(&e.payload),
    }
}

/// A query asked of this node, as received (now).
pub(crate) fn query_received(node: &Node, q: &hearsay::IncomingQuery) -> schema::QueryReceived {
    schema::QueryReceived {
        name: q.name.clone(),
        origin: q.id.origin.as_str().to_owned(),
        generation: q.id.generation,
        seq: q.id.seq,
        hops: q.hops,
        at_unix_ms: hearsay::unix_millis(),
        deadline_unix_ms: unix_ms(node, q.deadline),
        value: ValueField::of(&q.payload),
    }
}

/// An acknowledgement or response to a query of this node.
pub(crate) fn query_answer(r: &hearsay::QueryReply) -> schema::QueryAnswer {
    let (kind, value) = match &r.answer {
        hearsay::Answer::Ack => (schema::AnswerKind::Ack, ValueField::none()),
        hearsay::Answer::Response(p) => (schema::AnswerKind::Response, ValueField::of(p)),
    };
    schema::QueryAnswer {
        kind,
        from: r.from.as_str().to_owned(),
        relayed: r.relayed,
        value,
    }
}

/// How a query of this node ended.
pub(crate) fn query_done(s: &hearsay::QuerySummary) -> schema::QueryDone {
    schema::QueryDone {
        kind: "done".to_owned(),
        query: s.query,
        expected: s.expected,
        acks: s.acks,
        responses: s.responses,
        missing: s.missing.iter().map(|n| n.as_str().to_owned()).collect(),
        departed: s.departed,
        timed_out: s.timed_out,
        elapsed_ms: u64::try_from(s.elapsed.as_millis()).unwrap_or(u64::MAX),
    }
}

/// Milliseconds since the Unix epoch of a node instant (0 for a clock set before 1970).
fn unix_ms(node: &Node, at: Instant) -> u64 {
    node.wall_time(at)
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// A value in JSON, or neither field for a deleted key.
fn value_or_none(value: Option<&[u8]>) -> ValueField {
    value.map_or_else(ValueField::none, ValueField::of)
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_is_lower_case_and_two_digits_a_byte() {
        assert_eq!(hex(&[0x00, 0xff, 0x0a]), "00ff0a");
        assert_eq!(hex(&[]), "");
    }
}
