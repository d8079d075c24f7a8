//! Bodies of the application's messages (kinds 19 to 24): sizes, encoding and decoding.
//!
//! | kind | message        | body                                                              |
//! |------|----------------|-------------------------------------------------------------------|
//! | 19   | `UserMsg`      | id, hops, event name, payload, flags (bit 0 query), [query header] |
//! | 20   | `IHave`        | flags (bit 0 fetch), count, then (id, hops) each                  |
//! | 21   | `Graft`        | count, then ids                                                   |
//! | 22   | `Prune`        | flags (bit 0 disconnect)                                          |
//! | 23   | `QueryAnswer`  | query id, responder, flags (bit 0 response, bit 1 relay_to, bit 2 relayed), [payload], [address] |
//! | 24   | `EventSummary` | flags (bit 0 reply), age_ms, count, then origins                  |
//! | 25   | `QueryNudge`   | query id                                                          |
//!
//! An **id** is origin name, generation, sequence. An **event name** is a varint length (1 to
//! [`MAX_EVENT_NAME_BYTES`]) and UTF-8. A **payload** is a varint length (at most
//! [`MAX_PAYLOAD_WIRE_BYTES`], else [`DecodeError::Oversized`]) and the bytes. A **query
//! header** is reply_to address, timeout_ms, relay_factor (one byte), flags (bit 0 want_ack),
//! then the filter: names (count, names), meta terms and state terms (count, then key and
//! pattern as length-prefixed UTF-8 each). An **origin summary** is name, generation, high and
//! a list of gaps (first, count). Lists are bounded by [`MAX_IDS`] and [`MAX_GAPS`].

use std::sync::Arc;

use super::error::DecodeError;
use super::name::{name_len, put_name};
use super::reader::Reader;
use super::varint::{count_len, put_varint, varint_len};
use super::{addr_len, put_addr};
use crate::user::filter::{MAX_FILTER_KEY_BYTES, MAX_FILTER_TERMS, MAX_PATTERN_BYTES};
use crate::user::{MsgId, QueryFilter};
use crate::wire::user_message::{
    EventSummary, Graft, IHave, MAX_EVENT_NAME_BYTES, MAX_GAPS, MAX_IDS, MAX_PAYLOAD_WIRE_BYTES,
    OriginSummary, Prune, QueryAnswer, QueryHeader, QueryNudge, UserMsg,
};

const QUERY: u8 = 1;
const WANT_ACK: u8 = 1;
const FETCH: u8 = 1;
const DISCONNECT: u8 = 1;
const RESPONSE: u8 = 1;
const RELAY_TO: u8 = 1 << 1;
const RELAYED: u8 = 1 << 2;
const REPLY: u8 = 1;
/// Fewest bytes of an id: name (2), generation (1), seq (1).
const MIN_ID_BYTES: usize = 4;

// ---- sizes ----------------------------------------------------------------------------------

fn id_len(id: &MsgId) -> usize {
    name_len(&id.origin) + varint_len(id.generation) + varint_len(id.seq)
}

fn text_len(s: &str) -> usize {
    count_len(s.len()) + s.len()
}

fn payload_len(p: &[u8]) -> usize {
    count_len(p.len()) + p.len()
}

fn terms_len(terms: &[(String, String)]) -> usize {
    count_len(terms.len())
        + terms
            .iter()
            .map(|(k, p)| text_len(k) + text_len(p))
            .sum::<usize>()
}

fn filter_len(f: &QueryFilter) -> usize {
    count_len(f.nodes.len())
        + f.nodes.iter().map(name_len).sum::<usize>()
        + terms_len(&f.meta)
        + terms_len(&f.state)
}

pub(super) fn user_msg_len(m: &UserMsg) -> usize {
    id_len(&m.id)
        + varint_len(u64::from(m.hops))
        + text_len(&m.name)
        + payload_len(&m.payload)
        + 1
        + m.query.as_ref().map_or(0, |q| {
            addr_len(&q.reply_to)
                + varint_len(u64::from(q.timeout_ms))
                + 1
                + 1
                + filter_len(&q.filter)
        })
}

pub(super) fn ihave_len(m: &IHave) -> usize {
    1 + count_len(m.ids.len())
        + m.ids
            .iter()
            .map(|(id, hops)| id_len(id) + varint_len(u64::from(*hops)))
            .sum::<usize>()
}

pub(in crate::wire) fn ihave_entry_len(id: &MsgId, hops: u32) -> usize {
    id_len(id) + varint_len(u64::from(hops))
}

pub(super) fn graft_len(m: &Graft) -> usize {
    count_len(m.ids.len()) + m.ids.iter().map(id_len).sum::<usize>()
}

