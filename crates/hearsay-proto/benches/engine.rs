//! One datagram through the engine: a ping packed to the 1400-byte limit with piggybacked news,
//! handed to an engine that knows 1,000 members (itself included).
//!
//! This is the unit of work of a node in a cluster that is changing: every probe, ack and
//! gossip datagram arrives full of news, and the engine must decode it, judge each update
//! against its table, queue what changed for further gossip, report events and answer the ping
//! with an ack that is itself filled with news. The time measured is `handle_datagram` plus
//! draining `poll_transmit` (the ack) and `poll_event`, as a driver does after every call.
//!
//! * `fresh_news`: every update raises a member's incarnation, so each one changes the table,
//!   produces an `Updated` event and is queued again for gossip.
//! * `seen_news`: the same datagram a second time, right after the first. Each piece of news
//!   reaches a node about `retransmit_limit` times, so this is the common case: the updates are
//!   recognised by their hashes and skipped undecoded (all but the odd one whose slot in the
//!   direct-mapped filter another took, which is decoded and found old), leaving the ping and
//!   the full ack.
//!
//! The engine runs on fixed inputs (a seeded RNG, one constant `now`), so runs are repeatable.

mod common;

use std::cell::RefCell;
use std::hint::black_box;
use std::time::Instant;

use criterion::{BatchSize, Criterion, Throughput, criterion_main};
use hearsay_proto::wire::{self, Message};
use hearsay_proto::{Engine, EventKind};

use common::{addr, config, drain, engine_knowing, pings_full_of_news};

/// Members the engine knows, itself included.
const MEMBERS: usize = 1_000;

/// Updates carried by one of the benchmark's datagrams.
fn updates_in(bytes: &[u8]) -> usize {
    let mut messages = Vec::new();
    wire::decode_datagram(bytes, &mut messages).expect("a valid datagram");
    messages
        .iter()
        .filter(|m| matches!(m, Message::Alive(_)))
        .count()
}

/// Handles one datagram from member 1 and drains the engine, as the driver would.
fn deliver(engine: &mut Engine, now: Instant, bytes: &[u8]) {
    engine.handle_datagram(now, addr(1), black_box(bytes));
    drain(engine);
}

/// Checks, once, that the workload is what the docs say: every update applies and the answer
/// is an ack filled with news.
fn check_workload(now: Instant, max: usize) -> usize {
    let mut engine = engine_knowing(config(MEMBERS), MEMBERS, now);
    let bytes = pings_full_of_news(MEMBERS, max).next().expect("endless");
    let updates = updates_in(&bytes);
    assert!(updates > 30, "only {updates} updates fit");
    engine.handle_datagram(now, addr(1), &bytes);
    let ack = engine.poll_transmit().expect("the ping is answered");
    assert!(ack.bytes.len() > max - 64, "the ack carries news too");
    let mut changed = 0;
    while let Some(e) = engine.poll_event() {
        assert_eq!(e.kind, EventKind::Updated);
        changed += 1;
    }
    assert_eq!(changed, updates);
    updates
}

fn full_ping(c: &mut Criterion) {
    let now = common::epoch();
    let max = config(MEMBERS).max_datagram_bytes;
    let updates = check_workload(now, max);
    let mut group = c.benchmark_group("engine/full_ping_n1000");
    group.throughput(Throughput::Elements(updates as u64));

    group.bench_function("fresh_news", |b| {
        let mut engine = engine_knowing(config(MEMBERS), MEMBERS, now);
        let mut datagrams = pings_full_of_news(MEMBERS, max);
        b.iter_batched(
            || datagrams.next().expect("endless"),
            |bytes| {
                deliver(&mut engine, now, &bytes);
                bytes // freed outside the timed loop
            },
            BatchSize::SmallInput,
        );
    });

    group.bench_function("seen_news", |b| {
        // Both closures drive the one engine: the setup delivers each datagram the first time
        // (untimed), the routine delivers it again.
        let engine = RefCell::new(engine_knowing(config(MEMBERS), MEMBERS, now));
        let mut datagrams = pings_full_of_news(MEMBERS, max);
        b.iter_batched(
            || {
                let bytes = datagrams.next().expect("endless");
                deliver(&mut engine.borrow_mut(), now, &bytes);
                bytes
            },
            |bytes| {
                deliver(&mut engine.borrow_mut(), now, &bytes);
                bytes
            },
            // One at a time: the seen-filter must still hold this datagram's news.
            BatchSize::PerIteration,
        );
    });
    group.finish();
}

// In a private module: the macro defines a public function that cannot carry documentation.
mod group {
    criterion::criterion_group!(benches, super::full_ping);
}
criterion_main!(group::benches);
