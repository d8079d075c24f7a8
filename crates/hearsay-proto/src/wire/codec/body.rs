//! Message kinds and bodies: encoding, exact sizing and decoding of each message's fields.
//!
//! The size functions mirror the put functions field by field; the codec tests check that they
//! agree for every kind.

use std::net::SocketAddr;

use super::error::DecodeError;
use super::name::{name_len, put_name};
use super::reader::{ADDR_V4, ADDR_V6, Reader};
use super::store;
use super::user;
use super::varint::{count_len, put_varint, varint_len};
use crate::digest::BUCKETS;
use crate::wire::message::{
    Ack, Alive, Dead, IndirectPing, MemberState, Message, Nack, Ping, PushPull, State, Suspect,
    SyncBuckets, SyncDigest, SyncEntries,
};

/// Kind bytes, as written before every message.
pub(super) mod kind {
    pub const PING: u8 = 1;
    pub const INDIRECT_PING: u8 = 2;
    pub const ACK: u8 = 3;
    pub const NACK: u8 = 4;
    pub const ALIVE: u8 = 5;
    pub const SUSPECT: u8 = 6;
    pub const DEAD: u8 = 7;
    pub const PUSH_PULL: u8 = 8;
    pub const SYNC_DIGEST: u8 = 9;
    pub const SYNC_BUCKETS: u8 = 10;
    pub const SYNC_ENTRIES: u8 = 11;
    pub const STATE_UPDATE: u8 = 12;
    pub const KV_UPDATE: u8 = 13;
    pub const STORE_HASHES: u8 = 14;
    pub const KV_ENTRIES: u8 = 15;
    pub const STATE_ENTRIES: u8 = 16;
    pub const KV_COPY: u8 = 17;
    pub const KV_HELD: u8 = 18;
    pub const USER_MSG: u8 = 19;
    pub const IHAVE: u8 = 20;
    pub const GRAFT: u8 = 21;
    pub const PRUNE: u8 = 22;
    pub const QUERY_ANSWER: u8 = 23;
    pub const EVENT_SUMMARY: u8 = 24;
    pub const QUERY_NUDGE: u8 = 25;
}

const WANT_NACK: u8 = 1;
const JOIN: u8 = 1;
const COMPLETE: u8 = 1 << 1;
const REPLY: u8 = 1 << 2;
const ENTRIES_REPLY: u8 = 1;

/// The fewest bytes a member record can take: 2 (name) + 7 (IPv4 address) + 1 (generation)
/// + 1 (incarnation) + 1 (state) + 1 (meta length).
pub(super) const MIN_MEMBER_BYTES: usize = 13;

/// Whether this codec knows the kind.
pub(super) fn is_known(kind: u8) -> bool {
    (kind::PING..=kind::QUERY_NUDGE).contains(&kind)
}

/// Whether the kind is news (about a member, or a store update): the kinds a receiver may
/// skip undecoded when it has already seen the same bytes.
pub(super) fn is_news(kind: u8) -> bool {
    matches!(
        kind,
        kind::ALIVE | kind::SUSPECT | kind::DEAD | kind::STATE_UPDATE | kind::KV_UPDATE
    )
}

/// Whether the kind may only travel over a stream.
pub(super) fn is_stream_only(kind: u8) -> bool {
    (kind::PUSH_PULL..=kind::SYNC_ENTRIES).contains(&kind)
        || (kind::STORE_HASHES..=kind::KV_HELD).contains(&kind)
        || kind == kind::EVENT_SUMMARY
}

pub(super) fn kind_of(msg: &Message) -> u8 {
    match msg {
        Message::Ping(_) => kind::PING,
        Message::IndirectPing(_) => kind::INDIRECT_PING,
        Message::Ack(_) => kind::ACK,
        Message::Nack(_) => kind::NACK,
        Message::Alive(_) => kind::ALIVE,
        Message::Suspect(_) => kind::SUSPECT,
        Message::Dead(_) => kind::DEAD,
        Message::PushPull(_) => kind::PUSH_PULL,
        Message::SyncDigest(_) => kind::SYNC_DIGEST,
        Message::SyncBuckets(_) => kind::SYNC_BUCKETS,
        Message::SyncEntries(_) => kind::SYNC_ENTRIES,
        Message::StateUpdate(_) => kind::STATE_UPDATE,
        Message::KvUpdate(_) => kind::KV_UPDATE,
        Message::StoreHashes(_) => kind::STORE_HASHES,
        Message::KvEntries(_) => kind::KV_ENTRIES,
        Message::StateEntries(_) => kind::STATE_ENTRIES,
        Message::KvCopy(_) => kind::KV_COPY,
        Message::KvHeld(_) => kind::KV_HELD,
        Message::UserMsg(_) => kind::USER_MSG,
        Message::IHave(_) => kind::IHAVE,
        Message::Graft(_) => kind::GRAFT,
        Message::Prune(_) => kind::PRUNE,
        Message::QueryAnswer(_) => kind::QUERY_ANSWER,
        Message::EventSummary(_) => kind::EVENT_SUMMARY,
        Message::QueryNudge(_) => kind::QUERY_NUDGE,
    }
}

