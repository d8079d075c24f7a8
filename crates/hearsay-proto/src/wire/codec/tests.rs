use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV6};
use std::sync::Arc;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::body::{MIN_MEMBER_BYTES, is_stream_only};
use super::reader::{Reader, check_fits};
use super::varint::{put_varint, varint_len};
use super::*;
use crate::Name;
use crate::digest::BUCKETS;
use crate::name::MAX_NAME_BYTES;
use crate::wire::{
    Ack, Alive, Dead, IndirectPing, MemberState, Meta, Nack, Ping, PushPull, State, Suspect,
    SyncBuckets, SyncDigest, SyncEntries,
};
use crate::wire::{
    Key, KvEntries, KvUpdate, OwnerState, StateEntries, StateRecord, StateUpdate, StoreHashes,
    StoreKind, Value,
};

// ---- helpers --------------------------------------------------------------------------------

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
    ]
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

// ---- round trips ----------------------------------------------------------------------------

#[test]
fn every_datagram_kind_round_trips_through_one_datagram() {
    let msgs = datagram_samples();
    let bytes = datagram_of(&msgs);
    assert_eq!(decode_dgram(&bytes), Ok((msgs, 0)));
}

#[test]
fn each_datagram_kind_round_trips_alone_in_a_datagram() {
    for msg in datagram_samples() {
        let bytes = datagram_of(std::slice::from_ref(&msg));
        assert_eq!(decode_dgram(&bytes), Ok((vec![msg], 0)));
    }
}

#[test]
fn every_kind_round_trips_through_a_stream_frame() {
    for msg in all_samples() {
        let bytes = stream_of(&msg);
        assert_eq!(decode_stream(&bytes), Ok(msg));
    }
}

#[test]
fn encode_stream_appends_to_what_the_buffer_holds() {
    let msg = Message::Ack(Ack { seq: 1 });
    let mut out = vec![0x42];
    encode_stream(&msg, &mut out);
    assert_eq!(out, [0x42, VERSION, 3, 1]);
}

#[test]
fn random_messages_round_trip_through_datagrams_and_streams() {
    let mut rng = ChaCha8Rng::seed_from_u64(0x4ea5a7);
    for _ in 0..500 {
        let msg = random_message(&mut rng);
        assert_encoded_len_exact(&msg);
        assert_eq!(decode_stream(&stream_of(&msg)).as_ref(), Ok(&msg));
        if !is_stream_only(body::kind_of(&msg)) {
            let bytes = datagram_of(std::slice::from_ref(&msg));
            assert_eq!(decode_dgram(&bytes), Ok((vec![msg], 0)));
        }
    }
}

fn random_name(rng: &mut ChaCha8Rng) -> Name {
    let len = rng.random_range(1..=MAX_NAME_BYTES);
    name(
        &(0..len)
            .map(|_| char::from(rng.random_range(b'a'..=b'z')))
            .collect::<String>(),
    )
}

fn random_addr(rng: &mut ChaCha8Rng) -> SocketAddr {
    if rng.random_bool(0.5) {
        SocketAddr::from((Ipv4Addr::from(rng.random::<u32>()), rng.random::<u16>()))
    } else {
        SocketAddr::from((Ipv6Addr::from(rng.random::<u128>()), rng.random::<u16>()))
    }
}

/// A u64 of random width, so every varint length shows up.
fn random_u64(rng: &mut ChaCha8Rng) -> u64 {
    rng.random::<u64>() >> rng.random_range(0..64)
}

fn random_u32(rng: &mut ChaCha8Rng) -> u32 {
    rng.random::<u32>() >> rng.random_range(0..32)
}

fn random_meta(rng: &mut ChaCha8Rng) -> Meta {
    let len = [0, 1, 127, 128, 300][rng.random_range(0..5)];
    (0..len).map(|_| rng.random::<u8>()).collect()
}

