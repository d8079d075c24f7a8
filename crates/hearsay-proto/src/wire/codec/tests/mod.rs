//! The codec's tests, by concern. This file holds what they share: sample messages of
//! every kind and small builders for names, addresses and hand-made frames.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::body::{MIN_MEMBER_BYTES, is_stream_only};
use super::reader::{Reader, check_fits};
use super::varint::{put_varint, varint_len};
use super::*;
use crate::digest::BUCKETS;
use crate::name::MAX_NAME_BYTES;
use crate::name::Name;
use crate::wire::{
    Ack, Alive, Dead, IndirectPing, MemberState, Meta, Nack, Ping, PushPull, State, Suspect,
    SyncBuckets, SyncDigest, SyncEntries,
};
use crate::wire::{
    Key, KvEntries, KvUpdate, OwnerState, StateEntries, StateRecord, StateUpdate, StoreHashes,
    StoreKind, Value,
};

mod fields;
mod framing;
mod golden;
mod lengths;
mod round_trip;

fn name(s: &str) -> Name {
    Name::new(s).unwrap()
}

/// A name of exactly `bytes` bytes, with multi-byte characters when the length allows.
fn name_of_len(bytes: usize) -> Name {
    let mut s = "é".repeat(bytes / 2);
    if bytes % 2 == 1 {
        s.push('x');
    }
    assert_eq!(s.len(), bytes);
    name(&s)
}

fn longest_name() -> Name {
    name_of_len(MAX_NAME_BYTES)
}

fn v4(a: u8, b: u8, c: u8, d: u8, port: u16) -> SocketAddr {
    SocketAddr::from((Ipv4Addr::new(a, b, c, d), port))
}

fn v6(last: u16, port: u16) -> SocketAddr {
    SocketAddr::from((Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0xbeef, last), port))
}

fn meta(bytes: &[u8]) -> Meta {
    Arc::from(bytes)
}

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).unwrap(), 16).unwrap())
        .collect()
}

fn member(n: Name, addr: SocketAddr, state: State, m: &[u8]) -> MemberState {
    MemberState {
        name: n,
        addr,
        generation: 0x0123_4567_89ab_cdef,
        incarnation: 77,
        state,
        meta: meta(m),
    }
}