// ---- sizes ----------------------------------------------------------------------------------

#[inline]
fn u32_len(value: u32) -> usize {
    varint_len(u64::from(value))
}

#[inline]
pub(super) fn addr_len(addr: &SocketAddr) -> usize {
    match addr {
        SocketAddr::V4(_) => 1 + 4 + 2,
        SocketAddr::V6(_) => 1 + 16 + 2,
    }
}

#[inline]
fn meta_len(meta: &[u8]) -> usize {
    count_len(meta.len()) + meta.len()
}

fn member_len(m: &MemberState) -> usize {
    name_len(&m.name)
        + addr_len(&m.addr)
        + varint_len(m.generation)
        + u32_len(m.incarnation)
        + 1
        + meta_len(&m.meta)
}

fn members_len(members: &[MemberState]) -> usize {
    count_len(members.len()) + members.iter().map(member_len).sum::<usize>()
}

/// The exact size of the body [`put_body`] writes.
pub(super) fn body_len(msg: &Message) -> usize {
    match msg {
        Message::Ping(m) => u32_len(m.seq) + name_len(&m.target),
        Message::IndirectPing(m) => {
            u32_len(m.seq) + name_len(&m.target) + addr_len(&m.target_addr) + 1
        }
        Message::Ack(m) => u32_len(m.seq),
        Message::Nack(m) => u32_len(m.seq),
        Message::Alive(m) => {
            name_len(&m.name)
                + addr_len(&m.addr)
                + varint_len(m.generation)
                + u32_len(m.incarnation)
                + meta_len(&m.meta)
        }
        Message::Suspect(m) => {
            name_len(&m.name)
                + varint_len(m.generation)
                + u32_len(m.incarnation)
                + name_len(&m.from)
        }
        Message::Dead(m) => {
            name_len(&m.name)
                + varint_len(m.generation)
                + u32_len(m.incarnation)
                + name_len(&m.from)
        }
        Message::PushPull(m) => 1 + members_len(&m.members),
        Message::SyncDigest(m) => varint_len(m.root) + u32_len(m.live) + 16,
        Message::SyncBuckets(m) => count_len(m.hashes.len()) + 8 * m.hashes.len(),
        Message::SyncEntries(m) => {
            count_len(m.buckets.len())
                + m.buckets
                    .iter()
                    .map(|&b| varint_len(u64::from(b)))
                    .sum::<usize>()
                + 1
                + members_len(&m.members)
        }
        Message::StateUpdate(m) => store::state_update_len(m),
        Message::KvUpdate(m) => store::kv_update_len(m),
        Message::StoreHashes(m) => store::store_hashes_len(m),
        Message::KvEntries(m) => store::kv_entries_len(m),
        Message::StateEntries(m) => store::state_entries_len(m),
        Message::KvCopy(m) => varint_len(m.token) + store::kv_update_len(&m.update),
        Message::KvHeld(m) => varint_len(m.token),
        Message::UserMsg(m) => user::user_msg_len(m),
        Message::IHave(m) => user::ihave_len(m),
        Message::Graft(m) => user::graft_len(m),
        Message::Prune(_) => 1,
        Message::QueryAnswer(m) => user::answer_len(m),
        Message::EventSummary(m) => user::summary_len(m),
        Message::QueryNudge(m) => user::nudge_len(m),
    }
}

// ---- encoding -------------------------------------------------------------------------------

#[inline]
fn put_u32(out: &mut Vec<u8>, value: u32) {
    put_varint(out, u64::from(value));
}

#[inline]
pub(super) fn put_addr(out: &mut Vec<u8>, addr: &SocketAddr) {
    match addr {
        SocketAddr::V4(a) => {
            out.push(ADDR_V4);
            out.extend_from_slice(&a.ip().octets());
            out.extend_from_slice(&a.port().to_be_bytes());
        }
        SocketAddr::V6(a) => {
            out.push(ADDR_V6);
            out.extend_from_slice(&a.ip().octets());
            out.extend_from_slice(&a.port().to_be_bytes());
        }
    }
}