fn random_member(rng: &mut ChaCha8Rng) -> MemberState {
    MemberState {
        name: random_name(rng),
        addr: random_addr(rng),
        generation: random_u64(rng),
        incarnation: random_u32(rng),
        state: [State::Alive, State::Suspect, State::Dead, State::Left][rng.random_range(0..4)],
        meta: random_meta(rng),
    }
}

fn random_message(rng: &mut ChaCha8Rng) -> Message {
    match rng.random_range(1..=13) {
        1 => Message::Ping(Ping {
            seq: random_u32(rng),
            target: random_name(rng),
        }),
        2 => Message::IndirectPing(IndirectPing {
            seq: random_u32(rng),
            target: random_name(rng),
            target_addr: random_addr(rng),
            want_nack: rng.random_bool(0.5),
        }),
        3 => Message::Ack(Ack {
            seq: random_u32(rng),
        }),
        4 => Message::Nack(Nack {
            seq: random_u32(rng),
        }),
        5 => Message::Alive(Alive {
            name: random_name(rng),
            addr: random_addr(rng),
            generation: random_u64(rng),
            incarnation: random_u32(rng),
            meta: random_meta(rng),
        }),
        6 => Message::Suspect(Suspect {
            name: random_name(rng),
            generation: random_u64(rng),
            incarnation: random_u32(rng),
            from: random_name(rng),
        }),
        7 => Message::Dead(Dead {
            name: random_name(rng),
            generation: random_u64(rng),
            incarnation: random_u32(rng),
            from: random_name(rng),
        }),
        8 => Message::PushPull(PushPull {
            join: rng.random_bool(0.5),
            complete: rng.random_bool(0.5),
            reply: rng.random_bool(0.5),
            members: (0..rng.random_range(0..20))
                .map(|_| random_member(rng))
                .collect(),
        }),
        9 => Message::SyncDigest(SyncDigest {
            root: random_u64(rng),
            live: random_u32(rng),
            state_root: random_u64(rng),
            kv_root: random_u64(rng),
        }),
        12 => Message::StateUpdate(StateUpdate {
            owner: random_name(rng),
            generation: random_u64(rng),
            version: random_u64(rng),
            key: Key::from(random_name(rng).as_str()),
            value: rng.random_bool(0.5).then(|| random_meta(rng)),
        }),
        13 => Message::KvUpdate(KvUpdate {
            key: Key::from(random_name(rng).as_str()),
            stamp: random_u64(rng),
            writer: random_name(rng),
            value: rng.random_bool(0.5).then(|| random_meta(rng)),
        }),
        10 => Message::SyncBuckets(SyncBuckets {
            hashes: (0..rng.random_range(0..=BUCKETS))
                .map(|_| rng.random())
                .collect(),
        }),
        _ => Message::SyncEntries(SyncEntries {
            buckets: (0..rng.random_range(0..=BUCKETS))
                .map(|_| rng.random_range(0..BUCKETS as u16))
                .collect(),
            reply: rng.random_bool(0.5),
            members: (0..rng.random_range(0..5))
                .map(|_| random_member(rng))
                .collect(),
        }),
    }
}

#[test]
fn ipv6_flow_info_and_scope_id_are_not_carried() {
    let addr = SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 9, 7, 3));
    let msg = Message::IndirectPing(IndirectPing {
        seq: 1,
        target: name("t"),
        target_addr: addr,
        want_nack: false,
    });
    let Ok(Message::IndirectPing(back)) = decode_stream(&stream_of(&msg)) else {
        panic!("indirect ping did not round-trip");
    };
    assert_eq!(
        back.target_addr,
        SocketAddr::V6(SocketAddrV6::new(Ipv6Addr::LOCALHOST, 9, 0, 0))
    );
}

// ---- encoded_len ----------------------------------------------------------------------------

#[test]
fn encoded_len_matches_the_bytes_appended_for_every_kind() {
    for msg in all_samples() {
        assert_encoded_len_exact(&msg);
    }
}