pub(super) fn answer_len(m: &QueryAnswer) -> usize {
    id_len(&m.query)
        + name_len(&m.responder)
        + 1
        + m.response.as_deref().map_or(0, payload_len)
        + m.relay_to.as_ref().map_or(0, addr_len)
}

fn origin_len(o: &OriginSummary) -> usize {
    name_len(&o.origin)
        + varint_len(o.generation)
        + varint_len(o.high)
        + count_len(o.gaps.len())
        + o.gaps
            .iter()
            .map(|&(first, n)| varint_len(first) + varint_len(u64::from(n)))
            .sum::<usize>()
}

pub(super) fn summary_len(m: &EventSummary) -> usize {
    1 + varint_len(m.age_ms)
        + count_len(m.origins.len())
        + m.origins.iter().map(origin_len).sum::<usize>()
}

pub(super) fn nudge_len(m: &QueryNudge) -> usize {
    id_len(&m.query)
}

// ---- encoding -------------------------------------------------------------------------------

fn put_id(out: &mut Vec<u8>, id: &MsgId) {
    put_name(out, &id.origin);
    put_varint(out, id.generation);
    put_varint(out, id.seq);
}

fn put_text(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_payload(out: &mut Vec<u8>, p: &[u8]) {
    put_varint(out, p.len() as u64);
    out.extend_from_slice(p);
}

fn put_terms(out: &mut Vec<u8>, terms: &[(String, String)]) {
    put_varint(out, terms.len() as u64);
    for (k, p) in terms {
        put_text(out, k);
        put_text(out, p);
    }
}

fn flag(set: bool, bit: u8) -> u8 {
    if set { bit } else { 0 }
}

pub(super) fn put_user_msg(out: &mut Vec<u8>, m: &UserMsg) {
    put_id(out, &m.id);
    put_varint(out, u64::from(m.hops));
    put_text(out, &m.name);
    put_payload(out, &m.payload);
    out.push(flag(m.query.is_some(), QUERY));
    if let Some(q) = &m.query {
        put_addr(out, &q.reply_to);
        put_varint(out, u64::from(q.timeout_ms));
        out.push(q.relay_factor);
        out.push(flag(q.want_ack, WANT_ACK));
        put_varint(out, q.filter.nodes.len() as u64);
        for n in &q.filter.nodes {
            put_name(out, n);
        }
        put_terms(out, &q.filter.meta);
        put_terms(out, &q.filter.state);
    }
}

pub(super) fn put_ihave(out: &mut Vec<u8>, m: &IHave) {
    out.push(flag(m.fetch, FETCH));
    put_varint(out, m.ids.len() as u64);
    for (id, hops) in &m.ids {
        put_id(out, id);
        put_varint(out, u64::from(*hops));
    }
}

pub(super) fn put_graft(out: &mut Vec<u8>, m: &Graft) {
    put_varint(out, m.ids.len() as u64);
    for id in &m.ids {
        put_id(out, id);
    }
}

pub(super) fn put_prune(out: &mut Vec<u8>, m: &Prune) {
    out.push(flag(m.disconnect, DISCONNECT));
}

pub(super) fn put_answer(out: &mut Vec<u8>, m: &QueryAnswer) {
    put_id(out, &m.query);
    put_name(out, &m.responder);
    out.push(
        flag(m.response.is_some(), RESPONSE)
            | flag(m.relay_to.is_some(), RELAY_TO)
            | flag(m.relayed, RELAYED),
    );
    if let Some(p) = &m.response {
        put_payload(out, p);
    }
    if let Some(a) = &m.relay_to {
        put_addr(out, a);
    }
}

pub(super) fn put_summary(out: &mut Vec<u8>, m: &EventSummary) {
    out.push(flag(m.reply, REPLY));
    put_varint(out, m.age_ms);
    put_varint(out, m.origins.len() as u64);
    for o in &m.origins {
        put_name(out, &o.origin);
        put_varint(out, o.generation);
        put_varint(out, o.high);
        put_varint(out, o.gaps.len() as u64);
        for &(first, n) in &o.gaps {
            put_varint(out, first);
            put_varint(out, u64::from(n));
        }
    }
}

pub(super) fn put_nudge(out: &mut Vec<u8>, m: &QueryNudge) {
    put_id(out, &m.query);
}

// ---- decoding -------------------------------------------------------------------------------

fn id(r: &mut Reader<'_>) -> Result<MsgId, DecodeError> {
    Ok(MsgId {
        origin: r.name()?,
        generation: r.u64()?,
        seq: r.u64()?,
    })
}

fn text(r: &mut Reader<'_>, max: usize) -> Result<String, DecodeError> {
    let len = r.len()?;
    if len == 0 || len > max {
        return Err(DecodeError::Malformed);
    }
    let bytes = r.bytes(len)?;
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .map_err(|_| DecodeError::Malformed)
}

fn payload(r: &mut Reader<'_>) -> Result<Arc<[u8]>, DecodeError> {
    let len = r.len()?;
    if len > MAX_PAYLOAD_WIRE_BYTES {
        return Err(DecodeError::Oversized);
    }
    Ok(Arc::from(r.bytes(len)?))
}

fn terms(r: &mut Reader<'_>) -> Result<Vec<(String, String)>, DecodeError> {
    let count = r.count(4, MAX_FILTER_TERMS)?;
    let mut out = Vec::with_capacity(count);
    for _ in 0..count {
        out.push((text(r, MAX_FILTER_KEY_BYTES)?, text(r, MAX_PATTERN_BYTES)?));
    }
    Ok(out)
}

pub(super) fn user_msg(r: &mut Reader<'_>) -> Result<UserMsg, DecodeError> {
    let id = id(r)?;
    let hops = r.u32()?;
    let name = text(r, MAX_EVENT_NAME_BYTES)?;
    let payload = payload(r)?;
    let query = if r.flags(QUERY)? & QUERY != 0 {
        let reply_to = r.addr()?;
        let timeout_ms = r.u32()?;
        let relay_factor = r.u8()?;
        let want_ack = r.flags(WANT_ACK)? & WANT_ACK != 0;
        let count = r.count(2, MAX_FILTER_TERMS)?;
        let mut nodes = Vec::with_capacity(count);
        for _ in 0..count {
            nodes.push(r.name()?);
        }
        let filter = QueryFilter {
            nodes,
            meta: terms(r)?,
            state: terms(r)?,
        };
        Some(QueryHeader {
            reply_to,
            timeout_ms,
            relay_factor,
            want_ack,
            filter,
        })
    } else {
        None
    };
    Ok(UserMsg {
        id,
        hops,
        name,
        payload,
        query,
    })
}

pub(super) fn ihave(r: &mut Reader<'_>) -> Result<IHave, DecodeError> {
    let fetch = r.flags(FETCH)? & FETCH != 0;
    let count = r.count(MIN_ID_BYTES + 1, MAX_IDS)?;
    let mut ids = Vec::with_capacity(count);
    for _ in 0..count {
        ids.push((id(r)?, r.u32()?));
    }
    Ok(IHave { fetch, ids })
}

pub(super) fn graft(r: &mut Reader<'_>) -> Result<Graft, DecodeError> {
    let count = r.count(MIN_ID_BYTES, MAX_IDS)?;
    let mut ids = Vec::with_capacity(count);
    for _ in 0..count {
        ids.push(id(r)?);
    }
    Ok(Graft { ids })
}

pub(super) fn prune(r: &mut Reader<'_>) -> Result<Prune, DecodeError> {
    Ok(Prune {
        disconnect: r.flags(DISCONNECT)? & DISCONNECT != 0,
    })
}

pub(super) fn answer(r: &mut Reader<'_>) -> Result<QueryAnswer, DecodeError> {
    let query = id(r)?;
    let responder = r.name()?;
    let flags = r.flags(RESPONSE | RELAY_TO | RELAYED)?;
    let response = if flags & RESPONSE != 0 {
        Some(payload(r)?)
    } else {
        None
    };
    let relay_to = if flags & RELAY_TO != 0 {
        Some(r.addr()?)
    } else {
        None
    };
    Ok(QueryAnswer {
        query,
        responder,
        response,
        relay_to,
        relayed: flags & RELAYED != 0,
    })
}

pub(super) fn summary(r: &mut Reader<'_>) -> Result<EventSummary, DecodeError> {
    let reply = r.flags(REPLY)? & REPLY != 0;
    let age_ms = r.u64()?;
    let count = r.count(5, MAX_IDS)?;
    let mut origins = Vec::with_capacity(count);
    for _ in 0..count {
        let origin = r.name()?;
        let generation = r.u64()?;
        let high = r.u64()?;
        let n = r.count(2, MAX_GAPS)?;
        let mut gaps = Vec::with_capacity(n);
        for _ in 0..n {
            gaps.push((r.u64()?, r.u32()?));
        }
        origins.push(OriginSummary {
            origin,
            generation,
            high,
            gaps,
        });
    }
    Ok(EventSummary {
        reply,
        age_ms,
        origins,
    })
}

pub(super) fn nudge(r: &mut Reader<'_>) -> Result<QueryNudge, DecodeError> {
    Ok(QueryNudge { query: id(r)? })
}