#[inline]
fn put_meta(out: &mut Vec<u8>, meta: &[u8]) {
    put_varint(out, meta.len() as u64);
    out.extend_from_slice(meta);
}

fn put_state(out: &mut Vec<u8>, state: State) {
    out.push(match state {
        State::Alive => 0,
        State::Suspect => 1,
        State::Dead => 2,
        State::Left => 3,
    });
}

fn put_members(out: &mut Vec<u8>, members: &[MemberState]) {
    put_varint(out, members.len() as u64);
    for m in members {
        put_name(out, &m.name);
        put_addr(out, &m.addr);
        put_varint(out, m.generation);
        put_u32(out, m.incarnation);
        put_state(out, m.state);
        put_meta(out, &m.meta);
    }
}

fn flag(set: bool, bit: u8) -> u8 {
    if set { bit } else { 0 }
}

/// Appends the body of `msg` (no kind byte, no length).
pub(super) fn put_body(msg: &Message, out: &mut Vec<u8>) {
    match msg {
        Message::Ping(m) => {
            put_u32(out, m.seq);
            put_name(out, &m.target);
        }
        Message::IndirectPing(m) => {
            put_u32(out, m.seq);
            put_name(out, &m.target);
            put_addr(out, &m.target_addr);
            out.push(flag(m.want_nack, WANT_NACK));
        }
        Message::Ack(m) => put_u32(out, m.seq),
        Message::Nack(m) => put_u32(out, m.seq),
        Message::Alive(m) => {
            put_name(out, &m.name);
            put_addr(out, &m.addr);
            put_varint(out, m.generation);
            put_u32(out, m.incarnation);
            put_meta(out, &m.meta);
        }
        Message::Suspect(Suspect {
            name,
            generation,
            incarnation,
            from,
        })
        | Message::Dead(Dead {
            name,
            generation,
            incarnation,
            from,
        }) => {
            put_name(out, name);
            put_varint(out, *generation);
            put_u32(out, *incarnation);
            put_name(out, from);
        }
        Message::PushPull(m) => {
            out.push(flag(m.join, JOIN) | flag(m.complete, COMPLETE) | flag(m.reply, REPLY));
            put_members(out, &m.members);
        }
        Message::SyncDigest(m) => {
            put_varint(out, m.root);
            put_u32(out, m.live);
            out.extend_from_slice(&m.state_root.to_le_bytes());
            out.extend_from_slice(&m.kv_root.to_le_bytes());
        }
        Message::SyncBuckets(m) => {
            put_varint(out, m.hashes.len() as u64);
            for h in &m.hashes {
                out.extend_from_slice(&h.to_le_bytes());
            }
        }
        Message::SyncEntries(m) => {
            put_varint(out, m.buckets.len() as u64);
            for &b in &m.buckets {
                put_varint(out, u64::from(b));
            }
            out.push(flag(m.reply, ENTRIES_REPLY));
            put_members(out, &m.members);
        }
        Message::StateUpdate(m) => store::put_state_update(out, m),
        Message::KvUpdate(m) => store::put_kv_update(out, m),
        Message::StoreHashes(m) => store::put_store_hashes(out, m),
        Message::KvEntries(m) => store::put_kv_entries(out, m),
        Message::StateEntries(m) => store::put_state_entries(out, m),
        Message::KvCopy(m) => {
            put_varint(out, m.token);
            store::put_kv_update(out, &m.update);
        }
        Message::KvHeld(m) => put_varint(out, m.token),
        Message::UserMsg(m) => user::put_user_msg(out, m),
        Message::IHave(m) => user::put_ihave(out, m),
        Message::Graft(m) => user::put_graft(out, m),
        Message::Prune(m) => user::put_prune(out, m),
        Message::QueryAnswer(m) => user::put_answer(out, m),
        Message::EventSummary(m) => user::put_summary(out, m),
        Message::QueryNudge(m) => user::put_nudge(out, m),
    }
}

// ---- decoding -------------------------------------------------------------------------------