#[test]
fn encoded_len_stays_exact_for_every_name_length() {
    for len in 1..=MAX_NAME_BYTES {
        let n = name_of_len(len);
        assert_encoded_len_exact(&Message::Ping(Ping {
            seq: 1,
            target: n.clone(),
        }));
        assert_encoded_len_exact(&Message::Suspect(Suspect {
            name: n.clone(),
            generation: 1,
            incarnation: 1,
            from: n.clone(),
        }));
        assert_encoded_len_exact(&Message::Alive(Alive {
            name: n,
            addr: v6(1, 1),
            generation: u64::MAX,
            incarnation: u32::MAX,
            meta: meta(b"abc"),
        }));
    }
}

#[test]
fn encoded_len_stays_exact_when_meta_crosses_varint_boundaries() {
    let lengths = (0..300).chain(16_200..16_500).chain([
        2_097_151,
        2_097_152,
        MAX_META_WIRE_BYTES,
        MAX_META_WIRE_BYTES + 1,
    ]);
    let big = vec![7u8; 2_097_152];
    for len in lengths {
        let m = meta(&big[..len]);
        let alive = Message::Alive(Alive {
            name: longest_name(),
            addr: v4(1, 2, 3, 4, 5),
            generation: 1 << 35,
            incarnation: 1 << 14,
            meta: m.clone(),
        });
        assert_encoded_len_exact(&alive);
        assert_encoded_len_exact(&Message::PushPull(PushPull {
            join: true,
            complete: false,
            reply: true,
            members: vec![member(name("m"), v6(1, 1), State::Dead, &m)],
        }));
    }
}

#[test]
fn encoded_len_stays_exact_for_integers_at_every_varint_width() {
    for bits in 0..64 {
        for value in [(1u64 << bits) - 1, 1u64 << bits, (1u64 << bits) + 1] {
            let small = value as u32;
            for msg in [
                Message::Ack(Ack { seq: small }),
                Message::Nack(Nack { seq: small }),
                Message::SyncDigest(SyncDigest {
                    root: value,
                    live: small,
                    state_root: value,
                    kv_root: value,
                }),
                Message::Dead(Dead {
                    name: name("n"),
                    generation: value,
                    incarnation: small,
                    from: name("f"),
                }),
            ] {
                assert_encoded_len_exact(&msg);
                assert_eq!(decode_stream(&stream_of(&msg)).as_ref(), Ok(&msg));
            }
        }
    }
}

#[test]
fn encoded_len_stays_exact_for_long_member_lists() {
    for count in [0, 1, 127, 128, 1000] {
        let members: Vec<MemberState> = (0..count)
            .map(|i| {
                member(
                    name(&format!("node-{i}")),
                    v4(10, 0, 0, 1, 1),
                    State::Alive,
                    b"",
                )
            })
            .collect();
        let msg = Message::PushPull(PushPull {
            join: false,
            complete: true,
            reply: false,
            members,
        });
        assert_encoded_len_exact(&msg);
        assert_eq!(decode_stream(&stream_of(&msg)).as_ref(), Ok(&msg));
    }
}

#[test]
fn varint_len_matches_what_put_varint_writes() {
    for bits in 0..64 {
        for value in [(1u64 << bits) - 1, 1u64 << bits, u64::MAX >> bits] {
            let mut out = Vec::new();
            put_varint(&mut out, value);
            assert_eq!(varint_len(value), out.len(), "value {value}");
        }
    }
}

// ---- varints --------------------------------------------------------------------------------

#[test]
fn varints_that_overflow_their_type_are_refused() {
    // u32 with a fifth byte carrying bit 32.
    assert_eq!(
        Reader::new(&hex("ff ff ff ff 1f")).u32(),
        Err(DecodeError::VarintOverflow)
    );
    // u32 spelled over six bytes.
    assert_eq!(
        Reader::new(&hex("80 80 80 80 80 00")).u32(),
        Err(DecodeError::VarintOverflow)
    );
    // u64 with a tenth byte carrying bit 64.
    assert_eq!(
        Reader::new(&hex("ff ff ff ff ff ff ff ff ff 02")).u64(),
        Err(DecodeError::VarintOverflow)
    );
    // u64 spelled over eleven bytes.
    assert_eq!(
        Reader::new(&hex("80 80 80 80 80 80 80 80 80 80 00")).u64(),
        Err(DecodeError::VarintOverflow)
    );
    // In a message: an Ack whose seq does not fit a u32.
    assert_eq!(
        decode_stream(&frame(3, &hex("80 80 80 80 10"))),
        Err(DecodeError::VarintOverflow)
    );
}

