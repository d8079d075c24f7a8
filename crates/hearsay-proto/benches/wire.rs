//! The native codec, message kind by message kind.
//!
//! Every datagram a node sends or receives is encoded or decoded once, and a node handles
//! several per probe interval per peer it talks to, so the codec sits on the hottest path of
//! the protocol. Each case here is one realistic message (or datagram) encoded into a reused
//! buffer and decoded from bytes, so that the figures are the codec's own work: name and list
//! allocations on decode are included (the engine pays them too), buffer growth on encode is
//! not.
//!
//! Datagram cases (`wire/datagram/...`) hold one message of each datagram kind, plus
//! `full_ping`: a ping carrying piggybacked alive news up to the 1400-byte default limit, the
//! shape of nearly every datagram of a cluster in motion. Stream cases (`wire/stream/...`) are
//! the join exchange (a joiner's one-member request, a seed's 64-member sample, a full state
//! transfer of 1,000 members) and the three anti-entropy steps sized for 10,000 members
//! (256 bucket hashes; 4 differing buckets of about 39 members each).

mod common;

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_main};
use hearsay_proto::digest::BUCKETS;
use hearsay_proto::wire::{
    self, Ack, Dead, IndirectPing, MemberState, Message, Nack, PushPull, Suspect, SyncBuckets,
    SyncDigest, SyncEntries,
};

use common::{START_INCARNATION, addr, alive, name, ping, record};

/// Largest datagram the engine sends by default (`Config::max_datagram_bytes`).
const MAX_DATAGRAM: usize = 1400;

/// One datagram of each kind that travels in datagrams, as the messages it carries.
fn datagram_cases() -> Vec<(&'static str, Vec<Message>)> {
    let accusation = |from| Dead {
        name: name(17),
        generation: common::GENERATION,
        incarnation: START_INCARNATION,
        from,
    };
    let mut news = common::refreshes(1_000).peekable();
    let full = common::datagram(&[ping(7)], &mut news, MAX_DATAGRAM);
    let mut full_ping = Vec::new();
    wire::decode_datagram(&full, &mut full_ping).expect("a valid datagram");
    vec![
        ("ping", vec![ping(7)]),
        (
            "indirect_ping",
            vec![Message::IndirectPing(IndirectPing {
                seq: 7,
                target: name(17),
                target_addr: addr(17),
                want_nack: true,
            })],
        ),
        ("ack", vec![Message::Ack(Ack { seq: 7 })]),
        ("nack", vec![Message::Nack(Nack { seq: 7 })]),
        ("alive", vec![alive(17, START_INCARNATION)]),
        (
            "suspect",
            vec![Message::Suspect(Suspect {
                name: name(17),
                generation: common::GENERATION,
                incarnation: START_INCARNATION,
                from: name(3),
            })],
        ),
        ("dead", vec![Message::Dead(accusation(name(3)))]),
        ("leave", vec![Message::Dead(accusation(name(17)))]),
        ("full_ping", full_ping),
    ]
}

/// `count` member records, as carried by state transfers.
fn records(count: usize) -> Vec<MemberState> {
    (1..=count).map(|i| record(i, START_INCARNATION)).collect()
}

/// One message of each kind that travels in stream frames.
fn stream_cases() -> Vec<(&'static str, Message)> {
    // The bucket hashes of a busy table look random; any fixed odd multiplier spreads them.
    let hashes = (0..BUCKETS as u64)
        .map(|b| b.wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .collect();
    vec![
        (
            "join_request",
            Message::PushPull(PushPull {
                join: true,
                complete: true,
                reply: true,
                members: records(1),
            }),
        ),
        (
            "join_answer_64",
            Message::PushPull(PushPull {
                join: false,
                complete: false,
                reply: false,
                members: records(64),
            }),
        ),
        (
            "push_pull_1000",
            Message::PushPull(PushPull {
                join: false,
                complete: true,
                reply: false,
                members: records(1_000),
            }),
        ),
        (
            "sync_digest",
            Message::SyncDigest(SyncDigest {
                root: 0x0123_4567_89ab_cdef,
                live: 10_000,
                state_root: 0x1111_2222_3333_4444,
                kv_root: 0x5555_6666_7777_8888,
            }),
        ),
        ("sync_buckets", Message::SyncBuckets(SyncBuckets { hashes })),
        (
            "sync_entries_4_buckets",
            Message::SyncEntries(SyncEntries {
                buckets: vec![3, 77, 140, 251],
                reply: true,
                members: records(4 * 10_000 / BUCKETS),
            }),
        ),
    ]
}

fn datagrams(c: &mut Criterion) {
    let mut group = c.benchmark_group("wire/datagram");
    for (label, messages) in datagram_cases() {
        let bytes = common::encode(&messages);
        let mut decoded = Vec::new();
        assert_eq!(wire::decode_datagram(&bytes, &mut decoded), Ok(0));
        assert_eq!(decoded, messages, "{label} survives a round trip");
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("encode/{label}"), |b| {
            let mut buf = Vec::with_capacity(MAX_DATAGRAM);
            b.iter(|| {
                buf.clear();
                wire::start_datagram(&mut buf);
                for m in black_box(&messages) {
                    wire::encode_message(m, &mut buf);
                }
                black_box(&buf);
            });
        });
        group.bench_function(format!("decode/{label}"), |b| {
            let mut out = Vec::new();
            b.iter(|| {
                let unknown = wire::decode_datagram(black_box(&bytes), &mut out);
                black_box(&out);
                unknown
            });
        });
    }
    group.finish();
}

fn streams(c: &mut Criterion) {
    let mut group = c.benchmark_group("wire/stream");
    for (label, message) in stream_cases() {
        let mut bytes = Vec::new();
        wire::encode_stream(&message, &mut bytes);
        assert_eq!(
            wire::decode_stream(&bytes).as_ref(),
            Ok(&message),
            "{label}"
        );
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("encode/{label}"), |b| {
            let mut buf = Vec::with_capacity(bytes.len());
            b.iter(|| {
                buf.clear();
                wire::encode_stream(black_box(&message), &mut buf);
                black_box(&buf);
            });
        });
        group.bench_function(format!("decode/{label}"), |b| {
            b.iter(|| wire::decode_stream(black_box(&bytes)));
        });
    }
    group.finish();
}

// In a private module: the macro defines a public function that cannot carry documentation.
mod group {
    criterion::criterion_group!(benches, super::datagrams, super::streams);
}
criterion_main!(group::benches);