fn members(r: &mut Reader<'_>) -> Result<Vec<MemberState>, DecodeError> {
    let count = r.count(MIN_MEMBER_BYTES, usize::MAX)?;
    let mut members = Vec::with_capacity(count);
    for _ in 0..count {
        members.push(MemberState {
            name: r.name()?,
            addr: r.addr()?,
            generation: r.u64()?,
            incarnation: r.u32()?,
            state: r.state()?,
            meta: r.meta()?,
        });
    }
    Ok(members)
}

/// Decodes the body of a message of kind `kind` (which must be known), leaving any bytes after
/// it in `r` for the caller to judge.
pub(super) fn decode_body(kind: u8, r: &mut Reader<'_>) -> Result<Message, DecodeError> {
    Ok(match kind {
        kind::PING => Message::Ping(Ping {
            seq: r.u32()?,
            target: r.name()?,
        }),
        kind::INDIRECT_PING => Message::IndirectPing(IndirectPing {
            seq: r.u32()?,
            target: r.name()?,
            target_addr: r.addr()?,
            want_nack: r.flags(WANT_NACK)? & WANT_NACK != 0,
        }),
        kind::ACK => Message::Ack(Ack { seq: r.u32()? }),
        kind::NACK => Message::Nack(Nack { seq: r.u32()? }),
        kind::ALIVE => Message::Alive(Alive {
            name: r.name()?,
            addr: r.addr()?,
            generation: r.u64()?,
            incarnation: r.u32()?,
            meta: r.meta()?,
        }),
        kind::SUSPECT => Message::Suspect(Suspect {
            name: r.name()?,
            generation: r.u64()?,
            incarnation: r.u32()?,
            from: r.name()?,
        }),
        kind::DEAD => Message::Dead(Dead {
            name: r.name()?,
            generation: r.u64()?,
            incarnation: r.u32()?,
            from: r.name()?,
        }),
        kind::PUSH_PULL => {
            let flags = r.flags(JOIN | COMPLETE | REPLY)?;
            Message::PushPull(PushPull {
                join: flags & JOIN != 0,
                complete: flags & COMPLETE != 0,
                reply: flags & REPLY != 0,
                members: members(r)?,
            })
        }
        kind::SYNC_DIGEST => Message::SyncDigest(SyncDigest {
            root: r.u64()?,
            live: r.u32()?,
            state_root: r.u64_le()?,
            kv_root: r.u64_le()?,
        }),
        kind::SYNC_BUCKETS => {
            let count = r.count(8, BUCKETS)?;
            let mut hashes = Vec::with_capacity(count);
            for _ in 0..count {
                hashes.push(r.u64_le()?);
            }
            Message::SyncBuckets(SyncBuckets { hashes })
        }
        kind::SYNC_ENTRIES => {
            let count = r.count(1, BUCKETS)?;
            let mut buckets = Vec::with_capacity(count);
            for _ in 0..count {
                let bucket = r.u32()?;
                match u16::try_from(bucket) {
                    Ok(b) if usize::from(b) < BUCKETS => buckets.push(b),
                    _ => return Err(DecodeError::Malformed),
                }
            }
            let reply = r.flags(ENTRIES_REPLY)? & ENTRIES_REPLY != 0;
            Message::SyncEntries(SyncEntries {
                buckets,
                reply,
                members: members(r)?,
            })
        }
        kind::STATE_UPDATE => Message::StateUpdate(store::state_update(r)?),
        kind::KV_UPDATE => Message::KvUpdate(store::kv_update(r)?),
        kind::STORE_HASHES => Message::StoreHashes(store::store_hashes(r)?),
        kind::KV_ENTRIES => Message::KvEntries(store::kv_entries(r)?),
        kind::STATE_ENTRIES => Message::StateEntries(store::state_entries(r)?),
        kind::KV_COPY => Message::KvCopy(crate::wire::KvCopy {
            token: r.u64()?,
            update: store::kv_update(r)?,
        }),
        kind::KV_HELD => Message::KvHeld(crate::wire::KvHeld { token: r.u64()? }),
        kind::USER_MSG => Message::UserMsg(user::user_msg(r)?),
        kind::IHAVE => Message::IHave(user::ihave(r)?),
        kind::GRAFT => Message::Graft(user::graft(r)?),
        kind::PRUNE => Message::Prune(user::prune(r)?),
        kind::QUERY_ANSWER => Message::QueryAnswer(user::answer(r)?),
        kind::EVENT_SUMMARY => Message::EventSummary(user::summary(r)?),
        kind::QUERY_NUDGE => Message::QueryNudge(user::nudge(r)?),
        other => return Err(DecodeError::UnknownKind(other)),
    })
}