#[test]
fn varints_at_the_edge_of_their_type_are_accepted() {
    assert_eq!(Reader::new(&hex("ff ff ff ff 0f")).u32(), Ok(u32::MAX));
    assert_eq!(
        Reader::new(&hex("ff ff ff ff ff ff ff ff ff 01")).u64(),
        Ok(u64::MAX)
    );
}

#[test]
fn padded_varints_that_fit_their_type_are_accepted() {
    assert_eq!(Reader::new(&hex("80 80 80 80 00")).u32(), Ok(0));
    assert_eq!(Reader::new(&hex("81 00")).u32(), Ok(1));
}

#[test]
fn a_varint_cut_short_is_truncated() {
    assert_eq!(
        Reader::new(&hex("ff ff")).u32(),
        Err(DecodeError::Truncated)
    );
    assert_eq!(Reader::new(&[]).u64(), Err(DecodeError::Truncated));
}

// ---- datagram framing -----------------------------------------------------------------------

#[test]
fn truncating_a_datagram_at_any_offset_errors_or_keeps_whole_messages() {
    let msgs = datagram_samples();
    let bytes = datagram_of(&msgs);
    // Offsets where a message ends: cutting there leaves a valid, shorter datagram.
    let mut boundaries = vec![DATAGRAM_HEADER_BYTES];
    for m in &msgs {
        boundaries.push(boundaries.last().unwrap() + encoded_len(m));
    }
    assert_eq!(*boundaries.last().unwrap(), bytes.len());
    for cut in 0..bytes.len() {
        let result = decode_dgram(&bytes[..cut]);
        match boundaries.iter().position(|&b| b == cut) {
            Some(whole) => assert_eq!(result, Ok((msgs[..whole].to_vec(), 0)), "cut at {cut}"),
            None => assert_eq!(result, Err(DecodeError::Truncated), "cut at {cut}"),
        }
    }
}

#[test]
fn truncating_a_stream_frame_at_any_offset_is_truncated() {
    for msg in all_samples() {
        let bytes = stream_of(&msg);
        for cut in 0..bytes.len() {
            assert_eq!(
                decode_stream(&bytes[..cut]),
                Err(DecodeError::Truncated),
                "{msg:?} cut at {cut}"
            );
        }
    }
}

#[test]
fn an_empty_datagram_is_truncated() {
    assert_eq!(decode_dgram(&[]), Err(DecodeError::Truncated));
    assert_eq!(decode_stream(&[]), Err(DecodeError::Truncated));
}

#[test]
fn a_header_without_messages_is_an_empty_datagram() {
    let mut out = vec![Message::Ack(Ack { seq: 1 })];
    assert_eq!(decode_datagram(&[VERSION], &mut out), Ok(0));
    assert!(out.is_empty());
}

#[test]
fn a_datagram_larger_than_udp_allows_is_oversized() {
    let mut bytes = vec![VERSION];
    while bytes.len() <= MAX_DATAGRAM_BYTES {
        encode_message(&Message::Ack(Ack { seq: 1 }), &mut bytes);
    }
    assert_eq!(decode_dgram(&bytes), Err(DecodeError::Oversized));
    let fits = &bytes[..MAX_DATAGRAM_BYTES - (MAX_DATAGRAM_BYTES - 1) % 3];
    assert!(decode_dgram(fits).is_ok());
}

#[test]
fn another_version_is_refused_with_the_version_found() {
    let mut bytes = datagram_of(&datagram_samples());
    bytes[0] = 2;
    assert_eq!(decode_dgram(&bytes), Err(DecodeError::BadVersion(2)));
    let mut frame = stream_of(&Message::Ack(Ack { seq: 1 }));
    frame[0] = 0;
    assert_eq!(decode_stream(&frame), Err(DecodeError::BadVersion(0)));
}