/// Messages that may travel in a datagram, covering both address families, empty and
/// non-empty metadata and names of the largest size.
fn datagram_samples() -> Vec<Message> {
    vec![
        Message::Ping(Ping {
            seq: 0,
            target: name("a"),
        }),
        Message::Ping(Ping {
            seq: u32::MAX,
            target: longest_name(),
        }),
        Message::IndirectPing(IndirectPing {
            seq: 300,
            target: name("target"),
            target_addr: v4(10, 1, 2, 3, 7946),
            want_nack: true,
        }),
        Message::IndirectPing(IndirectPing {
            seq: 1 << 28,
            target: longest_name(),
            target_addr: v6(9, 65535),
            want_nack: false,
        }),
        Message::Ack(Ack { seq: 127 }),
        Message::Ack(Ack { seq: u32::MAX }),
        Message::Nack(Nack { seq: 128 }),
        Message::Alive(Alive {
            name: name("node-1"),
            addr: v4(127, 0, 0, 1, 1),
            generation: 0,
            incarnation: 0,
            meta: meta(b""),
        }),
        Message::Alive(Alive {
            name: longest_name(),
            addr: v6(1, 7946),
            generation: u64::MAX,
            incarnation: u32::MAX,
            meta: meta(b"role=db;zone=eu-west-1"),
        }),
        Message::Suspect(Suspect {
            name: name("node-2"),
            generation: 5,
            incarnation: 6,
            from: longest_name(),
        }),
        Message::Dead(Dead {
            name: longest_name(),
            generation: 1 << 63,
            incarnation: 1,
            from: name("node-3"),
        }),
        Message::Dead(Dead {
            name: name("leaver"),
            generation: 3,
            incarnation: 9,
            from: name("leaver"),
        }),
        Message::StateUpdate(StateUpdate {
            owner: name("node-4"),
            generation: 7,
            version: 300,
            key: Key::from("load"),
            value: Some(Value::from(&b"0.75"[..])),
        }),
        Message::StateUpdate(StateUpdate {
            owner: longest_name(),
            generation: u64::MAX,
            version: u64::MAX,
            key: Key::from("k".repeat(crate::wire::MAX_KEY_BYTES)),
            value: None,
        }),
        Message::KvUpdate(KvUpdate {
            key: Key::from("config/a"),
            stamp: 1 << 60,
            writer: name("w"),
            value: Some(Value::from(&[0u8; 200][..])),
        }),
        Message::KvUpdate(KvUpdate {
            key: Key::from("gone"),
            stamp: 0,
            writer: longest_name(),
            value: None,
        }),
        Message::UserMsg(crate::wire::UserMsg {
            id: msg_id("o", 3, 1),
            hops: 0,
            name: "deploy".into(),
            payload: meta(b"v42"),
            query: None,
        }),
        Message::UserMsg(crate::wire::UserMsg {
            id: msg_id("q", u64::MAX, u64::MAX),
            hops: u32::MAX,
            name: "ñ".repeat(64),
            payload: meta(&[]),
            query: Some(crate::wire::QueryHeader {
                reply_to: v6(1, 7946),
                timeout_ms: 12_800,
                relay_factor: 2,
                want_ack: true,
                filter: crate::user::QueryFilter {
                    nodes: vec![name("a"), longest_name()],
                    meta: vec![("role".into(), "^web$".into())],
                    state: vec![("shard".into(), "7".into())],
                },
            }),
        }),
        Message::IHave(crate::wire::IHave {
            fetch: false,
            ids: vec![(msg_id("o", 1, 2), 3), (msg_id("p", 9, 1 << 40), 0)],
        }),
        Message::IHave(crate::wire::IHave {
            fetch: true,
            ids: vec![],
        }),
        Message::Graft(crate::wire::Graft { ids: vec![] }),
        Message::Graft(crate::wire::Graft {
            ids: vec![msg_id("o", 1, 2)],
        }),
        Message::Prune(crate::wire::Prune { disconnect: true }),
        Message::QueryNudge(crate::wire::QueryNudge {
            query: msg_id("o", 1, 5),
        }),
        Message::Prune(crate::wire::Prune { disconnect: false }),
        Message::QueryAnswer(crate::wire::QueryAnswer {
            query: msg_id("o", 1, 5),
            responder: name("r"),
            response: None,
            relay_to: None,
            relayed: false,
        }),
        Message::QueryAnswer(crate::wire::QueryAnswer {
            query: msg_id("o", 1, 5),
            responder: name("r"),
            response: Some(meta(b"shard 7 here")),
            relay_to: Some(v4(10, 0, 0, 1, 7946)),
            relayed: true,
        }),
    ]
}

fn msg_id(origin: &str, generation: u64, seq: u64) -> crate::user::MsgId {
    crate::user::MsgId {
        origin: name(origin),
        generation,
        seq,
    }
}