#[test]
fn unknown_kinds_in_a_datagram_are_skipped_and_counted() {
    let ping = Message::Ping(Ping {
        seq: 9,
        target: name("x"),
    });
    let mut bytes = vec![VERSION];
    bytes.extend_from_slice(&hex("7f 03 ff ff ff")); // kind 127, 3 bytes nobody knows
    encode_message(&ping, &mut bytes);
    bytes.extend_from_slice(&hex("00 00")); // kind 0, empty body
    bytes.extend_from_slice(&hex("ff 80 01")); // kind 255, 128 bytes of body
    bytes.extend_from_slice(&[0xee; 128]);
    encode_message(&Message::Ack(Ack { seq: 9 }), &mut bytes);
    assert_eq!(
        decode_dgram(&bytes),
        Ok((vec![ping, Message::Ack(Ack { seq: 9 })], 3))
    );
}

#[test]
fn an_unknown_kind_whose_length_runs_past_the_end_is_truncated() {
    assert_eq!(
        decode_dgram(&hex("01 7f 05 00 00")),
        Err(DecodeError::Truncated)
    );
}

#[test]
fn stream_only_kinds_are_refused_in_a_datagram() {
    for msg in stream_samples() {
        let mut bytes = datagram_of(&[Message::Ack(Ack { seq: 1 })]);
        encode_message(&msg, &mut bytes);
        let mut out = Vec::new();
        assert_eq!(
            decode_datagram(&bytes, &mut out),
            Err(DecodeError::StreamOnly),
            "{msg:?}"
        );
        assert!(out.is_empty(), "a refused datagram leaves no messages");
    }
}

#[test]
fn a_failed_datagram_leaves_the_output_empty() {
    let mut bytes = datagram_of(&datagram_samples());
    bytes.extend_from_slice(&hex("03 01 80")); // an Ack whose seq is cut short
    let mut out = vec![Message::Ack(Ack { seq: 1 })];
    assert_eq!(
        decode_datagram(&bytes, &mut out),
        Err(DecodeError::Malformed)
    );
    assert!(out.is_empty());
}

#[test]
fn a_body_longer_than_its_fields_is_malformed() {
    assert_eq!(
        decode_dgram(&datagram_with(3, &hex("05 00"))),
        Err(DecodeError::Malformed)
    );
}

#[test]
fn a_body_shorter_than_its_fields_is_malformed() {
    // A ping whose body ends before its target name.
    assert_eq!(
        decode_dgram(&datagram_with(1, &hex("05"))),
        Err(DecodeError::Malformed)
    );
    // An empty ack.
    assert_eq!(
        decode_dgram(&datagram_with(3, &[])),
        Err(DecodeError::Malformed)
    );
}

#[test]
fn field_errors_inside_a_datagram_keep_their_reason() {
    // Ping whose target name is empty.
    assert_eq!(
        decode_dgram(&datagram_with(1, &hex("05 00"))),
        Err(DecodeError::BadName)
    );
}

#[test]
fn a_datagram_body_length_of_four_billion_is_truncated() {
    let mut bytes = vec![VERSION, 5];
    put_varint(&mut bytes, 4_000_000_000);
    bytes.extend_from_slice(&[1, 2, 3]);
    assert_eq!(decode_dgram(&bytes), Err(DecodeError::Truncated));
}

#[test]
fn decode_datagram_with_shows_keep_each_update_frame_as_encoded_and_skips_refused_ones() {
    let msgs = datagram_samples();
    let bytes = datagram_of(&msgs);
    let updates: Vec<Vec<u8>> = msgs
        .iter()
        .filter(|m| {
            matches!(
                m,
                Message::Alive(_)
                    | Message::Suspect(_)
                    | Message::Dead(_)
                    | Message::StateUpdate(_)
                    | Message::KvUpdate(_)
            )
        })
        .map(|m| {
            let mut frame = Vec::new();
            encode_message(m, &mut frame);
            frame
        })
        .collect();
    let mut seen = Vec::new();
    let mut out = Vec::new();
    let skipped = decode_datagram_with(&bytes, &mut out, |frame| {
        seen.push(frame.to_vec());
        false
    });
    assert_eq!(
        skipped,
        Ok(0),
        "refused updates are not counted as unknown kinds"
    );
    assert_eq!(seen, updates);
    let rest: Vec<Message> = msgs
        .into_iter()
        .filter(|m| {
            !matches!(
                m,
                Message::Alive(_)
                    | Message::Suspect(_)
                    | Message::Dead(_)
                    | Message::StateUpdate(_)
                    | Message::KvUpdate(_)
            )
        })
        .collect();
    assert_eq!(out, rest);
}

#[test]
fn decode_datagram_with_errors_or_keeps_whole_messages_at_any_truncation() {
    let bytes = datagram_of(&datagram_samples());
    for cut in 0..bytes.len() {
        for keep in [true, false] {
            let mut out = Vec::new();
            if decode_datagram_with(&bytes[..cut], &mut out, |_| keep).is_err() {
                assert!(out.is_empty(), "cut at {cut}");
            }
        }
    }
}

// ---- stream framing -------------------------------------------------------------------------

#[test]
fn an_unknown_kind_in_a_stream_frame_is_refused_with_the_kind_found() {
    assert_eq!(
        decode_stream(&frame(0, &[])),
        Err(DecodeError::UnknownKind(0))
    );
    assert_eq!(
        decode_stream(&frame(127, &[1, 2])),
        Err(DecodeError::UnknownKind(127))
    );
}

#[test]
fn bytes_after_a_stream_message_are_refused() {
    for msg in all_samples() {
        let mut bytes = stream_of(&msg);
        bytes.push(0);
        assert_eq!(
            decode_stream(&bytes),
            Err(DecodeError::TrailingBytes),
            "{msg:?}"
        );
    }
}

// ---- field errors ---------------------------------------------------------------------------

#[test]
fn empty_overlong_and_non_utf8_names_are_refused() {
    assert_eq!(
        decode_stream(&frame(1, &hex("01 00"))),
        Err(DecodeError::BadName)
    );
    let mut too_long = vec![0x01, 129];
    too_long.extend_from_slice(&[b'x'; 129]);
    assert_eq!(
        decode_stream(&frame(1, &too_long)),
        Err(DecodeError::BadName)
    );
    assert_eq!(
        decode_stream(&frame(1, &hex("01 02 c3 28"))),
        Err(DecodeError::BadName)
    );
}

#[test]
fn an_address_tag_other_than_four_or_six_is_refused() {
    for tag in [0u8, 5, 7, 46, 255] {
        let mut body = hex("01 01 74");
        body.push(tag);
        body.extend_from_slice(&[0; 18]);
        body.push(0);
        assert_eq!(
            decode_stream(&frame(2, &body)),
            Err(DecodeError::BadAddress),
            "tag {tag}"
        );
    }
}

#[test]
fn a_member_state_above_three_is_refused() {
    let msg = Message::PushPull(PushPull {
        join: false,
        complete: false,
        reply: false,
        members: vec![member(name("a"), v4(1, 1, 1, 1, 1), State::Left, b"")],
    });
    let mut bytes = stream_of(&msg);
    let state_at = bytes.len() - 2; // state, then the empty meta's length
    assert_eq!(bytes[state_at], 3);
    bytes[state_at] = 4;
    assert_eq!(decode_stream(&bytes), Err(DecodeError::BadState));
}