/// Messages that only travel over streams.
fn stream_samples() -> Vec<Message> {
    let all_buckets: Vec<u16> = (0..BUCKETS as u16).collect();
    vec![
        Message::PushPull(PushPull {
            join: false,
            complete: false,
            reply: false,
            members: vec![],
        }),
        Message::PushPull(PushPull {
            join: true,
            complete: true,
            reply: true,
            members: vec![
                member(name("a"), v4(10, 0, 0, 1, 7946), State::Alive, b""),
                member(longest_name(), v6(2, 7946), State::Suspect, b"meta"),
                member(name("c"), v4(10, 0, 0, 3, 7946), State::Dead, &[0xff; 300]),
                member(name("d"), v6(4, 1), State::Left, b""),
            ],
        }),
        Message::SyncDigest(SyncDigest {
            root: 0,
            live: 0,
            state_root: 0,
            kv_root: 0,
        }),
        Message::SyncDigest(SyncDigest {
            root: 0xdead_beef_cafe_f00d,
            live: 100_000,
            state_root: u64::MAX,
            kv_root: 1,
        }),
        Message::StoreHashes(StoreHashes {
            store: StoreKind::Kv,
            ids: vec![],
            hashes: vec![],
        }),
        Message::StoreHashes(StoreHashes {
            store: StoreKind::State,
            ids: (0..crate::store::tree::MAX_NODES as u32)
                .step_by(97)
                .collect(),
            hashes: (0..crate::store::tree::MAX_NODES as u64)
                .step_by(97)
                .collect(),
        }),
        Message::KvEntries(KvEntries {
            leaves: vec![0, 65_535],
            reply: true,
            total: 100_000,
            entries: vec![
                KvUpdate {
                    key: Key::from("a"),
                    stamp: 5,
                    writer: name("b"),
                    value: None,
                },
                KvUpdate {
                    key: Key::from("ключ"),
                    stamp: u64::MAX,
                    writer: longest_name(),
                    value: Some(Value::from(&[7u8; 1000][..])),
                },
            ],
        }),
        Message::StateEntries(StateEntries {
            leaves: vec![],
            reply: false,
            owners: vec![],
        }),
        Message::KvCopy(crate::wire::KvCopy {
            token: u64::MAX,
            update: KvUpdate {
                key: Key::from("copy"),
                stamp: 9,
                writer: name("w"),
                value: Some(Value::from(&b"v"[..])),
            },
        }),
        Message::KvHeld(crate::wire::KvHeld { token: 300 }),
        Message::StateEntries(StateEntries {
            leaves: vec![3, 200],
            reply: true,
            owners: vec![OwnerState {
                owner: name("o"),
                generation: 2,
                floor: 17,
                entries: vec![
                    StateRecord {
                        key: Key::from("role"),
                        version: 18,
                        value: Some(Value::from(&b"db"[..])),
                    },
                    StateRecord {
                        key: Key::from("old"),
                        version: 19,
                        value: None,
                    },
                ],
            }],
        }),
        Message::SyncBuckets(SyncBuckets { hashes: vec![] }),
        Message::SyncBuckets(SyncBuckets {
            hashes: (0..BUCKETS as u64)
                .map(|i| i.wrapping_mul(0x9e37_79b9_7f4a_7c15))
                .collect(),
        }),
        Message::SyncEntries(SyncEntries {
            buckets: vec![],
            reply: false,
            members: vec![],
        }),
        Message::SyncEntries(SyncEntries {
            buckets: all_buckets,
            reply: true,
            members: vec![member(name("e"), v6(5, 80), State::Alive, b"x")],
        }),
        Message::EventSummary(crate::wire::EventSummary {
            reply: true,
            age_ms: 0,
            origins: vec![],
        }),
        Message::EventSummary(crate::wire::EventSummary {
            reply: false,
            age_ms: u64::MAX,
            origins: vec![crate::wire::OriginSummary {
                origin: name("o"),
                generation: 4,
                high: 1000,
                gaps: vec![(3, 2), (900, u32::MAX)],
            }],
        }),
    ]
}

fn all_samples() -> Vec<Message> {
    let mut all = datagram_samples();
    all.extend(stream_samples());
    all
}

fn datagram_of(msgs: &[Message]) -> Vec<u8> {
    let mut out = Vec::new();
    start_datagram(&mut out);
    for m in msgs {
        encode_message(m, &mut out);
    }
    out
}

fn stream_of(msg: &Message) -> Vec<u8> {
    let mut out = Vec::new();
    encode_stream(msg, &mut out);
    out
}

/// A stream frame of `kind` whose body is `body`.
fn frame(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![VERSION, kind];
    out.extend_from_slice(body);
    out
}

/// A datagram holding one framed message of `kind` whose body is `body`.
fn datagram_with(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![VERSION, kind];
    put_varint(&mut out, body.len() as u64);
    out.extend_from_slice(body);
    out
}

fn decode_dgram(bytes: &[u8]) -> Result<(Vec<Message>, usize), DecodeError> {
    let mut out = Vec::new();
    decode_datagram(bytes, &mut out).map(|skipped| (out, skipped))
}

fn assert_encoded_len_exact(msg: &Message) {
    let mut out = vec![0xaa; 3];
    encode_message(msg, &mut out);
    assert_eq!(
        encoded_len(msg),
        out.len() - 3,
        "encoded_len disagrees with encode_message for {msg:?}"
    );
}