#[test]
fn unknown_flag_bits_are_malformed() {
    let mut body = hex("01 01 74 04 7f 00 00 01 00 50");
    body.push(0b10);
    assert_eq!(decode_stream(&frame(2, &body)), Err(DecodeError::Malformed));
    assert_eq!(
        decode_stream(&frame(8, &hex("08 00"))),
        Err(DecodeError::Malformed)
    );
    assert_eq!(
        decode_stream(&frame(11, &hex("00 02 00"))),
        Err(DecodeError::Malformed)
    );
    assert_eq!(
        decode_dgram(&datagram_with(2, &body)),
        Err(DecodeError::Malformed)
    );
}

#[test]
fn metadata_over_the_wire_limit_is_oversized() {
    let mut body = hex("01 61 04 7f 00 00 01 00 50 00 00");
    put_varint(&mut body, MAX_META_WIRE_BYTES as u64 + 1);
    body.extend_from_slice(&vec![0; MAX_META_WIRE_BYTES + 1]);
    assert_eq!(decode_stream(&frame(5, &body)), Err(DecodeError::Oversized));
    // At the limit it is fine.
    let msg = Message::Alive(Alive {
        name: name("a"),
        addr: v4(127, 0, 0, 1, 80),
        generation: 0,
        incarnation: 0,
        meta: vec![9; MAX_META_WIRE_BYTES].into(),
    });
    assert_eq!(decode_stream(&stream_of(&msg)), Ok(msg));
}

#[test]
fn more_bucket_hashes_than_buckets_are_malformed() {
    let mut body = Vec::new();
    put_varint(&mut body, BUCKETS as u64 + 1);
    body.extend_from_slice(&vec![0; 8 * (BUCKETS + 1)]);
    assert_eq!(
        decode_stream(&frame(10, &body)),
        Err(DecodeError::Malformed)
    );
}

#[test]
fn bucket_numbers_out_of_range_are_malformed() {
    let mut body = hex("02 05");
    put_varint(&mut body, BUCKETS as u64);
    body.extend_from_slice(&hex("00 00"));
    assert_eq!(
        decode_stream(&frame(11, &body)),
        Err(DecodeError::Malformed)
    );
    let mut body = hex("01");
    put_varint(&mut body, 70_000);
    body.extend_from_slice(&hex("00 00"));
    assert_eq!(
        decode_stream(&frame(11, &body)),
        Err(DecodeError::Malformed)
    );
    let mut body = Vec::new();
    put_varint(&mut body, BUCKETS as u64 + 1);
    body.extend_from_slice(&vec![0; BUCKETS + 3]);
    assert_eq!(
        decode_stream(&frame(11, &body)),
        Err(DecodeError::Malformed)
    );
}

// ---- hostile counts -------------------------------------------------------------------------

#[test]
fn a_member_count_of_four_billion_with_three_bytes_left_errors_before_allocating() {
    let mut body = vec![0]; // push-pull flags
    put_varint(&mut body, 4_000_000_000);
    body.extend_from_slice(&[1, 2, 3]);
    assert_eq!(decode_stream(&frame(8, &body)), Err(DecodeError::Truncated));
    // The same in sync entries, after an empty bucket list and the flags.
    let mut body = vec![0, 0];
    put_varint(&mut body, 4_000_000_000);
    body.extend_from_slice(&[1, 2, 3]);
    assert_eq!(
        decode_stream(&frame(11, &body)),
        Err(DecodeError::Truncated)
    );
}

#[test]
fn the_capacity_guard_refuses_counts_the_remaining_input_cannot_hold() {
    assert_eq!(
        check_fits(4_000_000_000, MIN_MEMBER_BYTES, 3),
        Err(DecodeError::Truncated)
    );
    assert_eq!(
        check_fits(usize::MAX, 2, usize::MAX),
        Err(DecodeError::Truncated)
    );
    assert_eq!(
        check_fits(2, MIN_MEMBER_BYTES, 2 * MIN_MEMBER_BYTES - 1),
        Err(DecodeError::Truncated)
    );
    assert_eq!(
        check_fits(2, MIN_MEMBER_BYTES, 2 * MIN_MEMBER_BYTES),
        Ok(())
    );
    assert_eq!(check_fits(0, MIN_MEMBER_BYTES, 0), Ok(()));
}

#[test]
fn the_smallest_member_record_takes_the_minimum_the_guard_assumes() {
    let msg = Message::PushPull(PushPull {
        join: false,
        complete: false,
        reply: false,
        members: vec![MemberState {
            name: name("a"),
            addr: v4(0, 0, 0, 0, 0),
            generation: 0,
            incarnation: 0,
            state: State::Alive,
            meta: meta(b""),
        }],
    });
    // Version, kind, flags, count, then the record.
    assert_eq!(stream_of(&msg).len(), 4 + MIN_MEMBER_BYTES);
}

#[test]
fn a_hash_count_the_input_cannot_hold_is_truncated() {
    let mut body = Vec::new();
    put_varint(&mut body, BUCKETS as u64);
    body.extend_from_slice(&[0; 8 * BUCKETS - 1]);
    assert_eq!(
        decode_stream(&frame(10, &body)),
        Err(DecodeError::Truncated)
    );
}

// ---- golden vectors -------------------------------------------------------------------------

#[test]
fn a_ping_and_an_ack_encode_to_known_bytes() {
    let msgs = [
        Message::Ping(Ping {
            seq: 300,
            target: name("b"),
        }),
        Message::Ack(Ack { seq: 7 }),
    ];
    let expected = hex("01  01 04 ac02 0162  03 01 07");
    assert_eq!(datagram_of(&msgs), expected);
    assert_eq!(decode_dgram(&expected), Ok((msgs.to_vec(), 0)));
}

#[test]
fn an_alive_and_an_indirect_ping_encode_to_known_bytes() {
    let msgs = [
        Message::Alive(Alive {
            name: name("n1"),
            addr: v4(10, 0, 0, 1, 7946),
            generation: 1,
            incarnation: 2,
            meta: meta(&[0xaa, 0xbb]),
        }),
        Message::IndirectPing(IndirectPing {
            seq: 1,
            target: name("t"),
            target_addr: v4(192, 168, 1, 2, 443),
            want_nack: true,
        }),
    ];
    let expected = hex("01
         05 0f  02 6e31  04 0a000001 1f0a  01  02  02 aabb
         02 0b  01  01 74  04 c0a80102 01bb  01");
    assert_eq!(datagram_of(&msgs), expected);
    assert_eq!(decode_dgram(&expected), Ok((msgs.to_vec(), 0)));
}

#[test]
fn a_push_pull_stream_frame_encodes_to_known_bytes() {
    let msg = Message::PushPull(PushPull {
        join: true,
        complete: false,
        reply: true,
        members: vec![MemberState {
            name: name("a"),
            addr: SocketAddr::from((Ipv6Addr::LOCALHOST, 80)),
            generation: 128,
            incarnation: 0,
            state: State::Suspect,
            meta: meta(b""),
        }],
    });
    let expected = hex("01 08  05  01
         01 61  06 00000000000000000000000000000001 0050  8001  00  01  00");
    assert_eq!(stream_of(&msg), expected);
    assert_eq!(decode_stream(&expected), Ok(msg));
}

// ---- reasons --------------------------------------------------------------------------------

#[test]
fn every_error_has_a_distinct_snake_case_reason() {
    let all = [
        DecodeError::Truncated,
        DecodeError::Oversized,
        DecodeError::BadVersion(9),
        DecodeError::UnknownKind(99),
        DecodeError::BadName,
        DecodeError::BadAddress,
        DecodeError::BadState,
        DecodeError::VarintOverflow,
        DecodeError::Malformed,
        DecodeError::StreamOnly,
        DecodeError::TrailingBytes,
    ];
    let reasons: std::collections::BTreeSet<&str> =
        all.iter().map(|e| e.reason().as_str()).collect();
    assert_eq!(reasons.len(), all.len());
    for r in reasons {
        assert!(
            r.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{r}"
        );
    }
    assert_eq!(DecodeError::BadVersion(3).reason().as_str(), "bad_version");
    assert_eq!(DecodeError::StreamOnly.reason().as_str(), "stream_only");
}
